/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-hub"

#include "config.h"

#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "globi-hub.h"
#include "globi-routes.h"
#include "globi-server-private.h"
#include "globi-store-messaging.h"

#define READ_BATCH        500 /* events per device per read */
#define PING_INTERVAL_S   30
#define PING_MISSES       2
#define EXPIRE_INTERVAL_S 600
#define CLOSE_REVOKED     4001 /* private-use close codes (RFC 6455 §7.4.2) */
#define CLOSE_REPLACED    4002
#define CLOSE_TIMEOUT     4003
#define MAX_SENDS         64 /* sends in flight per stream */
#define MAX_REQ_CHARS     64
#define SEND_ROUTE        "/v1/stream send" /* in logs and metrics */

/* One connected device. Kept small: there may be tens of thousands of idle ones. */
typedef struct
{
  gint ref_count;
  GlobiHub *hub; /* unowned; NULL once the stream is closed */
  SoupWebsocketConnection *conn;
  char *device_id;
  char *user_id;
  gint64 sent;        /* highest seq sent */
  gint64 last_seen_s; /* monotonic seconds of the last frame or pong from the client */
  guint64 round;      /* the hub's round of its last frame */
  guint sends;        /* send frames without a result yet */
  guint reading : 1;  /* a read job is in flight */
  guint queued : 1;   /* in the hub's wake list */
  guint caught_up : 1;
  guint corked : 1; /* in the hub's corked list */
} Stream;

struct _GlobiHub
{
  GObject parent_instance;

  GlobiServer *server;   /* unowned: the server owns the hub */
  GMainContext *context; /* the server's: its timers and wake-ups run there */
  gsize max_frame;       /* bytes of an incoming frame: the messages route's body limit */
  GHashTable *by_device; /* device id → Stream */
  GHashTable *by_user;   /* user id → GPtrArray of Stream (unowned) */
  GPtrArray *wake;       /* Stream refs waiting for a read */
  guint wake_id;
  /* Frames sent in one main-loop iteration form a round; a stream given a second frame
   * in a round is corked until the next, so its frames leave in full segments. */
  guint64 round;
  GPtrArray *corked; /* Stream refs */
  guint round_id;
  guint timer_id;
  guint expire_id;
};

G_DEFINE_FINAL_TYPE (GlobiHub, globi_hub, G_TYPE_OBJECT)

static Stream *
stream_ref (Stream *stream)
{
  g_atomic_int_inc (&stream->ref_count);
  return stream;
}

static void
stream_unref (gpointer data)
{
  Stream *stream = data;

  if (!g_atomic_int_dec_and_test (&stream->ref_count))
    return;
  g_clear_object (&stream->conn);
  g_free (stream->device_id);
  g_free (stream->user_id);
  g_free (stream);
}

static void schedule_wake (GlobiHub *self, Stream *stream);

static guint
attach_source (GlobiHub *self, GSource *source, GSourceFunc func)
{
  guint id;

  g_source_set_callback (source, func, self, NULL);
  id = g_source_attach (source, self->context);
  g_source_unref (source);
  return id;
}

static void
clear_source (GlobiHub *self, guint *id)
{
  GSource *source = *id ? g_main_context_find_source_by_id (self->context, *id) : NULL;

  if (source)
    g_source_destroy (source);
  *id = 0;
}

/* Forgets the stream (it stays alive while jobs hold it, and sends nothing more). */
static void
detach_stream (GlobiHub *self, Stream *stream)
{
  GPtrArray *streams;

  if (!stream->hub)
    return;
  stream->hub = NULL;
  g_signal_handlers_disconnect_by_data (stream->conn, stream);
  streams = g_hash_table_lookup (self->by_user, stream->user_id);
  if (streams)
    {
      g_ptr_array_remove_fast (streams, stream);
      if (streams->len == 0)
        g_hash_table_remove (self->by_user, stream->user_id);
    }
  if (g_hash_table_lookup (self->by_device, stream->device_id) == stream)
    g_hash_table_remove (self->by_device, stream->device_id);
}

static void
close_stream (GlobiHub *self, Stream *stream, gushort code, const char *reason)
{
  g_autoptr (SoupWebsocketConnection) conn = g_object_ref (stream->conn);

  stream_ref (stream);
  detach_stream (self, stream);
  if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn, code, reason);
  stream_unref (stream);
}

