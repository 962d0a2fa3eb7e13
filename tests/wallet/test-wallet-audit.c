/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#include "globi-id.h"
#include "globi-test-util.h"
#include "wallet-helpers.h"

/* `globichat-server audit --data DIR` on a healthy ledger and on copies of it broken in
 * one way each: the exit status and the violation it names. */

typedef struct
{
  Fixture f;
  Person alice, bob;
  char *pending_id;
} Ledger;

static void
ledger_setup (Ledger *l, gconstpointer data)
{
  g_autoptr (Reply) done = NULL;
  g_autoptr (Reply) pending = NULL;
  g_autoptr (Reply) paid = NULL;
  g_autofree char *payment_id = globi_id_new ();
  g_autofree char *body = NULL;
  const char *id;

  fixture_setup (&l->f, data);
  person_sign_up (&l->f, "alice", &l->alice);
  person_sign_up (&l->f, "bob", &l->bob);
  social_befriend (&l->f, &l->alice, &l->bob);
  wallet_set_pin (&l->f, &l->alice, WALLET_PIN);
  done = wallet_transfer (&l->f, &l->alice, &l->bob, NULL, 1500, "USD", NULL);
  g_assert_cmpuint (done->status, ==, 201);
  id = json_object_get_string_member (wallet_tx (done), "id");
  {
    g_autoptr (Reply) accepted =
        social_request (&l->f, "POST", &l->bob, "", "/v1/wallet/transfers/%s/accept", id);

    g_assert_cmpuint (accepted->status, ==, 200);
  }
  pending = wallet_transfer (&l->f, &l->alice, &l->bob, NULL, 250, "USD", NULL);
  g_assert_cmpuint (pending->status, ==, 201);
  l->pending_id = g_strdup (json_object_get_string_member (wallet_tx (pending), "id"));
  body = g_strdup_printf ("{\"id\": \"%s\", \"payee_id\": \"%s\", \"amount\": {\"currency\": "
                          "\"USD\", \"minor\": 999}, \"payee_currency\": \"JPY\", \"pin\": "
                          "\"" WALLET_PIN "\"}",
                          payment_id, l->bob.id);
  paid = social_request (&l->f, "POST", &l->alice, body, "/v1/wallet/payments");
  g_assert_cmpuint (paid->status, ==, 201);
}

static void
ledger_teardown (Ledger *l, gconstpointer data)
{
  person_clear (&l->alice);
  person_clear (&l->bob);
  g_free (l->pending_id);
  fixture_teardown (&l->f, data);
}

/* Runs the real binary; returns its exit status and stdout. */
static int
run_audit (const char *data_dir, char **out_stdout)
{
  const char *argv[] = { GLOBICHAT_SERVER_PATH, "audit", "--data", data_dir, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out_stdout,
                               &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("audit: %s%s", out_stdout ? *out_stdout : "", err);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_healthy (Ledger *l, gconstpointer data)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (wallet_audit (&l->f, NULL), ==, 0);
  /* Beside the running server (WAL readers do not block it)… */
  g_assert_cmpint (run_audit (l->f.data_dir, &out), ==, 0);
  g_assert_nonnull (strstr (out, "0 violations"));
  g_assert_nonnull (strstr (out, "ledger OK"));
  g_clear_pointer (&out, g_free);
  /* …and after it stopped. */
  fixture_stop (&l->f);
  g_assert_cmpint (run_audit (l->f.data_dir, &out), ==, 0);
}

static void
test_unreadable (void)
{
  g_autofree char *dir = g_dir_make_tmp ("globi-audit-XXXXXX", NULL);
  g_autofree char *out = NULL;

  g_assert_cmpint (run_audit (dir, &out), ==, 2);
  globi_test_remove_tree (dir);
}

/* Copies the stopped server's database, breaks the copy with sql (ALICE and PENDING stand
 * for Alice's id and the pending transfer's), audits it. */
static void
assert_broken (Ledger *l, const char *sql, const char *violation)
{
  g_autofree char *dir = g_dir_make_tmp ("globi-audit-XXXXXX", NULL);
  g_autofree char *from = g_build_filename (l->f.data_dir, "globichat.db", NULL);
  g_autofree char *to = g_build_filename (dir, "globichat.db", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *out = NULL;
  g_autofree char *with_id = NULL;
  gsize len = 0;
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_true (g_file_get_contents (from, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (to, contents, len, NULL));
  g_assert_cmpint (sqlite3_open (to, &db), ==, SQLITE_OK);
  {
    GString *text = g_string_new (sql);

    g_string_replace (text, "ALICE", l->alice.id, 0);
    g_string_replace (text, "PENDING", l->pending_id, 0);
    with_id = g_string_free (text, FALSE);
  }
  if (sqlite3_exec (db, with_id, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", with_id, message);
  g_assert_cmpint (sqlite3_changes (db), >, 0);
  sqlite3_close (db);

  g_test_message ("broken by: %s", with_id);
  g_assert_cmpint (run_audit (dir, &out), ==, 1);
  g_assert_nonnull (strstr (out, violation));
  g_assert_nonnull (strstr (out, "LEDGER BROKEN"));
  globi_test_remove_tree (dir);
}

static void
test_corrupted (Ledger *l, gconstpointer data)
{
  /* Stopped: the store checkpoints its WAL into the file, so a copy holds everything. */
  fixture_stop (&l->f);
  assert_broken (l, "UPDATE wallet_balances SET minor = minor + 1 WHERE account = 'ALICE'",
                 "VIOLATION stored balance differs from its entries");
  assert_broken (l,
                 "INSERT INTO wallet_entries (tx_seq, account, currency, minor, created_at) "
                 "VALUES (999999, 'ALICE', 'USD', 0, 0)",
                 "VIOLATION orphan entry");
  assert_broken (l,
                 "UPDATE wallet_entries SET minor = minor - 1 WHERE id = (SELECT max (id) FROM "
                 "wallet_entries)",
                 "VIOLATION transaction entries do not sum to zero");
  assert_broken (
      l,
      "UPDATE wallet_entries SET minor = minor - 200000 WHERE account = 'ALICE' AND id = "
      "(SELECT min (id) FROM wallet_entries WHERE account = 'ALICE');"
      "UPDATE wallet_entries SET minor = minor + 200000 WHERE account = '@issuer';"
      "UPDATE wallet_balances SET minor = minor - 200000 WHERE account = 'ALICE';"
      "UPDATE wallet_balances SET minor = minor + 200000 WHERE account = '@issuer'",
      "VIOLATION negative balance");
  assert_broken (l, "UPDATE wallet_transactions SET state = 'completed' WHERE id = 'PENDING'",
                 "VIOLATION state disagrees with its entries");
  assert_broken (l, "UPDATE wallet_transactions SET kind = 'gift' WHERE kind = 'starter'",
                 "VIOLATION unknown kind or state");
  assert_broken (l, "DELETE FROM wallet_balances WHERE account = '@escrow'",
                 "VIOLATION stored balance differs from its entries");
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/globi/wallet/audit/healthy", Ledger, NULL, ledger_setup, test_healthy,
              ledger_teardown);
  g_test_add ("/globi/wallet/audit/corrupted", Ledger, NULL, ledger_setup, test_corrupted,
              ledger_teardown);
  g_test_add_func ("/globi/wallet/audit/unreadable", test_unreadable);
  return g_test_run ();
}
