/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "core-fixture.h"

#define PASSWORD "cli password 1"

/* Runs the built globichat-cli against the fixture's server with a profile; returns the
 * exit status and stdout. */
static int
run_cli (CoreFixture *f, const char *profile, char **out, const char *first_arg, ...)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = core_fixture_profile (f, profile);
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  const char *arg;
  va_list args;
  int status;

  g_ptr_array_add (argv, g_strdup (GLOBICHAT_CLI_PATH));
  g_ptr_array_add (argv, g_strdup ("--server"));
  g_ptr_array_add (argv, g_strdup (f->base_url));
  g_ptr_array_add (argv, g_strdup ("--profile"));
  g_ptr_array_add (argv, g_strdup (dir));
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_PASSWORD", PASSWORD, TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  status = g_subprocess_get_exit_status (proc);
  if (status != 0)
    g_test_message ("globichat-cli %s: %d: %s", first_arg, status, stderr_text);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return status;
}

static JsonObject *
parse_line (const char *line)
{
  g_autoptr (JsonNode) node = json_from_string (line, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* The "Contract that scripts rely on" of issue 3, as a script would run it. */
static void
test_cli_script_contract (CoreFixture *f, gconstpointer data)
{
  g_autofree char *group_out = NULL;
  g_autofree char *sync_out = NULL;
  g_autofree char *again_out = NULL;
  g_autoptr (JsonObject) group = NULL;
  g_auto (GStrv) lines = NULL;
  const char *group_id;
  guint n = 0;

  g_assert_cmpint (run_cli (f, "a", NULL, "register", "alice", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "b", NULL, "register", "bob", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "c", NULL, "register", "carol", NULL), ==, 0);
  /* A second profile of bob's: login works as well as register. */
  g_assert_cmpint (run_cli (f, "b2", NULL, "login", "bob", NULL), ==, 0);

  g_assert_cmpint (run_cli (f, "a", NULL, "friend", "request", "bob", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "b", NULL, "friend", "accept", "alice", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "a", NULL, "friend", "request", "carol", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "c", NULL, "friend", "accept", "alice", NULL), ==, 0);
  /* Not a friend: refused with exit status 2. */
  g_assert_cmpint (run_cli (f, "b", NULL, "send", "carol", "hello?", NULL), ==, 2);

  g_assert_cmpint (run_cli (f, "a", NULL, "send", "bob", "hello bob", NULL), ==, 0);
  g_assert_cmpint (
      run_cli (f, "a", &group_out, "--json", "group", "create", "Team", "bob", "carol", NULL), ==,
      0);
  group = parse_line (group_out);
  group_id = json_object_get_string_member (group, "id");
  g_assert_nonnull (group_id);
  g_assert_cmpint (run_cli (f, "a", NULL, "send", "--group", group_id, "hello team", NULL), ==, 0);

  g_assert_cmpint (run_cli (f, "b", &sync_out, "--json", "sync", NULL), ==, 0);
  lines = g_strsplit (g_strstrip (sync_out), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (JsonObject) m = parse_line (lines[i]);
      const char *fields[] = { "id", "chat", "sender", "text" };

      for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
        g_assert_nonnull (json_object_get_string_member (m, fields[k]));
      g_assert_cmpint (json_object_get_int_member (m, "sent_at"), >, 0);
      g_assert_cmpstr (json_object_get_string_member (m, "sender"), ==, "alice");
      g_assert_cmpstr (json_object_get_string_member (m, "text"), ==,
                       i == 0 ? "hello bob" : "hello team");
      n++;
    }
  /* Oldest first, both messages, then nothing more: they were acknowledged. */
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (run_cli (f, "b", &again_out, "--json", "sync", NULL), ==, 0);
  g_assert_cmpstr (g_strstrip (again_out), ==, "");
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/globi/sync/cli/script-contract", CoreFixture, NULL, core_fixture_setup,
              test_cli_script_contract, core_fixture_teardown);
  return g_test_run ();
}