/* The stream's socket: libsoup's server hands the WebSocket its own GIOStream wrapper,
 * whose "base-iostream" is the socket connection. */
static GSocket *
stream_socket (Stream *stream)
{
  GIOStream *io = soup_websocket_connection_get_io_stream (stream->conn);
  g_autoptr (GIOStream) base = NULL;

  if (io && !G_IS_SOCKET_CONNECTION (io) &&
      g_object_class_find_property (G_OBJECT_GET_CLASS (io), "base-iostream"))
    {
      g_object_get (io, "base-iostream", &base, NULL);
      io = base;
    }
  if (!G_IS_SOCKET_CONNECTION (io))
    return NULL;
  return g_socket_connection_get_socket (G_SOCKET_CONNECTION (io));
}

static void
set_cork (Stream *stream, gboolean cork)
{
  GSocket *socket = stream_socket (stream);

  if (socket && !g_socket_is_closed (socket))
    g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, cork, NULL);
}

/* Next iteration: uncorks what the last round corked (TCP sends the data at once). */
static gboolean
on_round_cb (gpointer user_data)
{
  GlobiHub *self = user_data;
  g_autoptr (GPtrArray) corked = g_steal_pointer (&self->corked);

  self->round_id = 0;
  self->round++;
  self->corked = g_ptr_array_new_with_free_func (stream_unref);
  for (guint i = 0; i < corked->len; i++)
    {
      Stream *stream = g_ptr_array_index (corked, i);

      stream->corked = FALSE;
      set_cork (stream, FALSE);
    }
  return G_SOURCE_REMOVE;
}

/* Every frame to a client goes through here. libsoup writes each frame at once, one
 * send() and, without the cork, one TCP segment through the stack per frame: for a
 * stream given many frames at once (a backlog, a burst of group messages) that was most
 * of the server's time. The first frame of a round goes out uncorked, so a lone frame
 * waits for nothing. */
static void
send_frame (GlobiHub *self, Stream *stream, const char *text)
{
  /* A client may close while its events are still being pushed; libsoup refuses (with a
   * critical) to send on a connection that is closing. */
  if (soup_websocket_connection_get_state (stream->conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  if (stream->round == self->round && !stream->corked)
    {
      stream->corked = TRUE;
      set_cork (stream, TRUE);
      g_ptr_array_add (self->corked, stream_ref (stream));
    }
  stream->round = self->round;
  if (!self->round_id)
    self->round_id = attach_source (self, g_idle_source_new (), on_round_cb);
  soup_websocket_connection_send_text (stream->conn, text);
}

static void
send_event (Stream *stream, const GlobiEventRow *row)
{
#define EVENT_FRAME "{\"type\":\"event\",\"seq\":%" G_GINT64_FORMAT ",\"event\":%s}"
  char buf[2048];
  g_autofree char *big = NULL;
  const char *frame = buf;
  int len = g_snprintf (buf, sizeof buf, EVENT_FRAME, row->seq, row->json);

  /* Most events fit the stack buffer: no allocation per delivery. */
  if (len >= (int) sizeof buf)
    frame = big = g_strdup_printf (EVENT_FRAME, row->seq, row->json);
#undef EVENT_FRAME
  send_frame (stream->hub, stream, frame);
  stream->sent = row->seq;
}

typedef struct
{
  GPtrArray *streams; /* Stream refs */
  gint64 *after;
  gint64 cutoff_ms;
} BatchRead;

static void
batch_read_free (gpointer data)
{
  BatchRead *batch = data;

  g_ptr_array_unref (batch->streams);
  g_free (batch->after);
  g_free (batch);
}

/* On a reader thread: the pending events of every woken device, in one job. */
static gpointer
read_batch_func (sqlite3 *db, gpointer data, GError **error)
{
  BatchRead *batch = data;
  g_autoptr (GPtrArray) results =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  for (guint i = 0; i < batch->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (batch->streams, i);
      g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (globi_event_row_free);

      if (!globi_store_events_read (db, stream->device_id, batch->after[i], READ_BATCH,
                                    batch->cutoff_ms, rows, error))
        return NULL;
      g_ptr_array_add (results, g_steal_pointer (&rows));
    }
  return g_steal_pointer (&results);
}

static gint64
retention_cutoff_ms (GlobiHub *self)
{
  const GlobiServerConfig *config = globi_server_get_config (self->server);

  return globi_server_now_ms (self->server) -
         (gint64) config->envelope_retention_days * 24 * 3600 * 1000;
}

static void
on_batch_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BatchRead *batch = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) results = globi_store_finish (GLOBI_STORE (source), result, &error);

  for (guint i = 0; i < batch->streams->len; i++)
    {
      Stream *stream = g_ptr_array_index (batch->streams, i);
      GPtrArray *rows = results ? g_ptr_array_index (results, i) : NULL;

      stream->reading = FALSE;
      if (!stream->hub)
        continue;
      if (!rows)
        {
          g_warning ("reading events for a stream: %s", error->message);
          close_stream (stream->hub, stream, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "internal error");
          continue;
        }
      for (guint j = 0; j < rows->len; j++)
        {
          GlobiEventRow *row = g_ptr_array_index (rows, j);

          /* A wake-up that raced a read may bring back what was just sent. */
          if (row->seq > stream->sent)
            send_event (stream, row);
        }
      if (rows->len == READ_BATCH || stream->queued)
        {
          stream->queued = FALSE;
          schedule_wake (stream->hub, stream);
        }
      else if (!stream->caught_up)
        {
          g_autofree char *frame = g_strdup_printf (
              "{\"type\":\"caught_up\",\"seq\":%" G_GINT64_FORMAT "}", stream->sent);

          stream->caught_up = TRUE;
          send_frame (stream->hub, stream, frame);
        }
    }
  batch_read_free (batch);
}

