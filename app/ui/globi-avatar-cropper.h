/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GLOBI_AVATAR_SIZE 512

/* Turns a picked image into a square avatar: "Crop" drags a square selection over the
 * image, "Fit" centres the whole image on a square of its average colour. Emits cropped (GBytes,
 * a GLOBI_AVATAR_SIZE square PNG) and closes. */
#define GLOBI_TYPE_AVATAR_CROPPER (globi_avatar_cropper_get_type ())
G_DECLARE_FINAL_TYPE (GlobiAvatarCropper, globi_avatar_cropper, GLOBI, AVATAR_CROPPER, AdwWindow)

GlobiAvatarCropper *globi_avatar_cropper_new    (GtkWindow  *parent,
                                                 GFile      *file);
/* The pure part (tests use it): a square PNG of GLOBI_AVATAR_SIZE pixels from source,
 * either the square (x, y, side) of it, or (fit) all of it centred. */
GBytes             *globi_avatar_cropper_render (GdkPixbuf  *source,
                                                 gboolean    fit,
                                                 int         x,
                                                 int         y,
                                                 int         side,
                                                 GError    **error);

G_END_DECLS
