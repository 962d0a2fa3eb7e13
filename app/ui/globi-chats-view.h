/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-composer.h"
#include "globi-messenger.h"

G_BEGIN_DECLS

/* The Chats section: the chat list on the left, the open conversation on the right.
 * Its "start-chat" signal asks for the Contacts section (the empty state's action). */
#define GLOBI_TYPE_CHATS_VIEW (globi_chats_view_get_type ())
G_DECLARE_FINAL_TYPE (GlobiChatsView, globi_chats_view, GLOBI, CHATS_VIEW, GtkWidget)

GtkWidget      *globi_chats_view_new              (void);
void            globi_chats_view_set_messenger    (GlobiChatsView  *self,
                                                   GlobiMessenger  *messenger);
void            globi_chats_view_set_menu         (GlobiChatsView  *self,
                                                   GMenuModel      *menu);
/* Opens "u:USER_ID" or "g:GROUP_ID" (creating the chat when needed). */
void            globi_chats_view_open_chat        (GlobiChatsView  *self,
                                                   const char      *chat_id);
/* The open chat, NULL when none. */
GlobiChat      *globi_chats_view_get_chat         (GlobiChatsView  *self);
GlobiComposer  *globi_chats_view_get_composer     (GlobiChatsView  *self);
GtkListView    *globi_chats_view_get_chat_list    (GlobiChatsView  *self);
GtkListView    *globi_chats_view_get_message_list (GlobiChatsView  *self);

G_END_DECLS
