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
 * keep-alive connections, one request outstanding on each; a message counts once its
 * 201 is back, which the server sends only after the transaction holding it committed
 * (acknowledged durability). The server is a separate process; the load comes from
 * load-client.c. Figures, not a pass/fail test. */

static int pairs = 16;
static int connections = 64;
static double seconds = 5.0;

typedef struct
{
  Fixture f;
  LoadServer server;
  LoadLoop loop;
  GPtrArray *senders;    /* Device */
  GPtrArray *recipients; /* Device */
  GPtrArray *ciphertexts;
  GPtrArray *conns; /* LoadConn */
  guint next;
  guint64 done;
  guint64 failed;
  gboolean stopping;
} Bench;

static void
post_one (Bench *b, LoadConn *conn)
{
  guint pair = b->next++ % pairs;
  Device *from = b->senders->pdata[pair];
  Device *to = b->recipients->pdata[pair];
  g_autofree char *id = globi_id_new ();
  char body[1024];
  int len;

  len = g_snprintf (body, sizeof body,
                    "{\"id\":\"%s\",\"to\":{\"user_id\":\"%s\"},\"envelopes\":[{\"device_id\":"
                    "\"%s\",\"type\":\"message\",\"ciphertext\":\"%s\"}]}",
                    id, to->user_id, to->device_id, (char *) b->ciphertexts->pdata[pair]);
  load_http_post (conn, "/v1/messages", from->token, body, len);
  load_conn_flush (&b->loop, conn);
}

static void
on_response_cb (LoadConn *conn, guint status, const char *body, gsize len, gpointer user_data)
{
  Bench *b = user_data;

  if (status == 201)
    b->done++;
  else
    {
      if (b->failed++ == 0)
        g_printerr ("first failure: %u %.*s\n", status, (int) MIN (len, 200), body);
    }
  if (!b->stopping)
    post_one (b, conn);
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
    { "in-flight", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &connections, NULL, NULL },
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
  load_raise_fd_limit ();
  /* Before any thread exists in this process. */
  load_server_start (&b.server, 100000);
  b.f.base_url = g_strdup (b.server.base_url);
  b.f.session = soup_session_new ();
  b.senders = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  b.recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  b.ciphertexts = g_ptr_array_new_with_free_func (g_free);
  b.conns = g_ptr_array_new_with_free_func ((GDestroyNotify) load_conn_free);
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
  b.loop.user_data = &b;
  for (int i = 0; i < connections; i++)
    {
      LoadConn *conn = load_http_connect (&b.server);

      g_assert_nonnull (conn);
      load_loop_add (&b.loop, conn);
      g_ptr_array_add (b.conns, conn);
    }

  cpu0 = load_server_cpu_s (&b.server);
  threads0 = load_server_thread_cpu_s (&b.server);
  start = g_get_monotonic_time ();
  end = start + seconds * G_USEC_PER_SEC;
  for (guint i = 0; i < b.conns->len; i++)
    post_one (&b, b.conns->pdata[i]);
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
  g_print ("1:1 ingest: %10.0f acknowledged messages/s  (%" G_GUINT64_FORMAT " in %.2f s, %d "
           "pairs, %d connections, %" G_GUINT64_FORMAT " failed)\n"
           "  server CPU %.0f%% of one core, %.0f us of server CPU per message; load average "
           "%.2f\n",
           b.done / t, b.done, t, pairs, connections, b.failed, (cpu1 - cpu0) / t * 100,
           b.done ? (cpu1 - cpu0) * 1e6 / b.done : 0.0, load[0]);
  load_print_thread_cpu (threads0, threads1, t, b.done, "message");
  g_clear_pointer (&b.conns, g_ptr_array_unref);
  load_loop_clear (&b.loop);
  load_server_stop (&b.server);
  g_clear_pointer (&b.senders, g_ptr_array_unref);
  g_clear_pointer (&b.recipients, g_ptr_array_unref);
  g_clear_pointer (&b.ciphertexts, g_ptr_array_unref);
  g_free (b.f.base_url);
  return 0;
}
