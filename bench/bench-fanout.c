/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-fanout"

#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "load-client.h"
#include "messaging-fixture.h"

/* A 500-member group with every member's device connected to /v1/stream: sustained
 * deliveries/s with nothing lost, then end-to-end latency (POST start → frame received)
 * at a fixed delivery rate. The server is a separate process (load-client.c); the
 * members are raw WebSocket clients on one epoll set that acknowledge what they got as
 * the app does. Figures, not a pass/fail test. */

#define ID_PREFIX "\"kind\":\"message\",\"id\":\""

static int members = 500;
static int burst = 400;     /* group messages in the throughput run */
static int in_flight = 8;   /* concurrent POSTs (one keep-alive connection each) */
static double rate = 20000; /* deliveries/s for the latency run */
static double seconds = 5.0;
static int ack_every = 100; /* events a member takes before it acknowledges */

typedef struct
{
  gint64 last_seq;
  gint64 acked;
  gboolean caught_up;
} Member;

typedef struct
{
  Fixture f;
  LoadServer server;
  LoadLoop loop;
  Device *owner;
  GPtrArray *devices; /* Device */
  GPtrArray *streams; /* LoadConn, data: Member */
  GPtrArray *posters; /* LoadConn, idle ones have pending == 0 */
  char *group_id;
  char *ciphertext;
  GHashTable *sent_us; /* message id → monotonic µs at POST start */
  GArray *latencies;   /* double ms */
  guint64 delivered;
  guint64 duplicates;
  guint n_caught_up;
  guint pending_posts;
  guint failed_posts;
} Bench;

static void
on_frame_cb (LoadConn *conn, const char *text, gsize len, gpointer user_data)
{
  Bench *b = user_data;
  Member *member = conn->data;
  const char *id_at;
  gint64 seq;
  gpointer start;
  char id[37];

  /* A scan instead of a parse per frame: the generator must stay cheap. */
  if (len > 25 && memcmp (text, "{\"type\":\"caught_up\"", 19) == 0)
    {
      if (!member->caught_up)
        b->n_caught_up++;
      member->caught_up = TRUE;
      return;
    }
  if (len < 30 || memcmp (text, "{\"type\":\"event\",\"seq\":", 22) != 0)
    return;
  seq = g_ascii_strtoll (text + 22, NULL, 10);
  if (seq <= member->last_seq)
    b->duplicates++;
  member->last_seq = MAX (seq, member->last_seq);
  if (member->last_seq - member->acked >= ack_every)
    {
      char ack[64];

      g_snprintf (ack, sizeof ack, "{\"type\":\"ack\",\"seq\":%" G_GINT64_FORMAT "}",
                  member->last_seq);
      load_ws_send_text (conn, ack);
      load_conn_flush (&b->loop, conn);
      member->acked = member->last_seq;
    }
  id_at = g_strstr_len (text, len, ID_PREFIX);
  if (!id_at || !g_strstr_len (text, len, "\"type\":\"group\"") ||
      id_at + strlen (ID_PREFIX) + 36 > text + len)
    return;
  memcpy (id, id_at + strlen (ID_PREFIX), 36);
  id[36] = 0;
  b->delivered++;
  if (b->latencies && (start = g_hash_table_lookup (b->sent_us, id)))
    {
      double ms = (g_get_monotonic_time () - GPOINTER_TO_SIZE (start)) / 1000.0;

      g_array_append_val (b->latencies, ms);
    }
}

static void
on_response_cb (LoadConn *conn, guint status, const char *body, gsize len, gpointer user_data)
{
  Bench *b = user_data;

  if (status != 201 && b->failed_posts++ == 0)
    g_printerr ("first failed POST: %u %.*s\n", status, (int) MIN (len, 200), body);
  b->pending_posts--;
}

static void
setup (Bench *b)
{
  g_autoptr (GString) body = g_string_new ("{\"name\": \"Bench\", \"member_ids\": [");
  g_autoptr (GString) keys = g_string_new (NULL);
  g_autoptr (Reply) reply = NULL;
  g_autofree char *id = globi_id_new ();

  load_raise_fd_limit ();
  /* Before any thread exists in this process. */
  load_server_start (&b->server, 100000);
  b->f.base_url = g_strdup (b->server.base_url);
  b->f.session = soup_session_new ();
  b->owner = device_new_user (&b->f, "owner", TRUE);
  b->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  b->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) load_conn_free);
  b->posters = g_ptr_array_new_with_free_func ((GDestroyNotify) load_conn_free);
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
  g_clear_object (&b->f.session);

  load_loop_init (&b->loop);
  b->loop.on_frame = on_frame_cb;
  b->loop.on_response = on_response_cb;
  b->loop.user_data = b;
  for (guint i = 0; i < b->devices->len; i++)
    {
      LoadConn *conn = load_ws_connect (&b->server, ((Device *) b->devices->pdata[i])->token, 0);

      g_assert_nonnull (conn);
      conn->data = g_new0 (Member, 1);
      load_loop_add (&b->loop, conn);
      g_ptr_array_add (b->streams, conn);
    }
  while (b->n_caught_up < b->streams->len && b->loop.n_closed == 0)
    load_loop_run_once (&b->loop, 100);
  g_assert_cmpuint (b->loop.n_closed, ==, 0);
  for (int i = 0; i < in_flight; i++)
    {
      LoadConn *conn = load_http_connect (&b->server);

      g_assert_nonnull (conn);
      load_loop_add (&b->loop, conn);
      g_ptr_array_add (b->posters, conn);
    }
  b->ciphertext = random_b64 (150); /* a 150-byte ciphertext stand-in */
  b->sent_us = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* On an idle poster connection; FALSE when all are busy. */
