/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>

#include "core-fixture.h"

#define PASSWORD "cli password 1"

typedef struct
{
  int status;
  char *out;
  char *err;
  JsonNode *json; /* stdout (or stderr on failure) as JSON, when it is JSON */
} Run;

static void
run_free (Run *run)
{
  g_free (run->out);
  g_free (run->err);
  g_clear_pointer (&run->json, json_node_unref);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

/* Runs the built globichat-cli with these arguments (NULL-terminated) and environment. */
static Run *
run_cli (const char *password, const char *new_password, const char *first_arg, ...)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                 G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  const char *cli = GLOBICHAT_CLI_PATH;
  Run *run = g_new0 (Run, 1);
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) cli);
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "GLOBICHAT_PASSWORD");
  g_subprocess_launcher_unsetenv (launcher, "GLOBICHAT_NEW_PASSWORD");
  if (password != NULL)
    g_subprocess_launcher_setenv (launcher, "GLOBICHAT_PASSWORD", password, TRUE);
  if (new_password != NULL)
    g_subprocess_launcher_setenv (launcher, "GLOBICHAT_NEW_PASSWORD", new_password, TRUE);

  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  /* A crash names itself, with what the CLI printed before it. */
  if (!g_subprocess_get_if_exited (proc))
    g_error ("globichat-cli %s: killed by signal %d: %s", first_arg,
             g_subprocess_get_term_sig (proc), run->err);
  run->status = g_subprocess_get_exit_status (proc);
  run->json = json_from_string (run->status == 0 ? run->out : run->err, NULL);
  if (run->status != 0)
    g_test_message ("globichat-cli %s: %d: %s", first_arg, run->status, run->err);
  return run;
}

static const char *
json_path_string (JsonNode *node, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, ".", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_assert_nonnull (node);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      node = json_object_get_member (json_node_get_object (node), parts[i]);
    }
  g_assert_nonnull (node);
  return json_node_get_string (node);
}

