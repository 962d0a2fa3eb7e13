/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "messaging-fixture.h"

#define PASSWORD     "correct horse battery"
#define WAIT_LIMIT_S 20

char *
random_b64 (gsize n)
{
  g_autofree guint8 *bytes = g_malloc (n);

  randombytes_buf (bytes, n);
  return globi_base64url_encode (bytes, n);
}

Device *
device_new_user (Fixture *f, const char *username, gboolean publish)
{
  Device *device = g_new0 (Device, 1);

  device->username = g_strdup (username);
  device->user_id = fixture_register (f, username, PASSWORD);
  fixture_sign_in (f, username, PASSWORD, &device->token, NULL, &device->device_id);
  if (publish)
    device_publish_keys (f, device, 3);
  return device;
}

Device *
device_new_sibling (Fixture *f, const Device *first, gboolean publish)
{
  Device *device = g_new0 (Device, 1);

  device->username = g_strdup (first->username);
  device->user_id = g_strdup (first->user_id);
  fixture_sign_in (f, first->username, PASSWORD, &device->token, NULL, &device->device_id);
  if (publish)
    device_publish_keys (f, device, 3);
  return device;
}

void
device_free (Device *device)
{
  g_free (device->user_id);
  g_free (device->username);
  g_free (device->token);
  g_free (device->device_id);
  g_free (device);
}

void
device_publish_keys (Fixture *f, Device *device, guint n_one_time)
{
  guint8 pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  guint8 spk[32], sig[crypto_sign_BYTES];
  g_autofree char *ik_text = NULL, *spk_text = NULL, *sig_text = NULL, *body = NULL;
  g_autoptr (GString) prekeys = g_string_new ("");
  g_autoptr (Reply) reply = NULL;

  crypto_sign_keypair (pk, sk);
  randombytes_buf (spk, sizeof spk);
  crypto_sign_detached (sig, NULL, spk, sizeof spk, sk);
  ik_text = globi_base64url_encode (pk, sizeof pk);
  spk_text = globi_base64url_encode (spk, sizeof spk);
  sig_text = globi_base64url_encode (sig, sizeof sig);
  for (guint i = 0; i < n_one_time; i++)
    {
      g_autofree char *key = random_b64 (32);

      g_string_append_printf (prekeys, "%s{\"id\": %u, \"key\": \"%s\"}", i ? "," : "", i + 1, key);
    }
  body = g_strdup_printf ("{\"identity_key\": \"%s\", \"signed_prekey\": {\"id\": 1, \"key\": "
                          "\"%s\", \"signature\": \"%s\"}, \"one_time_prekeys\": [%s]}",
                          ik_text, spk_text, sig_text, prekeys->str);
  reply = fixture_request (f, "PUT", "/v1/keys", device->token, body);
  g_assert_cmpuint (reply->status, ==, 204);
}

void
befriend (Fixture *f, Device *a, Device *b)
{
  g_autofree char *id = globi_id_new ();
  g_autofree char *body = g_strdup_printf ("{\"id\": \"%s\", \"to\": \"%s\"}", id, b->user_id);
  g_autofree char *path = NULL;
  g_autoptr (Reply) reply = fixture_request (f, "POST", "/v1/friends/requests", a->token, body);
  g_autoptr (Reply) accepted = NULL;
  JsonObject *request;

  g_assert_cmpuint (reply->status, ==, 201);
  request = json_object_get_object_member (reply_object (reply), "request");
  path = g_strdup_printf ("/v1/friends/requests/%s/accept",
                          json_object_get_string_member (request, "id"));
  accepted = fixture_request (f, "POST", path, b->token, NULL);
  g_assert_cmpuint (accepted->status, ==, 200);
}

char *
direct_message_json (const char *message_id, const char *to_user_id, Device **devices)
{
  GString *body = g_string_new (NULL);

  g_string_printf (body, "{\"id\": \"%s\", \"to\": {\"user_id\": \"%s\"}, \"envelopes\": [",
                   message_id, to_user_id);
  for (guint i = 0; devices && devices[i]; i++)
    {
      g_autofree char *ciphertext = random_b64 (48);

      g_string_append_printf (body,
                              "%s{\"device_id\": \"%s\", \"type\": \"message\", "
                              "\"ciphertext\": \"%s\"}",
                              i ? "," : "", devices[i]->device_id, ciphertext);
    }
  g_string_append (body, "]}");
  return g_string_free (body, FALSE);
}

Reply *
send_direct (
    Fixture *f, Device *from, const char *message_id, const char *to_user_id, Device **devices)
{
  g_autofree char *body = direct_message_json (message_id, to_user_id, devices);

  return fixture_request (f, "POST", "/v1/messages", from->token, body);
}

Reply *
poll_events (Fixture *f, Device *device, gint64 after, guint limit)
{
  g_autofree char *path =
      g_strdup_printf ("/v1/events?after=%" G_GINT64_FORMAT "&limit=%u", after, limit);
  Reply *reply = fixture_request (f, "GET", path, device->token, NULL);

  g_assert_cmpuint (reply->status, ==, 200);
  return reply;
}

