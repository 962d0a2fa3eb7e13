/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-device-link"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <sodium.h>
#include <string.h>

#include "globi-attachment-crypto.h"
#include "globi-base64url.h"
#include "globi-cache.h"
#include "globi-device-link.h"
#include "globi-error.h"

/* docs/protocol.md "Device linking"; the payload and bundle formats: docs/crypto.md. */

#define URI_PREFIX               "globichat://link?"
#define URI_PREFIX_SHORT         "globichat:link?"
#define SECRET_CHARS             43
#define MAX_SERVER_CHARS         512
#define MAX_URI_BYTES            4096
#define POLL_INTERVAL_S          1
#define DEFAULT_REFRESH_S        30
#define DEFAULT_REFRESHES        10
#define MAX_TICKETS              2 /* the shown code and the one before it */
#define PAYLOAD_VERSION          1
#define MAX_TEXT_BYTES           (64 * 1024)
#define MAX_ID_BYTES             128
#define MAX_ATTACHMENT_KEY_BYTES 1024
/* Where the messenger keeps a file message's key (globi-messenger.c). */
#define ATTACHMENT_KEY_PREFIX "attachment."

G_DEFINE_ENUM_TYPE (GlobiDeviceLinkState,
                    globi_device_link_state,
                    G_DEFINE_ENUM_VALUE (GLOBI_DEVICE_LINK_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (GLOBI_DEVICE_LINK_STATE_WAITING, "waiting"),
                    G_DEFINE_ENUM_VALUE (GLOBI_DEVICE_LINK_STATE_SCANNED, "scanned"),
                    G_DEFINE_ENUM_VALUE (GLOBI_DEVICE_LINK_STATE_APPROVED, "approved"),
                    G_DEFINE_ENUM_VALUE (GLOBI_DEVICE_LINK_STATE_SIGNED_IN, "signed-in"),
                    G_DEFINE_ENUM_VALUE (GLOBI_DEVICE_LINK_STATE_DECLINED, "declined"),
                    G_DEFINE_ENUM_VALUE (GLOBI_DEVICE_LINK_STATE_EXPIRED, "expired"),
                    G_DEFINE_ENUM_VALUE (GLOBI_DEVICE_LINK_STATE_FAILED, "failed"))

typedef struct
{
  char *ticket;
  char *secret;
  gint64 expires_at;
  gboolean polling;
} Ticket;

struct _GlobiDeviceLink
{
  GObject parent_instance;

  GlobiSession *session;
  GlobiClient *client; /* unauthenticated calls to server_url */
  SoupSession *soup;   /* the history download */
  char *server_url;
  char *device_name;
  guint8 public_key[crypto_box_PUBLICKEYBYTES];
  guint8 secret_key[crypto_box_SECRETKEYBYTES];

  GPtrArray *tickets; /* Ticket, newest last */
  GCancellable *cancellable;
  guint timer_id;
  gint64 last_created_us;
  guint refreshes;
  guint max_refreshes;
  guint refresh_s;
  gboolean creating;

  GlobiDeviceLinkState state;
  char *uri;
  GlobiProfile *scanner;
  char *error_message;
  gint64 expires_at;
};

G_DEFINE_FINAL_TYPE (GlobiDeviceLink, globi_device_link, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_URI,
  PROP_SCANNER,
  PROP_ERROR_MESSAGE,
  PROP_EXPIRES_AT,
  N_PROPS,
};

static GParamSpec *properties[N_PROPS];

static void
ticket_free (Ticket *ticket)
{
  g_free (ticket->ticket);
  if (ticket->secret)
    sodium_memzero (ticket->secret, strlen (ticket->secret));
  g_free (ticket->secret);
  g_free (ticket);
}

static const char *
str_member (JsonObject *obj, const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
int_member (JsonObject *obj, const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static JsonObject *
obj_member (JsonObject *obj, const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
is_secret_text (const char *text)
{
  if (!text || strlen (text) != SECRET_CHARS)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* Decodes base64url text of exactly len bytes into out. */
static gboolean
decode_exact (const char *text, guint8 *out, gsize len)
{
  g_autoptr (GBytes) bytes = NULL;

  if (!text)
    return FALSE;
  bytes = globi_base64url_decode (text, strlen (text), NULL);
  if (!bytes || g_bytes_get_size (bytes) != len)
    return FALSE;
  memcpy (out, g_bytes_get_data (bytes, NULL), len);
  return TRUE;
}

static JsonNode *
node_from_object (JsonObject *obj)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, obj);
  return node;
}

static GBytes *
object_to_bytes (JsonObject *obj)
{
  g_autoptr (JsonNode) node = node_from_object (obj);
  gsize len = 0;
  char *text = json_to_string (node, FALSE);

  len = strlen (text);
  return g_bytes_new_take (text, len);
}

static JsonObject *
object_from_bytes (GBytes *bytes, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
      !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                           _ ("The linking data is malformed"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* The code */

void
globi_link_code_free (GlobiLinkCode *code)
{
  if (!code)
    return;
  g_free (code->ticket);
  g_free (code->public_key);
  g_free (code->server_url);
  g_free (code);
}

static gboolean
bad_code (GError **error)
{
  g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                       _ ("This is not a valid GlobiChat login code"));
  return FALSE;
}

static gboolean
take_server (GlobiLinkCode *code, const char *value)
{
  g_autoptr (GBytes) raw = NULL;
  gsize len = 0;
  const char *data;

  if (strlen (value) > MAX_SERVER_CHARS)
    return FALSE;
  raw = globi_base64url_decode (value, strlen (value), NULL);
  if (!raw)
    return FALSE;
  data = g_bytes_get_data (raw, &len);
  if (len == 0 || !g_utf8_validate_len (data, len, NULL) || memchr (data, 0, len) ||
      !(g_str_has_prefix (data, "http://") || g_str_has_prefix (data, "https://")))
    return FALSE;
  code->server_url = g_strndup (data, len);
  return TRUE;
}

GlobiLinkCode *
globi_link_code_parse (const char *uri, GError **error)
{
  g_autoptr (GlobiLinkCode) code = g_new0 (GlobiLinkCode, 1);
  g_auto (GStrv) pairs = NULL;
  const char *query;

  if (!uri || strlen (uri) > MAX_URI_BYTES)
    return bad_code (error), NULL;
  if (g_str_has_prefix (uri, URI_PREFIX))
    query = uri + strlen (URI_PREFIX);
  else if (g_str_has_prefix (uri, URI_PREFIX_SHORT))
    query = uri + strlen (URI_PREFIX_SHORT);
  else
    return bad_code (error), NULL;

  pairs = g_strsplit (query, "&", 8);
  for (guint i = 0; pairs[i]; i++)
    {
      const char *eq = strchr (pairs[i], '=');
      const char *value = eq ? eq + 1 : NULL;
      gsize name_len = eq ? (gsize) (eq - pairs[i]) : 0;

      if (!value)
        return bad_code (error), NULL;
      if (name_len == 1 && pairs[i][0] == 't' && !code->ticket && is_secret_text (value))
        code->ticket = g_strdup (value);
      else if (name_len == 1 && pairs[i][0] == 'k' && !code->public_key && is_secret_text (value))
        code->public_key = g_strdup (value);
      else if (name_len == 1 && pairs[i][0] == 's' && !code->server_url &&
               take_server (code, value))
        continue;
      else
        return bad_code (error), NULL;
    }
  if (!code->ticket || !code->public_key)
    return bad_code (error), NULL;
  {
    guint8 key[crypto_box_PUBLICKEYBYTES];

    if (!decode_exact (code->public_key, key, sizeof key))
      return bad_code (error), NULL;
  }
  return g_steal_pointer (&code);
}

/* The new device */

static void
set_state (GlobiDeviceLink *self, GlobiDeviceLinkState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
stop_polling (GlobiDeviceLink *self)
{
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_ptr_array_set_size (self->tickets, 0);
  self->creating = FALSE;
}

static void
fail (GlobiDeviceLink *self, const char *message)
{
  stop_polling (self);
  g_free (self->error_message);
  self->error_message = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
  set_state (self, GLOBI_DEVICE_LINK_STATE_FAILED);
}

static void
finish_as (GlobiDeviceLink *self, GlobiDeviceLinkState state)
{
  stop_polling (self);
  set_state (self, state);
}

static void
show_ticket (GlobiDeviceLink *self, Ticket *ticket)
{
  g_autofree char *key = globi_base64url_encode (self->public_key, sizeof self->public_key);
  g_autofree char *server =
      globi_base64url_encode ((const guint8 *) self->server_url, strlen (self->server_url));

  g_free (self->uri);
  self->uri = g_strdup_printf (URI_PREFIX "t=%s&k=%s&s=%s", ticket->ticket, key, server);
  self->expires_at = ticket->expires_at;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URI]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
}

static void
on_ticket_created_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiDeviceLink) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  JsonObject *obj = reply && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  Ticket *ticket;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->creating = FALSE;
  if (self->state != GLOBI_DEVICE_LINK_STATE_WAITING)
    return;
  if (!obj || !is_secret_text (str_member (obj, "ticket")) ||
      !is_secret_text (str_member (obj, "poll_secret")))
    {
      /* The code still on screen stays usable; without one there is nothing to show. */
      if (self->tickets->len == 0)
        fail (self, error ? error->message : _ ("The server sent a malformed reply"));
      return;
    }
  ticket = g_new0 (Ticket, 1);
  ticket->ticket = g_strdup (str_member (obj, "ticket"));
  ticket->secret = g_strdup (str_member (obj, "poll_secret"));
  ticket->expires_at = int_member (obj, "expires_at");
  g_ptr_array_add (self->tickets, ticket);
  while (self->tickets->len > MAX_TICKETS)
    g_ptr_array_remove_index (self->tickets, 0);
  show_ticket (self, ticket);
}

static void
create_ticket (GlobiDeviceLink *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *key = globi_base64url_encode (self->public_key, sizeof self->public_key);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "public_key");
  json_builder_add_string_value (builder, key);
  json_builder_set_member_name (builder, "device");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->device_name);
  json_builder_set_member_name (builder, "platform");
  json_builder_add_string_value (builder, "Linux");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  self->creating = TRUE;
  self->last_created_us = g_get_monotonic_time ();
  globi_client_call_async (self->client, "POST", "/v1/link/tickets", body, GLOBI_CALL_FLAGS_NONE,
                           self->cancellable, on_ticket_created_cb, g_object_ref (self));
}

