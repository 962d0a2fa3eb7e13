/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "core-fixture.h"
#include "globi-qr-code.h"

#define PASSWORD "cli password 1"

/* The contract scripts rely on: `qr scan FILE --json` prints {"text", "kind"} for a PNG
 * or JPEG with a QR code and exits non-zero with a clear message without one; `qr friend`
 * and `qr add` against a real server, through the built globichat-cli. */

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

static Run *
run_cli (const char *first_arg, ...)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  Run *run = g_new0 (Run, 1);
  va_list args;

  g_ptr_array_add (argv, (char *) GLOBICHAT_CLI_PATH);
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_PASSWORD", PASSWORD, TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (proc);
  run->json = json_from_string (run->status == 0 ? run->out : run->err, NULL);
  if (run->status != 0)
    g_test_message ("globichat-cli %s: %d: %s", first_arg, run->status, run->err);
  return run;
}

static const char *
member (Run *run, const char *object, const char *name)
{
  JsonObject *obj = NULL;

  g_assert_nonnull (run->json);
  obj = json_node_get_object (run->json);
  if (object)
    obj = json_object_get_object_member (obj, object);
  return json_object_get_string_member (obj, name);
}

static char *
write_code (CoreFixture *f, const char *name, const char *text, const char *format)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiQrCode) code = globi_qr_code_new (text, GLOBI_QR_ECC_M, &error);
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  char *path = g_build_filename (f->tmp_dir, name, NULL);

  g_assert_no_error (error);
  pixbuf = globi_qr_code_render (code, 4, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, format, &error, NULL));
  g_assert_no_error (error);
  return path;
}

static void
test_scan_contract (CoreFixture *f, gconstpointer data)
{
  static const struct
  {
    const char *text;
    const char *kind;
    const char *format;
  } cases[] = {
    { "globichat://add?u=01932c4e-7a1b-7c3d-8e4f-0123456789ab&c=AbCdEfGhIjKlMnOpQrStUv", "add",
      "png" },
    { "globichat://join?group=01932c4e-7a1b-7c3d-8e4f-0123456789ab&"
      "token=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
      "join", "jpeg" },
    { "globichat://link?t=abc&k=def", "link", "png" },
    { "globichat://wallet", "section", "jpeg" },
    { "00020101021229300012D156000000000510A93FO3230Q5802CN5914BEST TRANSPORT6304A13A", "payment",
      "png" },
    { "https://example.org/menu", "unknown", "png" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("code%u.%s", i, cases[i].format);
      g_autofree char *path = write_code (f, name, cases[i].text, cases[i].format);
      g_autoptr (Run) run = run_cli ("--json", "qr", "scan", path, NULL);
      g_autoptr (Run) plain = run_cli ("qr", "scan", path, NULL);
      g_autofree char *expected = g_strdup_printf ("%s\nKind: %s\n", cases[i].text, cases[i].kind);

      g_assert_cmpint (run->status, ==, 0);
      g_assert_cmpstr (member (run, NULL, "text"), ==, cases[i].text);
      g_assert_cmpstr (member (run, NULL, "kind"), ==, cases[i].kind);
      g_assert_cmpint (plain->status, ==, 0);
      g_assert_cmpstr (plain->out, ==, expected);
    }

  /* The contract writes --json after the file. */
  {
    g_autofree char *path = write_code (f, "after.png", "globichat://chats", "png");
    g_autoptr (Run) run = run_cli ("qr", "scan", path, "--json", NULL);

    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (member (run, NULL, "text"), ==, "globichat://chats");
    g_assert_cmpstr (member (run, NULL, "kind"), ==, "section");
  }
}

static void
test_scan_failures (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GdkPixbuf) blank = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 120, 90);
  g_autofree char *blank_path = g_build_filename (f->tmp_dir, "blank.png", NULL);
  g_autofree char *text_path = g_build_filename (f->tmp_dir, "notes.txt", NULL);
  g_autofree char *bad_link = write_code (f, "bad.png", "globichat://add?u=me", "png");

  gdk_pixbuf_fill (blank, 0xffffffff);
  g_assert_true (gdk_pixbuf_save (blank, blank_path, "png", NULL, NULL));
  g_assert_true (g_file_set_contents (text_path, "not an image", -1, NULL));

  {
    g_autoptr (Run) run = run_cli ("--json", "qr", "scan", blank_path, NULL);

    g_assert_cmpint (run->status, ==, 4);
    g_assert_cmpstr (member (run, "error", "code"), ==, "no_qr_code");
    g_assert_cmpstr (run->out, ==, "");
  }
  {
    g_autoptr (Run) run = run_cli ("qr", "scan", blank_path, NULL);

    g_assert_cmpint (run->status, ==, 4);
    g_assert_nonnull (strstr (run->err, "No QR code found in the image"));
  }
  {
    g_autoptr (Run) run = run_cli ("--json", "qr", "scan", text_path, NULL);

    g_assert_cmpint (run->status, ==, 4);
    g_assert_cmpstr (member (run, "error", "code"), ==, "local");
  }
  {
    g_autoptr (Run) run = run_cli ("--json", "qr", "scan", bad_link, NULL);

    g_assert_cmpint (run->status, ==, 4);
    g_assert_cmpstr (member (run, "error", "code"), ==, "invalid_code");
  }
  {
    g_autoptr (Run) run = run_cli ("--json", "qr", "scan", NULL);

    g_assert_cmpint (run->status, ==, 1);
  }
}

