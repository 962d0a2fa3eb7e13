/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* A received or sent image at full size (the decrypted local copy), with Save. */
#define GLOBI_TYPE_IMAGE_VIEWER (globi_image_viewer_get_type ())
G_DECLARE_FINAL_TYPE (GlobiImageViewer, globi_image_viewer, GLOBI, IMAGE_VIEWER, AdwWindow)

GlobiImageViewer *globi_image_viewer_new (GtkWindow  *parent,
                                          GFile      *file,
                                          const char *name);

/* Asks where to save a copy of file (suggesting name) and copies it there; failures
 * show in a dialog. */
void              globi_attachment_save_as (GtkWindow  *parent,
                                            GFile      *file,
                                            const char *name);

G_END_DECLS
