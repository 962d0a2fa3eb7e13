/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-emvco.h"
#include "globi-error.h"
#include "globi-money.h"
#include "globi-wallet.h"
#include "core-fixture.h"

#include "sync-client.h"

/* GlobiWallet, the GlobiPay client, against a real server on a loopback port: two people
 * with live streams, so every state change arrives as the wallet_updated event it is. */

#define PIN "135790"

typedef struct
{
  CoreFixture core;
  Client *alice;
  Client *bob;
  GlobiWallet *alice_wallet;
  GlobiWallet *bob_wallet;
} Fixture;

/* A fresh messenger on c's session, live and caught up. */
static void
start_live (Client *c)
{
  g_clear_object (&c->messenger);
  c->messenger = globi_messenger_new (c->session);
  client_go_live (c);
}

static void
wallet_ok (GlobiWallet *wallet, GAsyncResult **pending)
{
  g_autoptr (GAsyncResult) result = wait_result (pending);
  g_autoptr (GError) error = NULL;

  g_assert_true (globi_wallet_finish (wallet, result, &error));
  g_assert_no_error (error);
}

static GlobiTransaction *
wallet_tx (GlobiWallet *wallet, GAsyncResult **pending, GError **error)
{
  g_autoptr (GAsyncResult) result = wait_result (pending);

  return globi_wallet_transaction_finish (wallet, result, error);
}

static void
refresh (GlobiWallet *wallet)
{
  GAsyncResult *pending = NULL;

  globi_wallet_refresh_async (wallet, NULL, on_result_cb, &pending);
  wallet_ok (wallet, &pending);
}

static void
set_pin (GlobiWallet *wallet, const char *pin)
{
  GAsyncResult *pending = NULL;

  globi_wallet_set_pin_async (wallet, pin, NULL, NULL, on_result_cb, &pending);
  wallet_ok (wallet, &pending);
}

static void
setup (Fixture *f, gconstpointer data)
{
  core_fixture_setup (&f->core, data);
  f->alice = client_new (&f->core, "alice", "alice", FALSE);
  f->bob = client_new (&f->core, "bob", "bob", FALSE);
  befriend (f->alice, f->bob);
  start_live (f->alice);
  start_live (f->bob);
  f->alice_wallet = g_object_ref (globi_wallet_get_for_messenger (f->alice->messenger));
  f->bob_wallet = g_object_ref (globi_wallet_get_for_messenger (f->bob->messenger));
  /* One wallet per messenger: everything showing this account shares it. */
  g_assert_true (globi_wallet_get_for_messenger (f->alice->messenger) == f->alice_wallet);
  refresh (f->alice_wallet);
  refresh (f->bob_wallet);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->alice_wallet);
  g_clear_object (&f->bob_wallet);
  /* Live streams end here, not in the next test's main loop. */
  globi_messenger_stop (f->alice->messenger);
  globi_messenger_stop (f->bob->messenger);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&f->alice, client_free);
  g_clear_pointer (&f->bob, client_free);
  core_fixture_teardown (&f->core, data);
}

/* Waits (guarded, not timed) until the wallet knows the transaction in that state. */
typedef struct
{
  GlobiWallet *wallet;
  const char *id;
  const char *state;
} Expect;

static gboolean
expect_reached (Expect *e)
{
  GlobiTransaction *t = globi_wallet_lookup_transaction (e->wallet, e->id);

  return t && g_strcmp0 (globi_transaction_get_state (t), e->state) == 0;
}

static void
wait_state (GlobiWallet *wallet, const char *id, const char *state)
{
  Expect e = { wallet, id, state };
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!expect_reached (&e))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
wait_balance (GlobiWallet *wallet, const char *currency, gint64 minor)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  /* The wallet refreshes itself after every wallet_updated event. */
  while (globi_wallet_get_balance (wallet, currency) != minor)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_starter_balance (Fixture *f, gconstpointer data)
{
  GArray *balances = globi_wallet_get_balances (f->alice_wallet);

  g_assert_true (globi_wallet_get_loaded (f->alice_wallet));
  g_assert_cmpuint (balances->len, ==, 1);
  g_assert_cmpstr (g_array_index (balances, GlobiBalance, 0).currency, ==, "USD");
  g_assert_cmpint (globi_wallet_get_balance (f->alice_wallet, "USD"), ==, 100000);
  g_assert_cmpstr (globi_wallet_get_preferred_currency (f->alice_wallet), ==, "USD");
  g_assert_false (globi_wallet_get_pin_set (f->alice_wallet));
  set_pin (f->alice_wallet, PIN);
  g_assert_true (globi_wallet_get_pin_set (f->alice_wallet));
}

