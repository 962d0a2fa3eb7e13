/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/* A QR code as a module matrix (libqrencode), with its quiet zone: what the UI paints
 * and what PNG export scales up, nearest-neighbour. Immutable once made. */
#define GLOBI_TYPE_QR_CODE (globi_qr_code_get_type ())
G_DECLARE_FINAL_TYPE (GlobiQrCode, globi_qr_code, GLOBI, QR_CODE, GObject)

/* Error correction: L recovers ~7 % of the modules, M 15 %, Q 25 %, H 30 % (needed when a
 * centre image covers part of the code). */
typedef enum
{
  GLOBI_QR_ECC_L,
  GLOBI_QR_ECC_M,
  GLOBI_QR_ECC_Q,
  GLOBI_QR_ECC_H,
} GlobiQrEcc;

/* The quiet zone the standard asks for, in modules on each side. */
#define GLOBI_QR_QUIET_ZONE 4

/* Encodes text (UTF-8, 8-bit mode) in the smallest version that holds it at ecc. A text
 * too long for any version: GLOBI_QR_ERROR_TOO_LONG. */
GlobiQrCode *globi_qr_code_new                (const char   *text,
                                               GlobiQrEcc    ecc,
                                               GError      **error);
const char  *globi_qr_code_get_text           (GlobiQrCode  *self);
GlobiQrEcc   globi_qr_code_get_ecc            (GlobiQrCode  *self);
/* Modules per side, quiet zone included. */
guint        globi_qr_code_get_size           (GlobiQrCode  *self);
/* Whether the module at x, y (quiet zone included, 0-based) is dark; FALSE outside. */
gboolean     globi_qr_code_get_module         (GlobiQrCode  *self,
                                               guint         x,
                                               guint         y);
/* The side of the centre square an image may cover, in modules, keeping the code
 * readable at this ecc (0 below H). */
guint        globi_qr_code_get_centre_modules (GlobiQrCode  *self);
/* Black on white, scale pixels per module; centre (optional, needs ecc H) is drawn on a
 * white square in the middle. */
GdkPixbuf   *globi_qr_code_render             (GlobiQrCode  *self,
                                               guint         scale,
                                               GdkPixbuf    *centre,
                                               GError      **error);
gboolean     globi_qr_code_save_png           (GlobiQrCode  *self,
                                               const char   *path,
                                               guint         scale,
                                               GdkPixbuf    *centre,
                                               GError      **error);
/* The pixels per module that make the image at most max_px wide (at least 1). */
guint        globi_qr_code_scale_for          (GlobiQrCode  *self,
                                               guint         max_px);

G_END_DECLS
