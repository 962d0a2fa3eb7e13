/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-client"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sodium.h>

#include "globi-error.h"
#include "globi-core-util.h"
#include "globi-client.h"

/* A JSON reply is small; a blob is at most an avatar original (5 MiB) with room to grow. */
#define MAX_JSON_REPLY_BYTES (1024 * 1024)
#define MAX_BLOB_REPLY_BYTES (16 * 1024 * 1024)
#define READ_CHUNK_BYTES     65536
#define TIMEOUT_SECONDS      30

enum
{
  PROP_0,
  PROP_BASE_URL,
  PROP_CACHE_DIR,
  N_PROPS
};

enum
{
  TOKENS_CHANGED,
  SESSION_ENDED,
  N_SIGNALS
};

struct _GlobiClient
{
  GObject parent_instance;

  SoupSession *soup;
  char *base_url;
  char *cache_dir;
  char *access_token;
  char *refresh_token;

  /* Single-flight refresh: every caller that needs fresh tokens while a refresh is under
   * way waits here for the same answer. NULL when no refresh is running. */
  GPtrArray *refresh_waiters;
};

G_DEFINE_FINAL_TYPE (GlobiClient, globi_client, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  char *method;
  char *path;
  GBytes *body;
  char *content_type;
  GlobiCallFlags flags;
  gsize max_reply;
  gboolean parse_json;
  gboolean retried;
  char *sent_access_token;
  SoupMessage *msg;
  GInputStream *stream;
  GByteArray *reply;
} Request;

static void request_send (GTask *task);

static void
request_free (gpointer data)
{
  Request *req = data;

  g_free (req->method);
  g_free (req->path);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req->content_type);
  g_free (req->sent_access_token);
  g_clear_object (&req->msg);
  g_clear_object (&req->stream);
  g_clear_pointer (&req->reply, g_byte_array_unref);
  g_free (req);
}