static void
test_transfer_accept_live (Fixture *f, gconstpointer data)
{
  g_autoptr (GlobiTransaction) sent = NULL;
  g_autoptr (GlobiTransaction) accepted = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *chat = chat_with (f->bob);
  GAsyncResult *pending = NULL;
  GlobiTransaction *at_bob;

  set_pin (f->alice_wallet, PIN);
  globi_wallet_transfer_async (f->alice_wallet, NULL, globi_session_get_user_id (f->bob->session),
                               "USD", 1250, "dinner", PIN, chat, NULL, on_result_cb, &pending);
  sent = wallet_tx (f->alice_wallet, &pending, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_transaction_get_state (sent), ==, GLOBI_TRANSACTION_PENDING);
  g_assert_cmpstr (globi_transaction_get_kind (sent), ==, GLOBI_TRANSACTION_TRANSFER);
  g_assert_cmpstr (globi_transaction_get_note (sent), ==, "dinner");
  g_assert_cmpstr (globi_transaction_get_chat_id (sent), ==, chat + 0);
  g_assert_true (
      globi_transaction_is_outgoing (sent, globi_session_get_user_id (f->alice->session)));
  g_assert_cmpint (globi_transaction_get_expires_at (sent), >,
                   globi_transaction_get_created_at (sent));
  wait_balance (f->alice_wallet, "USD", 100000 - 1250);

  /* Bob's wallet hears of it on the stream, without asking. */
  wait_state (f->bob_wallet, globi_transaction_get_id (sent), GLOBI_TRANSACTION_PENDING);
  at_bob = globi_wallet_lookup_transaction (f->bob_wallet, globi_transaction_get_id (sent));
  g_assert_false (
      globi_transaction_is_outgoing (at_bob, globi_session_get_user_id (f->bob->session)));
  g_assert_cmpstr (globi_transaction_get_from_name (at_bob), ==, "alice");

  globi_wallet_accept_async (f->bob_wallet, globi_transaction_get_id (sent), NULL, on_result_cb,
                             &pending);
  accepted = wallet_tx (f->bob_wallet, &pending, &error);
  g_assert_no_error (error);
  /* The same object, updated in place: a card bound to it follows. */
  g_assert_true (accepted == at_bob);
  g_assert_cmpstr (globi_transaction_get_state (accepted), ==, GLOBI_TRANSACTION_COMPLETED);
  wait_balance (f->bob_wallet, "USD", 100000 + 1250);

  /* Alice's object (the one her card shows) turns completed from the event. */
  wait_state (f->alice_wallet, globi_transaction_get_id (sent), GLOBI_TRANSACTION_COMPLETED);
  g_assert_cmpstr (globi_transaction_get_state (sent), ==, GLOBI_TRANSACTION_COMPLETED);
}

