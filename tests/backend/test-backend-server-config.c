/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "globi-server-config.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("globi-config-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "server.conf", NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  g_unlink (fixture->path);
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static void
write_file (Fixture *fixture, const char *contents)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (fixture->path, contents, -1, &error));
  g_assert_no_error (error);
}

/* Runs parse_args on a copy of the given arguments (argv[0] is added). */
static gboolean
parse (GlobiServerConfig *config, const char *const *args, char ***out_rest, GError **error)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) owned = NULL;
  g_autofree char **argv = NULL;
  int argc;
  gboolean ok;

  g_strv_builder_add (builder, "globichat-server");
  g_strv_builder_addv (builder, (const char **) args);
  owned = g_strv_builder_end (builder);
  /* GOption drops the options it consumed from argv without freeing them, as it does
   * with a real main()'s argv: hand it a shallow copy and free the strings from owned. */
  argc = g_strv_length (owned);
  argv = g_memdup2 (owned, (argc + 1) * sizeof (char *));
  ok = globi_server_config_parse_args (config, &argc, &argv, error);
  g_assert_cmpint (argc, ==, g_strv_length (argv));
  if (out_rest != NULL)
    *out_rest = g_strdupv (argv + 1);
  return ok;
}

static void
test_config_defaults (void)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (config->listen_address, ==, "127.0.0.1");
  g_assert_cmpuint (config->port, ==, 8080);
  g_assert_null (config->data_dir);
  g_assert_null (config->tls_certificate);
  g_assert_null (config->tls_key);
  g_assert_null (config->issuer);
  g_assert_cmpstr (config->log_level, ==, "message");
  g_assert_cmpuint (config->access_token_lifetime, ==, 900);
  g_assert_cmpuint (config->argon2_opslimit, ==, crypto_pwhash_OPSLIMIT_INTERACTIVE);
  g_assert_cmpuint (config->argon2_memlimit, ==, crypto_pwhash_MEMLIMIT_INTERACTIVE);
  g_assert_cmpuint (config->max_body_bytes, ==, 65536);
  g_assert_cmpuint (config->max_avatar_bytes, ==, 5 * 1024 * 1024);
  g_assert_cmpuint (config->max_image_side, ==, 4096);
  g_assert_cmpuint (config->signin_failures_per_account, ==, 5);
  g_assert_cmpuint (config->signin_failures_per_address, ==, 20);
  g_assert_cmpuint (config->signin_window_seconds, ==, 900);
  g_assert_cmpuint (config->registrations_per_address, ==, 10);
  g_assert_cmpuint (config->max_connections, ==, 10000);
  g_assert_cmpuint (config->shutdown_timeout_seconds, ==, 10);
  g_assert_cmpuint (config->envelope_retention_days, ==, 30);
  g_assert_cmpuint (config->max_attachment_bytes, ==, 25 * 1024 * 1024);

  /* The defaults lack only the data directory. */
  g_assert_false (globi_server_config_validate (config, &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, "data"));
  g_clear_error (&error);
  config->data_dir = g_strdup ("/var/lib/globichat");
  g_assert_true (globi_server_config_validate (config, &error));
  g_assert_no_error (error);
}

