/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-id.h"
#include "globi-money.h"
#include "globi-server.h"
#include "wallet-helpers.h"

/* Transfers, requests, payments, the PIN and the history against a real server. Alice and
 * Bob are friends; Carol is nobody's friend. */

typedef struct
{
  Fixture f;
  Person alice, bob, carol;
} World;

static void
world_setup (World *w, gconstpointer data)
{
  fixture_setup (&w->f, data);
  person_sign_up (&w->f, "alice", &w->alice);
  person_sign_up (&w->f, "bob", &w->bob);
  person_sign_up (&w->f, "carol", &w->carol);
  social_befriend (&w->f, &w->alice, &w->bob);
}

static void
world_teardown (World *w, gconstpointer data)
{
  person_clear (&w->alice);
  person_clear (&w->bob);
  person_clear (&w->carol);
  fixture_teardown (&w->f, data);
}

static void
assert_audit_clean (World *w)
{
  g_assert_cmpint (wallet_audit (&w->f, NULL), ==, 0);
}

static const char *
tx_state (JsonObject *tx)
{
  return json_object_get_string_member (tx, "state");
}

static void
test_starter (World *w, gconstpointer data)
{
  g_autoptr (Reply) reply = social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet");
  g_autoptr (Reply) patched = NULL;
  g_autoptr (Reply) history = NULL;
  JsonObject *wallet = reply_object (reply);
  JsonObject *money;

  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_false (json_object_get_boolean_member (wallet, "pin_set"));
  g_assert_cmpstr (json_object_get_string_member (wallet, "preferred_currency"), ==, "USD");
  money = json_array_get_object_element (json_object_get_array_member (wallet, "balances"), 0);
  g_assert_cmpstr (json_object_get_string_member (money, "currency"), ==, "USD");
  g_assert_cmpint (json_object_get_int_member (money, "minor"), ==, 100000);
  g_assert_cmpstr (json_object_get_string_member (money, "text"), ==, "$1,000.00");

  /* A second access issues nothing more. */
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000);

  /* The starter comes in the preferred currency of the moment of first access. */
  patched =
      social_request (&w->f, "PATCH", &w->carol, "{\"preferred_currency\": \"JPY\"}", "/v1/me");
  g_assert_cmpuint (patched->status, ==, 200);
  g_assert_cmpint (wallet_balance (&w->f, &w->carol, "JPY"), ==, 1000);
  g_assert_cmpint (wallet_balance (&w->f, &w->carol, "USD"), ==, 0);

  history = social_request (&w->f, "GET", &w->carol, NULL, "/v1/wallet/transactions");
  g_assert_cmpuint (history->status, ==, 200);
  {
    JsonArray *list = json_object_get_array_member (reply_object (history), "transactions");
    JsonObject *tx = json_array_get_object_element (list, 0);

    g_assert_cmpuint (json_array_get_length (list), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (tx, "kind"), ==, "starter");
    g_assert_true (json_object_get_null_member (tx, "from"));
  }
  assert_audit_clean (w);
}

static void
test_pin_set_and_change (World *w, gconstpointer data)
{
  const char *bad[] = {
    "{\"pin\": \"12345\"}", "{\"pin\": \"1234567\"}",          "{\"pin\": \"12a456\"}",
    "{\"pin\": 123456}",    "{\"pin\": \"123456\", \"x\": 1}", "{}"
  };
  g_autoptr (Reply) before = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 100, "USD", NULL);
  g_autoptr (Reply) no_current = NULL;
  g_autoptr (Reply) wrong_current = NULL;
  g_autoptr (Reply) changed = NULL;
  g_autoptr (Reply) old_pin = NULL;
  g_autoptr (Reply) new_pin = NULL;
  g_autoptr (Reply) wallet = NULL;

  assert_error (before, 403, "pin_required");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (Reply) reply = social_request (&w->f, "PUT", &w->alice, bad[i], "/v1/wallet/pin");

      assert_error (reply, 400, "invalid_field");
    }
  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  wallet = social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet");
  g_assert_true (json_object_get_boolean_member (reply_object (wallet), "pin_set"));

  no_current = social_request (&w->f, "PUT", &w->alice, "{\"pin\": \"111111\"}", "/v1/wallet/pin");
  assert_error (no_current, 400, "invalid_field");
  wrong_current =
      social_request (&w->f, "PUT", &w->alice, "{\"pin\": \"111111\", \"current_pin\": \"000000\"}",
                      "/v1/wallet/pin");
  assert_error (wrong_current, 401, "wrong_pin");
  g_assert_cmpint (
      json_object_get_int_member (
          json_object_get_object_member (reply_object (wrong_current), "error"), "attempts_left"),
      ==, 4);
  changed = social_request (&w->f, "PUT", &w->alice,
                            "{\"pin\": \"111111\", \"current_pin\": \"" WALLET_PIN "\"}",
                            "/v1/wallet/pin");
  g_assert_cmpuint (changed->status, ==, 204);

  old_pin = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 100, "USD", WALLET_PIN);
  assert_error (old_pin, 401, "wrong_pin");
  new_pin = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 100, "USD", "111111");
  g_assert_cmpuint (new_pin->status, ==, 201);
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - 100);
}