static void
test_request_paid (Fixture *f, gconstpointer data)
{
  g_autoptr (GlobiTransaction) asked = NULL;
  g_autoptr (GlobiTransaction) paid = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  set_pin (f->alice_wallet, PIN);
  globi_wallet_request_async (f->bob_wallet, NULL, globi_session_get_user_id (f->alice->session),
                              "USD", 500, "taxi", NULL, NULL, on_result_cb, &pending);
  asked = wallet_tx (f->bob_wallet, &pending, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_transaction_get_kind (asked), ==, GLOBI_TRANSACTION_REQUEST);
  /* A request moves nothing yet. */
  refresh (f->bob_wallet);
  g_assert_cmpint (globi_wallet_get_balance (f->bob_wallet, "USD"), ==, 100000);
  wait_state (f->alice_wallet, globi_transaction_get_id (asked), GLOBI_TRANSACTION_PENDING);
  g_assert_true (globi_transaction_is_outgoing (
      globi_wallet_lookup_transaction (f->alice_wallet, globi_transaction_get_id (asked)),
      globi_session_get_user_id (f->alice->session)));

  /* A wrong PIN pays nothing and says so. */
  globi_wallet_pay_request_async (f->alice_wallet, globi_transaction_get_id (asked), "000000", NULL,
                                  on_result_cb, &pending);
  paid = wallet_tx (f->alice_wallet, &pending, &error);
  g_assert_null (paid);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_WRONG_PIN);
  g_clear_error (&error);

  globi_wallet_pay_request_async (f->alice_wallet, globi_transaction_get_id (asked), PIN, NULL,
                                  on_result_cb, &pending);
  paid = wallet_tx (f->alice_wallet, &pending, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_transaction_get_state (paid), ==, GLOBI_TRANSACTION_COMPLETED);
  wait_state (f->bob_wallet, globi_transaction_get_id (asked), GLOBI_TRANSACTION_COMPLETED);
  wait_balance (f->bob_wallet, "USD", 100500);
  wait_balance (f->alice_wallet, "USD", 99500);
}

static void
test_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr (GlobiTransaction) t = NULL;
  g_autoptr (GError) error = NULL;
  const char *bob_id = globi_session_get_user_id (f->bob->session);
  GAsyncResult *pending = NULL;

  /* No PIN yet */
  globi_wallet_transfer_async (f->alice_wallet, NULL, bob_id, "USD", 100, NULL, PIN, NULL, NULL,
                               on_result_cb, &pending);
  t = wallet_tx (f->alice_wallet, &pending, &error);
  g_assert_null (t);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_PIN_REQUIRED);
  g_clear_error (&error);

  set_pin (f->alice_wallet, PIN);
  globi_wallet_transfer_async (f->alice_wallet, NULL, bob_id, "USD", 100001, NULL, PIN, NULL, NULL,
                               on_result_cb, &pending);
  t = wallet_tx (f->alice_wallet, &pending, &error);
  g_assert_null (t);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INSUFFICIENT_FUNDS);
  g_clear_error (&error);

  /* Five wrong PINs lock payments; the wallet learns until when. */
  for (int i = 0; i < 5; i++)
    {
      globi_wallet_transfer_async (f->alice_wallet, NULL, bob_id, "USD", 100, NULL, "111111", NULL,
                                   NULL, on_result_cb, &pending);
      t = wallet_tx (f->alice_wallet, &pending, &error);
      g_assert_null (t);
      /* The fifth wrong PIN is the one that locks. */
      if (i < 4)
        {
          g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_WRONG_PIN);
          g_assert_cmpint (globi_error_get_attempts_left (error), ==, 4 - i);
        }
      else
        g_assert_true (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_WRONG_PIN) ||
                       g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_PIN_LOCKED));
      g_clear_error (&error);
    }
  globi_wallet_transfer_async (f->alice_wallet, NULL, bob_id, "USD", 100, NULL, PIN, NULL, NULL,
                               on_result_cb, &pending);
  t = wallet_tx (f->alice_wallet, &pending, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_PIN_LOCKED);
  /* The lock's Retry-After reaches the error: at most 15 minutes. */
  g_assert_cmpint (globi_error_get_retry_after (error), >, 0);
  g_assert_cmpint (globi_error_get_retry_after (error), <=, 15 * 60);
  refresh (f->alice_wallet);
  g_assert_cmpint (globi_wallet_get_pin_locked_until (f->alice_wallet), >,
                   g_get_real_time () / 1000);
  g_assert_cmpint (globi_wallet_get_balance (f->alice_wallet, "USD"), ==, 100000);
}

