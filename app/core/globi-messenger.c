/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-messenger"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "globi-error.h"
#include "globi-id.h"
#include "globi-core-enums.h"
#include "globi-core-util.h"
#include "globi-session.h"
#include "globi-crypto.h"
#include "globi-attachment-crypto.h"
#include "globi-base64url.h"
#include <sodium.h>
#include "globi-messenger-private.h"

/* What travels inside an envelope (the plaintext, JSON, signed by the sender device):
 *   {"v": 1, "type": "text", "id", "text", "reply_to"?, "mentions"?, "forwarded"?}
 *   {"v": 1, "type": "file", "id", "name", "mime", "size", "hash", "key", "digest"}
 *   {"v": 1, "type": "card", "id", "card": {"kind": "transfer"|"request"|"red_packet", …}}
 *   {"v": 1, "type": "edit" | "delete" | "react", "id", "target", "text"? | "emoji"?}
 *   {"v": 1, "type": "receipt", "id", "state": "delivered" | "read", "ids": [...]}
 *   {"type": "sender_key", "group_id", "key_id", "key"} (a group key distribution)
 * "id" must equal the server's message id: a ciphertext replayed under another id is
 * dropped. */

#define EVENTS_PAGE       500
#define DELETE_WINDOW_MS  (24 * 60 * 60 * 1000)
#define RETRY_MIN_SECONDS 1
#define RETRY_MAX_SECONDS 60
#define SEARCH_LIMIT      200
/* Typing: "true" again at most every 3 s while typing goes on; shown for 5 s unless
 * refreshed (a lost "false" must not leave someone typing forever). */
#define TYPING_RESEND_US (3 * G_USEC_PER_SEC)
#define TYPING_EXPIRY_MS 5000

enum
{
  PROP_0,
  PROP_SESSION,
  PROP_CACHE,
  PROP_STREAM_STATE,
  PROP_READ_RECEIPTS,
  PROP_TYPING_INDICATORS,
  N_PROPS
};

enum
{
  SIGNAL_MESSAGE_RECEIVED,
  SIGNAL_KEY_CHANGED,
  SIGNAL_CAUGHT_UP,
  SIGNAL_EVENT,
  N_SIGNALS
};

struct _GlobiMessenger
{
  GObject parent_instance;

  GlobiSession *session;
  GlobiClient *client;
  GlobiCache *cache;
  char *user_id;
  char *device_id;
  GCancellable *cancellable;

  GlobiIdentity *keys;         /* this device's identity and prekeys, once loaded */
  GHashTable *sessions;        /* device id → ratchet session (base64url state) */
  JsonObject *pending_prekeys; /* POST /v1/keys/one-time body, saved, not yet sent */
  gboolean replenishing;
  GHashTable *known_identities; /* device id → identity key (base64url), TOFU */
  GHashTable *bundle_cache;     /* user id → JsonArray of Bundle; dropped when stale */
  GHashTable *group_keys;       /* "GROUP/DEVICE" → group key of that sender device */
  JsonObject *my_group_keys;    /* group id → my group key */

  GListStore *chats;
  GListStore *contacts;
  GListStore *requests;
  GListStore *outgoing;
  GListStore *groups;
  GHashTable *chat_index;    /* chat id → GlobiChat (owned by the store) */
  GHashTable *live;          /* message id → GlobiMessage (weak) */
  GHashTable *usernames;     /* user id → username */
  GHashTable *announced;     /* group id → the announcement last shown in its chat */
  GHashTable *verified;      /* user id → "1": safety number compared (until a key change) */
  GHashTable *typing_sent;   /* chat id → monotonic µs of my last "typing: true" */
  GHashTable *typing_expiry; /* "CHAT_ID USER_ID" → GSource id clearing their typing */

  GlobiStreamState stream_state;
  gboolean live_wanted;
  gboolean read_receipts;
  gboolean typing_indicators;

  /* Outbox pump: one message at a time, in order. */
  gboolean pumping;
  gboolean pump_again;
  guint retry_source;
  guint retry_seconds;
  GPtrArray *flush_waiters; /* GTask */

  /* Polling sync, single flight. */
  gboolean syncing;
  /* The WebSocket stream */
  SoupSession *soup;
  SoupMessage *stream_msg;
  SoupWebsocketConnection *ws;
  JsonArray *stream_pending; /* received {seq, event}, not yet committed */
  gint64 stream_acked;
  gboolean stream_connecting;
  gboolean stream_processing;
  gboolean stream_caught_up;
  gboolean stream_refreshed;
  guint stream_source;
  guint stream_backoff;
  gulong network_handler;
  /* Message sends over the stream (see "Sending over the stream") */
  GQueue stream_posts;   /* GTask of post_message_async: sent, awaiting send_result */
  GQueue stream_waiting; /* GTask: beyond STREAM_SENDS_MAX in flight */
  guint64 stream_next_req;
  guint stream_post_timer;
  gboolean stream_posts_off; /* a send went unanswered: REST until the next connection */
};

G_DEFINE_FINAL_TYPE (GlobiMessenger, globi_messenger, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void pump_outbox (GlobiMessenger *self);
static void announce (GlobiMessenger *self, const char *group_id, const char *text);

/* Small helpers */

static void
api (GlobiMessenger *self,
     const char *method,
     const char *path,
     JsonNode *body,
     GCancellable *cancellable,
     GAsyncReadyCallback callback,
     gpointer user_data)
{
  globi_client_call_async (self->client, method, path, body, GLOBI_CALL_FLAGS_AUTH, cancellable,
                           callback, user_data);
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return node;
}

static JsonObject *
member_object (JsonNode *node, const char *member)
{
  JsonNode *m;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  m = json_object_get_member (json_node_get_object (node), member);
  return (m != NULL && JSON_NODE_HOLDS_OBJECT (m)) ? json_node_get_object (m) : NULL;
}

static JsonArray *
member_array (JsonObject *object, const char *member)
{
  JsonNode *m = object ? json_object_get_member (object, member) : NULL;

  return (m != NULL && JSON_NODE_HOLDS_ARRAY (m)) ? json_node_get_array (m) : NULL;
}

static const char *
str_member (JsonObject *object, const char *member)
{
  return object ? json_object_get_string_member_with_default (object, member, NULL) : NULL;
}

static gboolean
is_temporary (const GError *error)
{
  return g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NETWORK) ||
         g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_UNAVAILABLE) ||
         g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_RATE_LIMITED) ||
         g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL) ||
         g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_STALE_DEVICES);
}

/* Chats and models */

static int
compare_chats (gconstpointer a, gconstpointer b, gpointer user_data)
{
  GlobiChat *x = (GlobiChat *) a;
  GlobiChat *y = (GlobiChat *) b;

  if (globi_chat_get_pinned (x) != globi_chat_get_pinned (y))
    return globi_chat_get_pinned (x) ? -1 : 1;
  if (globi_chat_get_last_activity (x) != globi_chat_get_last_activity (y))
    return globi_chat_get_last_activity (x) > globi_chat_get_last_activity (y) ? -1 : 1;
  return g_strcmp0 (globi_chat_get_id (x), globi_chat_get_id (y));
}

static int
compare_contacts (gconstpointer a, gconstpointer b, gpointer user_data)
{
  g_autofree char *x = g_utf8_casefold (globi_contact_get_name ((GlobiContact *) a), -1);
  g_autofree char *y = g_utf8_casefold (globi_contact_get_name ((GlobiContact *) b), -1);

  return g_utf8_collate (x, y);
}

static int
compare_contact_slots (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return compare_contacts (*(gpointer *) a, *(gpointer *) b, user_data);
}

static int
compare_groups (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return g_utf8_collate (globi_group_get_name ((GlobiGroup *) a) ?: "",
                         globi_group_get_name ((GlobiGroup *) b) ?: "");
}

/* Moves a chat whose sort key changed to its place. */
static void
resort_chat (GlobiMessenger *self, GlobiChat *chat)
{
  guint position;

  if (!g_list_store_find (self->chats, chat, &position))
    return;
  g_object_ref (chat);
  g_list_store_remove (self->chats, position);
  g_list_store_insert_sorted (self->chats, chat, compare_chats, NULL);
  g_object_unref (chat);
}

static void
on_chat_sort_key_cb (GlobiChat *chat, GParamSpec *pspec, gpointer user_data)
{
  resort_chat (GLOBI_MESSENGER (user_data), chat);
}

static char *
title_for_chat (GlobiMessenger *self, const char *chat_id)
{
  if (g_str_has_prefix (chat_id, "g:"))
    {
      GlobiGroup *group = globi_messenger_find_group (self, chat_id + 2);
      return g_strdup (group ? globi_group_get_name (group) : NULL);
    }
  else
    {
      GlobiContact *contact = globi_messenger_find_contact (self, chat_id + 2);
      if (contact != NULL)
        return g_strdup (globi_contact_get_name (contact));
      return g_strdup (g_hash_table_lookup (self->usernames, chat_id + 2));
    }
}

/* The picture a chat shows: the group's, or the friend's (small) one. */
static const char *
avatar_for_chat (GlobiMessenger *self, const char *chat_id)
{
  if (g_str_has_prefix (chat_id, "g:"))
    {
      GlobiGroup *group = globi_messenger_find_group (self, chat_id + 2);
      return group ? globi_group_get_avatar_hash (group) : NULL;
    }
  else
    {
      GlobiContact *contact = globi_messenger_find_contact (self, chat_id + 2);
      GlobiProfile *user = contact ? globi_contact_get_user (contact) : NULL;

      if (user == NULL)
        return NULL;
      return globi_profile_get_thumbnail_hash (user) ?: globi_profile_get_avatar_hash (user);
    }
}

static GlobiChat *
ensure_chat (GlobiMessenger *self, const char *chat_id)
{
  GlobiChat *chat = g_hash_table_lookup (self->chat_index, chat_id);
  g_autofree char *title = NULL;

  if (chat != NULL)
    return chat;
  title = title_for_chat (self, chat_id);
  chat = globi_chat_new (self, chat_id, title);
  if (g_str_has_prefix (chat_id, "g:"))
    globi_chat_set_group (chat, globi_messenger_find_group (self, chat_id + 2));
  globi_chat_set_avatar_hash (chat, avatar_for_chat (self, chat_id));
  g_hash_table_insert (self->chat_index, g_strdup (chat_id), chat);
  g_signal_connect_object (chat, "notify::pinned", G_CALLBACK (on_chat_sort_key_cb), self, 0);
  g_signal_connect_object (chat, "notify::last-activity", G_CALLBACK (on_chat_sort_key_cb), self,
                           0);
  g_list_store_insert_sorted (self->chats, chat, compare_chats, NULL);
  g_object_unref (chat); /* the store holds it */
  return chat;
}

static void
retitle_chats (GlobiMessenger *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->chat_index);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *title = title_for_chat (self, key);
      if (title != NULL)
        globi_chat_set_title (value, title);
      globi_chat_set_avatar_hash (value, avatar_for_chat (self, key));
      if (g_str_has_prefix (key, "g:"))
        globi_chat_set_group (value, globi_messenger_find_group (self, (char *) key + 2));
    }
}

/* GObject */

static void
globi_messenger_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiMessenger *self = GLOBI_MESSENGER (object);

  switch (prop_id)
    {
      case PROP_SESSION:
        g_value_set_object (value, self->session);
        break;

      case PROP_CACHE:
        g_value_set_object (value, self->cache);
        break;

      case PROP_STREAM_STATE:
        g_value_set_enum (value, self->stream_state);
        break;

      case PROP_READ_RECEIPTS:
        g_value_set_boolean (value, self->read_receipts);
        break;

      case PROP_TYPING_INDICATORS:
        g_value_set_boolean (value, self->typing_indicators);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_messenger_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  GlobiMessenger *self = GLOBI_MESSENGER (object);

  switch (prop_id)
    {
      case PROP_READ_RECEIPTS:
        globi_messenger_set_read_receipts (self, g_value_get_boolean (value));
        break;

      case PROP_TYPING_INDICATORS:
        globi_messenger_set_typing_indicators (self, g_value_get_boolean (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
forget_message_cb (gpointer data, GObject *where_the_object_was)
{
  GlobiMessenger *self = data;
  GHashTableIter iter;
  gpointer value;

  /* The id is gone with the object: find the entry by pointer. */
  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value == where_the_object_was)
      {
        g_hash_table_iter_remove (&iter);
        break;
      }
}

static void
show_typing (GlobiMessenger *self, const char *chat_id, const char *user_id, gboolean typing);

/* Forgets who is typing (and the timers that would clear it). */
static void
clear_typing (GlobiMessenger *self)
{
  GHashTableIter iter;
  gpointer key, value;

  if (self->typing_expiry == NULL)
    return;
  g_hash_table_iter_init (&iter, self->typing_expiry);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto (GStrv) parts = g_strsplit (key, " ", 2);

      g_source_remove (GPOINTER_TO_UINT (value));
      if (g_strv_length (parts) == 2 && g_hash_table_lookup (self->chat_index, parts[0]))
        globi_chat_set_typing (g_hash_table_lookup (self->chat_index, parts[0]), parts[1], FALSE);
      g_hash_table_iter_remove (&iter);
    }
}

static void
globi_messenger_dispose (GObject *object)
{
  GlobiMessenger *self = GLOBI_MESSENGER (object);
  GHashTableIter iter;
  gpointer value;

  globi_messenger_stop (self);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  clear_typing (self);
  if (self->live != NULL)
    {
      g_hash_table_iter_init (&iter, self->live);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_object_weak_unref (value, forget_message_cb, self);
      g_hash_table_remove_all (self->live);
    }
  if (self->chat_index != NULL)
    g_hash_table_remove_all (self->chat_index);
  g_clear_object (&self->chats);
  g_clear_object (&self->contacts);
  g_clear_object (&self->requests);
  g_clear_object (&self->outgoing);
  g_clear_object (&self->groups);
  /* Writes still queued (a verified flag, a receipt) reach the disk before the messenger
   * is gone: the cache object itself may outlive it in a pending task, and the next
   * messenger of this account would read its file before they land. */
  if (self->cache != NULL)
    globi_cache_close (self->cache);
  g_clear_object (&self->cache);
  g_clear_object (&self->client);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (globi_messenger_parent_class)->dispose (object);
}

static void
globi_messenger_finalize (GObject *object)
{
  GlobiMessenger *self = GLOBI_MESSENGER (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->stream_msg);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->user_id, g_free);
  g_clear_pointer (&self->device_id, g_free);
  g_clear_object (&self->keys);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->pending_prekeys, json_object_unref);
  g_clear_pointer (&self->my_group_keys, json_object_unref);
  g_clear_pointer (&self->known_identities, g_hash_table_unref);
  g_clear_pointer (&self->bundle_cache, g_hash_table_unref);
  g_clear_pointer (&self->group_keys, g_hash_table_unref);
  g_clear_pointer (&self->chat_index, g_hash_table_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_pointer (&self->usernames, g_hash_table_unref);
  g_clear_pointer (&self->typing_sent, g_hash_table_unref);
  g_clear_pointer (&self->verified, g_hash_table_unref);
  g_clear_pointer (&self->announced, g_hash_table_unref);
  g_clear_pointer (&self->typing_expiry, g_hash_table_unref);
  g_clear_pointer (&self->flush_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (globi_messenger_parent_class)->finalize (object);
}

static void
globi_messenger_class_init (GlobiMessengerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = globi_messenger_get_property;
  object_class->set_property = globi_messenger_set_property;
  object_class->dispose = globi_messenger_dispose;
  object_class->finalize = globi_messenger_finalize;

  properties[PROP_SESSION] = g_param_spec_object ("session", NULL, NULL, GLOBI_TYPE_SESSION, flags);
  properties[PROP_CACHE] = g_param_spec_object ("cache", NULL, NULL, GLOBI_TYPE_CACHE, flags);
  properties[PROP_STREAM_STATE] = g_param_spec_enum (
      "stream-state", NULL, NULL, GLOBI_TYPE_STREAM_STATE, GLOBI_STREAM_STATE_OFFLINE, flags);
  properties[PROP_READ_RECEIPTS] =
      g_param_spec_boolean ("read-receipts", NULL, NULL, TRUE, flags | G_PARAM_WRITABLE);
  properties[PROP_TYPING_INDICATORS] =
      g_param_spec_boolean ("typing-indicators", NULL, NULL, TRUE, flags | G_PARAM_WRITABLE);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_MESSAGE_RECEIVED] =
      g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 2, GLOBI_TYPE_CHAT, GLOBI_TYPE_MESSAGE);
  signals[SIGNAL_KEY_CHANGED] =
      g_signal_new ("key-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CAUGHT_UP] = g_signal_new ("caught-up", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_EVENT] =
      g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 2, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, JSON_TYPE_OBJECT);
}

static void
globi_messenger_init (GlobiMessenger *self)
{
  self->cancellable = g_cancellable_new ();
  self->chats = g_list_store_new (GLOBI_TYPE_CHAT);
  self->contacts = g_list_store_new (GLOBI_TYPE_CONTACT);
  self->requests = g_list_store_new (GLOBI_TYPE_FRIEND_REQUEST);
  self->outgoing = g_list_store_new (GLOBI_TYPE_FRIEND_REQUEST);
  self->groups = g_list_store_new (GLOBI_TYPE_GROUP);
  self->chat_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->live = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->usernames = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->typing_sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->verified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->announced = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->typing_expiry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->known_identities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->bundle_cache =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_array_unref);
  self->group_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->my_group_keys = json_object_new ();
  self->flush_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->read_receipts = TRUE;
  self->typing_indicators = TRUE;
  self->retry_seconds = RETRY_MIN_SECONDS;
}

GlobiMessenger *
globi_messenger_new (GlobiSession *session)
{
  GlobiMessenger *self;
  g_autofree char *path = NULL;

  g_return_val_if_fail (GLOBI_IS_SESSION (session), NULL);

  self = g_object_new (GLOBI_TYPE_MESSENGER, NULL);
  self->session = g_object_ref (session);
  self->client = g_object_ref (globi_session_get_client (session));
  self->user_id = g_strdup (globi_session_get_user_id (session));
  self->device_id = g_strdup (globi_session_get_device_id (session));
  path = g_build_filename (globi_session_get_profile_dir (session), "cache.sqlite3", NULL);
  self->cache = globi_cache_new (path);
  if (globi_session_get_me (session) != NULL)
    g_hash_table_insert (self->usernames, g_strdup (self->user_id),
                         g_strdup (globi_profile_get_username (globi_session_get_me (session))));
  return self;
}

GlobiSession *
globi_messenger_get_session (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), NULL);
  return self->session;
}

GlobiCache *
globi_messenger_get_cache (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), NULL);
  return self->cache;
}

GlobiStreamState
globi_messenger_get_stream_state (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), GLOBI_STREAM_STATE_OFFLINE);
  return self->stream_state;
}

static void
set_stream_state (GlobiMessenger *self, GlobiStreamState state)
{
  if (self->stream_state == state)
    return;
  self->stream_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAM_STATE]);
}

GListModel *
globi_messenger_get_chats (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), NULL);
  return G_LIST_MODEL (self->chats);
}

GListModel *
globi_messenger_get_contacts (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), NULL);
  return G_LIST_MODEL (self->contacts);
}

GListModel *
globi_messenger_get_requests (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), NULL);
  return G_LIST_MODEL (self->requests);
}

GListModel *
globi_messenger_get_outgoing_requests (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), NULL);
  return G_LIST_MODEL (self->outgoing);
}

GListModel *
globi_messenger_get_groups (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), NULL);
  return G_LIST_MODEL (self->groups);
}

GlobiChat *
globi_messenger_open_chat (GlobiMessenger *self, const char *chat_id)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), NULL);
  g_return_val_if_fail (chat_id != NULL &&
                            (g_str_has_prefix (chat_id, "u:") || g_str_has_prefix (chat_id, "g:")),
                        NULL);
  return ensure_chat (self, chat_id);
}

GlobiContact *
globi_messenger_find_contact (GlobiMessenger *self, const char *user_id_or_username)
{
  GListModel *model = G_LIST_MODEL (self->contacts);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GlobiContact) c = g_list_model_get_item (model, i);
      if (g_strcmp0 (globi_contact_get_user_id (c), user_id_or_username) == 0 ||
          g_strcmp0 (globi_contact_get_username (c), user_id_or_username) == 0)
        return c; /* the store keeps it alive */
    }
  return NULL;
}

GlobiGroup *
globi_messenger_find_group (GlobiMessenger *self, const char *group_id)
{
  GListModel *model = G_LIST_MODEL (self->groups);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GlobiGroup) g = g_list_model_get_item (model, i);
      if (g_strcmp0 (globi_group_get_id (g), group_id) == 0)
        return g;
    }
  return NULL;
}

GlobiMessage *
globi_messenger_intern_message (GlobiMessenger *self, GlobiMessage *message)
{
  GlobiMessage *live = g_hash_table_lookup (self->live, globi_message_get_id (message));

  if (live == message)
    return g_object_ref (live);
  if (live != NULL)
    {
      /* The cache's row is newer than what we hold only for state; keep the live one. */
      if (globi_message_get_state (message) > globi_message_get_state (live))
        globi_message_set_state (live, globi_message_get_state (message));
      return g_object_ref (live);
    }
  g_hash_table_insert (self->live, g_strdup (globi_message_get_id (message)), message);
  g_object_weak_ref (G_OBJECT (message), forget_message_cb, self);
  return g_object_ref (message);
}