static void handle_approved (GlobiDeviceLink *self, JsonObject *reply);

typedef struct
{
  GlobiDeviceLink *self;
  char *ticket; /* which one was polled (the array may change meanwhile) */
} Poll;

static Ticket *
find_ticket (GlobiDeviceLink *self, const char *ticket, guint *index)
{
  for (guint i = 0; i < self->tickets->len; i++)
    {
      Ticket *t = g_ptr_array_index (self->tickets, i);

      if (g_strcmp0 (t->ticket, ticket) == 0)
        {
          if (index)
            *index = i;
          return t;
        }
    }
  return NULL;
}

static void
drop_others (GlobiDeviceLink *self, Ticket *keep)
{
  for (guint i = self->tickets->len; i > 0; i--)
    if (g_ptr_array_index (self->tickets, i - 1) != keep)
      g_ptr_array_remove_index (self->tickets, i - 1);
}

static void
set_scanner (GlobiDeviceLink *self, JsonObject *user)
{
  g_autoptr (GlobiProfile) profile = user ? globi_profile_new_from_json (user, NULL) : NULL;

  if (!profile || (self->scanner && g_strcmp0 (globi_profile_get_id (self->scanner),
                                               globi_profile_get_id (profile)) == 0))
    return;
  g_set_object (&self->scanner, profile);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCANNER]);
}

static void
on_polled_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Poll *poll = user_data;
  g_autoptr (GlobiDeviceLink) self = poll->self;
  g_autofree char *ticket_id = poll->ticket;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  JsonObject *obj = reply && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  const char *state = str_member (obj, "state");
  Ticket *ticket;
  guint index = 0;

  g_free (poll);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  ticket = find_ticket (self, ticket_id, &index);
  if (!ticket)
    return;
  ticket->polling = FALSE;
  if (error && !g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND))
    return; /* the network comes back: poll again at the next tick */

  if (!obj || g_strcmp0 (state, "expired") == 0 || error)
    g_ptr_array_remove_index (self->tickets, index);
  else if (g_strcmp0 (state, "scanned") == 0)
    {
      drop_others (self, ticket);
      ticket->expires_at = int_member (obj, "expires_at");
      set_scanner (self, obj_member (obj, "scanner"));
      set_state (self, GLOBI_DEVICE_LINK_STATE_SCANNED);
    }
  else if (g_strcmp0 (state, "approved") == 0)
    {
      set_scanner (self, obj_member (obj, "scanner"));
      handle_approved (self, obj);
    }
  else if (g_strcmp0 (state, "declined") == 0)
    finish_as (self, GLOBI_DEVICE_LINK_STATE_DECLINED);
}

