/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "globi-messaging-types.h"
#include "globi-message.h"

G_BEGIN_DECLS

/* One conversation (direct or group), as the chat list and the chat page show it.
 *
 * Properties (read-only unless said, notify on change):
 * - id ("u:USER_ID" or "g:GROUP_ID"), kind (GlobiChatKind), peer-id (the user or group id)
 * - title (remark / display name / group name), avatar-hash (NULL when none)
 * - last-message (GlobiMessage or NULL), last-activity (gint64 Unix ms)
 * - unread-count (guint), pinned, muted (gboolean; set through GlobiMessenger)
 * - draft (string, read-write; kept in the cache)
 * - typing (GStrv of user ids typing now, NULL when nobody)
 * - group (GlobiGroup for a group chat, NULL otherwise)
 *
 * The chat belongs to its GlobiMessenger; it holds only a weak reference back. */
#define GLOBI_TYPE_CHAT (globi_chat_get_type ())
G_DECLARE_FINAL_TYPE (GlobiChat, globi_chat, GLOBI, CHAT, GObject)

const char         *globi_chat_get_id            (GlobiChat    *self);
GlobiChatKind       globi_chat_get_kind          (GlobiChat    *self);
const char         *globi_chat_get_peer_id       (GlobiChat    *self);
const char         *globi_chat_get_title         (GlobiChat    *self);
const char         *globi_chat_get_avatar_hash   (GlobiChat    *self);
GlobiMessage       *globi_chat_get_last_message  (GlobiChat    *self);
gint64              globi_chat_get_last_activity (GlobiChat    *self);
guint               globi_chat_get_unread_count  (GlobiChat    *self);
gboolean            globi_chat_get_pinned        (GlobiChat    *self);
gboolean            globi_chat_get_muted         (GlobiChat    *self);
const char         *globi_chat_get_draft         (GlobiChat    *self);
void                globi_chat_set_draft         (GlobiChat    *self,
                                                  const char   *draft);
const char * const *globi_chat_get_typing        (GlobiChat    *self);
GlobiGroup         *globi_chat_get_group         (GlobiChat    *self);

/* The history, oldest first, as a GListModel of GlobiMessage: empty until the chat's
 * newest messages are loaded from the cache, then those, every row loaded (older ones
 * come with globi_chat_load_older). New messages append at the end. The same model
 * object for the chat's lifetime. */
GListModel         *globi_chat_get_messages      (GlobiChat    *self);
/* The messages model starts with the chat's newest messages (a screenful or two); this
 * prepends older ones, a page at a time, for a view scrolled near its top. FALSE when
 * the model already starts at the chat's first message. */
gboolean            globi_chat_load_older        (GlobiChat    *self);

/* For the core only. */
GlobiChat          *globi_chat_new               (GlobiMessenger *messenger,
                                                  const char     *id,
                                                  const char     *title);
void                globi_chat_set_title         (GlobiChat    *self,
                                                  const char   *title);
void                globi_chat_set_avatar_hash   (GlobiChat    *self,
                                                  const char   *avatar_hash);
void                globi_chat_set_last_message  (GlobiChat    *self,
                                                  GlobiMessage *message);
void                globi_chat_set_last_activity (GlobiChat    *self,
                                                  gint64        last_activity);
void                globi_chat_set_unread_count  (GlobiChat    *self,
                                                  guint         unread_count);
void                globi_chat_set_pinned        (GlobiChat    *self,
                                                  gboolean      pinned);
void                globi_chat_set_muted         (GlobiChat    *self,
                                                  gboolean      muted);
void                globi_chat_set_typing        (GlobiChat    *self,
                                                  const char   *user_id,
                                                  gboolean      typing);
void                globi_chat_set_group         (GlobiChat    *self,
                                                  GlobiGroup   *group);
/* A message was added at the end (sent or received): the model grows by one. */
void                globi_chat_append_message    (GlobiChat    *self,
                                                  GlobiMessage *message);

G_END_DECLS
