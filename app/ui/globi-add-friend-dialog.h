/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-core.h"

G_BEGIN_DECLS

/* The person behind a scanned friend card: avatar, name, bio, a greeting and
 * "Add Friend". A reset or unknown card, or "who can add me: nobody", is said plainly. */
#define GLOBI_TYPE_ADD_FRIEND_DIALOG (globi_add_friend_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GlobiAddFriendDialog, globi_add_friend_dialog, GLOBI, ADD_FRIEND_DIALOG,
                      AdwWindow)

GlobiAddFriendDialog *globi_add_friend_dialog_present   (GtkWidget            *parent,
                                                         GlobiSession         *session,
                                                         const char           *user_id,
                                                         const char           *card);
/* "loading", "person", "error" (for tests). */
const char           *globi_add_friend_dialog_get_state (GlobiAddFriendDialog *self);

G_END_DECLS
