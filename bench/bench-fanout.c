/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-fanout"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "messaging-fixture.h"

/* A 500-member group with every member device connected to /v1/stream (in this process,
 * with the server on its own thread): sustained deliveries/s with nothing lost, then
 * end-to-end latency (POST start → frame received) at a fixed delivery rate. Figures,
 * not a pass/fail test. */

static int members = 500;
static int burst = 400;     /* group messages in the throughput run */
static int in_flight = 8;   /* concurrent POSTs */
static double rate = 20000; /* deliveries/s for the latency run */
static double seconds = 5.0;

typedef struct
{
  Fixture f;
  Device *owner;
  GPtrArray *devices; /* Device */
  GPtrArray *streams; /* Stream */
  char *group_id;
  SoupSession *async;
  GHashTable *sent_us; /* message id → monotonic µs at POST start */
  GArray *latencies;   /* double ms */
  guint64 delivered;
  guint pending_posts;
  guint failed_posts;
} Bench;

static void
on_frame_cb (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
  Bench *b = user_data;
  gsize len;
  const char *text = g_bytes_get_data (message, &len);
  const char *id_at;
  char id[37];
  gpointer start;

  /* Cheap scan instead of a parse per frame: the client is on the same 2 cores. */
  if (len < 20 || memcmp (text, "{\"type\":\"event\"", 15) != 0)
    return;
  id_at = g_strstr_len (text, len, "\"kind\":\"message\",\"id\":\"");
  if (!id_at || !g_strstr_len (text, len, "\"type\":\"group\""))
    return;
  memcpy (id, id_at + strlen ("\"kind\":\"message\",\"id\":\""), 36);
  id[36] = 0;
  b->delivered++;
  if (b->latencies && (start = g_hash_table_lookup (b->sent_us, id)))
    {
      double ms = (g_get_monotonic_time () - GPOINTER_TO_SIZE (start)) / 1000.0;

      g_array_append_val (b->latencies, ms);
    }
}

static void
setup (Bench *b)
{
  g_autoptr (GString) body = g_string_new ("{\"name\": \"Bench\", \"member_ids\": [");
  g_autoptr (Reply) reply = NULL;
  g_autoptr (GString) keys = g_string_new (NULL);

  fixture_init (&b->f);
  b->f.config->max_connections = 100000;
  fixture_start (&b->f);
  b->owner = device_new_user (&b->f, "owner", TRUE);
  b->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  b->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_free);
  for (int i = 1; i < members; i++)
    {
      g_autofree char *name = g_strdup_printf ("member%04d", i);
      Device *member = device_new_user (&b->f, name, TRUE);

      befriend (&b->f, b->owner, member);
      g_string_append_printf (body, "%s\"%s\"", i > 1 ? "," : "", member->user_id);
      g_ptr_array_add (b->devices, member);
    }
  g_string_append (body, "]}");
  reply = fixture_request (&b->f, "POST", "/v1/groups", b->owner->token, body->str);
  g_assert_cmpuint (reply->status, ==, 201);
  b->group_id = g_strdup (json_object_get_string_member (
      json_object_get_object_member (reply_object (reply), "group"), "id"));
  g_clear_pointer (&reply, reply_free);

  /* Distribute sender key 1 once (one message with every envelope). */
  {
    g_autofree char *id = globi_id_new ();

    g_string_printf (keys,
                     "{\"id\": \"%s\", \"to\": {\"group_id\": \"%s\"}, \"group_ciphertext\": "
                     "\"AAAA\", \"sender_key_id\": 1, \"envelopes\": [",
                     id, b->group_id);
    for (guint i = 0; i < b->devices->len; i++)
      g_string_append_printf (keys,
                              "%s{\"device_id\": \"%s\", \"type\": \"sender_key\", "
                              "\"ciphertext\": \"AAAA\"}",
                              i ? "," : "", ((Device *) b->devices->pdata[i])->device_id);
    g_string_append (keys, "]}");
    reply = fixture_request (&b->f, "POST", "/v1/messages", b->owner->token, keys->str);
    g_assert_cmpuint (reply->status, ==, 201);
    g_clear_pointer (&reply, reply_free);
  }

  for (guint i = 0; i < b->devices->len; i++)
    {
      Stream *stream = stream_open (&b->f, b->devices->pdata[i], 0);

      json_object_unref (stream_next_of_type (stream, "caught_up", NULL));
      g_queue_clear_full (&stream->frames, (GDestroyNotify) json_node_unref);
      g_signal_handlers_disconnect_matched (stream->conn, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                            stream);
      g_signal_connect (stream->conn, "message", G_CALLBACK (on_frame_cb), b);
      g_ptr_array_add (b->streams, stream);
    }
  b->async = soup_session_new_with_options ("max-conns-per-host", 64, NULL);
  b->sent_us = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
