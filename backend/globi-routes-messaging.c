/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-routes-messaging"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "globi-routes.h"
#include "globi-server-private.h"
#include "globi-store-messaging.h"

#define KEY_BYTES            32
#define SIGNATURE_BYTES      64
#define MAX_PREKEYS_PER_CALL 100
#define MAX_ENVELOPES        1000
#define MAX_CIPHERTEXT_BYTES (64 * 1024)
#define MAX_EVENTS_PER_POLL  500
#define DEFAULT_EVENTS_POLL  100

static GlobiStore *
req_store (GlobiRequest *req)
{
  return globi_server_get_store (globi_request_get_server (req));
}

static GlobiMessagingArgs *
args_for_me (GlobiRequest *req)
{
  GlobiMessagingArgs *args = globi_messaging_args_new ();

  args->user_id = g_strdup (globi_request_get_user_id (req));
  args->device_id = g_strdup (globi_request_get_device_id (req));
  args->now_ms = globi_server_now_ms (globi_request_get_server (req));
  return args;
}

static gboolean
fail (GError **error, const char *name, const char *what)
{
  g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: %s", name, what);
  return FALSE;
}

/* Every member of obj is named in allowed. */
static gboolean
check_allowed (JsonObject *obj, const char *const *allowed, GError **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &name, &node))
    if (!g_strv_contains (allowed, name))
      return fail (error, name, "unknown field");
  return TRUE;
}

/* The body as a JSON object whose members are all named in allowed (any, when NULL). */
static JsonObject *
parse_body (GlobiRequest *req, const char *const *allowed, GError **error)
{
  g_autoptr (GBytes) body = globi_request_get_body (req);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonObject *obj;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  if (!json_parser_load_from_data (parser, data ? data : "", len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                           "the body must be a JSON object");
      return NULL;
    }
  obj = json_node_get_object (json_parser_get_root (parser));
  if (allowed && !check_allowed (obj, allowed, error))
    return NULL;
  return json_object_ref (obj);
}

static const char *
get_string (JsonObject *obj, const char *name, gboolean required, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (!node || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        fail (error, name, "is required");
      return NULL;
    }
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    {
      fail (error, name, "must be a string");
      return NULL;
    }
  return json_node_get_string (node);
}

static gboolean
get_int (JsonObject *obj, const char *name, gint64 min, gint64 max, gint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (!node || json_node_get_value_type (node) != G_TYPE_INT64)
    return fail (error, name, "must be an integer");
  *out = json_node_get_int (node);
  if (*out < min || *out > max)
    return fail (error, name, "is out of range");
  return TRUE;
}

static JsonObject *
get_object (JsonObject *obj, const char *name, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (!node || !JSON_NODE_HOLDS_OBJECT (node))
    {
      fail (error, name, "must be an object");
      return NULL;
    }
  return json_node_get_object (node);
}

static JsonArray *
get_array (JsonObject *obj, const char *name, guint max, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (!node || !JSON_NODE_HOLDS_ARRAY (node))
    {
      fail (error, name, "must be an array");
      return NULL;
    }
  if (json_array_get_length (json_node_get_array (node)) > max)
    {
      fail (error, name, "has too many elements");
      return NULL;
    }
  return json_node_get_array (node);
}

/* A base64url key of exactly len bytes. */
static GBytes *
get_key (JsonObject *obj, const char *name, gsize len, GError **error)
{
  const char *text = get_string (obj, name, TRUE, error);
  g_autoptr (GBytes) bytes = NULL;

  if (!text)
    return NULL;
  bytes = globi_base64url_decode (text, strlen (text), NULL);
  if (!bytes || g_bytes_get_size (bytes) != len)
    {
      fail (error, name,
            len == SIGNATURE_BYTES ? "must be 64 bytes of base64url"
                                   : "must be 32 bytes of base64url");
      return NULL;
    }
  return g_steal_pointer (&bytes);
}