static gboolean
on_tick_cb (gpointer user_data)
{
  GlobiDeviceLink *self = user_data;
  gboolean may_refresh = self->state == GLOBI_DEVICE_LINK_STATE_WAITING &&
                         self->refreshes < self->max_refreshes && !self->creating;

  if (self->state != GLOBI_DEVICE_LINK_STATE_WAITING &&
      self->state != GLOBI_DEVICE_LINK_STATE_SCANNED)
    return G_SOURCE_CONTINUE;

  /* Every code has gone (expired, or the scanned one ran out). */
  if (self->tickets->len == 0 && !self->creating)
    {
      if (!may_refresh)
        {
          self->timer_id = 0;
          finish_as (self, GLOBI_DEVICE_LINK_STATE_EXPIRED);
          return G_SOURCE_REMOVE;
        }
      self->refreshes++;
      create_ticket (self);
      return G_SOURCE_CONTINUE;
    }
  if (may_refresh &&
      g_get_monotonic_time () - self->last_created_us >= self->refresh_s * G_USEC_PER_SEC)
    {
      self->refreshes++;
      create_ticket (self);
    }
  for (guint i = 0; i < self->tickets->len; i++)
    {
      Ticket *ticket = g_ptr_array_index (self->tickets, i);
      g_autoptr (JsonObject) obj = NULL;
      g_autoptr (JsonNode) body = NULL;
      g_autofree char *path = NULL;
      Poll *poll;

      if (ticket->polling)
        continue;
      obj = json_object_new ();
      json_object_set_string_member (obj, "poll_secret", ticket->secret);
      body = node_from_object (obj);
      path = g_strdup_printf ("/v1/link/tickets/%s/poll", ticket->ticket);
      poll = g_new0 (Poll, 1);
      poll->self = g_object_ref (self);
      poll->ticket = g_strdup (ticket->ticket);
      ticket->polling = TRUE;
      globi_client_call_async (self->client, "POST", path, body, GLOBI_CALL_FLAGS_NONE,
                               self->cancellable, on_polled_cb, poll);
    }
  return G_SOURCE_CONTINUE;
}

/* Approved: open the payload, import the history, sign in. */

typedef struct
{
  GlobiDeviceLink *self;
  JsonNode *tokens;
  guint8 key[GLOBI_ATTACHMENT_KEY_SIZE];
  guint8 digest[GLOBI_ATTACHMENT_DIGEST_SIZE];
  GlobiCache *cache;
  JsonArray *chats;
} Arrival;

static void
arrival_free (Arrival *arrival)
{
  g_clear_object (&arrival->self);
  g_clear_pointer (&arrival->tokens, json_node_unref);
  g_clear_object (&arrival->cache);
  g_clear_pointer (&arrival->chats, json_array_unref);
  sodium_memzero (arrival->key, sizeof arrival->key);
  g_free (arrival);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Arrival, arrival_free)

static void
on_adopted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiDeviceLink) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_session_adopt_tokens_finish (GLOBI_SESSION (source), result, &error))
    fail (self, error->message);
  else
    set_state (self, GLOBI_DEVICE_LINK_STATE_SIGNED_IN);
}

static void
sign_in (Arrival *arrival)
{
  GlobiDeviceLink *self = arrival->self;

  globi_session_adopt_tokens_async (self->session, self->server_url, arrival->tokens, NULL,
                                    on_adopted_cb, g_object_ref (self));
  arrival_free (arrival);
}

/* A history that cannot be imported does not stop the sign-in: the chats then start
 * empty, as after a password sign-in. */
static void
history_failed (Arrival *arrival, const char *why)
{
  g_warning ("The linked history was not imported: %s", why);
  sign_in (arrival);
}

static GlobiMessage *
message_from_json (JsonObject *obj, const char *chat_id)
{
  const char *id = str_member (obj, "id");
  const char *sender = str_member (obj, "sender_id");
  const char *text = str_member (obj, "text");
  gint64 kind = int_member (obj, "kind");
  JsonObject *attachment = obj_member (obj, "attachment");
  JsonNode *mentions = json_object_get_member (obj, "mentions");
  GlobiMessage *m;

  if (!id || strlen (id) > MAX_ID_BYTES || !sender || strlen (sender) > MAX_ID_BYTES ||
      g_strcmp0 (str_member (obj, "chat_id"), chat_id) != 0 || kind < 0 ||
      kind > GLOBI_MESSAGE_KIND_CARD || (text && strlen (text) > MAX_TEXT_BYTES))
    return NULL;
  m = globi_message_new (id, chat_id, sender, (GlobiMessageKind) kind, NULL,
                         int_member (obj, "sent_at"));
  globi_message_set_sender_device_id (m, str_member (obj, "sender_device_id"));
  globi_message_set_text (m, text, int_member (obj, "edited_at"));
  globi_message_set_state (m, CLAMP (int_member (obj, "state"), GLOBI_DELIVERY_STATE_PENDING,
                                     GLOBI_DELIVERY_STATE_FAILED));
  globi_message_set_outgoing (m, int_member (obj, "outgoing") != 0);
  globi_message_set_reply_to (m, str_member (obj, "reply_to"));
  globi_message_set_reactions (m, str_member (obj, "reactions"));
  globi_message_set_forwarded (m, int_member (obj, "forwarded") != 0);
  globi_message_set_card_json (m, str_member (obj, "card"));
  if (attachment)
    globi_message_set_attachment (m, str_member (attachment, "name"),
                                  str_member (attachment, "type"), int_member (attachment, "size"));
  if (mentions && JSON_NODE_HOLDS_ARRAY (mentions))
    {
      JsonArray *array = json_node_get_array (mentions);
      g_autoptr (GPtrArray) list = g_ptr_array_new ();

      for (guint i = 0; i < json_array_get_length (array) && i < 100; i++)
        {
          JsonNode *node = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            g_ptr_array_add (list, (gpointer) json_node_get_string (node));
        }
      g_ptr_array_add (list, NULL);
      globi_message_set_mentions (m, (const char *const *) list->pdata);
    }
  return m;
}