static void
globi_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiClient *self = GLOBI_CLIENT (object);

  switch (prop_id)
    {
      case PROP_BASE_URL:
        g_value_set_string (value, self->base_url);
        break;

      case PROP_CACHE_DIR:
        g_value_set_string (value, self->cache_dir);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_client_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GlobiClient *self = GLOBI_CLIENT (object);

  switch (prop_id)
    {
      case PROP_BASE_URL:
        globi_client_set_base_url (self, g_value_get_string (value));
        break;

      case PROP_CACHE_DIR:
        self->cache_dir = g_value_dup_string (value);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_client_dispose (GObject *object)
{
  GlobiClient *self = GLOBI_CLIENT (object);

  if (self->soup != NULL)
    soup_session_abort (self->soup);
  g_clear_object (&self->soup);

  G_OBJECT_CLASS (globi_client_parent_class)->dispose (object);
}

static void
globi_client_finalize (GObject *object)
{
  GlobiClient *self = GLOBI_CLIENT (object);

  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->cache_dir, g_free);
  g_clear_pointer (&self->access_token, g_free);
  g_clear_pointer (&self->refresh_token, g_free);
  g_clear_pointer (&self->refresh_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (globi_client_parent_class)->finalize (object);
}

static void
globi_client_class_init (GlobiClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = globi_client_get_property;
  object_class->set_property = globi_client_set_property;
  object_class->dispose = globi_client_dispose;
  object_class->finalize = globi_client_finalize;

  properties[PROP_BASE_URL] =
      g_param_spec_string ("base-url", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE_DIR] =
      g_param_spec_string ("cache-dir", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[TOKENS_CHANGED] = g_signal_new ("tokens-changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SESSION_ENDED] =
      g_signal_new ("session-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
globi_client_init (GlobiClient *self)
{
  self->soup = soup_session_new_with_options ("timeout", TIMEOUT_SECONDS, "idle-timeout", 60,
                                              "user-agent", "GlobiChat/" PACKAGE_VERSION, NULL);
}

/* Error handling */

static void
set_network_error (GlobiClient *self, GError *source, GError **error)
{
  if (g_error_matches (source, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (source));
  else
    g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_NETWORK,
                 _ ("Could not reach the server at %s: %s"), self->base_url, source->message);
}

/* The JSON error object of docs/protocol.md; what a proxy might send instead is mapped
 * from the status alone. */
static GError *
error_from_reply (guint status, const char *body, gsize length)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonNode *err_node;
  JsonObject *err;
  JsonNode *code;
  JsonNode *message;

  if (body != NULL && length > 0 && json_parser_load_from_data (parser, body, length, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root) &&
      (err_node = json_object_get_member (json_node_get_object (root), "error")) != NULL &&
      JSON_NODE_HOLDS_OBJECT (err_node))
    {
      err = json_node_get_object (err_node);
      code = json_object_get_member (err, "code");
      message = json_object_get_member (err, "message");
      if (globi_json_node_holds (code, G_TYPE_STRING))
        {
          JsonNode *attempts = json_object_get_member (err, "attempts_left");
          GError *error = g_error_new_literal (
              GLOBI_ERROR, globi_error_code_from_string (json_node_get_string (code)),
              globi_json_node_holds (message, G_TYPE_STRING) ? json_node_get_string (message)
                                                             : json_node_get_string (code));

          if (globi_json_node_holds (attempts, G_TYPE_INT64))
            globi_error_set_details (error, -1,
                                     (int) CLAMP (json_node_get_int (attempts), 0, G_MAXINT));
          return error;
        }
    }

  return g_error_new (GLOBI_ERROR, globi_error_code_from_status (status),
                      _ ("The server answered %u %s"), status,
                      soup_status_get_phrase (status) ? soup_status_get_phrase (status) : "");
}

GError *
globi_client_error_from_reply (guint status, const char *body, gsize length, guint64 retry_after_s)
{
  GError *failure = error_from_reply (status, body, length);

  /* The wait the server asks for goes into the error's details and, for a rate limit,
   * into the message ("… in N s"), which the UI and the outbox show. */
  if (retry_after_s > 0 && retry_after_s <= G_MAXUINT32)
    {
      globi_error_set_details (failure, (gint64) retry_after_s,
                               globi_error_get_attempts_left (failure));
      if (g_error_matches (failure, GLOBI_ERROR, GLOBI_ERROR_RATE_LIMITED))
        {
          g_free (failure->message);
          failure->message =
              g_strdup_printf (_ ("Too many attempts, try again in %u s"), (guint) retry_after_s);
        }
    }
  return failure;
}

/* Requests */

static GTask *
request_new (GlobiClient *self,
             const char *method,
             const char *path,
             GBytes *body,
             const char *content_type,
             GlobiCallFlags flags,
             gboolean parse_json,
             GCancellable *cancellable,
             GAsyncReadyCallback callback,
             gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *req = g_new0 (Request, 1);

  req->method = g_strdup (method);
  req->path = g_strdup (path);
  req->body = body != NULL ? g_bytes_ref (body) : NULL;
  req->content_type = g_strdup (content_type);
  req->flags = flags;
  req->parse_json = parse_json;
  req->max_reply = parse_json ? MAX_JSON_REPLY_BYTES : MAX_BLOB_REPLY_BYTES;
  g_task_set_task_data (task, req, request_free);
  return task;
}

static void
request_complete (GTask *task)
{
  Request *req = g_task_get_task_data (task);
  guint status = soup_message_get_status (req->msg);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) error = NULL;

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *after = soup_message_headers_get_one (
          soup_message_get_response_headers (req->msg), "Retry-After");
      guint64 seconds = 0;

      if (after == NULL || !g_ascii_string_to_unsigned (after, 10, 1, G_MAXUINT32, &seconds, NULL))
        seconds = 0;
      g_task_return_error (task, globi_client_error_from_reply (
                                     status, req->reply ? (const char *) req->reply->data : NULL,
                                     req->reply ? req->reply->len : 0, seconds));
      return;
    }

  if (!req->parse_json)
    {
      g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&req->reply)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

  if (req->reply->len == 0)
    {
      g_task_return_pointer (task, json_node_init_object (json_node_alloc (), json_object_new ()),
                             (GDestroyNotify) json_node_unref);
      return;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) req->reply->data, req->reply->len,
                                   &error))
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                               _ ("The server sent malformed JSON: %s"), error->message);
      return;
    }
  g_task_return_pointer (task, json_node_ref (json_parser_get_root (parser)),
                         (GDestroyNotify) json_node_unref);
}

