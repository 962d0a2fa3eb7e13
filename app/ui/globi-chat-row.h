/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "globi-core.h"

G_BEGIN_DECLS

/* One chat in the chat list: avatar, name, last message, time, unread badge, marks. */
#define GLOBI_TYPE_CHAT_ROW (globi_chat_row_get_type ())
G_DECLARE_FINAL_TYPE (GlobiChatRow, globi_chat_row, GLOBI, CHAT_ROW, GtkWidget)

GtkWidget   *globi_chat_row_new         (void);
void         globi_chat_row_set_title   (GlobiChatRow  *self,
                                         const char    *title);
const char  *globi_chat_row_get_title   (GlobiChatRow  *self);
void         globi_chat_row_set_avatar  (GlobiChatRow  *self,
                                         GdkPaintable  *avatar);
/* The blob of that hash (a contact's or group's picture) instead of the initials; NULL:
 * initials. */
void         globi_chat_row_show_avatar (GlobiChatRow  *self,
                                         GlobiSession  *session,
                                         const char    *hash);
void         globi_chat_row_set_preview (GlobiChatRow  *self,
                                         const char    *preview);
/* Unix milliseconds of the last message; 0 hides the time. */
void         globi_chat_row_set_time    (GlobiChatRow  *self,
                                         gint64         unix_ms);
void         globi_chat_row_set_unread  (GlobiChatRow  *self,
                                         guint          unread);
guint        globi_chat_row_get_unread  (GlobiChatRow  *self);
void         globi_chat_row_set_muted   (GlobiChatRow  *self,
                                         gboolean       muted);
void         globi_chat_row_set_pinned  (GlobiChatRow  *self,
                                         gboolean       pinned);

G_END_DECLS