/* Once per main-loop iteration: one read job for every device woken since the last. */
static gboolean
on_wake_cb (gpointer user_data)
{
  GlobiHub *self = user_data;
  g_autoptr (GPtrArray) woken = g_steal_pointer (&self->wake);
  BatchRead *batch;

  self->wake_id = 0;
  self->wake = g_ptr_array_new_with_free_func (stream_unref);
  batch = g_new0 (BatchRead, 1);
  batch->streams = g_ptr_array_new_with_free_func (stream_unref);
  batch->after = g_new (gint64, woken->len);
  batch->cutoff_ms = retention_cutoff_ms (self);
  for (guint i = 0; i < woken->len; i++)
    {
      Stream *stream = g_ptr_array_index (woken, i);

      if (!stream->hub)
        continue;
      stream->queued = FALSE;
      stream->reading = TRUE;
      batch->after[batch->streams->len] = stream->sent;
      g_ptr_array_add (batch->streams, stream_ref (stream));
    }
  if (batch->streams->len == 0)
    {
      batch_read_free (batch);
      return G_SOURCE_REMOVE;
    }
  globi_store_read_async (globi_server_get_store (self->server), read_batch_func, batch, NULL, NULL,
                          on_batch_read_cb, batch);
  return G_SOURCE_REMOVE;
}

static void
schedule_wake (GlobiHub *self, Stream *stream)
{
  if (stream->queued)
    return;
  stream->queued = TRUE;
  /* A stream being read is queued again when its read completes. */
  if (stream->reading)
    return;
  g_ptr_array_add (self->wake, stream_ref (stream));
  if (!self->wake_id)
    self->wake_id = attach_source (self, g_idle_source_new (), on_wake_cb);
}

static void
on_ack_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  globi_store_finish (GLOBI_STORE (source), result, &error);
  if (error)
    g_warning ("ack: %s", error->message);
}

typedef struct
{
  GlobiHub *hub;
  char *device_id;
  char *frame;
} TypingData;

static void
typing_data_free (TypingData *data)
{
  g_object_unref (data->hub);
  g_free (data->device_id);
  g_free (data->frame);
  g_free (data);
}

static void
on_typing_targets_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TypingData *data = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) targets = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (targets)
    {
      g_ptr_array_add (targets, NULL);
      globi_hub_relay_ephemeral (data->hub, (const char *const *) targets->pdata, data->device_id,
                                 data->frame);
    }
  typing_data_free (data);
}

