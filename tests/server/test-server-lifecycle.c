/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-server-private.h"
#include "server-fixture.h"

#define PASSWORD "correct horse battery"

static void
test_healthz (Fixture *f, gconstpointer data)
{
  g_autoptr (Reply) reply = fixture_request (f, "GET", "/healthz", NULL, NULL);

  g_autoptr (SoupMessage) head = fixture_message (f, "HEAD", "/healthz", NULL, NULL, NULL);
  g_autoptr (Reply) head_reply = NULL;

  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply_object (reply), "status"), ==, "ok");
  head_reply = fixture_send (f, head);
  g_assert_cmpuint (head_reply->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (head_reply->body), ==, 0);
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr (Reply) unknown = fixture_request (f, "GET", "/v1/nothing-here", NULL, NULL);
  g_autoptr (Reply) wrong_method = fixture_request (f, "DELETE", "/healthz", NULL, NULL);
  g_autoptr (Reply) wrong_method2 = fixture_request (f, "GET", "/v1/accounts", NULL, NULL);

  assert_error (unknown, 404, "not_found");
  assert_error (wrong_method, 405, "method_not_allowed");
  assert_error (wrong_method2, 405, "method_not_allowed");
}

static void
test_metrics (Fixture *f, gconstpointer data)
{
  g_autoptr (Reply) health = fixture_request (f, "GET", "/healthz", NULL, NULL);
  g_autoptr (Reply) missing = fixture_request (f, "GET", "/v1/me", NULL, NULL);
  g_autoptr (Reply) device =
      fixture_request (f, "DELETE", "/v1/devices/01900000-0000-7000-8000-000000000000", NULL, NULL);
  g_autoptr (Reply) metrics = fixture_request (f, "GET", "/metrics", NULL, NULL);
  g_autofree char *text =
      g_strndup (g_bytes_get_data (metrics->body, NULL), g_bytes_get_size (metrics->body));

  g_assert_cmpuint (metrics->status, ==, 200);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (metrics->headers, NULL),
                                   "text/plain"));
  g_assert_nonnull (strstr (text, "# TYPE globichat_http_requests_total counter"));
  g_assert_nonnull (strstr (text, "globichat_http_requests_total{"));
  /* Label values are route templates, never raw paths. */
  g_assert_nonnull (strstr (text, "route=\"/healthz\""));
  g_assert_nonnull (strstr (text, "route=\"/v1/me\""));
  g_assert_nonnull (strstr (text, "route=\"/v1/devices/{id}\""));
  g_assert_null (strstr (text, "01900000-0000-7000-8000-000000000000"));
  g_assert_nonnull (strstr (text, "globichat_http_request_duration_seconds_bucket{"));
  g_assert_nonnull (strstr (text, "globichat_http_connections "));
  g_assert_nonnull (strstr (text, "globichat_errors_total{code=\"unauthorized\"}"));
}

