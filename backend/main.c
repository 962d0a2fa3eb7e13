/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globichat-server"

#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <sodium.h>
#include <string.h>

#include "globi-routes.h"
#include "globi-server.h"
#include "globi-store-wallet.h"

/* globichat-server audit --data DIR: the ledger's invariants, read-only, while the server
 * may be running (WAL readers do not block it). 0: healthy, 1: violations, 2: unreadable. */
static int
run_audit (const GlobiServerConfig *config)
{
  g_autofree char *path = NULL;
  g_autoptr (GString) report = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;
  gint64 violations;
  gint64 started = g_get_monotonic_time ();

  if (!config->data_dir)
    {
      g_printerr ("globichat-server audit: --data DIR is required\n");
      return 2;
    }
  path = g_build_filename (config->data_dir, "globichat.db", NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) ||
      sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      g_printerr ("globichat-server audit: cannot open %s\n", path);
      sqlite3_close (db);
      return 2;
    }
  sqlite3_busy_timeout (db, 5000);
  sqlite3_exec (db, "BEGIN;", NULL, NULL, NULL);
  violations = globi_store_wallet_audit (db, report, &error);
  sqlite3_exec (db, "COMMIT;", NULL, NULL, NULL);
  sqlite3_close (db);
  if (violations < 0)
    {
      g_printerr ("globichat-server audit: %s (is %s a GlobiChat database with a wallet?)\n",
                  error->message, path);
      return 2;
    }
  g_print ("%s", report->str);
  g_print ("audit took %.3f s: %s\n", (g_get_monotonic_time () - started) / 1e6,
           violations == 0 ? "ledger OK" : "LEDGER BROKEN");
  return violations == 0 ? 0 : 1;
}

static GLogLevelFlags max_level = G_LOG_LEVEL_MESSAGE;

static GLogLevelFlags
parse_level (const char *name)
{
  if (!name || g_str_equal (name, "message"))
    return G_LOG_LEVEL_MESSAGE;
  if (g_str_equal (name, "error"))
    return G_LOG_LEVEL_CRITICAL;
  if (g_str_equal (name, "warning"))
    return G_LOG_LEVEL_WARNING;
  if (g_str_equal (name, "info"))
    return G_LOG_LEVEL_INFO;
  return G_LOG_LEVEL_DEBUG;
}

/* Filters by the configured level, then hands over to GLib's writer, which goes to the
 * journal with every structured field when stderr is the journal. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  GLogLevelFlags masked = level & G_LOG_LEVEL_MASK;

  /* Lower GLogLevelFlags bits are more severe. */
  if (masked > max_level)
    return G_LOG_WRITER_HANDLED;
  if (g_log_writer_is_journald (fileno (stderr)))
    return g_log_writer_journald (level, fields, n_fields, user_data);
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

typedef struct
{
  GMainLoop *loop;
  GlobiServer *server;
  gboolean stopping;
  int status;
} App;

static void
on_shutdown_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  App *app = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_server_shutdown_finish (GLOBI_SERVER (source), result, &error))
    {
      g_warning ("shutdown: %s", error->message);
      app->status = 1;
    }
  g_main_loop_quit (app->loop);
}

static gboolean
on_signal_cb (gpointer user_data)
{
  App *app = user_data;

  /* A second signal means the operator wants out now. */
  if (app->stopping)
    {
      g_message ("second signal: exiting without waiting");
      g_main_loop_quit (app->loop);
      return G_SOURCE_CONTINUE;
    }
  app->stopping = TRUE;
  globi_server_shutdown_async (app->server, NULL, on_shutdown_cb, app);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GlobiServerConfig) config = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GlobiServer) server = NULL;
  guint sigterm_id, sigint_id;
  App app = { 0 };

  setlocale (LC_ALL, "");
  if (sodium_init () < 0)
    {
      g_printerr ("libsodium failed to initialise\n");
      return 1;
    }

  config = globi_server_config_new ();
  if (!globi_server_config_parse_args (config, &argc, &argv, &error))
    {
      g_printerr ("globichat-server: %s\n", error->message);
      return 2;
    }
  if (argc == 2 && g_str_equal (argv[1], "audit"))
    return run_audit (config);
  if (argc > 1)
    {
      g_printerr ("globichat-server: unexpected argument %s (see --help)\n", argv[1]);
      return 2;
    }
  max_level = parse_level (config->log_level);
  g_log_set_writer_func (log_writer, NULL, NULL);

  server = globi_server_new (config, &error);
  if (!server || !globi_server_start (server, &error))
    {
      g_printerr ("globichat-server: %s\n", error->message);
      return 1;
    }

  /* Rates refresh and expiry sweeps run from the start, not from the first wallet call. */
  globi_routes_wallet_start (server);

  loop = g_main_loop_new (NULL, FALSE);
  app.loop = loop;
  app.server = server;
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal_cb, &app);
  sigint_id = g_unix_signal_add (SIGINT, on_signal_cb, &app);
  g_main_loop_run (loop);
  g_source_remove (sigterm_id);
  g_source_remove (sigint_id);

  return app.status;
}