static void
test_config_file_good (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GlobiServerConfig) copy = NULL;
  g_autoptr (GError) error = NULL;

  write_file (fixture, "# GlobiChat server\n"
                       "[server]\n"
                       "listen-address = 0.0.0.0\n"
                       "port = 9443\n"
                       "data-dir = /srv/globichat\n"
                       "tls-certificate = /etc/ssl/chat.pem\n"
                       "tls-key = /etc/ssl/chat.key\n"
                       "issuer = https://chat.example.org\n"
                       "log-level = debug\n"
                       "[auth]\n"
                       "access-token-lifetime = 600\n"
                       "argon2-opslimit = 3\n"
                       "argon2-memlimit = 131072\n"
                       "[limits]\n"
                       "max-body-bytes = 32768\n"
                       "max-avatar-bytes = 1048576\n"
                       "max-image-side = 2048\n"
                       "signin-failures-per-account = 3\n"
                       "signin-failures-per-address = 30\n"
                       "signin-window-seconds = 60\n"
                       "registrations-per-address = 2\n"
                       "max-connections = 500\n"
                       "envelope-retention-days = 7\n"
                       "max-attachment-bytes = 2048\n"
                       "shutdown-timeout-seconds = 0\n");
  g_assert_true (globi_server_config_load_file (config, fixture->path, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (config->listen_address, ==, "0.0.0.0");
  g_assert_cmpuint (config->port, ==, 9443);
  g_assert_cmpstr (config->data_dir, ==, "/srv/globichat");
  g_assert_cmpstr (config->tls_certificate, ==, "/etc/ssl/chat.pem");
  g_assert_cmpstr (config->tls_key, ==, "/etc/ssl/chat.key");
  g_assert_cmpstr (config->issuer, ==, "https://chat.example.org");
  g_assert_cmpstr (config->log_level, ==, "debug");
  g_assert_cmpuint (config->access_token_lifetime, ==, 600);
  g_assert_cmpuint (config->argon2_opslimit, ==, 3);
  g_assert_cmpuint (config->argon2_memlimit, ==, 131072);
  g_assert_cmpuint (config->max_body_bytes, ==, 32768);
  g_assert_cmpuint (config->max_avatar_bytes, ==, 1048576);
  g_assert_cmpuint (config->max_image_side, ==, 2048);
  g_assert_cmpuint (config->signin_failures_per_account, ==, 3);
  g_assert_cmpuint (config->signin_failures_per_address, ==, 30);
  g_assert_cmpuint (config->signin_window_seconds, ==, 60);
  g_assert_cmpuint (config->registrations_per_address, ==, 2);
  g_assert_cmpuint (config->max_connections, ==, 500);
  g_assert_cmpuint (config->shutdown_timeout_seconds, ==, 0);
  g_assert_cmpuint (config->envelope_retention_days, ==, 7);
  g_assert_cmpuint (config->max_attachment_bytes, ==, 2048);
  g_assert_true (globi_server_config_validate (config, &error));
  g_assert_no_error (error);

  /* A copy owns its strings. */
  copy = globi_server_config_copy (config);
  g_assert_cmpstr (copy->data_dir, ==, config->data_dir);
  g_assert_true (copy->data_dir != config->data_dir);
  g_assert_cmpuint (copy->max_connections, ==, 500);
  g_clear_pointer (&config, globi_server_config_free);
  g_assert_cmpstr (copy->issuer, ==, "https://chat.example.org");
}

static void
test_config_file_partial (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GError) error = NULL;

  /* Keys not in the file keep their defaults; an empty string unsets. */
  write_file (fixture, "[limits]\nmax-connections=7\n[server]\nlisten-address=\n");
  g_assert_true (globi_server_config_load_file (config, fixture->path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->max_connections, ==, 7);
  g_assert_cmpuint (config->port, ==, 8080);
  g_assert_null (config->listen_address);
}

static void
assert_file_rejected (
    Fixture *fixture, const char *contents, GQuark domain, int code, const char *named)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GError) error = NULL;

  write_file (fixture, contents);
  g_assert_false (globi_server_config_load_file (config, fixture->path, &error));
  g_assert_error (error, domain, code);
  if (named != NULL && strstr (error->message, named) == NULL)
    g_error ("“%s” does not name “%s”", error->message, named);
}

static void
test_config_file_unknown (Fixture *fixture, gconstpointer user_data)
{
  assert_file_rejected (fixture, "[server]\nport=1\nlisten-adress=0.0.0.0\n", G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_KEY_NOT_FOUND, "listen-adress");
  assert_file_rejected (fixture, "[server]\nport=1\n[limit]\nmax-connections=3\n", G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_GROUP_NOT_FOUND, "limit");
  /* A key in the wrong group is unknown there. */
  assert_file_rejected (fixture, "[auth]\nport=1\n", G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_KEY_NOT_FOUND, "port");
  /* snake_case is not the spelling. */
  assert_file_rejected (fixture, "[server]\nlisten_address=::\n", G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_KEY_NOT_FOUND, "listen_address");
}

