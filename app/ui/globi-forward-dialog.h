/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-messenger.h"

G_BEGIN_DECLS

/* Forward a message to one or more chats, picked from the chat list with a search (as
 * WeChat does). Send forwards it to each, re-encrypted for that chat; ::forwarded (guint
 * count) once they are queued, then the dialog closes. */
#define GLOBI_TYPE_FORWARD_DIALOG (globi_forward_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GlobiForwardDialog, globi_forward_dialog, GLOBI, FORWARD_DIALOG, AdwWindow)

GlobiForwardDialog *globi_forward_dialog_new          (GtkWindow          *parent,
                                                       GlobiMessenger     *messenger,
                                                       GlobiMessage       *message);
/* Ticks a chat as a click would (tests). FALSE when no such chat is listed. */
gboolean            globi_forward_dialog_pick         (GlobiForwardDialog *self,
                                                       const char         *chat_id);
void                globi_forward_dialog_set_search   (GlobiForwardDialog *self,
                                                       const char         *text);
/* Chats shown now (the search applied). */
guint               globi_forward_dialog_get_n_shown  (GlobiForwardDialog *self);
void                globi_forward_dialog_send         (GlobiForwardDialog *self);

G_END_DECLS
