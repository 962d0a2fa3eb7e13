/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "globi-cache.h"
#include "globi-message.h"

G_BEGIN_DECLS

/* A chat's history as a GListModel of GlobiMessage, oldest first, paged from the cache
 * (see globi_chat_get_messages). Private to app/core. */
#define GLOBI_TYPE_MESSAGE_LIST (globi_message_list_get_type ())
G_DECLARE_FINAL_TYPE (GlobiMessageList, globi_message_list, GLOBI, MESSAGE_LIST, GObject)

/* Gives the canonical object for a message loaded from the cache (the one already alive
 * with that id, if any). */
typedef GlobiMessage *(*GlobiMessageInternFunc) (GlobiMessage *message,
                                                 gpointer      user_data);

GlobiMessageList *globi_message_list_new      (GlobiCache             *cache,
                                               const char             *chat_id,
                                               GlobiMessageInternFunc  intern,
                                               gpointer                intern_data);
/* A message was committed to the cache after the list was opened: one more row. */
void              globi_message_list_append   (GlobiMessageList       *self,
                                               GlobiMessage           *message);
/* The model is the newest part of the chat; this prepends the messages before it (once
 * loaded, as one items-changed at position 0). FALSE when the model is known to start at
 * the chat's first message (or is not ready yet). */
gboolean          globi_message_list_load_older (GlobiMessageList     *self);
/* TRUE while the rows globi_message_list_load_older asked for are on their way. */
gboolean          globi_message_list_is_loading_older (GlobiMessageList *self);
/* TRUE once the newest rows are in (tests and the benchmarks wait for it). */
gboolean          globi_message_list_is_ready (GlobiMessageList       *self);
/* TRUE when row position exists: every row of the window is loaded when it appears. */
gboolean          globi_message_list_is_loaded (GlobiMessageList      *self,
                                                guint                  position);

G_END_DECLS