/* {"type": "typing", "chat": {"user_id"|"group_id": ID}, "typing": bool} */
static void
handle_typing (GlobiHub *self, Stream *stream, JsonObject *obj)
{
  g_autoptr (GlobiMessagingArgs) args = globi_messaging_args_new ();
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  JsonNode *chat_node, *typing_node;
  JsonObject *chat;
  const char *user_id, *group_id;
  TypingData *data;

  /* Client frames are untrusted: check each member's type before reading it. */
  chat_node = json_object_get_member (obj, "chat");
  typing_node = json_object_get_member (obj, "typing");
  if (!chat_node || !JSON_NODE_HOLDS_OBJECT (chat_node) || !typing_node ||
      json_node_get_value_type (typing_node) != G_TYPE_BOOLEAN)
    return;
  chat = json_node_get_object (chat_node);
  user_id = json_object_get_string_member_with_default (chat, "user_id", NULL);
  group_id = json_object_get_string_member_with_default (chat, "group_id", NULL);
  if ((user_id == NULL) == (group_id == NULL))
    return;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "typing");
  json_builder_set_member_name (builder, "chat");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, user_id ? "user_id" : "group_id");
  json_builder_add_string_value (builder, user_id ? user_id : group_id);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, stream->user_id);
  json_builder_set_member_name (builder, "typing");
  json_builder_add_boolean_value (builder, json_node_get_boolean (typing_node));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  args->user_id = g_strdup (stream->user_id);
  args->to_user_id = g_strdup (user_id);
  args->to_group_id = g_strdup (group_id);
  data = g_new0 (TypingData, 1);
  data->hub = g_object_ref (self);
  data->device_id = g_strdup (stream->device_id);
  data->frame = json_to_string (root, FALSE);
  globi_store_read_async (globi_server_get_store (self->server),
                          globi_store_messaging_typing_targets, g_steal_pointer (&args),
                          globi_messaging_args_free, (GDestroyNotify) g_ptr_array_unref,
                          on_typing_targets_cb, data);
}

/* A send frame between its arrival and its result. */
typedef struct
{
  GlobiHub *hub;
  Stream *stream;
  gint64 started_us;
  char req[]; /* the req member as a JSON string, quoted */
} PendingSend;