static void
test_pin_lockout (World *w, gconstpointer data)
{
  g_autoptr (Reply) locked = NULL;
  g_autoptr (Reply) right_but_locked = NULL;
  g_autoptr (Reply) after = NULL;
  g_autoptr (Reply) wallet = NULL;
  JsonObject *error;

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr (Reply) wrong =
          wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 100, "USD", "999999");

      assert_error (wrong, 401, "wrong_pin");
      error = json_object_get_object_member (reply_object (wrong), "error");
      g_assert_cmpint (json_object_get_int_member (error, "attempts_left"), ==, 4 - i);
    }
  locked = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 100, "USD", "999999");
  assert_error (locked, 423, "pin_locked");
  g_assert_cmpstr (soup_message_headers_get_one (locked->headers, "Retry-After"), ==, "900");
  error = json_object_get_object_member (reply_object (locked), "error");
  g_assert_cmpint (json_object_get_int_member (error, "retry_after"), ==, 900);

  /* Locked means locked, even for the right PIN, and nothing moved. */
  right_but_locked = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 100, "USD", WALLET_PIN);
  assert_error (right_but_locked, 423, "pin_locked");
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000);
  wallet = social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet");
  g_assert_false (json_object_get_null_member (reply_object (wallet), "pin_locked_until"));

  /* Fifteen minutes later the count starts afresh. */
  globi_server_set_clock_offset (fixture_server (&w->f), 15 * 60 + 1);
  person_refresh (&w->f, &w->alice);
  after = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 100, "USD", WALLET_PIN);
  g_assert_cmpuint (after->status, ==, 201);
  assert_audit_clean (w);
}

static void
test_transfer_accept (World *w, gconstpointer data)
{
  g_autoptr (Reply) sent = NULL;
  g_autoptr (Reply) by_sender = NULL;
  g_autoptr (Reply) accepted = NULL;
  g_autoptr (Reply) again = NULL;
  g_autoptr (Reply) decline = NULL;
  g_autoptr (Reply) detail = NULL;
  JsonObject *tx;
  const char *id;

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  g_assert_cmpint (wallet_balance (&w->f, &w->bob, "USD"), ==, 100000);
  sent = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 1234, "USD", NULL);
  g_assert_cmpuint (sent->status, ==, 201);
  tx = wallet_tx (sent);
  id = json_object_get_string_member (tx, "id");
  g_assert_cmpstr (json_object_get_string_member (tx, "kind"), ==, "transfer");
  g_assert_cmpstr (tx_state (tx), ==, "pending");
  g_assert_cmpint (json_object_get_int_member (tx, "expires_at"), ==,
                   json_object_get_int_member (tx, "created_at") + 24 * 3600 * 1000);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (tx, "to"), "id"),
                   ==, w->bob.id);
  g_assert_cmpstr (json_object_get_string_member (tx, "note"), ==, "lunch");
  /* Held in escrow: gone from Alice, not yet Bob's. */
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - 1234);
  g_assert_cmpint (wallet_balance (&w->f, &w->bob, "USD"), ==, 100000);
  assert_audit_clean (w);

  by_sender = social_request (&w->f, "POST", &w->alice, "", "/v1/wallet/transfers/%s/accept", id);
  assert_error (by_sender, 404, "not_found");
  accepted = social_request (&w->f, "POST", &w->bob, "", "/v1/wallet/transfers/%s/accept", id);
  g_assert_cmpuint (accepted->status, ==, 200);
  g_assert_cmpstr (tx_state (wallet_tx (accepted)), ==, "completed");
  g_assert_cmpint (wallet_balance (&w->f, &w->bob, "USD"), ==, 100000 + 1234);
  again = social_request (&w->f, "POST", &w->bob, "", "/v1/wallet/transfers/%s/accept", id);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (wallet_balance (&w->f, &w->bob, "USD"), ==, 100000 + 1234);
  decline = social_request (&w->f, "POST", &w->bob, "", "/v1/wallet/transfers/%s/decline", id);
  assert_error (decline, 409, "conflict");

  /* The sender sees the state. */
  detail = social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet/transactions/%s", id);
  g_assert_cmpuint (detail->status, ==, 200);
  g_assert_cmpstr (tx_state (wallet_tx (detail)), ==, "completed");
  /* Both sides were told at creation and at acceptance (plus their starters). */
  g_assert_cmpuint (social_count_events (&w->f, &w->bob, "wallet_updated"), ==, 3);
  g_assert_cmpuint (social_count_events (&w->f, &w->alice, "wallet_updated"), ==, 3);
  assert_audit_clean (w);
}