static void
test_config_file_bad_value (Fixture *fixture, gconstpointer user_data)
{
  const struct
  {
    const char *contents;
    const char *named;
  } cases[] = {
    { "[server]\nport=http\n", "port" },
    { "[server]\nport=65536\n", "port" },
    { "[server]\nport=-1\n", "port" },
    { "[server]\nport=80x\n", "port" },
    { "[server]\nlog-level=verbose\n", "log-level" },
    { "[auth]\naccess-token-lifetime=0\n", "access-token-lifetime" },
    { "[auth]\nargon2-opslimit=0\n", "argon2-opslimit" },
    { "[auth]\nargon2-memlimit=100\n", "argon2-memlimit" },
    { "[limits]\nmax-body-bytes=\n", "max-body-bytes" },
    { "[limits]\nmax-connections=99999999999999999999\n", "max-connections" },
    { "[limits]\nmax-image-side=1.5\n", "max-image-side" },
    /* An invalid escape (found by fuzzing: GLib returns a string and an error). */
    { "[server]\nlisten-address=\\s\\er\n", "listen-address" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_file_rejected (fixture, cases[i].contents, G_KEY_FILE_ERROR,
                          G_KEY_FILE_ERROR_INVALID_VALUE, cases[i].named);

  /* Not a key file at all. */
  {
    g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
    g_autoptr (GError) error = NULL;

    write_file (fixture, "port: 8080\n");
    g_assert_false (globi_server_config_load_file (config, fixture->path, &error));
    g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE);
  }
}

static void
test_config_file_missing (void)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GError) error = NULL;

  g_assert_false (globi_server_config_load_file (config, "/nonexistent/globichat.conf", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
test_config_args (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) rest = NULL;
  const char *args[] = { "--config",    fixture->path,
                         "--listen",    "0.0.0.0:9000",
                         "--data",      "/tmp/globi",
                         "--log-level", "info",
                         "--set",       "limits.max-connections=42",
                         "--issuer",    "https://chat.example.org",
                         "serve",       NULL };

  /* The file says port 1234 and 5 connections; the command line wins for both. */
  write_file (fixture, "[server]\nport=1234\nlog-level=debug\n[limits]\nmax-connections=5\n"
                       "max-image-side=1000\n");
  g_assert_true (parse (config, args, &rest, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->listen_address, ==, "0.0.0.0");
  g_assert_cmpuint (config->port, ==, 9000);
  g_assert_cmpstr (config->data_dir, ==, "/tmp/globi");
  g_assert_cmpstr (config->log_level, ==, "info");
  g_assert_cmpuint (config->max_connections, ==, 42);
  g_assert_cmpuint (config->max_image_side, ==, 1000);
  g_assert_cmpstr (config->issuer, ==, "https://chat.example.org");
  /* The subcommand stays. */
  g_assert_cmpuint (g_strv_length (rest), ==, 1);
  g_assert_cmpstr (rest[0], ==, "serve");
  g_assert_true (globi_server_config_validate (config, &error));
  g_assert_no_error (error);
}

static void
test_config_args_listen_forms (void)
{
  const struct
  {
    const char *listen;
    const char *address;
    guint port;
  } cases[] = {
    { "127.0.0.1:0", "127.0.0.1", 0 },
    { "localhost:8081", "localhost", 8081 },
    { "[::1]:8443", "::1", 8443 },
    { "[::]", "::", 8080 },
    { "::", "::", 8080 },
    { "10.1.2.3", "10.1.2.3", 8080 },
    { ":9090", "127.0.0.1", 9090 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
      g_autoptr (GError) error = NULL;
      const char *args[] = { "--listen", cases[i].listen, NULL };

      g_assert_true (parse (config, args, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (config->listen_address, ==, cases[i].address);
      g_assert_cmpuint (config->port, ==, cases[i].port);
    }
}

static void
test_config_args_port_and_tls (void)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GError) error = NULL;
  const char *args[] = { "--port", "0",         "--data-dir", "/d", "--tls-cert",
                         "/c.pem", "--tls-key", "/k.pem",     NULL };

  g_assert_true (parse (config, args, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->port, ==, 0);
  g_assert_cmpstr (config->data_dir, ==, "/d");
  g_assert_cmpstr (config->tls_certificate, ==, "/c.pem");
  g_assert_cmpstr (config->tls_key, ==, "/k.pem");
  g_assert_true (globi_server_config_validate (config, &error));
}

static void
test_config_args_bad (Fixture *fixture, gconstpointer user_data)
{
  const char *missing_config[] = { "--config", "/nonexistent/x.conf", NULL };
  const char *cases[][3] = {
    { "--listen", "host:port", NULL },
    { "--listen", "[::1", NULL },
    { "--listen", "1.2.3.4:70000", NULL },
    { "--port", "-2", NULL },
    { "--port", "65536", NULL },
    { "--log-level", "loud", NULL },
    { "--set", "limits.max-connections", NULL },
    { "--set", "limits.nope=1", NULL },
    { "--set", "nogroup=1", NULL },
    { "--set", "limits.max-connections=0", NULL },
    { "--no-such-option", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
      g_autoptr (GError) error = NULL;

      g_assert_false (parse (config, cases[i], NULL, &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == G_OPTION_ERROR);
    }

  {
    g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
    g_autoptr (GError) error = NULL;

    g_assert_false (parse (config, missing_config, NULL, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  }

  {
    g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
    g_autoptr (GError) error = NULL;
    const char *args[] = { "--config", fixture->path, NULL };

    write_file (fixture, "[server]\nbogus=1\n");
    g_assert_false (parse (config, args, NULL, &error));
    g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND);
  }
}

static void
test_config_validate (void)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GError) error = NULL;

  config->data_dir = g_strdup ("/d");
  g_assert_true (globi_server_config_validate (config, NULL));

  /* A certificate without its key. */
  config->tls_certificate = g_strdup ("/c.pem");
  g_assert_false (globi_server_config_validate (config, &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_clear_error (&error);
  config->tls_key = g_strdup ("/k.pem");
  g_assert_true (globi_server_config_validate (config, NULL));
  g_clear_pointer (&config->tls_certificate, g_free);
  g_assert_false (globi_server_config_validate (config, NULL));
  g_clear_pointer (&config->tls_key, g_free);

  /* Ranges hold for values set in code too. */
  config->argon2_memlimit = 100;
  g_assert_false (globi_server_config_validate (config, &error));
  g_assert_nonnull (strstr (error->message, "argon2-memlimit"));
  g_clear_error (&error);
  config->argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  config->argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  g_assert_true (globi_server_config_validate (config, NULL));

  config->issuer = g_strdup ("chat.example.org");
  g_assert_false (globi_server_config_validate (config, NULL));
  g_clear_pointer (&config->issuer, g_free);

  g_clear_pointer (&config->data_dir, g_free);
  config->data_dir = g_strdup ("");
  g_assert_false (globi_server_config_validate (config, NULL));
}

/* The example in docs/deploy.md is what operators copy: it must parse and validate. */
static void
test_config_deploy_doc (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *doc_path = g_test_build_filename (G_TEST_DIST, "..", "docs", "deploy.md", NULL);
  g_autofree char *doc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  const char *start, *end;
  g_autofree char *example = NULL;

  g_assert_true (g_file_get_contents (doc_path, &doc, NULL, &error));
  g_assert_no_error (error);
  start = strstr (doc, "```ini\n");
  g_assert_nonnull (start);
  start += strlen ("```ini\n");
  end = strstr (start, "```");
  g_assert_nonnull (end);
  example = g_strndup (start, end - start);

  write_file (fixture, example);
  g_assert_true (globi_server_config_load_file (config, fixture->path, &error));
  g_assert_no_error (error);
  g_assert_true (globi_server_config_validate (config, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->issuer, ==, "https://chat.example.org");
}

static void
test_config_help (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
      const char *args[] = { "--help", NULL };

      parse (config, args, NULL, NULL);
      g_assert_not_reached ();
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* Every option and every config key is documented. */
  g_test_trap_assert_stdout ("*--config*--listen*--port*--data*--tls-cert*--tls-key*--issuer*"
                             "--log-level*--set*");
  g_test_trap_assert_stdout ("*[server]*listen-address*port*data-dir*tls-certificate*tls-key*"
                             "issuer*log-level*[auth]*access-token-lifetime*argon2-opslimit*"
                             "argon2-memlimit*[limits]*max-body-bytes*max-avatar-bytes*"
                             "max-image-side*signin-failures-per-account*"
                             "signin-failures-per-address*signin-window-seconds*"
                             "registrations-per-address*max-connections*"
                             "shutdown-timeout-seconds*");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/globi/backend/server-config/defaults", test_config_defaults);
  g_test_add ("/globi/backend/server-config/file-good", Fixture, NULL, fixture_set_up,
              test_config_file_good, fixture_tear_down);
  g_test_add ("/globi/backend/server-config/file-partial", Fixture, NULL, fixture_set_up,
              test_config_file_partial, fixture_tear_down);
  g_test_add ("/globi/backend/server-config/file-unknown", Fixture, NULL, fixture_set_up,
              test_config_file_unknown, fixture_tear_down);
  g_test_add ("/globi/backend/server-config/file-bad-value", Fixture, NULL, fixture_set_up,
              test_config_file_bad_value, fixture_tear_down);
  g_test_add_func ("/globi/backend/server-config/file-missing", test_config_file_missing);
  g_test_add ("/globi/backend/server-config/args", Fixture, NULL, fixture_set_up, test_config_args,
              fixture_tear_down);
  g_test_add_func ("/globi/backend/server-config/args-listen-forms", test_config_args_listen_forms);
  g_test_add_func ("/globi/backend/server-config/args-port-and-tls", test_config_args_port_and_tls);
  g_test_add ("/globi/backend/server-config/args-bad", Fixture, NULL, fixture_set_up,
              test_config_args_bad, fixture_tear_down);
  g_test_add_func ("/globi/backend/server-config/validate", test_config_validate);
  g_test_add ("/globi/backend/server-config/deploy-doc", Fixture, NULL, fixture_set_up,
              test_config_deploy_doc, fixture_tear_down);
  g_test_add_func ("/globi/backend/server-config/help", test_config_help);
  return g_test_run ();
}
