/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-messenger.h"

G_BEGIN_DECLS

/* Inside app/core only. */

/* The live object with that message's id if there is one (updated from `message`'s
 * fields), else `message` itself, now registered. Returns a new reference. */
GlobiMessage *globi_messenger_intern_message (GlobiMessenger *self,
                                              GlobiMessage   *message);
/* Writes the chat's pinned/muted/draft/unread row to the cache. */
void          globi_messenger_save_chat      (GlobiMessenger *self,
                                              GlobiChat      *chat);

/* For tests: POST /v1/messages with body the way the outbox does (a send frame while
 * the stream takes sends, else REST); the reply's JSON. The sends over the stream
 * awaiting their send_result; dropping the stream as a lost connection would (it
 * reconnects after the backoff). */
void          globi_messenger_post_message_async  (GlobiMessenger      *self,
                                                   JsonNode            *body,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
JsonNode     *globi_messenger_post_message_finish (GlobiMessenger      *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
guint         globi_messenger_get_stream_sends    (GlobiMessenger      *self);
void          globi_messenger_drop_stream         (GlobiMessenger      *self);

G_END_DECLS