static void
test_transfer_decline (World *w, gconstpointer data)
{
  g_autoptr (Reply) sent = NULL;
  g_autoptr (Reply) declined = NULL;
  g_autoptr (Reply) accept = NULL;
  const char *id;

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  sent = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 5000, "USD", NULL);
  g_assert_cmpuint (sent->status, ==, 201);
  id = json_object_get_string_member (wallet_tx (sent), "id");
  declined = social_request (&w->f, "POST", &w->bob, "", "/v1/wallet/transfers/%s/decline", id);
  g_assert_cmpuint (declined->status, ==, 200);
  g_assert_cmpstr (tx_state (wallet_tx (declined)), ==, "declined");
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000);
  g_assert_cmpint (wallet_balance (&w->f, &w->bob, "USD"), ==, 100000);
  accept = social_request (&w->f, "POST", &w->bob, "", "/v1/wallet/transfers/%s/accept", id);
  assert_error (accept, 409, "conflict");
  assert_audit_clean (w);
}

static void
test_transfer_returned (World *w, gconstpointer data)
{
  g_autoptr (Reply) sent = NULL;
  g_autoptr (Reply) early = NULL;
  g_autoptr (Reply) detail = NULL;
  g_autoptr (Reply) accept = NULL;
  g_autofree char *id = NULL;

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  sent = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 700, "USD", NULL);
  g_assert_cmpuint (sent->status, ==, 201);
  id = g_strdup (json_object_get_string_member (wallet_tx (sent), "id"));

  /* One minute before the deadline it is still pending. */
  globi_server_set_clock_offset (fixture_server (&w->f), 24 * 3600 - 60);
  person_refresh (&w->f, &w->alice);
  person_refresh (&w->f, &w->bob);
  early = social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet/transactions/%s", id);
  g_assert_cmpstr (tx_state (wallet_tx (early)), ==, "pending");

  globi_server_set_clock_offset (fixture_server (&w->f), 24 * 3600 + 1);
  person_refresh (&w->f, &w->alice);
  person_refresh (&w->f, &w->bob);
  detail = social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet/transactions/%s", id);
  g_assert_cmpuint (detail->status, ==, 200);
  g_assert_cmpstr (tx_state (wallet_tx (detail)), ==, "returned");
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000);
  accept = social_request (&w->f, "POST", &w->bob, "", "/v1/wallet/transfers/%s/accept", id);
  assert_error (accept, 409, "conflict");
  g_assert_cmpint (wallet_balance (&w->f, &w->bob, "USD"), ==, 100000);
  assert_audit_clean (w);
}