static gboolean
chat_id_ok (const char *id)
{
  return id && strlen (id) <= MAX_ID_BYTES &&
         (g_str_has_prefix (id, "u:") || g_str_has_prefix (id, "g:"));
}

static void
on_history_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!globi_cache_update_chat_finish (GLOBI_CACHE (source), result, &error))
    g_warning ("A linked chat was not updated: %s", error->message);
}

static void
on_history_committed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Arrival *arrival = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) inserted = globi_cache_commit_finish (GLOBI_CACHE (source), result, &error);

  if (!inserted)
    {
      history_failed (arrival, error->message);
      return;
    }
  /* History is read already: counting it as unread would light up every chat. */
  for (guint i = 0; i < json_array_get_length (arrival->chats); i++)
    {
      JsonObject *chat = json_array_get_object_element (arrival->chats, i);
      g_autoptr (JsonObject) fields = json_object_new ();
      const char *title = str_member (chat, "title");

      if (!chat_id_ok (str_member (chat, "id")))
        continue;
      if (title && g_utf8_strlen (title, -1) <= 256)
        json_object_set_string_member (fields, "title", title);
      json_object_set_int_member (fields, "unread", 0);
      globi_cache_update_chat_async (arrival->cache, str_member (chat, "id"), fields, NULL,
                                     on_history_done_cb, NULL);
    }
  /* Jobs run in order: closing waits for the updates just queued. */
  globi_cache_close (arrival->cache);
  sign_in (arrival);
}

/* The crypto state rows for the imported file messages' keys: only for messages of the
 * bundle that carry a file, each a string of a sane size. */
static JsonObject *
attachment_keys_for (JsonObject *attachments, GPtrArray *messages)
{
  JsonObject *keys = json_object_new ();

  for (guint i = 0; attachments && i < messages->len; i++)
    {
      GlobiMessage *m = g_ptr_array_index (messages, i);
      const char *value = str_member (attachments, globi_message_get_id (m));
      g_autofree char *key = NULL;

      if (!value || !globi_message_get_attachment_name (m) ||
          strlen (value) > MAX_ATTACHMENT_KEY_BYTES)
        continue;
      key = g_strconcat (ATTACHMENT_KEY_PREFIX, globi_message_get_id (m), NULL);
      json_object_set_string_member (keys, key, value);
    }
  return keys;
}

static void
import_bundle (Arrival *arrival, JsonObject *bundle)
{
  GlobiDeviceLink *self = arrival->self;
  JsonNode *chats = json_object_get_member (bundle, "chats");
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (JsonObject) keys = NULL;
  g_autofree char *path = NULL;

  if (!chats || !JSON_NODE_HOLDS_ARRAY (chats))
    {
      history_failed (arrival, "no chats");
      return;
    }
  arrival->chats = json_array_ref (json_node_get_array (chats));
  for (guint i = 0; i < json_array_get_length (arrival->chats) && i < GLOBI_DEVICE_LINK_MAX_CHATS;
       i++)
    {
      JsonNode *node = json_array_get_element (arrival->chats, i);
      JsonObject *chat = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonNode *list = chat ? json_object_get_member (chat, "messages") : NULL;
      const char *chat_id = str_member (chat, "id");

      if (!chat_id_ok (chat_id) || !list || !JSON_NODE_HOLDS_ARRAY (list))
        continue;
      for (guint j = 0; j < json_array_get_length (json_node_get_array (list)) &&
                        j < GLOBI_DEVICE_LINK_MAX_MESSAGES;
           j++)
        {
          JsonNode *m = json_array_get_element (json_node_get_array (list), j);
          GlobiMessage *message = JSON_NODE_HOLDS_OBJECT (m)
                                      ? message_from_json (json_node_get_object (m), chat_id)
                                      : NULL;

          if (message)
            g_ptr_array_add (messages, message);
        }
    }
  keys = attachment_keys_for (obj_member (bundle, "attachments"), messages);
  path = g_build_filename (globi_session_get_profile_dir (self->session), "cache.sqlite3", NULL);
  arrival->cache = globi_cache_new (path);
  globi_cache_commit_async (arrival->cache, messages, keys, 0, NULL, on_history_committed_cb,
                            arrival);
}

static void
decrypt_bundle_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Arrival *arrival = task_data;
  GBytes *ciphertext = g_object_get_data (G_OBJECT (task), "ciphertext");
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) plain =
      globi_attachment_decrypt (ciphertext, arrival->key, arrival->digest, &error);
  JsonObject *bundle;

  if (!plain)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  bundle = object_from_bytes (plain, &error);
  if (!bundle)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, bundle, (GDestroyNotify) json_object_unref);
}

static void
on_bundle_decrypted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Arrival *arrival = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) bundle = g_task_propagate_pointer (G_TASK (result), &error);

  if (!bundle)
    history_failed (arrival, error->message);
  else
    import_bundle (arrival, bundle);
}

static void
on_bundle_downloaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Arrival *arrival = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr (GTask) task = NULL;

  if (!body || soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      history_failed (arrival, error ? error->message : soup_message_get_reason_phrase (msg));
      return;
    }
  if (g_bytes_get_size (body) > GLOBI_DEVICE_LINK_MAX_BUNDLE_BYTES + 4096)
    {
      history_failed (arrival, "bundle too large");
      return;
    }
  task = g_task_new (NULL, NULL, on_bundle_decrypted_cb, arrival);
  g_task_set_source_tag (task, on_bundle_downloaded_cb);
  g_task_set_task_data (task, arrival, NULL);
  g_object_set_data_full (G_OBJECT (task), "ciphertext", g_bytes_ref (body),
                          (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, decrypt_bundle_thread);
}

