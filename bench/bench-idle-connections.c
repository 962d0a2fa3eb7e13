/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-idle-connections"

#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "load-client.h"
#include "messaging-fixture.h"

/* RSS per idle /v1/stream connection: the server runs in a child process (so the clients'
 * memory is not counted), N devices connect, get caught_up and go idle, and the child's
 * RSS growth is divided by N. The clients are raw sockets on one epoll set (load-client.c)
 * that answer the server's pings. Both processes raise their descriptor limit to the hard
 * one; N must stay below it. Figures, not a pass/fail test. */

static int connections = 10000;

typedef struct
{
  LoadLoop loop;
  guint caught_up;
} Bench;

static void
on_frame_cb (LoadConn *conn, const char *text, gsize len, gpointer user_data)
{
  Bench *b = user_data;

  if (len > 19 && memcmp (text, "{\"type\":\"caught_up\"", 19) == 0 && !conn->data)
    {
      conn->data = GINT_TO_POINTER (1);
      b->caught_up++;
    }
}

static void
settle (Bench *b, guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    load_loop_run_once (&b->loop, 50);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("- idle stream memory benchmark");
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "connections", 0, 0, G_OPTION_ARG_INT, &connections, "Idle streams (10000)", "N" },
    { NULL },
  };
  g_autoptr (GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  g_autoptr (GPtrArray) conns = g_ptr_array_new_with_free_func ((GDestroyNotify) load_conn_free);
  Bench b = { 0 };
  LoadServer server;
  Fixture f = { 0 };
  Device *first;
  gint64 before, after, start;
  guint64 limit;
  double load[3] = { 0 };

  g_assert_cmpint (sodium_init (), >=, 0);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  limit = load_raise_fd_limit ();
  if (connections < 1 || (guint64) connections + 64 > limit)
    {
      g_printerr (
          "--connections must be between 1 and the descriptor limit less 64 (%" G_GUINT64_FORMAT
          ")\n",
          limit);
      return 1;
    }
  /* Before any thread exists in this process. */
  load_server_start (&server, 1000000);
  f.base_url = g_strdup (server.base_url);
  f.session = soup_session_new ();
  /* Every stream is its own device: one user signing in N times (cheap Argon2). */
  start = g_get_monotonic_time ();
  first = device_new_user (&f, "idle", FALSE);
  g_ptr_array_add (devices, first);
  for (int i = 1; i < connections; i++)
    g_ptr_array_add (devices, device_new_sibling (&f, first, FALSE));
  g_clear_object (&f.session);
  g_print ("%d devices signed in in %.1f s\n", connections,
           (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  load_loop_init (&b.loop);
  b.loop.on_frame = on_frame_cb;
  b.loop.user_data = &b;
  settle (&b, 500);
  before = load_server_rss_kib (&server);
  start = g_get_monotonic_time ();
  for (int i = 0; i < connections; i++)
    {
      LoadConn *conn = load_ws_connect (&server, ((Device *) devices->pdata[i])->token, 0);

      g_assert_nonnull (conn);
      load_loop_add (&b.loop, conn);
      g_ptr_array_add (conns, conn);
      /* Read as we go: the socket buffers stay small, as with a real client. */
      load_loop_run_once (&b.loop, 0);
    }
  while (b.caught_up < (guint) connections && b.loop.n_closed == 0)
    load_loop_run_once (&b.loop, 100);
  g_print ("%d streams open and caught up in %.1f s (%u closed)\n", connections,
           (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC, b.loop.n_closed);
  settle (&b, 2000);
  after = load_server_rss_kib (&server);
  getloadavg (load, 3);
  g_print ("idle streams: %d, server RSS %" G_GINT64_FORMAT " KiB -> %" G_GINT64_FORMAT
           " KiB: %.1f KiB per idle connection (load average %.2f)\n",
           connections, before, after, (after - before) / (double) connections, load[0]);
  g_clear_pointer (&conns, g_ptr_array_unref);
  load_loop_clear (&b.loop);
  load_server_stop (&server);
  g_free (f.base_url);
  return 0;
}