static void
test_idempotent (World *w, gconstpointer data)
{
  g_autofree char *id = globi_id_new ();
  g_autoptr (Reply) first = NULL;
  g_autoptr (Reply) retry = NULL;
  g_autoptr (Reply) other_amount = NULL;
  g_autoptr (Reply) other_user = NULL;

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  wallet_set_pin (&w->f, &w->bob, WALLET_PIN);
  first = wallet_transfer (&w->f, &w->alice, &w->bob, id, 2500, "USD", NULL);
  retry = wallet_transfer (&w->f, &w->alice, &w->bob, id, 2500, "USD", NULL);
  g_assert_cmpuint (first->status, ==, 201);
  g_assert_cmpuint (retry->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (wallet_tx (retry), "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (wallet_tx (retry), "created_at"), ==,
                   json_object_get_int_member (wallet_tx (first), "created_at"));
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - 2500);

  other_amount = wallet_transfer (&w->f, &w->alice, &w->bob, id, 2501, "USD", NULL);
  assert_error (other_amount, 409, "conflict");
  other_user = wallet_transfer (&w->f, &w->bob, &w->alice, id, 2500, "USD", NULL);
  assert_error (other_user, 409, "conflict");
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - 2500);
  g_assert_cmpint (wallet_balance (&w->f, &w->bob, "USD"), ==, 100000);
  assert_audit_clean (w);
}

static void
test_insufficient (World *w, gconstpointer data)
{
  g_autoptr (Reply) too_much = NULL;
  g_autoptr (Reply) not_held = NULL;
  g_autoptr (Reply) all = NULL;

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  too_much = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 100001, "USD", NULL);
  assert_error (too_much, 409, "insufficient_funds");
  not_held = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 1, "EUR", NULL);
  assert_error (not_held, 409, "insufficient_funds");
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000);
  /* Exactly everything is fine. */
  all = wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 100000, "USD", NULL);
  g_assert_cmpuint (all->status, ==, 201);
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 0);
  assert_audit_clean (w);
}

static void
test_validation (World *w, gconstpointer data)
{
  g_autofree char *id = globi_id_new ();
  g_autofree char *unknown = globi_id_new ();
  g_autofree char *long_note = g_strnfill (101, 'x');
  const struct
  {
    const char *body;
    guint status;
    const char *code;
  } cases[] = {
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": 0}, "
      "\"pin\": \"" WALLET_PIN "\"}",
      400, "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": "
      "-5}, \"pin\": \"" WALLET_PIN "\"}",
      400, "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": "
      "1.5}, \"pin\": \"" WALLET_PIN "\"}",
      400, "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": "
      "\"100\"}, \"pin\": \"" WALLET_PIN "\"}",
      400, "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"XXX\", \"minor\": "
      "100}, \"pin\": \"" WALLET_PIN "\"}",
      400, "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": "
      "100000000000001}, \"pin\": \"" WALLET_PIN "\"}",
      400, "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": "
      "100, \"x\": 1}, \"pin\": \"" WALLET_PIN "\"}",
      400, "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\"}, \"pin\": "
      "\"" WALLET_PIN "\"}",
      400, "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"pin\": \"" WALLET_PIN "\"}", 400,
      "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": "
      "100}, \"pin\": \"" WALLET_PIN "\", \"chat\": {\"user_id\": \"%s\", \"group_id\": \"%s\"}}",
      400, "invalid_field" },
    { "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": "
      "100}, \"pin\": \"" WALLET_PIN "\", \"surprise\": true}",
      400, "invalid_field" },
    { "[1, 2]", 400, "bad_request" },
  };

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = NULL;
      g_autoptr (Reply) reply = NULL;

      /* Only the %s a case has are used; the rest of the arguments are ignored. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
      body = g_strdup_printf (cases[i].body, id, w->bob.id, w->bob.id, w->bob.id);
#pragma GCC diagnostic pop
      g_test_message ("case %u: %s", i, body);
      reply = social_request (&w->f, "POST", &w->alice, body, "/v1/wallet/transfers");
      assert_error (reply, cases[i].status, cases[i].code);
    }

  /* To whom. */
  {
    g_autoptr (Reply) stranger =
        wallet_transfer (&w->f, &w->alice, &w->carol, NULL, 100, "USD", NULL);
    g_autoptr (Reply) myself =
        wallet_transfer (&w->f, &w->alice, &w->alice, NULL, 100, "USD", NULL);
    Person ghost = { .id = unknown };
    g_autoptr (Reply) nobody = wallet_transfer (&w->f, &w->alice, &ghost, NULL, 100, "USD", NULL);
    g_autofree char *long_body = g_strdup_printf (
        "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": "
        "100}, \"pin\": \"" WALLET_PIN "\", \"note\": \"%s\"}",
        id, w->bob.id, long_note);
    g_autoptr (Reply) too_long =
        social_request (&w->f, "POST", &w->alice, long_body, "/v1/wallet/transfers");

    assert_error (stranger, 403, "forbidden");
    assert_error (myself, 400, "invalid_field");
    assert_error (nobody, 404, "not_found");
    assert_error (too_long, 400, "invalid_field");
  }
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000);
  assert_audit_clean (w);
}