/* Base64url of at most max decoded bytes, without decoding it. */
static gboolean
is_base64url (const char *text, gsize max)
{
  gsize len = strlen (text);

  if (len == 0 || len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > max)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '-' && text[i] != '_')
      return FALSE;
  return TRUE;
}

static gboolean
parse_prekeys (JsonObject *obj, GPtrArray *out, GError **error)
{
  JsonArray *array = get_array (obj, "one_time_prekeys", MAX_PREKEYS_PER_CALL, error);

  if (!array)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr (GlobiPrekey) prekey = g_new0 (GlobiPrekey, 1);
      JsonObject *item;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return fail (error, "one_time_prekeys", "must hold objects");
      item = json_node_get_object (node);
      if (!get_int (item, "id", 0, G_MAXUINT32, &prekey->id, error) ||
          !(prekey->key = get_key (item, "key", KEY_BYTES, error)))
        return FALSE;
      g_ptr_array_add (out, g_steal_pointer (&prekey));
    }
  return TRUE;
}

static void
on_done_204_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;

  globi_store_finish (GLOBI_STORE (source), result, &error);
  if (error)
    globi_request_reply_error (req, error);
  else
    globi_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
}

static void
on_keys_put_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) woken = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (!woken)
    {
      globi_request_reply_error (req, error);
      return;
    }
  globi_hub_notify_devices (globi_server_get_hub (globi_request_get_server (req)), woken);
  globi_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
}

/* PUT /v1/keys */
void
globi_routes_put_keys (GlobiRequest *req)
{
  static const char *const allowed[] = { "identity_key", "signed_prekey", "one_time_prekeys",
                                         NULL };
  g_autoptr (GlobiMessagingArgs) args = args_for_me (req);
  g_autoptr (JsonObject) obj = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *spk;

  args->one_time_prekeys = g_ptr_array_new_with_free_func (globi_prekey_free);
  if (!(obj = parse_body (req, allowed, &error)) ||
      !(args->identity_key = get_key (obj, "identity_key", KEY_BYTES, &error)) ||
      !(spk = get_object (obj, "signed_prekey", &error)) ||
      !get_int (spk, "id", 0, G_MAXUINT32, &args->signed_prekey_id, &error) ||
      !(args->signed_prekey = get_key (spk, "key", KEY_BYTES, &error)) ||
      !(args->signed_prekey_signature = get_key (spk, "signature", SIGNATURE_BYTES, &error)) ||
      (json_object_has_member (obj, "one_time_prekeys") &&
       !parse_prekeys (obj, args->one_time_prekeys, &error)))
    {
      globi_request_reply_error (req, error);
      return;
    }
  if (crypto_sign_verify_detached (g_bytes_get_data (args->signed_prekey_signature, NULL),
                                   g_bytes_get_data (args->signed_prekey, NULL), KEY_BYTES,
                                   g_bytes_get_data (args->identity_key, NULL)) != 0)
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_INVALID_FIELD,
                                      "signed_prekey.signature: does not verify");
      return;
    }
  globi_store_write_async (req_store (req), globi_store_messaging_put_keys, g_steal_pointer (&args),
                           globi_messaging_args_free, (GDestroyNotify) g_ptr_array_unref,
                           on_keys_put_cb, globi_request_ref (req));
}

/* POST /v1/keys/one-time */
void
globi_routes_add_prekeys (GlobiRequest *req)
{
  static const char *const allowed[] = { "one_time_prekeys", NULL };
  g_autoptr (GlobiMessagingArgs) args = args_for_me (req);
  g_autoptr (JsonObject) obj = NULL;
  g_autoptr (GError) error = NULL;

  args->one_time_prekeys = g_ptr_array_new_with_free_func (globi_prekey_free);
  if (!(obj = parse_body (req, allowed, &error)) ||
      !parse_prekeys (obj, args->one_time_prekeys, &error))
    {
      globi_request_reply_error (req, error);
      return;
    }
  globi_store_write_async (req_store (req), globi_store_messaging_add_prekeys,
                           g_steal_pointer (&args), globi_messaging_args_free, NULL, on_done_204_cb,
                           globi_request_ref (req));
}