/* text as a JSON string (quoted, escaped). */
static void
append_json_string (GString *out, const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, *p);
        }
      else if ((guchar) *p < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* {"type": "send_result", "req", "status", "body"[, "retry_after"]}: the body is the
 * route's reply, spliced in as it is. */
static void
send_result (Stream *stream, const char *req, guint status, GBytes *body)
{
#define RESULT_FRAME "{\"type\":\"send_result\",\"req\":%s,\"status\":%u,\"body\":%.*s%s}"
  char buf[1024];
  g_autofree char *big = NULL;
  const char *frame = buf;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  /* Only the stream's own cap answers 429 here; a second is when a send is worth trying. */
  const char *tail = status == 429 ? ",\"retry_after\":1" : "";
  int n = g_snprintf (buf, sizeof buf, RESULT_FRAME, req, status, (int) len, data, tail);

  if (n >= (int) sizeof buf)
    frame = big = g_strdup_printf (RESULT_FRAME, req, status, (int) len, data, tail);
#undef RESULT_FRAME
  send_frame (stream->hub, stream, frame);
}

static void
pending_send_free (PendingSend *pending)
{
  stream_unref (pending->stream);
  g_object_unref (pending->hub);
  g_free (pending);
}

static void
on_stream_sent_cb (guint status, GBytes *body, gpointer user_data)
{
  PendingSend *pending = user_data;
  Stream *stream = pending->stream;
  double seconds = (g_get_monotonic_time () - pending->started_us) / (double) G_USEC_PER_SEC;

  stream->sends--;
  globi_metrics_observe_request (globi_server_get_metrics (pending->hub->server), "WS", SEND_ROUTE,
                                 status, seconds);
  /* A closed stream drops the result: the message is stored (or not) all the same, and
   * the client's retry with the same id over REST or the next stream answers it. */
  if (stream->hub)
    send_result (stream, pending->req, status, body);
  pending_send_free (pending);
}

/* An answer that needs no store: malformed or over the in-flight cap. */
static void
refuse_send (GlobiHub *self, Stream *stream, const char *req, GlobiErrorCode code, const char *why)
{
  g_autoptr (GError) error = g_error_new_literal (GLOBI_ERROR, code, why);
  guint status = 0;
  g_autoptr (GBytes) body = globi_error_reply_body (self->server, SEND_ROUTE, error, &status);

  globi_metrics_observe_request (globi_server_get_metrics (self->server), "WS", SEND_ROUTE, status,
                                 0.0);
  send_result (stream, req, status, body);
}

/* {"type": "send", "req": R, "message": M}: M goes the way of POST /v1/messages. */
static void
handle_send (GlobiHub *self, Stream *stream, JsonObject *obj)
{
  JsonNode *req_node = json_object_get_member (obj, "req");
  JsonNode *message_node = json_object_get_member (obj, "message");
  g_autoptr (GString) req = NULL;
  const char *req_text;
  glong chars;
  PendingSend *pending;

  /* Without a usable req no answer could be matched to the frame: ignore it. */
  if (!req_node || json_node_get_value_type (req_node) != G_TYPE_STRING)
    return;
  req_text = json_node_get_string (req_node);
  if (!g_utf8_validate (req_text, -1, NULL) || (chars = g_utf8_strlen (req_text, -1)) < 1 ||
      chars > MAX_REQ_CHARS)
    return;
  req = g_string_sized_new (strlen (req_text) + 2);
  append_json_string (req, req_text);
  if (!message_node || !JSON_NODE_HOLDS_OBJECT (message_node))
    {
      refuse_send (self, stream, req->str, GLOBI_ERROR_INVALID_FIELD, "message: must be an object");
      return;
    }
  if (stream->sends >= MAX_SENDS)
    {
      refuse_send (self, stream, req->str, GLOBI_ERROR_RATE_LIMITED,
                   "too many sends in flight on this stream");
      return;
    }
  stream->sends++;
  pending = g_malloc (sizeof (PendingSend) + req->len + 1);
  pending->hub = g_object_ref (self);
  pending->stream = stream_ref (stream);
  pending->started_us = g_get_monotonic_time ();
  memcpy (pending->req, req->str, req->len + 1);
  globi_routes_send_message_object (self->server, SEND_ROUTE, stream->user_id, stream->device_id,
                                    json_node_get_object (message_node), on_stream_sent_cb,
                                    pending);
}

static void
on_message_cb (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
  Stream *stream = user_data;
  GlobiHub *self = stream->hub;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize len;
  const char *text = g_bytes_get_data (message, &len);
  JsonObject *obj;
  const char *kind;

  if (!self)
    return;
  stream->last_seen_s = g_get_monotonic_time () / G_USEC_PER_SEC;
  if (len > self->max_frame)
    {
      close_stream (self, stream, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "frame over the body limit");
      return;
    }
  if (type != SOUP_WEBSOCKET_DATA_TEXT || !json_parser_load_from_data (parser, text, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      close_stream (self, stream, SOUP_WEBSOCKET_CLOSE_BAD_DATA, "frames are JSON objects");
      return;
    }
  obj = json_node_get_object (json_parser_get_root (parser));
  /* NULL when "type" is a number or boolean. */
  kind = json_object_get_string_member_with_default (obj, "type", "");
  if (g_strcmp0 (kind, "ack") == 0)
    {
      g_autoptr (GlobiMessagingArgs) args = globi_messaging_args_new ();
      gint64 seq = json_object_get_int_member_with_default (obj, "seq", 0);

      /* Never past what this stream has sent: that would drop unseen events. */
      seq = MIN (seq, stream->sent);
      if (seq <= 0)
        return;
      args->device_id = g_strdup (stream->device_id);
      args->after = seq;
      globi_store_write_async (globi_server_get_store (self->server), globi_store_messaging_ack,
                               g_steal_pointer (&args), globi_messaging_args_free, NULL,
                               on_ack_done_cb, NULL);
    }
  else if (g_strcmp0 (kind, "send") == 0)
    handle_send (self, stream, obj);
  else if (g_strcmp0 (kind, "typing") == 0)
    handle_typing (self, stream, obj);
}

static void
on_pong_cb (SoupWebsocketConnection *conn, GBytes *message, gpointer user_data)
{
  Stream *stream = user_data;

  stream->last_seen_s = g_get_monotonic_time () / G_USEC_PER_SEC;
}

static void
on_closed_cb (SoupWebsocketConnection *conn, gpointer user_data)
{
  Stream *stream = user_data;

  stream_ref (stream);
  if (stream->hub)
    detach_stream (stream->hub, stream);
  stream_unref (stream);
}

/* Closes streams whose client answered none of the last PING_MISSES pings. */
static gboolean
on_timer_cb (gpointer user_data)
{
  GlobiHub *self = user_data;
  gint64 now_s = g_get_monotonic_time () / G_USEC_PER_SEC;
  g_autoptr (GPtrArray) stale = g_ptr_array_new_with_free_func (stream_unref);
  GHashTableIter iter;
  Stream *stream;

  g_hash_table_iter_init (&iter, self->by_device);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &stream))
    if (now_s - stream->last_seen_s > PING_INTERVAL_S * (PING_MISSES + 1))
      g_ptr_array_add (stale, stream_ref (stream));
  for (guint i = 0; i < stale->len; i++)
    close_stream (self, g_ptr_array_index (stale, i), CLOSE_TIMEOUT, "no pong");
  return G_SOURCE_CONTINUE;
}

