/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-request"

#include "config.h"

#include <string.h>

#include "globi-base64url.h"
#include "globi-request.h"
#include "globi-server-private.h"

struct _GlobiRequest
{
  grefcount ref_count;
  GlobiServer *server;
  SoupServerMessage *msg;
  char *route;
  GPtrArray *params;
  char *user_id;
  char *device_id;
  gulong disconnected_id;
  guint in_dispatch : 1;
  guint paused : 1;
  guint replied : 1;
  guint disconnected : 1;
};

static void
on_disconnected_cb (SoupServerMessage *msg, gpointer user_data)
{
  GlobiRequest *self = user_data;

  self->disconnected = TRUE;
}

GlobiRequest *
globi_request_new (GlobiServer *server, SoupServerMessage *msg, const char *route)
{
  GlobiRequest *self = g_new0 (GlobiRequest, 1);

  g_ref_count_init (&self->ref_count);
  self->server = g_object_ref (server);
  self->msg = g_object_ref (msg);
  self->route = g_strdup (route);
  self->params = g_ptr_array_new_with_free_func (g_free);
  self->in_dispatch = TRUE;
  self->disconnected_id =
      g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected_cb), self);
  return self;
}

GlobiRequest *
globi_request_ref (GlobiRequest *self)
{
  g_ref_count_inc (&self->ref_count);
  return self;
}

void
globi_request_unref (GlobiRequest *self)
{
  if (!g_ref_count_dec (&self->ref_count))
    return;
  if (!self->replied && !self->disconnected)
    {
      /* A handler path forgot to answer: never leave the client hanging. */
      g_critical ("request for %s finished without a reply", self->route);
      globi_request_ref (self);
      globi_request_reply_error_code (self, GLOBI_ERROR_INTERNAL, "internal error");
      g_ref_count_dec (&self->ref_count);
    }
  g_clear_signal_handler (&self->disconnected_id, self->msg);
  g_clear_object (&self->msg);
  g_clear_object (&self->server);
  g_clear_pointer (&self->params, g_ptr_array_unref);
  g_free (self->route);
  g_free (self->user_id);
  g_free (self->device_id);
  g_free (self);
}

SoupServerMessage *
globi_request_get_message (GlobiRequest *self)
{
  return self->msg;
}

GlobiServer *
globi_request_get_server (GlobiRequest *self)
{
  return self->server;
}

const char *
globi_request_get_route (GlobiRequest *self)
{
  return self->route;
}

void
globi_request_add_param (GlobiRequest *self, const char *value)
{
  g_ptr_array_add (self->params, g_strdup (value));
}

const char *
globi_request_get_param (GlobiRequest *self, guint index)
{
  g_return_val_if_fail (index < self->params->len, NULL);

  return g_ptr_array_index (self->params, index);
}

const char *
globi_request_get_remote_host (GlobiRequest *self)
{
  const char *host = soup_server_message_get_remote_host (self->msg);

  return host ? host : "unknown";
}

const char *
globi_request_get_user_id (GlobiRequest *self)
{
  return self->user_id;
}

const char *
globi_request_get_device_id (GlobiRequest *self)
{
  return self->device_id;
}

/* Verified access tokens, per server, until they expire: an Ed25519 verification costs
 * about 70 µs, more than the rest of a small request, and a client sends many requests
 * with one token. Only tokens that verified are kept; revocation is still checked on
 * every request (globi_server_device_is_active), and a retired signing key stays valid
 * past the lifetime of every token it signed, so a cached token is never more valid
 * than a fresh verification would find it. Main context only, like requests. */
#define TOKEN_CACHE_MAX 20000

typedef struct
{
  char *user_id;
  char *device_id;
  gint64 expires_s;
} CachedToken;

static void
cached_token_free (gpointer data)
{
  CachedToken *cached = data;

  g_free (cached->user_id);
  g_free (cached->device_id);
  g_free (cached);
}

static GHashTable *
token_cache (GlobiServer *server)
{
  static GQuark quark;
  GHashTable *cache;

  if (!quark)
    quark = g_quark_from_static_string ("globi-request-token-cache");
  cache = g_object_get_qdata (G_OBJECT (server), quark);
  if (!cache)
    {
      cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cached_token_free);
      g_object_set_qdata_full (G_OBJECT (server), quark, cache,
                               (GDestroyNotify) g_hash_table_unref);
    }
  return cache;
}

/* The exp claim of a token that has just verified (so its payload is well-formed). */
static gint64
token_expiry (const char *token)
{
  const char *first = strchr (token, '.');
  const char *second = first ? strchr (first + 1, '.') : NULL;
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  gsize len;
  const char *data;

  if (!second)
    return 0;
  payload = globi_base64url_decode (first + 1, second - first - 1, NULL);
  if (!payload)
    return 0;
  data = g_bytes_get_data (payload, &len);
  if (!json_parser_load_from_data (parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser))))
    return 0;
  return json_object_get_int_member_with_default (json_node_get_object (root), "exp", 0);
}

