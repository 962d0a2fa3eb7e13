/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-auth"

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sodium.h>
#include <string.h>

#include "globi-password-hasher.h"
#include "globi-server-config.h"
#include "globi-server-thread.h"
#include "globi-token-signer.h"
#include "globi-test-util.h"

/* Prints the rates of what sign-in and every authenticated request cost: token issue and
 * verification, Argon2id at the default cost, and whole sign-ins and /v1/me requests over
 * HTTP against a real server on loopback. Figures, not a pass/fail test. */

static double seconds = 3.0;
static int concurrency = 8;

static double
elapsed_s (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

static void
bench_tokens (void)
{
  g_autoptr (GlobiTokenSigner) signer =
      globi_token_signer_new ("https://bench.example", "globichat", 900);
  g_autofree char *token = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 start;
  guint64 count = 0;
  double t;

  globi_token_signer_generate_key (signer);

  start = g_get_monotonic_time ();
  do
    {
      for (guint i = 0; i < 100; i++)
        {
          g_free (token);
          token = globi_token_signer_issue (signer, "0190a000-0000-7000-8000-000000000001",
                                            "0190a000-0000-7000-8000-000000000002", now, NULL);
        }
      count += 100;
    }
  while ((t = elapsed_s (start)) < seconds);
  g_print ("token issue:          %10.0f /s  (one core, %zu-byte tokens)\n", count / t,
           strlen (token));

  count = 0;
  start = g_get_monotonic_time ();
  do
    {
      for (guint i = 0; i < 100; i++)
        if (!globi_token_signer_verify (signer, token, now, NULL, NULL, NULL))
          g_error ("A fresh token did not verify");
      count += 100;
    }
  while ((t = elapsed_s (start)) < seconds);
  g_print ("token verify:         %10.0f /s  (one core)\n", count / t);
}

typedef struct
{
  GMainLoop *loop;
  GlobiPasswordHasher *hasher;
  const char *hash;
  gint64 deadline;
  guint in_flight;
  guint64 done;
} HashRun;

static void start_verify (HashRun *run);

static void
on_verified_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HashRun *run = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_password_hasher_verify_finish (run->hasher, result, &error))
    g_error ("Verification failed: %s", error ? error->message : "wrong password");
  run->done++;
  run->in_flight--;
  if (g_get_monotonic_time () < run->deadline)
    start_verify (run);
  else if (run->in_flight == 0)
    g_main_loop_quit (run->loop);
}

static void
start_verify (HashRun *run)
{
  run->in_flight++;
  globi_password_hasher_verify_async (run->hasher, "correct horse battery staple", run->hash, NULL,
                                      on_verified_cb, run);
}

static void
bench_argon2 (void)
{
  char hash[crypto_pwhash_STRBYTES];
  const char *password = "correct horse battery staple";
  g_autoptr (GlobiPasswordHasher) hasher = globi_password_hasher_new (0, 0);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  HashRun run = { loop, hasher, hash, 0, 0, 0 };
  gint64 start;
  guint64 count = 0;
  double t;

  if (crypto_pwhash_str_alg (hash, password, strlen (password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    g_error ("Out of memory");

  start = g_get_monotonic_time ();
  do
    {
      if (crypto_pwhash_str_verify (hash, password, strlen (password)) != 0)
        g_error ("Verification failed");
      count++;
    }
  while ((t = elapsed_s (start)) < seconds);
  g_print ("argon2id verify:      %10.1f /s  (one core, opslimit %u, memlimit %u MiB: %.1f ms "
           "each)\n",
           count / t, (guint) crypto_pwhash_OPSLIMIT_INTERACTIVE,
           (guint) (crypto_pwhash_MEMLIMIT_INTERACTIVE >> 20), 1000.0 * t / count);

  /* Through the hasher's thread pool, as the server does it, with requests queued. */
  run.deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  start = g_get_monotonic_time ();
  for (int i = 0; i < concurrency; i++)
    start_verify (&run);
  g_main_loop_run (loop);
  g_print ("argon2id via pool:    %10.1f /s  (%u cores, %d queued)\n", run.done / elapsed_s (start),
           g_get_num_processors (), concurrency);
}

typedef struct
{
  GMainLoop *loop;
  SoupSession *session;
  char *url;
  GBytes *body; /* NULL: GET */
  char *bearer;
  gint64 deadline;
  guint in_flight;
  guint64 done;
  guint64 failed;
  GArray *latencies_us;
} HttpRun;

static void start_request (HttpRun *run);

typedef struct
{
  HttpRun *run;
  SoupMessage *msg;
  gint64 start;
} Request;

static void
on_response_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Request *request = user_data;
  HttpRun *run = request->run;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  gint64 latency = g_get_monotonic_time () - request->start;

  if (body != NULL && SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (request->msg)))
    {
      run->done++;
      g_array_append_val (run->latencies_us, latency);
    }
  else
    {
      if (run->failed++ == 0)
        g_printerr ("  first failure: %s (status %u)\n", error ? error->message : "",
                    soup_message_get_status (request->msg));
    }
  g_object_unref (request->msg);
  g_free (request);

  run->in_flight--;
  if (g_get_monotonic_time () < run->deadline)
    start_request (run);
  else if (run->in_flight == 0)
    g_main_loop_quit (run->loop);
}

static void
start_request (HttpRun *run)
{
  Request *request = g_new0 (Request, 1);

  request->run = run;
  request->msg = soup_message_new (run->body ? "POST" : "GET", run->url);
  if (run->body != NULL)
    soup_message_set_request_body_from_bytes (request->msg, "application/json", run->body);
  if (run->bearer != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (request->msg), "Authorization",
                                  run->bearer);
  request->start = g_get_monotonic_time ();
  run->in_flight++;
  soup_session_send_and_read_async (run->session, request->msg, G_PRIORITY_DEFAULT, NULL,
                                    on_response_cb, request);
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static void
run_http (const char *label, HttpRun *run)
{
  gint64 start;
  double t;
  gint64 p50 = 0, p99 = 0;

  run->loop = g_main_loop_new (NULL, FALSE);
  run->latencies_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  run->deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  start = g_get_monotonic_time ();
  for (int i = 0; i < concurrency; i++)
    start_request (run);
  g_main_loop_run (run->loop);
  t = elapsed_s (start);

  g_array_sort (run->latencies_us, compare_gint64);
  if (run->latencies_us->len > 0)
    {
      p50 = g_array_index (run->latencies_us, gint64, run->latencies_us->len / 2);
      p99 = g_array_index (run->latencies_us, gint64, run->latencies_us->len * 99 / 100);
    }
  g_print ("%-21s %10.1f /s  (%d in flight; p50 %.1f ms, p99 %.1f ms; %" G_GUINT64_FORMAT
           " failed)\n",
           label, run->done / t, concurrency, p50 / 1000.0, p99 / 1000.0, run->failed);
  g_clear_pointer (&run->loop, g_main_loop_unref);
  g_clear_pointer (&run->latencies_us, g_array_unref);
}

static JsonObject *
post_json (SoupSession *session, const char *url, const char *json)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) body = g_bytes_new (json, strlen (json));
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();

  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  if (reply == NULL || !SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    g_error ("POST %s: %s (status %u)", url, error ? error->message : "",
             soup_message_get_status (msg));
  if (!json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL), g_bytes_get_size (reply),
                                   &error))
    g_error ("POST %s: %s", url, error->message);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