static JsonObject *
decode_segment (const char *segment, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = globi_base64url_decode (segment, len, &error);
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                             g_bytes_get_size (bytes), &error));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Verifies an access token the way any JWT library would: with the published JWKS only. */
static void
test_jwks_verifies_tokens (Fixture *f, gconstpointer data)
{
  g_autofree char *id = fixture_register (f, "alice", PASSWORD);
  g_autofree char *access = NULL;
  g_autoptr (Reply) jwks = fixture_request (f, "GET", "/.well-known/jwks.json", NULL, NULL);
  g_autoptr (JsonObject) header = NULL;
  g_autoptr (JsonObject) claims = NULL;
  g_autoptr (GBytes) x = NULL;
  g_autoptr (GBytes) sig = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *keys;
  JsonObject *key = NULL;
  const char *dot1, *dot2;

  fixture_sign_in (f, "alice", PASSWORD, &access, NULL, NULL);
  dot1 = strchr (access, '.');
  dot2 = strchr (dot1 + 1, '.');
  header = decode_segment (access, dot1 - access);
  claims = decode_segment (dot1 + 1, dot2 - dot1 - 1);
  g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, "EdDSA");
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (claims, "aud"), ==, "globichat");
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, f->base_url);
  g_assert_cmpint (json_object_get_int_member (claims, "exp") -
                       json_object_get_int_member (claims, "iat"),
                   ==, 900);

  g_assert_cmpuint (jwks->status, ==, 200);
  keys = json_object_get_array_member (reply_object (jwks), "keys");
  for (guint i = 0; i < json_array_get_length (keys); i++)
    {
      JsonObject *k = json_array_get_object_element (keys, i);

      if (g_strcmp0 (json_object_get_string_member (k, "kid"),
                     json_object_get_string_member (header, "kid")) == 0)
        key = k;
    }
  g_assert_nonnull (key);
  g_assert_cmpstr (json_object_get_string_member (key, "kty"), ==, "OKP");
  g_assert_cmpstr (json_object_get_string_member (key, "crv"), ==, "Ed25519");
  g_assert_cmpstr (json_object_get_string_member (key, "alg"), ==, "EdDSA");
  x = globi_base64url_decode (json_object_get_string_member (key, "x"),
                              strlen (json_object_get_string_member (key, "x")), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (x), ==, crypto_sign_PUBLICKEYBYTES);
  sig = globi_base64url_decode (dot2 + 1, strlen (dot2 + 1), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (sig), ==, crypto_sign_BYTES);
  g_assert_cmpint (crypto_sign_verify_detached (g_bytes_get_data (sig, NULL),
                                                (const guint8 *) access, dot2 - access,
                                                g_bytes_get_data (x, NULL)),
                   ==, 0);
}

static void
test_restart_keeps_state (void)
{
  Fixture f;
  g_autofree char *id = NULL;
  g_autofree char *access = NULL, *refresh = NULL;
  g_autofree char *access2 = NULL, *device2 = NULL;
  g_autofree char *path = NULL;
  g_autofree char *refresh_body = NULL;

  fixture_init (&f);
  /* A fixed issuer: the restarted server listens on another ephemeral port. */
  f.config->issuer = g_strdup ("https://globichat.test");
  fixture_start (&f);
  id = fixture_register (&f, "alice", PASSWORD);
  fixture_sign_in (&f, "alice", PASSWORD, &access, &refresh, NULL);
  fixture_sign_in (&f, "alice", PASSWORD, &access2, NULL, &device2);
  path = g_strconcat ("/v1/devices/", device2, NULL);
  {
    g_autoptr (Reply) revoked = fixture_request (&f, "DELETE", path, access, NULL);

    g_assert_cmpuint (revoked->status, ==, 204);
  }

  fixture_stop (&f);
  fixture_start (&f);
  {
    g_autoptr (Reply) me = fixture_request (&f, "GET", "/v1/me", access, NULL);
    g_autoptr (Reply) revoked_me = fixture_request (&f, "GET", "/v1/me", access2, NULL);
    g_autoptr (Reply) refreshed = NULL;

    g_assert_cmpuint (me->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (
                         json_object_get_object_member (reply_object (me), "user"), "id"),
                     ==, id);
    assert_error (revoked_me, 401, "unauthorized");
    refresh_body = g_strdup_printf ("{\"refresh_token\": \"%s\"}", refresh);
    refreshed = fixture_request (&f, "POST", "/v1/sessions/refresh", NULL, refresh_body);
    g_assert_cmpuint (refreshed->status, ==, 200);
    fixture_sign_in (&f, "alice", PASSWORD, NULL, NULL, NULL);
  }
  fixture_clear (&f);
}

