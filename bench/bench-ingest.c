/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-ingest"

#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "load-client.h"
#include "messaging-fixture.h"

/* 1:1 ingest: POST /v1/messages from several senders to their friends over `connections`
 * keep-alive connections, one request outstanding on each; or, with --stream, `send`
 * frames over each sender's /v1/stream, `in-flight` outstanding per stream. A message
 * counts once its 201 is back, which the server sends only after the transaction holding
 * it committed (acknowledged durability). The server is a separate process; the load
 * comes from load-client.c. Figures, not a pass/fail test. */

static int pairs = 16;
static int connections = 64;
static int in_flight = 1;
static gboolean use_stream = FALSE;
static gboolean connected_recipients = FALSE;
static int ack_every = 100;
static double seconds = 5.0;

#define RESULT_PREFIX "{\"type\":\"send_result\","
#define EVENT_PREFIX  "{\"type\":\"event\",\"seq\":"

/* A stream's client: a sender's, or a recipient's (--connected-recipients). */
typedef struct
{
  guint pair;
  gboolean recipient;
  gint64 last_seq;
  gint64 acked;
} Peer;

typedef struct
{
  Fixture f;
  LoadServer server;
  LoadLoop loop;
  GPtrArray *senders;    /* Device */
  GPtrArray *recipients; /* Device */
  GPtrArray *ciphertexts;
  GPtrArray *conns;     /* LoadConn: HTTP, or the senders' streams (data: Peer) */
  GPtrArray *listeners; /* LoadConn: the recipients' streams (data: Peer) */
  guint n_caught_up;
  guint next;
  guint64 done;
  guint64 failed;
  guint64 delivered;
  gboolean stopping;
} Bench;

/* The body of POST /v1/messages from the pair's sender to its recipient. */
static int
message_body (Bench *b, guint pair, char *body, gsize size)
{
  Device *to = b->recipients->pdata[pair];
  g_autofree char *id = globi_id_new ();

  return g_snprintf (body, size,
                     "{\"id\":\"%s\",\"to\":{\"user_id\":\"%s\"},\"envelopes\":[{\"device_id\":"
                     "\"%s\",\"type\":\"message\",\"ciphertext\":\"%s\"}]}",
                     id, to->user_id, to->device_id, (char *) b->ciphertexts->pdata[pair]);
}

static void
post_one (Bench *b, LoadConn *conn)
{
  guint pair = b->next++ % pairs;
  Device *from = b->senders->pdata[pair];
  char body[1024];
  int len = message_body (b, pair, body, sizeof body);

  load_http_post (conn, "/v1/messages", from->token, body, len);
  load_conn_flush (&b->loop, conn);
}

/* A send frame on the pair's stream; conn->pending counts its sends without a result. */
static void
send_one (Bench *b, LoadConn *conn)
{
  guint pair = ((Peer *) conn->data)->pair;
  char body[1024], frame[1200];

  message_body (b, pair, body, sizeof body);
  g_snprintf (frame, sizeof frame, "{\"type\":\"send\",\"req\":\"%u\",\"message\":%s}", b->next++,
              body);
  load_ws_send_text (conn, frame);
  conn->pending++;
}

static void
count_result (Bench *b, guint status, const char *body, gsize len)
{
  if (status == 201)
    b->done++;
  else if (b->failed++ == 0)
    g_printerr ("first failure: %u %.*s\n", status, (int) MIN (len, 200), body);
}

static void
on_response_cb (LoadConn *conn, guint status, const char *body, gsize len, gpointer user_data)
{
  Bench *b = user_data;

  count_result (b, status, body, len);
  if (!b->stopping)
    post_one (b, conn);
}