static Reply *
request_money (World *w, const Person *asker, const Person *payer, gint64 minor)
{
  g_autofree char *id = globi_id_new ();
  g_autofree char *body = g_strdup_printf (
      "{\"id\": \"%s\", \"from_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", \"minor\": "
      "%" G_GINT64_FORMAT "}, \"note\": \"tickets\", \"chat\": {\"user_id\": \"%s\"}}",
      id, payer->id, minor, payer->id);

  return social_request (&w->f, "POST", asker, body, "/v1/wallet/requests");
}

static void
test_request (World *w, gconstpointer data)
{
  g_autoptr (Reply) asked = request_money (w, &w->bob, &w->alice, 500);
  g_autoptr (Reply) by_asker = NULL;
  g_autoptr (Reply) paid = NULL;
  g_autoptr (Reply) again = NULL;
  g_autoptr (Reply) second = NULL;
  g_autoptr (Reply) declined = NULL;
  g_autoptr (Reply) pay_declined = NULL;
  g_autoptr (Reply) stranger = NULL;
  JsonObject *tx;
  const char *id;

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  wallet_set_pin (&w->f, &w->bob, WALLET_PIN);
  g_assert_cmpuint (asked->status, ==, 201);
  tx = wallet_tx (asked);
  id = json_object_get_string_member (tx, "id");
  g_assert_cmpstr (json_object_get_string_member (tx, "kind"), ==, "request");
  g_assert_cmpstr (tx_state (tx), ==, "pending");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (tx, "chat"), "user_id"), ==,
      w->alice.id);
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000);

  by_asker = social_request (&w->f, "POST", &w->bob, "{\"pin\": \"" WALLET_PIN "\"}",
                             "/v1/wallet/requests/%s/pay", id);
  assert_error (by_asker, 404, "not_found");
  paid = social_request (&w->f, "POST", &w->alice, "{\"pin\": \"" WALLET_PIN "\"}",
                         "/v1/wallet/requests/%s/pay", id);
  g_assert_cmpuint (paid->status, ==, 200);
  g_assert_cmpstr (tx_state (wallet_tx (paid)), ==, "completed");
  again = social_request (&w->f, "POST", &w->alice, "{\"pin\": \"" WALLET_PIN "\"}",
                          "/v1/wallet/requests/%s/pay", id);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - 500);
  g_assert_cmpint (wallet_balance (&w->f, &w->bob, "USD"), ==, 100000 + 500);

  second = request_money (w, &w->bob, &w->alice, 300);
  id = json_object_get_string_member (wallet_tx (second), "id");
  declined = social_request (&w->f, "POST", &w->alice, "", "/v1/wallet/requests/%s/decline", id);
  g_assert_cmpuint (declined->status, ==, 200);
  g_assert_cmpstr (tx_state (wallet_tx (declined)), ==, "declined");
  pay_declined = social_request (&w->f, "POST", &w->alice, "{\"pin\": \"" WALLET_PIN "\"}",
                                 "/v1/wallet/requests/%s/pay", id);
  assert_error (pay_declined, 409, "conflict");

  stranger = request_money (w, &w->carol, &w->alice, 100);
  assert_error (stranger, 403, "forbidden");
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - 500);
  assert_audit_clean (w);
}

static Reply *
pay (World *w,
     const Person *payer,
     const Person *payee,
     const char *id,
     gint64 minor,
     const char *currency,
     const char *payee_currency)
{
  g_autofree char *extra = payee_currency
                               ? g_strdup_printf (", \"payee_currency\": \"%s\"", payee_currency)
                               : g_strdup ("");
  g_autofree char *body = g_strdup_printf (
      "{\"id\": \"%s\", \"payee_id\": \"%s\", \"amount\": {\"currency\": \"%s\", \"minor\": "
      "%" G_GINT64_FORMAT "}, \"pin\": \"" WALLET_PIN "\"%s}",
      id, payee->id, currency, minor, extra);

  return social_request (&w->f, "POST", payer, body, "/v1/wallet/payments");
}

