/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "globi-qr-code.h"

G_BEGIN_DECLS

/* Draws a GlobiQrCode's modules as sharp squares at any size and scale factor: each
 * module a whole number of device pixels, centred, never smoothed. An optional centre
 * paintable (an avatar) sits on a white square in the middle, as much as the code's
 * error correction allows. */
#define GLOBI_TYPE_QR_IMAGE (globi_qr_image_get_type ())
G_DECLARE_FINAL_TYPE (GlobiQrImage, globi_qr_image, GLOBI, QR_IMAGE, GtkWidget)

GtkWidget    *globi_qr_image_new        (void);
GlobiQrCode  *globi_qr_image_get_code   (GlobiQrImage *self);
void          globi_qr_image_set_code   (GlobiQrImage *self,
                                         GlobiQrCode  *code);
GdkPaintable *globi_qr_image_get_centre (GlobiQrImage *self);
void          globi_qr_image_set_centre (GlobiQrImage *self,
                                         GdkPaintable *centre);

G_END_DECLS