static void
fetch_history (Arrival *arrival, JsonObject *history)
{
  GlobiDeviceLink *self = arrival->self;
  const char *hash = str_member (history, "hash");
  const char *access = str_member (json_node_get_object (arrival->tokens), "access_token");
  g_autofree char *url = NULL;
  g_autofree char *bearer = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  if (!hash || strlen (hash) != 64 || !access ||
      !decode_exact (str_member (history, "key"), arrival->key, sizeof arrival->key) ||
      !decode_exact (str_member (history, "digest"), arrival->digest, sizeof arrival->digest))
    {
      history_failed (arrival, "malformed history reference");
      return;
    }
  for (const char *p = hash; *p; p++)
    if (!g_ascii_isxdigit (*p))
      {
        history_failed (arrival, "malformed history reference");
        return;
      }
  url = g_strconcat (self->server_url, "/v1/attachments/", hash, NULL);
  bearer = g_strconcat ("Bearer ", access, NULL);
  msg = soup_message_new ("GET", url);
  if (!msg)
    {
      history_failed (arrival, "bad server address");
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  if (!self->soup)
    self->soup = soup_session_new ();
  soup_session_send_and_read_async (self->soup, msg, G_PRIORITY_DEFAULT, NULL,
                                    on_bundle_downloaded_cb, arrival);
}

static void
handle_approved (GlobiDeviceLink *self, JsonObject *reply)
{
  g_autoptr (Arrival) arrival = g_new0 (Arrival, 1);
  JsonObject *tokens = obj_member (reply, "tokens");
  const char *payload_text = str_member (reply, "payload");
  g_autoptr (GBytes) sealed = NULL;
  g_autoptr (GBytes) plain = NULL;
  g_autoptr (JsonObject) payload = NULL;
  JsonObject *history;
  guint8 *buf;
  gsize len;

  stop_polling (self);
  set_state (self, GLOBI_DEVICE_LINK_STATE_APPROVED);
  if (!tokens || !str_member (tokens, "user_id") || !payload_text)
    {
      fail (self, _ ("The server sent a malformed reply"));
      return;
    }
  sealed = globi_base64url_decode (payload_text, strlen (payload_text), NULL);
  if (!sealed || g_bytes_get_size (sealed) <= crypto_box_SEALBYTES)
    {
      fail (self, _ ("The other device sent data that could not be opened"));
      return;
    }
  len = g_bytes_get_size (sealed) - crypto_box_SEALBYTES;
  buf = g_malloc (len + 1);
  if (crypto_box_seal_open (buf, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed),
                            self->public_key, self->secret_key) != 0)
    {
      g_free (buf);
      fail (self, _ ("The other device sent data that could not be opened"));
      return;
    }
  plain = g_bytes_new_take (buf, len);
  payload = object_from_bytes (plain, NULL);
  /* The approver vouches for the account the server put this device in. */
  if (!payload || int_member (payload, "v") != PAYLOAD_VERSION ||
      g_strcmp0 (str_member (payload, "user_id"), str_member (tokens, "user_id")) != 0)
    {
      fail (self, _ ("The other device sent data that could not be opened"));
      return;
    }
  arrival->self = g_object_ref (self);
  arrival->tokens = node_from_object (tokens);
  history = obj_member (payload, "history");
  if (history)
    fetch_history (g_steal_pointer (&arrival), history);
  else
    sign_in (g_steal_pointer (&arrival));
}

/* GObject */

static void
globi_device_link_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiDeviceLink *self = GLOBI_DEVICE_LINK (object);

  switch (prop_id)
    {
      case PROP_STATE:
        g_value_set_enum (value, self->state);
        break;
      case PROP_URI:
        g_value_set_string (value, self->uri);
        break;
      case PROP_SCANNER:
        g_value_set_object (value, self->scanner);
        break;
      case PROP_ERROR_MESSAGE:
        g_value_set_string (value, self->error_message);
        break;
      case PROP_EXPIRES_AT:
        g_value_set_int64 (value, self->expires_at);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_device_link_dispose (GObject *object)
{
  GlobiDeviceLink *self = GLOBI_DEVICE_LINK (object);

  stop_polling (self);
  g_clear_object (&self->client);
  g_clear_object (&self->soup);
  g_clear_object (&self->session);
  g_clear_object (&self->scanner);
  G_OBJECT_CLASS (globi_device_link_parent_class)->dispose (object);
}

static void
globi_device_link_finalize (GObject *object)
{
  GlobiDeviceLink *self = GLOBI_DEVICE_LINK (object);

  sodium_memzero (self->secret_key, sizeof self->secret_key);
  g_clear_pointer (&self->tickets, g_ptr_array_unref);
  g_free (self->server_url);
  g_free (self->device_name);
  g_free (self->uri);
  g_free (self->error_message);
  G_OBJECT_CLASS (globi_device_link_parent_class)->finalize (object);
}

static void
globi_device_link_class_init (GlobiDeviceLinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = globi_device_link_get_property;
  object_class->dispose = globi_device_link_dispose;
  object_class->finalize = globi_device_link_finalize;

  properties[PROP_STATE] = g_param_spec_enum (
      "state", NULL, NULL, GLOBI_TYPE_DEVICE_LINK_STATE, GLOBI_DEVICE_LINK_STATE_IDLE,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_URI] = g_param_spec_string (
      "uri", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCANNER] =
      g_param_spec_object ("scanner", NULL, NULL, GLOBI_TYPE_PROFILE,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
      g_param_spec_string ("error-message", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXPIRES_AT] =
      g_param_spec_int64 ("expires-at", NULL, NULL, 0, G_MAXINT64, 0,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_device_link_init (GlobiDeviceLink *self)
{
  self->tickets = g_ptr_array_new_with_free_func ((GDestroyNotify) ticket_free);
  self->max_refreshes = DEFAULT_REFRESHES;
  self->refresh_s = DEFAULT_REFRESH_S;
}

/* Public API */

GlobiDeviceLink *
globi_device_link_new (GlobiSession *session, const char *server_url, const char *device_name)
{
  GlobiDeviceLink *self;
  g_autofree char *url = NULL;

  g_return_val_if_fail (GLOBI_IS_SESSION (session), NULL);
  g_return_val_if_fail (server_url != NULL, NULL);

  url = g_strdup (server_url);
  /* The code carries the address; a trailing slash would make two spellings of one server. */
  while (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  self = g_object_new (GLOBI_TYPE_DEVICE_LINK, NULL);
  self->session = g_object_ref (session);
  self->server_url = g_steal_pointer (&url);
  self->client = globi_client_new (self->server_url, NULL);
  self->device_name = device_name ? g_strdup (device_name) : globi_session_default_device_name ();
  return self;
}

void
globi_device_link_set_max_refreshes (GlobiDeviceLink *self, guint max_refreshes)
{
  g_return_if_fail (GLOBI_IS_DEVICE_LINK (self));
  self->max_refreshes = max_refreshes;
}

void
globi_device_link_set_refresh_interval (GlobiDeviceLink *self, guint seconds)
{
  g_return_if_fail (GLOBI_IS_DEVICE_LINK (self));
  g_return_if_fail (seconds >= 1 && seconds < GLOBI_LINK_TICKET_LIFETIME_S);
  self->refresh_s = seconds;
}

void
globi_device_link_start (GlobiDeviceLink *self)
{
  g_return_if_fail (GLOBI_IS_DEVICE_LINK (self));

  stop_polling (self);
  /* A fresh one-time key for every attempt: a code seen before says nothing about this one. */
  crypto_box_keypair (self->public_key, self->secret_key);
  self->cancellable = g_cancellable_new ();
  self->refreshes = 0;
  g_clear_pointer (&self->error_message, g_free);
  if (self->scanner)
    {
      g_clear_object (&self->scanner);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCANNER]);
    }
  set_state (self, GLOBI_DEVICE_LINK_STATE_WAITING);
  create_ticket (self);
  self->timer_id = g_timeout_add_seconds (POLL_INTERVAL_S, on_tick_cb, self);
}

void
globi_device_link_cancel (GlobiDeviceLink *self)
{
  g_return_if_fail (GLOBI_IS_DEVICE_LINK (self));
  stop_polling (self);
}

GlobiDeviceLinkState
globi_device_link_get_state (GlobiDeviceLink *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE_LINK (self), GLOBI_DEVICE_LINK_STATE_IDLE);
  return self->state;
}

const char *
globi_device_link_get_uri (GlobiDeviceLink *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE_LINK (self), NULL);
  return self->uri;
}

GlobiProfile *
globi_device_link_get_scanner (GlobiDeviceLink *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE_LINK (self), NULL);
  return self->scanner;
}

