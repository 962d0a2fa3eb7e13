/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-emvco.h"
#include "core-fixture.h"

/* The scripts' contract (issue 5, docs/cli.md "Wallet"): the built globichat-cli against a
 * real server, as a script would run it. */

#define PASSWORD "correct horse battery"
#define PIN      "864200"

/* The example of the Brazilian central bank's PIX manual. */
#define PIX_EXAMPLE                                                                               \
  "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913" \
  "Fulano de Tal6008BRASILIA62070503***63041D3D"

/* Runs the CLI with --server and --profile (when profile is not NULL); returns the exit
 * status and stdout/stderr (owned). pin sets GLOBICHAT_PIN. */
static int
run_cli (CoreFixture *f,
         const char *profile,
         const char *pin,
         char **out,
         char **err,
         const char *first_arg,
         ...)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, g_strdup (GLOBICHAT_CLI_PATH));
  if (profile)
    {
      g_autofree char *dir = g_build_filename (f->tmp_dir, profile, NULL);

      g_ptr_array_add (argv, g_strdup ("--server"));
      g_ptr_array_add (argv, g_strdup (f->base_url));
      g_ptr_array_add (argv, g_strdup ("--profile"));
      g_ptr_array_add (argv, g_steal_pointer (&dir));
    }
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_PASSWORD", PASSWORD, TRUE);
  g_subprocess_launcher_setenv (launcher, "GLOBICHAT_NEW_PIN", PIN, TRUE);
  if (pin)
    g_subprocess_launcher_setenv (launcher, "GLOBICHAT_PIN", pin, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "GLOBICHAT_PIN");
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_exit_status (proc) != 0)
    g_test_message ("globichat-cli %s: %d: %s", first_arg, g_subprocess_get_exit_status (proc),
                    stderr_text);
  if (out)
    *out = g_steal_pointer (&stdout_text);
  if (err)
    *err = g_steal_pointer (&stderr_text);
  return g_subprocess_get_exit_status (proc);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static void
make_friends (CoreFixture *f)
{
  g_assert_cmpint (run_cli (f, "alice", NULL, NULL, NULL, "register", "alice", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "bob", NULL, NULL, NULL, "register", "bob", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "alice", NULL, NULL, NULL, "friend", "request", "bob", NULL), ==, 0);
  g_assert_cmpint (run_cli (f, "bob", NULL, NULL, NULL, "friend", "accept", "alice", NULL), ==, 0);
}

static void
test_pay_decode (CoreFixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *bad = g_strdup (PIX_EXAMPLE);
  g_autoptr (JsonObject) fields = NULL;

  g_assert_cmpint (
      run_cli (f, NULL, NULL, &out, NULL, "pay", "decode", PIX_EXAMPLE, "--json", NULL), ==, 0);
  fields = parse_object (out);
  g_assert_true (json_object_get_boolean_member (fields, "crc_valid"));
  g_assert_cmpstr (json_object_get_string_member (fields, "00"), ==, "01");
  g_assert_cmpstr (json_object_get_string_member (fields, "59"), ==, "Fulano de Tal");
  g_assert_cmpstr (json_object_get_string_member (fields, "63"), ==, "1D3D");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (fields, "26"), "00"), ==,
      "br.gov.bcb.pix");
  g_assert_false (json_object_get_boolean_member (fields, "payable"));
  g_clear_pointer (&fields, json_object_unref);
  g_clear_pointer (&out, g_free);

  /* A wrong CRC: non-zero, the fields still shown with crc_valid false, the problem named. */
  bad[strlen (bad) - 1] = '0';
  g_assert_cmpint (run_cli (f, NULL, NULL, &out, &err, "pay", "decode", bad, "--json", NULL), !=,
                   0);
  fields = parse_object (out);
  g_assert_false (json_object_get_boolean_member (fields, "crc_valid"));
  g_assert_nonnull (strstr (err, "bad_crc"));
  g_assert_nonnull (strstr (err, "CRC"));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);

  /* Broken TLV: non-zero with the reason, nothing on stdout. */
  g_assert_cmpint (run_cli (f, NULL, NULL, &out, &err, "pay", "decode", "0002015913Fulan", NULL),
                   !=, 0);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "Truncated"));
}