static void
on_count_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree gint64 *count = globi_store_finish (GLOBI_STORE (source), result, &error);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonObject) obj = NULL;

  if (!count)
    {
      globi_request_reply_error (req, error);
      return;
    }
  obj = json_object_new ();
  json_object_set_int_member (obj, "one_time_prekeys", *count);
  root = json_node_init_object (json_node_alloc (), obj);
  globi_request_reply_json (req, SOUP_STATUS_OK, root);
}

/* GET /v1/keys/count */
void
globi_routes_count_prekeys (GlobiRequest *req)
{
  globi_store_read_async (req_store (req), globi_store_messaging_count_prekeys, args_for_me (req),
                          globi_messaging_args_free, g_free, on_count_cb, globi_request_ref (req));
}

static void
on_json_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (!root)
    globi_request_reply_error (req, error);
  else
    globi_request_reply_json (req, SOUP_STATUS_OK, root);
}

/* GET /v1/keys/{user_id}: a write job, since it hands out one-time prekeys. */
void
globi_routes_fetch_keys (GlobiRequest *req)
{
  GlobiMessagingArgs *args = args_for_me (req);

  args->target_user_id = g_strdup (globi_request_get_param (req, 0));
  globi_store_write_async (req_store (req), globi_store_messaging_fetch_keys, args,
                           globi_messaging_args_free, (GDestroyNotify) json_node_unref, on_json_cb,
                           globi_request_ref (req));
}

static JsonNode *
strings_to_json (GPtrArray *strings)
{
  JsonArray *array = json_array_sized_new (strings->len);

  for (guint i = 0; i < strings->len; i++)
    json_array_add_string_element (array, g_ptr_array_index (strings, i));
  return json_node_init_array (json_node_alloc (), array);
}

gsize
globi_routes_message_body_limit (const GlobiServerConfig *config)
{
  return MAX (config->max_body_bytes, GLOBI_MESSAGE_MAX_BODY);
}

typedef struct
{
  GlobiServer *server;
  const char *route; /* outlives the send */
  GlobiSendDoneFunc done;
  gpointer user_data;
} SendData;

/* 409 stale_devices: the error object carries the two device lists. */
static GBytes *
stale_body (GlobiServer *server, GlobiSendResult *result)
{
  g_autoptr (JsonObject) error = json_object_new ();
  g_autoptr (JsonObject) obj = json_object_new ();
  g_autoptr (JsonNode) root = NULL;
  char *text;

  json_object_set_string_member (error, "code",
                                 globi_error_code_to_string (GLOBI_ERROR_STALE_DEVICES));
  json_object_set_string_member (error, "message", "the list of target devices is out of date");
  json_object_set_member (error, "missing", strings_to_json (result->missing));
  json_object_set_member (error, "extra", strings_to_json (result->extra));
  json_object_set_object_member (obj, "error", json_object_ref (error));
  root = json_node_init_object (json_node_alloc (), obj);
  globi_metrics_count_error (globi_server_get_metrics (server),
                             globi_error_code_to_string (GLOBI_ERROR_STALE_DEVICES));
  text = json_to_string (root, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

static void
send_done_error (SendData *send, const GError *error)
{
  guint status = 0;
  g_autoptr (GBytes) body = globi_error_reply_body (send->server, send->route, error, &status);

  send->done (status, body, send->user_data);
}

static void
send_data_free (SendData *send)
{
  g_object_unref (send->server);
  g_free (send);
}

static void
on_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SendData *send = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiSendResult) sent = globi_store_finish (GLOBI_STORE (source), result, &error);
  g_autoptr (GBytes) body = NULL;
  char *text;

  if (!sent)
    send_done_error (send, error);
  else if (sent->missing)
    {
      body = stale_body (send->server, sent);
      send->done (globi_error_code_to_status (GLOBI_ERROR_STALE_DEVICES), body, send->user_data);
    }
  else
    {
      globi_hub_deliver (globi_server_get_hub (send->server), sent->deliveries);
      /* The id is a checked UUID: printing is safe, and cheaper than a JsonBuilder. */
      text = g_strdup_printf ("{\"id\":\"%s\",\"sent_at\":%" G_GINT64_FORMAT "}", sent->message_id,
                              sent->sent_at);
      body = g_bytes_new_take (text, strlen (text));
      send->done (SOUP_STATUS_CREATED, body, send->user_data);
    }
  send_data_free (send);
}

