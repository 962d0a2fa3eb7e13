/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-idle-connections"

#include "config.h"

#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "messaging-fixture.h"

/* RSS per idle /v1/stream connection: the server runs in a child process (so the clients'
 * memory is not counted), N devices connect and go idle, and the child's RSS growth is
 * divided by N. Each connection needs two descriptors (one per side, one per process):
 * keep N under `ulimit -n`. Figures, not a pass/fail test. */

static int connections = 10000;

static gint64
rss_kib (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(line = strstr (text, "VmRSS:")))
    return -1;
  return g_ascii_strtoll (line + 6, NULL, 10);
}

static void
run_server (int fd)
{
  Fixture f;
  gsize len;

  fixture_init (&f);
  f.config->max_connections = 1000000;
  fixture_start (&f);
  len = strlen (f.base_url) + 1;
  if (write (fd, f.base_url, len) != (gssize) len)
    _exit (1);
  close (fd);
  pause ();
  _exit (0);
}

static gboolean
on_timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
settle (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
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
  g_autoptr (GPtrArray) streams = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_free);
  Fixture f = { 0 };
  char url[256] = { 0 };
  Device *first;
  gint64 before, after;
  int fds[2];
  pid_t child;

  g_assert_cmpint (sodium_init (), >=, 0);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  /* Before any thread exists in this process. */
  g_assert_cmpint (pipe (fds), ==, 0);
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      close (fds[0]);
      run_server (fds[1]);
    }
  close (fds[1]);
  g_assert_cmpint (read (fds[0], url, sizeof url - 1), >, 0);
  close (fds[0]);

  f.base_url = g_strdup (url);
  f.session = soup_session_new ();
  /* Every stream is its own device: one user signing in N times. */
  first = device_new_user (&f, "idle", FALSE);
  g_ptr_array_add (devices, first);
  for (int i = 1; i < connections; i++)
    g_ptr_array_add (devices, device_new_sibling (&f, first, FALSE));
  g_clear_object (&f.session);
  settle (500);
  before = rss_kib (child);
  for (int i = 0; i < connections; i++)
    {
      Stream *stream = stream_open (&f, devices->pdata[i], 0);

      json_object_unref (stream_next_of_type (stream, "caught_up", NULL));
      g_ptr_array_add (streams, stream);
    }
  settle (2000);
  after = rss_kib (child);
  g_print ("idle streams: %d, server RSS %" G_GINT64_FORMAT " KiB -> %" G_GINT64_FORMAT
           " KiB: %.1f KiB per idle connection\n",
           connections, before, after, (after - before) / (double) connections);
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  return 0;
}
