/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-core.h"
#include "globi-qr-code.h"

G_BEGIN_DECLS

/* "My QR code": my friend card as a big QR code with my avatar in the middle, my name,
 * "Save as PNG…" and "Reset QR code" (old cards stop working). */
#define GLOBI_TYPE_FRIEND_CARD_DIALOG (globi_friend_card_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GlobiFriendCardDialog, globi_friend_card_dialog, GLOBI,
                      FRIEND_CARD_DIALOG, AdwWindow)

/* Shows the dialog over parent's window and starts loading my card. */
GlobiFriendCardDialog *globi_friend_card_dialog_present  (GtkWidget             *parent,
                                                          GlobiSession          *session);
/* The code shown (NULL while loading or after an error); for tests. */
GlobiQrCode           *globi_friend_card_dialog_get_code (GlobiFriendCardDialog *self);

G_END_DECLS