static void
on_request_refreshed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (JsonNode) tokens = NULL;
  g_autoptr (GError) error = NULL;

  tokens = globi_client_refresh_finish (GLOBI_CLIENT (object), result, &error);
  if (tokens == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  request_send (g_steal_pointer (&task));
}

/* A 401 on an authenticated call: the access token expired (or the device was revoked).
 * Refresh once, then send again. */
static gboolean
request_maybe_retry (GTask *task)
{
  GlobiClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!(req->flags & GLOBI_CALL_FLAGS_AUTH) || req->retried ||
      soup_message_get_status (req->msg) != SOUP_STATUS_UNAUTHORIZED)
    return FALSE;

  error = error_from_reply (SOUP_STATUS_UNAUTHORIZED,
                            req->reply ? (const char *) req->reply->data : NULL,
                            req->reply ? req->reply->len : 0);
  if (!g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED))
    return FALSE;

  req->retried = TRUE;
  g_clear_object (&req->msg);
  g_clear_object (&req->stream);
  g_clear_pointer (&req->reply, g_byte_array_unref);

  /* Another call may have rotated the tokens since this one was sent. */
  if (self->access_token != NULL && g_strcmp0 (self->access_token, req->sent_access_token) != 0)
    request_send (g_object_ref (task));
  else
    globi_client_refresh_async (self, g_task_get_cancellable (task), on_request_refreshed_cb,
                                g_object_ref (task));
  return TRUE;
}

static void
on_request_read_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autoptr (GBytes) chunk = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) net_error = NULL;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (chunk == NULL)
    {
      set_network_error (self, error, &net_error);
      g_task_return_error (task, g_steal_pointer (&net_error));
      return;
    }

  if (g_bytes_get_size (chunk) == 0)
    {
      g_input_stream_close_async (req->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      if (!request_maybe_retry (task))
        request_complete (task);
      return;
    }

  if (req->reply->len + g_bytes_get_size (chunk) > req->max_reply)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE,
                               _ ("The server's reply is too large"));
      return;
    }
  g_byte_array_append (req->reply, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));

  /* Arguments are evaluated in any order: no g_steal_pointer next to a use of task. */
  g_input_stream_read_bytes_async (req->stream, READ_CHUNK_BYTES, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_request_read_cb,
                                   g_object_ref (task));
}

static void
on_request_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) net_error = NULL;
  goffset length;

  req->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (req->stream == NULL)
    {
      set_network_error (self, error, &net_error);
      g_task_return_error (task, g_steal_pointer (&net_error));
      return;
    }

  length = soup_message_headers_get_content_length (soup_message_get_response_headers (req->msg));
  if (length > (goffset) req->max_reply)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE,
                               _ ("The server's reply is too large"));
      return;
    }

  req->reply = g_byte_array_new ();
  g_input_stream_read_bytes_async (req->stream, READ_CHUNK_BYTES, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_request_read_cb,
                                   g_object_ref (task));
}