static void
on_cache_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_pointer (G_TASK (result), &error) && error != NULL &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Cache write failed: %s", error->message);
}

void
globi_messenger_save_chat (GlobiMessenger *self, GlobiChat *chat)
{
  g_autoptr (JsonObject) fields = json_object_new ();

  json_object_set_boolean_member (fields, "pinned", globi_chat_get_pinned (chat));
  json_object_set_boolean_member (fields, "muted", globi_chat_get_muted (chat));
  json_object_set_int_member (fields, "unread", globi_chat_get_unread_count (chat));
  if (globi_chat_get_draft (chat) != NULL)
    json_object_set_string_member (fields, "draft", globi_chat_get_draft (chat));
  if (globi_chat_get_title (chat) != NULL)
    json_object_set_string_member (fields, "title", globi_chat_get_title (chat));
  globi_cache_update_chat_async (self->cache, globi_chat_get_id (chat), fields, NULL,
                                 on_cache_done_cb, NULL);
}

gboolean
globi_messenger_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Refreshing friends, requests and groups */

typedef struct
{
  guint pending;
  GError *error;
} Refresh;

static void
refresh_free (Refresh *r)
{
  g_clear_error (&r->error);
  g_free (r);
}

static void
remember_username (GlobiMessenger *self, GlobiProfile *profile)
{
  if (profile != NULL)
    g_hash_table_insert (self->usernames, g_strdup (globi_profile_get_id (profile)),
                         g_strdup (globi_profile_get_username (profile)));
}

static void
apply_friends (GlobiMessenger *self, JsonObject *reply)
{
  JsonArray *friends = member_array (reply, "friends");
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; friends != NULL && i < json_array_get_length (friends); i++)
    {
      JsonNode *node = json_array_get_element (friends, i);
      g_autoptr (GError) error = NULL;
      GlobiContact *existing;
      GlobiContact *contact;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      contact = globi_contact_new_from_json (json_node_get_object (node), &error);
      if (contact == NULL)
        {
          g_warning ("Ignoring a friend: %s", error->message);
          continue;
        }
      /* Keep the same object for a known friend (bindings stay). */
      existing = globi_messenger_find_contact (self, globi_contact_get_user_id (contact));
      if (existing != NULL &&
          globi_contact_update_from_json (existing, json_node_get_object (node), NULL))
        {
          g_object_unref (contact);
          contact = g_object_ref (existing);
        }
      remember_username (self, globi_contact_get_user (contact));
      globi_contact_set_verified (
          contact, g_hash_table_contains (self->verified, globi_contact_get_user_id (contact)));
      g_ptr_array_add (items, contact);
    }
  /* g_ptr_array_sort passes pointers to the items. */
  g_ptr_array_sort_with_data (items, compare_contact_slots, NULL);
  g_list_store_splice (self->contacts, 0, g_list_model_get_n_items (G_LIST_MODEL (self->contacts)),
                       items->pdata, items->len);
}

static void
apply_requests (GlobiMessenger *self, JsonObject *reply)
{
  const char *names[] = { "incoming", "outgoing" };
  GListStore *stores[] = { self->requests, self->outgoing };

  for (guint k = 0; k < 2; k++)
    {
      JsonArray *list = member_array (reply, names[k]);
      g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
        {
          JsonNode *node = json_array_get_element (list, i);
          GlobiFriendRequest *request;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          request =
              globi_friend_request_new_from_json (json_node_get_object (node), self->user_id, NULL);
          if (request == NULL)
            continue;
          remember_username (self, globi_friend_request_get_from (request));
          remember_username (self, globi_friend_request_get_to (request));
          g_ptr_array_add (items, request);
        }
      g_list_store_splice (stores[k], 0, g_list_model_get_n_items (G_LIST_MODEL (stores[k])),
                           items->pdata, items->len);
    }
}

static GlobiGroup *
apply_group (GlobiMessenger *self, JsonObject *object)
{
  const char *id = str_member (object, "id");
  GlobiGroup *group = id ? globi_messenger_find_group (self, id) : NULL;

  if (group != NULL)
    {
      globi_group_update_from_json (group, object, NULL);
      return group;
    }
  group = globi_group_new_from_json (object, NULL);
  if (group == NULL)
    return NULL;
  g_list_store_insert_sorted (self->groups, group, compare_groups, NULL);
  g_object_unref (group);
  return group;
}

static void
apply_groups (GlobiMessenger *self, JsonObject *reply)
{
  JsonArray *list = member_array (reply, "groups");
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      GlobiGroup *group;

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          (group = apply_group (self, json_node_get_object (node))) != NULL)
        g_hash_table_add (seen, (gpointer) globi_group_get_id (group));
    }
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->groups)); i > 0; i--)
    {
      g_autoptr (GlobiGroup) g = g_list_model_get_item (G_LIST_MODEL (self->groups), i - 1);
      if (!g_hash_table_contains (seen, globi_group_get_id (g)))
        g_list_store_remove (self->groups, i - 1);
    }
}

static void
on_refresh_part_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Refresh *r = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  JsonObject *object =
      reply && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;

  if (object == NULL)
    {
      if (r->error == NULL)
        r->error = g_steal_pointer (&error);
    }
  else if (json_object_has_member (object, "friends"))
    apply_friends (self, object);
  else if (json_object_has_member (object, "incoming"))
    apply_requests (self, object);
  else if (json_object_has_member (object, "groups"))
    apply_groups (self, object);

  if (--r->pending > 0)
    return;
  retitle_chats (self);
  if (r->error != NULL)
    g_task_return_error (task, g_steal_pointer (&r->error));
  else
    g_task_return_boolean (task, TRUE);
}

void
globi_messenger_refresh_async (GlobiMessenger *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  Refresh *r = g_new0 (Refresh, 1);
  const char *paths[] = { "/v1/friends", "/v1/friends/requests", "/v1/groups" };

  g_task_set_source_tag (task, globi_messenger_refresh_async);
  g_task_set_task_data (task, r, (GDestroyNotify) refresh_free);
  r->pending = G_N_ELEMENTS (paths);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    api (self, "GET", paths[i], NULL, cancellable, on_refresh_part_cb, g_object_ref (task));
}

static void
on_background_refresh_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!globi_messenger_finish (GLOBI_MESSENGER (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Refresh failed: %s", error->message);
}

static void
refresh_in_background (GlobiMessenger *self)
{
  globi_messenger_refresh_async (self, self->cancellable, on_background_refresh_cb, NULL);
}

/* Actions: one REST call, then a refresh of the models */

typedef struct
{
  char *method;
  char *path_format; /* "{user}" stands for the resolved user id */
  JsonNode *body;
  char *user_member; /* when set, the resolved id also goes into the body under this name */
  gboolean want_group;
  gboolean want_invite;
} Action;

static void
action_free (Action *a)
{
  g_free (a->method);
  g_free (a->path_format);
  g_clear_pointer (&a->body, json_node_unref);
  g_free (a->user_member);
  g_free (a);
}

static void
on_action_refreshed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  /* The action itself succeeded; a failed refresh only leaves the models stale. */
  globi_messenger_finish (GLOBI_MESSENGER (source), result, &error);
  if (g_task_get_source_tag (task) == globi_messenger_create_group_async ||
      g_task_get_source_tag (task) == globi_messenger_join_group_async)
    return; /* already returned */
  g_task_return_boolean (task, TRUE);
}

static void
on_action_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Action *a = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (a->want_invite)
    {
      const char *uri = str_member (json_node_get_object (reply), "uri");
      g_task_return_pointer (task, g_strdup (uri), g_free);
      return;
    }
  if (a->want_group)
    {
      JsonObject *object = member_object (reply, "group");
      GlobiGroup *group = object ? apply_group (self, object) : NULL;

      if (group == NULL)
        {
          g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                                   "The server's reply has no group");
          return;
        }
      {
        g_autofree char *chat_id = globi_chat_id_for_group (globi_group_get_id (group));
        ensure_chat (self, chat_id);
      }
      g_task_return_pointer (task, g_object_ref (group), g_object_unref);
      globi_messenger_refresh_async (self, self->cancellable, on_action_refreshed_cb,
                                     g_object_ref (task));
      return;
    }
  globi_messenger_refresh_async (self, g_task_get_cancellable (task), on_action_refreshed_cb,
                                 g_object_ref (task));
}

static void
action_send (GTask *task, const char *user_id)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  Action *a = g_task_get_task_data (task);
  g_autofree char *path = NULL;
  g_autofree char *escaped = user_id ? g_uri_escape_string (user_id, NULL, TRUE) : NULL;

  {
    g_auto (GStrv) parts = g_strsplit (a->path_format, "{user}", 2);
    path = g_strjoinv (escaped ? escaped : "", parts);
  }
  if (a->user_member != NULL && a->body != NULL)
    json_object_set_string_member (json_node_get_object (a->body), a->user_member, user_id);
  api (self, a->method, path, a->body, g_task_get_cancellable (task), on_action_done_cb, task);
}

static void
on_user_looked_up_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiProfile) profile =
      globi_session_lookup_user_finish (GLOBI_SESSION (source), result, &error);

  if (profile == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  remember_username (g_task_get_source_object (task), profile);
  action_send (task, globi_profile_get_id (profile));
}

/* Takes task. `who` NULL: path_format has no user. */
static void
action_run (GTask *task, const char *who)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  GlobiContact *contact;

  if (who == NULL)
    {
      action_send (task, NULL);
      return;
    }
  if (g_strcmp0 (who, self->user_id) == 0 ||
      g_strcmp0 (who, g_hash_table_lookup (self->usernames, self->user_id)) == 0)
    {
      action_send (task, self->user_id);
      return;
    }
  contact = globi_messenger_find_contact (self, who);
  if (contact != NULL)
    {
      action_send (task, globi_contact_get_user_id (contact));
      return;
    }
  if (globi_id_is_valid (who))
    {
      action_send (task, who);
      return;
    }
  globi_session_lookup_user_async (self->session, who, g_task_get_cancellable (task),
                                   on_user_looked_up_cb, task);
}

static GTask *
action_new (GlobiMessenger *self,
            gpointer source_tag,
            const char *method,
            const char *path_format,
            JsonNode *body,
            GCancellable *cancellable,
            GAsyncReadyCallback callback,
            gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Action *a = g_new0 (Action, 1);

  g_task_set_source_tag (task, source_tag);
  a->method = g_strdup (method);
  a->path_format = g_strdup (path_format);
  a->body = body;
  g_task_set_task_data (task, a, (GDestroyNotify) action_free);
  return task;
}

void
globi_messenger_request_friend_async (GlobiMessenger *self,
                                      const char *who,
                                      const char *greeting,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  JsonObject *body = json_object_new ();
  g_autofree char *id = globi_id_new ();

  json_object_set_string_member (body, "id", id);
  json_object_set_string_member (body, "to", who);
  if (greeting != NULL)
    json_object_set_string_member (body, "greeting", greeting);
  action_run (action_new (self, globi_messenger_request_friend_async, "POST",
                          "/v1/friends/requests", object_node (body), cancellable, callback,
                          user_data),
              NULL);
  json_object_unref (body);
}

/* A request id, or the username / user id of the person who asked. */
static const char *
find_request_id (GlobiMessenger *self, const char *request)
{
  GListModel *model = G_LIST_MODEL (self->requests);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GlobiFriendRequest) r = g_list_model_get_item (model, i);
      GlobiProfile *from = globi_friend_request_get_from (r);
      if (g_strcmp0 (globi_profile_get_username (from), request) == 0 ||
          g_strcmp0 (globi_profile_get_id (from), request) == 0)
        return globi_friend_request_get_id (r);
    }
  return request;
}

static void
answer_request (GlobiMessenger *self,
                gpointer source_tag,
                const char *request,
                const char *verb,
                GCancellable *cancellable,
                GAsyncReadyCallback callback,
                gpointer user_data)
{
  g_autofree char *escaped = g_uri_escape_string (find_request_id (self, request), NULL, TRUE);
  g_autofree char *path = g_strdup_printf ("/v1/friends/requests/%s/%s", escaped, verb);

  action_run (action_new (self, source_tag, "POST", path, NULL, cancellable, callback, user_data),
              NULL);
}

void
globi_messenger_accept_friend_async (GlobiMessenger *self,
                                     const char *request,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  answer_request (self, globi_messenger_accept_friend_async, request, "accept", cancellable,
                  callback, user_data);
}

void
globi_messenger_decline_friend_async (GlobiMessenger *self,
                                      const char *request,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  answer_request (self, globi_messenger_decline_friend_async, request, "decline", cancellable,
                  callback, user_data);
}

void
globi_messenger_remove_friend_async (GlobiMessenger *self,
                                     const char *who,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  action_run (action_new (self, globi_messenger_remove_friend_async, "DELETE", "/v1/friends/{user}",
                          NULL, cancellable, callback, user_data),
              who);
}

void
globi_messenger_block_async (GlobiMessenger *self,
                             const char *who,
                             gboolean blocked,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GlobiContact *contact = globi_messenger_find_contact (self, who);

  if (contact != NULL)
    globi_contact_set_blocked (contact, blocked);
  action_run (action_new (self, globi_messenger_block_async, blocked ? "PUT" : "DELETE",
                          "/v1/blocks/{user}", NULL, cancellable, callback, user_data),
              who);
}

void
globi_messenger_update_friend_async (GlobiMessenger *self,
                                     const char *who,
                                     const char *remark,
                                     const char *const *tags,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  JsonObject *body = json_object_new ();

  if (remark != NULL)
    json_object_set_string_member (body, "remark", remark);
  if (tags != NULL)
    {
      JsonArray *array = json_array_new ();
      for (guint i = 0; tags[i] != NULL; i++)
        json_array_add_string_element (array, tags[i]);
      json_object_set_array_member (body, "tags", array);
    }
  action_run (action_new (self, globi_messenger_update_friend_async, "PATCH", "/v1/friends/{user}",
                          object_node (body), cancellable, callback, user_data),
              who);
  json_object_unref (body);
}

/* Groups */

static JsonArray *
resolve_members (GlobiMessenger *self, const char *const *members)
{
  JsonArray *ids = json_array_new ();

  for (guint i = 0; members != NULL && members[i] != NULL; i++)
    {
      GlobiContact *contact = globi_messenger_find_contact (self, members[i]);
      json_array_add_string_element (ids,
                                     contact ? globi_contact_get_user_id (contact) : members[i]);
    }
  return ids;
}

void
globi_messenger_create_group_async (GlobiMessenger *self,
                                    const char *name,
                                    const char *const *members,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  JsonObject *body = json_object_new ();
  g_autofree char *id = globi_id_new ();
  GTask *task;

  json_object_set_string_member (body, "id", id);
  json_object_set_string_member (body, "name", name);
  json_object_set_array_member (body, "member_ids", resolve_members (self, members));
  task = action_new (self, globi_messenger_create_group_async, "POST", "/v1/groups",
                     object_node (body), cancellable, callback, user_data);
  ((Action *) g_task_get_task_data (task))->want_group = TRUE;
  action_run (task, NULL);
  json_object_unref (body);
}

void
globi_messenger_join_group_async (GlobiMessenger *self,
                                  const char *token,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  JsonObject *body = json_object_new ();
  GTask *task;

  json_object_set_string_member (body, "token", token);
  task = action_new (self, globi_messenger_join_group_async, "POST", "/v1/groups/join",
                     object_node (body), cancellable, callback, user_data);
  ((Action *) g_task_get_task_data (task))->want_group = TRUE;
  action_run (task, NULL);
  json_object_unref (body);
}

GlobiGroup *
globi_messenger_group_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
group_path (const char *group_id, const char *rest)
{
  g_autofree char *escaped = g_uri_escape_string (group_id, NULL, TRUE);

  return g_strconcat ("/v1/groups/", escaped, rest, NULL);
}

void
globi_messenger_add_members_async (GlobiMessenger *self,
                                   const char *group_id,
                                   const char *const *members,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  JsonObject *body = json_object_new ();
  g_autofree char *path = group_path (group_id, "/members");

  json_object_set_array_member (body, "user_ids", resolve_members (self, members));
  action_run (action_new (self, globi_messenger_add_members_async, "POST", path, object_node (body),
                          cancellable, callback, user_data),
              NULL);
  json_object_unref (body);
}

void
globi_messenger_remove_member_async (GlobiMessenger *self,
                                     const char *group_id,
                                     const char *user,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_autofree char *path = group_path (group_id, "/members/{user}");

  /* Rotate my group key: a removed member must not read what follows. */
  json_object_remove_member (self->my_group_keys, group_id);
  action_run (action_new (self, globi_messenger_remove_member_async, "DELETE", path, NULL,
                          cancellable, callback, user_data),
              user ? user : self->user_id);
}

void
globi_messenger_transfer_group_async (GlobiMessenger *self,
                                      const char *group_id,
                                      const char *user,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  g_autofree char *path = group_path (group_id, "/owner");
  GTask *task = action_new (self, globi_messenger_transfer_group_async, "POST", path,
                            object_node (json_object_new ()), cancellable, callback, user_data);

  json_object_unref (json_node_get_object (((Action *) g_task_get_task_data (task))->body));
  ((Action *) g_task_get_task_data (task))->user_member = g_strdup ("user_id");
  action_run (task, user);
}

void
globi_messenger_update_group_async (GlobiMessenger *self,
                                    const char *group_id,
                                    const char *name,
                                    const char *announcement,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autofree char *path = group_path (group_id, "");
  JsonObject *body = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  if (name != NULL)
    json_object_set_string_member (body, "name", name);
  if (announcement != NULL)
    {
      GlobiGroup *known = globi_messenger_find_group (self, group_id);

      json_object_set_string_member (body, "announcement", announcement);
      if (known != NULL && g_strcmp0 (announcement, globi_group_get_announcement (known)) != 0)
        announce (self, group_id, announcement);
    }
  json_node_take_object (node, body);
  action_run (action_new (self, globi_messenger_update_group_async, "PATCH", path, node,
                          cancellable, callback, user_data),
              NULL);
}

void
globi_messenger_set_admin_async (GlobiMessenger *self,
                                 const char *group_id,
                                 const char *user,
                                 gboolean admin,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_autofree char *path = group_path (group_id, "/admins/{user}");

  action_run (action_new (self, globi_messenger_set_admin_async, admin ? "PUT" : "DELETE", path,
                          NULL, cancellable, callback, user_data),
              user);
}

void
globi_messenger_create_invite_async (GlobiMessenger *self,
                                     const char *group_id,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_autofree char *path = group_path (group_id, "/invites");
  GTask *task = action_new (self, globi_messenger_create_invite_async, "POST", path, NULL,
                            cancellable, callback, user_data);

  ((Action *) g_task_get_task_data (task))->want_invite = TRUE;
  action_run (task, NULL);
}

char *
globi_messenger_create_invite_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Local crypto state: this device's keys, identities seen (trust on first use), group
 * keys. Kept as JSON blobs in the cache's crypto_state and written in the same
 * transaction as the messages whose processing changed them. */

#define KEY_DEVICE_KEYS   "device.keys"
#define KEY_PUBLISHED     "device.published"
#define KEY_IDENTITIES    "known.identities"
#define KEY_GROUP_KEYS    "group.keys"
#define KEY_MY_GROUP_KEYS "group.mine"
#define KEY_SESSIONS      "ratchet.sessions"
#define KEY_READ_RECEIPTS "setting.read_receipts"
#define KEY_TYPING        "setting.typing_indicators"
#define KEY_VERIFIED      "contacts.verified"

static const char *const state_keys[] = { KEY_DEVICE_KEYS, KEY_PUBLISHED,     KEY_IDENTITIES,
                                          KEY_GROUP_KEYS,  KEY_MY_GROUP_KEYS, KEY_READ_RECEIPTS,
                                          KEY_TYPING,      KEY_SESSIONS,      KEY_VERIFIED };

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (text == NULL || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_object_ref (json_node_get_object (root)) : NULL;
}

static char *
object_to_string (JsonObject *object)
{
  g_autoptr (JsonNode) node = object_node (object);

  return json_to_string (node, FALSE);
}

static void
table_from_object (GHashTable *table, JsonObject *object)
{
  g_autoptr (GList) members = object ? json_object_get_members (object) : NULL;

  for (GList *l = members; l != NULL; l = l->next)
    g_hash_table_insert (table, g_strdup (l->data),
                         g_strdup (json_object_get_string_member (object, l->data)));
}

static JsonObject *
object_from_table (GHashTable *table)
{
  JsonObject *object = json_object_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    json_object_set_string_member (object, key, value);
  return object;
}

/* Takes bytes, returns their base64url text (state blobs and ciphertexts). */
static char *
bytes_to_text (GBytes *bytes)
{
  g_autoptr (GBytes) owned = bytes;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (owned, &len);

  return globi_base64url_encode (data, len);
}