static gboolean
verify_token (GlobiServer *server, const char *token, char **out_user_id, char **out_device_id)
{
  GHashTable *cache = token_cache (server);
  gint64 now_s = globi_server_now_s (server);
  CachedToken *cached = g_hash_table_lookup (cache, token);

  if (cached && now_s < cached->expires_s)
    {
      *out_user_id = g_strdup (cached->user_id);
      *out_device_id = g_strdup (cached->device_id);
      return TRUE;
    }
  if (cached)
    g_hash_table_remove (cache, token);
  if (!globi_token_signer_verify (globi_server_get_signer (server), token, now_s, out_user_id,
                                  out_device_id, NULL))
    return FALSE;
  /* Bounded: past the cap start again rather than track ages. */
  if (g_hash_table_size (cache) >= TOKEN_CACHE_MAX)
    g_hash_table_remove_all (cache);
  cached = g_new0 (CachedToken, 1);
  cached->user_id = g_strdup (*out_user_id);
  cached->device_id = g_strdup (*out_device_id);
  cached->expires_s = token_expiry (token);
  if (cached->expires_s > now_s)
    g_hash_table_insert (cache, g_strdup (token), cached);
  else
    cached_token_free (cached);
  return TRUE;
}

gboolean
globi_request_authenticate (GlobiRequest *self, GError **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (self->msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");
  g_autofree char *user_id = NULL;
  g_autofree char *device_id = NULL;

  if (!auth || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, "missing bearer token");
      return FALSE;
    }
  if (!verify_token (self->server, auth + 7, &user_id, &device_id))
    {
      /* The signer's reason stays out of the reply: it helps nobody but a forger. */
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED,
                           "invalid or expired token");
      return FALSE;
    }
  if (!globi_server_device_is_active (self->server, device_id))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, "device revoked");
      return FALSE;
    }
  self->user_id = g_steal_pointer (&user_id);
  self->device_id = g_steal_pointer (&device_id);
  return TRUE;
}

GBytes *
globi_request_get_body (GlobiRequest *self)
{
  SoupMessageBody *body = soup_server_message_get_request_body (self->msg);

  return soup_message_body_flatten (body);
}

static gboolean
is_blank (const char *value)
{
  for (const char *p = value; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static gboolean
check_string (const GlobiField *field, const char *path, const char *value, GError **error)
{
  gsize len;

  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: not valid UTF-8", path);
      return FALSE;
    }
  if (field->flags & GLOBI_FIELD_COUNT_BYTES)
    len = strlen (value);
  else
    {
      len = g_utf8_strlen (value, -1);
      for (const char *p = value; *p; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          if (c == '\n' && (field->flags & GLOBI_FIELD_ALLOW_NEWLINE))
            continue;
          if (g_unichar_iscntrl (c))
            {
              g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD,
                           "%s: control characters are not allowed", path);
              return FALSE;
            }
        }
    }
  if (len < field->min)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: at least %u %s", path,
                   field->min, (field->flags & GLOBI_FIELD_COUNT_BYTES) ? "bytes" : "characters");
      return FALSE;
    }
  if (field->max && len > field->max)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: at most %u %s", path,
                   field->max, (field->flags & GLOBI_FIELD_COUNT_BYTES) ? "bytes" : "characters");
      return FALSE;
    }
  if ((field->flags & GLOBI_FIELD_NOT_BLANK) && is_blank (value))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: may not be blank", path);
      return FALSE;
    }
  if (field->check)
    {
      const char *problem = field->check (value);

      if (problem)
        {
          g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: %s", path, problem);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_member (const GlobiField *field, const char *path, JsonNode *node, GError **error)
{
  GType value_type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : 0;

  switch (field->type)
    {
      case GLOBI_FIELD_STRING:
        if (value_type != G_TYPE_STRING)
          break;
        return check_string (field, path, json_node_get_string (node), error);
      case GLOBI_FIELD_BOOLEAN:
        if (value_type != G_TYPE_BOOLEAN)
          break;
        return TRUE;
      case GLOBI_FIELD_OBJECT:
        if (!JSON_NODE_HOLDS_OBJECT (node))
          break;
        return globi_json_check_fields (json_node_get_object (node), field->children, path, error);
      default:
        g_assert_not_reached ();
    }
  g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: must be %s", path,
               field->type == GLOBI_FIELD_STRING    ? "a string"
               : field->type == GLOBI_FIELD_BOOLEAN ? "a boolean"
                                                    : "an object");
  return FALSE;
}

static const GlobiField *
find_field (const GlobiField *fields, const char *name)
{
  for (const GlobiField *f = fields; f && f->name; f++)
    if (g_str_equal (f->name, name))
      return f;
  return NULL;
}

gboolean
globi_json_check_fields (JsonObject *obj,
                         const GlobiField *fields,
                         const char *prefix,
                         GError **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &name, &node))
    {
      const GlobiField *field = find_field (fields, name);
      g_autofree char *path = prefix ? g_strconcat (prefix, ".", name, NULL) : g_strdup (name);

      if (!field)
        {
          /* The name comes from the client: keep what we echo short and printable. */
          g_autofree char *shown = g_utf8_make_valid (path, MIN (strlen (path), 64));

          g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: unknown field", shown);
          return FALSE;
        }
      if (!check_member (field, path, node, error))
        return FALSE;
    }
  for (const GlobiField *f = fields; f && f->name; f++)
    if ((f->flags & GLOBI_FIELD_REQUIRED) && !json_object_has_member (obj, f->name))
      {
        g_autofree char *path =
            prefix ? g_strconcat (prefix, ".", f->name, NULL) : g_strdup (f->name);

        g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: required", path);
        return FALSE;
      }
  return TRUE;
}