static void
test_red_packet_claims (Fixture *f, gconstpointer data)
{
  g_autoptr (GlobiGroup) group = NULL;
  g_autoptr (JsonObject) packet = NULL;
  g_autoptr (JsonObject) bob_view = NULL;
  g_autoptr (JsonObject) alice_view = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  const char *members[] = { "bob", NULL };
  GAsyncResult *pending = NULL;
  JsonObject *claim;

  globi_messenger_create_group_async (f->alice->messenger, "Lunch", members, NULL, on_result_cb,
                                      &pending);
  result = wait_result (&pending);
  group = globi_messenger_group_finish (f->alice->messenger, result, &error);
  g_assert_no_error (error);
  set_pin (f->alice_wallet, PIN);

  globi_wallet_create_red_packet_async (f->alice_wallet, NULL, globi_group_get_id (group), "USD",
                                        2000, 2, FALSE, "恭喜发财", PIN, NULL, on_result_cb,
                                        &pending);
  g_clear_object (&result);
  result = wait_result (&pending);
  packet = globi_wallet_red_packet_finish (f->alice_wallet, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (packet, "count"), ==, 2);
  wait_balance (f->alice_wallet, "USD", 98000);

  globi_wallet_claim_red_packet_async (f->bob_wallet, json_object_get_string_member (packet, "id"),
                                       NULL, on_result_cb, &pending);
  g_clear_object (&result);
  result = wait_result (&pending);
  bob_view = globi_wallet_red_packet_finish (f->bob_wallet, result, &error);
  g_assert_no_error (error);
  claim = json_object_get_object_member (bob_view, "my_claim");
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (claim, "amount"), "minor"), ==,
      1000);
  g_assert_cmpint (json_object_get_int_member (bob_view, "remaining_count"), ==, 1);
  wait_balance (f->bob_wallet, "USD", 101000);

  globi_wallet_claim_red_packet_async (
      f->alice_wallet, json_object_get_string_member (packet, "id"), NULL, on_result_cb, &pending);
  g_clear_object (&result);
  result = wait_result (&pending);
  alice_view = globi_wallet_red_packet_finish (f->alice_wallet, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (alice_view, "state"), ==, "completed");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (alice_view, "claims")), ==,
                    2);
  wait_balance (f->alice_wallet, "USD", 99000);
}

static void
test_qr_payment_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *id = globi_wallet_new_operation_id ();
  g_autoptr (GlobiEmvcoCode) code = NULL;
  g_autoptr (GlobiTransaction) paid = NULL;
  g_autoptr (GlobiTransaction) again = NULL;
  GAsyncResult *pending = NULL;
  const char *currency = NULL;
  gint64 converted = 0, expected = 0, pay = 0;

  /* Bob's code asks for €3.20; Alice holds only dollars and pays in them. */
  text = globi_wallet_dup_receive_code (f->bob_wallet, "EUR", 320, "coffee", &error);
  g_assert_no_error (error);
  code = globi_emvco_decode (text, &error);
  g_assert_no_error (error);
  g_assert_true (code->globipay);
  g_assert_cmpstr (code->payee_id, ==, globi_session_get_user_id (f->bob->session));
  g_assert_cmpstr (code->amount, ==, "3.20");
  g_assert_cmpstr (globi_emvco_currency_from_numeric (code->currency), ==, "EUR");
  g_assert_cmpstr (code->note, ==, "coffee");
  g_assert_cmpstr (code->payee_name, ==, "bob");

  globi_wallet_load_rates_async (f->alice_wallet, NULL, on_result_cb, &pending);
  wallet_ok (f->alice_wallet, &pending);
  g_assert_true (globi_wallet_convert (f->alice_wallet, 320, "EUR", "USD", &pay, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pay, >, 0);
  set_pin (f->alice_wallet, PIN);

  globi_wallet_pay_async (f->alice_wallet, id, code->payee_id, "USD", pay, "EUR", code->note, PIN,
                          NULL, on_result_cb, &pending);
  paid = wallet_tx (f->alice_wallet, &pending, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_transaction_get_kind (paid), ==, GLOBI_TRANSACTION_PAYMENT);
  g_assert_true (globi_transaction_get_converted (paid, &currency, &converted, NULL, NULL));
  g_assert_cmpstr (currency, ==, "EUR");
  /* The client converts with the server's rules: the payee gets what it showed. */
  g_assert_true (globi_wallet_convert (f->alice_wallet, pay, "USD", "EUR", &expected, &error));
  g_assert_cmpint (converted, ==, expected);
  wait_balance (f->bob_wallet, "EUR", converted);

  /* A retry with the same id (after a lost reply) pays nothing again. */
  globi_wallet_pay_async (f->alice_wallet, id, code->payee_id, "USD", pay, "EUR", code->note, PIN,
                          NULL, on_result_cb, &pending);
  again = wallet_tx (f->alice_wallet, &pending, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_transaction_get_id (again), ==, globi_transaction_get_id (paid));
  refresh (f->alice_wallet);
  g_assert_cmpint (globi_wallet_get_balance (f->alice_wallet, "USD"), ==, 100000 - pay);
}