static GBytes *
text_to_bytes (const char *text)
{
  return text != NULL ? globi_base64url_decode (text, strlen (text), NULL) : NULL;
}

/* The crypto state rows to write with a commit (the identity too: a responder session
 * consumed one of its one-time prekeys). */
static JsonObject *
crypto_state_snapshot (GlobiMessenger *self)
{
  JsonObject *state = json_object_new ();
  g_autoptr (JsonObject) identities = object_from_table (self->known_identities);
  g_autoptr (JsonObject) group_keys = object_from_table (self->group_keys);

  g_autofree char *a = object_to_string (identities);
  g_autofree char *b = object_to_string (group_keys);
  g_autofree char *c = object_to_string (self->my_group_keys);
  g_autoptr (JsonObject) sessions = object_from_table (self->sessions);
  g_autofree char *d = object_to_string (sessions);
  g_autofree char *e = self->keys ? bytes_to_text (globi_identity_serialize (self->keys)) : NULL;

  json_object_set_string_member (state, KEY_IDENTITIES, a);
  json_object_set_string_member (state, KEY_SESSIONS, d);
  if (e != NULL)
    json_object_set_string_member (state, KEY_DEVICE_KEYS, e);
  json_object_set_string_member (state, KEY_GROUP_KEYS, b);
  json_object_set_string_member (state, KEY_MY_GROUP_KEYS, c);
  {
    g_autoptr (JsonObject) verified = object_from_table (self->verified);
    g_autofree char *f = object_to_string (verified);

    json_object_set_string_member (state, KEY_VERIFIED, f);
  }
  return state;
}

/* One-time prekeys: PUT /v1/keys uploads PREKEYS_TARGET, and whenever the server holds
 * fewer than PREKEYS_LOW (after start, after prekey messages) new ones top it up. The
 * private halves are saved before the server hands the public ones out. */

#define PREKEYS_TARGET 100
#define PREKEYS_LOW    50

static void
on_prekeys_posted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMessenger) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);

  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Replenishing one-time prekeys failed: %s", error->message);
  self->replenishing = FALSE;
}

static void
on_prekeys_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiMessenger *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = NULL;

  if (!globi_cache_set_values_finish (GLOBI_CACHE (source), result, &error))
    {
      self->replenishing = FALSE;
      g_object_unref (self);
      return;
    }
  body = object_node (g_steal_pointer (&self->pending_prekeys));
  api (self, "POST", "/v1/keys/one-time", body, self->cancellable, on_prekeys_posted_cb, self);
}

static void
on_prekey_count_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiMessenger *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  g_autoptr (JsonObject) values = NULL;
  g_autofree char *text = NULL;
  gint64 count;

  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply) || self->keys == NULL)
    {
      self->replenishing = FALSE;
      g_object_unref (self);
      return;
    }
  count =
      json_object_get_int_member_with_default (json_node_get_object (reply), "one_time_prekeys", 0);
  if (count >= PREKEYS_LOW)
    {
      self->replenishing = FALSE;
      g_object_unref (self);
      return;
    }
  g_clear_pointer (&self->pending_prekeys, json_object_unref);
  self->pending_prekeys = json_object_new ();
  json_object_set_array_member (
      self->pending_prekeys, "one_time_prekeys",
      globi_identity_generate_one_time_prekeys (self->keys, PREKEYS_TARGET - count));
  text = bytes_to_text (globi_identity_serialize (self->keys));
  values = json_object_new ();
  json_object_set_string_member (values, KEY_DEVICE_KEYS, text);
  globi_cache_set_values_async (self->cache, values, self->cancellable, on_prekeys_saved_cb, self);
}

static void
replenish_prekeys (GlobiMessenger *self)
{
  if (self->replenishing || self->keys == NULL)
    return;
  self->replenishing = TRUE;
  api (self, "GET", "/v1/keys/count", NULL, self->cancellable, on_prekey_count_cb,
       g_object_ref (self));
}

/* Starting */

typedef struct
{
  gboolean live;
  guint pending;
  GHashTable *values;
  JsonObject *upload; /* the body of PUT /v1/keys, its one-time prekeys saved first */
} Start;

static void
start_free (Start *s)
{
  g_clear_pointer (&s->values, g_hash_table_unref);
  g_clear_pointer (&s->upload, json_object_unref);
  g_free (s);
}

static void start_publish (GTask *task);
static void stream_connect (GlobiMessenger *self);

static void
on_start_refreshed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = GLOBI_MESSENGER (source);
  Start *s = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!globi_messenger_finish (self, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  pump_outbox (self);
  if (s->live)
    {
      self->live_wanted = TRUE;
      stream_connect (self);
    }
  g_task_return_boolean (task, TRUE);
}

static void
on_chats_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = globi_cache_list_chats_finish (GLOBI_CACHE (source), result, &error);

  if (rows == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      JsonObject *row = g_ptr_array_index (rows, i);
      GlobiChat *chat = ensure_chat (self, str_member (row, "id"));

      if (str_member (row, "title") != NULL && globi_chat_get_title (chat) == NULL)
        globi_chat_set_title (chat, str_member (row, "title"));
      globi_chat_set_pinned (chat, json_object_get_boolean_member (row, "pinned"));
      globi_chat_set_muted (chat, json_object_get_boolean_member (row, "muted"));
      globi_chat_set_unread_count (chat, json_object_get_int_member (row, "unread"));
      globi_chat_set_last_activity (chat, json_object_get_int_member (row, "last_activity"));
      /* Set last, without saving back what was just loaded. */
      if (str_member (row, "draft") != NULL)
        g_object_set (chat, "draft", str_member (row, "draft"), NULL);
    }
  globi_messenger_refresh_async (self, g_task_get_cancellable (task), on_start_refreshed_cb,
                                 g_object_ref (task));
}

static void
start_load_chats (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);

  globi_cache_list_chats_async (self->cache, g_task_get_cancellable (task), on_chats_loaded_cb,
                                g_object_ref (task));
}

static void
on_published_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_cache_set_values_finish (GLOBI_CACHE (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  replenish_prekeys (g_task_get_source_object (task));
  start_load_chats (task);
}

static void
on_keys_published_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  g_autoptr (JsonObject) values = NULL;

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  values = json_object_new ();
  json_object_set_string_member (values, KEY_PUBLISHED, "1");
  globi_cache_set_values_async (self->cache, values, g_task_get_cancellable (task),
                                on_published_saved_cb, g_object_ref (task));
}

static void
on_keys_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  Start *s = g_task_get_task_data (task);
  g_autoptr (JsonNode) bundle = NULL;

  if (!globi_cache_set_values_finish (GLOBI_CACHE (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The keys are on disk before the server learns them: a crash cannot publish keys this
   * device no longer has. */
  bundle = object_node (s->upload);
  api (self, "PUT", "/v1/keys", bundle, g_task_get_cancellable (task), on_keys_published_cb,
       g_object_ref (task));
}

static void
start_publish (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  Start *s = g_task_get_task_data (task);
  const char *stored = g_hash_table_lookup (s->values, KEY_DEVICE_KEYS);
  g_autoptr (JsonObject) values = NULL;
  g_autofree char *text = NULL;

  g_autoptr (GBytes) state = text_to_bytes (stored);
  g_autoptr (JsonArray) one_time = NULL;

  g_clear_object (&self->keys);
  if (state != NULL)
    self->keys = globi_identity_new_from_bytes (state, NULL);
  if (self->keys != NULL && g_hash_table_contains (s->values, KEY_PUBLISHED))
    {
      replenish_prekeys (self);
      start_load_chats (task);
      return;
    }
  if (self->keys == NULL)
    self->keys = globi_identity_new (g_get_real_time () / 1000);
  one_time = globi_identity_generate_one_time_prekeys (self->keys, PREKEYS_TARGET);
  g_clear_pointer (&s->upload, json_object_unref);
  s->upload = globi_identity_build_keys_upload (self->keys, one_time);
  text = bytes_to_text (globi_identity_serialize (self->keys));
  values = json_object_new ();
  json_object_set_string_member (values, KEY_DEVICE_KEYS, text);
  globi_cache_set_values_async (self->cache, values, g_task_get_cancellable (task),
                                on_keys_saved_cb, g_object_ref (task));
}

static void
on_state_value_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Start *s = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  char *value = globi_cache_get_value_finish (GLOBI_CACHE (source), result, &error);
  const char *key = g_object_get_data (G_OBJECT (result), "key");
  g_autoptr (JsonObject) identities = NULL;
  g_autoptr (JsonObject) group_keys = NULL;
  g_autoptr (JsonObject) sessions = NULL;
  g_autoptr (JsonObject) verified = NULL;
  JsonObject *mine;

  if (error != NULL)
    {
      if (!g_task_had_error (task))
        g_task_return_error (task, g_steal_pointer (&error));
      s->pending--;
      return;
    }
  if (value != NULL)
    g_hash_table_insert (s->values, g_strdup (key), value);
  if (--s->pending > 0 || g_task_had_error (task))
    return;

  identities = parse_object (g_hash_table_lookup (s->values, KEY_IDENTITIES));
  table_from_object (self->known_identities, identities);
  group_keys = parse_object (g_hash_table_lookup (s->values, KEY_GROUP_KEYS));
  table_from_object (self->group_keys, group_keys);
  sessions = parse_object (g_hash_table_lookup (s->values, KEY_SESSIONS));
  table_from_object (self->sessions, sessions);
  verified = parse_object (g_hash_table_lookup (s->values, KEY_VERIFIED));
  table_from_object (self->verified, verified);
  mine = parse_object (g_hash_table_lookup (s->values, KEY_MY_GROUP_KEYS));
  if (mine != NULL)
    {
      json_object_unref (self->my_group_keys);
      self->my_group_keys = mine;
    }
  self->read_receipts = g_strcmp0 (g_hash_table_lookup (s->values, KEY_READ_RECEIPTS), "0") != 0;
  self->typing_indicators = g_strcmp0 (g_hash_table_lookup (s->values, KEY_TYPING), "0") != 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READ_RECEIPTS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING_INDICATORS]);
  start_publish (task);
}

typedef struct
{
  GTask *task;
  const char *key;
} ValueRequest;

static void
on_state_value_relay_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ValueRequest *req = user_data;

  /* Tag the result with its key: the answers share one callback. */
  g_object_set_data (G_OBJECT (result), "key", (gpointer) req->key);
  on_state_value_cb (source, result, req->task);
  g_free (req);
}

void
globi_messenger_start_async (GlobiMessenger *self,
                             gboolean live,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  Start *s = g_new0 (Start, 1);

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_task_set_source_tag (task, globi_messenger_start_async);
  s->live = live;
  s->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->pending = G_N_ELEMENTS (state_keys);
  g_task_set_task_data (task, s, (GDestroyNotify) start_free);
  for (guint i = 0; i < G_N_ELEMENTS (state_keys); i++)
    {
      ValueRequest *req = g_new0 (ValueRequest, 1);
      req->task = g_object_ref (task);
      req->key = state_keys[i];
      globi_cache_get_value_async (self->cache, state_keys[i], cancellable, on_state_value_relay_cb,
                                   req);
    }
}

gboolean
globi_messenger_start_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sending over the stream. A connected, caught-up device sends its POST /v1/messages
 * bodies as "send" frames on its WebSocket, as Signal's clients do: no HTTP request per
 * message. The send_result carries the route's status and body, so the answer takes the
 * REST reply's path from here on. What the stream cannot carry goes over REST: the stream
 * down or still catching up, a frame over its limit, no answer in time, or the stream
 * closed with the send in flight. Sending again is safe: the message id is the
 * idempotency key, and the server answers a stored message with its first reply. */

#define STREAM_SENDS_MAX       64
#define STREAM_SEND_TIMEOUT_US (30 * G_USEC_PER_SEC)
/* The server's largest incoming frame is the messages route's body limit. */
#define STREAM_FRAME_MAX_BYTES (2 * 1024 * 1024)
/* Room for {"type":"send","req":R,"message":…} around the body. */
#define STREAM_FRAME_OVERHEAD 64

typedef struct
{
  JsonNode *body;
  char *text;      /* the body as JSON text */
  gint64 deadline; /* monotonic µs; set when sent as a frame */
  char req[24];
} Post;

static void
post_free (Post *p)
{
  g_clear_pointer (&p->body, json_node_unref);
  g_free (p->text);
  g_free (p);
}

static void
on_posted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  JsonNode *reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);

  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) json_node_unref);
}

/* Takes task. */
static void
post_over_rest (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  Post *p = g_task_get_task_data (task);

  api (self, "POST", "/v1/messages", p->body, g_task_get_cancellable (task), on_posted_cb, task);
}

static gboolean
stream_takes_sends (GlobiMessenger *self)
{
  return self->ws != NULL && self->stream_caught_up && !self->stream_posts_off &&
         soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

static gboolean on_stream_post_timeout_cb (gpointer user_data);

static void
stream_post_arm_timer (GlobiMessenger *self)
{
  GTask *oldest = g_queue_peek_head (&self->stream_posts);
  gint64 wait;

  g_clear_handle_id (&self->stream_post_timer, g_source_remove);
  if (oldest == NULL)
    return;
  /* One timer for the oldest send: sends leave in order, so it is the first due. */
  wait = ((Post *) g_task_get_task_data (oldest))->deadline - g_get_monotonic_time ();
  self->stream_post_timer =
      g_timeout_add (MAX (wait, 0) / 1000 + 1, on_stream_post_timeout_cb, self);
}

/* Takes task. */
static void
stream_post_frame (GlobiMessenger *self, GTask *task)
{
  Post *p = g_task_get_task_data (task);
  g_autofree char *frame = NULL;

  g_snprintf (p->req, sizeof p->req, "%" G_GUINT64_FORMAT, ++self->stream_next_req);
  frame = g_strdup_printf ("{\"type\":\"send\",\"req\":\"%s\",\"message\":%s}", p->req, p->text);
  soup_websocket_connection_send_text (self->ws, frame);
  p->deadline = g_get_monotonic_time () + STREAM_SEND_TIMEOUT_US;
  g_queue_push_tail (&self->stream_posts, task);
  if (self->stream_post_timer == 0)
    stream_post_arm_timer (self);
}

/* Sends what waited for a free slot, over the stream while it takes them, else REST. */
static void
stream_post_waiting (GlobiMessenger *self)
{
  while (!g_queue_is_empty (&self->stream_waiting))
    {
      if (!stream_takes_sends (self))
        post_over_rest (g_queue_pop_head (&self->stream_waiting));
      else if (g_queue_get_length (&self->stream_posts) < STREAM_SENDS_MAX)
        stream_post_frame (self, g_queue_pop_head (&self->stream_waiting));
      else
        break;
    }
}

/* The stream is gone (or stopped answering): everything it held goes over REST. */
static void
stream_posts_fail_over (GlobiMessenger *self)
{
  GTask *task;

  g_clear_handle_id (&self->stream_post_timer, g_source_remove);
  while ((task = g_queue_pop_head (&self->stream_posts)) != NULL)
    post_over_rest (task);
  while ((task = g_queue_pop_head (&self->stream_waiting)) != NULL)
    post_over_rest (task);
}

static gboolean
on_stream_post_timeout_cb (gpointer user_data)
{
  GlobiMessenger *self = user_data;
  GTask *oldest = g_queue_peek_head (&self->stream_posts);

  self->stream_post_timer = 0;
  if (oldest != NULL &&
      ((Post *) g_task_get_task_data (oldest))->deadline <= g_get_monotonic_time ())
    {
      /* A server that does not take sends ignores the frame; one that hangs is no
       * better: this connection sends no more, and what it holds goes over REST. */
      g_debug ("A send over the stream went unanswered; sending over REST");
      self->stream_posts_off = TRUE;
      stream_posts_fail_over (self);
      return G_SOURCE_REMOVE;
    }
  stream_post_arm_timer (self);
  return G_SOURCE_REMOVE;
}

/* The GError of a failed POST /v1/messages, from the send_result's status, body and
 * retry_after: what globi-client.c makes of the same HTTP reply. */
static GError *
send_result_error (guint status, JsonNode *body, gint64 retry_after)
{
  g_autofree char *text = body != NULL ? json_to_string (body, FALSE) : NULL;

  return globi_client_error_from_reply (status, text, text != NULL ? strlen (text) : 0,
                                        (guint64) MAX (retry_after, 0));
}

/* {"type": "send_result", "req", "status", "body", "retry_after"?} */
static void
stream_post_result (GlobiMessenger *self, JsonObject *frame)
{
  const char *req = str_member (frame, "req");
  JsonNode *body = json_object_get_member (frame, "body");
  gint64 status = json_object_get_int_member_with_default (frame, "status", 0);
  GTask *task = NULL;

  for (GList *l = self->stream_posts.head; req != NULL && l != NULL; l = l->next)
    if (strcmp (((Post *) g_task_get_task_data (l->data))->req, req) == 0)
      {
        task = l->data;
        g_queue_delete_link (&self->stream_posts, l);
        break;
      }
  /* Unknown: already answered over REST after a timeout. */
  if (task == NULL)
    return;
  if (g_queue_is_empty (&self->stream_posts))
    g_clear_handle_id (&self->stream_post_timer, g_source_remove);
  if (status >= 200 && status < 300)
    g_task_return_pointer (task,
                           body != NULL
                               ? json_node_copy (body)
                               : json_node_init_object (json_node_alloc (), json_object_new ()),
                           (GDestroyNotify) json_node_unref);
  else if (status == SOUP_STATUS_UNAUTHORIZED)
    /* REST refreshes the access token and tries again; the stream cannot. */
    post_over_rest (g_steal_pointer (&task));
  else
    g_task_return_error (task, send_result_error ((guint) CLAMP (status, 0, 999), body,
                                                  json_object_get_int_member_with_default (
                                                      frame, "retry_after", -1)));
  g_clear_object (&task);
  stream_post_waiting (self);
}

/* POST /v1/messages with body, over the stream when it takes sends. Returns the reply's
 * JSON, or the error a REST reply would have given. */
static void
post_message_async (GlobiMessenger *self,
                    JsonNode *body,
                    GCancellable *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Post *p = g_new0 (Post, 1);

  g_task_set_source_tag (task, post_message_async);
  p->body = json_node_ref (body);
  g_task_set_task_data (task, p, (GDestroyNotify) post_free);
  if (!stream_takes_sends (self))
    {
      post_over_rest (task);
      return;
    }
  p->text = json_to_string (body, FALSE);
  if (strlen (p->text) + STREAM_FRAME_OVERHEAD > STREAM_FRAME_MAX_BYTES)
    post_over_rest (task);
  else if (g_queue_get_length (&self->stream_posts) < STREAM_SENDS_MAX)
    stream_post_frame (self, task);
  else
    g_queue_push_tail (&self->stream_waiting, task);
}

static JsonNode *
post_message_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Delivering one message: encrypt for every target device and POST /v1/messages */

typedef struct
{
  char *chat_id;
  char *message_id;
  char *content;      /* the plaintext JSON */
  GPtrArray *users;   /* user ids whose bundles are needed */
  JsonArray *bundles; /* {"user_id", "bundle"} */
  guint pending;
  GError *error;
  gboolean group_with_keys; /* second group attempt: distribute the group key */
  gboolean distribute_all;  /* last attempt: to every member device, had it or not */
  GPtrArray *distributed;   /* devices given my group key by this attempt */
  gboolean refetch;         /* the cached bundles proved stale */
  guint attempts;
  JsonNode *body; /* of POST /v1/messages, sent once the crypto state is saved */
} Deliver;

static void
deliver_free (Deliver *d)
{
  g_free (d->chat_id);
  g_free (d->message_id);
  g_free (d->content);
  g_clear_pointer (&d->users, g_ptr_array_unref);
  g_clear_pointer (&d->distributed, g_ptr_array_unref);
  g_clear_pointer (&d->bundles, json_array_unref);
  g_clear_pointer (&d->body, json_node_unref);
  g_clear_error (&d->error);
  g_free (d);
}

static void deliver_fetch (GTask *task);

static void
add_system_message (GlobiMessenger *self, const char *chat_id, const char *text)
{
  g_autofree char *id = globi_id_new ();
  g_autoptr (GlobiMessage) m = globi_message_new (id, chat_id, NULL, GLOBI_MESSAGE_KIND_SYSTEM,
                                                  text, g_get_real_time () / 1000);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GlobiMessage) canonical = globi_messenger_intern_message (self, m);

  globi_message_set_state (m, GLOBI_DELIVERY_STATE_READ);
  globi_message_set_outgoing (m, TRUE); /* not unread */
  g_ptr_array_add (list, g_object_ref (m));
  globi_cache_commit_async (self->cache, list, NULL, 0, NULL, on_cache_done_cb, NULL);
  globi_chat_append_message (ensure_chat (self, chat_id), m);
}

/* Trust on first use: remembers a device's identity key; a different one later is a key
 * change, shown in the chat with that user. */
