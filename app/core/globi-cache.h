/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "globi-messaging-types.h"
#include "globi-message.h"

G_BEGIN_DECLS

/* The local cache of one account (PROFILE/cache.sqlite3, WAL): conversations, messages
 * (with an FTS5 index), the outbox, crypto state (identity, prekeys, ratchet sessions,
 * sender keys), the stream cursor, contacts and settings.
 *
 * ONE worker thread owns the SQLite connection; every call below queues a job on it and
 * completes on the caller's thread-default main context. Jobs run in the order they were
 * queued, so a write followed by a read sees the write.
 *
 * Errors: G_IO_ERROR for the file, GLOBI_ERROR_INTERNAL for SQLite. */
#define GLOBI_TYPE_CACHE (globi_cache_get_type ())
G_DECLARE_FINAL_TYPE (GlobiCache, globi_cache, GLOBI, CACHE, GObject)

/* Opens (creating and migrating) PATH on the worker; the open error, if any, is reported
 * by the first job. */
GlobiCache *globi_cache_new                  (const char    *path);
const char *globi_cache_get_path             (GlobiCache    *self);
/* Blocks until the worker has finished every job queued so far and closes the database.
 * Called by dispose; later jobs fail with G_IO_ERROR_CLOSED. */
void        globi_cache_close                (GlobiCache    *self);

/* One received batch in ONE transaction: the messages (dedup by id: a message already
 * stored is skipped), the crypto state rows changed by decrypting them, and the stream
 * cursor. Returns the GPtrArray of GlobiMessage actually inserted (new ones only). A
 * failed commit changes nothing, cursor included. crypto_state:
 * a JSON object {"key": "value" | null} (null deletes). */
void        globi_cache_commit_async         (GlobiCache          *self,
                                              GPtrArray           *messages,
                                              JsonObject          *crypto_state,
                                              gint64               cursor,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *globi_cache_commit_finish        (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* The stream cursor (0 when none yet). */
void        globi_cache_get_cursor_async     (GlobiCache          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gint64      globi_cache_get_cursor_finish    (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Crypto state and settings: a key/value store (values are strings, usually JSON or
 * base64url). get returns NULL without error for a missing key. */
void        globi_cache_get_value_async      (GlobiCache          *self,
                                              const char          *key,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char       *globi_cache_get_value_finish     (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Several keys at once, in one transaction (value NULL deletes). */
void        globi_cache_set_values_async     (GlobiCache          *self,
                                              JsonObject          *values,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    globi_cache_set_values_finish    (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Outgoing: stores the message (PENDING) and its outbox entry (the wire request, JSON
 * text, to resend after a crash) in one transaction. */
void        globi_cache_enqueue_async        (GlobiCache          *self,
                                              GlobiMessage        *message,
                                              const char          *request_json,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    globi_cache_enqueue_finish       (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* A control entry (an edit, deletion, reaction or receipt: no message row of its own)
 * in the same outbox, sent in order with the messages; finish with enqueue_finish. */
void        globi_cache_enqueue_control_async (GlobiCache         *self,
                                               const char         *id,
                                               const char         *chat_id,
                                               const char         *request_json,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
/* The outbox, oldest first: GPtrArray of JsonObject {"id", "chat_id", "request",
 * "control"}: PENDING messages and every control entry. */
void        globi_cache_list_outbox_async    (GlobiCache          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *globi_cache_list_outbox_finish   (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Takes the message out of the outbox and sets its state (SENT with the server's
 * sent_at, or FAILED: FAILED keeps the outbox entry for a retry). */
void        globi_cache_settle_async         (GlobiCache          *self,
                                              const char          *message_id,
                                              GlobiDeliveryState   state,
                                              gint64               sent_at,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    globi_cache_settle_finish        (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Updates one message's mutable fields (state, text/edited_at, kind, reactions). */
void        globi_cache_update_message_async (GlobiCache          *self,
                                              GlobiMessage        *message,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    globi_cache_update_message_finish (GlobiCache         *self,
                                               GAsyncResult       *result,
                                               GError            **error);

/* Marks every incoming message of a chat READ; returns the ids it changed (GPtrArray of
 * strings, oldest first) for the read receipt. */
void        globi_cache_mark_read_async      (GlobiCache          *self,
                                              const char          *chat_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *globi_cache_mark_read_finish     (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Up to limit rows of a chat just before message before_id (NULL: the newest rows),
 * oldest first: GPtrArray of GlobiMessage. Costs the same wherever in the chat. */
void        globi_cache_load_messages_before_async  (GlobiCache          *self,
                                                     const char          *chat_id,
                                                     const char          *before_id,
                                                     guint                limit,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
GPtrArray  *globi_cache_load_messages_before_finish (GlobiCache          *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
/* Full-text search (FTS5 query syntax is escaped: plain words); chat_id NULL = all
 * chats. Newest first, at most limit: GPtrArray of GlobiMessage. */
void        globi_cache_search_async         (GlobiCache          *self,
                                              const char          *chat_id,
                                              const char          *query,
                                              guint                limit,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *globi_cache_search_finish        (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Every chat: GPtrArray of JsonObject {"id", "title", "pinned", "muted", "draft",
 * "last_activity", "unread", "last_message_id"}. */
void        globi_cache_list_chats_async     (GlobiCache          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *globi_cache_list_chats_finish    (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Upserts a chat row: fields present in `fields` (title, pinned, muted, draft, unread). */
void        globi_cache_update_chat_async    (GlobiCache          *self,
                                              const char          *chat_id,
                                              JsonObject          *fields,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    globi_cache_update_chat_finish   (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Benchmarks and tests: inserts n generated messages into chat_id in one transaction. */
void        globi_cache_fill_async           (GlobiCache          *self,
                                              const char          *chat_id,
                                              guint                n,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    globi_cache_fill_finish          (GlobiCache          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