void
ack_events (Fixture *f, Device *device, gint64 seq)
{
  g_autofree char *body = g_strdup_printf ("{\"seq\": %" G_GINT64_FORMAT "}", seq);
  g_autoptr (Reply) reply = fixture_request (f, "POST", "/v1/events/ack", device->token, body);

  g_assert_cmpuint (reply->status, ==, 204);
}

static void
on_message_cb (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
  Stream *stream = user_data;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_assert_true (json_parser_load_from_data (parser, data, len, &error));
  g_assert_no_error (error);
  g_queue_push_tail (&stream->frames, json_node_copy (json_parser_get_root (parser)));
}

static void
on_closed_cb (SoupWebsocketConnection *conn, gpointer user_data)
{
  Stream *stream = user_data;

  stream->closed = TRUE;
  stream->close_code = soup_websocket_connection_get_close_code (conn);
}

static void
on_connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Stream *stream = user_data;
  g_autoptr (GError) error = NULL;

  stream->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
wait_until (gboolean *flag, gpointer stream_or_null)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_USEC_PER_SEC;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return *flag;
}

static SoupSession *
shared_session (void)
{
  static SoupSession *session;

  if (!session)
    session = soup_session_new_with_options ("max-conns", 1024, "max-conns-per-host", 1024, NULL);
  return session;
}

Stream *
stream_open (Fixture *f, Device *device, gint64 after)
{
  Stream *stream = g_new0 (Stream, 1);
  g_autofree char *url = NULL;
  g_autofree char *auth = g_strconcat ("Bearer ", device->token, NULL);
  g_autoptr (SoupMessage) msg = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_USEC_PER_SEC;

  url = g_strdup_printf ("%s/v1/stream?after=%" G_GINT64_FORMAT, f->base_url, after);
  g_queue_init (&stream->frames);
  /* One session for every stream of the process: an upgraded connection leaves the
   * session's pool, and 10 000 sessions would cost the benchmarks seconds. */
  stream->session = g_object_ref (shared_session ());
  msg = soup_message_new ("GET", url);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_session_websocket_connect_async (stream->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_connected_cb, stream);
  while (!stream->conn && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (stream->conn);
  /* Frames big enough for a replay batch. */
  soup_websocket_connection_set_max_incoming_payload_size (stream->conn, 4 << 20);
  g_signal_connect (stream->conn, "message", G_CALLBACK (on_message_cb), stream);
  g_signal_connect (stream->conn, "closed", G_CALLBACK (on_closed_cb), stream);
  return stream;
}

JsonObject *
stream_next (Stream *stream)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_USEC_PER_SEC;
  JsonNode *node;
  JsonObject *obj;

  while (g_queue_is_empty (&stream->frames) && !stream->closed &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  node = g_queue_pop_head (&stream->frames);
  g_assert_nonnull (node);
  obj = json_object_ref (json_node_get_object (node));
  json_node_unref (node);
  return obj;
}

JsonObject *
stream_next_of_type (Stream *stream, const char *type, GPtrArray *skipped)
{
  for (;;)
    {
      JsonObject *obj = stream_next (stream);

      if (g_str_equal (json_object_get_string_member (obj, "type"), type))
        return obj;
      if (skipped)
        g_ptr_array_add (skipped, obj);
      else
        json_object_unref (obj);
    }
}

static gboolean
on_settled_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
stream_settle (Stream *stream, guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_settled_cb, &done);
  wait_until (&done, stream);
}

void
stream_send (Stream *stream, const char *text)
{
  soup_websocket_connection_send_text (stream->conn, text);
}

void
stream_send_batch (Stream *stream, const char *const *texts, guint n)
{
  GOutputStream *out =
      g_io_stream_get_output_stream (soup_websocket_connection_get_io_stream (stream->conn));
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      gsize len = strlen (texts[i]);
      guint8 head[14] = { 0x81 }; /* FIN, text */
      gsize head_len = 2;
      guint8 mask[4];
      guint start;

      if (len < 126)
        head[1] = 0x80 | len;
      else if (len < 65536)
        {
          head[1] = 0x80 | 126;
          head[2] = len >> 8;
          head[3] = len & 0xff;
          head_len = 4;
        }
      else
        {
          head[1] = 0x80 | 127;
          for (guint j = 0; j < 8; j++)
            head[2 + j] = ((guint64) len >> (8 * (7 - j))) & 0xff;
          head_len = 10;
        }
      randombytes_buf (mask, sizeof mask);
      g_byte_array_append (bytes, head, head_len);
      g_byte_array_append (bytes, mask, sizeof mask);
      start = bytes->len;
      g_byte_array_append (bytes, (const guint8 *) texts[i], len);
      for (gsize j = 0; j < len; j++)
        bytes->data[start + j] ^= mask[j % 4];
    }
  g_output_stream_write_all (out, bytes->data, bytes->len, NULL, NULL, &error);
  g_assert_no_error (error);
}

void
stream_wait_closed (Stream *stream)
{
  g_assert_true (wait_until (&stream->closed, stream));
}

void
stream_free (Stream *stream)
{
  if (stream->conn)
    {
      g_signal_handlers_disconnect_by_data (stream->conn, stream);
      if (soup_websocket_connection_get_state (stream->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (stream->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  g_clear_object (&stream->conn);
  g_clear_object (&stream->session);
  g_queue_clear_full (&stream->frames, (GDestroyNotify) json_node_unref);
  g_free (stream);
}