static void
check_identity (GlobiMessenger *self,
                const char *user_id,
                const char *device_id,
                const char *identity)
{
  const char *known = g_hash_table_lookup (self->known_identities, device_id);

  if (g_strcmp0 (known, identity) == 0)
    return;
  g_hash_table_insert (self->known_identities, g_strdup (device_id), g_strdup (identity));
  if (known != NULL && g_strcmp0 (user_id, self->user_id) != 0)
    {
      g_autofree char *chat_id = globi_chat_id_for_user (user_id);
      GlobiContact *contact = globi_messenger_find_contact (self, user_id);

      if (contact != NULL)
        globi_contact_set_verified (contact, FALSE);
      /* Saved with the next state write (the batch that saw the new key). */
      g_hash_table_remove (self->verified, user_id);
      add_system_message (self, chat_id, _ ("Safety number changed"));
      g_signal_emit (self, signals[SIGNAL_KEY_CHANGED], 0, user_id);
    }
}

static JsonObject *
envelope (const char *device_id, const char *type, const char *ciphertext)
{
  JsonObject *e = json_object_new ();

  json_object_set_string_member (e, "device_id", device_id);
  json_object_set_string_member (e, "type", type);
  json_object_set_string_member (e, "ciphertext", ciphertext);
  return e;
}

/* The devices that have my current group key ("sent" of my_group_keys[group]); a new
 * key (after a member left) starts with none. */
static JsonArray *
distributed_devices (GlobiMessenger *self, const char *group_id)
{
  JsonNode *node = json_object_get_member (self->my_group_keys, group_id);

  return node && JSON_NODE_HOLDS_OBJECT (node) ? member_array (json_node_get_object (node), "sent")
                                               : NULL;
}

static gboolean
was_distributed (GlobiMessenger *self, const char *group_id, const char *device_id)
{
  JsonArray *sent = distributed_devices (self, group_id);

  for (guint i = 0; sent != NULL && i < json_array_get_length (sent); i++)
    if (g_strcmp0 (json_array_get_string_element (sent, i), device_id) == 0)
      return TRUE;
  return FALSE;
}

static void
record_distributed (GlobiMessenger *self, const char *group_id, GPtrArray *devices)
{
  JsonNode *node = json_object_get_member (self->my_group_keys, group_id);
  JsonObject *stored;
  JsonArray *sent;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  stored = json_node_get_object (node);
  sent = member_array (stored, "sent");
  if (sent == NULL)
    {
      sent = json_array_new ();
      json_object_set_array_member (stored, "sent", sent);
    }
  for (guint i = 0; i < devices->len; i++)
    if (!was_distributed (self, group_id, g_ptr_array_index (devices, i)))
      json_array_add_string_element (sent, g_ptr_array_index (devices, i));
}

static void
on_delivered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Deliver *d = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = post_message_finish (self, result, &error);
  gint64 *sent_at;

  if (reply == NULL)
    {
      /* Devices changed since the bundles were fetched, or a group member lacks my
       * group key: fetch again (with the key distribution) once or twice. */
      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_STALE_DEVICES) && d->attempts < 3)
        {
          /* The missing devices are the members' devices my key has not reached yet
           * (new members, new devices); once that list proved not enough, everyone. */
          d->distribute_all = d->group_with_keys;
          d->group_with_keys = TRUE;
          d->refetch = TRUE;
          deliver_fetch (g_steal_pointer (&task));
          return;
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (d->distributed != NULL && d->distributed->len > 0)
    {
      g_autoptr (JsonObject) state = NULL;

      record_distributed (self, d->chat_id + 2, d->distributed);
      state = crypto_state_snapshot (self);
      globi_cache_set_values_async (self->cache, state, NULL, on_cache_done_cb, NULL);
    }
  sent_at = g_new (gint64, 1);
  *sent_at =
      JSON_NODE_HOLDS_OBJECT (reply)
          ? json_object_get_int_member_with_default (json_node_get_object (reply), "sent_at", 0)
          : 0;
  g_task_return_pointer (task, sent_at, g_free);
}

/* My sender key for a group, {"id", "key": its state}; a new one (a new random key id)
 * after a member left, since my_group_keys drops the old one then. */
static GlobiSenderKey *
my_group_key (GlobiMessenger *self, const char *group_id)
{
  JsonNode *node = json_object_get_member (self->my_group_keys, group_id);
  g_autoptr (GBytes) state = NULL;
  GlobiSenderKey *key = NULL;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      state = text_to_bytes (str_member (json_node_get_object (node), "key"));
      if (state != NULL)
        key = globi_sender_key_new_from_bytes (state, NULL);
    }
  if (key == NULL)
    key = globi_sender_key_new (group_id, g_random_int_range (1, G_MAXINT32));
  return key;
}

static void
store_my_group_key (GlobiMessenger *self, GlobiSenderKey *key)
{
  const char *group_id = globi_sender_key_get_group_id (key);
  JsonNode *old = json_object_get_member (self->my_group_keys, group_id);
  JsonObject *stored = json_object_new ();
  g_autofree char *text = bytes_to_text (globi_sender_key_serialize (key));

  json_object_set_int_member (stored, "id", globi_sender_key_get_key_id (key));
  json_object_set_string_member (stored, "key", text);
  /* The devices that had this key id still have it. */
  if (old != NULL && JSON_NODE_HOLDS_OBJECT (old) &&
      json_object_get_int_member_with_default (json_node_get_object (old), "id", -1) ==
          globi_sender_key_get_key_id (key) &&
      distributed_devices (self, group_id) != NULL)
    json_object_set_array_member (stored, "sent",
                                  json_array_ref (distributed_devices (self, group_id)));
  json_object_set_object_member (self->my_group_keys, group_id, stored);
}

/* A remote device's session record, as Signal's Sesame keeps it: the active session
 * (what we encrypt with) first, then up to SESSIONS_PREVIOUS earlier X3DH runs with that
 * device, newest first, as base64url states joined by '.'. Two devices that start sessions
 * with each other at the same time each end up with both runs, and a message on either
 * must still decrypt (see decrypt_pairwise and docs/crypto.md). */
#define SESSIONS_PREVIOUS 4

static GPtrArray *
session_record_load (GlobiMessenger *self, const char *device)
{
  GPtrArray *record = g_ptr_array_new_with_free_func (g_object_unref);
  const char *text = g_hash_table_lookup (self->sessions, device);
  g_auto (GStrv) states = text != NULL ? g_strsplit (text, ".", SESSIONS_PREVIOUS + 2) : NULL;

  for (guint i = 0; states != NULL && states[i] != NULL && i <= SESSIONS_PREVIOUS; i++)
    {
      g_autoptr (GBytes) state = text_to_bytes (states[i]);
      GlobiRatchetSession *session =
          state != NULL ? globi_ratchet_session_new_from_bytes (state, NULL) : NULL;

      if (session != NULL)
        g_ptr_array_add (record, session);
    }
  return record;
}

static void
session_record_store (GlobiMessenger *self, const char *device, GPtrArray *record)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < record->len && i <= SESSIONS_PREVIOUS; i++)
    {
      g_autofree char *state =
          bytes_to_text (globi_ratchet_session_serialize (g_ptr_array_index (record, i)));

      if (i > 0)
        g_string_append_c (text, '.');
      g_string_append (text, state);
    }
  g_hash_table_insert (self->sessions, g_strdup (device), g_string_free (text, FALSE));
}

/* Encrypts for one device with its active ratchet session, starting one (X3DH) from its
 * bundle when there is none yet; the session's new state is kept for the next save. */
static char *
encrypt_for_device (GlobiMessenger *self,
                    const char *user_id,
                    JsonObject *bundle,
                    GBytes *plaintext,
                    GlobiCiphertextType *type,
                    GError **error)
{
  const char *device = str_member (bundle, "device_id");
  g_autoptr (GPtrArray) record = session_record_load (self, device);
  GlobiRatchetSession *session = record->len > 0 ? g_ptr_array_index (record, 0) : NULL;
  g_autoptr (GBytes) ciphertext = NULL;

  if (session != NULL)
    {
      /* A device whose identity key changed needs a new session; the old runs are dead. */
      g_autofree char *known = globi_base64url_encode (
          globi_ratchet_session_get_remote_identity_key (session), GLOBI_KEY_SIZE);
      if (g_strcmp0 (known, str_member (bundle, "identity_key")) != 0)
        {
          g_ptr_array_set_size (record, 0);
          session = NULL;
        }
    }
  if (session == NULL)
    {
      if (!globi_bundle_verify (bundle, error))
        return NULL;
      session =
          globi_ratchet_session_new_initiator (self->keys, self->user_id, user_id, bundle, error);
      if (session == NULL)
        return NULL;
      g_ptr_array_insert (record, 0, session);
    }
  ciphertext = globi_ratchet_session_encrypt (session, plaintext, type);
  session_record_store (self, device, record);
  return bytes_to_text (g_steal_pointer (&ciphertext));
}

static void
on_deliver_state_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Deliver *d = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!globi_cache_set_values_finish (GLOBI_CACHE (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  post_message_async (self, d->body, g_task_get_cancellable (task), on_delivered_cb, task);
}

static void
deliver_post (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  Deliver *d = g_task_get_task_data (task);
  g_autoptr (JsonObject) body = json_object_new ();
  JsonObject *to = json_object_new ();
  JsonArray *envelopes = json_array_new ();
  gboolean group = g_str_has_prefix (d->chat_id, "g:");
  g_autoptr (GlobiSenderKey) gkey = group ? my_group_key (self, d->chat_id + 2) : NULL;
  g_autoptr (GBytes) distribution = gkey ? globi_sender_key_create_distribution (gkey) : NULL;
  g_autoptr (GBytes) content = g_bytes_new (d->content, strlen (d->content));
  g_autoptr (JsonObject) state = NULL;

  g_clear_pointer (&d->distributed, g_ptr_array_unref);
  d->distributed = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; d->bundles != NULL && i < json_array_get_length (d->bundles); i++)
    {
      JsonObject *entry = json_array_get_object_element (d->bundles, i);
      JsonObject *bundle = json_object_get_object_member (entry, "bundle");
      const char *device = str_member (bundle, "device_id");
      const char *identity = str_member (bundle, "identity_key");
      JsonObject *spk = member_object (json_object_get_member (entry, "bundle"), "signed_prekey");
      g_autofree char *sealed = NULL;
      g_autoptr (GError) error = NULL;
      GlobiCiphertextType type = GLOBI_CIPHERTEXT_MESSAGE;

      if (device == NULL || spk == NULL || g_strcmp0 (device, self->device_id) == 0)
        continue;
      if (group && !d->distribute_all && was_distributed (self, d->chat_id + 2, device))
        continue;
      check_identity (self, str_member (entry, "user_id"), device, identity);
      sealed = encrypt_for_device (self, str_member (entry, "user_id"), bundle,
                                   group ? distribution : content, &type, &error);
      if (sealed == NULL)
        {
          g_warning ("Skipping device %s: %s", device, error->message);
          continue;
        }
      if (group)
        {
          /* The distribution rides in the pairwise ciphertext, its type in front. */
          g_autoptr (GBytes) inner = text_to_bytes (sealed);
          g_autoptr (GBytes) joined = globi_sender_key_envelope_join (type, inner);

          g_ptr_array_add (d->distributed, g_strdup (device));

          g_free (sealed);
          sealed = bytes_to_text (g_steal_pointer (&joined));
        }
      json_array_add_object_element (
          envelopes,
          envelope (device, group ? "sender_key" : globi_ciphertext_type_to_string (type), sealed));
    }
  json_object_set_string_member (body, "id", d->message_id);
  json_object_set_string_member (to, group ? "group_id" : "user_id", d->chat_id + 2);
  json_object_set_object_member (body, "to", to);
  json_object_set_array_member (body, "envelopes", envelopes);
  if (group)
    {
      g_autofree char *ciphertext = bytes_to_text (globi_sender_key_encrypt (gkey, content));

      json_object_set_string_member (body, "group_ciphertext", ciphertext);
      json_object_set_int_member (body, "sender_key_id", globi_sender_key_get_key_id (gkey));
      store_my_group_key (self, gkey);
    }
  /* The advanced ratchet state is on disk before the ciphertexts leave: after a crash the
   * next message must not reuse a message key already spent on this one. */
  g_clear_pointer (&d->body, json_node_unref);
  d->body = object_node (body);
  state = crypto_state_snapshot (self);
  globi_cache_set_values_async (self->cache, state, g_task_get_cancellable (task),
                                on_deliver_state_saved_cb, task);
}

static void
add_devices (Deliver *d, const char *user_id, JsonArray *devices)
{
  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonNode *bundle = json_array_get_element (devices, i);
      JsonObject *entry;

      if (!JSON_NODE_HOLDS_OBJECT (bundle))
        continue;
      entry = json_object_new ();
      json_object_set_string_member (entry, "user_id", user_id);
      json_object_set_member (entry, "bundle", json_node_copy (bundle));
      json_array_add_object_element (d->bundles, entry);
    }
}

static void bundles_step_done (GTask *task);

static void
on_bundles_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Deliver *d = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  JsonArray *devices;

  if (reply == NULL)
    {
      /* A member I may not fetch (left meanwhile) is skipped; other errors stop. */
      if (!g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN) &&
          !g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND) && d->error == NULL)
        d->error = g_steal_pointer (&error);
    }
  else if ((devices = member_array (json_node_get_object (reply), "devices")) != NULL)
    {
      const char *user_id = str_member (json_node_get_object (reply), "user_id");
      if (user_id != NULL)
        {
          g_hash_table_insert (self->bundle_cache, g_strdup (user_id), json_array_ref (devices));
          add_devices (d, user_id, devices);
        }
    }
  bundles_step_done (task);
}

static void
bundles_step_done (GTask *task)
{
  Deliver *d = g_task_get_task_data (task);

  if (--d->pending > 0)
    return;
  if (d->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&d->error));
      g_object_unref (task);
      return;
    }
  deliver_post (task);
}

static void
fetch_bundles (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  Deliver *d = g_task_get_task_data (task);

  g_clear_pointer (&d->bundles, json_array_unref);
  d->bundles = json_array_new ();
  /* One extra count so that cached users cannot finish the step before the loop ends. */
  d->pending = 1;
  for (guint i = 0; i < d->users->len; i++)
    {
      const char *user_id = g_ptr_array_index (d->users, i);
      JsonArray *cached = d->refetch ? NULL : g_hash_table_lookup (self->bundle_cache, user_id);
      g_autofree char *escaped = NULL;
      g_autofree char *path = NULL;

      if (cached != NULL)
        {
          add_devices (d, user_id, cached);
          continue;
        }
      escaped = g_uri_escape_string (user_id, NULL, TRUE);
      path = g_strconcat ("/v1/keys/", escaped, NULL);
      d->pending++;
      api (self, "GET", path, NULL, g_task_get_cancellable (task), on_bundles_cb, task);
    }
  bundles_step_done (task);
}

static void
on_group_members_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Deliver *d = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  JsonObject *group = member_object (reply, "group");
  JsonArray *members = member_array (group, "members");

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  apply_group (self, group);
  g_ptr_array_set_size (d->users, 0);
  for (guint i = 0; members != NULL && i < json_array_get_length (members); i++)
    {
      JsonObject *member = json_array_get_object_element (members, i);
      JsonNode *user = member ? json_object_get_member (member, "user") : NULL;
      const char *user_id = user && JSON_NODE_HOLDS_OBJECT (user)
                                ? str_member (json_node_get_object (user), "id")
                                : NULL;
      if (user_id != NULL)
        g_ptr_array_add (d->users, g_strdup (user_id));
    }
  fetch_bundles (task);
}

/* Takes task. */
static void
deliver_fetch (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  Deliver *d = g_task_get_task_data (task);

  d->attempts++;
  if (g_str_has_prefix (d->chat_id, "g:"))
    {
      g_autofree char *path = NULL;

      /* The group ciphertext needs no bundles; only a key distribution does. */
      if (!d->group_with_keys)
        {
          g_clear_pointer (&d->bundles, json_array_unref);
          deliver_post (task);
          return;
        }
      path = group_path (d->chat_id + 2, "");
      api (self, "GET", path, NULL, g_task_get_cancellable (task), on_group_members_cb, task);
      return;
    }
  g_ptr_array_set_size (d->users, 0);
  g_ptr_array_add (d->users, g_strdup (d->chat_id + 2));
  if (g_strcmp0 (d->chat_id + 2, self->user_id) != 0)
    g_ptr_array_add (d->users, g_strdup (self->user_id));
  fetch_bundles (task);
}

/* Encrypts content for the chat and posts it with message_id as the idempotency key.
 * Returns the server's sent_at (gint64 *). */
static void
deliver_async (GlobiMessenger *self,
               const char *chat_id,
               const char *message_id,
               const char *content,
               GCancellable *cancellable,
               GAsyncReadyCallback callback,
               gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Deliver *d = g_new0 (Deliver, 1);

  g_task_set_source_tag (task, deliver_async);
  d->chat_id = g_strdup (chat_id);
  d->message_id = g_strdup (message_id);
  d->content = g_strdup (content);
  d->users = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, d, (GDestroyNotify) deliver_free);
  if (self->keys == NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NETWORK,
                               _ ("Messaging has not started yet"));
      g_object_unref (task);
      return;
    }
  deliver_fetch (task);
}

static gint64
deliver_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_autofree gint64 *sent_at = g_task_propagate_pointer (G_TASK (result), error);

  return sent_at ? MAX (*sent_at, 1) : 0;
}

/* The outbox pump */

static void
finish_flush_waiters (GlobiMessenger *self)
{
  g_autoptr (GPtrArray) waiters = g_steal_pointer (&self->flush_waiters);

  self->flush_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
}

static gboolean
on_retry_cb (gpointer user_data)
{
  GlobiMessenger *self = user_data;

  self->retry_source = 0;
  pump_outbox (self);
  return G_SOURCE_REMOVE;
}

/* The wait a 429 asked for ("… in N s", see globi-client.c), 0 when it did not say. */
static guint
retry_after_seconds (const GError *error)
{
  const char *digits;

  if (!g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_RATE_LIMITED))
    return 0;
  for (digits = error->message; *digits && !g_ascii_isdigit (*digits); digits++)
    ;
  return *digits ? (guint) MIN (g_ascii_strtoull (digits, NULL, 10), RETRY_MAX_SECONDS * 10) : 0;
}

static void
schedule_retry (GlobiMessenger *self, guint at_least_seconds)
{
  guint delay;

  if (self->retry_source != 0)
    return;
  /* Exponential backoff with jitter, so clients that lost the server together do not
   * come back together; never sooner than the server asked. */
  delay = MAX (self->retry_seconds, at_least_seconds) * 1000 + g_random_int_range (0, 500);
  self->retry_seconds = MIN (self->retry_seconds * 2, RETRY_MAX_SECONDS);
  self->retry_source = g_timeout_add (delay, on_retry_cb, self);
}

typedef struct
{
  GlobiMessenger *self;
  char *message_id;
  gboolean control; /* an edit, deletion, reaction or receipt */
  GPtrArray *rows;  /* the outbox as listed; sent in order before listing again */
  guint index;
} PumpStep;

static void
pump_step_free (PumpStep *step)
{
  g_object_unref (step->self);
  g_free (step->message_id);
  g_clear_pointer (&step->rows, g_ptr_array_unref);
  g_free (step);
}

static void pump_start_step (GlobiMessenger *self, GPtrArray *rows, guint index);

static void on_outbox_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
pump_continue (GlobiMessenger *self)
{
  globi_cache_list_outbox_async (self->cache, self->cancellable, on_outbox_listed_cb,
                                 g_object_ref (self));
}

static void
on_settled_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PumpStep *step = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_cache_settle_finish (GLOBI_CACHE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not settle a message: %s", error->message);
      step->self->pumping = FALSE;
      pump_step_free (step);
      return;
    }
  if (step->index + 1 < step->rows->len)
    pump_start_step (step->self, step->rows, step->index + 1);
  else
    pump_continue (step->self);
  pump_step_free (step);
}

static void
on_outbox_delivered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PumpStep *step = user_data;
  GlobiMessenger *self = step->self;
  g_autoptr (GError) error = NULL;
  gint64 sent_at = deliver_finish (self, result, &error);
  GlobiMessage *live = g_hash_table_lookup (self->live, step->message_id);
  GlobiDeliveryState state;

  if (sent_at == 0 &&
      (is_temporary (error) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    {
      /* Stays PENDING in the outbox; tried again later (and on the next start). */
      self->pumping = FALSE;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          schedule_retry (self, retry_after_seconds (error));
          finish_flush_waiters (self);
        }
      pump_step_free (step);
      return;
    }
  self->retry_seconds = RETRY_MIN_SECONDS;
  state = sent_at > 0 ? GLOBI_DELIVERY_STATE_SENT : GLOBI_DELIVERY_STATE_FAILED;
  if (error != NULL)
    g_debug ("Message failed for good: %s", error->message);
  /* A control entry that cannot go (the chat is gone, a block) is dropped: nothing
   * shows it for a retry. */
  if (step->control)
    state = GLOBI_DELIVERY_STATE_SENT;
  if (live != NULL)
    {
      if (sent_at > 0)
        globi_message_set_sent_at (live, sent_at);
      if (globi_message_get_state (live) < state || state == GLOBI_DELIVERY_STATE_FAILED)
        globi_message_set_state (live, state);
    }
  globi_cache_settle_async (self->cache, step->message_id, state, sent_at, self->cancellable,
                            on_settled_cb, step);
}