const char *
globi_device_link_get_error_message (GlobiDeviceLink *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE_LINK (self), NULL);
  return self->error_message;
}

gint64
globi_device_link_get_expires_at (GlobiDeviceLink *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE_LINK (self), 0);
  return self->expires_at;
}

/* The approving device */

typedef struct
{
  GlobiLinkCode *code;
  GlobiMessenger *messenger;
  JsonObject *ticket; /* the scan's reply */
  GPtrArray *chats;   /* JsonObject rows of the chats to send */
  guint chat_index;
  JsonArray *out_chats;
  GPtrArray *attachment_ids; /* messages of the bundle that carry a file */
  guint attachment_index;
  JsonObject *attachment_keys; /* message id → the messenger's key record */
  guint8 key[GLOBI_ATTACHMENT_KEY_SIZE];
  guint8 digest[GLOBI_ATTACHMENT_DIGEST_SIZE];
  gboolean approve;
  GBytes *ciphertext;
  char *history_hash;
  SoupSession *soup;
} Approval;

static void
approval_free (Approval *a)
{
  g_clear_pointer (&a->code, globi_link_code_free);
  g_clear_object (&a->messenger);
  g_clear_pointer (&a->ticket, json_object_unref);
  g_clear_pointer (&a->chats, g_ptr_array_unref);
  g_clear_pointer (&a->out_chats, json_array_unref);
  g_clear_pointer (&a->attachment_ids, g_ptr_array_unref);
  g_clear_pointer (&a->attachment_keys, json_object_unref);
  g_clear_pointer (&a->ciphertext, g_bytes_unref);
  g_free (a->history_hash);
  g_clear_object (&a->soup);
  sodium_memzero (a->key, sizeof a->key);
  g_free (a);
}

static GlobiSession *
task_session (GTask *task)
{
  return g_task_get_source_object (task);
}

static GlobiClient *
task_client (GTask *task)
{
  return globi_session_get_client (task_session (task));
}

static char *
ticket_path (Approval *a, const char *action)
{
  return g_strdup_printf ("/v1/link/tickets/%s/%s", a->code->ticket, action);
}

static gboolean
same_server (const char *a, const char *b)
{
  g_autofree char *x = g_strdup (a);
  g_autofree char *y = g_strdup (b);

  while (g_str_has_suffix (x, "/"))
    x[strlen (x) - 1] = '\0';
  while (g_str_has_suffix (y, "/"))
    y[strlen (y) - 1] = '\0';
  return g_ascii_strcasecmp (x, y) == 0;
}

/* A task whose data is a fresh Approval for uri; NULL after returning the error. */
static GTask *
approval_task_new (GlobiSession *session,
                   const char *uri,
                   gpointer tag,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (session, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  Approval *a;

  g_task_set_source_tag (task, tag);
  a = g_new0 (Approval, 1);
  g_task_set_task_data (task, a, (GDestroyNotify) approval_free);
  if (globi_session_get_state (session) != GLOBI_SESSION_STATE_SIGNED_IN)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED,
                               _ ("Sign in first to approve a new device"));
      return NULL;
    }
  a->code = globi_link_code_parse (uri, &error);
  if (!a->code)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return NULL;
    }
  if (a->code->server_url &&
      !same_server (a->code->server_url, globi_session_get_server_url (session)))
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                               _ ("This code is for another server (%s)"), a->code->server_url);
      return NULL;
    }
  return g_steal_pointer (&task);
}

static void send_approval (GTask *task);
static void next_chat (GTask *task);

static void
on_scan_reply_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Approval *a = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  JsonObject *ticket = reply && JSON_NODE_HOLDS_OBJECT (reply)
                           ? obj_member (json_node_get_object (reply), "ticket")
                           : NULL;

  if (!ticket)
    {
      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND))
        g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND,
                                 _ ("This login code has expired or was already used"));
      else
        g_task_return_error (task,
                             error ? g_steal_pointer (&error)
                                   : g_error_new_literal (GLOBI_ERROR, GLOBI_ERROR_INTERNAL,
                                                          _ ("The server sent a malformed reply")));
      return;
    }
  /* The key in the code must be the one the server holds for the ticket: a code with a
   * swapped key would have the history sealed to someone else. */
  if (g_strcmp0 (str_member (ticket, "public_key"), a->code->public_key) != 0)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                               _ ("This login code does not match the server's ticket"));
      return;
    }
  a->ticket = json_object_ref (ticket);
  if (!a->approve)
    {
      g_task_return_pointer (task, json_object_ref (ticket), (GDestroyNotify) json_object_unref);
      return;
    }
  if (!a->messenger)
    {
      send_approval (g_steal_pointer (&task));
      return;
    }
  a->out_chats = json_array_new ();
  a->attachment_ids = g_ptr_array_new_with_free_func (g_free);
  a->attachment_keys = json_object_new ();
  next_chat (g_steal_pointer (&task));
}