static void
test_history_filters (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) transfers = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiTransaction) t = NULL;
  g_autofree char *next = NULL;
  GAsyncResult *pending = NULL;

  set_pin (f->alice_wallet, PIN);
  for (int i = 0; i < 3; i++)
    {
      g_clear_object (&t);
      globi_wallet_transfer_async (f->alice_wallet, NULL,
                                   globi_session_get_user_id (f->bob->session), "USD", 100 + i,
                                   NULL, PIN, NULL, NULL, on_result_cb, &pending);
      t = wallet_tx (f->alice_wallet, &pending, &error);
      g_assert_no_error (error);
    }

  globi_wallet_list_async (f->alice_wallet, NULL, NULL, NULL, NULL, 2, NULL, on_result_cb,
                           &pending);
  result = wait_result (&pending);
  all = globi_wallet_list_finish (f->alice_wallet, result, &next, &error);
  g_assert_no_error (error);
  /* Newest first, two a page, a cursor to the rest (3 transfers and the starter). */
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_nonnull (next);
  g_assert_cmpint (globi_transaction_get_minor (g_ptr_array_index (all, 0)), ==, 102);

  g_clear_object (&result);
  globi_wallet_list_async (f->alice_wallet, GLOBI_TRANSACTION_STARTER, NULL, NULL, NULL, 0, NULL,
                           on_result_cb, &pending);
  result = wait_result (&pending);
  transfers = globi_wallet_list_finish (f->alice_wallet, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (transfers->len, ==, 1);
  g_assert_cmpstr (globi_transaction_get_kind (g_ptr_array_index (transfers, 0)), ==, "starter");
  g_assert_null (globi_transaction_get_from_id (g_ptr_array_index (transfers, 0)));
}

static void
test_rates_and_convert (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *rate = NULL;
  GAsyncResult *pending = NULL;
  gint64 out = 0;

  g_assert_false (globi_wallet_has_rates (f->alice_wallet));
  g_assert_false (globi_wallet_convert (f->alice_wallet, 100, "USD", "EUR", &out, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  globi_wallet_load_rates_async (f->alice_wallet, NULL, on_result_cb, &pending);
  wallet_ok (f->alice_wallet, &pending);
  g_assert_nonnull (globi_wallet_get_rates_date (f->alice_wallet));
  g_assert_true (globi_wallet_convert (f->alice_wallet, 100000, "USD", "USD", &out, &error));
  g_assert_cmpint (out, ==, 100000);
  g_assert_true (globi_wallet_convert (f->alice_wallet, 100000, "USD", "JPY", &out, &error));
  g_assert_no_error (error);
  /* JPY has no minor unit: a thousand dollars are tens of thousands of yen, whole. */
  g_assert_cmpint (out, >, 10000);
  rate = globi_wallet_dup_rate (f->alice_wallet, "USD", "JPY");
  g_assert_nonnull (rate);
  g_assert_true (globi_money_rate_is_valid (rate));
  g_assert_false (globi_wallet_convert (f->alice_wallet, 100, "USD", "XXX", &out, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);

#define ADD(path, func) \
  g_test_add ("/globi/wallet-client/" path, Fixture, NULL, setup, func, teardown)
  ADD ("starter-balance", test_starter_balance);
  ADD ("transfer-accept-live", test_transfer_accept_live);
  ADD ("request-paid", test_request_paid);
  ADD ("refusals", test_refusals);
  ADD ("red-packet-claims", test_red_packet_claims);
  ADD ("qr-payment-round-trip", test_qr_payment_round_trip);
  ADD ("history-filters", test_history_filters);
  ADD ("rates-and-convert", test_rates_and_convert);
#undef ADD
  return g_test_run ();
}