static void
on_outbox_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMessenger) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows =
      globi_cache_list_outbox_finish (GLOBI_CACHE (source), result, &error);

  if (rows == NULL || rows->len == 0)
    {
      self->pumping = FALSE;
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not read the outbox: %s", error->message);
      if (self->pump_again && error == NULL)
        {
          self->pump_again = FALSE;
          pump_outbox (self);
          return;
        }
      finish_flush_waiters (self);
      return;
    }
  self->pump_again = FALSE;
  pump_start_step (self, rows, 0);
}

static void
pump_start_step (GlobiMessenger *self, GPtrArray *rows, guint index)
{
  JsonObject *row = g_ptr_array_index (rows, index);
  g_autoptr (JsonObject) request = parse_object (str_member (row, "request"));
  PumpStep *step = g_new0 (PumpStep, 1);

  step->self = g_object_ref (self);
  step->message_id = g_strdup (str_member (row, "id"));
  step->control = json_object_get_boolean_member_with_default (row, "control", FALSE);
  step->rows = g_ptr_array_ref (rows);
  step->index = index;
  if (request == NULL)
    {
      globi_cache_settle_async (self->cache, step->message_id, GLOBI_DELIVERY_STATE_FAILED, 0,
                                self->cancellable, on_settled_cb, step);
      return;
    }
  deliver_async (self, str_member (row, "chat_id"), step->message_id,
                 str_member (request, "content"), self->cancellable, on_outbox_delivered_cb, step);
}

static void
pump_outbox (GlobiMessenger *self)
{
  if (self->pumping)
    {
      self->pump_again = TRUE;
      return;
    }
  if (self->keys == NULL)
    return; /* start_async pumps once the keys are loaded */
  self->pumping = TRUE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  pump_continue (self);
}

void
globi_messenger_flush_async (GlobiMessenger *self,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, globi_messenger_flush_async);
  g_ptr_array_add (self->flush_waiters, task);
  pump_outbox (self);
}

/* Sending */

static char *
content_text (JsonObject *content)
{
  return object_to_string (content);
}

/* The server takes at most 64 KiB of base64url per ciphertext (48 KiB of bytes); the
 * ratchet's or sender key's header and the signature need the rest beside the content.
 * A longer message would only fail at the server, after showing as pending. */
#define CONTENT_MAX_BYTES (40 * 1024)

static gboolean
content_fits (const char *text, GError **error)
{
  if (strlen (text) <= CONTENT_MAX_BYTES)
    return TRUE;
  g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD,
                       _ ("The message is too long"));
  return FALSE;
}

static JsonObject *
new_content (const char *type, const char *id)
{
  JsonObject *content = json_object_new ();

  json_object_set_int_member (content, "v", 1);
  json_object_set_string_member (content, "type", type);
  json_object_set_string_member (content, "id", id);
  return content;
}

typedef struct
{
  GlobiMessage *message;
} SendData;

static void
on_enqueued_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  GlobiMessage *message = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!globi_cache_enqueue_finish (GLOBI_CACHE (source), result, &error))
    {
      globi_message_set_state (message, GLOBI_DELIVERY_STATE_FAILED);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  pump_outbox (self);
  g_task_return_pointer (task, g_object_ref (message), g_object_unref);
}

/* Stores the message (PENDING, shown at once) and its outbox entry; the pump sends it. */
static void
send_content (GlobiMessenger *self,
              gpointer source_tag,
              GlobiMessage *message,
              JsonObject *content,
              GCancellable *cancellable,
              GAsyncReadyCallback callback,
              gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (JsonObject) request = json_object_new ();
  g_autofree char *text = content_text (content);
  g_autofree char *request_text = NULL;
  g_autoptr (GlobiMessage) canonical = NULL;
  GlobiChat *chat;
  GError *error = NULL;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_object_ref (message), g_object_unref);
  if (!content_fits (text, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  canonical = globi_messenger_intern_message (self, message);
  chat = ensure_chat (self, globi_message_get_chat_id (message));
  json_object_set_string_member (request, "content", text);
  request_text = object_to_string (request);
  globi_chat_append_message (chat, message);
  globi_cache_enqueue_async (self->cache, message, request_text, cancellable, on_enqueued_cb,
                             g_steal_pointer (&task));
}

static GlobiMessage *
new_outgoing (GlobiMessenger *self, const char *chat_id, GlobiMessageKind kind, const char *text)
{
  g_autofree char *id = globi_id_new ();
  GlobiMessage *m =
      globi_message_new (id, chat_id, self->user_id, kind, text, g_get_real_time () / 1000);

  globi_message_set_outgoing (m, TRUE);
  globi_message_set_sender_device_id (m, self->device_id);
  globi_message_set_state (m, GLOBI_DELIVERY_STATE_PENDING);
  return m;
}

void
globi_messenger_send_text_async (GlobiMessenger *self,
                                 const char *chat_id,
                                 const char *text,
                                 const char *reply_to,
                                 const char *const *mentions,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_autoptr (GlobiMessage) m = NULL;
  g_autoptr (JsonObject) content = NULL;

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_return_if_fail (chat_id != NULL && text != NULL);

  m = new_outgoing (self, chat_id, GLOBI_MESSAGE_KIND_TEXT, text);
  content = new_content ("text", globi_message_get_id (m));
  json_object_set_string_member (content, "text", text);
  if (reply_to != NULL)
    {
      globi_message_set_reply_to (m, reply_to);
      json_object_set_string_member (content, "reply_to", reply_to);
    }
  if (mentions != NULL && mentions[0] != NULL)
    {
      JsonArray *array = json_array_new ();
      for (guint i = 0; mentions[i] != NULL; i++)
        json_array_add_string_element (array, mentions[i]);
      json_object_set_array_member (content, "mentions", array);
      globi_message_set_mentions (m, mentions);
    }
  send_content (self, globi_messenger_send_text_async, m, content, cancellable, callback,
                user_data);
}

void
globi_messenger_send_card_async (GlobiMessenger *self,
                                 const char *chat_id,
                                 const char *kind,
                                 JsonObject *card,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_autoptr (GlobiMessage) m = NULL;
  g_autoptr (JsonObject) content = NULL;
  g_autoptr (JsonObject) copy = NULL;
  g_autofree char *card_json = NULL;

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_return_if_fail (chat_id != NULL);

  /* The card carries its kind; the caller's object is left as it was. */
  if (card != NULL && kind != NULL)
    {
      g_autofree char *text = object_to_string (card);

      copy = parse_object (text);
      json_object_set_string_member (copy, "kind", kind);
      card_json = globi_message_card_serialize (kind, copy);
    }
  if (card_json == NULL)
    {
      g_task_report_new_error (self, callback, user_data, globi_messenger_send_card_async,
                               GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD,
                               _ ("A card must be a transfer, a money request or a red packet "
                                  "of at most 4 KiB"));
      return;
    }
  m = new_outgoing (self, chat_id, GLOBI_MESSAGE_KIND_CARD, NULL);
  globi_message_set_card_json (m, card_json);
  content = new_content ("card", globi_message_get_id (m));
  json_object_set_object_member (content, "card", g_steal_pointer (&copy));
  send_content (self, globi_messenger_send_card_async, m, content, cancellable, callback,
                user_data);
}

typedef struct
{
  GlobiMessage *original;
  char *to_chat_id;
} Forward;

static void
forward_free (Forward *fw)
{
  g_clear_object (&fw->original);
  g_free (fw->to_chat_id);
  g_free (fw);
}

static void
on_forward_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  GlobiMessage *m = g_task_propagate_pointer (G_TASK (result), &error);

  if (m == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, m, g_object_unref);
}

/* A file forwarded is the same upload (same hash, key and digest) under a new message:
 * nothing is uploaded again. */
static void
on_forward_key_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Forward *fw = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *value = globi_cache_get_value_finish (GLOBI_CACHE (source), result, &error);
  g_autoptr (JsonObject) info = parse_object (value);
  g_autoptr (GlobiMessage) m = NULL;
  g_autoptr (JsonObject) content = NULL;
  g_autoptr (JsonObject) state = json_object_new ();
  g_autofree char *state_key = NULL;
  GCancellable *cancellable;

  if (info == NULL || str_member (info, "hash") == NULL || str_member (info, "key") == NULL ||
      str_member (info, "digest") == NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND,
                               _ ("This file is no longer available to forward"));
      return;
    }
  m = new_outgoing (self, fw->to_chat_id, globi_message_get_kind (fw->original),
                    globi_message_get_text (fw->original));
  globi_message_set_forwarded (m, TRUE);
  globi_message_set_attachment (m, globi_message_get_attachment_name (fw->original),
                                globi_message_get_attachment_type (fw->original),
                                globi_message_get_attachment_size (fw->original));
  content = new_content ("file", globi_message_get_id (m));
  json_object_set_string_member (content, "name",
                                 globi_message_get_attachment_name (fw->original) ?: "file");
  json_object_set_string_member (content, "mime",
                                 globi_message_get_attachment_type (fw->original)
                                     ?: "application/octet-stream");
  json_object_set_int_member (content, "size", globi_message_get_attachment_size (fw->original));
  json_object_set_string_member (content, "hash", str_member (info, "hash"));
  json_object_set_string_member (content, "key", str_member (info, "key"));
  json_object_set_string_member (content, "digest", str_member (info, "digest"));
  json_object_set_boolean_member (content, "forwarded", TRUE);
  /* Queued before the message: the cache runs jobs in order. */
  state_key = g_strconcat ("attachment.", globi_message_get_id (m), NULL);
  json_object_set_string_member (state, state_key, value);
  globi_cache_set_values_async (self->cache, state, NULL, on_cache_done_cb, NULL);
  cancellable = g_task_get_cancellable (task);
  send_content (self, globi_messenger_forward_async, m, content, cancellable, on_forward_sent_cb,
                g_steal_pointer (&task));
}

void
globi_messenger_forward_async (GlobiMessenger *self,
                               GlobiMessage *message,
                               const char *to_chat_id,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_autoptr (GlobiMessage) m = NULL;
  g_autoptr (JsonObject) content = NULL;
  GlobiMessageKind kind;

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_return_if_fail (GLOBI_IS_MESSAGE (message));
  g_return_if_fail (to_chat_id != NULL);

  kind = globi_message_get_kind (message);
  if (kind == GLOBI_MESSAGE_KIND_IMAGE || kind == GLOBI_MESSAGE_KIND_FILE)
    {
      GTask *task = g_task_new (self, cancellable, callback, user_data);
      Forward *fw = g_new0 (Forward, 1);
      g_autofree char *key = g_strconcat ("attachment.", globi_message_get_id (message), NULL);

      g_task_set_source_tag (task, globi_messenger_forward_async);
      fw->original = g_object_ref (message);
      fw->to_chat_id = g_strdup (to_chat_id);
      g_task_set_task_data (task, fw, (GDestroyNotify) forward_free);
      globi_cache_get_value_async (self->cache, key, cancellable, on_forward_key_cb, task);
      return;
    }
  if (kind != GLOBI_MESSAGE_KIND_TEXT)
    {
      g_task_report_new_error (self, callback, user_data, globi_messenger_forward_async,
                               GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN,
                               _ ("This message can’t be forwarded"));
      return;
    }
  m = new_outgoing (self, to_chat_id, kind, globi_message_get_text (message));
  globi_message_set_forwarded (m, TRUE);
  content = new_content ("text", globi_message_get_id (m));
  json_object_set_string_member (content, "text", globi_message_get_text (message) ?: "");
  json_object_set_boolean_member (content, "forwarded", TRUE);
  send_content (self, globi_messenger_forward_async, m, content, cancellable, callback, user_data);
}

/* Attachments: encrypted on a worker thread with the crypto library (a fresh key per
 * file), uploaded with POST /v1/attachments, then announced by a message carrying the
 * hash, key and digest. Keys are kept in the crypto state as "attachment.MESSAGE_ID". */

typedef struct
{
  GlobiMessage *message;
  char *chat_id;
  GFile *file;
  char *name;
  char *mime;
  GBytes *ciphertext;
  gint64 size;
  guint8 key[GLOBI_ATTACHMENT_KEY_SIZE];
  guint8 digest[GLOBI_ATTACHMENT_DIGEST_SIZE];
  gboolean refreshed;
} Upload;

static void
upload_free (Upload *u)
{
  g_clear_object (&u->message);
  g_free (u->chat_id);
  g_clear_object (&u->file);
  g_free (u->name);
  g_free (u->mime);
  g_clear_pointer (&u->ciphertext, g_bytes_unref);
  sodium_memzero (u->key, sizeof u->key);
  g_free (u);
}

static void
encrypt_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Upload *u = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) plain = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (!g_file_load_contents (u->file, cancellable, &contents, &length, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  plain = g_bytes_new_take (contents, length);
  u->size = length;
  u->ciphertext = globi_attachment_encrypt (plain, u->key, u->digest);
  g_task_return_boolean (task, TRUE);
}

static void upload_send (GTask *task);

static void
on_upload_wrote_cb (SoupMessage *msg, guint chunk_size, gpointer user_data)
{
  Upload *u = user_data;
  double total = g_bytes_get_size (u->ciphertext);
  double sent = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "sent")) + chunk_size;

  g_object_set_data (G_OBJECT (msg), "sent", GSIZE_TO_POINTER ((gsize) sent));
  globi_message_set_attachment_progress (u->message, total > 0 ? MIN (sent / total, 0.99) : 0.99);
}

static void
on_file_enqueued_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Upload *u = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!globi_cache_enqueue_finish (GLOBI_CACHE (source), result, &error))
    {
      globi_message_set_state (u->message, GLOBI_DELIVERY_STATE_FAILED);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  pump_outbox (self);
  g_task_return_pointer (task, g_object_ref (u->message), g_object_unref);
}

static void
on_refreshed_for_upload_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) tokens = globi_client_refresh_finish (GLOBI_CLIENT (source), result, &error);

  if (tokens == NULL)
    {
      Upload *u = g_task_get_task_data (task);
      globi_message_set_state (u->message, GLOBI_DELIVERY_STATE_FAILED);
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  upload_send (task);
}

static void
on_uploaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Upload *u = g_task_get_task_data (task);
  SoupMessage *msg = g_object_get_data (G_OBJECT (task), "msg");
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonObject) content = NULL;
  g_autoptr (JsonObject) request = json_object_new ();
  g_autoptr (JsonObject) state = json_object_new ();
  g_autoptr (JsonObject) keyinfo = json_object_new ();
  g_autofree char *key = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *text = NULL;
  g_autofree char *request_text = NULL;
  g_autofree char *keyinfo_text = NULL;
  g_autofree char *state_key = NULL;
  const char *hash = NULL;

  if (body != NULL && soup_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED && !u->refreshed)
    {
      u->refreshed = TRUE;
      globi_client_refresh_async (self->client, g_task_get_cancellable (task),
                                  on_refreshed_for_upload_cb, g_steal_pointer (&task));
      return;
    }
  if (body != NULL && SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)) &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  NULL))
    {
      JsonNode *root = json_parser_get_root (parser);
      hash =
          JSON_NODE_HOLDS_OBJECT (root) ? str_member (json_node_get_object (root), "hash") : NULL;
    }
  if (hash == NULL)
    {
      globi_message_set_state (u->message, GLOBI_DELIVERY_STATE_FAILED);
      if (error == NULL)
        error = g_error_new (GLOBI_ERROR, GLOBI_ERROR_INTERNAL, _ ("The upload was refused (%u)"),
                             soup_message_get_status (msg));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  globi_message_set_attachment_progress (u->message, 1);
  key = globi_base64url_encode (u->key, sizeof u->key);
  digest = globi_base64url_encode (u->digest, sizeof u->digest);
  content = new_content ("file", globi_message_get_id (u->message));
  json_object_set_string_member (content, "name", u->name);
  json_object_set_string_member (content, "mime", u->mime);
  json_object_set_int_member (content, "size", u->size);
  json_object_set_string_member (content, "hash", hash);
  json_object_set_string_member (content, "key", key);
  json_object_set_string_member (content, "digest", digest);
  text = content_text (content);
  json_object_set_string_member (request, "content", text);
  request_text = object_to_string (request);

  json_object_set_string_member (keyinfo, "hash", hash);
  json_object_set_string_member (keyinfo, "key", key);
  json_object_set_string_member (keyinfo, "digest", digest);
  keyinfo_text = object_to_string (keyinfo);
  state_key = g_strconcat ("attachment.", globi_message_get_id (u->message), NULL);
  json_object_set_string_member (state, state_key, keyinfo_text);
  globi_cache_set_values_async (self->cache, state, NULL, on_cache_done_cb, NULL);
  globi_cache_enqueue_async (self->cache, u->message, request_text, g_task_get_cancellable (task),
                             on_file_enqueued_cb, g_object_ref (task));
}

static void
upload_send (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  Upload *u = g_task_get_task_data (task);
  g_autofree char *url =
      g_strconcat (globi_client_get_base_url (self->client), "/v1/attachments", NULL);
  g_autofree char *token = globi_client_dup_access_token (self->client);
  g_autofree char *bearer = g_strconcat ("Bearer ", token ? token : "", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);

  if (self->soup == NULL)
    self->soup = soup_session_new ();
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  soup_message_set_request_body_from_bytes (msg, "application/octet-stream", u->ciphertext);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_upload_wrote_cb), u);
  g_object_set_data_full (G_OBJECT (task), "msg", g_object_ref (msg), g_object_unref);
  soup_session_send_and_read_async (self->soup, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_uploaded_cb, task);
}

static void
on_encrypted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *outer = user_data;
  Upload *u = g_task_get_task_data (outer);
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      globi_message_set_state (u->message, GLOBI_DELIVERY_STATE_FAILED);
      g_task_return_error (outer, g_steal_pointer (&error));
      g_object_unref (outer);
      return;
    }
  globi_message_set_attachment (u->message, u->name, u->mime, u->size);
  upload_send (outer);
}

void
globi_messenger_send_file_async (GlobiMessenger *self,
                                 const char *chat_id,
                                 GFile *file,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GTask) worker = NULL;
  Upload *u = g_new0 (Upload, 1);
  g_autofree char *guessed = NULL;
  g_autoptr (GlobiMessage) canonical = NULL;

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_task_set_source_tag (task, globi_messenger_send_file_async);
  u->chat_id = g_strdup (chat_id);
  u->file = g_object_ref (file);
  u->name = g_file_get_basename (file);
  guessed = g_content_type_guess (u->name, NULL, 0, NULL);
  u->mime = g_content_type_get_mime_type (guessed);
  if (u->mime == NULL)
    u->mime = g_strdup ("application/octet-stream");
  u->message = new_outgoing (self, chat_id,
                             g_str_has_prefix (u->mime, "image/") ? GLOBI_MESSAGE_KIND_IMAGE
                                                                  : GLOBI_MESSAGE_KIND_FILE,
                             NULL);
  globi_message_set_attachment (u->message, u->name, u->mime, 0);
  globi_message_set_attachment_progress (u->message, 0);
  g_task_set_task_data (task, u, (GDestroyNotify) upload_free);
  /* Shown at once, with its progress. */
  canonical = globi_messenger_intern_message (self, u->message);
  globi_chat_append_message (ensure_chat (self, chat_id), u->message);

  worker = g_task_new (self, cancellable, on_encrypted_cb, task);
  g_task_set_task_data (worker, u, NULL);
  g_task_run_in_thread (worker, encrypt_thread);
}

/* Downloading */

typedef struct
{
  guint8 key[GLOBI_ATTACHMENT_KEY_SIZE];
  guint8 digest[GLOBI_ATTACHMENT_DIGEST_SIZE];
  GBytes *ciphertext;
  GlobiMessage *message; /* its attachment-progress follows the download */
  goffset received;
  char *path; /* fetch_attachment: where the plaintext goes, or NULL */
} Download;

static void
download_free (Download *d)
{
  sodium_memzero (d->key, sizeof d->key);
  g_clear_pointer (&d->ciphertext, g_bytes_unref);
  g_clear_object (&d->message);
  g_free (d->path);
  g_free (d);
}

static void
decrypt_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Download *d = data;
  GError *error = NULL;
  GBytes *plain = globi_attachment_decrypt (d->ciphertext, d->key, d->digest, &error);

  if (plain == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (d->path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (d->path);
      g_autoptr (GBytes) owned = plain;

      /* Private to this user, like the rest of the profile. */
      if (g_mkdir_with_parents (dir, 0700) != 0 ||
          !g_file_set_contents_full (d->path, g_bytes_get_data (owned, NULL),
                                     g_bytes_get_size (owned), G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                     &error))
        {
          if (error == NULL)
            error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "Could not create %s", dir);
          g_task_return_error (task, error);
          return;
        }
      g_task_return_pointer (task, g_file_new_for_path (d->path), g_object_unref);
      return;
    }
  g_task_return_pointer (task, plain, (GDestroyNotify) g_bytes_unref);
}