static void
on_expired_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  globi_store_finish (GLOBI_STORE (source), result, &error);
  if (error)
    g_warning ("expiring events: %s", error->message);
}

static gboolean
on_expire_cb (gpointer user_data)
{
  GlobiHub *self = user_data;
  GlobiMessagingArgs *args = globi_messaging_args_new ();

  args->cutoff_ms = retention_cutoff_ms (self);
  globi_store_write_async (globi_server_get_store (self->server), globi_store_messaging_expire,
                           args, globi_messaging_args_free, NULL, on_expired_cb, NULL);
  return G_SOURCE_CONTINUE;
}

static void
globi_hub_dispose (GObject *object)
{
  GlobiHub *self = GLOBI_HUB (object);

  clear_source (self, &self->wake_id);
  clear_source (self, &self->round_id);
  clear_source (self, &self->timer_id);
  clear_source (self, &self->expire_id);
  if (self->by_device)
    globi_hub_close_all (self);

  G_OBJECT_CLASS (globi_hub_parent_class)->dispose (object);
}

static void
globi_hub_finalize (GObject *object)
{
  GlobiHub *self = GLOBI_HUB (object);

  g_clear_pointer (&self->wake, g_ptr_array_unref);
  g_clear_pointer (&self->corked, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->by_device, g_hash_table_unref);
  g_clear_pointer (&self->by_user, g_hash_table_unref);

  G_OBJECT_CLASS (globi_hub_parent_class)->finalize (object);
}

static void
globi_hub_class_init (GlobiHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_hub_dispose;
  object_class->finalize = globi_hub_finalize;
}

static void
globi_hub_init (GlobiHub *self)
{
  self->by_device = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, stream_unref);
  self->by_user =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->wake = g_ptr_array_new_with_free_func (stream_unref);
  self->corked = g_ptr_array_new_with_free_func (stream_unref);
}

GlobiHub *
globi_hub_new (GlobiServer *server)
{
  GlobiHub *self = g_object_new (GLOBI_TYPE_HUB, NULL);

  self->server = server;
  self->context = g_main_context_ref_thread_default ();
  self->max_frame = globi_routes_message_body_limit (globi_server_get_config (server));
  self->timer_id =
      attach_source (self, g_timeout_source_new_seconds (PING_INTERVAL_S), on_timer_cb);
  self->expire_id =
      attach_source (self, g_timeout_source_new_seconds (EXPIRE_INTERVAL_S), on_expire_cb);
  return self;
}