JsonObject *
globi_request_parse_json (GlobiRequest *self, const GlobiField *fields, GError **error)
{
  g_autoptr (GBytes) body = globi_request_get_body (self);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);
  JsonNode *root;

  if (len == 0 || !json_parser_load_from_data (parser, data, len, NULL))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "malformed JSON");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                           "the body must be a JSON object");
      return NULL;
    }
  if (!globi_json_check_fields (json_node_get_object (root), fields, NULL, error))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

gboolean
globi_request_has_replied (GlobiRequest *self)
{
  return self->replied;
}

void
globi_request_leave_dispatch (GlobiRequest *self)
{
  self->in_dispatch = FALSE;
  if (!self->replied && !self->disconnected)
    {
      soup_server_message_pause (self->msg);
      self->paused = TRUE;
    }
}

static void
finish_reply (GlobiRequest *self)
{
  self->replied = TRUE;
  if (self->paused && !self->disconnected)
    {
      self->paused = FALSE;
      soup_server_message_unpause (self->msg);
    }
}

void
globi_request_reply_bytes (GlobiRequest *self,
                           guint status,
                           const char *content_type,
                           GBytes *bytes)
{
  gsize len = 0;
  const char *data;

  g_return_if_fail (!self->replied);

  if (self->disconnected)
    {
      self->replied = TRUE;
      return;
    }
  data = bytes ? g_bytes_get_data (bytes, &len) : NULL;
  /* Unavailable (shutting down, too many connections): the client reconnects later. */
  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    soup_message_headers_replace (soup_server_message_get_response_headers (self->msg),
                                  "Connection", "close");
  soup_server_message_set_status (self->msg, status, NULL);
  if (content_type && bytes)
    soup_server_message_set_response (self->msg, content_type, SOUP_MEMORY_COPY, data, len);
  finish_reply (self);
}

void
globi_request_reply_json (GlobiRequest *self, guint status, JsonNode *node)
{
  char *text = json_to_string (node, FALSE);
  gsize len = strlen (text);
  g_autoptr (GBytes) bytes = g_bytes_new_take (text, len);

  globi_request_reply_bytes (self, status, "application/json", bytes);
}

void
globi_request_reply_empty (GlobiRequest *self, guint status)
{
  globi_request_reply_bytes (self, status, NULL, NULL);
}

/* {"error": {"code", "message"}}, counted in the metrics. */
static GBytes *
error_body (GlobiServer *server, GlobiErrorCode code, const char *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  const char *wire = globi_error_code_to_string (code);
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, wire);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  globi_metrics_count_error (globi_server_get_metrics (server), wire);
  text = json_to_string (node, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

void
globi_request_reply_error_code (GlobiRequest *self, GlobiErrorCode code, const char *message)
{
  g_autoptr (GBytes) body = error_body (self->server, code, message);

  globi_request_reply_bytes (self, globi_error_code_to_status (code), "application/json", body);
}

GBytes *
globi_error_reply_body (GlobiServer *server,
                        const char *route,
                        const GError *error,
                        guint *out_status)
{
  GlobiErrorCode code = error->code;
  const char *message = error->message;

  if (error->domain != GLOBI_ERROR || error->code == GLOBI_ERROR_INTERNAL)
    {
      /* Internals go to the log, never on the wire. */
      g_warning ("%s: %s", route, error->message);
      code = GLOBI_ERROR_INTERNAL;
      message = "internal error";
    }
  *out_status = globi_error_code_to_status (code);
  return error_body (server, code, message);
}

void
globi_request_reply_error (GlobiRequest *self, const GError *error)
{
  guint status = 0;
  g_autoptr (GBytes) body = globi_error_reply_body (self->server, self->route, error, &status);

  globi_request_reply_bytes (self, status, "application/json", body);
}