static void
start_scan (GTask *task)
{
  Approval *a = g_task_get_task_data (task);
  g_autofree char *path = ticket_path (a, "scan");

  globi_client_call_async (task_client (task), "POST", path, NULL, GLOBI_CALL_FLAGS_AUTH,
                           g_task_get_cancellable (task), on_scan_reply_cb, task);
}

void
globi_device_link_scan_async (GlobiSession *session,
                              const char *uri,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (session));
  task = approval_task_new (session, uri, globi_device_link_scan_async, cancellable, callback,
                            user_data);
  if (task)
    start_scan (task);
}

JsonObject *
globi_device_link_scan_finish (GlobiSession *session, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, session), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The history bundle: chats newest first, each with its last messages, oldest first. */

static JsonNode *
message_to_bundle_json (GlobiMessage *m)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const char *const *mentions = globi_message_get_mentions (m);

#define ADD_STR(name, value)                      \
  G_STMT_START                                    \
  {                                               \
    if ((value) != NULL)                          \
      {                                           \
        json_builder_set_member_name (b, name);   \
        json_builder_add_string_value (b, value); \
      }                                           \
  }                                               \
  G_STMT_END
#define ADD_INT(name, value)                \
  G_STMT_START                              \
  {                                         \
    json_builder_set_member_name (b, name); \
    json_builder_add_int_value (b, value);  \
  }                                         \
  G_STMT_END

  json_builder_begin_object (b);
  ADD_STR ("id", globi_message_get_id (m));
  ADD_STR ("chat_id", globi_message_get_chat_id (m));
  ADD_STR ("sender_id", globi_message_get_sender_id (m));
  ADD_STR ("sender_device_id", globi_message_get_sender_device_id (m));
  ADD_INT ("kind", globi_message_get_kind (m));
  ADD_STR ("text", globi_message_get_text (m));
  ADD_INT ("sent_at", globi_message_get_sent_at (m));
  ADD_INT ("edited_at", globi_message_get_edited_at (m));
  ADD_INT ("state", globi_message_get_state (m));
  ADD_INT ("outgoing", globi_message_get_outgoing (m));
  ADD_STR ("reply_to", globi_message_get_reply_to (m));
  ADD_STR ("reactions", globi_message_get_reactions (m));
  ADD_INT ("forwarded", globi_message_get_forwarded (m));
  ADD_STR ("card", globi_message_get_card_json (m));
  if (globi_message_get_attachment_name (m))
    {
      json_builder_set_member_name (b, "attachment");
      json_builder_begin_object (b);
      ADD_STR ("name", globi_message_get_attachment_name (m));
      ADD_STR ("type", globi_message_get_attachment_type (m));
      ADD_INT ("size", globi_message_get_attachment_size (m));
      json_builder_end_object (b);
    }
  if (mentions)
    {
      json_builder_set_member_name (b, "mentions");
      json_builder_begin_array (b);
      for (guint i = 0; mentions[i]; i++)
        json_builder_add_string_value (b, mentions[i]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
#undef ADD_STR
#undef ADD_INT
  return json_builder_get_root (b);
}

static void
on_messages_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Approval *a = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) messages =
      globi_cache_load_messages_before_finish (GLOBI_CACHE (source), result, &error);
  JsonObject *row = g_ptr_array_index (a->chats, a->chat_index);
  g_autoptr (JsonObject) chat = NULL;
  JsonArray *list;

  if (!messages)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (messages->len > 0)
    {
      chat = json_object_new ();
      list = json_array_new ();
      json_object_set_string_member (chat, "id", str_member (row, "id"));
      if (str_member (row, "title"))
        json_object_set_string_member (chat, "title", str_member (row, "title"));
      for (guint i = 0; i < messages->len; i++)
        {
          GlobiMessage *m = g_ptr_array_index (messages, i);

          json_array_add_element (list, message_to_bundle_json (m));
          if (globi_message_get_attachment_name (m))
            g_ptr_array_add (a->attachment_ids, g_strdup (globi_message_get_id (m)));
        }
      json_object_set_array_member (chat, "messages", list);
      json_array_add_object_element (a->out_chats, g_steal_pointer (&chat));
    }
  a->chat_index++;
  next_chat (g_steal_pointer (&task));
}

static gint
by_activity_desc (gconstpointer a, gconstpointer b)
{
  gint64 x = int_member (*(JsonObject **) a, "last_activity");
  gint64 y = int_member (*(JsonObject **) b, "last_activity");

  return x < y ? 1 : x > y ? -1 : 0;
}

static void
encrypt_bundle_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Approval *a = task_data;
  g_autoptr (JsonObject) bundle = json_object_new ();
  g_autoptr (GBytes) plain = NULL;

  json_object_set_int_member (bundle, "v", PAYLOAD_VERSION);
  json_object_set_array_member (bundle, "chats", json_array_ref (a->out_chats));
  json_object_set_object_member (bundle, "attachments", json_object_ref (a->attachment_keys));
  plain = object_to_bytes (bundle);
  if (g_bytes_get_size (plain) > GLOBI_DEVICE_LINK_MAX_BUNDLE_BYTES)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE,
                               _ ("The recent history is too large to send"));
      return;
    }
  a->ciphertext = globi_attachment_encrypt (plain, a->key, a->digest);
  g_task_return_boolean (task, TRUE);
}

static void
on_bundle_uploaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Approval *a = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr (JsonObject) reply = NULL;

  if (!body)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NETWORK, "%s", error->message);
      return;
    }
  reply = object_from_bytes (body, NULL);
  if (soup_message_get_status (msg) != SOUP_STATUS_CREATED || !str_member (reply, "hash"))
    {
      JsonObject *err = obj_member (reply, "error");

      g_task_return_new_error (
          task, GLOBI_ERROR, globi_error_code_from_status (soup_message_get_status (msg)), "%s",
          str_member (err, "message") ? str_member (err, "message")
                                      : _ ("The history could not be uploaded"));
      return;
    }
  a->history_hash = g_strdup (str_member (reply, "hash"));
  send_approval (g_steal_pointer (&task));
}

static void
on_bundle_encrypted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Approval *a = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  g_autofree char *bearer = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  url = g_strconcat (globi_client_get_base_url (task_client (task)), "/v1/attachments", NULL);
  token = globi_client_dup_access_token (task_client (task));
  bearer = g_strconcat ("Bearer ", token ? token : "", NULL);
  msg = soup_message_new ("POST", url);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  soup_message_set_request_body_from_bytes (msg, "application/octet-stream", a->ciphertext);
  a->soup = soup_session_new ();
  soup_session_send_and_read_async (a->soup, msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_bundle_uploaded_cb, task);
}

