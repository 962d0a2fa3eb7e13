/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-wallet"

#include "config.h"

#include <libsoup/soup.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#include "globi-id.h"
#include "globi-server-config.h"
#include "globi-server-private.h"
#include "globi-server-thread.h"
#include "globi-store-wallet.h"
#include "globi-test-util.h"

/* GlobiPay figures (bench/README.md): transfers per second over HTTP and straight through
 * the store, each followed by the audit (the invariants must still hold), then the audit's
 * time on a ledger of a million transactions generated through the store. */

#define PIN      "135790"
#define PASSWORD "bench password"

static double seconds = 3.0;
static int concurrency = 8;
static int n_transactions = 1000000;

static double
elapsed_s (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

typedef struct
{
  char *base_url;
  SoupSession *session;
} Client;

static JsonObject *
call (Client *c,
      const char *method,
      const char *path,
      const char *token,
      const char *body,
      guint *out_status)
{
  g_autofree char *url = g_strconcat (c->base_url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data;

  if (token)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (c->session, msg, NULL, NULL);
  *out_status = soup_message_get_status (msg);
  data = reply ? g_bytes_get_data (reply, &len) : NULL;
  if (len == 0 || !json_parser_load_from_data (parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

typedef struct
{
  char *id;
  char *token;
} User;

static void
sign_up (Client *c, const char *name, User *out)
{
  g_autofree char *body = g_strdup_printf ("{\"username\": \"%s\", \"password\": \"" PASSWORD
                                           "\", \"display_name\": \"%s\"}",
                                           name, name);
  g_autofree char *session = g_strdup_printf (
      "{\"username\": \"%s\", \"password\": \"" PASSWORD "\", \"device_name\": \"bench\"}", name);
  g_autoptr (JsonObject) created = NULL;
  g_autoptr (JsonObject) tokens = NULL;
  guint status = 0;

  created = call (c, "POST", "/v1/accounts", NULL, body, &status);
  g_assert_cmpuint (status, ==, 201);
  tokens = call (c, "POST", "/v1/sessions", NULL, session, &status);
  g_assert_cmpuint (status, ==, 200);
  out->id = g_strdup (json_object_get_string_member (tokens, "user_id"));
  out->token = g_strdup (json_object_get_string_member (tokens, "access_token"));
}

static void
befriend (Client *c, User *a, User *b)
{
  g_autofree char *id = globi_id_new ();
  g_autofree char *body = g_strdup_printf ("{\"id\": \"%s\", \"to\": \"%s\"}", id, b->id);
  g_autofree char *accept = g_strdup_printf ("/v1/friends/requests/%s/accept", id);
  g_autoptr (JsonObject) sent = NULL;
  g_autoptr (JsonObject) accepted = NULL;
  guint status = 0;

  sent = call (c, "POST", "/v1/friends/requests", a->token, body, &status);
  g_assert_cmpuint (status, ==, 201);
  accepted = call (c, "POST", accept, b->token, "", &status);
  g_assert_cmpuint (status, ==, 200);
}

/* The audit on a read-only connection beside the running server; returns its time. */
static double
audit (const char *db_path, gint64 *out_violations, GString *report)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;
  gint64 start = g_get_monotonic_time ();
  double t;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_exec (db, "BEGIN;", NULL, NULL, NULL);
  *out_violations = globi_store_wallet_audit (db, report, &error);
  sqlite3_exec (db, "COMMIT;", NULL, NULL, NULL);
  t = elapsed_s (start);
  sqlite3_close (db);
  g_assert_no_error (error);
  return t;
}

static void
print_audit (const char *what, const char *db_path)
{
  g_autoptr (GString) report = g_string_new (NULL);
  gint64 violations = -1;
  double t = audit (db_path, &violations, report);

  g_print ("  audit after %s: %.2f s, %s", what, t, report->str);
  if (violations != 0)
    g_error ("the ledger is broken after %s", what);
}

/* HTTP: concurrency clients, each its own session, send 1-cent transfers to friends. */

typedef struct
{
  const char *base_url;
  const User *sender;
  User *friends;
  guint n_friends;
  gint64 deadline;
  guint ok, refused;
  GArray *latencies; /* double seconds */
} Worker;

static gpointer
transfer_worker (gpointer data)
{
  Worker *w = data;
  Client c = { (char *) w->base_url, soup_session_new_with_options ("timeout", 60, NULL) };
  guint i = 0;

  while (g_get_monotonic_time () < w->deadline)
    {
      g_autofree char *id = globi_id_new ();
      g_autofree char *body = g_strdup_printf (
          "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", "
          "\"minor\": 1}, \"pin\": \"" PIN "\"}",
          id, w->friends[i++ % w->n_friends].id);
      g_autoptr (JsonObject) reply = NULL;
      guint status = 0;
      gint64 start = g_get_monotonic_time ();
      double t;

      reply = call (&c, "POST", "/v1/wallet/transfers", w->sender->token, body, &status);
      t = elapsed_s (start);
      g_array_append_val (w->latencies, t);
      if (status == 201)
        w->ok++;
      else
        w->refused++;
    }
  g_object_unref (c.session);
  return NULL;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
bench_http (
    const char *base_url, const User *sender, User *friends, guint n_friends, const char *db_path)
{
  g_autofree Worker *workers = g_new0 (Worker, concurrency);
  g_autofree GThread **threads = g_new0 (GThread *, concurrency);
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  gint64 start = g_get_monotonic_time ();
  guint ok = 0, refused = 0;
  double t;

  for (int i = 0; i < concurrency; i++)
    {
      workers[i] = (Worker){
        base_url, sender, friends, n_friends, start + (gint64) (seconds * G_USEC_PER_SEC),
        0,        0,      NULL
      };
      workers[i].latencies = g_array_new (FALSE, FALSE, sizeof (double));
      threads[i] = g_thread_new ("transfer", transfer_worker, &workers[i]);
    }
  for (int i = 0; i < concurrency; i++)
    {
      g_thread_join (threads[i]);
      ok += workers[i].ok;
      refused += workers[i].refused;
      g_array_append_vals (all, workers[i].latencies->data, workers[i].latencies->len);
      g_array_unref (workers[i].latencies);
    }
  t = elapsed_s (start);
  g_array_sort (all, compare_doubles);
  g_print ("HTTP transfers (%d clients, one sending wallet, PIN checked each time):\n",
           concurrency);
  g_print ("  %u in %.1f s: %.0f /s, p50 %.1f ms, p99 %.1f ms, %u refused\n", ok, t, ok / t,
           all->len ? g_array_index (all, double, all->len / 2) * 1000 : 0,
           all->len ? g_array_index (all, double, all->len * 99 / 100) * 1000 : 0, refused);
  print_audit ("the HTTP transfers", db_path);
}

/* Straight through the store: the writer's group commit with many jobs queued. */

typedef struct
{
  GMainLoop *loop;
  guint outstanding;
  guint done;
  guint failed;
  gboolean stop;
} Pump;

static void queue_transfer (GlobiStore *store, Pump *pump, const User *sender, const User *to);

typedef struct
{
  Pump *pump;
  GlobiStore *store;
  const User *sender;
  const User *to;
} JobCtx;

static void
on_transfer_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobCtx *ctx = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiWalletResult) done = globi_store_finish (GLOBI_STORE (source), result, &error);

  ctx->pump->outstanding--;
  if (done && !done->refused)
    ctx->pump->done++;
  else
    ctx->pump->failed++;
  if (!ctx->pump->stop)
    queue_transfer (ctx->store, ctx->pump, ctx->sender, ctx->to);
  else if (ctx->pump->outstanding == 0)
    g_main_loop_quit (ctx->pump->loop);
  g_free (ctx);
}

static void
queue_transfer (GlobiStore *store, Pump *pump, const User *sender, const User *to)
{
  GlobiWalletArgs *args = globi_wallet_args_new ();
  JobCtx *ctx = g_new0 (JobCtx, 1);

  args->user_id = g_strdup (sender->id);
  args->id = globi_id_new ();
  args->other_id = g_strdup (to->id);
  args->currency = g_strdup ("USD");
  args->minor = 1;
  args->pin_ok = TRUE; /* the PIN's Argon2 is the route's business, measured above */
  args->now_ms = g_get_real_time () / 1000;
  *ctx = (JobCtx){ pump, store, sender, to };
  pump->outstanding++;
  globi_store_write_async (store, globi_store_wallet_transfer, args, globi_wallet_args_free,
                           globi_wallet_result_free, on_transfer_cb, ctx);
}

static gboolean
on_stop_cb (gpointer data)
{
  ((Pump *) data)->stop = TRUE;
  return G_SOURCE_REMOVE;
}

static void
bench_store (GlobiStore *store, const User *sender, const User *to, const char *db_path)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  Pump pump = { 0 };
  gint64 start;
  double t;
  GSource *timer;

  g_main_context_push_thread_default (context);
  pump.loop = g_main_loop_new (context, FALSE);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 256; i++)
    queue_transfer (store, &pump, sender, to);
  timer = g_timeout_source_new ((guint) (seconds * 1000));
  g_source_set_callback (timer, on_stop_cb, &pump, NULL);
  g_source_attach (timer, context);
  g_source_unref (timer);
  g_main_loop_run (pump.loop);
  t = elapsed_s (start);
  g_main_loop_unref (pump.loop);
  g_main_context_pop_thread_default (context);
  g_print ("Store transfers (256 jobs queued, group commit, synchronous=FULL):\n");
  g_print ("  %u in %.1f s: %.0f /s (%u refused)\n", pump.done, t, pump.done / t, pump.failed);
  print_audit ("the store transfers", db_path);
}

static void
on_generated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
bench_audit_big (GlobiStore *store, const User *a, const User *b, const char *db_path)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  const guint chunk = 50000;
  gint64 start = g_get_monotonic_time ();
  g_autoptr (GString) report = g_string_new (NULL);
  gint64 violations = -1;
  double t;

  g_main_context_push_thread_default (context);
  for (guint made = 0; made < (guint) n_transactions; made += chunk)
    {
      GlobiWalletArgs *args = globi_wallet_args_new ();
      g_autoptr (GAsyncResult) result = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiWalletResult) done = NULL;

      args->user_id = g_strdup (a->id);
      args->other_id = g_strdup (b->id);
      args->currency = g_strdup ("USD");
      args->minor = 1 + made % 97;
      args->count = MIN (chunk, (guint) n_transactions - made);
      args->now_ms = g_get_real_time () / 1000;
      globi_store_write_async (store, globi_store_wallet_generate, args, globi_wallet_args_free,
                               globi_wallet_result_free, on_generated_cb, &result);
      while (!result)
        g_main_context_iteration (context, TRUE);
      done = globi_store_finish (store, result, &error);
      g_assert_no_error (error);
    }
  g_main_context_pop_thread_default (context);
  g_print ("Generated %d payments through the store in %.1f s\n", n_transactions,
           elapsed_s (start));
  t = audit (db_path, &violations, report);
  g_print ("Audit of the whole ledger: %.2f s: %s", t, report->str);
  if (violations != 0)
    g_error ("the generated ledger is broken");
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Seconds per transfer run (3)", "S" },
    { "concurrency", 0, 0, G_OPTION_ARG_INT, &concurrency, "HTTP clients (8)", "N" },
    { "transactions", 0, 0, G_OPTION_ARG_INT, &n_transactions,
      "Transactions in the audited ledger (1000000)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) options = g_option_context_new ("— GlobiPay benchmarks");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GlobiServerThread) thread = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *db_path = NULL;
  Client c = { NULL, NULL };
  User sender = { 0 }, friends[4] = { { 0 } };
  guint status = 0;

  if (sodium_init () < 0)
    return 1;
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  concurrency = CLAMP (concurrency, 1, 256);
  n_transactions = CLAMP (n_transactions, 0, 100000000);

  data_dir = g_dir_make_tmp ("bench-wallet-XXXXXX", &error);
  g_assert_no_error (error);
  db_path = g_build_filename (data_dir, "globichat.db", NULL);
  g_free (config->data_dir);
  config->data_dir = g_strdup (data_dir);
  config->port = 0;
  /* The PIN's Argon2id at libsodium's minimum: these figures are about the ledger. At the
   * default cost each PIN check takes as long as a sign-in (see bench-auth). */
  config->argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  config->argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  config->registrations_per_address = 1000;
  thread = globi_server_thread_new (config, &error);
  g_assert_no_error (error);
  c.base_url = globi_server_thread_dup_base_url (thread);
  c.session = soup_session_new ();

  sign_up (&c, "sender", &sender);
  for (guint i = 0; i < G_N_ELEMENTS (friends); i++)
    {
      g_autofree char *name = g_strdup_printf ("friend%u", i);

      sign_up (&c, name, &friends[i]);
      befriend (&c, &sender, &friends[i]);
    }
  {
    g_autoptr (JsonObject) set =
        call (&c, "PUT", "/v1/wallet/pin", sender.token, "{\"pin\": \"" PIN "\"}", &status);

    g_assert_cmpuint (status, ==, 204);
  }

  bench_http (c.base_url, &sender, friends, G_N_ELEMENTS (friends), db_path);
  bench_store (globi_server_get_store (globi_server_thread_get_server (thread)), &sender,
               &friends[0], db_path);
  bench_audit_big (globi_server_get_store (globi_server_thread_get_server (thread)), &friends[1],
                   &friends[2], db_path);

  globi_server_thread_stop (thread);
  g_clear_object (&c.session);
  g_free (c.base_url);
  g_free (sender.id);
  g_free (sender.token);
  for (guint i = 0; i < G_N_ELEMENTS (friends); i++)
    {
      g_free (friends[i].id);
      g_free (friends[i].token);
    }
  globi_test_remove_tree (data_dir);
  return 0;
}