on_posted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Bench *b = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  if (!body || soup_message_get_status (msg) != 201)
    b->failed_posts++;
  b->pending_posts--;
}

static void
post_group_message (Bench *b)
{
  g_autofree char *id = globi_id_new ();
  g_autofree char *ciphertext = NULL;
  g_autofree char *body = NULL;
  g_autofree char *url = g_strconcat (b->f.base_url, "/v1/messages", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", b->owner->token, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) bytes = NULL;
  guint8 raw[150];
  gsize len;

  randombytes_buf (raw, sizeof raw); /* a 150-byte ciphertext stand-in */
  ciphertext = globi_base64url_encode (raw, sizeof raw);
  body = g_strdup_printf ("{\"id\": \"%s\", \"to\": {\"group_id\": \"%s\"}, \"group_ciphertext\": "
                          "\"%s\", \"sender_key_id\": 1, \"envelopes\": []}",
                          id, b->group_id, ciphertext);
  len = strlen (body);
  bytes = g_bytes_new_take (g_steal_pointer (&body), len);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  g_hash_table_insert (b->sent_us, g_strdup (id), GSIZE_TO_POINTER (g_get_monotonic_time ()));
  b->pending_posts++;
  soup_session_send_and_read_async (b->async, msg, G_PRIORITY_DEFAULT, NULL, on_posted_cb, b);
}

static void
wait_delivered (Bench *b, guint64 expected, double limit_s)
{
  gint64 deadline = g_get_monotonic_time () + limit_s * G_USEC_PER_SEC;

  while ((b->delivered < expected || b->pending_posts > 0) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}

static void
run_throughput (Bench *b)
{
  guint64 expected = (guint64) burst * b->devices->len;
  int posted = 0;
  gint64 start = g_get_monotonic_time ();
  double t;

  b->delivered = 0;
  while (posted < burst)
    {
      while (b->pending_posts < (guint) in_flight && posted < burst)
        {
          post_group_message (b);
          posted++;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  wait_delivered (b, expected, 120);
  t = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_print ("fan-out throughput:  %10.0f deliveries/s  (%d messages x %u devices in %.2f s; "
           "delivered %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT ", %u failed POSTs)\n",
           b->delivered / t, burst, b->devices->len, t, b->delivered, expected, b->failed_posts);
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
run_latency (Bench *b)
{
  double per_s = rate / b->devices->len;
  guint total = (guint) (per_s * seconds);
  gint64 start = g_get_monotonic_time ();
  guint64 expected = (guint64) total * b->devices->len;
  double t;

  b->delivered = 0;
  b->latencies = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; i < total; i++)
    {
      gint64 due = start + (gint64) (i / per_s * G_USEC_PER_SEC);

      while (g_get_monotonic_time () < due)
        g_main_context_iteration (NULL, FALSE);
      post_group_message (b);
    }
  wait_delivered (b, expected, 60);
  t = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_array_sort (b->latencies, compare_doubles);
  if (b->latencies->len > 0)
    g_print (
        "latency at %.0f deliveries/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms  (%" G_GUINT64_FORMAT
        " of %" G_GUINT64_FORMAT " delivered in %.2f s)\n",
        rate, g_array_index (b->latencies, double, b->latencies->len / 2),
        g_array_index (b->latencies, double, b->latencies->len * 99 / 100),
        g_array_index (b->latencies, double, b->latencies->len - 1), b->delivered, expected, t);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("- group fan-out benchmark");
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "members", 0, 0, G_OPTION_ARG_INT, &members, "Group size (500)", "N" },
    { "burst", 0, 0, G_OPTION_ARG_INT, &burst, "Messages in the throughput run (400)", "N" },
    { "in-flight", 0, 0, G_OPTION_ARG_INT, &in_flight, "Concurrent POSTs (8)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "Deliveries/s in the latency run (20000)", "R" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Length of the latency run (5)", "S" },
    { NULL },
  };
  Bench b = { 0 };

  g_assert_cmpint (sodium_init (), >=, 0);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_log_set_writer_func (g_log_writer_default, NULL, NULL);
  setup (&b);
  g_print ("%d-member group, %u streams connected\n", members, b.streams->len);
  run_throughput (&b);
  run_latency (&b);
  return 0;
}