/* Takes the reference on task. */
static void
request_send (GTask *task)
{
  GlobiClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;

  if (self->base_url == NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NETWORK, _ ("No server is set"));
      g_object_unref (task);
      return;
    }

  if (req->flags & GLOBI_CALL_FLAGS_AUTH)
    {
      if (self->access_token == NULL && self->refresh_token != NULL && !req->retried)
        {
          /* Restored from a stored refresh token: get an access token first. */
          req->retried = TRUE;
          globi_client_refresh_async (self, g_task_get_cancellable (task), on_request_refreshed_cb,
                                      task);
          return;
        }
      if (self->access_token == NULL)
        {
          g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED,
                                   _ ("Not signed in"));
          g_object_unref (task);
          return;
        }
    }

  url = g_strconcat (self->base_url, req->path, NULL);
  req->msg = soup_message_new (req->method, url);
  if (req->msg == NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NETWORK,
                               _ ("Not a valid server address: %s"), self->base_url);
      g_object_unref (task);
      return;
    }

  headers = soup_message_get_request_headers (req->msg);
  soup_message_headers_replace (headers, "Accept", req->parse_json ? "application/json" : "*/*");
  if (req->flags & GLOBI_CALL_FLAGS_AUTH)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", self->access_token, NULL);

      soup_message_headers_replace (headers, "Authorization", bearer);
      g_free (req->sent_access_token);
      req->sent_access_token = g_strdup (self->access_token);
    }
  if (req->body != NULL)
    soup_message_set_request_body_from_bytes (req->msg, req->content_type, req->body);

  soup_session_send_async (self->soup, req->msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                           on_request_sent_cb, task);
}

/* Refresh */

static gboolean
is_final_auth_error (const GError *error)
{
  return g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED) ||
         g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_TOKEN_REUSED) ||
         g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD) ||
         g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN);
}

static void
on_refresh_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GlobiClient *self = GLOBI_CLIENT (object);
  g_autoptr (GPtrArray) waiters = g_steal_pointer (&self->refresh_waiters);
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *tokens = NULL;
  JsonNode *access;
  JsonNode *refresh;

  reply = g_task_propagate_pointer (G_TASK (result), &error);
  if (reply != NULL && !JSON_NODE_HOLDS_OBJECT (reply))
    g_set_error (&error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                 _ ("The server's token reply is incomplete"));
  else if (reply != NULL)
    {
      tokens = json_node_get_object (reply);
      access = json_object_get_member (tokens, "access_token");
      refresh = json_object_get_member (tokens, "refresh_token");
      if (!globi_json_node_holds (access, G_TYPE_STRING) ||
          !globi_json_node_holds (refresh, G_TYPE_STRING))
        g_set_error (&error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                     _ ("The server's token reply is incomplete"));
      else
        globi_client_set_tokens (self, json_node_get_string (access),
                                 json_node_get_string (refresh));
    }

  if (error == NULL)
    g_signal_emit (self, signals[TOKENS_CHANGED], 0);
  else if (is_final_auth_error (error))
    {
      g_debug ("Refresh refused (%s): the session has ended", error->message);
      globi_client_clear_tokens (self);
      g_signal_emit (self, signals[SESSION_ENDED], 0, (guint) error->code);
    }

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *waiter = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (waiter, g_error_copy (error));
      else
        g_task_return_pointer (waiter, json_node_ref (reply), (GDestroyNotify) json_node_unref);
    }
}

/* Public API */

GlobiClient *
globi_client_new (const char *base_url, const char *cache_dir)
{
  return g_object_new (GLOBI_TYPE_CLIENT, "base-url", base_url, "cache-dir", cache_dir, NULL);
}

const char *
globi_client_get_base_url (GlobiClient *self)
{
  g_return_val_if_fail (GLOBI_IS_CLIENT (self), NULL);
  return self->base_url;
}

void
globi_client_set_base_url (GlobiClient *self, const char *base_url)
{
  g_autofree char *normalized = NULL;

  g_return_if_fail (GLOBI_IS_CLIENT (self));

  if (base_url != NULL)
    {
      normalized = g_strstrip (g_strdup (base_url));
      while (g_str_has_suffix (normalized, "/"))
        normalized[strlen (normalized) - 1] = '\0';
    }
  if (globi_set_str (&self->base_url, normalized))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
}

const char *
globi_client_get_cache_dir (GlobiClient *self)
{
  g_return_val_if_fail (GLOBI_IS_CLIENT (self), NULL);
  return self->cache_dir;
}

void
globi_client_set_tokens (GlobiClient *self, const char *access_token, const char *refresh_token)
{
  g_return_if_fail (GLOBI_IS_CLIENT (self));

  globi_set_str (&self->access_token, access_token);
  globi_set_str (&self->refresh_token, refresh_token);
}