/* Frames are scanned, not parsed: the generator must stay cheap. */
static void
on_frame_cb (LoadConn *conn, const char *text, gsize len, gpointer user_data)
{
  Bench *b = user_data;
  Peer *peer = conn->data;
  const char *status_at;

  if (len > 20 && memcmp (text, "{\"type\":\"caught_up\"", 19) == 0)
    {
      b->n_caught_up++;
      return;
    }
  if (len > strlen (EVENT_PREFIX) && memcmp (text, EVENT_PREFIX, strlen (EVENT_PREFIX)) == 0)
    {
      gint64 seq = g_ascii_strtoll (text + strlen (EVENT_PREFIX), NULL, 10);

      if (!peer->recipient)
        return; /* a sender's own replay */
      b->delivered++;
      peer->last_seq = MAX (peer->last_seq, seq);
      if (peer->last_seq - peer->acked >= ack_every)
        {
          char ack[64];

          g_snprintf (ack, sizeof ack, "{\"type\":\"ack\",\"seq\":%" G_GINT64_FORMAT "}",
                      peer->last_seq);
          load_ws_send_text (conn, ack);
          load_conn_flush (&b->loop, conn);
          peer->acked = peer->last_seq;
        }
      return;
    }
  if (len < strlen (RESULT_PREFIX) || memcmp (text, RESULT_PREFIX, strlen (RESULT_PREFIX)) != 0 ||
      !(status_at = g_strstr_len (text, len, "\"status\":")))
    return;
  conn->pending--;
  count_result (b, (guint) g_ascii_strtoull (status_at + 9, NULL, 10), text, len);
  if (!b->stopping)
    {
      send_one (b, conn);
      load_conn_flush (&b->loop, conn);
    }
}

static LoadConn *
open_stream (Bench *b, Device *device, guint pair, gboolean recipient)
{
  LoadConn *conn = load_ws_connect (&b->server, device->token, 0);
  Peer *peer = g_new0 (Peer, 1);

  g_assert_nonnull (conn);
  peer->pair = pair;
  peer->recipient = recipient;
  conn->data = peer;
  load_loop_add (&b->loop, conn);
  return conn;
}