/* The server's limit is 25 MiB by default (configurable): this bounds what a download
 * may hold in memory whatever the server says. */
#define DOWNLOAD_MAX_BYTES (256 * 1024 * 1024)
#define DOWNLOAD_CHUNK     (64 * 1024)

static void download_fail (GTask *task, GError *error);

static void
on_download_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Download *d = g_task_get_task_data (task);
  GByteArray *buffer = g_object_get_data (G_OBJECT (task), "buffer");
  SoupMessage *msg = g_object_get_data (G_OBJECT (task), "msg");
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) chunk =
      g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  goffset total;

  if (chunk == NULL)
    {
      download_fail (task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      if (d->message != NULL)
        globi_message_set_attachment_progress (d->message, 1);
      d->ciphertext = g_byte_array_free_to_bytes (g_byte_array_ref (buffer));
      g_task_run_in_thread (task, decrypt_thread);
      g_object_unref (task);
      return;
    }
  if (buffer->len + g_bytes_get_size (chunk) > DOWNLOAD_MAX_BYTES)
    {
      download_fail (task,
                     g_error_new (GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE, _ ("The file is too large")));
      return;
    }
  g_byte_array_append (buffer, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  total = soup_message_headers_get_content_length (soup_message_get_response_headers (msg));
  if (total <= 0 && d->message != NULL)
    total = globi_message_get_attachment_size (d->message);
  if (d->message != NULL && total > 0)
    globi_message_set_attachment_progress (d->message, MIN (0.99, (double) buffer->len / total));
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), DOWNLOAD_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_download_read_cb, task);
}

static void
download_fail (GTask *task, GError *error)
{
  Download *d = g_task_get_task_data (task);

  if (d->message != NULL)
    globi_message_set_attachment_progress (d->message, 1);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
on_downloaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  SoupMessage *msg = g_object_get_data (G_OBJECT (task), "msg");
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) stream =
      soup_session_send_finish (SOUP_SESSION (source), result, &error);

  if (stream == NULL || !SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      if (error == NULL)
        error = g_error_new (GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND, _ ("The file is not available"));
      download_fail (task, g_steal_pointer (&error));
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "buffer", g_byte_array_new (),
                          (GDestroyNotify) g_byte_array_unref);
  g_object_set_data_full (G_OBJECT (task), "stream", g_object_ref (stream), g_object_unref);
  g_input_stream_read_bytes_async (stream, DOWNLOAD_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_download_read_cb, task);
}

static gboolean
decode_into (const char *text, guint8 *out, gsize size)
{
  g_autoptr (GBytes) bytes = text ? globi_base64url_decode (text, strlen (text), NULL) : NULL;

  if (bytes == NULL || g_bytes_get_size (bytes) != size)
    return FALSE;
  memcpy (out, g_bytes_get_data (bytes, NULL), size);
  return TRUE;
}

static void
on_attachment_key_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Download *d = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *value = globi_cache_get_value_finish (GLOBI_CACHE (source), result, &error);
  g_autoptr (JsonObject) info = parse_object (value);
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  g_autofree char *bearer = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  if (info == NULL || !decode_into (str_member (info, "key"), d->key, sizeof d->key) ||
      !decode_into (str_member (info, "digest"), d->digest, sizeof d->digest) ||
      str_member (info, "hash") == NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND,
                               _ ("This message has no file"));
      g_object_unref (task);
      return;
    }
  url = g_strconcat (globi_client_get_base_url (self->client), "/v1/attachments/",
                     str_member (info, "hash"), NULL);
  token = globi_client_dup_access_token (self->client);
  bearer = g_strconcat ("Bearer ", token ? token : "", NULL);
  msg = soup_message_new ("GET", url);
  if (self->soup == NULL)
    self->soup = soup_session_new ();
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  g_object_set_data_full (G_OBJECT (task), "msg", g_object_ref (msg), g_object_unref);
  if (d->message != NULL)
    globi_message_set_attachment_progress (d->message, 0);
  soup_session_send_async (self->soup, msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                           on_downloaded_cb, task);
}

static void
download_start (GlobiMessenger *self, GTask *task, GlobiMessage *message, const char *path)
{
  g_autofree char *key = g_strconcat ("attachment.", globi_message_get_id (message), NULL);
  Download *d = g_new0 (Download, 1);

  d->message = g_object_ref (message);
  d->path = g_strdup (path);
  g_task_set_task_data (task, d, (GDestroyNotify) download_free);
  globi_cache_get_value_async (self->cache, key, g_task_get_cancellable (task),
                               on_attachment_key_cb, task);
}

void
globi_messenger_download_attachment_async (GlobiMessenger *self,
                                           GlobiMessage *message,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_task_set_source_tag (task, globi_messenger_download_attachment_async);
  download_start (self, task, message, NULL);
}

/* PROFILE/attachments/MESSAGE_ID: the decrypted copy, made once. */
static char *
attachment_path (GlobiMessenger *self, GlobiMessage *message)
{
  return g_build_filename (globi_session_get_profile_dir (self->session), "attachments",
                           globi_message_get_id (message), NULL);
}

void
globi_messenger_fetch_attachment_async (GlobiMessenger *self,
                                        GlobiMessage *message,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *path = NULL;

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_return_if_fail (GLOBI_IS_MESSAGE (message));
  g_task_set_source_tag (task, globi_messenger_fetch_attachment_async);
  if (globi_message_get_id (message) == NULL || !*globi_message_get_id (message) ||
      strchr (globi_message_get_id (message), G_DIR_SEPARATOR) != NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND,
                               _ ("This message has no file"));
      g_object_unref (task);
      return;
    }
  path = attachment_path (self, message);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_task_return_pointer (task, g_file_new_for_path (path), g_object_unref);
      g_object_unref (task);
      return;
    }
  download_start (self, task, message, path);
}

GFile *
globi_messenger_fetch_attachment_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GBytes *
globi_messenger_download_attachment_finish (GlobiMessenger *self,
                                            GAsyncResult *result,
                                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GlobiMessage *
globi_messenger_send_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_requeued_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMessenger) self = user_data;
  g_autoptr (GError) error = NULL;

  if (globi_cache_settle_finish (GLOBI_CACHE (source), result, &error))
    pump_outbox (self);
}

void
globi_messenger_retry_message (GlobiMessenger *self, GlobiMessage *message)
{
  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  if (globi_message_get_state (message) != GLOBI_DELIVERY_STATE_FAILED)
    return;
  globi_message_set_state (message, GLOBI_DELIVERY_STATE_PENDING);
  globi_cache_settle_async (self->cache, globi_message_get_id (message),
                            GLOBI_DELIVERY_STATE_PENDING, 0, NULL, on_requeued_cb,
                            g_object_ref (self));
}

/* Control messages (edit, delete, reactions, receipts): encrypted like any message, not
 * shown as one; they go through the durable outbox (their id is the idempotency key), in
 * order with the messages they refer to, and survive a crash or restart. */

static void
on_control_enqueued_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;

  if (!globi_cache_enqueue_finish (GLOBI_CACHE (source), result, &error))
    {
      g_warning ("Could not queue a control message: %s", error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  pump_outbox (self);
  g_task_return_boolean (task, TRUE);
}

/* callback may be NULL (receipts). content's "id" if set, else a new one. */
static void
send_control (GlobiMessenger *self,
              const char *chat_id,
              JsonObject *content,
              GCancellable *cancellable,
              GAsyncReadyCallback callback,
              gpointer user_data,
              gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  const char *given = str_member (content, "id");
  g_autofree char *id = given != NULL && *given != '\0' ? g_strdup (given) : globi_id_new ();
  g_autofree char *text = NULL;
  g_autoptr (JsonObject) request = json_object_new ();
  g_autofree char *request_text = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, source_tag);
  json_object_set_string_member (content, "id", id);
  text = content_text (content);
  if (!content_fits (text, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  json_object_set_string_member (request, "content", text);
  request_text = object_to_string (request);
  globi_cache_enqueue_control_async (self->cache, id, chat_id, request_text, cancellable,
                                     on_control_enqueued_cb, task);
}

void
globi_messenger_edit_async (GlobiMessenger *self,
                            GlobiMessage *message,
                            const char *text,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autofree char *id = globi_id_new ();
  g_autoptr (JsonObject) content = new_content ("edit", id);
  g_autofree char *content_json = NULL;
  GError *error = NULL;

  if (!globi_message_get_outgoing (message))
    {
      g_task_report_new_error (self, callback, user_data, globi_messenger_edit_async, GLOBI_ERROR,
                               GLOBI_ERROR_FORBIDDEN, _ ("Only your own messages can be edited"));
      return;
    }
  json_object_set_string_member (content, "target", globi_message_get_id (message));
  json_object_set_string_member (content, "text", text);
  /* Checked before the message shows the new text. */
  content_json = content_text (content);
  if (!content_fits (content_json, &error))
    {
      g_task_report_error (self, callback, user_data, globi_messenger_edit_async, error);
      return;
    }
  globi_message_set_text (message, text, g_get_real_time () / 1000);
  globi_cache_update_message_async (self->cache, message, NULL, on_cache_done_cb, NULL);
  send_control (self, globi_message_get_chat_id (message), content, cancellable, callback,
                user_data, globi_messenger_edit_async);
}

void
globi_messenger_delete_async (GlobiMessenger *self,
                              GlobiMessage *message,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr (JsonObject) content = new_content ("delete", "");

  if (!globi_message_get_outgoing (message) ||
      g_get_real_time () / 1000 - globi_message_get_sent_at (message) > DELETE_WINDOW_MS)
    {
      g_task_report_new_error (self, callback, user_data, globi_messenger_delete_async, GLOBI_ERROR,
                               GLOBI_ERROR_FORBIDDEN,
                               _ ("Only your own messages of the last 24 hours can be deleted"));
      return;
    }
  globi_message_set_kind (message, GLOBI_MESSAGE_KIND_DELETED);
  globi_message_set_text (message, NULL, globi_message_get_edited_at (message));
  globi_cache_update_message_async (self->cache, message, NULL, on_cache_done_cb, NULL);
  json_object_set_string_member (content, "target", globi_message_get_id (message));
  send_control (self, globi_message_get_chat_id (message), content, cancellable, callback,
                user_data, globi_messenger_delete_async);
}

/* reactions JSON {"emoji": [user ids]}: sets or clears user's reaction. */
static char *
apply_reaction (const char *reactions, const char *user_id, const char *emoji)
{
  g_autoptr (JsonObject) object = parse_object (reactions);
  g_autoptr (JsonObject) out = json_object_new ();
  g_autoptr (GList) members = NULL;
  gboolean added = FALSE;

  if (object == NULL)
    object = json_object_new ();
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonArray *users = json_object_get_array_member (object, l->data);
      JsonArray *kept = json_array_new ();
      for (guint i = 0; users != NULL && i < json_array_get_length (users); i++)
        if (g_strcmp0 (json_array_get_string_element (users, i), user_id) != 0)
          json_array_add_string_element (kept, json_array_get_string_element (users, i));
      if (g_strcmp0 (l->data, emoji) == 0)
        {
          json_array_add_string_element (kept, user_id);
          added = TRUE;
        }
      if (json_array_get_length (kept) > 0)
        json_object_set_array_member (out, l->data, kept);
      else
        json_array_unref (kept);
    }
  if (emoji != NULL && !added)
    {
      JsonArray *users = json_array_new ();
      json_array_add_string_element (users, user_id);
      json_object_set_array_member (out, emoji, users);
    }
  if (json_object_get_size (out) == 0)
    return NULL;
  return object_to_string (out);
}

void
globi_messenger_react_async (GlobiMessenger *self,
                             GlobiMessage *message,
                             const char *emoji,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (JsonObject) content = new_content ("react", "");
  g_autofree char *reactions =
      apply_reaction (globi_message_get_reactions (message), self->user_id, emoji);

  globi_message_set_reactions (message, reactions);
  globi_cache_update_message_async (self->cache, message, NULL, on_cache_done_cb, NULL);
  json_object_set_string_member (content, "target", globi_message_get_id (message));
  if (emoji != NULL)
    json_object_set_string_member (content, "emoji", emoji);
  send_control (self, globi_message_get_chat_id (message), content, cancellable, callback,
                user_data, globi_messenger_react_async);
}

/* Receiving */

typedef struct
{
  GPtrArray *messages; /* new GlobiMessage to commit */
  GPtrArray *changed;  /* existing GlobiMessage updated by control messages */
  gint64 cursor;
  gboolean refresh;        /* friends/groups changed */
  JsonObject *extra_state; /* attachment keys of the new messages */
  gboolean prekey_used;    /* a responder session took a one-time prekey */
  JsonArray *others;       /* events of kinds messaging does not know, for "event" */
} Batch;

static void
batch_free (Batch *b)
{
  g_clear_pointer (&b->messages, g_ptr_array_unref);
  g_clear_pointer (&b->changed, g_ptr_array_unref);
  g_clear_pointer (&b->extra_state, json_object_unref);
  g_clear_pointer (&b->others, json_array_unref);
  g_free (b);
}

static GlobiMessage *
find_in_batch (Batch *b, GlobiMessenger *self, const char *id)
{
  for (guint i = 0; i < b->messages->len; i++)
    if (g_strcmp0 (globi_message_get_id (g_ptr_array_index (b->messages, i)), id) == 0)
      return g_ptr_array_index (b->messages, i);
  return id ? g_hash_table_lookup (self->live, id) : NULL;
}

static void
apply_control (
    GlobiMessenger *self, Batch *b, JsonObject *content, const char *type, const char *sender_id)
{
  GlobiMessage *target = find_in_batch (b, self, str_member (content, "target"));

  if (g_str_equal (type, "receipt"))
    {
      JsonArray *ids = member_array (content, "ids");
      GlobiDeliveryState state = g_strcmp0 (str_member (content, "state"), "read") == 0
                                     ? GLOBI_DELIVERY_STATE_READ
                                     : GLOBI_DELIVERY_STATE_DELIVERED;
      for (guint i = 0; ids != NULL && i < json_array_get_length (ids); i++)
        {
          GlobiMessage *m = find_in_batch (b, self, json_array_get_string_element (ids, i));
          if (m != NULL && globi_message_get_outgoing (m) && globi_message_get_state (m) < state &&
              (state != GLOBI_DELIVERY_STATE_READ || self->read_receipts))
            {
              globi_message_set_state (m, state);
              g_ptr_array_add (b->changed, g_object_ref (m));
            }
        }
      return;
    }
  /* Anyone in the chat may react; only the author may edit or delete. */
  if (target == NULL)
    return;
  if (!g_str_equal (type, "react") &&
      g_strcmp0 (globi_message_get_sender_id (target), sender_id) != 0)
    return;
  if (g_str_equal (type, "edit"))
    globi_message_set_text (target, str_member (content, "text"), g_get_real_time () / 1000);
  else if (g_str_equal (type, "delete"))
    {
      globi_message_set_kind (target, GLOBI_MESSAGE_KIND_DELETED);
      globi_message_set_text (target, NULL, globi_message_get_edited_at (target));
    }
  else if (g_str_equal (type, "react"))
    {
      g_autofree char *reactions = apply_reaction (globi_message_get_reactions (target), sender_id,
                                                   str_member (content, "emoji"));
      globi_message_set_reactions (target, reactions);
    }
  g_ptr_array_add (b->changed, g_object_ref (target));
}

/* A group message with the sender key that device distributed for the key id it names. */
static GBytes *
decrypt_group (GlobiMessenger *self,
               const char *group_id,
               const char *sender_device,
               const char *ciphertext,
               GError **error)
{
  g_autoptr (GBytes) bytes = text_to_bytes (ciphertext);
  g_autoptr (GBytes) state = NULL;
  g_autoptr (GlobiSenderKey) key = NULL;
  g_autoptr (GBytes) plaintext = NULL;
  g_autofree char *slot = NULL;
  guint32 key_id = 0;

  if (bytes == NULL || !globi_sender_key_message_peek_key_id (bytes, &key_id, error))
    return NULL;
  slot = g_strdup_printf ("%s/%s/%u", group_id, sender_device, key_id);
  state = text_to_bytes (g_hash_table_lookup (self->group_keys, slot));
  if (state == NULL)
    {
      g_debug ("No group key for a message (not a member then, or not distributed)");
      return NULL;
    }
  key = globi_sender_key_new_from_bytes (state, error);
  if (key == NULL || (plaintext = globi_sender_key_decrypt (key, bytes, error)) == NULL)
    return NULL;
  g_hash_table_insert (self->group_keys, g_steal_pointer (&slot),
                       bytes_to_text (globi_sender_key_serialize (key)));
  return g_steal_pointer (&plaintext);
}

/* Whether a message that decrypted on the stored session `used` makes it the active one
 * instead of `active`. When both devices started a session at once, each side holds both
 * runs and first makes active the run the other started (its prekey message arrived);
 * replies then cross on different runs. Both sides keep the run with the smaller base
 * key, so they settle on the same one whatever the order of arrival. */
static gboolean
session_wins (GlobiRatchetSession *used, GlobiRatchetSession *active)
{
  return globi_ratchet_session_get_prekey_pending (active) ||
         memcmp (globi_ratchet_session_get_base_key (used),
                 globi_ratchet_session_get_base_key (active), GLOBI_KEY_SIZE) < 0;
}

/* A pairwise ciphertext ("message", "prekey", or a "sender_key" wrapping either) with the
 * sessions kept for that device, the active one first; a "prekey" one that no session
 * knows starts a responder session, consuming a one-time prekey, which becomes the active
 * session (the sender evidently has no other). Nothing changes unless it decrypts. */
static GBytes *
decrypt_pairwise (GlobiMessenger *self,
                  Batch *b,
                  const char *sender_id,
                  const char *sender_device,
                  const char *type,
                  const char *ciphertext,
                  char **identity,
                  GError **error)
{
  g_autoptr (GBytes) bytes = text_to_bytes (ciphertext);
  g_autoptr (GBytes) inner = NULL;
  g_autoptr (GPtrArray) record = NULL;
  GlobiRatchetSession *session = NULL;
  g_autoptr (GBytes) plaintext = NULL;
  g_autoptr (GError) known = NULL; /* from a session of the message's own run */
  GlobiCiphertextType inner_type;

  if (bytes == NULL)
    return NULL;
  if (g_strcmp0 (type, "sender_key") == 0)
    {
      if (!globi_sender_key_envelope_split (bytes, &inner_type, &inner, error))
        return NULL;
    }
  else if (type != NULL && globi_ciphertext_type_from_string (type, &inner_type))
    inner = g_bytes_ref (bytes);
  else
    return NULL;

  record = session_record_load (self, sender_device);
  for (guint i = 0; i < record->len && plaintext == NULL; i++)
    {
      g_autoptr (GError) local = NULL;

      session = g_ptr_array_index (record, i);
      plaintext = globi_ratchet_session_decrypt (session, inner_type, inner, &local);
      if (plaintext != NULL)
        {
          if (i > 0 && session_wins (session, g_ptr_array_index (record, 0)))
            g_ptr_array_insert (record, 0, g_ptr_array_steal_index (record, i));
        }
      /* A prekey message of another run says nothing about this one; anything else is
       * the first (the active session's) reason it does not decrypt. */
      else if (known == NULL &&
               (inner_type != GLOBI_CIPHERTEXT_PREKEY ||
                !g_error_matches (local, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY)))
        known = g_steal_pointer (&local);
    }
  if (plaintext == NULL && known != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&known));
      return NULL;
    }
  if (plaintext == NULL)
    {
      if (inner_type != GLOBI_CIPHERTEXT_PREKEY)
        {
          g_debug ("No session with the sending device");
          return NULL;
        }
      session = globi_ratchet_session_new_responder (self->keys, self->user_id, sender_id, inner,
                                                     &plaintext, error);
      if (session == NULL)
        return NULL;
      g_ptr_array_insert (record, 0, session);
      b->prekey_used = TRUE;
    }
  *identity = globi_base64url_encode (globi_ratchet_session_get_remote_identity_key (session),
                                      GLOBI_KEY_SIZE);
  session_record_store (self, sender_device, record);
  return g_steal_pointer (&plaintext);
}