static char *
stored_hash (const char *data_dir, const char *username)
{
  g_autofree char *path = g_build_filename (data_dir, "globichat.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *hash = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT password_hash FROM users WHERE username = ?1",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, username, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    hash = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return hash;
}

/* A sign-in after the Argon2 cost was raised upgrades the stored hash. */
static void
test_rehash_on_cost_change (void)
{
  Fixture f;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  fixture_init (&f);
  fixture_start (&f);
  g_free (fixture_register (&f, "alice", PASSWORD));
  fixture_stop (&f);
  before = stored_hash (f.data_dir, "alice");
  g_assert_nonnull (strstr (before, "t=1,"));

  f.config->argon2_opslimit = 2;
  fixture_start (&f);
  fixture_sign_in (&f, "alice", PASSWORD, NULL, NULL, NULL);
  /* The upgrade runs after the reply: wait for it (bounded), then sign in with it. */
  for (guint i = 0; i < 500; i++)
    {
      g_free (after);
      after = stored_hash (f.data_dir, "alice");
      if (strstr (after, "t=2,"))
        break;
      g_usleep (10 * 1000);
    }
  g_assert_nonnull (strstr (after, "t=2,"));
  fixture_sign_in (&f, "alice", PASSWORD, NULL, NULL, NULL);
  fixture_clear (&f);
}

typedef struct
{
  gboolean done;
  guint status;
} Pending;

static void
on_pending_reply_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  g_assert_no_error (error);
  pending->status = soup_message_get_status (
      soup_session_get_async_result_message (SOUP_SESSION (source), result));
  pending->done = TRUE;
}