void
globi_client_clear_tokens (GlobiClient *self)
{
  g_return_if_fail (GLOBI_IS_CLIENT (self));

  g_clear_pointer (&self->access_token, g_free);
  g_clear_pointer (&self->refresh_token, g_free);
}

char *
globi_client_dup_refresh_token (GlobiClient *self)
{
  g_return_val_if_fail (GLOBI_IS_CLIENT (self), NULL);
  return g_strdup (self->refresh_token);
}

char *
globi_client_dup_access_token (GlobiClient *self)
{
  g_return_val_if_fail (GLOBI_IS_CLIENT (self), NULL);
  return g_strdup (self->access_token);
}

gboolean
globi_client_has_tokens (GlobiClient *self)
{
  g_return_val_if_fail (GLOBI_IS_CLIENT (self), FALSE);
  return self->access_token != NULL || self->refresh_token != NULL;
}

void
globi_client_call_async (GlobiClient *self,
                         const char *method,
                         const char *path,
                         JsonNode *body,
                         GlobiCallFlags flags,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_autoptr (GBytes) bytes = NULL;
  GTask *task;

  g_return_if_fail (GLOBI_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');

  if (body != NULL)
    {
      char *text = json_to_string (body, FALSE);

      bytes = g_bytes_new_take (text, strlen (text));
    }

  task = request_new (self, method, path, bytes, body != NULL ? "application/json" : NULL, flags,
                      TRUE, cancellable, callback, user_data);
  g_task_set_source_tag (task, globi_client_call_async);
  request_send (task);
}

JsonNode *
globi_client_call_finish (GlobiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
globi_client_upload_async (GlobiClient *self,
                           const char *path,
                           GBytes *bytes,
                           const char *content_type,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_CLIENT (self));
  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (bytes != NULL);
  g_return_if_fail (content_type != NULL);

  task = request_new (self, "PUT", path, bytes, content_type, GLOBI_CALL_FLAGS_AUTH, TRUE,
                      cancellable, callback, user_data);
  g_task_set_source_tag (task, globi_client_upload_async);
  request_send (task);
}

JsonNode *
globi_client_upload_finish (GlobiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
globi_client_refresh_async (GlobiClient *self,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GTask *request;

  g_return_if_fail (GLOBI_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, globi_client_refresh_async);

  if (self->refresh_waiters != NULL)
    {
      g_ptr_array_add (self->refresh_waiters, g_steal_pointer (&task));
      return;
    }
  if (self->refresh_token == NULL)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, _ ("Not signed in"));
      return;
    }

  self->refresh_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->refresh_waiters, g_steal_pointer (&task));

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "refresh_token");
  json_builder_add_string_value (builder, self->refresh_token);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  text = json_to_string (body, FALSE);
  bytes = g_bytes_new (text, strlen (text));

  /* Not cancellable: one waiter giving up must not fail the others. */
  request = request_new (self, "POST", "/v1/sessions/refresh", bytes, "application/json",
                         GLOBI_CALL_FLAGS_NONE, TRUE, NULL, on_refresh_done_cb, NULL);
  request_send (request);
}

