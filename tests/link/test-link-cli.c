/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "core-fixture.h"

/* The CLI contract of docs/cli.md "Linking a device": `link request` prints the URI on its
 * first line and waits; `link approve URI` signs it in; `whoami` and `history` on the new
 * profile show the same account and the history it received. */

#define PASSWORD "cli password 1"

static GSubprocess *
spawn_cli (CoreFixture *f,
           const char *profile,
           GSubprocessFlags flags,
           const char *first_arg,
           va_list args)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = core_fixture_profile (f, profile);
  GSubprocess *proc;

  g_ptr_array_add (argv, g_strdup (GLOBICHAT_CLI_PATH));
  g_ptr_array_add (argv, g_strdup ("--server"));
  g_ptr_array_add (argv, g_strdup (f->base_url));
  g_ptr_array_add (argv, g_strdup ("--profile"));
  g_ptr_array_add (argv, g_strdup (dir));
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_PASSWORD", PASSWORD, TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return proc;
}

/* Runs to the end; returns the exit status and stdout. */
static G_GNUC_NULL_TERMINATED int
run_cli (CoreFixture *f, const char *profile, char **out, const char *first_arg, ...)
{
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  va_list args;
  int status;

  va_start (args, first_arg);
  proc = spawn_cli (f, profile, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                    first_arg, args);
  va_end (args);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  status = g_subprocess_get_exit_status (proc);
  if (status != 0)
    g_test_message ("globichat-cli %s: %d: %s", first_arg, status, stderr_text);
  if (out)
    *out = g_steal_pointer (&stdout_text);
  return status;
}

/* A running `link request`: its first line of output is the code. */
typedef struct
{
  GSubprocess *proc;
  GDataInputStream *out;
} Request;

static G_GNUC_NULL_TERMINATED Request *
start_request (CoreFixture *f, const char *profile, const char *first_arg, ...)
{
  Request *r = g_new0 (Request, 1);
  va_list args;

  va_start (args, first_arg);
  r->proc = spawn_cli (f, profile, G_SUBPROCESS_FLAGS_STDOUT_PIPE, first_arg, args);
  va_end (args);
  r->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (r->proc));
  return r;
}

static char *
read_line (Request *r)
{
  g_autoptr (GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (r->out, NULL, NULL, &error);

  g_assert_no_error (error);
  return line;
}

/* Waits for the process; returns its exit status and the rest of its output. */
static int
finish_request (Request *r, char **rest)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  char *line;
  int status;

  while ((line = read_line (r)) != NULL)
    {
      g_string_append_printf (text, "%s\n", line);
      g_free (line);
    }
  g_subprocess_wait (r->proc, NULL, &error);
  g_assert_no_error (error);
  status = g_subprocess_get_exit_status (r->proc);
  g_object_unref (r->out);
  g_object_unref (r->proc);
  g_free (r);
  if (rest)
    *rest = g_string_free (g_steal_pointer (&text), FALSE);
  return status;
}

static void
setup_friends (CoreFixture *f)
{
  g_assert_cmpint (run_cli (f, "alice", NULL, "register", "alice", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "bob", NULL, "register", "bob", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "alice", NULL, "friend", "request", "bob", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "bob", NULL, "friend", "accept", "alice", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "alice", NULL, "send", "bob", "hello from the old laptop", NULL), ==,
                   0);
}

static void
test_cli_request_approve (CoreFixture *f, gconstpointer data)
{
  g_autofree char *uri = NULL;
  g_autofree char *rest = NULL;
  g_autofree char *whoami = NULL;
  g_autofree char *history = NULL;
  g_autoptr (JsonNode) me = NULL;
  Request *r;

  setup_friends (f);
  r = start_request (f, "new", "link", "request", "--timeout", "60", "--device-name", "CLI laptop",
                     NULL);
  uri = read_line (r);
  g_assert_nonnull (uri);
  g_assert_true (g_str_has_prefix (uri, "globichat://link?t="));

  g_assert_cmpint (run_cli (f, "alice", NULL, "link", "approve", uri, NULL), ==, 0);
  g_assert_cmpint (finish_request (r, &rest), ==, 0);
  g_assert_nonnull (strstr (rest, "alice"));

  g_assert_cmpint (run_cli (f, "new", &whoami, "--json", "whoami", NULL), ==, 0);
  me = json_from_string (whoami, NULL);
  g_assert_nonnull (me);
  g_assert_cmpstr (
      json_object_get_string_member (
          json_object_get_object_member (json_node_get_object (me), "user"), "username"),
      ==, "alice");
  g_assert_cmpint (run_cli (f, "new", &history, "history", "bob", NULL), ==, 0);
  g_assert_nonnull (strstr (history, "hello from the old laptop"));

  /* The same code again: used up. */
  g_assert_cmpint (run_cli (f, "alice", NULL, "link", "approve", uri, NULL), ==, 2);
}

static void
test_cli_decline_and_timeout (CoreFixture *f, gconstpointer data)
{
  g_autofree char *uri = NULL;
  g_autofree char *short_uri = NULL;
  g_autofree char *whoami = NULL;
  Request *r;

  g_assert_cmpint (run_cli (f, "alice", NULL, "register", "alice", NULL), ==, 0);
  r = start_request (f, "new", "link", "request", "--timeout", "60", NULL);
  uri = read_line (r);
  g_assert_true (g_str_has_prefix (uri, "globichat://link?"));
  g_assert_cmpint (run_cli (f, "alice", NULL, "link", "approve", "--decline", uri, NULL), ==, 0);
  g_assert_cmpint (finish_request (r, NULL), ==, 2);
  g_assert_cmpint (run_cli (f, "new", &whoami, "whoami", NULL), !=, 0);

  /* Nobody approves: the code expires and the exit status says so. */
  r = start_request (f, "new", "link", "request", "--timeout", "1", NULL);
  short_uri = read_line (r);
  g_assert_true (g_str_has_prefix (short_uri, "globichat://link?"));
  g_assert_cmpint (finish_request (r, NULL), ==, 2);

  /* Bad input. */
  g_assert_cmpint (run_cli (f, "alice", NULL, "link", "approve", "globichat://add?x", NULL), !=, 0);
  g_assert_cmpint (run_cli (f, "alice", NULL, "link", "approve", NULL), ==, 1);
  g_assert_cmpint (run_cli (f, "new", NULL, "link", "request", "--timeout", "zero", NULL), ==, 1);
  /* Approving needs a signed-in profile. */
  g_assert_cmpint (run_cli (f, "nobody", NULL, "link", "approve", uri, NULL), !=, 0);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/globi/link/cli/request-approve", CoreFixture, NULL, core_fixture_setup,
              test_cli_request_approve, core_fixture_teardown);
  g_test_add ("/globi/link/cli/decline-timeout", CoreFixture, NULL, core_fixture_setup,
              test_cli_decline_and_timeout, core_fixture_teardown);
  return g_test_run ();
}