void
globi_hub_add_stream (GlobiHub *self,
                      SoupWebsocketConnection *conn,
                      const char *user_id,
                      const char *device_id,
                      gint64 after)
{
  Stream *stream = g_new0 (Stream, 1);
  Stream *old = g_hash_table_lookup (self->by_device, device_id);
  GPtrArray *streams;

  g_return_if_fail (GLOBI_IS_HUB (self));

  /* One stream per device: a reconnect replaces the stream it left behind. */
  if (old)
    close_stream (self, old, CLOSE_REPLACED, "replaced by a newer stream");

  stream->ref_count = 1;
  stream->hub = self;
  stream->conn = g_object_ref (conn);
  stream->device_id = g_strdup (device_id);
  stream->user_id = g_strdup (user_id);
  stream->sent = MAX (after, 0);
  stream->last_seen_s = g_get_monotonic_time () / G_USEC_PER_SEC;
  g_hash_table_insert (self->by_device, stream->device_id, stream);
  streams = g_hash_table_lookup (self->by_user, stream->user_id);
  if (!streams)
    {
      streams = g_ptr_array_new ();
      g_hash_table_insert (self->by_user, g_strdup (stream->user_id), streams);
    }
  g_ptr_array_add (streams, stream);

  /* Sends carry message bodies: frames up to the route's body limit, not libsoup's 128
   * KiB. libsoup drops the connection without a close frame at its own limit, so it
   * gets twice ours, and on_message_cb closes with 1009 between the two. */
  soup_websocket_connection_set_max_incoming_payload_size (conn, 2 * self->max_frame);
  soup_websocket_connection_set_keepalive_interval (conn, PING_INTERVAL_S);
  g_signal_connect (conn, "message", G_CALLBACK (on_message_cb), stream);
  g_signal_connect (conn, "pong", G_CALLBACK (on_pong_cb), stream);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed_cb), stream);
  schedule_wake (self, stream);
}

void
globi_hub_notify_devices (GlobiHub *self, GPtrArray *device_ids)
{
  g_return_if_fail (GLOBI_IS_HUB (self));

  for (guint i = 0; device_ids && i < device_ids->len; i++)
    {
      Stream *stream = g_hash_table_lookup (self->by_device, g_ptr_array_index (device_ids, i));

      if (stream)
        schedule_wake (self, stream);
    }
}

void
globi_hub_deliver (GlobiHub *self, GPtrArray *deliveries)
{
  g_return_if_fail (GLOBI_IS_HUB (self));

  for (guint i = 0; deliveries && i < deliveries->len; i++)
    {
      GlobiDelivery *delivery = g_ptr_array_index (deliveries, i);
      Stream *stream = g_hash_table_lookup (self->by_device, delivery->device_id);
      GlobiEventRow row;

      if (!stream)
        continue;
      /* In order and nothing outstanding: push it now; otherwise the stream catches up
       * from the store. */
      if (stream->caught_up && !stream->reading && !stream->queued &&
          delivery->seq == stream->sent + 1)
        {
          row.seq = delivery->seq;
          row.json = delivery->json;
          send_event (stream, &row);
        }
      else
        schedule_wake (self, stream);
    }
}

void
globi_hub_relay_ephemeral (GlobiHub *self,
                           const char *const *user_ids,
                           const char *except_device_id,
                           const char *frame_json)
{
  g_return_if_fail (GLOBI_IS_HUB (self));

  for (guint i = 0; user_ids && user_ids[i]; i++)
    {
      GPtrArray *streams = g_hash_table_lookup (self->by_user, user_ids[i]);

      for (guint j = 0; streams && j < streams->len; j++)
        {
          Stream *stream = g_ptr_array_index (streams, j);

          if (g_strcmp0 (stream->device_id, except_device_id) != 0 &&
              soup_websocket_connection_get_state (stream->conn) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_send_text (stream->conn, frame_json);
        }
    }
}

void
globi_hub_disconnect_device (GlobiHub *self, const char *device_id)
{
  Stream *stream;

  g_return_if_fail (GLOBI_IS_HUB (self));

  stream = g_hash_table_lookup (self->by_device, device_id);
  if (stream)
    close_stream (self, stream, CLOSE_REVOKED, "device revoked");
}

guint
globi_hub_get_n_connections (GlobiHub *self)
{
  g_return_val_if_fail (GLOBI_IS_HUB (self), 0);

  return g_hash_table_size (self->by_device);
}

void
globi_hub_close_all (GlobiHub *self)
{
  g_autoptr (GList) streams = NULL;

  g_return_if_fail (GLOBI_IS_HUB (self));

  streams = g_hash_table_get_values (self->by_device);
  for (GList *l = streams; l; l = l->next)
    stream_ref (l->data);
  for (GList *l = streams; l; l = l->next)
    {
      close_stream (self, l->data, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
      stream_unref (l->data);
    }
}