static gint64
count_users (const char *data_dir, const char *username)
{
  g_autofree char *path = g_build_filename (data_dir, "globichat.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_prepare_v2 (db, "SELECT count(*) FROM users WHERE username = ?1", -1, &stmt, NULL),
      ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, username, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

static void
on_shutdown_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *done = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (globi_server_shutdown_finish (GLOBI_SERVER (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
send_pending (Fixture *f, SoupMessage *msg, Pending *pending)
{
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, on_pending_reply_cb,
                                    pending);
}

/* The server runs on this thread's main context here, so the test can act while a
 * shutdown is under way. */
static void
test_graceful_shutdown (void)
{
  Fixture f;
  Pending registration = { 0 };
  Pending health = { 0 };
  gboolean shut_down = FALSE;
  const char *body =
      "{\"username\": \"carol\", \"password\": \"" PASSWORD "\", \"display_name\": \"Carol\"}";
  g_autoptr (GBytes) bytes = g_bytes_new_static (body, strlen (body));
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (SoupMessage) healthz = NULL;
  g_autoptr (GlobiServer) server = NULL;
  g_autoptr (GError) error = NULL;

  fixture_init (&f);
  /* A costly hash keeps the registration in flight while shutdown begins. */
  f.config->argon2_opslimit = 3;
  f.config->argon2_memlimit = 64 * 1024 * 1024;
  server = globi_server_new (f.config, &error);
  g_assert_no_error (error);
  g_assert_true (globi_server_start (server, &error));
  g_assert_no_error (error);
  f.base_url = globi_server_dup_base_url (server);
  f.session = soup_session_new_with_options ("max-conns-per-host", 16, NULL);

  msg = fixture_message (&f, "POST", "/v1/accounts", NULL, "application/json", bytes);
  send_pending (&f, msg, &registration);
  while (globi_server_get_in_flight (server) == 0 && !registration.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (registration.done);

  globi_server_shutdown_async (server, NULL, on_shutdown_cb, &shut_down);
  /* New work is turned away while the old finishes. */
  healthz = fixture_message (&f, "GET", "/healthz", NULL, NULL, NULL);
  send_pending (&f, healthz, &health);
  while (!shut_down || !registration.done || !health.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (health.status, ==, 503);
  g_assert_cmpuint (registration.status, ==, 201);
  /* What was acknowledged is on disk. */
  g_assert_cmpint (count_users (f.data_dir, "carol"), ==, 1);
  g_clear_object (&server);
  fixture_clear (&f);
}

static gboolean
on_accept_certificate_cb (SoupMessage *msg,
                          GTlsCertificate *certificate,
                          GTlsCertificateFlags errors,
                          gpointer user_data)
{
  /* The test's own self-signed certificate. */
  return TRUE;
}

static void
test_tls (void)
{
  Fixture f;
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *url = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  int wait_status = 0;

  if (!openssl)
    {
      g_test_skip ("openssl is not installed");
      return;
    }
  fixture_init (&f);
  cert = g_build_filename (f.data_dir, "cert.pem", NULL);
  key = g_build_filename (f.data_dir, "key.pem", NULL);
  {
    const char *argv[] = { openssl,
                           "req",
                           "-x509",
                           "-newkey",
                           "ec",
                           "-pkeyopt",
                           "ec_paramgen_curve:prime256v1",
                           "-nodes",
                           "-keyout",
                           key,
                           "-out",
                           cert,
                           "-days",
                           "2",
                           "-subj",
                           "/CN=127.0.0.1",
                           NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                                 G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                 NULL, NULL, NULL, &wait_status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  }
  f.config->tls_certificate = g_strdup (cert);
  f.config->tls_key = g_strdup (key);
  fixture_start (&f);
  g_assert_true (g_str_has_prefix (f.base_url, "https://"));

  url = g_strconcat (f.base_url, "/healthz", NULL);
  msg = soup_message_new ("GET", url);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate_cb), NULL);
  body = soup_session_send_and_read (f.session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_nonnull (soup_message_get_tls_peer_certificate (msg));
  fixture_clear (&f);
}

static GMutex log_mutex;
static GString *log_text;

/* Keeps every line the server logs, so a test can read what an operator would. */
static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  g_mutex_lock (&log_mutex);
  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      g_string_append_printf (log_text, "%s=%s ", fields[i].key, (const char *) fields[i].value);
  g_string_append_c (log_text, '\n');
  g_mutex_unlock (&log_mutex);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
test_request_log (Fixture *f, gconstpointer data)
{
  g_autofree char *id = fixture_register (f, "alice", PASSWORD);
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *text = NULL;
  g_autoptr (Reply) me = NULL;
  g_autoptr (Reply) lookup = NULL;

  fixture_sign_in (f, "alice", PASSWORD, &access, &refresh, NULL);
  me = fixture_request (f, "GET", "/v1/me", access, NULL);
  lookup = fixture_request (f, "GET", "/v1/users/lookup?q=secretquery", access, NULL);
  /* The log line is written once the reply is: stop the server to be sure it is out. */
  fixture_stop (f);

  g_mutex_lock (&log_mutex);
  text = g_strdup (log_text->str);
  g_mutex_unlock (&log_mutex);
  g_assert_nonnull (strstr (text, "HTTP_METHOD=POST HTTP_ROUTE=/v1/sessions HTTP_STATUS=200"));
  g_assert_nonnull (strstr (text, "HTTP_ROUTE=/v1/users/lookup HTTP_STATUS=404"));
  g_assert_null (strstr (text, PASSWORD));
  g_assert_null (strstr (text, access));
  g_assert_null (strstr (text, refresh));
  g_assert_null (strstr (text, "secretquery"));
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  log_text = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

#define ADD(path, func) \
  g_test_add ("/globi/server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("meta/healthz", test_healthz);
  ADD ("meta/not-found-and-method", test_not_found);
  ADD ("meta/metrics", test_metrics);
  ADD ("meta/jwks-verifies-tokens", test_jwks_verifies_tokens);
  ADD ("meta/request-log", test_request_log);
#undef ADD
  g_test_add_func ("/globi/server/lifecycle/restart-keeps-state", test_restart_keeps_state);
  g_test_add_func ("/globi/server/lifecycle/rehash-on-cost-change", test_rehash_on_cost_change);
  g_test_add_func ("/globi/server/lifecycle/graceful-shutdown", test_graceful_shutdown);
  g_test_add_func ("/globi/server/lifecycle/tls", test_tls);

  return g_test_run ();
}