static void
test_payment_cross_currency (World *w, gconstpointer data)
{
  g_autoptr (Reply) rates = social_request (&w->f, "GET", &w->alice, NULL, "/v1/rates");
  g_autofree char *id = globi_id_new ();
  g_autofree char *same_id = globi_id_new ();
  g_autofree char *self_id = globi_id_new ();
  g_autoptr (Reply) paid = NULL;
  g_autoptr (Reply) retry = NULL;
  g_autoptr (Reply) same = NULL;
  g_autoptr (Reply) to_self = NULL;
  g_autoptr (Reply) refund_by_payer = NULL;
  g_autoptr (Reply) refunded = NULL;
  g_autoptr (Reply) unknown_pair = NULL;
  JsonObject *rate_set, *converted;
  gint64 expected = -1;
  g_autofree char *expected_rate = NULL;

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  wallet_set_pin (&w->f, &w->carol, WALLET_PIN);
  g_assert_cmpuint (rates->status, ==, 200);
  rate_set = json_object_get_object_member (reply_object (rates), "rates");
  g_assert_cmpstr (json_object_get_string_member (reply_object (rates), "base"), ==, "EUR");
  g_assert_cmpstr (json_object_get_string_member (rate_set, "EUR"), ==, "1");
  /* The client computes the same figure with the same code. */
  g_assert_true (globi_money_convert (1999, "USD", json_object_get_string_member (rate_set, "USD"),
                                      "CNY", json_object_get_string_member (rate_set, "CNY"),
                                      &expected, NULL));
  expected_rate = globi_money_cross_rate (json_object_get_string_member (rate_set, "USD"),
                                          json_object_get_string_member (rate_set, "CNY"));

  /* Payments need no friendship. */
  paid = pay (w, &w->alice, &w->carol, id, 1999, "USD", "CNY");
  g_assert_cmpuint (paid->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (wallet_tx (paid), "kind"), ==, "payment");
  g_assert_cmpstr (tx_state (wallet_tx (paid)), ==, "completed");
  converted = json_object_get_object_member (wallet_tx (paid), "converted");
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (converted, "amount"), "minor"), ==,
      expected);
  g_assert_cmpstr (json_object_get_string_member (converted, "rate"), ==, expected_rate);
  g_assert_cmpstr (json_object_get_string_member (converted, "rate_date"), ==,
                   json_object_get_string_member (reply_object (rates), "date"));
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - 1999);
  g_assert_cmpint (wallet_balance (&w->f, &w->carol, "CNY"), ==, expected);
  retry = pay (w, &w->alice, &w->carol, id, 1999, "USD", "CNY");
  g_assert_cmpuint (retry->status, ==, 201);
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - 1999);
  assert_audit_clean (w);

  same = pay (w, &w->alice, &w->carol, same_id, 1, "USD", NULL);
  g_assert_cmpuint (same->status, ==, 201);
  g_assert_false (json_object_has_member (wallet_tx (same), "converted"));
  g_assert_cmpint (wallet_balance (&w->f, &w->carol, "USD"), ==, 100000 + 1);
  to_self = pay (w, &w->alice, &w->alice, self_id, 1, "USD", NULL);
  assert_error (to_self, 400, "invalid_field");
  /* No rate for a currency the feed lacks. */
  unknown_pair = pay (w, &w->alice, &w->carol, self_id, 100, "USD", "KES");
  assert_error (unknown_pair, 400, "invalid_field");

  /* A refund is the exact reverse, with no second conversion. */
  refund_by_payer = social_request (&w->f, "POST", &w->alice, "{\"pin\": \"" WALLET_PIN "\"}",
                                    "/v1/wallet/payments/%s/refund", id);
  assert_error (refund_by_payer, 404, "not_found");
  refunded = social_request (&w->f, "POST", &w->carol, "{\"pin\": \"" WALLET_PIN "\"}",
                             "/v1/wallet/payments/%s/refund", id);
  g_assert_cmpuint (refunded->status, ==, 200);
  g_assert_cmpstr (tx_state (wallet_tx (refunded)), ==, "refunded");
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - 1);
  g_assert_cmpint (wallet_balance (&w->f, &w->carol, "CNY"), ==, 0);
  assert_audit_clean (w);
}