static gboolean
parse_envelopes (JsonObject *obj, GlobiMessagingArgs *args, GError **error)
{
  JsonArray *array = get_array (obj, "envelopes", MAX_ENVELOPES, error);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!array)
    return FALSE;
  args->envelopes = g_ptr_array_new_with_free_func (globi_envelope_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      GlobiEnvelope *envelope;
      const char *device_id, *type, *ciphertext;
      JsonObject *item;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return fail (error, "envelopes", "must hold objects");
      item = json_node_get_object (node);
      if (json_object_get_size (item) != 3 ||
          !(device_id = get_string (item, "device_id", TRUE, error)) ||
          !(type = get_string (item, "type", TRUE, error)) ||
          !(ciphertext = get_string (item, "ciphertext", TRUE, error)))
        return error && *error ? FALSE
                               : fail (error, "envelopes", "need device_id, type and ciphertext");
      if (!g_hash_table_add (seen, (gpointer) device_id))
        return fail (error, "envelopes", "name a device twice");
      if (args->to_group_id ? !g_str_equal (type, "sender_key")
                            : !g_str_equal (type, "prekey") && !g_str_equal (type, "message"))
        return fail (error, "envelopes.type",
                     args->to_group_id ? "must be sender_key in a group"
                                       : "must be prekey or message");
      if (!is_base64url (ciphertext, MAX_CIPHERTEXT_BYTES))
        return fail (error, "envelopes.ciphertext", "must be base64url, at most 64 KiB");
      envelope = g_new0 (GlobiEnvelope, 1);
      envelope->device_id = g_strdup (device_id);
      envelope->type = g_strdup (type);
      envelope->ciphertext = g_strdup (ciphertext);
      g_ptr_array_add (args->envelopes, envelope);
    }
  return TRUE;
}

static gboolean
parse_message (JsonObject *obj, GlobiMessagingArgs *args, GError **error)
{
  const char *id, *user_id, *group_id, *group_ciphertext;
  JsonObject *to;

  if (!(id = get_string (obj, "id", TRUE, error)))
    return FALSE;
  if (!globi_id_is_valid (id))
    return fail (error, "id", "must be a lowercase UUID");
  if (!(to = get_object (obj, "to", error)))
    return FALSE;
  user_id = get_string (to, "user_id", FALSE, error);
  group_id = get_string (to, "group_id", FALSE, error);
  if ((user_id == NULL) == (group_id == NULL) || json_object_get_size (to) != 1)
    return fail (error, "to", "must be {\"user_id\"} or {\"group_id\"}");
  args->message_id = g_strdup (id);
  args->to_user_id = g_strdup (user_id);
  args->to_group_id = g_strdup (group_id);
  if (group_id)
    {
      if (!(group_ciphertext = get_string (obj, "group_ciphertext", TRUE, error)) ||
          !get_int (obj, "sender_key_id", 0, G_MAXUINT32, &args->sender_key_id, error))
        return FALSE;
      if (!is_base64url (group_ciphertext, MAX_CIPHERTEXT_BYTES))
        return fail (error, "group_ciphertext", "must be base64url, at most 64 KiB");
      args->group_ciphertext = g_strdup (group_ciphertext);
    }
  else if (json_object_has_member (obj, "group_ciphertext") ||
           json_object_has_member (obj, "sender_key_id"))
    return fail (error, "group_ciphertext", "only for a group");
  return parse_envelopes (obj, args, error);
}

