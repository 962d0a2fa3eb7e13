/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>

#include "globi-id.h"
#include "globi-store-wallet.h"
#include "wallet-helpers.h"

void
wallet_set_pin (Fixture *f, const Person *who, const char *pin)
{
  g_autofree char *body = g_strdup_printf ("{\"pin\": \"%s\"}", pin);
  g_autoptr (Reply) reply = social_request (f, "PUT", who, body, "/v1/wallet/pin");

  g_assert_cmpuint (reply->status, ==, 204);
}

gint64
wallet_balance (Fixture *f, const Person *who, const char *currency)
{
  g_autoptr (Reply) reply = social_request (f, "GET", who, NULL, "/v1/wallet");
  JsonArray *balances;

  g_assert_cmpuint (reply->status, ==, 200);
  balances = json_object_get_array_member (reply_object (reply), "balances");
  for (guint i = 0; i < json_array_get_length (balances); i++)
    {
      JsonObject *money = json_array_get_object_element (balances, i);

      if (g_str_equal (json_object_get_string_member (money, "currency"), currency))
        return json_object_get_int_member (money, "minor");
    }
  return 0;
}

Reply *
wallet_transfer (Fixture *f,
                 const Person *from,
                 const Person *to,
                 const char *id,
                 gint64 minor,
                 const char *currency,
                 const char *pin)
{
  g_autofree char *fresh = id ? g_strdup (id) : globi_id_new ();
  g_autofree char *body = g_strdup_printf (
      "{\"id\": \"%s\", \"to_user_id\": \"%s\", \"amount\": {\"currency\": \"%s\", \"minor\": "
      "%" G_GINT64_FORMAT "}, \"pin\": \"%s\", \"note\": \"lunch\"}",
      fresh, to->id, currency, minor, pin ? pin : WALLET_PIN);

  return social_request (f, "POST", from, body, "/v1/wallet/transfers");
}

JsonObject *
wallet_tx (Reply *reply)
{
  return json_object_get_object_member (reply_object (reply), "transaction");
}

gint64
wallet_audit (Fixture *f, char **out_report)
{
  g_autofree char *path = g_build_filename (f->data_dir, "globichat.db", NULL);
  g_autoptr (GString) report = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;
  gint64 violations;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  sqlite3_exec (db, "BEGIN;", NULL, NULL, NULL);
  violations = globi_store_wallet_audit (db, report, &error);
  sqlite3_exec (db, "COMMIT;", NULL, NULL, NULL);
  sqlite3_close (db);
  g_assert_no_error (error);
  if (violations != 0)
    g_test_message ("audit:\n%s", report->str);
  if (out_report)
    *out_report = g_strdup (report->str);
  return violations;
}