static void
test_history (World *w, gconstpointer data)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  const char *bad[] = { "limit=0",    "limit=101",    "limit=x",   "kind=gift",
                        "state=lost", "currency=XXX", "before=-1", "colour=red" };
  guint pages = 0;

  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr (Reply) sent =
          wallet_transfer (&w->f, &w->alice, &w->bob, NULL, 10 + i, "USD", NULL);

      g_assert_cmpuint (sent->status, ==, 201);
    }
  /* 5 transfers and the starter, two at a time, newest first. */
  do
    {
      g_autoptr (Reply) page = NULL;
      JsonArray *list;
      JsonNode *next;

      page = cursor ? social_request (&w->f, "GET", &w->alice, NULL,
                                      "/v1/wallet/transactions?limit=2&before=%s", cursor)
                    : social_request (&w->f, "GET", &w->alice, NULL,
                                      "/v1/wallet/transactions?limit=2");
      g_assert_cmpuint (page->status, ==, 200);
      list = json_object_get_array_member (reply_object (page), "transactions");
      g_assert_cmpuint (json_array_get_length (list), <=, 2);
      for (guint i = 0; i < json_array_get_length (list); i++)
        g_assert_true (
            g_hash_table_add (seen, g_strdup (json_object_get_string_member (
                                        json_array_get_object_element (list, i), "id"))));
      next = json_object_get_member (reply_object (page), "next");
      g_clear_pointer (&cursor, g_free);
      if (!JSON_NODE_HOLDS_NULL (next))
        cursor = g_strdup (json_node_get_string (next));
      pages++;
    }
  while (cursor && pages < 10);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 6);

  {
    g_autoptr (Reply) transfers = social_request (&w->f, "GET", &w->alice, NULL,
                                                  "/v1/wallet/transactions?kind=transfer&state="
                                                  "pending&currency=USD");
    g_autoptr (Reply) bobs =
        social_request (&w->f, "GET", &w->bob, NULL, "/v1/wallet/transactions?kind=transfer");
    g_autoptr (Reply) none =
        social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet/transactions?currency=EUR");

    g_assert_cmpuint (json_array_get_length (
                          json_object_get_array_member (reply_object (transfers), "transactions")),
                      ==, 5);
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (reply_object (bobs), "transactions")),
        ==, 5);
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (reply_object (none), "transactions")),
        ==, 0);
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (Reply) reply =
          social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet/transactions?%s", bad[i]);

      assert_error (reply, 400, "bad_request");
    }
  {
    g_autofree char *unknown = globi_id_new ();
    g_autoptr (Reply) missing =
        social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet/transactions/%s", unknown);
    g_autoptr (Reply) carols_view = NULL;
    g_autoptr (Reply) list =
        social_request (&w->f, "GET", &w->alice, NULL, "/v1/wallet/transactions?limit=1");
    const char *id = json_object_get_string_member (
        json_array_get_object_element (
            json_object_get_array_member (reply_object (list), "transactions"), 0),
        "id");

    assert_error (missing, 404, "not_found");
    carols_view = social_request (&w->f, "GET", &w->carol, NULL, "/v1/wallet/transactions/%s", id);
    assert_error (carols_view, 404, "not_found");
  }
}

/* Many clients spend from one wallet at once. */

#define N_THREADS  6
#define PER_THREAD 20

typedef struct
{
  World *w;
  const Person *to[2];
  gint64 spent; /* accepted by the server */
  guint ok, refused;
  GPtrArray *ids;
} Spender;