/* Alice's card as a PNG, read back, used by Bob; a reset card stops working. */
static void
test_friend_cards (CoreFixture *f, gconstpointer data)
{
  g_autofree char *alice = core_fixture_profile (f, "alice");
  g_autofree char *bob = core_fixture_profile (f, "bob");
  g_autofree char *png = g_build_filename (f->tmp_dir, "alice-card.png", NULL);
  g_autofree char *uri = NULL;

  {
    g_autoptr (Run) a =
        run_cli ("--server", f->base_url, "--profile", alice, "register", "alice", NULL);
    g_autoptr (Run) b =
        run_cli ("--server", f->base_url, "--profile", bob, "register", "bob", NULL);

    g_assert_cmpint (a->status, ==, 0);
    g_assert_cmpint (b->status, ==, 0);
  }
  {
    g_autoptr (Run) run =
        run_cli ("--profile", alice, "--json", "qr", "friend", "--png", png, "--size", "300", NULL);
    g_autoptr (GdkPixbuf) image = NULL;

    g_assert_cmpint (run->status, ==, 0);
    uri = g_strdup (member (run, NULL, "uri"));
    g_assert_true (g_str_has_prefix (uri, "globichat://add?u="));
    image = gdk_pixbuf_new_from_file (png, NULL);
    g_assert_nonnull (image);
    g_assert_cmpint (gdk_pixbuf_get_width (image), <=, 300);
    g_assert_cmpint (gdk_pixbuf_get_width (image), >=, 150);
  }
  {
    g_autoptr (Run) run = run_cli ("--json", "qr", "scan", png, NULL);

    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (member (run, NULL, "text"), ==, uri);
    g_assert_cmpstr (member (run, NULL, "kind"), ==, "add");
  }
  {
    g_autoptr (Run) reset = run_cli ("--profile", alice, "--json", "qr", "friend", "--reset", NULL);
    g_autoptr (Run) stale = run_cli ("--profile", bob, "--json", "qr", "add", uri, NULL);

    g_assert_cmpint (reset->status, ==, 0);
    g_assert_cmpstr (member (reset, NULL, "uri"), !=, uri);
    g_assert_cmpint (stale->status, ==, 2);
    g_assert_cmpstr (member (stale, "error", "code"), ==, "not_found");
    g_free (uri);
    uri = g_strdup (member (reset, NULL, "uri"));
  }
  {
    g_autoptr (Run) run = run_cli ("--profile", bob, "--json", "qr", "add", uri, "--greeting",
                                   "hi from a QR code", NULL);

    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (member (run, NULL, "requested"), ==, "alice");
  }
  {
    g_autoptr (Run) run =
        run_cli ("--profile", bob, "--json", "qr", "add", "globichat://chats", NULL);

    g_assert_cmpint (run->status, ==, 1);
  }
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                           \
  g_test_add ("/globi/qr/cli/" path, CoreFixture, NULL, core_fixture_setup, func, \
              core_fixture_teardown)
  ADD ("scan-contract", test_scan_contract);
  ADD ("scan-failures", test_scan_failures);
  ADD ("friend-cards", test_friend_cards);
#undef ADD
  return g_test_run ();
}
