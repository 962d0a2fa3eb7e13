/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "globi-core-types.h"
#include "globi-messaging-types.h"
#include "globi-cache.h"
#include "globi-chat.h"
#include "globi-contact.h"
#include "globi-friend-request.h"
#include "globi-group.h"
#include "globi-message.h"

G_BEGIN_DECLS

/* Messaging for one signed-in GlobiSession: the local cache, the event stream, the
 * outbox, end-to-end encryption, and the models the UI binds to. Encryption is
 * app/core/crypto's (docs/crypto.md): X3DH then the Double Ratchet per remote device, a
 * sender key per group distributed over those sessions.
 *
 * Properties (read-only): session (GlobiSession), cache (GlobiCache), stream-state
 * (GlobiStreamState), read-receipts, typing-indicators (gboolean, read-write; kept in the
 * cache's settings; when off nothing is sent, and others' receipts are not shown).
 *
 * Signals:
 * - message-received (GlobiChat *chat, GlobiMessage *message): a new incoming message
 *   was committed to the cache (for notifications; not for my own messages).
 * - key-changed (const char *user_id): a contact's identity key changed (a "safety number
 *   changed" system item was added to the chat).
 * - caught-up (): the stream replayed every stored event (also after a reconnect).
 * - event (const char *kind, JsonObject *event): a stream event of a kind messaging does
 *   not handle (e.g. "wallet_updated", "rates_updated", "link_*"), emitted once it is
 *   committed, just before it is acknowledged. The event is the server's object as is
 *   ({"kind", ...}); handlers must not keep or change it (copy what they need).
 *
 * Errors: GLOBI_ERROR (the server's), GLOBI_ERROR_NETWORK, G_IO_ERROR_CANCELLED.
 *
 * Every action that returns nothing finishes with globi_messenger_finish (). */
#define GLOBI_TYPE_MESSENGER (globi_messenger_get_type ())
G_DECLARE_FINAL_TYPE (GlobiMessenger, globi_messenger, GLOBI, MESSENGER, GObject)

/* One per signed-in GlobiSession (the window and the CLI each make theirs). The session
 * must be signed in; the cache is PROFILE/cache.sqlite3. Does nothing on the network
 * until started. */
GlobiMessenger   *globi_messenger_new              (GlobiSession *session);
GlobiSession     *globi_messenger_get_session      (GlobiMessenger *self);
GlobiCache       *globi_messenger_get_cache        (GlobiMessenger *self);
GlobiStreamState  globi_messenger_get_stream_state (GlobiMessenger *self);

/* Loads the cache (chats, contacts), publishes this device's keys if not yet done and
 * tops up its one-time prekeys, resends the outbox, fetches friends, requests and groups.
 * With `live` the WebSocket stream then runs (reconnecting with backoff, and when the
 * network comes back) until globi_messenger_stop (); without it nothing more happens
 * (the CLI polls with globi_messenger_sync_async). */