JsonNode *
globi_client_refresh_finish (GlobiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Blobs */

typedef struct
{
  char *hash;
  char *cache_path;
  GBytes *bytes;
} BlobFetch;

static void
blob_fetch_free (gpointer data)
{
  BlobFetch *fetch = data;

  g_free (fetch->hash);
  g_free (fetch->cache_path);
  g_clear_pointer (&fetch->bytes, g_bytes_unref);
  g_free (fetch);
}

static gboolean
hash_is_valid (const char *hash)
{
  if (strlen (hash) != crypto_hash_sha256_BYTES * 2)
    return FALSE;
  for (const char *p = hash; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static gboolean
bytes_match_hash (GBytes *bytes, const char *hash)
{
  guint8 digest[crypto_hash_sha256_BYTES];
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  crypto_hash_sha256 (digest, data, len);
  sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
  return g_str_equal (hex, hash);
}

/* Worker thread: a cached copy that still matches its hash, or nothing. */
static void
blob_cache_lookup_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancel)
{
  BlobFetch *fetch = task_data;
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GBytes) bytes = NULL;

  if (fetch->cache_path != NULL && g_file_get_contents (fetch->cache_path, &data, &len, NULL))
    {
      bytes = g_bytes_new_take (g_steal_pointer (&data), len);
      if (!bytes_match_hash (bytes, fetch->hash))
        {
          g_warning ("Dropping corrupt cached blob %s", fetch->hash);
          g_unlink (fetch->cache_path);
          g_clear_pointer (&bytes, g_bytes_unref);
        }
    }
  g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
}

/* Worker thread: verify what the server sent, then keep it. */
static void
blob_cache_store_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancel)
{
  BlobFetch *fetch = task_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (fetch->bytes, &len);

  if (!bytes_match_hash (fetch->bytes, fetch->hash))
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                               _ ("The server sent a blob that does not match its hash"));
      return;
    }

  if (fetch->cache_path != NULL)
    {
      dir = g_path_get_dirname (fetch->cache_path);
      if (g_mkdir_with_parents (dir, 0700) != 0 ||
          !g_file_set_contents_full (fetch->cache_path, data, len, G_FILE_SET_CONTENTS_CONSISTENT,
                                     0600, &error))
        /* The cache is an optimisation: the blob is still good. */
        g_warning ("Could not cache blob %s: %s", fetch->hash,
                   error != NULL ? error->message : g_strerror (errno));
    }
  g_task_return_pointer (task, g_bytes_ref (fetch->bytes), (GDestroyNotify) g_bytes_unref);
}

static void
on_blob_stored_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  GBytes *bytes = g_task_propagate_pointer (G_TASK (result), &error);

  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
on_blob_downloaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  BlobFetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;
  GTask *store;

  fetch->bytes = g_task_propagate_pointer (G_TASK (result), &error);
  if (fetch->bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* The sub-task shares the fetch data; the outer task outlives it. */
  store =
      g_task_new (object, g_task_get_cancellable (task), on_blob_stored_cb, g_object_ref (task));
  g_task_set_task_data (store, fetch, NULL);
  g_task_run_in_thread (store, blob_cache_store_thread);
  g_object_unref (store);
}

static void
on_blob_cache_looked_up_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiClient *self = GLOBI_CLIENT (object);
  BlobFetch *fetch = g_task_get_task_data (task);
  g_autoptr (GBytes) bytes = g_task_propagate_pointer (G_TASK (result), NULL);
  g_autofree char *path = NULL;
  GTask *request;

  if (bytes != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
      return;
    }

  path = g_strconcat ("/v1/blobs/", fetch->hash, NULL);
  request = request_new (self, "GET", path, NULL, NULL, GLOBI_CALL_FLAGS_AUTH, FALSE,
                         g_task_get_cancellable (task), on_blob_downloaded_cb, g_object_ref (task));
  request_send (request);
}

void
globi_client_fetch_blob_async (GlobiClient *self,
                               const char *hash,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  BlobFetch *fetch;
  GTask *lookup;

  g_return_if_fail (GLOBI_IS_CLIENT (self));
  g_return_if_fail (hash != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, globi_client_fetch_blob_async);

  if (!hash_is_valid (hash))
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD,
                               "hash: expected 64 lowercase hex digits");
      return;
    }

  fetch = g_new0 (BlobFetch, 1);
  fetch->hash = g_strdup (hash);
  if (self->cache_dir != NULL)
    fetch->cache_path = g_build_filename (self->cache_dir, hash, NULL);
  g_task_set_task_data (task, fetch, blob_fetch_free);

  lookup = g_task_new (self, cancellable, on_blob_cache_looked_up_cb, g_steal_pointer (&task));
  g_task_set_task_data (lookup, fetch, NULL);
  g_task_run_in_thread (lookup, blob_cache_lookup_thread);
  g_object_unref (lookup);
}

GBytes *
globi_client_fetch_blob_finish (GlobiClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