static void
test_balance_transfer_accept (CoreFixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) balance = NULL;
  g_autoptr (JsonObject) sent = NULL;
  JsonObject *money;
  const char *id;

  make_friends (f);
  g_assert_cmpint (run_cli (f, "alice", NULL, &out, NULL, "wallet", "balance", "--json", NULL), ==,
                   0);
  balance = parse_object (out);
  money = json_array_get_object_element (json_object_get_array_member (balance, "balances"), 0);
  g_assert_cmpstr (json_object_get_string_member (money, "currency"), ==, "USD");
  g_assert_cmpint (json_object_get_int_member (money, "minor"), ==, 100000);
  g_assert_cmpstr (json_object_get_string_member (money, "text"), ==, "$1,000.00");
  g_clear_pointer (&out, g_free);

  /* No PIN in the environment and no terminal: refused before anything moves. */
  g_assert_cmpint (
      run_cli (f, "alice", NULL, NULL, &err, "wallet", "transfer", "bob", "12.50", "USD", NULL), ==,
      1);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (f, "alice", NULL, NULL, NULL, "wallet", "pin", NULL), ==, 0);
  /* Bad amounts for the currency's minor unit are usage errors. */
  g_assert_cmpint (
      run_cli (f, "alice", PIN, NULL, NULL, "wallet", "transfer", "bob", "1.005", "USD", NULL), ==,
      1);
  g_assert_cmpint (
      run_cli (f, "alice", PIN, NULL, NULL, "wallet", "transfer", "bob", "1.5", "JPY", NULL), ==,
      1);
  /* A wrong PIN is refused by the server (exit 2). */
  g_assert_cmpint (
      run_cli (f, "alice", "000000", NULL, &err, "wallet", "transfer", "bob", "1", "USD", NULL), ==,
      2);
  g_assert_nonnull (strstr (err, "PIN"));

  g_assert_cmpint (run_cli (f, "alice", PIN, &out, NULL, "--json", "wallet", "transfer", "bob",
                            "12.50", "USD", "--note", "lunch", NULL),
                   ==, 0);
  sent = parse_object (out);
  sent = json_object_ref (json_object_get_object_member (sent, "transaction"));
  g_assert_cmpstr (json_object_get_string_member (sent, "state"), ==, "pending");
  g_assert_cmpstr (json_object_get_string_member (sent, "note"), ==, "lunch");
  id = json_object_get_string_member (sent, "id");
  g_clear_pointer (&out, g_free);

  /* The transfer's card arrived in Bob's chat with Alice. */
  g_assert_cmpint (run_cli (f, "bob", NULL, &out, NULL, "--json", "sync", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"kind\":\"card\""));
  g_assert_nonnull (strstr (out, id));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run_cli (f, "bob", NULL, &out, NULL, "wallet", "accept", id, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "$12.50"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (f, "bob", NULL, &out, NULL, "wallet", "balance", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "$1,012.50"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (f, "alice", NULL, &out, NULL, "--json", "wallet", "history", "--kind",
                            "transfer", NULL),
                   ==, 0);
  g_assert_nonnull (strstr (out, "\"completed\""));
}

static void
test_convert (CoreFixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autoptr (JsonObject) reply = NULL;
  JsonObject *converted;

  g_assert_cmpint (run_cli (f, "alice", NULL, NULL, NULL, "register", "alice", NULL), ==, 0);
  g_assert_cmpint (
      run_cli (f, "alice", NULL, &out, NULL, "wallet", "convert", "100", "USD", "EUR", NULL), ==,
      0);
  /* "$100.00 = €NN.NN (1 USD = R EUR, rates of YYYY-MM-DD)" */
  g_assert_true (g_str_has_prefix (out, "$100.00 = €"));
  g_assert_nonnull (strstr (out, "rates of 20"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run_cli (f, "alice", NULL, &out, NULL, "--json", "wallet", "convert", "1000",
                            "JPY", "usd", NULL),
                   ==, 0);
  reply = parse_object (out);
  converted = json_object_get_object_member (reply, "converted");
  g_assert_cmpstr (json_object_get_string_member (converted, "currency"), ==, "USD");
  g_assert_cmpint (json_object_get_int_member (converted, "minor"), >, 0);
  g_assert_nonnull (json_object_get_string_member (reply, "rate_date"));
  g_assert_cmpint (
      run_cli (f, "alice", NULL, NULL, NULL, "wallet", "convert", "1", "USD", "XYZ", NULL), ==, 1);
}

static void
test_pay_code_and_scan (CoreFixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *png = g_build_filename (f->tmp_dir, "bob-code.png", NULL);
  g_autoptr (GlobiEmvcoCode) code = NULL;
  g_autoptr (GError) error = NULL;

  make_friends (f);
  g_assert_cmpint (run_cli (f, "bob", NULL, &out, NULL, "pay", "code", "--amount", "2.50",
                            "--currency", "USD", "--note", "tea", "--png", png, NULL),
                   ==, 0);
  g_strstrip (out);
  code = globi_emvco_decode (out, &error);
  g_assert_no_error (error);
  g_assert_true (code->globipay);
  g_assert_cmpstr (code->amount, ==, "2.50");
  g_assert_cmpstr (code->currency, ==, "840");
  g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));

  g_assert_cmpint (run_cli (f, "alice", NULL, NULL, NULL, "wallet", "pin", NULL), ==, 0);
  /* Without --yes or a terminal nothing is paid. */
  g_assert_cmpint (run_cli (f, "alice", PIN, NULL, NULL, "pay", "scan", png, NULL), !=, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (f, "alice", PIN, &out, NULL, "pay", "scan", png, "--yes", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "$2.50"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (f, "bob", NULL, &out, NULL, "wallet", "balance", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "$1,002.50"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

#define ADD(path, func)                                                                      \
  g_test_add ("/globi/wallet-client/cli/" path, CoreFixture, NULL, core_fixture_setup, func, \
              core_fixture_teardown)
  ADD ("pay-decode", test_pay_decode);
  ADD ("balance-transfer-accept", test_balance_transfer_accept);
  ADD ("convert", test_convert);
  ADD ("pay-code-and-scan", test_pay_code_and_scan);
#undef ADD
  return g_test_run ();
}