static void
free_streams (GPtrArray *conns)
{
  for (guint i = 0; i < conns->len; i++)
    if (((LoadConn *) conns->pdata[i])->kind == LOAD_WEBSOCKET)
      g_free (((LoadConn *) conns->pdata[i])->data);
  g_ptr_array_unref (conns);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("- 1:1 message ingest benchmark");
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "pairs", 0, 0, G_OPTION_ARG_INT, &pairs, "Sender/recipient pairs (16)", "N" },
    { "connections", 0, 0, G_OPTION_ARG_INT, &connections,
      "Keep-alive connections, one request in flight on each (64)", "N" },
    { "stream", 0, 0, G_OPTION_ARG_NONE, &use_stream,
      "Send over each sender's /v1/stream instead of POST /v1/messages", NULL },
    { "in-flight", 0, 0, G_OPTION_ARG_INT, &in_flight,
      "With --stream: sends outstanding per stream (1)", "K" },
    { "connected-recipients", 0, 0, G_OPTION_ARG_NONE, &connected_recipients,
      "Recipients keep /v1/stream open and acknowledge every --ack-every events", NULL },
    { "ack-every", 0, 0, G_OPTION_ARG_INT, &ack_every,
      "Events a connected recipient takes between acknowledgements (100)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Length of the run (5)", "S" },
    { NULL },
  };
  Bench b = { 0 };
  gint64 start, end;
  double t, cpu0, cpu1;
  double load[3] = { 0 };
  g_autoptr (GArray) threads0 = NULL;
  g_autoptr (GArray) threads1 = NULL;

  g_assert_cmpint (sodium_init (), >=, 0);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (pairs < 1 || connections < 1 || in_flight < 1 || in_flight > 64 || ack_every < 1)
    {
      g_printerr ("--pairs, --connections and --ack-every must be at least 1, --in-flight "
                  "1 to 64 (the server's cap per stream)\n");
      return 1;
    }
  load_raise_fd_limit ();
  /* Before any thread exists in this process. */
  load_server_start (&b.server, 100000);
  b.f.base_url = g_strdup (b.server.base_url);
  b.f.session = soup_session_new ();
  b.senders = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  b.recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  b.ciphertexts = g_ptr_array_new_with_free_func (g_free);
  b.conns = g_ptr_array_new_with_free_func ((GDestroyNotify) load_conn_free);
  b.listeners = g_ptr_array_new_with_free_func ((GDestroyNotify) load_conn_free);
  for (int i = 0; i < pairs; i++)
    {
      g_autofree char *a = g_strdup_printf ("sender%03d", i);
      g_autofree char *r = g_strdup_printf ("recipient%03d", i);
      Device *from = device_new_user (&b.f, a, TRUE);
      Device *to = device_new_user (&b.f, r, TRUE);

      befriend (&b.f, from, to);
      g_ptr_array_add (b.senders, from);
      g_ptr_array_add (b.recipients, to);
      g_ptr_array_add (b.ciphertexts, random_b64 (200)); /* a 200-byte ciphertext stand-in */
    }
  g_clear_object (&b.f.session);

  load_loop_init (&b.loop);
  b.loop.on_response = on_response_cb;
  b.loop.on_frame = on_frame_cb;
  b.loop.user_data = &b;
  for (int i = 0; use_stream && i < pairs; i++)
    g_ptr_array_add (b.conns, open_stream (&b, b.senders->pdata[i], i, FALSE));
  for (int i = 0; !use_stream && i < connections; i++)
    {
      LoadConn *conn = load_http_connect (&b.server);

      g_assert_nonnull (conn);
      load_loop_add (&b.loop, conn);
      g_ptr_array_add (b.conns, conn);
    }
  for (int i = 0; connected_recipients && i < pairs; i++)
    g_ptr_array_add (b.listeners, open_stream (&b, b.recipients->pdata[i], i, TRUE));
  /* The streams' replays end before the clock starts. */
  while (b.n_caught_up < (use_stream ? (guint) pairs : 0) + b.listeners->len)
    load_loop_run_once (&b.loop, 100);
  b.delivered = 0;

  cpu0 = load_server_cpu_s (&b.server);
  threads0 = load_server_thread_cpu_s (&b.server);
  start = g_get_monotonic_time ();
  end = start + seconds * G_USEC_PER_SEC;
  for (guint i = 0; i < b.conns->len; i++)
    {
      LoadConn *conn = b.conns->pdata[i];

      if (!use_stream)
        post_one (&b, conn);
      for (int k = 0; use_stream && k < in_flight; k++)
        send_one (&b, conn);
      load_conn_flush (&b.loop, conn);
    }
  while (g_get_monotonic_time () < end)
    load_loop_run_once (&b.loop, 100);
  b.stopping = TRUE;
  for (guint i = 0; i < b.conns->len; i++)
    while (((LoadConn *) b.conns->pdata[i])->pending > 0 &&
           !((LoadConn *) b.conns->pdata[i])->closed)
      load_loop_run_once (&b.loop, 100);
  t = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  cpu1 = load_server_cpu_s (&b.server);
  threads1 = load_server_thread_cpu_s (&b.server);
  getloadavg (load, 3);
  g_print ("1:1 ingest over %s: %10.0f acknowledged messages/s  (%" G_GUINT64_FORMAT
           " in %.2f s, %d pairs, ",
           use_stream ? "the stream" : "HTTP", b.done / t, b.done, t, pairs);
  if (use_stream)
    g_print ("%d streams, %d in flight on each", pairs, in_flight);
  else
    g_print ("%d connections", connections);
  g_print (", %" G_GUINT64_FORMAT " failed)\n", b.failed);
  if (connected_recipients)
    g_print ("  %" G_GUINT64_FORMAT " delivered live to the recipients' streams\n", b.delivered);
  g_print ("  server CPU %.0f%% of one core, %.0f us of server CPU per message; load average "
           "%.2f\n",
           (cpu1 - cpu0) / t * 100, b.done ? (cpu1 - cpu0) * 1e6 / b.done : 0.0, load[0]);
  load_print_thread_cpu (threads0, threads1, t, b.done, "message");
  g_clear_pointer (&b.conns, free_streams);
  g_clear_pointer (&b.listeners, free_streams);
  load_loop_clear (&b.loop);
  load_server_stop (&b.server);
  g_clear_pointer (&b.senders, g_ptr_array_unref);
  g_clear_pointer (&b.recipients, g_ptr_array_unref);
  g_clear_pointer (&b.ciphertexts, g_ptr_array_unref);
  g_free (b.f.base_url);
  return 0;
}
