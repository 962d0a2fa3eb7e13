/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-store-cards"

#include "config.h"

#include <sodium.h>

#include "globi-base64url.h"
#include "globi-error.h"
#include "globi-routes.h"
#include "globi-store-accounts.h"
#include "globi-store-cards.h"

static GlobiSocialResult *
result_new (JsonNode *reply)
{
  GlobiSocialResult *result = g_new0 (GlobiSocialResult, 1);

  result->status = SOUP_STATUS_OK;
  result->reply = reply;
  result->wake_devices = g_ptr_array_new_with_free_func (g_free);
  return result;
}

gboolean
globi_store_cards_is_current (sqlite3 *db, const char *user_id, const char *card)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!user_id || !card)
    return FALSE;
  if (!(stmt = globi_store_prepare (
            db, "SELECT 1 FROM friend_cards WHERE user_id = ?1 AND card = ?2", NULL)))
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, card, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

static JsonNode *
card_json (const char *user_id, const char *card)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *uri = g_strdup_printf ("globichat://add?u=%s&c=%s", user_id, card);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "uri");
  json_builder_add_string_value (builder, uri);
  json_builder_set_member_name (builder, "card");
  json_builder_add_string_value (builder, card);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Stores a fresh card for user_id (replacing any) and returns it. */
static char *
store_new_card (sqlite3 *db, GlobiSocialArgs *args, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  guint8 raw[16];
  g_autofree char *card = NULL;

  randombytes_buf (raw, sizeof raw);
  card = globi_base64url_encode (raw, sizeof raw);
  if (!(stmt = globi_store_prepare (db,
                                    "INSERT INTO friend_cards (user_id, card, created_at) "
                                    "VALUES (?1, ?2, ?3) ON CONFLICT (user_id) DO UPDATE "
                                    "SET card = excluded.card, created_at = excluded.created_at",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, args->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, card, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  return g_steal_pointer (&card);
}

gpointer
globi_store_cards_get (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *card = NULL;

  if (!(stmt = globi_store_prepare (db, "SELECT card FROM friend_cards WHERE user_id = ?1", error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, args->user_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    card = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else if (!(card = store_new_card (db, args, error)))
    return NULL;
  return result_new (card_json (args->user_id, card));
}

gpointer
globi_store_cards_reset (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autofree char *card = store_new_card (db, args, error);

  return card ? result_new (card_json (args->user_id, card)) : NULL;
}

gpointer
globi_store_cards_resolve (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiAccountArgs) lookup = globi_account_args_new ();
  g_autoptr (GlobiUserRow) row = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  /* One answer for a reset card, a wrong one and an unknown user: nothing to probe. */
  if (!globi_store_cards_is_current (db, args->other, args->id))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND,
                           "this friend card is not valid (it may have been reset)");
      return NULL;
    }
  lookup->user_id = g_strdup (args->other);
  if (!(row = globi_store_accounts_lookup (db, lookup, error)))
    return NULL;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user");
  json_builder_add_value (builder, globi_routes_user_to_json (row, FALSE));
  json_builder_end_object (builder);
  return result_new (json_builder_get_root (builder));
}