static gboolean
post_group_message (Bench *b)
{
  g_autofree char *id = NULL;
  LoadConn *conn = NULL;
  char body[1024];
  int len;

  for (guint i = 0; i < b->posters->len && !conn; i++)
    if (((LoadConn *) b->posters->pdata[i])->pending == 0)
      conn = b->posters->pdata[i];
  if (!conn)
    return FALSE;
  id = globi_id_new ();
  len = g_snprintf (body, sizeof body,
                    "{\"id\":\"%s\",\"to\":{\"group_id\":\"%s\"},\"group_ciphertext\":\"%s\","
                    "\"sender_key_id\":1,\"envelopes\":[]}",
                    id, b->group_id, b->ciphertext);
  g_hash_table_insert (b->sent_us, g_steal_pointer (&id),
                       GSIZE_TO_POINTER (g_get_monotonic_time ()));
  load_http_post (conn, "/v1/messages", b->owner->token, body, len);
  b->pending_posts++;
  load_conn_flush (&b->loop, conn);
  return TRUE;
}

static void
wait_delivered (Bench *b, guint64 expected, double limit_s)
{
  gint64 deadline = g_get_monotonic_time () + limit_s * G_USEC_PER_SEC;

  while ((b->delivered < expected || b->pending_posts > 0) && g_get_monotonic_time () < deadline)
    load_loop_run_once (&b->loop, 100);
}

static void
print_load (LoadServer *server, double cpu0, GArray *threads0, double t, guint64 deliveries)
{
  double cpu = load_server_cpu_s (server) - cpu0;
  g_autoptr (GArray) threads = load_server_thread_cpu_s (server);
  double load[3] = { 0 };

  getloadavg (load, 3);
  g_print ("  server CPU %.0f%% of one core, %.1f us of server CPU per delivery; load average "
           "%.2f\n",
           cpu / t * 100, deliveries ? cpu * 1e6 / deliveries : 0.0, load[0]);
  load_print_thread_cpu (threads0, threads, t, deliveries, "delivery");
  g_array_unref (threads0);
}

static void
run_throughput (Bench *b)
{
  guint64 expected = (guint64) burst * b->devices->len;
  int posted = 0;
  gint64 start = g_get_monotonic_time ();
  double cpu0 = load_server_cpu_s (&b->server);
  GArray *threads0 = load_server_thread_cpu_s (&b->server);
  double t;

  b->delivered = 0;
  b->failed_posts = 0;
  while (posted < burst)
    {
      while (posted < burst && post_group_message (b))
        posted++;
      load_loop_run_once (&b->loop, 100);
    }
  wait_delivered (b, expected, 120);
  t = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_print ("fan-out throughput:  %10.0f deliveries/s  (%d messages x %u devices in %.2f s; "
           "delivered %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
           " out of order or twice, %u failed POSTs)\n",
           b->delivered / t, burst, b->devices->len, t, b->delivered, expected, b->duplicates,
           b->failed_posts);
  print_load (&b->server, cpu0, threads0, t, b->delivered);
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
  double cpu0 = load_server_cpu_s (&b->server);
  GArray *threads0 = load_server_thread_cpu_s (&b->server);
  guint skipped = 0;
  double t;

  b->delivered = 0;
  b->latencies = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; i < total; i++)
    {
      gint64 due = start + (gint64) (i / per_s * G_USEC_PER_SEC);
      gint64 now;

      while ((now = g_get_monotonic_time ()) < due)
        load_loop_run_once (&b->loop, MAX (0, (due - now) / 1000));
      /* Every poster busy: the server is behind the pace; wait rather than queue. */
      while (!post_group_message (b))
        {
          skipped++;
          load_loop_run_once (&b->loop, 1);
        }
    }
  wait_delivered (b, expected, 60);
  t = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_array_sort (b->latencies, compare_doubles);
  if (b->latencies->len > 0)
    g_print (
        "latency at %.0f deliveries/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms  (%" G_GUINT64_FORMAT
        " of %" G_GUINT64_FORMAT " delivered in %.2f s%s)\n",
        rate, g_array_index (b->latencies, double, b->latencies->len / 2),
        g_array_index (b->latencies, double, b->latencies->len * 99 / 100),
        g_array_index (b->latencies, double, b->latencies->len - 1), b->delivered, expected, t,
        skipped ? "; the POSTs fell behind the pace" : "");
  print_load (&b->server, cpu0, threads0, t, b->delivered);
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
    { "ack-every", 0, 0, G_OPTION_ARG_INT, &ack_every,
      "Events a member receives between acknowledgements (100)", "N" },
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
  if (members < 2 || in_flight < 1 || ack_every < 1)
    {
      g_printerr ("--members must be at least 2, --in-flight and --ack-every at least 1\n");
      return 1;
    }
  setup (&b);
  g_print ("%d-member group, %u streams connected\n", members, b.streams->len);
  run_throughput (&b);
  run_latency (&b);
  for (guint i = 0; i < b.streams->len; i++)
    g_free (((LoadConn *) b.streams->pdata[i])->data);
  g_clear_pointer (&b.streams, g_ptr_array_unref);
  g_clear_pointer (&b.posters, g_ptr_array_unref);
  load_loop_clear (&b.loop);
  load_server_stop (&b.server);
  g_clear_pointer (&b.devices, g_ptr_array_unref);
  g_clear_pointer (&b.sent_us, g_hash_table_unref);
  g_clear_pointer (&b.latencies, g_array_unref);
  device_free (b.owner);
  g_free (b.group_id);
  g_free (b.ciphertext);
  g_free (b.f.base_url);
  return 0;
}
