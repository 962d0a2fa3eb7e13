/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-core.h"

G_BEGIN_DECLS

/* A group's join QR code: a fresh invite (globichat://join?group=…&token=…) as a code,
 * with when it expires (7 days) and Revoke. */
#define GLOBI_TYPE_GROUP_QR_DIALOG (globi_group_qr_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GlobiGroupQrDialog, globi_group_qr_dialog, GLOBI, GROUP_QR_DIALOG,
                      AdwWindow)

GlobiGroupQrDialog *globi_group_qr_dialog_present   (GtkWidget          *parent,
                                                     GlobiMessenger     *messenger,
                                                     GlobiGroup         *group);
/* "loading", "code", "revoked", "error" (for tests). */
const char         *globi_group_qr_dialog_get_state (GlobiGroupQrDialog *self);
/* The invite shown (NULL before it is made). */
const char         *globi_group_qr_dialog_get_uri   (GlobiGroupQrDialog *self);

G_END_DECLS