static void
test_cli_end_to_end (CoreFixture *f, gconstpointer data)
{
  g_autofree char *profile = core_fixture_profile (f, "cli");
  g_autofree char *other = core_fixture_profile (f, "cli-other");
  g_autofree char *creds = g_build_filename (profile, "credentials.json", NULL);
  JsonArray *devices;
  GStatBuf st;

  {
    g_autoptr (Run) run =
        run_cli (PASSWORD, NULL, "--server", f->base_url, "--profile", profile, "--json",
                 "register", "carol", "--display-name", "Carol Smith", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (json_path_string (run->json, "user.username"), ==, "carol");
    g_assert_cmpstr (json_path_string (run->json, "user.display_name"), ==, "Carol Smith");
    g_assert_cmpstr (json_path_string (run->json, "server_url"), ==, f->base_url);
    g_assert_cmpstr (json_path_string (run->json, "credential_backend"), ==, "file");
  }

  /* The sign-in is kept in a file only its owner can read. */
  g_assert_cmpint (g_stat (creds, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  {
    /* No --server: the profile remembers it. */
    g_autoptr (Run) run = run_cli (NULL, NULL, "--profile", profile, "--json", "whoami", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (json_path_string (run->json, "user.username"), ==, "carol");
  }

  {
    g_autoptr (Run) run = run_cli (NULL, NULL, "--profile", profile, "--json", "profile", "set",
                                   "bio", "Hello from the CLI", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (json_path_string (run->json, "user.bio"), ==, "Hello from the CLI");
  }

  {
    g_autoptr (Run) run = run_cli (NULL, NULL, "--profile", profile, "--json", "profile", "set",
                                   "who-can-add", "friends-of-friends", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (json_path_string (run->json, "user.privacy.who_can_add"), ==,
                     "friends_of_friends");
  }

  {
    /* The server says no: exit status 2 and the protocol's error code on stderr. */
    g_autoptr (Run) run = run_cli (NULL, NULL, "--profile", profile, "--json", "profile", "set",
                                   "currency", "XXQ", NULL);
    g_assert_cmpint (run->status, ==, 2);
    g_assert_cmpstr (json_path_string (run->json, "error.code"), ==, "invalid_field");
    g_assert_cmpstr (run->out, ==, "");
  }

  {
    g_autoptr (Run) run = run_cli (NULL, NULL, "--profile", profile, "profile", "show", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_nonnull (strstr (run->out, "Hello from the CLI"));
  }

  {
    g_autoptr (Run) run = run_cli (NULL, NULL, "--profile", profile, "--json", "profile", "set",
                                   "favourite-colour", "blue", NULL);
    g_assert_cmpint (run->status, ==, 1);
    g_assert_cmpstr (json_path_string (run->json, "error.code"), ==, "usage");
  }

  {
    g_autoptr (Run) run = run_cli (PASSWORD, NULL, "--server", f->base_url, "--profile", other,
                                   "--json", "login", "carol", "--device-name", "Second", NULL);
    g_assert_cmpint (run->status, ==, 0);
  }

  {
    g_autoptr (Run) run =
        run_cli (NULL, NULL, "--profile", profile, "--json", "devices", "list", NULL);
    guint current = 0;

    g_assert_cmpint (run->status, ==, 0);
    devices = json_object_get_array_member (json_node_get_object (run->json), "devices");
    g_assert_cmpuint (json_array_get_length (devices), ==, 2);
    for (guint i = 0; i < 2; i++)
      current +=
          json_object_get_boolean_member (json_array_get_object_element (devices, i), "current");
    g_assert_cmpuint (current, ==, 1);
  }

  {
    g_autoptr (Run) run =
        run_cli (NULL, NULL, "--profile", profile, "--json", "lookup", "carol", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (json_path_string (run->json, "user.display_name"), ==, "Carol Smith");
  }

  {
    g_autoptr (Run) run =
        run_cli (NULL, NULL, "--profile", profile, "--json", "lookup", "nobody.here", NULL);
    g_assert_cmpint (run->status, ==, 2);
    g_assert_cmpstr (json_path_string (run->json, "error.code"), ==, "not_found");
  }

  {
    g_autoptr (Run) run = run_cli ("wrong password", NULL, "--server", f->base_url, "--profile",
                                   other, "--json", "login", "carol", NULL);
    g_assert_cmpint (run->status, ==, 2);
    g_assert_cmpstr (json_path_string (run->json, "error.code"), ==, "invalid_credentials");
  }

  {
    g_autoptr (Run) run = run_cli (PASSWORD, "cli password 2", "--profile", profile, "--json",
                                   "password", "change", NULL);
    g_assert_cmpint (run->status, ==, 0);
  }

  {
    g_autoptr (Run) run = run_cli (NULL, NULL, "--profile", profile, "--json", "logout", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_false (g_file_test (creds, G_FILE_TEST_EXISTS));
  }

  {
    g_autoptr (Run) run = run_cli (NULL, NULL, "--profile", profile, "--json", "whoami", NULL);
    g_assert_cmpint (run->status, ==, 1);
  }

  {
    g_autoptr (Run) run = run_cli ("cli password 2", NULL, "--server", f->base_url, "--profile",
                                   profile, "login", "carol", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_nonnull (strstr (run->out, "carol"));
  }
}

static void
test_cli_errors (CoreFixture *f, gconstpointer data)
{
  g_autofree char *profile = core_fixture_profile (f, "cli");

  {
    /* Nobody listens on the discard port: a network failure, exit status 3. */
    g_autoptr (Run) run = run_cli (PASSWORD, NULL, "--server", "http://127.0.0.1:9", "--profile",
                                   profile, "--json", "login", "dave", NULL);
    g_assert_cmpint (run->status, ==, 3);
    g_assert_cmpstr (json_path_string (run->json, "error.code"), ==, "network");
  }

  {
    /* No password in the environment and no terminal. */
    g_autoptr (Run) run =
        run_cli (NULL, NULL, "--server", f->base_url, "--profile", profile, "login", "dave", NULL);
    g_assert_cmpint (run->status, ==, 1);
    g_assert_nonnull (strstr (run->err, "GLOBICHAT_PASSWORD"));
  }

  {
    g_autoptr (Run) run = run_cli (NULL, NULL, "--profile", profile, "frobnicate", NULL);
    g_assert_cmpint (run->status, ==, 1);
  }

  {
    g_autoptr (Run) run = run_cli (NULL, NULL, "--help", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_nonnull (strstr (run->out, "devices revoke ID"));
  }

  {
    g_autoptr (Run) run = run_cli (NULL, NULL, "profile", "set", "--help", NULL);
    g_assert_cmpint (run->status, ==, 0);
    g_assert_nonnull (strstr (run->out, "who-can-add"));
  }
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/globi/core/cli/end-to-end", CoreFixture, NULL, core_fixture_setup,
              test_cli_end_to_end, core_fixture_teardown);
  g_test_add ("/globi/core/cli/errors", CoreFixture, NULL, core_fixture_setup, test_cli_errors,
              core_fixture_teardown);

  return g_test_run ();
}