static gpointer
spend_thread (gpointer data)
{
  Spender *s = data;
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);

  for (guint i = 0; i < PER_THREAD; i++)
    {
      /* Up to 100 dollars each: 120 transfers ask for far more than 1,000. */
      gint64 minor = 1 + randombytes_uniform (10000);
      g_autofree char *id = globi_id_new ();
      g_autofree char *body = g_strdup_printf (
          "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"USD\", "
          "\"minor\": %" G_GINT64_FORMAT "}, \"pin\": \"" WALLET_PIN "\"}",
          id, s->to[i % 2]->id, minor);
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
      g_autoptr (SoupMessage) msg = fixture_message (&s->w->f, "POST", "/v1/wallet/transfers",
                                                     s->w->alice.token, "application/json", bytes);
      g_autoptr (GBytes) reply = soup_session_send_and_read (session, msg, NULL, NULL);
      guint status = soup_message_get_status (msg);

      g_assert_nonnull (reply);
      if (status == 201)
        {
          s->spent += minor;
          s->ok++;
          g_ptr_array_add (s->ids, g_steal_pointer (&id));
        }
      else
        {
          g_assert_cmpuint (status, ==, 409);
          g_assert_nonnull (strstr (g_bytes_get_data (reply, NULL), "insufficient_funds"));
          s->refused++;
        }
    }
  return NULL;
}

static void
test_concurrent_transfers (World *w, gconstpointer data)
{
  Person dave;
  Spender spenders[N_THREADS];
  GThread *threads[N_THREADS];
  gint64 spent = 0;
  guint ok = 0, refused = 0;

  person_sign_up (&w->f, "dave", &dave);
  social_befriend (&w->f, &w->alice, &dave);
  wallet_set_pin (&w->f, &w->alice, WALLET_PIN);
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000);
  for (guint i = 0; i < N_THREADS; i++)
    {
      spenders[i] = (Spender){ .w = w, .to = { &w->bob, &dave } };
      spenders[i].ids = g_ptr_array_new_with_free_func (g_free);
      threads[i] = g_thread_new ("spender", spend_thread, &spenders[i]);
    }
  for (guint i = 0; i < N_THREADS; i++)
    {
      g_thread_join (threads[i]);
      spent += spenders[i].spent;
      ok += spenders[i].ok;
      refused += spenders[i].refused;
    }
  g_test_message ("%u transfers accepted (%" G_GINT64_FORMAT " minor), %u refused", ok, spent,
                  refused);
  g_assert_cmpuint (ok + refused, ==, N_THREADS * PER_THREAD);
  g_assert_cmpuint (refused, >, 0);
  g_assert_cmpint (spent, <=, 100000);
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD"), ==, 100000 - spent);
  g_assert_cmpint (wallet_audit (&w->f, NULL), ==, 0);

  /* The receivers answer: every other one accepted, the rest declined. */
  for (guint i = 0; i < N_THREADS; i++)
    for (guint j = 0; j < spenders[i].ids->len; j++)
      {
        const char *id = g_ptr_array_index (spenders[i].ids, j);
        g_autoptr (Reply) bobs =
            social_request (&w->f, "POST", &w->bob, "", "/v1/wallet/transfers/%s/%s", id,
                            j % 2 ? "accept" : "decline");

        if (bobs->status == 404)
          {
            g_autoptr (Reply) daves =
                social_request (&w->f, "POST", &dave, "", "/v1/wallet/transfers/%s/%s", id,
                                j % 2 ? "accept" : "decline");

            g_assert_cmpuint (daves->status, ==, 200);
          }
        else
          g_assert_cmpuint (bobs->status, ==, 200);
      }
  g_assert_cmpint (wallet_audit (&w->f, NULL), ==, 0);
  g_assert_cmpint (wallet_balance (&w->f, &w->alice, "USD") +
                       wallet_balance (&w->f, &w->bob, "USD") +
                       wallet_balance (&w->f, &dave, "USD"),
                   ==, 300000);
  for (guint i = 0; i < N_THREADS; i++)
    g_ptr_array_unref (spenders[i].ids);
  person_clear (&dave);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/globi/wallet/ledger/" path, World, NULL, world_setup, func, world_teardown)
  ADD ("starter", test_starter);
  ADD ("pin-set-and-change", test_pin_set_and_change);
  ADD ("pin-lockout", test_pin_lockout);
  ADD ("transfer-accept", test_transfer_accept);
  ADD ("transfer-decline", test_transfer_decline);
  ADD ("transfer-returned-after-24h", test_transfer_returned);
  ADD ("idempotent-retry", test_idempotent);
  ADD ("insufficient-funds", test_insufficient);
  ADD ("validation", test_validation);
  ADD ("request-paid-once", test_request);
  ADD ("payment-cross-currency", test_payment_cross_currency);
  ADD ("history", test_history);
  ADD ("concurrent-transfers", test_concurrent_transfers);
#undef ADD
  return g_test_run ();
}