void      globi_messenger_start_async      (GlobiMessenger      *self,
                                            gboolean             live,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean  globi_messenger_start_finish     (GlobiMessenger      *self,
                                            GAsyncResult        *result,
                                            GError             **error);
void      globi_messenger_stop             (GlobiMessenger      *self);

/* Polls GET /v1/events until caught up, commits and acknowledges each batch. Returns
 * the new incoming and my-other-device messages, oldest first (GPtrArray of
 * GlobiMessage). */
void       globi_messenger_sync_async      (GlobiMessenger      *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
GPtrArray *globi_messenger_sync_finish     (GlobiMessenger      *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* Completes when the outbox is empty or every entry left FAILED (the CLI waits on it). */
void      globi_messenger_flush_async      (GlobiMessenger      *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);

gboolean  globi_messenger_finish           (GlobiMessenger      *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* Models (live; the same objects for the messenger's lifetime). */
GListModel *globi_messenger_get_chats      (GlobiMessenger *self); /* GlobiChat: pinned first, then last activity */
GListModel *globi_messenger_get_contacts   (GlobiMessenger *self); /* GlobiContact, A–Z by name */
GListModel *globi_messenger_get_requests   (GlobiMessenger *self); /* incoming GlobiFriendRequest */
GListModel *globi_messenger_get_groups     (GlobiMessenger *self); /* GlobiGroup, by name */
/* Opens (creating when needed) a chat: "u:USER_ID" or "g:GROUP_ID". */
GlobiChat  *globi_messenger_open_chat      (GlobiMessenger *self,
                                            const char     *chat_id);
GlobiContact *globi_messenger_find_contact (GlobiMessenger *self,
                                            const char     *user_id_or_username);
GlobiGroup   *globi_messenger_find_group   (GlobiMessenger *self,
                                            const char     *group_id);
/* The username of a user seen in friends, requests or groups (NULL when unknown). */
const char   *globi_messenger_lookup_username (GlobiMessenger *self,
                                               const char     *user_id);

/* Sending. Every send stores the message at once (PENDING, appended to the chat's model)
 * and completes when it is in the outbox, returning the GlobiMessage; the delivery state
 * then follows on the message. reply_to and mentions may be NULL. */
void          globi_messenger_send_text_async   (GlobiMessenger      *self,
                                                 const char          *chat_id,
                                                 const char          *text,
                                                 const char          *reply_to,
                                                 const char * const  *mentions,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* Encrypts the file with a fresh key, uploads it (POST /v1/attachments; the message's
 * attachment-progress follows), then sends the key, digest and hash. */
void          globi_messenger_send_file_async   (GlobiMessenger      *self,
                                                 const char          *chat_id,
                                                 GFile               *file,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* A GlobiPay card ({"type": "card", "card": {"kind", ...}} inside the E2E plaintext):
 * kind "transfer", "request" or "red_packet"; card any JSON object (copied; its "kind"
 * is set to kind) of at most 4 KiB serialized, else GLOBI_ERROR_INVALID_FIELD. The
 * message is GLOBI_MESSAGE_KIND_CARD (globi_message_get_card ()). */
void          globi_messenger_send_card_async   (GlobiMessenger      *self,
                                                 const char          *chat_id,
                                                 const char          *kind,
                                                 JsonObject          *card,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
void          globi_messenger_forward_async     (GlobiMessenger      *self,
                                                 GlobiMessage        *message,
                                                 const char          *to_chat_id,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GlobiMessage *globi_messenger_send_finish       (GlobiMessenger      *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
/* The decrypted bytes of a file or image message (sent or received). */
void          globi_messenger_download_attachment_async  (GlobiMessenger      *self,
                                                          GlobiMessage        *message,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
GBytes       *globi_messenger_download_attachment_finish (GlobiMessenger      *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);
/* The decrypted file of a file or image message as a local file: downloaded and decrypted
 * once (on a worker thread) into PROFILE/attachments/MESSAGE_ID (mode 0600), then reused.
 * While downloading, the message's attachment-progress goes from 0 to 1. */
void          globi_messenger_fetch_attachment_async  (GlobiMessenger      *self,
                                                       GlobiMessage        *message,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GFile        *globi_messenger_fetch_attachment_finish (GlobiMessenger      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* A FAILED message goes back to the outbox. */
void          globi_messenger_retry_message     (GlobiMessenger      *self,
                                                 GlobiMessage        *message);

/* Changes to a sent message (E2EE control messages). Delete for everyone: within 24 h of
 * sent-at, my own messages only (GLOBI_ERROR_FORBIDDEN otherwise). emoji NULL removes my
 * reaction. Finish with globi_messenger_finish. */
void      globi_messenger_edit_async        (GlobiMessenger      *self,
                                             GlobiMessage        *message,
                                             const char          *text,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
void      globi_messenger_delete_async      (GlobiMessenger      *self,
                                             GlobiMessage        *message,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
void      globi_messenger_react_async       (GlobiMessenger      *self,
                                             GlobiMessage        *message,
                                             const char          *emoji,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);

/* Marks everything up to the chat's last message read (unread-count 0; sends a read
 * receipt when read receipts are on). */
void      globi_messenger_mark_read         (GlobiMessenger *self,
                                             GlobiChat      *chat);
/* Sends a typing frame (nothing when typing indicators are off or offline). */
void      globi_messenger_set_typing        (GlobiMessenger *self,
                                             GlobiChat      *chat,
                                             gboolean        typing);
void      globi_messenger_set_pinned        (GlobiMessenger *self,
                                             GlobiChat      *chat,
                                             gboolean        pinned);
void      globi_messenger_set_muted         (GlobiMessenger *self,
                                             GlobiChat      *chat,
                                             gboolean        muted);
gboolean  globi_messenger_get_read_receipts       (GlobiMessenger *self);
void      globi_messenger_set_read_receipts       (GlobiMessenger *self,
                                                   gboolean        enabled);
gboolean  globi_messenger_get_typing_indicators   (GlobiMessenger *self);
void      globi_messenger_set_typing_indicators   (GlobiMessenger *self,
                                                   gboolean        enabled);

/* Full-text search of the cache (chat NULL: every chat): GPtrArray of GlobiMessage,
 * newest first. */
void       globi_messenger_search_async     (GlobiMessenger      *self,
                                             GlobiChat           *chat,
                                             const char          *query,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GPtrArray *globi_messenger_search_finish    (GlobiMessenger      *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Friends. `who`: a username or user id. Finish with globi_messenger_finish unless said. */
void      globi_messenger_request_friend_async (GlobiMessenger      *self,
                                                const char          *who,
                                                const char          *greeting,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/* request: a request id, or the sender's username / user id. */
void      globi_messenger_accept_friend_async  (GlobiMessenger      *self,
                                                const char          *request,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
void      globi_messenger_decline_friend_async (GlobiMessenger      *self,
                                                const char          *request,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
void      globi_messenger_remove_friend_async  (GlobiMessenger      *self,
                                                const char          *who,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
void      globi_messenger_block_async          (GlobiMessenger      *self,
                                                const char          *who,
                                                gboolean             blocked,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/* remark NULL / tags NULL: unchanged. */
void      globi_messenger_update_friend_async  (GlobiMessenger      *self,
                                                const char          *who,
                                                const char          *remark,
                                                const char * const  *tags,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/* Refetches friends, requests (both ways) and groups from the server. */
void      globi_messenger_refresh_async        (GlobiMessenger      *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/* Outgoing requests (GListModel of GlobiFriendRequest), refreshed with the above. */
GListModel *globi_messenger_get_outgoing_requests (GlobiMessenger *self);

/* Groups. `members`: usernames or user ids. create finishes with
 * globi_messenger_group_finish (the GlobiGroup). */
void        globi_messenger_create_group_async   (GlobiMessenger      *self,
                                                  const char          *name,
                                                  const char * const  *members,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void        globi_messenger_join_group_async     (GlobiMessenger      *self,
                                                  const char          *token,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GlobiGroup *globi_messenger_group_finish         (GlobiMessenger      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
void        globi_messenger_add_members_async    (GlobiMessenger      *self,
                                                  const char          *group_id,
                                                  const char * const  *members,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* user NULL: leave. */
void        globi_messenger_remove_member_async  (GlobiMessenger      *self,
                                                  const char          *group_id,
                                                  const char          *user,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void        globi_messenger_transfer_group_async (GlobiMessenger      *self,
                                                  const char          *group_id,
                                                  const char          *user,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* PATCH the group (owner or admin): name and announcement (0–2000 characters), NULL
 * leaves one unchanged. A new announcement shows in the group chat as a notice. */
void        globi_messenger_update_group_async   (GlobiMessenger      *self,
                                                  const char          *group_id,
                                                  const char          *name,
                                                  const char          *announcement,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void        globi_messenger_set_admin_async      (GlobiMessenger      *self,
                                                  const char          *group_id,
                                                  const char          *user,
                                                  gboolean             admin,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* Returns the invite URI (globichat://join?group=ID&token=T). */
void        globi_messenger_create_invite_async  (GlobiMessenger      *self,
                                                  const char          *group_id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
char       *globi_messenger_create_invite_finish (GlobiMessenger      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Safety number of a contact (60 digits in 12 groups of 5, separated by spaces), NULL
 * with an error when no key of theirs is known yet. */
void        globi_messenger_safety_number_async  (GlobiMessenger      *self,
                                                  const char          *user_id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
char       *globi_messenger_safety_number_finish (GlobiMessenger      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
void        globi_messenger_set_verified         (GlobiMessenger      *self,
                                                  const char          *user_id,
                                                  gboolean             verified);

G_END_DECLS