bench_server (void)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GlobiServerThread) thread = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) tokens = NULL;
  g_autofree char *base = NULL;
  g_autofree char *accounts_url = NULL;
  g_autofree char *dir = g_dir_make_tmp ("globi-bench-XXXXXX", &error);
  const char *signin = "{\"username\":\"bench\",\"password\":\"correct horse battery staple\","
                       "\"device_name\":\"bench\"}";
  HttpRun run = { 0 };

  g_assert_no_error (error);
  g_free (config->data_dir);
  config->data_dir = g_strdup (dir);
  config->port = 0;
  /* The bench signs in far more often than a person could. */
  config->signin_failures_per_address = 100000;
  thread = globi_server_thread_new (config, &error);
  if (thread == NULL)
    g_error ("Server did not start: %s", error->message);
  base = globi_server_thread_dup_base_url (thread);
  session = g_object_new (SOUP_TYPE_SESSION, "max-conns", 256, "max-conns-per-host", 256, NULL);

  accounts_url = g_strconcat (base, "/v1/accounts", NULL);
  g_clear_pointer (&tokens, json_object_unref);
  json_object_unref (post_json (session, accounts_url,
                                "{\"username\":\"bench\",\"password\":\"correct horse battery "
                                "staple\",\"display_name\":\"Bench\"}"));

  run.session = session;
  run.url = g_strconcat (base, "/v1/sessions", NULL);
  run.body = g_bytes_new_static (signin, strlen (signin));
  tokens = post_json (session, run.url, signin);
  run_http ("HTTP sign-in:", &run);
  g_clear_pointer (&run.url, g_free);
  g_clear_pointer (&run.body, g_bytes_unref);

  run.done = run.failed = 0;
  run.url = g_strconcat (base, "/v1/me", NULL);
  run.bearer =
      g_strconcat ("Bearer ", json_object_get_string_member (tokens, "access_token"), NULL);
  run_http ("HTTP GET /v1/me:", &run);
  g_clear_pointer (&run.url, g_free);
  g_clear_pointer (&run.bearer, g_free);

  run.done = run.failed = 0;
  run.url = g_strconcat (base, "/healthz", NULL);
  run_http ("HTTP GET /healthz:", &run);
  g_clear_pointer (&run.url, g_free);

  globi_server_thread_stop (thread);
  g_clear_object (&thread);
  globi_test_remove_tree (dir);
}

/* The server logs every request; a bench wants only its figures and real problems. */
static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & G_LOG_LEVEL_MASK) > G_LOG_LEVEL_WARNING)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

int
main (int argc, char *argv[])
{
  gboolean no_server = FALSE;
  const GOptionEntry entries[] = {
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "Run each measurement this long (3)", "S" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &concurrency,
      "Requests in flight for the HTTP and pool runs (8)", "N" },
    { "no-server", 0, 0, G_OPTION_ARG_NONE, &no_server, "Skip the HTTP measurements", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;

  if (sodium_init () < 0)
    return 1;
  g_log_set_writer_func (quiet_writer, NULL, NULL);
  g_option_context_set_summary (context, "Rates of token, password and sign-in work.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  bench_tokens ();
  bench_argon2 ();
  if (!no_server)
    bench_server ();
  return 0;
}