void
globi_routes_send_message_object (GlobiServer *server,
                                  const char *route,
                                  const char *user_id,
                                  const char *device_id,
                                  JsonObject *message,
                                  GlobiSendDoneFunc done,
                                  gpointer user_data)
{
  static const char *const allowed[] = {
    "id", "to", "envelopes", "group_ciphertext", "sender_key_id", NULL
  };
  g_autoptr (GlobiMessagingArgs) args = globi_messaging_args_new ();
  g_autoptr (GError) error = NULL;
  SendData *send = g_new0 (SendData, 1);

  send->server = g_object_ref (server);
  send->route = route;
  send->done = done;
  send->user_data = user_data;
  if (!check_allowed (message, allowed, &error) || !parse_message (message, args, &error))
    {
      send_done_error (send, error);
      send_data_free (send);
      return;
    }
  args->user_id = g_strdup (user_id);
  args->device_id = g_strdup (device_id);
  args->now_ms = globi_server_now_ms (server);
  globi_store_write_async (globi_server_get_store (server), globi_store_messaging_send,
                           g_steal_pointer (&args), globi_messaging_args_free,
                           globi_send_result_free, on_sent_cb, send);
}

static void
on_rest_sent_cb (guint status, GBytes *body, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;

  globi_request_reply_bytes (req, status, "application/json", body);
}

/* POST /v1/messages */
void
globi_routes_send_message (GlobiRequest *req)
{
  g_autoptr (JsonObject) obj = NULL;
  g_autoptr (GError) error = NULL;

  if (!(obj = parse_body (req, NULL, &error)))
    {
      globi_request_reply_error (req, error);
      return;
    }
  globi_routes_send_message_object (globi_request_get_server (req), globi_request_get_route (req),
                                    globi_request_get_user_id (req),
                                    globi_request_get_device_id (req), obj, on_rest_sent_cb,
                                    globi_request_ref (req));
}

typedef struct
{
  GlobiRequest *req;
  guint limit;
} PollData;

static void
on_events_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PollData *poll = user_data;
  g_autoptr (GlobiRequest) req = poll->req;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = globi_store_finish (GLOBI_STORE (source), result, &error);
  g_autoptr (GBytes) bytes = NULL;
  GString *text;
  guint limit = poll->limit;

  g_free (poll);
  if (!rows)
    {
      globi_request_reply_error (req, error);
      return;
    }
  /* The stored events are JSON already: splice them in rather than parse them again. */
  text = g_string_new ("{\"events\":[");
  for (guint i = 0; i < rows->len; i++)
    {
      GlobiEventRow *row = g_ptr_array_index (rows, i);

      g_string_append_printf (text, "%s{\"seq\":%" G_GINT64_FORMAT ",\"event\":%s}", i ? "," : "",
                              row->seq, row->json);
    }
  g_string_append_printf (text, "],\"caught_up\":%s}", rows->len < limit ? "true" : "false");
  bytes = g_string_free_to_bytes (text);
  globi_request_reply_bytes (req, SOUP_STATUS_OK, "application/json", bytes);
}

static gboolean
query_number (GHashTable *query, const char *name, guint64 max, guint64 *out, GError **error)
{
  const char *text = query ? g_hash_table_lookup (query, name) : NULL;

  if (text && !g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL))
    return fail (error, name, "must be a non-negative integer in range");
  return TRUE;
}