static void
handle_message_event (GlobiMessenger *self, Batch *b, JsonObject *event)
{
  JsonObject *from;
  JsonNode *from_node = json_object_get_member (event, "from");
  JsonNode *to_node = json_object_get_member (event, "to");
  const char *id = str_member (event, "id");
  const char *type = str_member (event, "type");
  const char *ciphertext = str_member (event, "ciphertext");
  const char *sender_id, *sender_device, *group_id, *to_user;
  g_autoptr (GBytes) plaintext = NULL;
  g_autofree char *identity = NULL;
  g_autofree char *chat_id = NULL;
  g_autoptr (JsonObject) content = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) m = NULL;
  g_autofree char *card_json = NULL;
  const char *content_type;

  if (from_node == NULL || !JSON_NODE_HOLDS_OBJECT (from_node) || to_node == NULL ||
      !JSON_NODE_HOLDS_OBJECT (to_node) || id == NULL || ciphertext == NULL)
    return;
  from = json_node_get_object (from_node);
  sender_id = str_member (from, "user_id");
  sender_device = str_member (from, "device_id");
  group_id = str_member (json_node_get_object (to_node), "group_id");
  to_user = str_member (json_node_get_object (to_node), "user_id");
  if (sender_id == NULL || sender_device == NULL)
    return;

  if (group_id != NULL && g_strcmp0 (type, "sender_key") != 0)
    plaintext = decrypt_group (self, group_id, sender_device, ciphertext, &error);
  else
    plaintext =
        decrypt_pairwise (self, b, sender_id, sender_device, type, ciphertext, &identity, &error);
  if (plaintext == NULL)
    {
      if (error != NULL)
        g_debug ("Rejected a message that does not decrypt: %s", error->message);
      return;
    }
  /* A known device signing with another key is a key change, not silently accepted. */
  if (identity != NULL)
    check_identity (self, sender_id, sender_device, identity);

  if (g_strcmp0 (type, "sender_key") == 0)
    {
      g_autoptr (GlobiSenderKey) key = globi_sender_key_new_from_distribution (plaintext, &error);
      g_autofree char *slot = NULL;

      if (key == NULL)
        {
          g_debug ("Rejected a sender key distribution: %s", error->message);
          return;
        }
      slot = g_strdup_printf ("%s/%s/%u", globi_sender_key_get_group_id (key), sender_device,
                              globi_sender_key_get_key_id (key));
      /* The copy already held is as far along or further: a distribution sent again (one
       * comes with every message) must not reopen keys already used. */
      if (!g_hash_table_contains (self->group_keys, slot))
        g_hash_table_insert (self->group_keys, g_steal_pointer (&slot),
                             bytes_to_text (globi_sender_key_serialize (key)));
      return;
    }
  {
    gsize len = 0;
    const char *data = g_bytes_get_data (plaintext, &len);
    g_autofree char *text = g_strndup (data, len);

    content = parse_object (text);
  }
  content_type = str_member (content, "type");
  if (content == NULL || content_type == NULL)
    return;

  /* The signed content names the message it belongs to: a ciphertext replayed under
   * another message id is refused. */
  if (g_strcmp0 (str_member (content, "id"), id) != 0)
    {
      g_debug ("Rejected a replayed ciphertext");
      return;
    }
  if (g_str_equal (content_type, "card"))
    {
      JsonNode *node = json_object_get_member (content, "card");
      JsonObject *card = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      card_json = card ? globi_message_card_serialize (str_member (card, "kind"), card) : NULL;
      if (card_json == NULL)
        {
          g_debug ("Rejected a card that is not one");
          return;
        }
    }
  else if (!g_str_equal (content_type, "text") && !g_str_equal (content_type, "file"))
    {
      apply_control (self, b, content, content_type, sender_id);
      return;
    }
  if (group_id != NULL)
    chat_id = globi_chat_id_for_group (group_id);
  else if (g_strcmp0 (sender_id, self->user_id) == 0)
    chat_id = globi_chat_id_for_user (to_user);
  else
    chat_id = globi_chat_id_for_user (sender_id);
  m = globi_message_new (id, chat_id, sender_id, GLOBI_MESSAGE_KIND_TEXT,
                         str_member (content, "text"),
                         json_object_get_int_member_with_default (event, "sent_at", 0));
  globi_message_set_sender_device_id (m, sender_device);
  globi_message_set_reply_to (m, str_member (content, "reply_to"));
  if (card_json != NULL)
    {
      globi_message_set_kind (m, GLOBI_MESSAGE_KIND_CARD);
      globi_message_set_text (m, NULL, 0);
      globi_message_set_card_json (m, card_json);
    }
  else if (g_str_equal (content_type, "file"))
    {
      const char *mime = str_member (content, "mime") ?: "application/octet-stream";
      g_autoptr (JsonObject) info = json_object_new ();
      g_autofree char *info_text = NULL;

      globi_message_set_kind (m, g_str_has_prefix (mime, "image/") ? GLOBI_MESSAGE_KIND_IMAGE
                                                                   : GLOBI_MESSAGE_KIND_FILE);
      globi_message_set_attachment (m, str_member (content, "name"), mime,
                                    json_object_get_int_member_with_default (content, "size", 0));
      json_object_set_string_member (info, "hash", str_member (content, "hash"));
      json_object_set_string_member (info, "key", str_member (content, "key"));
      json_object_set_string_member (info, "digest", str_member (content, "digest"));
      info_text = object_to_string (info);
      /* Committed with the message (see process_events_async). */
      {
        g_autofree char *slot = g_strconcat ("attachment.", id, NULL);
        json_object_set_string_member (b->extra_state, slot, info_text);
      }
    }
  globi_message_set_forwarded (
      m, json_object_get_boolean_member_with_default (content, "forwarded", FALSE));
  if (g_strcmp0 (sender_id, self->user_id) == 0)
    {
      globi_message_set_outgoing (m, TRUE);
      globi_message_set_state (m, GLOBI_DELIVERY_STATE_SENT);
    }
  else
    globi_message_set_state (m, GLOBI_DELIVERY_STATE_DELIVERED);
  if (member_array (content, "mentions") != NULL)
    {
      JsonArray *array = member_array (content, "mentions");
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
      g_auto (GStrv) mentions = NULL;
      for (guint i = 0; i < json_array_get_length (array); i++)
        g_strv_builder_add (builder, json_array_get_string_element (array, i));
      mentions = g_strv_builder_end (builder);
      globi_message_set_mentions (m, (const char *const *) mentions);
    }
  /* A message arriving twice (a replayed stream) is dropped by id. */
  if (find_in_batch (b, self, id) != NULL)
    return;
  g_ptr_array_add (b->messages, g_steal_pointer (&m));
}

/* A new group announcement shows in the group chat as a notice (once per text, whether
 * my own change or the stream told first). */
static void
announce (GlobiMessenger *self, const char *group_id, const char *text)
{
  g_autofree char *chat_id = NULL;
  g_autofree char *notice = NULL;

  if (text == NULL || *text == '\0' ||
      g_strcmp0 (g_hash_table_lookup (self->announced, group_id), text) == 0)
    return;
  g_hash_table_insert (self->announced, g_strdup (group_id), g_strdup (text));
  chat_id = globi_chat_id_for_group (group_id);
  notice = g_strdup_printf (_ ("Group announcement: %s"), text);
  add_system_message (self, chat_id, notice);
}

static void
handle_event (GlobiMessenger *self, Batch *b, JsonObject *event)
{
  const char *kind = str_member (event, "kind");

  if (g_strcmp0 (kind, "message") == 0)
    handle_message_event (self, b, event);
  else if (g_strcmp0 (kind, "devices_changed") == 0)
    {
      /* Fetched again before the next send; identities are checked there. */
      if (str_member (event, "user_id") != NULL)
        g_hash_table_remove (self->bundle_cache, str_member (event, "user_id"));
    }
  else if (g_strcmp0 (kind, "group_updated") == 0)
    {
      JsonNode *node = json_object_get_member (event, "group");
      JsonObject *object =
          node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      GlobiGroup *known =
          object ? globi_messenger_find_group (self, str_member (object, "id")) : NULL;

      /* Someone left or was removed: a new group key, so they cannot read what follows. */
      if (known != NULL && json_object_get_int_member_with_default (object, "member_count", 0) <
                               globi_group_get_member_count (known))
        json_object_remove_member (self->my_group_keys, globi_group_get_id (known));
      if (known != NULL && g_strcmp0 (str_member (object, "announcement"),
                                      globi_group_get_announcement (known)) != 0)
        announce (self, globi_group_get_id (known), str_member (object, "announcement"));
      b->refresh = TRUE;
    }
  else if (g_strcmp0 (kind, "group_removed") == 0 || g_strcmp0 (kind, "friend_request") == 0 ||
           g_strcmp0 (kind, "friend_added") == 0 || g_strcmp0 (kind, "friend_removed") == 0)
    b->refresh = TRUE;
  else if (kind != NULL)
    json_array_add_object_element (b->others, json_object_ref (event));
}

typedef struct
{
  GlobiMessenger *self;
  Batch *batch;
  GTask *task;
} Commit;

static void
send_receipts (GlobiMessenger *self, GPtrArray *inserted)
{
  g_autoptr (GHashTable) by_chat =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_array_unref);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < inserted->len; i++)
    {
      GlobiMessage *m = g_ptr_array_index (inserted, i);
      JsonArray *ids;
      if (globi_message_get_outgoing (m))
        continue;
      /* A receipt goes to the author only: their chat with me. */
      ids = g_hash_table_lookup (by_chat, globi_message_get_sender_id (m));
      if (ids == NULL)
        {
          ids = json_array_new ();
          g_hash_table_insert (by_chat, g_strdup (globi_message_get_sender_id (m)), ids);
        }
      json_array_add_string_element (ids, globi_message_get_id (m));
    }
  g_hash_table_iter_init (&iter, by_chat);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr (JsonObject) content = new_content ("receipt", "");
      g_autofree char *chat_id = globi_chat_id_for_user (key);
      json_object_set_string_member (content, "state", "delivered");
      json_object_set_array_member (content, "ids", json_array_ref (value));
      send_control (self, chat_id, content, NULL, NULL, NULL, send_receipts);
    }
}

static void
on_batch_committed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Batch *b = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) inserted = globi_cache_commit_finish (GLOBI_CACHE (source), result, &error);
  g_autoptr (GPtrArray) shown = NULL;

  if (inserted == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  shown = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < inserted->len; i++)
    {
      g_autoptr (GlobiMessage) m =
          globi_messenger_intern_message (self, g_ptr_array_index (inserted, i));
      GlobiChat *chat = ensure_chat (self, globi_message_get_chat_id (m));

      globi_chat_append_message (chat, m);
      if (!globi_message_get_outgoing (m))
        {
          /* Their message is what they were typing. */
          show_typing (self, globi_message_get_chat_id (m), globi_message_get_sender_id (m), FALSE);
          globi_chat_set_unread_count (chat, globi_chat_get_unread_count (chat) + 1);
          g_signal_emit (self, signals[SIGNAL_MESSAGE_RECEIVED], 0, chat, m);
        }
      g_ptr_array_add (shown, g_steal_pointer (&m));
    }
  for (guint i = 0; i < b->changed->len; i++)
    globi_cache_update_message_async (self->cache, g_ptr_array_index (b->changed, i), NULL,
                                      on_cache_done_cb, NULL);
  if (b->refresh)
    refresh_in_background (self);
  send_receipts (self, inserted);
  /* After the commit, like messages: a handler that fails is not a reason to see the
   * event again. */
  for (guint i = 0; i < json_array_get_length (b->others); i++)
    {
      JsonObject *event = json_array_get_object_element (b->others, i);
      g_signal_emit (self, signals[SIGNAL_EVENT], 0, str_member (event, "kind"), event);
    }
  g_task_return_pointer (task, g_steal_pointer (&shown), (GDestroyNotify) g_ptr_array_unref);
}

/* Decrypts events [{seq, event}], then commits the new messages, the crypto state and the
 * cursor in one transaction. Returns the new messages (GPtrArray). */
static void
process_events_async (GlobiMessenger *self,
                      JsonArray *events,
                      GCancellable *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Batch *b = g_new0 (Batch, 1);
  g_autoptr (JsonObject) state = NULL;

  g_task_set_source_tag (task, process_events_async);
  b->messages = g_ptr_array_new_with_free_func (g_object_unref);
  b->changed = g_ptr_array_new_with_free_func (g_object_unref);
  b->extra_state = json_object_new ();
  b->others = json_array_new ();
  g_task_set_task_data (task, b, (GDestroyNotify) batch_free);
  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      JsonObject *item;
      JsonNode *event;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      item = json_node_get_object (node);
      b->cursor = MAX (b->cursor, json_object_get_int_member_with_default (item, "seq", 0));
      event = json_object_get_member (item, "event");
      if (event != NULL && JSON_NODE_HOLDS_OBJECT (event))
        handle_event (self, b, json_node_get_object (event));
    }
  state = crypto_state_snapshot (self);
  {
    g_autoptr (GList) keys = json_object_get_members (b->extra_state);
    for (GList *l = keys; l != NULL; l = l->next)
      json_object_set_member (state, l->data,
                              json_node_copy (json_object_get_member (b->extra_state, l->data)));
  }
  globi_cache_commit_async (self->cache, b->messages, state, b->cursor, cancellable,
                            on_batch_committed_cb, task);
  if (b->prekey_used)
    replenish_prekeys (self);
}

static GPtrArray *
process_events_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Polling (GET /v1/events): the CLI's sync */

typedef struct
{
  gint64 cursor;
  GPtrArray *messages;
  gboolean caught_up;
} Sync;

static void
sync_free (Sync *s)
{
  g_clear_pointer (&s->messages, g_ptr_array_unref);
  g_free (s);
}

static void sync_fetch (GTask *task);

static void
on_sync_acked_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Sync *s = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);

  if (reply == NULL)
    {
      self->syncing = FALSE;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (s->caught_up)
    {
      self->syncing = FALSE;
      g_signal_emit (self, signals[SIGNAL_CAUGHT_UP], 0);
      g_task_return_pointer (task, g_ptr_array_ref (s->messages),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  sync_fetch (g_steal_pointer (&task));
}

static void
sync_ack (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  Sync *s = g_task_get_task_data (task);
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (JsonNode) node = NULL;

  json_object_set_int_member (body, "seq", s->cursor);
  node = object_node (body);
  api (self, "POST", "/v1/events/ack", node, g_task_get_cancellable (task), on_sync_acked_cb, task);
}

static void
on_sync_processed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = GLOBI_MESSENGER (source);
  Sync *s = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) added = process_events_finish (self, result, &error);

  if (added == NULL)
    {
      self->syncing = FALSE;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < added->len; i++)
    g_ptr_array_add (s->messages, g_object_ref (g_ptr_array_index (added, i)));
  /* Acknowledged only now that the events are committed in the cache. */
  sync_ack (g_steal_pointer (&task));
}

static void
on_sync_events_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Sync *s = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  JsonObject *object =
      reply && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  JsonArray *events = member_array (object, "events");
  gint64 last = s->cursor;

  if (object == NULL)
    {
      self->syncing = FALSE;
      g_task_return_error (
          task, error ? g_steal_pointer (&error)
                      : g_error_new (GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "bad events reply"));
      return;
    }
  s->caught_up = json_object_get_boolean_member_with_default (object, "caught_up", TRUE);
  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    last = MAX (last, json_object_get_int_member_with_default (
                          json_array_get_object_element (events, i), "seq", 0));
  if (events == NULL || json_array_get_length (events) == 0)
    {
      self->syncing = FALSE;
      g_signal_emit (self, signals[SIGNAL_CAUGHT_UP], 0);
      g_task_return_pointer (task, g_ptr_array_ref (s->messages),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  s->cursor = last;
  {
    GCancellable *cancellable = g_task_get_cancellable (task);
    process_events_async (self, events, cancellable, on_sync_processed_cb, g_steal_pointer (&task));
  }
}

static void
sync_fetch (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  Sync *s = g_task_get_task_data (task);
  g_autofree char *path =
      g_strdup_printf ("/v1/events?after=%" G_GINT64_FORMAT "&limit=%d", s->cursor, EVENTS_PAGE);

  api (self, "GET", path, NULL, g_task_get_cancellable (task), on_sync_events_cb, task);
}

static void
on_sync_cursor_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  Sync *s = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  s->cursor = globi_cache_get_cursor_finish (GLOBI_CACHE (source), result, &error);
  if (error != NULL)
    {
      self->syncing = FALSE;
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  sync_fetch (task);
}

void
globi_messenger_sync_async (GlobiMessenger *self,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Sync *s = g_new0 (Sync, 1);

  g_task_set_source_tag (task, globi_messenger_sync_async);
  s->messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_task_set_task_data (task, s, (GDestroyNotify) sync_free);
  if (self->keys == NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NETWORK,
                               _ ("Messaging has not started yet"));
      g_object_unref (task);
      return;
    }
  self->syncing = TRUE;
  globi_cache_get_cursor_async (self->cache, cancellable, on_sync_cursor_cb, task);
}

GPtrArray *
globi_messenger_sync_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The live stream: one WebSocket per device (GET /v1/stream?after=CURSOR). Events are
 * decrypted and committed in order, and acknowledged only after the commit; a dropped
 * connection reconnects with exponential backoff and jitter, at once when the network
 * comes back. */

#define STREAM_KEEPALIVE_SECONDS 30

static void stream_schedule_reconnect (GlobiMessenger *self);
static void stream_process_next (GlobiMessenger *self);

static void
stream_drop (GlobiMessenger *self)
{
  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->ws);
    }
  g_clear_pointer (&self->stream_pending, json_array_unref);
  self->stream_caught_up = FALSE;
  self->stream_posts_off = FALSE;
  stream_posts_fail_over (self);
}

static void
stream_send (GlobiMessenger *self, JsonObject *frame)
{
  g_autofree char *text = NULL;

  if (self->ws == NULL ||
      soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  text = object_to_string (frame);
  soup_websocket_connection_send_text (self->ws, text);
}

static void
on_stream_processed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMessenger) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) added = process_events_finish (self, result, &error);
  JsonObject *ack;

  self->stream_processing = FALSE;
  if (added == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Not acknowledged: the server sends these events again after a reconnect. */
          g_warning ("Could not store received events: %s", error->message);
          stream_drop (self);
          stream_schedule_reconnect (self);
        }
      return;
    }
  ack = json_object_new ();
  json_object_set_string_member (ack, "type", "ack");
  json_object_set_int_member (ack, "seq", self->stream_acked);
  stream_send (self, ack);
  json_object_unref (ack);
  stream_process_next (self);
}

static void
stream_process_next (GlobiMessenger *self)
{
  g_autoptr (JsonArray) batch = NULL;
  guint n;

  if (self->stream_processing)
    return;
  if (self->stream_pending == NULL || json_array_get_length (self->stream_pending) == 0)
    {
      if (self->stream_caught_up && self->stream_state != GLOBI_STREAM_STATE_ONLINE)
        {
          set_stream_state (self, GLOBI_STREAM_STATE_ONLINE);
          g_signal_emit (self, signals[SIGNAL_CAUGHT_UP], 0);
        }
      return;
    }
  batch = g_steal_pointer (&self->stream_pending);
  n = json_array_get_length (batch);
  self->stream_acked = json_object_get_int_member_with_default (
      json_array_get_object_element (batch, n - 1), "seq", self->stream_acked);
  self->stream_processing = TRUE;
  process_events_async (self, batch, self->cancellable, on_stream_processed_cb,
                        g_object_ref (self));
}

static void
on_stream_message_cb (SoupWebsocketConnection *ws, int type, GBytes *message, gpointer user_data)
{
  GlobiMessenger *self = user_data;
  gsize size = 0;
  const char *data = g_bytes_get_data (message, &size);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *frame;
  const char *kind;

  if (type != SOUP_WEBSOCKET_DATA_TEXT || !json_parser_load_from_data (parser, data, size, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  frame = json_node_get_object (json_parser_get_root (parser));
  kind = str_member (frame, "type");
  if (g_strcmp0 (kind, "event") == 0)
    {
      JsonObject *item = json_object_new ();
      json_object_set_int_member (item, "seq",
                                  json_object_get_int_member_with_default (frame, "seq", 0));
      if (json_object_has_member (frame, "event"))
        json_object_set_member (item, "event",
                                json_node_copy (json_object_get_member (frame, "event")));
      if (self->stream_pending == NULL)
        self->stream_pending = json_array_new ();
      json_array_add_object_element (self->stream_pending, item);
      stream_process_next (self);
    }
  else if (g_strcmp0 (kind, "send_result") == 0)
    stream_post_result (self, frame);
  else if (g_strcmp0 (kind, "caught_up") == 0)
    {
      self->stream_caught_up = TRUE;
      self->retry_seconds = RETRY_MIN_SECONDS;
      stream_process_next (self);
    }
  else if (g_strcmp0 (kind, "typing") == 0 && self->typing_indicators)
    {
      JsonObject *chat = member_object (json_parser_get_root (parser), "chat");
      const char *user_id = str_member (frame, "user_id");
      g_autofree char *chat_id = NULL;

      if (chat == NULL || user_id == NULL)
        return;
      chat_id = str_member (chat, "group_id")
                    ? globi_chat_id_for_group (str_member (chat, "group_id"))
                    : globi_chat_id_for_user (user_id);
      show_typing (self, chat_id, user_id,
                   json_object_get_boolean_member_with_default (frame, "typing", FALSE));
    }
}

static void
on_stream_closed_cb (SoupWebsocketConnection *ws, gpointer user_data)
{
  GlobiMessenger *self = user_data;

  stream_drop (self);
  set_stream_state (self, GLOBI_STREAM_STATE_OFFLINE);
  stream_schedule_reconnect (self);
}

void
globi_messenger_post_message_async (GlobiMessenger *self,
                                    JsonNode *body,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_return_if_fail (body != NULL);
  post_message_async (self, body, cancellable, callback, user_data);
}

JsonNode *
globi_messenger_post_message_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  return post_message_finish (self, result, error);
}

guint
globi_messenger_get_stream_sends (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), 0);
  return g_queue_get_length (&self->stream_posts);
}