static void
on_chats_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Approval *a = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) chats =
      globi_cache_list_chats_finish (GLOBI_CACHE (source), result, &error);

  if (!chats)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  g_ptr_array_sort (chats, by_activity_desc);
  if (chats->len > GLOBI_DEVICE_LINK_MAX_CHATS)
    g_ptr_array_set_size (chats, GLOBI_DEVICE_LINK_MAX_CHATS);
  a->chats = g_steal_pointer (&chats);
  next_chat (task);
}

static void
on_attachment_key_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Approval *a = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *value = globi_cache_get_value_finish (GLOBI_CACHE (source), result, &error);

  if (error)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  /* A file still uploading, or one from before keys were kept, has none: left out. */
  if (value && strlen (value) <= MAX_ATTACHMENT_KEY_BYTES)
    json_object_set_string_member (
        a->attachment_keys, g_ptr_array_index (a->attachment_ids, a->attachment_index), value);
  a->attachment_index++;
  next_chat (task);
}

/* Takes the reference on task. */
static void
next_chat (GTask *task)
{
  Approval *a = g_task_get_task_data (task);
  GlobiCache *cache = globi_messenger_get_cache (a->messenger);
  g_autoptr (GTask) worker = NULL;

  if (!a->chats)
    {
      globi_cache_list_chats_async (cache, g_task_get_cancellable (task), on_chats_listed_cb, task);
      return;
    }
  if (a->chat_index < a->chats->len)
    {
      JsonObject *row = g_ptr_array_index (a->chats, a->chat_index);

      /* The newest, oldest first. */
      globi_cache_load_messages_before_async (
          cache, str_member (row, "id"), NULL, GLOBI_DEVICE_LINK_MAX_MESSAGES,
          g_task_get_cancellable (task), on_messages_loaded_cb, task);
      return;
    }
  /* The files' keys go along, so the new device can open pictures in the history too. */
  if (a->attachment_index < a->attachment_ids->len)
    {
      g_autofree char *key = g_strconcat (
          ATTACHMENT_KEY_PREFIX, g_ptr_array_index (a->attachment_ids, a->attachment_index), NULL);

      globi_cache_get_value_async (cache, key, g_task_get_cancellable (task), on_attachment_key_cb,
                                   task);
      return;
    }
  if (json_array_get_length (a->out_chats) == 0)
    {
      send_approval (task);
      return;
    }
  worker = g_task_new (NULL, g_task_get_cancellable (task), on_bundle_encrypted_cb, task);
  g_task_set_source_tag (worker, next_chat);
  g_task_set_task_data (worker, a, NULL);
  g_task_run_in_thread (worker, encrypt_bundle_thread);
}

static void
on_resolved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);

  if (!reply)
    {
      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND))
        g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND,
                                 _ ("This login code has expired or was already used"));
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* Seals what the new device needs to its one-time key and approves. Takes the reference. */
static void
send_approval (GTask *task)
{
  Approval *a = g_task_get_task_data (task);
  g_autoptr (JsonObject) payload = json_object_new ();
  g_autoptr (JsonObject) body = json_object_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GBytes) plain = NULL;
  g_autofree guint8 *sealed = NULL;
  g_autofree char *sealed_text = NULL;
  g_autofree char *path = ticket_path (a, "approve");
  guint8 key[crypto_box_PUBLICKEYBYTES];
  gsize len;

  json_object_set_int_member (payload, "v", PAYLOAD_VERSION);
  json_object_set_string_member (payload, "user_id",
                                 globi_session_get_user_id (task_session (task)));
  if (a->history_hash)
    {
      g_autoptr (JsonObject) history = json_object_new ();
      g_autofree char *key_text = globi_base64url_encode (a->key, sizeof a->key);
      g_autofree char *digest_text = globi_base64url_encode (a->digest, sizeof a->digest);

      json_object_set_string_member (history, "hash", a->history_hash);
      json_object_set_int_member (history, "size", g_bytes_get_size (a->ciphertext));
      json_object_set_string_member (history, "key", key_text);
      json_object_set_string_member (history, "digest", digest_text);
      json_object_set_object_member (payload, "history", g_steal_pointer (&history));
    }
  plain = object_to_bytes (payload);
  decode_exact (a->code->public_key, key, sizeof key);
  len = g_bytes_get_size (plain) + crypto_box_SEALBYTES;
  sealed = g_malloc (len);
  crypto_box_seal (sealed, g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), key);
  sealed_text = globi_base64url_encode (sealed, len);
  json_object_set_string_member (body, "payload", sealed_text);
  node = node_from_object (g_steal_pointer (&body));
  globi_client_call_async (task_client (task), "POST", path, node, GLOBI_CALL_FLAGS_AUTH,
                           g_task_get_cancellable (task), on_resolved_cb, task);
}

void
globi_device_link_approve_async (GlobiSession *session,
                                 GlobiMessenger *messenger,
                                 const char *uri,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  GTask *task;
  Approval *a;

  g_return_if_fail (GLOBI_IS_SESSION (session));
  g_return_if_fail (messenger == NULL || GLOBI_IS_MESSENGER (messenger));
  task = approval_task_new (session, uri, globi_device_link_approve_async, cancellable, callback,
                            user_data);
  if (!task)
    return;
  a = g_task_get_task_data (task);
  a->approve = TRUE;
  a->messenger = messenger ? g_object_ref (messenger) : NULL;
  /* Scanning again (same account) checks the ticket and the key before anything is built. */
  start_scan (task);
}

gboolean
globi_device_link_approve_finish (GlobiSession *session, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, session), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
globi_device_link_decline_async (GlobiSession *session,
                                 const char *uri,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  GTask *task;
  g_autofree char *path = NULL;

  g_return_if_fail (GLOBI_IS_SESSION (session));
  task = approval_task_new (session, uri, globi_device_link_decline_async, cancellable, callback,
                            user_data);
  if (!task)
    return;
  path = ticket_path (g_task_get_task_data (task), "decline");
  globi_client_call_async (task_client (task), "POST", path, NULL, GLOBI_CALL_FLAGS_AUTH,
                           g_task_get_cancellable (task), on_resolved_cb, task);
}

gboolean
globi_device_link_decline_finish (GlobiSession *session, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, session), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