/* GET /v1/events?after=SEQ&limit=N */
void
globi_routes_poll_events (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  SoupServerMessage *msg = globi_request_get_message (req);
  g_autoptr (GHashTable) query = NULL;
  g_autoptr (GError) error = NULL;
  GlobiMessagingArgs *args;
  guint64 after = 0, limit = DEFAULT_EVENTS_POLL;
  PollData *poll;

  if (g_uri_get_query (soup_server_message_get_uri (msg)))
    query = soup_form_decode (g_uri_get_query (soup_server_message_get_uri (msg)));
  if (!query_number (query, "after", G_MAXINT64, &after, &error) ||
      !query_number (query, "limit", MAX_EVENTS_PER_POLL, &limit, &error))
    {
      globi_request_reply_error (req, error);
      return;
    }
  if (limit == 0)
    limit = DEFAULT_EVENTS_POLL;
  args = args_for_me (req);
  args->after = (gint64) after;
  args->limit = (guint) limit;
  args->cutoff_ms = globi_server_now_ms (server) -
                    (gint64) globi_server_get_config (server)->envelope_retention_days * 86400000;
  poll = g_new0 (PollData, 1);
  poll->req = globi_request_ref (req);
  poll->limit = (guint) limit;
  globi_store_read_async (req_store (req), globi_store_messaging_read_events, args,
                          globi_messaging_args_free, (GDestroyNotify) g_ptr_array_unref,
                          on_events_cb, poll);
}

/* POST /v1/events/ack {"seq": N} */
void
globi_routes_ack_events (GlobiRequest *req)
{
  static const char *const allowed[] = { "seq", NULL };
  g_autoptr (GlobiMessagingArgs) args = args_for_me (req);
  g_autoptr (JsonObject) obj = NULL;
  g_autoptr (GError) error = NULL;

  if (!(obj = parse_body (req, allowed, &error)) ||
      !get_int (obj, "seq", 0, G_MAXINT64, &args->after, &error))
    {
      globi_request_reply_error (req, error);
      return;
    }
  globi_store_write_async (req_store (req), globi_store_messaging_ack, g_steal_pointer (&args),
                           globi_messaging_args_free, NULL, on_done_204_cb,
                           globi_request_ref (req));
}

/* POST /v1/attachments: opaque (client-encrypted) bytes, stored content-addressed. */

static void
attachment_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  char *hash = globi_blob_store_put (GLOBI_BLOB_STORE (source), task_data, &error);

  if (hash)
    g_task_return_pointer (task, hash, g_free);
  else
    g_task_return_error (task, error);
}

static void
on_attachment_stored_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr (JsonObject) obj = NULL;
  g_autoptr (JsonNode) root = NULL;

  if (!hash)
    {
      globi_request_reply_error (req, error);
      return;
    }
  obj = json_object_new ();
  json_object_set_string_member (obj, "hash", hash);
  json_object_set_int_member (obj, "size",
                              g_bytes_get_size (g_task_get_task_data (G_TASK (result))));
  root = json_node_init_object (json_node_alloc (), obj);
  globi_request_reply_json (req, SOUP_STATUS_CREATED, root);
}

void
globi_routes_put_attachment (GlobiRequest *req)
{
  SoupServerMessage *msg = globi_request_get_message (req);
  const char *type =
      soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GTask) task = NULL;

  if (g_strcmp0 (type, "application/octet-stream") != 0)
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_UNSUPPORTED_MEDIA,
                                      "attachments are application/octet-stream");
      return;
    }
  body = globi_request_get_body (req);
  if (g_bytes_get_size (body) == 0)
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_BAD_REQUEST, "the attachment is empty");
      return;
    }
  task = g_task_new (globi_server_get_blobs (globi_request_get_server (req)), NULL,
                     on_attachment_stored_cb, globi_request_ref (req));
  g_task_set_source_tag (task, globi_routes_put_attachment);
  g_task_set_task_data (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, attachment_thread);
}

/* GET /v1/attachments/{hash}: the same content-addressed store as /v1/blobs. */
void
globi_routes_get_attachment (GlobiRequest *req)
{
  globi_routes_get_blob (req);
}