void
globi_messenger_drop_stream (GlobiMessenger *self)
{
  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  if (self->ws != NULL)
    on_stream_closed_cb (self->ws, self);
}

static void stream_open (GlobiMessenger *self);

static void
on_stream_refreshed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMessenger) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) tokens = globi_client_refresh_finish (GLOBI_CLIENT (source), result, &error);

  if (tokens == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        stream_schedule_reconnect (self);
      return;
    }
  stream_open (self);
}

static void
on_stream_connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMessenger) self = user_data;
  g_autoptr (GError) error = NULL;
  SoupMessage *msg = self->stream_msg;
  SoupWebsocketConnection *ws =
      soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);

  self->stream_connecting = FALSE;
  if (ws == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_stream_state (self, GLOBI_STREAM_STATE_OFFLINE);
      /* An expired access token: refresh and try again at once. */
      if (msg != NULL && soup_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED &&
          !self->stream_refreshed)
        {
          self->stream_refreshed = TRUE;
          globi_client_refresh_async (self->client, self->cancellable, on_stream_refreshed_cb,
                                      g_object_ref (self));
          return;
        }
      stream_schedule_reconnect (self);
      return;
    }
  self->stream_refreshed = FALSE;
  if (!self->live_wanted)
    {
      soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (ws);
      return;
    }
  self->ws = ws;
  soup_websocket_connection_set_keepalive_interval (ws, STREAM_KEEPALIVE_SECONDS);
  g_signal_connect (ws, "message", G_CALLBACK (on_stream_message_cb), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_stream_closed_cb), self);
  set_stream_state (self, GLOBI_STREAM_STATE_CATCHING_UP);
}

static void
on_stream_cursor_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMessenger) self = user_data;
  g_autoptr (GError) error = NULL;
  gint64 cursor = globi_cache_get_cursor_finish (GLOBI_CACHE (source), result, &error);
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  g_autofree char *bearer = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  if (error != NULL)
    {
      self->stream_connecting = FALSE;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        stream_schedule_reconnect (self);
      return;
    }
  token = globi_client_dup_access_token (self->client);
  if (token == NULL)
    {
      self->stream_connecting = FALSE;
      self->stream_refreshed = TRUE;
      globi_client_refresh_async (self->client, self->cancellable, on_stream_refreshed_cb,
                                  g_object_ref (self));
      return;
    }
  url = g_strdup_printf ("%s/v1/stream?after=%" G_GINT64_FORMAT,
                         globi_client_get_base_url (self->client), cursor);
  msg = soup_message_new ("GET", url);
  if (msg == NULL)
    {
      self->stream_connecting = FALSE;
      return;
    }
  bearer = g_strconcat ("Bearer ", token, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  g_clear_pointer (&self->stream_pending, json_array_unref);
  self->stream_caught_up = FALSE;
  g_set_object (&self->stream_msg, msg);
  soup_session_websocket_connect_async (self->soup, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->cancellable, on_stream_connected_cb,
                                        g_object_ref (self));
}

static void
stream_open (GlobiMessenger *self)
{
  if (!self->live_wanted || self->ws != NULL || self->stream_connecting)
    return;
  self->stream_connecting = TRUE;
  set_stream_state (self, GLOBI_STREAM_STATE_CONNECTING);
  globi_cache_get_cursor_async (self->cache, self->cancellable, on_stream_cursor_cb,
                                g_object_ref (self));
}

static gboolean
on_stream_reconnect_cb (gpointer user_data)
{
  GlobiMessenger *self = user_data;

  self->stream_source = 0;
  stream_open (self);
  return G_SOURCE_REMOVE;
}

static void
stream_schedule_reconnect (GlobiMessenger *self)
{
  guint delay;

  if (!self->live_wanted || self->stream_source != 0)
    return;
  delay = self->stream_backoff * 1000 + g_random_int_range (0, 1000);
  self->stream_backoff = MIN (MAX (self->stream_backoff * 2, 1), RETRY_MAX_SECONDS);
  self->stream_source = g_timeout_add (delay, on_stream_reconnect_cb, self);
}

static void
on_network_changed_cb (GNetworkMonitor *monitor, gboolean available, gpointer user_data)
{
  GlobiMessenger *self = user_data;

  if (!available || self->ws != NULL)
    return;
  /* Back online (or resumed): do not wait out the backoff. */
  self->stream_backoff = RETRY_MIN_SECONDS;
  g_clear_handle_id (&self->stream_source, g_source_remove);
  stream_open (self);
  pump_outbox (self);
}

static void
stream_connect (GlobiMessenger *self)
{
  if (self->soup == NULL)
    self->soup = soup_session_new ();
  if (self->network_handler == 0)
    self->network_handler = g_signal_connect (g_network_monitor_get_default (), "network-changed",
                                              G_CALLBACK (on_network_changed_cb), self);
  self->stream_backoff = RETRY_MIN_SECONDS;
  stream_open (self);
}

void
globi_messenger_stop (GlobiMessenger *self)
{
  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  self->live_wanted = FALSE;
  g_clear_handle_id (&self->stream_source, g_source_remove);
  g_clear_signal_handler (&self->network_handler, g_network_monitor_get_default ());
  stream_drop (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->syncing = FALSE;
  self->pumping = FALSE;
  self->stream_connecting = FALSE;
  self->stream_processing = FALSE;
  set_stream_state (self, GLOBI_STREAM_STATE_OFFLINE);
}

/* Chat state */

#define RECEIPT_MAX_IDS 500

typedef struct
{
  GlobiMessenger *self;
  char *chat_id;
} MarkRead;

static void
on_marked_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MarkRead *m = user_data;
  GlobiMessenger *self = m->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ids = globi_cache_mark_read_finish (GLOBI_CACHE (source), result, &error);

  if (ids == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not mark a chat read: %s", error->message);
      goto out;
    }
  for (guint i = 0; i < ids->len; i++)
    {
      GlobiMessage *live = g_hash_table_lookup (self->live, g_ptr_array_index (ids, i));
      if (live != NULL)
        globi_message_set_state (live, GLOBI_DELIVERY_STATE_READ);
    }
  /* One receipt names every message read, not only the last (in pieces of at most
   * RECEIPT_MAX_IDS); groups get none. */
  if (!self->read_receipts || !g_str_has_prefix (m->chat_id, "u:"))
    goto out;
  for (guint start = 0; start < ids->len; start += RECEIPT_MAX_IDS)
    {
      g_autoptr (JsonObject) content = new_content ("receipt", "");
      JsonArray *array = json_array_new ();

      for (guint i = start; i < MIN (ids->len, start + RECEIPT_MAX_IDS); i++)
        json_array_add_string_element (array, g_ptr_array_index (ids, i));
      json_object_set_string_member (content, "state", "read");
      json_object_set_array_member (content, "ids", array);
      send_control (self, m->chat_id, content, NULL, NULL, NULL, globi_messenger_mark_read);
    }
out:
  g_object_unref (m->self);
  g_free (m->chat_id);
  g_free (m);
}

void
globi_messenger_mark_read (GlobiMessenger *self, GlobiChat *chat)
{
  MarkRead *m;

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  if (globi_chat_get_unread_count (chat) == 0)
    return;
  globi_chat_set_unread_count (chat, 0);
  globi_messenger_save_chat (self, chat);
  m = g_new0 (MarkRead, 1);
  m->self = g_object_ref (self);
  m->chat_id = g_strdup (globi_chat_get_id (chat));
  globi_cache_mark_read_async (self->cache, globi_chat_get_id (chat), self->cancellable,
                               on_marked_read_cb, m);
}

typedef struct
{
  GlobiMessenger *self; /* not a reference: dispose removes the source */
  char *chat_id;
  char *user_id;
} TypingExpiry;

static void
typing_expiry_free (gpointer data)
{
  TypingExpiry *t = data;

  g_free (t->chat_id);
  g_free (t->user_id);
  g_free (t);
}

static gboolean
on_typing_expired_cb (gpointer data)
{
  TypingExpiry *t = data;
  g_autofree char *key = g_strconcat (t->chat_id, " ", t->user_id, NULL);
  GlobiChat *chat = g_hash_table_lookup (t->self->chat_index, t->chat_id);

  g_hash_table_remove (t->self->typing_expiry, key);
  if (chat != NULL)
    globi_chat_set_typing (chat, t->user_id, FALSE);
  return G_SOURCE_REMOVE;
}

/* Someone's typing as the stream said, cleared after TYPING_EXPIRY_MS without news. */
static void
show_typing (GlobiMessenger *self, const char *chat_id, const char *user_id, gboolean typing)
{
  g_autofree char *key = g_strconcat (chat_id, " ", user_id, NULL);
  guint source = GPOINTER_TO_UINT (g_hash_table_lookup (self->typing_expiry, key));
  GlobiChat *chat;

  if (source != 0)
    {
      g_source_remove (source);
      g_hash_table_remove (self->typing_expiry, key);
    }
  if (typing)
    {
      TypingExpiry *t = g_new0 (TypingExpiry, 1);

      t->self = self;
      t->chat_id = g_strdup (chat_id);
      t->user_id = g_strdup (user_id);
      source = g_timeout_add_full (G_PRIORITY_DEFAULT, TYPING_EXPIRY_MS, on_typing_expired_cb, t,
                                   typing_expiry_free);
      g_hash_table_insert (self->typing_expiry, g_steal_pointer (&key), GUINT_TO_POINTER (source));
      globi_chat_set_typing (ensure_chat (self, chat_id), user_id, TRUE);
    }
  else if ((chat = g_hash_table_lookup (self->chat_index, chat_id)) != NULL)
    globi_chat_set_typing (chat, user_id, FALSE);
}

void
globi_messenger_set_typing (GlobiMessenger *self, GlobiChat *chat, gboolean typing)
{
  g_autoptr (JsonObject) frame = NULL;
  JsonObject *target;
  const char *chat_id;
  gint64 now = g_get_monotonic_time ();
  gint64 *last;

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_return_if_fail (GLOBI_IS_CHAT (chat));
  chat_id = globi_chat_get_id (chat);
  last = g_hash_table_lookup (self->typing_sent, chat_id);
  /* "true" is refreshed every TYPING_RESEND_US while typing goes on (the other side
   * forgets it after TYPING_EXPIRY_MS); "false" only follows a "true". */
  if (typing && last != NULL && now - *last < TYPING_RESEND_US)
    return;
  if (!typing && last == NULL)
    return;
  if (typing)
    {
      last = g_new (gint64, 1);
      *last = now;
      g_hash_table_insert (self->typing_sent, g_strdup (chat_id), last);
    }
  else
    g_hash_table_remove (self->typing_sent, chat_id);
  if (!self->typing_indicators)
    return;
  /* Typing frames travel on the WebSocket stream only (never stored). */
  frame = json_object_new ();
  target = json_object_new ();
  json_object_set_string_member (
      target, globi_chat_get_kind (chat) == GLOBI_CHAT_KIND_GROUP ? "group_id" : "user_id",
      globi_chat_get_peer_id (chat));
  json_object_set_string_member (frame, "type", "typing");
  json_object_set_object_member (frame, "chat", target);
  json_object_set_boolean_member (frame, "typing", typing);
  stream_send (self, frame);
}

void
globi_messenger_set_pinned (GlobiMessenger *self, GlobiChat *chat, gboolean pinned)
{
  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  globi_chat_set_pinned (chat, pinned);
  globi_messenger_save_chat (self, chat);
}

void
globi_messenger_set_muted (GlobiMessenger *self, GlobiChat *chat, gboolean muted)
{
  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  globi_chat_set_muted (chat, muted);
  globi_messenger_save_chat (self, chat);
}

static void
save_setting (GlobiMessenger *self, const char *key, gboolean value)
{
  g_autoptr (JsonObject) values = json_object_new ();

  json_object_set_string_member (values, key, value ? "1" : "0");
  globi_cache_set_values_async (self->cache, values, NULL, on_cache_done_cb, NULL);
}

gboolean
globi_messenger_get_read_receipts (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), FALSE);
  return self->read_receipts;
}

void
globi_messenger_set_read_receipts (GlobiMessenger *self, gboolean enabled)
{
  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  if (self->read_receipts == !!enabled)
    return;
  self->read_receipts = !!enabled;
  save_setting (self, KEY_READ_RECEIPTS, enabled);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READ_RECEIPTS]);
}

gboolean
globi_messenger_get_typing_indicators (GlobiMessenger *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), FALSE);
  return self->typing_indicators;
}

void
globi_messenger_set_typing_indicators (GlobiMessenger *self, gboolean enabled)
{
  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  if (self->typing_indicators == !!enabled)
    return;
  self->typing_indicators = !!enabled;
  if (!enabled)
    clear_typing (self);
  save_setting (self, KEY_TYPING, enabled);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING_INDICATORS]);
}

/* Search */

static void
on_searched_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = globi_cache_search_finish (GLOBI_CACHE (source), result, &error);

  if (rows == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      GlobiMessage *row = g_ptr_array_index (rows, i);
      g_ptr_array_index (rows, i) = globi_messenger_intern_message (self, row);
      g_object_unref (row);
    }
  g_task_return_pointer (task, g_steal_pointer (&rows), (GDestroyNotify) g_ptr_array_unref);
}

void
globi_messenger_search_async (GlobiMessenger *self,
                              GlobiChat *chat,
                              const char *query,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, globi_messenger_search_async);
  globi_cache_search_async (self->cache, chat ? globi_chat_get_id (chat) : NULL, query,
                            SEARCH_LIMIT, cancellable, on_searched_cb, task);
}

GPtrArray *
globi_messenger_search_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Safety numbers: per contact, over all of my devices' identity keys and all of theirs
 * (sorted by device id, as the server lists them), so that both ends compute the same
 * number. The keys come from what is known already (the bundles last fetched, else the
 * ratchet sessions); only a user with neither is fetched, and those bundles are kept for
 * the next send, so their one-time prekeys serve the sessions they were handed out for. */

typedef struct
{
  char *device_id;
  GBytes *key;
} DeviceKey;

static void
device_key_free (gpointer data)
{
  DeviceKey *k = data;

  g_free (k->device_id);
  g_bytes_unref (k->key);
  g_free (k);
}

static int
compare_device_keys (gconstpointer a, gconstpointer b)
{
  const DeviceKey *x = *(const DeviceKey *const *) a;
  const DeviceKey *y = *(const DeviceKey *const *) b;

  return g_strcmp0 (x->device_id, y->device_id);
}

static void
add_device_key (GPtrArray *keys, const char *device_id, GBytes *key)
{
  DeviceKey *k;

  if (device_id == NULL || key == NULL || g_bytes_get_size (key) != GLOBI_KEY_SIZE)
    return;
  for (guint i = 0; i < keys->len; i++)
    if (g_strcmp0 (((DeviceKey *) g_ptr_array_index (keys, i))->device_id, device_id) == 0)
      return;
  k = g_new0 (DeviceKey, 1);
  k->device_id = g_strdup (device_id);
  k->key = g_bytes_ref (key);
  g_ptr_array_add (keys, k);
}

/* The identity keys of a user's devices, concatenated in device id order; NULL when none
 * is known without asking the server. */
static GBytes *
known_identity_keys (GlobiMessenger *self, const char *user_id, JsonArray *bundles)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (device_key_free);
  g_autoptr (GByteArray) joined = g_byte_array_new ();
  gboolean mine = g_strcmp0 (user_id, self->user_id) == 0;

  if (bundles == NULL)
    bundles = g_hash_table_lookup (self->bundle_cache, user_id);
  for (guint i = 0; bundles != NULL && i < json_array_get_length (bundles); i++)
    {
      JsonObject *bundle = json_array_get_object_element (bundles, i);
      g_autoptr (GBytes) key = text_to_bytes (str_member (bundle, "identity_key"));

      add_device_key (keys, str_member (bundle, "device_id"), key);
    }
  if (keys->len == 0)
    {
      GHashTableIter iter;
      gpointer device, state_text;

      g_hash_table_iter_init (&iter, self->sessions);
      while (g_hash_table_iter_next (&iter, &device, &state_text))
        {
          g_autoptr (GPtrArray) record = session_record_load (self, device);
          GlobiRatchetSession *session = record->len > 0 ? g_ptr_array_index (record, 0) : NULL;
          g_autoptr (GBytes) key = NULL;

          if (session == NULL ||
              g_strcmp0 (globi_ratchet_session_get_remote_user_id (session), user_id) != 0)
            continue;
          key =
              g_bytes_new (globi_ratchet_session_get_remote_identity_key (session), GLOBI_KEY_SIZE);
          add_device_key (keys, device, key);
        }
      /* My own list always holds this device: a device I have no session with has
       * had nothing from me yet, so it knows no number of mine either. */
      if (keys->len == 0 && !mine)
        return NULL;
    }
  if (mine)
    {
      g_autoptr (GBytes) key =
          g_bytes_new (globi_identity_get_public_key (self->keys), GLOBI_KEY_SIZE);
      add_device_key (keys, self->device_id, key);
    }
  g_ptr_array_sort (keys, compare_device_keys);
  for (guint i = 0; i < keys->len; i++)
    g_byte_array_append (joined,
                         g_bytes_get_data (((DeviceKey *) g_ptr_array_index (keys, i))->key, NULL),
                         GLOBI_KEY_SIZE);
  return g_byte_array_free_to_bytes (g_steal_pointer (&joined));
}

typedef struct
{
  char *user_id;
  GBytes *mine;
} SafetyNumber;

static void
safety_number_free (SafetyNumber *sn)
{
  g_free (sn->user_id);
  g_clear_pointer (&sn->mine, g_bytes_unref);
  g_free (sn);
}

static void safety_number_step (GTask *task);

static void
on_safety_bundles_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GlobiMessenger *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  JsonArray *devices = reply ? member_array (json_node_get_object (reply), "devices") : NULL;
  const char *user_id = reply ? str_member (json_node_get_object (reply), "user_id") : NULL;

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (devices == NULL || json_array_get_length (devices) == 0 || user_id == NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND,
                               _ ("This contact has no keys yet"));
      g_object_unref (task);
      return;
    }
  g_hash_table_insert (self->bundle_cache, g_strdup (user_id), json_array_ref (devices));
  safety_number_step (task);
}

/* Takes task: my keys, then theirs, each known or fetched once. */
static void
safety_number_step (GTask *task)
{
  GlobiMessenger *self = g_task_get_source_object (task);
  SafetyNumber *sn = g_task_get_task_data (task);
  g_autoptr (GBytes) theirs = NULL;
  const char *missing;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  if (sn->mine == NULL)
    sn->mine = known_identity_keys (self, self->user_id, NULL);
  if (sn->mine != NULL)
    theirs = known_identity_keys (self, sn->user_id, NULL);
  if (sn->mine != NULL && theirs != NULL)
    {
      g_task_return_pointer (
          task, globi_safety_number_format_devices (sn->mine, self->user_id, theirs, sn->user_id),
          g_free);
      g_object_unref (task);
      return;
    }
  missing = sn->mine == NULL ? self->user_id : sn->user_id;
  escaped = g_uri_escape_string (missing, NULL, TRUE);
  path = g_strconcat ("/v1/keys/", escaped, NULL);
  api (self, "GET", path, NULL, g_task_get_cancellable (task), on_safety_bundles_cb, task);
}

void
globi_messenger_safety_number_async (GlobiMessenger *self,
                                     const char *user_id,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  SafetyNumber *sn = g_new0 (SafetyNumber, 1);

  g_task_set_source_tag (task, globi_messenger_safety_number_async);
  sn->user_id = g_strdup (user_id);
  g_task_set_task_data (task, sn, (GDestroyNotify) safety_number_free);
  if (self->keys == NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND,
                               _ ("Messaging has not started yet"));
      g_object_unref (task);
      return;
    }
  safety_number_step (task);
}

char *
globi_messenger_safety_number_finish (GlobiMessenger *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
globi_messenger_set_verified (GlobiMessenger *self, const char *user_id, gboolean verified)
{
  GlobiContact *contact = globi_messenger_find_contact (self, user_id);
  g_autoptr (JsonObject) values = json_object_new ();
  g_autoptr (JsonObject) table = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (GLOBI_IS_MESSENGER (self));
  g_return_if_fail (user_id != NULL);
  if (contact != NULL)
    globi_contact_set_verified (contact, verified);
  if (verified)
    g_hash_table_insert (self->verified, g_strdup (user_id), g_strdup ("1"));
  else
    g_hash_table_remove (self->verified, user_id);
  table = object_from_table (self->verified);
  text = object_to_string (table);
  json_object_set_string_member (values, KEY_VERIFIED, text);
  globi_cache_set_values_async (self->cache, values, NULL, on_cache_done_cb, NULL);
}

const char *
globi_messenger_lookup_username (GlobiMessenger *self, const char *user_id)
{
  g_return_val_if_fail (GLOBI_IS_MESSENGER (self), NULL);
  return user_id ? g_hash_table_lookup (self->usernames, user_id) : NULL;
}
