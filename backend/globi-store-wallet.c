/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-store-wallet"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-id.h"
#include "globi-money.h"
#include "globi-routes.h"
#include "globi-store-events.h"
#include "globi-store-social.h"
#include "globi-store-wallet.h"

#define SWEEP_BATCH 200

/* The columns every transaction query selects, in this order (tx_from_stmt reads them). */
#define TX_COLUMNS                                                                       \
  "seq, id, kind, state, from_id, to_id, currency, minor, to_currency, to_minor, rate, " \
  "rate_date, note, chat_user, chat_group, red_packet_id, created_at, updated_at, "      \
  "expires_at, fingerprint, created_by"

enum
{
  COL_SEQ,
  COL_ID,
  COL_KIND,
  COL_STATE,
  COL_FROM,
  COL_TO,
  COL_CURRENCY,
  COL_MINOR,
  COL_TO_CURRENCY,
  COL_TO_MINOR,
  COL_RATE,
  COL_RATE_DATE,
  COL_NOTE,
  COL_CHAT_USER,
  COL_CHAT_GROUP,
  COL_RED_PACKET,
  COL_CREATED_AT,
  COL_UPDATED_AT,
  COL_EXPIRES_AT,
  COL_FINGERPRINT,
  COL_CREATED_BY,
};

/* A transaction row, as read back. */
typedef struct
{
  gint64 seq;
  char *id;
  char *kind;
  char *state;
  char *from_id;
  char *to_id;
  char *currency;
  gint64 minor;
  char *to_currency;
  gint64 to_minor;
  char *rate;
  char *rate_date;
  char *note;
  char *chat_user;
  char *chat_group;
  char *red_packet_id;
  gint64 created_at;
  gint64 updated_at;
  gint64 expires_at; /* 0: none */
  char *fingerprint;
  char *created_by;
} Tx;

static void
tx_free (Tx *tx)
{
  g_free (tx->id);
  g_free (tx->kind);
  g_free (tx->state);
  g_free (tx->from_id);
  g_free (tx->to_id);
  g_free (tx->currency);
  g_free (tx->to_currency);
  g_free (tx->rate);
  g_free (tx->rate_date);
  g_free (tx->note);
  g_free (tx->chat_user);
  g_free (tx->chat_group);
  g_free (tx->red_packet_id);
  g_free (tx->fingerprint);
  g_free (tx->created_by);
  g_free (tx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Tx, tx_free)

GlobiWalletArgs *
globi_wallet_args_new (void)
{
  return g_new0 (GlobiWalletArgs, 1);
}

void
globi_wallet_args_free (gpointer data)
{
  GlobiWalletArgs *a = data;

  if (!a)
    return;
  g_free (a->user_id);
  g_free (a->id);
  g_free (a->other_id);
  g_free (a->currency);
  g_free (a->to_currency);
  g_free (a->from_rate);
  g_free (a->to_rate);
  g_free (a->rate_date);
  g_free (a->note);
  g_free (a->chat_user);
  g_free (a->chat_group);
  g_free (a->pin_hash);
  g_free (a->kind);
  g_free (a->state);
  g_free (a);
}

void
globi_wallet_result_free (gpointer data)
{
  GlobiWalletResult *r = data;

  if (!r)
    return;
  g_clear_pointer (&r->reply, json_node_unref);
  g_clear_pointer (&r->wake_devices, g_ptr_array_unref);
  g_free (r->message);
  g_free (r);
}

void
globi_wallet_pin_state_free (gpointer data)
{
  GlobiWalletPinState *s = data;

  if (!s)
    return;
  if (s->hash)
    sodium_memzero (s->hash, strlen (s->hash));
  g_free (s->hash);
  g_free (s);
}

static GlobiWalletResult *
result_new (void)
{
  GlobiWalletResult *r = g_new0 (GlobiWalletResult, 1);

  r->wake_devices = g_ptr_array_new_with_free_func (g_free);
  return r;
}

static gpointer
fail_null (GError **error, GlobiErrorCode code, const char *message)
{
  g_set_error_literal (error, GLOBI_ERROR, code, message);
  return NULL;
}

static JsonNode *
wrap (const char *name, JsonNode *node)
{
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) obj = json_object_new ();

  json_object_set_member (obj, name, node);
  json_node_set_object (root, obj);
  return root;
}

static void
bind_text_or_null (sqlite3_stmt *stmt, int index, const char *value)
{
  if (value)
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
column_dup (sqlite3_stmt *stmt, int col)
{
  const char *text = (const char *) sqlite3_column_text (stmt, col);

  return text ? g_strdup (text) : NULL;
}

static JsonNode *
user_json (sqlite3 *db, const char *id, GError **error)
{
  g_autoptr (GlobiAccountArgs) args = globi_account_args_new ();
  g_autoptr (GlobiUserRow) row = NULL;

  args->user_id = g_strdup (id);
  if (!(row = globi_store_accounts_get_by_id (db, args, error)))
    return NULL;
  return globi_routes_user_to_json (row, FALSE);
}

static gboolean
user_exists (sqlite3 *db, const char *id)
{
  g_autoptr (sqlite3_stmt) stmt =
      globi_store_prepare (db, "SELECT 1 FROM users WHERE id = ?1", NULL);

  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

/* Ledger primitives */

/* Accounts that may go below zero: the issuer creates money, the exchange is the other
 * side of conversions. Users and the escrow never may. */
static gboolean
account_may_go_negative (const char *account)
{
  return g_str_equal (account, GLOBI_WALLET_ISSUER) || g_str_equal (account, GLOBI_WALLET_EXCHANGE);
}

/* One entry and its balance update; a balance that would go negative fails the job
 * (its savepoint rolls every entry of it back). */
static gboolean
post (sqlite3 *db,
      gint64 tx_seq,
      const char *account,
      const char *currency,
      gint64 minor,
      gint64 now_ms,
      GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) entry = NULL;
  g_autoptr (GlobiStoreCachedStmt) balance = NULL;
  gint64 after;

  if (!(entry =
            globi_store_prepare_cached (db,
                                        "INSERT INTO wallet_entries (tx_seq, account, currency, "
                                        "minor, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                                        error)))
    return FALSE;
  sqlite3_bind_int64 (entry, 1, tx_seq);
  sqlite3_bind_text (entry, 2, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (entry, 3, currency, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (entry, 4, minor);
  sqlite3_bind_int64 (entry, 5, now_ms);
  if (!globi_store_step_done (db, entry, error))
    return FALSE;

  if (!(balance =
            globi_store_prepare_cached (db,
                                        "INSERT INTO wallet_balances (account, currency, minor) "
                                        "VALUES (?1, ?2, ?3) ON CONFLICT (account, currency) DO "
                                        "UPDATE SET minor = minor + excluded.minor RETURNING minor",
                                        error)))
    return FALSE;
  sqlite3_bind_text (balance, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (balance, 2, currency, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (balance, 3, minor);
  if (sqlite3_step (balance) != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  after = sqlite3_column_int64 (balance, 0);
  if (after < 0 && !account_may_go_negative (account))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_INSUFFICIENT_FUNDS,
                           "insufficient funds");
      return FALSE;
    }
  return TRUE;
}

/* Moves minor from one account to another as two entries of one transaction. */
static gboolean
move (sqlite3 *db,
      gint64 tx_seq,
      const char *from,
      const char *to,
      const char *currency,
      gint64 minor,
      gint64 now_ms,
      GError **error)
{
  return post (db, tx_seq, from, currency, -minor, now_ms, error) &&
         post (db, tx_seq, to, currency, minor, now_ms, error);
}

static gint64
insert_tx (sqlite3 *db, const Tx *tx, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;

  if (!(stmt = globi_store_prepare_cached (
            db,
            "INSERT INTO wallet_transactions (id, kind, state, from_id, to_id, currency, minor, "
            "to_currency, to_minor, rate, rate_date, note, chat_user, chat_group, red_packet_id, "
            "created_at, updated_at, expires_at, fingerprint, created_by) VALUES (?1, ?2, ?3, ?4, "
            "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17, ?18, ?19)",
            error)))
    return 0;
  sqlite3_bind_text (stmt, 1, tx->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, tx->kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, tx->state, -1, SQLITE_TRANSIENT);
  bind_text_or_null (stmt, 4, tx->from_id);
  bind_text_or_null (stmt, 5, tx->to_id);
  sqlite3_bind_text (stmt, 6, tx->currency, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, tx->minor);
  bind_text_or_null (stmt, 8, tx->to_currency);
  if (tx->to_currency)
    sqlite3_bind_int64 (stmt, 9, tx->to_minor);
  else
    sqlite3_bind_null (stmt, 9);
  bind_text_or_null (stmt, 10, tx->rate);
  bind_text_or_null (stmt, 11, tx->rate_date);
  sqlite3_bind_text (stmt, 12, tx->note ? tx->note : "", -1, SQLITE_TRANSIENT);
  bind_text_or_null (stmt, 13, tx->chat_user);
  bind_text_or_null (stmt, 14, tx->chat_group);
  bind_text_or_null (stmt, 15, tx->red_packet_id);
  sqlite3_bind_int64 (stmt, 16, tx->created_at);
  if (tx->expires_at)
    sqlite3_bind_int64 (stmt, 17, tx->expires_at);
  else
    sqlite3_bind_null (stmt, 17);
  sqlite3_bind_text (stmt, 18, tx->fingerprint ? tx->fingerprint : "", -1, SQLITE_TRANSIENT);
  bind_text_or_null (stmt, 19, tx->created_by);
  if (!globi_store_step_done (db, stmt, error))
    return 0;
  return sqlite3_last_insert_rowid (db);
}

static Tx *
tx_from_stmt (sqlite3_stmt *stmt)
{
  Tx *tx = g_new0 (Tx, 1);

  tx->seq = sqlite3_column_int64 (stmt, COL_SEQ);
  tx->id = column_dup (stmt, COL_ID);
  tx->kind = column_dup (stmt, COL_KIND);
  tx->state = column_dup (stmt, COL_STATE);
  tx->from_id = column_dup (stmt, COL_FROM);
  tx->to_id = column_dup (stmt, COL_TO);
  tx->currency = column_dup (stmt, COL_CURRENCY);
  tx->minor = sqlite3_column_int64 (stmt, COL_MINOR);
  tx->to_currency = column_dup (stmt, COL_TO_CURRENCY);
  tx->to_minor = sqlite3_column_int64 (stmt, COL_TO_MINOR);
  tx->rate = column_dup (stmt, COL_RATE);
  tx->rate_date = column_dup (stmt, COL_RATE_DATE);
  tx->note = column_dup (stmt, COL_NOTE);
  tx->chat_user = column_dup (stmt, COL_CHAT_USER);
  tx->chat_group = column_dup (stmt, COL_CHAT_GROUP);
  tx->red_packet_id = column_dup (stmt, COL_RED_PACKET);
  tx->created_at = sqlite3_column_int64 (stmt, COL_CREATED_AT);
  tx->updated_at = sqlite3_column_int64 (stmt, COL_UPDATED_AT);
  tx->expires_at = sqlite3_column_int64 (stmt, COL_EXPIRES_AT);
  tx->fingerprint = column_dup (stmt, COL_FINGERPRINT);
  tx->created_by = column_dup (stmt, COL_CREATED_BY);
  return tx;
}

/* By client id (seq 0) or by seq. NULL without error when there is none. */
static Tx *
load_tx (sqlite3 *db, const char *id, gint64 seq, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;

  if (!(stmt = globi_store_prepare_cached (
            db,
            id ? "SELECT " TX_COLUMNS " FROM wallet_transactions WHERE id = ?1"
               : "SELECT " TX_COLUMNS " FROM wallet_transactions WHERE seq = ?2",
            error)))
    return NULL;
  if (id)
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_int64 (stmt, 2, seq);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return tx_from_stmt (stmt);
}

static gboolean
set_state (sqlite3 *db, gint64 seq, const char *state, gint64 now_ms, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;

  if (!(stmt = globi_store_prepare_cached (
            db,
            "UPDATE wallet_transactions SET state = ?1, updated_at = ?2 "
            "WHERE seq = ?3",
            error)))
    return FALSE;
  sqlite3_bind_text (stmt, 1, state, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now_ms);
  sqlite3_bind_int64 (stmt, 3, seq);
  return globi_store_step_done (db, stmt, error);
}

static void
add_party (JsonObject *obj, sqlite3 *db, const char *name, const char *user_id)
{
  JsonNode *user = user_id ? user_json (db, user_id, NULL) : NULL;

  if (user)
    json_object_set_member (obj, name, user);
  else
    json_object_set_null_member (obj, name);
}

static JsonNode *
tx_json (sqlite3 *db, const Tx *tx)
{
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) obj = json_object_new ();

  json_object_set_string_member (obj, "id", tx->id);
  json_object_set_string_member (obj, "kind", tx->kind);
  json_object_set_string_member (obj, "state", tx->state);
  add_party (obj, db, "from", tx->from_id);
  add_party (obj, db, "to", tx->to_id);
  json_object_set_member (obj, "amount", globi_money_to_json (tx->minor, tx->currency));
  if (tx->to_currency)
    {
      g_autoptr (JsonObject) converted = json_object_new ();

      json_object_set_member (converted, "amount",
                              globi_money_to_json (tx->to_minor, tx->to_currency));
      json_object_set_string_member (converted, "rate", tx->rate ? tx->rate : "1");
      json_object_set_string_member (converted, "rate_date", tx->rate_date ? tx->rate_date : "");
      json_object_set_object_member (obj, "converted", g_steal_pointer (&converted));
    }
  json_object_set_string_member (obj, "note", tx->note ? tx->note : "");
  if (tx->chat_user || tx->chat_group)
    {
      g_autoptr (JsonObject) chat = json_object_new ();

      if (tx->chat_user)
        json_object_set_string_member (chat, "user_id", tx->chat_user);
      else
        json_object_set_string_member (chat, "group_id", tx->chat_group);
      json_object_set_object_member (obj, "chat", g_steal_pointer (&chat));
    }
  json_object_set_int_member (obj, "created_at", tx->created_at);
  json_object_set_int_member (obj, "updated_at", tx->updated_at);
  if (tx->expires_at)
    json_object_set_int_member (obj, "expires_at", tx->expires_at);
  if (tx->red_packet_id)
    json_object_set_string_member (obj, "red_packet_id", tx->red_packet_id);
  json_node_set_object (root, obj);
  return root;
}

/* wallet_updated {"transaction"} to every device of the parties. */
static gboolean
emit_tx_json (sqlite3 *db, GlobiWalletResult *result, const Tx *tx, JsonNode *json, GError **error)
{
  g_autoptr (JsonNode) event = wrap ("transaction", json);
  g_autofree char *text = NULL;
  const char *users[3] = { NULL, NULL, NULL };
  guint n = 0;

  json_object_set_string_member (json_node_get_object (event), "kind", "wallet_updated");
  text = json_to_string (event, FALSE);
  if (tx->from_id)
    users[n++] = tx->from_id;
  if (tx->to_id && g_strcmp0 (tx->to_id, tx->from_id) != 0)
    users[n++] = tx->to_id;
  if (n == 0)
    return TRUE;
  return globi_store_events_append_to_users (db, users, NULL, text, result->wake_devices, error);
}

static gboolean
emit_tx (sqlite3 *db, GlobiWalletResult *result, const Tx *tx, GError **error)
{
  return emit_tx_json (db, result, tx, tx_json (db, tx), error);
}

/* Reloads the transaction, emits wallet_updated and makes it the reply. */
static gpointer
reply_tx (
    sqlite3 *db, GlobiWalletResult *result, gint64 seq, guint status, gboolean emit, GError **error)
{
  g_autoptr (GlobiWalletResult) owned = result;
  g_autoptr (Tx) tx = load_tx (db, NULL, seq, error);
  JsonNode *json;

  if (!tx)
    return fail_null (error, GLOBI_ERROR_INTERNAL, "transaction vanished");
  /* One JSON for the reply and the event: each User in it costs a query. */
  json = tx_json (db, tx);
  if (emit && !emit_tx_json (db, owned, tx, json_node_copy (json), error))
    {
      json_node_unref (json);
      return NULL;
    }
  owned->status = status;
  owned->reply = wrap ("transaction", json);
  return g_steal_pointer (&owned);
}

/* Wallet opening and expiry, run at the start of every job */

static gboolean
open_wallet (
    sqlite3 *db, const char *user_id, gint64 now_ms, GlobiWalletResult *result, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  g_autoptr (GlobiStoreCachedStmt) pref = NULL;
  g_autofree char *currency = NULL;
  const GlobiCurrency *cur;
  Tx tx = { 0 };
  gint64 minor = GLOBI_WALLET_STARTER_UNITS;
  g_autofree char *id = NULL;

  if (!(stmt =
            globi_store_prepare_cached (db,
                                        "INSERT INTO wallets (user_id, opened_at) VALUES (?1, ?2) "
                                        "ON CONFLICT DO NOTHING",
                                        error)))
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return FALSE;
  if (sqlite3_changes (db) == 0)
    return TRUE;

  if (!(pref = globi_store_prepare_cached (db, "SELECT preferred_currency FROM users WHERE id = ?1",
                                           error)))
    return FALSE;
  sqlite3_bind_text (pref, 1, user_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (pref) != SQLITE_ROW)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND, "no such user");
      return FALSE;
    }
  currency = column_dup (pref, 0);
  if (!(cur = globi_currency_lookup (currency)))
    {
      g_free (currency);
      currency = g_strdup ("USD");
      cur = globi_currency_lookup (currency);
    }
  for (guint i = 0; i < cur->exponent; i++)
    minor *= 10;

  id = globi_id_new ();
  tx.id = id;
  tx.kind = (char *) "starter";
  tx.state = (char *) "completed";
  tx.to_id = (char *) user_id;
  tx.currency = currency;
  tx.minor = minor;
  tx.created_at = now_ms;
  if (!(tx.seq = insert_tx (db, &tx, error)))
    return FALSE;
  if (!move (db, tx.seq, GLOBI_WALLET_ISSUER, user_id, currency, minor, now_ms, error))
    return FALSE;
  tx.updated_at = now_ms;
  return emit_tx (db, result, &tx, error);
}

/* The unclaimed rest of a red packet. */
static gint64
red_packet_left (sqlite3 *db, const char *packet_id, gint64 *out_count)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = globi_store_prepare_cached (
      db,
      "SELECT coalesce (sum (minor), 0), count (*) FROM red_packet_shares WHERE packet_id = ?1 "
      "AND claimer_id IS NULL",
      NULL);

  if (!stmt)
    return 0;
  sqlite3_bind_text (stmt, 1, packet_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  if (out_count)
    *out_count = sqlite3_column_int64 (stmt, 1);
  return sqlite3_column_int64 (stmt, 0);
}

/* Gives back what a pending transaction holds in escrow. */
static gboolean
expire_tx (sqlite3 *db, Tx *tx, gint64 now_ms, GlobiWalletResult *result, GError **error)
{
  gint64 back = tx->minor;

  if (g_str_equal (tx->kind, "red_packet"))
    back = red_packet_left (db, tx->id, NULL);
  if (back > 0 &&
      !move (db, tx->seq, GLOBI_WALLET_ESCROW, tx->from_id, tx->currency, back, now_ms, error))
    return FALSE;
  if (!set_state (db, tx->seq, back > 0 ? "returned" : "completed", now_ms, error))
    return FALSE;
  g_free (tx->state);
  tx->state = g_strdup (back > 0 ? "returned" : "completed");
  tx->updated_at = now_ms;
  return emit_tx (db, result, tx, error);
}

/* Returns every pending transfer and red packet whose 24 hours are over, a batch at a time
 * (the periodic sweep calls again until none is left). */
static gint64
sweep_due (sqlite3 *db, gint64 now_ms, GlobiWalletResult *result, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  g_autoptr (GPtrArray) due = g_ptr_array_new_with_free_func ((GDestroyNotify) tx_free);

  if (!(stmt = globi_store_prepare_cached (db,
                                           "SELECT " TX_COLUMNS " FROM wallet_transactions WHERE "
                                           "state = 'pending' AND expires_at IS NOT NULL AND "
                                           "expires_at <= ?1 ORDER BY expires_at LIMIT ?2",
                                           error)))
    return -1;
  sqlite3_bind_int64 (stmt, 1, now_ms);
  sqlite3_bind_int (stmt, 2, SWEEP_BATCH);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (due, tx_from_stmt (stmt));
  /* Back to its cache before expire_tx, which reads transactions too. */
  g_clear_pointer (&stmt, globi_store_release_cached);
  for (guint i = 0; i < due->len; i++)
    if (!expire_tx (db, g_ptr_array_index (due, i), now_ms, result, error))
      return -1;
  return due->len;
}

/* What every job does first. */
static GlobiWalletResult *
begin (sqlite3 *db, GlobiWalletArgs *a, GError **error)
{
  g_autoptr (GlobiWalletResult) result = result_new ();

  if (sweep_due (db, a->now_ms, result, error) < 0)
    return NULL;
  if (a->user_id && !open_wallet (db, a->user_id, a->now_ms, result, error))
    return NULL;
  return g_steal_pointer (&result);
}

/* PIN */

gpointer
globi_store_wallet_pin_state (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  GlobiWalletPinState *state = g_new0 (GlobiWalletPinState, 1);

  if (!(stmt = globi_store_prepare (
            db, "SELECT hash, locked_until FROM wallet_pins WHERE user_id = ?1", error)))
    {
      g_free (state);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, a->user_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      state->hash = column_dup (stmt, 0);
      state->locked_until = sqlite3_column_int64 (stmt, 1);
    }
  return state;
}

static void
refuse (GlobiWalletResult *result, GlobiErrorCode code, const char *message)
{
  result->refused = TRUE;
  result->code = code;
  g_free (result->message);
  result->message = g_strdup (message);
}

/* Counts a PIN attempt inside the job that it guards. TRUE: go on. FALSE without error:
 * result carries the refusal (wrong PIN, locked), and the job must commit the count. */
static gboolean
pin_gate (sqlite3 *db, GlobiWalletArgs *a, GlobiWalletResult *result, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  g_autoptr (GlobiStoreCachedStmt) update = NULL;
  gint64 failures, locked_until;

  if (!(stmt = globi_store_prepare_cached (db,
                                           "SELECT failures, locked_until FROM wallet_pins "
                                           "WHERE user_id = ?1",
                                           error)))
    return FALSE;
  sqlite3_bind_text (stmt, 1, a->user_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_PIN_REQUIRED, "set a payment PIN first");
      return FALSE;
    }
  failures = sqlite3_column_int64 (stmt, 0);
  locked_until = sqlite3_column_int64 (stmt, 1);
  if (locked_until > a->now_ms)
    {
      refuse (result, GLOBI_ERROR_PIN_LOCKED, "too many wrong PINs; try again later");
      result->retry_after_s = (locked_until - a->now_ms + 999) / 1000;
      return FALSE;
    }
  if (a->pin_ok)
    failures = 0;
  else if (++failures >= GLOBI_WALLET_PIN_MAX_FAILURES)
    {
      locked_until = a->now_ms + GLOBI_WALLET_PIN_LOCK_MS;
      failures = 0;
      refuse (result, GLOBI_ERROR_PIN_LOCKED, "too many wrong PINs; try again later");
      result->retry_after_s = GLOBI_WALLET_PIN_LOCK_MS / 1000;
    }
  else
    {
      refuse (result, GLOBI_ERROR_WRONG_PIN, "wrong PIN");
      result->attempts_left = GLOBI_WALLET_PIN_MAX_FAILURES - failures;
    }
  if (!(update =
            globi_store_prepare_cached (db,
                                        "UPDATE wallet_pins SET failures = ?1, locked_until = ?2 "
                                        "WHERE user_id = ?3",
                                        error)))
    return FALSE;
  sqlite3_bind_int64 (update, 1, failures);
  sqlite3_bind_int64 (update, 2, locked_until);
  sqlite3_bind_text (update, 3, a->user_id, -1, SQLITE_TRANSIENT);
  if (!globi_store_step_done (db, update, error))
    return FALSE;
  return a->pin_ok;
}

/* Runs the PIN gate; returns the result to reply with when the job must stop there. */
#define PIN_GATE(db, a, result, error)                             \
  G_STMT_START                                                     \
  {                                                                \
    if (!pin_gate (db, a, result, error))                          \
      return (error && *error) ? NULL : g_steal_pointer (&result); \
  }                                                                \
  G_STMT_END

gpointer
globi_store_wallet_set_pin (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gboolean exists;

  if (!result)
    return NULL;
  if (!(stmt = globi_store_prepare (db, "SELECT 1 FROM wallet_pins WHERE user_id = ?1", error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->user_id, -1, SQLITE_TRANSIENT);
  exists = sqlite3_step (stmt) == SQLITE_ROW;
  g_clear_pointer (&stmt, sqlite3_finalize);
  /* A PIN set by another device between the route's read and this write. */
  if (exists != a->had_pin)
    return fail_null (error, GLOBI_ERROR_CONFLICT, "the PIN changed meanwhile; try again");
  if (exists)
    PIN_GATE (db, a, result, error);
  if (!(stmt =
            globi_store_prepare (db,
                                 "INSERT INTO wallet_pins (user_id, hash, failures, "
                                 "locked_until, updated_at) VALUES (?1, ?2, 0, 0, ?3) ON "
                                 "CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, "
                                 "failures = 0, locked_until = 0, updated_at = excluded.updated_at",
                                 error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, a->pin_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, a->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  result->status = 204;
  return g_steal_pointer (&result);
}

/* Wallet */

gpointer
globi_store_wallet_get (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonArray) balances = json_array_new ();
  g_autoptr (JsonObject) obj = json_object_new ();
  g_autoptr (GlobiWalletPinState) pin = NULL;

  if (!result)
    return NULL;
  if (!(stmt = globi_store_prepare (db,
                                    "SELECT currency, minor FROM wallet_balances WHERE "
                                    "account = ?1 ORDER BY currency",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->user_id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    json_array_add_element (balances,
                            globi_money_to_json (sqlite3_column_int64 (stmt, 1),
                                                 (const char *) sqlite3_column_text (stmt, 0)));
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (!(pin = globi_store_wallet_pin_state (db, a, error)))
    return NULL;
  if (!(stmt =
            globi_store_prepare (db, "SELECT preferred_currency FROM users WHERE id = ?1", error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->user_id, -1, SQLITE_TRANSIENT);
  json_object_set_array_member (obj, "balances", g_steal_pointer (&balances));
  json_object_set_boolean_member (obj, "pin_set", pin->hash != NULL);
  if (pin->locked_until > a->now_ms)
    json_object_set_int_member (obj, "pin_locked_until", pin->locked_until);
  else
    json_object_set_null_member (obj, "pin_locked_until");
  json_object_set_string_member (
      obj, "preferred_currency",
      sqlite3_step (stmt) == SQLITE_ROW ? (const char *) sqlite3_column_text (stmt, 0) : "USD");
  result->status = 200;
  result->reply = json_node_init_object (json_node_alloc (), obj);
  return g_steal_pointer (&result);
}

/* Idempotency: an id seen before answers what it made when the content matches. */
typedef enum
{
  SEEN_NEW,
  SEEN_SAME,
  SEEN_CLASH,
} Seen;

static Seen
check_seen (sqlite3 *db, const char *id, const char *fingerprint, gint64 *out_seq)
{
  g_autoptr (Tx) tx = load_tx (db, id, 0, NULL);

  if (!tx)
    return SEEN_NEW;
  *out_seq = tx->seq;
  return g_strcmp0 (tx->fingerprint, fingerprint) == 0 ? SEEN_SAME : SEEN_CLASH;
}

static char *
fingerprint (const GlobiWalletArgs *a, const char *kind)
{
  /* Unit separators keep "a|b" + "c" apart from "a" + "b|c". */
  return g_strdup_printf ("%s\x1f%s\x1f%s\x1f%s\x1f%" G_GINT64_FORMAT "\x1f%s\x1f%s\x1f%s\x1f%s"
                          "\x1f%u\x1f%d",
                          kind, a->user_id, a->other_id ? a->other_id : "", a->currency, a->minor,
                          a->to_currency ? a->to_currency : "", a->note ? a->note : "",
                          a->chat_user ? a->chat_user : "", a->chat_group ? a->chat_group : "",
                          a->count, a->random_split);
}

typedef enum
{
  OP_NEW,
  OP_REPLAY,
  OP_STOP,
} OpStart;

/* The preamble of every new ledger operation: the PIN gate (when pin), then the id's
 * idempotency. OP_REPLAY: the same request again (seq made it); OP_STOP: a PIN refusal in
 * result, or error set (the id belongs to another request). */
static OpStart
op_start (sqlite3 *db,
          GlobiWalletArgs *a,
          const char *fp,
          gboolean pin,
          GlobiWalletResult *result,
          gint64 *seq,
          GError **error)
{
  if (pin && !pin_gate (db, a, result, error))
    return OP_STOP;
  switch (check_seen (db, a->id, fp, seq))
    {
      case SEEN_SAME:
        return OP_REPLAY;
      case SEEN_CLASH:
        g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT, "id: already used");
        return OP_STOP;
      case SEEN_NEW:
      default:
        return OP_NEW;
    }
}

/* Runs op_start; returns replay (an expression, seq set) or the stop's reply. */
#define NEW_OPERATION(db, a, fp, pin, result, seq, replay, error)      \
  G_STMT_START                                                         \
  {                                                                    \
    switch (op_start (db, a, fp, pin, result, &(seq), error))          \
      {                                                                \
        case OP_REPLAY:                                                \
          return (replay);                                             \
        case OP_STOP:                                                  \
          return (error && *error) ? NULL : g_steal_pointer (&result); \
        case OP_NEW:                                                   \
        default:                                                       \
          break;                                                       \
      }                                                                \
  }                                                                    \
  G_STMT_END

/* The checks between two people shared by transfers and requests. */
static gboolean
check_counterpart (sqlite3 *db, const GlobiWalletArgs *a, gboolean friends_only, GError **error)
{
  if (g_str_equal (a->other_id, a->user_id))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "not to yourself");
      return FALSE;
    }
  if (!user_exists (db, a->other_id))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND, "no such user");
      return FALSE;
    }
  if (globi_store_social_is_blocked_either (db, a->user_id, a->other_id))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BLOCKED, "blocked");
      return FALSE;
    }
  if (friends_only && !globi_store_social_are_friends (db, a->user_id, a->other_id))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN, "not a friend");
      return FALSE;
    }
  return TRUE;
}

static void
fill_tx (Tx *tx, const GlobiWalletArgs *a, const char *kind, const char *state, char *fp)
{
  tx->id = a->id;
  tx->kind = (char *) kind;
  tx->state = (char *) state;
  tx->currency = a->currency;
  tx->minor = a->minor;
  tx->note = a->note;
  tx->chat_user = a->chat_user;
  tx->chat_group = a->chat_group;
  tx->created_at = a->now_ms;
  tx->fingerprint = fp;
  tx->created_by = a->user_id;
}

gpointer
globi_store_wallet_transfer (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autofree char *fp = fingerprint (a, "transfer");
  gint64 seq = 0;
  Tx tx = { 0 };

  if (!result)
    return NULL;
  NEW_OPERATION (db, a, fp, TRUE, result, seq,
                 reply_tx (db, g_steal_pointer (&result), seq, 201, FALSE, error), error);
  if (!check_counterpart (db, a, TRUE, error) ||
      !open_wallet (db, a->other_id, a->now_ms, result, error))
    return NULL;
  fill_tx (&tx, a, "transfer", "pending", fp);
  tx.from_id = a->user_id;
  tx.to_id = a->other_id;
  tx.expires_at = a->now_ms + GLOBI_WALLET_PENDING_TTL_MS;
  if (!(seq = insert_tx (db, &tx, error)) ||
      !move (db, seq, a->user_id, GLOBI_WALLET_ESCROW, a->currency, a->minor, a->now_ms, error))
    return NULL;
  return reply_tx (db, g_steal_pointer (&result), seq, 201, TRUE, error);
}

/* A transaction the asker is a party of, by the path's id; NOT_FOUND otherwise. */
static Tx *
load_mine (sqlite3 *db, const GlobiWalletArgs *a, const char *kind, GError **error)
{
  g_autoptr (Tx) tx = load_tx (db, a->id, 0, error);

  if (!tx || (kind && !g_str_equal (tx->kind, kind)) ||
      (g_strcmp0 (tx->from_id, a->user_id) != 0 && g_strcmp0 (tx->to_id, a->user_id) != 0))
    {
      g_clear_error (error);
      return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such transaction");
    }
  return g_steal_pointer (&tx);
}

gpointer
globi_store_wallet_answer_transfer (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (Tx) tx = NULL;
  const char *want = a->accept ? "completed" : "declined";

  if (!result || !(tx = load_mine (db, a, "transfer", error)))
    return NULL;
  if (g_strcmp0 (tx->to_id, a->user_id) != 0)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such transaction");
  if (g_str_equal (tx->state, want))
    return reply_tx (db, g_steal_pointer (&result), tx->seq, 200, FALSE, error);
  if (!g_str_equal (tx->state, "pending"))
    return fail_null (error, GLOBI_ERROR_CONFLICT, "the transfer is no longer pending");
  if (!move (db, tx->seq, GLOBI_WALLET_ESCROW, a->accept ? tx->to_id : tx->from_id, tx->currency,
             tx->minor, a->now_ms, error) ||
      !set_state (db, tx->seq, want, a->now_ms, error))
    return NULL;
  return reply_tx (db, g_steal_pointer (&result), tx->seq, 200, TRUE, error);
}

gpointer
globi_store_wallet_request (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autofree char *fp = fingerprint (a, "request");
  gint64 seq = 0;
  Tx tx = { 0 };

  if (!result)
    return NULL;
  NEW_OPERATION (db, a, fp, FALSE, result, seq,
                 reply_tx (db, g_steal_pointer (&result), seq, 201, FALSE, error), error);
  if (!check_counterpart (db, a, TRUE, error))
    return NULL;
  fill_tx (&tx, a, "request", "pending", fp);
  tx.from_id = a->other_id;
  tx.to_id = a->user_id;
  if (!(seq = insert_tx (db, &tx, error)))
    return NULL;
  return reply_tx (db, g_steal_pointer (&result), seq, 201, TRUE, error);
}

gpointer
globi_store_wallet_pay_request (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (Tx) tx = NULL;

  if (!result || !(tx = load_mine (db, a, "request", error)))
    return NULL;
  if (g_strcmp0 (tx->from_id, a->user_id) != 0)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such request");
  PIN_GATE (db, a, result, error);
  if (g_str_equal (tx->state, "completed"))
    return reply_tx (db, g_steal_pointer (&result), tx->seq, 200, FALSE, error);
  if (!g_str_equal (tx->state, "pending"))
    return fail_null (error, GLOBI_ERROR_CONFLICT, "the request is no longer pending");
  if (!open_wallet (db, tx->to_id, a->now_ms, result, error) ||
      !move (db, tx->seq, tx->from_id, tx->to_id, tx->currency, tx->minor, a->now_ms, error) ||
      !set_state (db, tx->seq, "completed", a->now_ms, error))
    return NULL;
  return reply_tx (db, g_steal_pointer (&result), tx->seq, 200, TRUE, error);
}

gpointer
globi_store_wallet_decline_request (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (Tx) tx = NULL;

  if (!result || !(tx = load_mine (db, a, "request", error)))
    return NULL;
  if (g_str_equal (tx->state, "declined"))
    return reply_tx (db, g_steal_pointer (&result), tx->seq, 200, FALSE, error);
  if (!g_str_equal (tx->state, "pending"))
    return fail_null (error, GLOBI_ERROR_CONFLICT, "the request is no longer pending");
  if (!set_state (db, tx->seq, "declined", a->now_ms, error))
    return NULL;
  return reply_tx (db, g_steal_pointer (&result), tx->seq, 200, TRUE, error);
}

/* Red packets */

/* Uniform in [0, n). */
static guint64
uniform64 (guint64 n)
{
  guint64 limit, r;

  if (n <= G_MAXUINT32)
    return randombytes_uniform ((guint32) n);
  /* Rejection sampling keeps large ranges unbiased too. */
  limit = G_MAXUINT64 - (G_MAXUINT64 % n);
  do
    randombytes_buf (&r, sizeof r);
  while (r >= limit);
  return r % n;
}

/* Shares of total among count: fixed (equal) or random ("double average": each draw is at
 * most twice the mean of what is left, and leaves at least 1 minor unit per share). */
static gint64 *
draw_shares (gint64 total, guint count, gboolean random_split)
{
  gint64 *shares = g_new0 (gint64, count);
  gint64 left = total;

  for (guint i = 0; i < count; i++)
    {
      guint remaining = count - i;
      gint64 upper;

      if (!random_split)
        shares[i] = total / count;
      else if (remaining == 1)
        shares[i] = left;
      else
        {
          upper = MIN ((left / remaining) * 2, left - (gint64) (remaining - 1));
          upper = MAX (upper, 1);
          shares[i] = 1 + (gint64) uniform64 ((guint64) upper);
          if (shares[i] > upper)
            shares[i] = upper;
        }
      left -= shares[i];
    }
  return shares;
}

static JsonNode *
claim_json (sqlite3 *db, sqlite3_stmt *stmt, const char *currency)
{
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) obj = json_object_new ();

  add_party (obj, db, "user", (const char *) sqlite3_column_text (stmt, 0));
  json_object_set_member (obj, "amount",
                          globi_money_to_json (sqlite3_column_int64 (stmt, 1), currency));
  json_object_set_int_member (obj, "claimed_at", sqlite3_column_int64 (stmt, 2));
  json_node_set_object (root, obj);
  return root;
}

static JsonNode *
red_packet_json (sqlite3 *db, const char *packet_id, const char *viewer, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (sqlite3_stmt) claims = NULL;
  g_autoptr (JsonObject) obj = json_object_new ();
  g_autoptr (JsonArray) list = json_array_new ();
  g_autoptr (Tx) tx = NULL;
  JsonNode *mine = NULL;
  g_autofree char *currency = NULL;
  gint64 left_count = 0, left;

  if (!(stmt = globi_store_prepare (db,
                                    "SELECT group_id, sender_id, currency, total, count, split, "
                                    "created_at, expires_at, tx_seq FROM red_packets WHERE id = ?1",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, packet_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such red packet");
  currency = column_dup (stmt, 2);
  if (!(tx = load_tx (db, NULL, sqlite3_column_int64 (stmt, 8), error)))
    return fail_null (error, GLOBI_ERROR_INTERNAL, "red packet without its transaction");
  left = red_packet_left (db, packet_id, &left_count);

  json_object_set_string_member (obj, "id", packet_id);
  json_object_set_string_member (obj, "group_id", (const char *) sqlite3_column_text (stmt, 0));
  add_party (obj, db, "from", (const char *) sqlite3_column_text (stmt, 1));
  json_object_set_member (obj, "total",
                          globi_money_to_json (sqlite3_column_int64 (stmt, 3), currency));
  json_object_set_int_member (obj, "count", sqlite3_column_int64 (stmt, 4));
  json_object_set_string_member (obj, "split", (const char *) sqlite3_column_text (stmt, 5));
  json_object_set_string_member (obj, "note", tx->note ? tx->note : "");
  json_object_set_string_member (obj, "state", tx->state);
  json_object_set_member (obj, "remaining", globi_money_to_json (left, currency));
  json_object_set_int_member (obj, "remaining_count", left_count);
  json_object_set_int_member (obj, "created_at", sqlite3_column_int64 (stmt, 6));
  json_object_set_int_member (obj, "expires_at", sqlite3_column_int64 (stmt, 7));

  if (!(claims = globi_store_prepare (db,
                                      "SELECT claimer_id, minor, claimed_at FROM "
                                      "red_packet_shares WHERE packet_id = ?1 AND claimer_id "
                                      "IS NOT NULL ORDER BY claimed_at, idx",
                                      error)))
    return NULL;
  sqlite3_bind_text (claims, 1, packet_id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (claims) == SQLITE_ROW)
    {
      JsonNode *claim = claim_json (db, claims, currency);

      if (viewer && g_strcmp0 ((const char *) sqlite3_column_text (claims, 0), viewer) == 0)
        mine = json_node_copy (claim);
      json_array_add_element (list, claim);
    }
  json_object_set_array_member (obj, "claims", g_steal_pointer (&list));
  if (mine)
    json_object_set_member (obj, "my_claim", mine);
  else
    json_object_set_null_member (obj, "my_claim");
  return wrap ("red_packet", json_node_init_object (json_node_alloc (), obj));
}

static gpointer
reply_red_packet (
    sqlite3 *db, GlobiWalletResult *result, const GlobiWalletArgs *a, guint status, GError **error)
{
  g_autoptr (GlobiWalletResult) owned = result;

  if (!(owned->reply = red_packet_json (db, a->id, a->user_id, error)))
    return NULL;
  owned->status = status;
  return g_steal_pointer (&owned);
}

gpointer
globi_store_wallet_red_packet (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *fp = fingerprint (a, "red_packet");
  g_autofree gint64 *shares = NULL;
  gint64 seq = 0;
  Tx tx = { 0 };
  g_autofree char *group = g_strdup (a->other_id);

  if (!result)
    return NULL;
  if (!globi_store_social_is_member (db, a->other_id, a->user_id))
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such group");
  NEW_OPERATION (db, a, fp, TRUE, result, seq,
                 reply_red_packet (db, g_steal_pointer (&result), a, 201, error), error);
  if (!(stmt =
            globi_store_prepare (db, "SELECT member_count FROM chat_groups WHERE id = ?1", error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->other_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such group");
  if (a->count > (guint) sqlite3_column_int64 (stmt, 0))
    return fail_null (error, GLOBI_ERROR_INVALID_FIELD,
                      "count: at most the number of members of the group");
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (a->minor < a->count)
    return fail_null (error, GLOBI_ERROR_INVALID_FIELD,
                      "total: at least 1 minor unit for every share");
  if (!a->random_split && a->minor % a->count != 0)
    return fail_null (error, GLOBI_ERROR_INVALID_FIELD,
                      "total: a fixed split must divide evenly by count");

  fill_tx (&tx, a, "red_packet", "pending", fp);
  tx.from_id = a->user_id;
  tx.chat_user = NULL;
  tx.chat_group = group;
  tx.red_packet_id = a->id;
  tx.expires_at = a->now_ms + GLOBI_WALLET_PENDING_TTL_MS;
  if (!(seq = insert_tx (db, &tx, error)) ||
      !move (db, seq, a->user_id, GLOBI_WALLET_ESCROW, a->currency, a->minor, a->now_ms, error))
    return NULL;
  if (!(stmt = globi_store_prepare (db,
                                    "INSERT INTO red_packets (id, tx_seq, group_id, sender_id, "
                                    "currency, total, count, split, created_at, expires_at) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, seq);
  sqlite3_bind_text (stmt, 3, a->other_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, a->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, a->currency, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, a->minor);
  sqlite3_bind_int (stmt, 7, (int) a->count);
  sqlite3_bind_text (stmt, 8, a->random_split ? "random" : "fixed", -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 9, a->now_ms);
  sqlite3_bind_int64 (stmt, 10, tx.expires_at);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  g_clear_pointer (&stmt, sqlite3_finalize);

  shares = draw_shares (a->minor, a->count, a->random_split);
  if (!(stmt = globi_store_prepare (db,
                                    "INSERT INTO red_packet_shares (packet_id, idx, minor) "
                                    "VALUES (?1, ?2, ?3)",
                                    error)))
    return NULL;
  for (guint i = 0; i < a->count; i++)
    {
      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, a->id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 2, (int) i);
      sqlite3_bind_int64 (stmt, 3, shares[i]);
      if (!globi_store_step_done (db, stmt, error))
        return NULL;
    }
  tx.seq = seq;
  tx.updated_at = a->now_ms;
  if (!emit_tx (db, result, &tx, error))
    return NULL;
  return reply_red_packet (db, g_steal_pointer (&result), a, 201, error);
}

/* The red packet's group, when the asker is a member of it; NOT_FOUND otherwise. */
static char *
red_packet_group (sqlite3 *db, const GlobiWalletArgs *a, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *group = NULL;

  if (!(stmt = globi_store_prepare (db, "SELECT group_id FROM red_packets WHERE id = ?1", error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    group = column_dup (stmt, 0);
  if (!group || !globi_store_social_is_member (db, group, a->user_id))
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such red packet");
  return g_steal_pointer (&group);
}

gpointer
globi_store_wallet_claim (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (Tx) packet = NULL;
  g_autofree char *group = NULL;
  g_autofree char *claim_id = NULL;
  gint64 idx, share, left_count = 0;
  Tx claim = { 0 };

  if (!result || !(group = red_packet_group (db, a, error)))
    return NULL;
  if (!(stmt = globi_store_prepare (db,
                                    "SELECT 1 FROM red_packet_shares WHERE packet_id = ?1 AND "
                                    "claimer_id = ?2",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, a->user_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return reply_red_packet (db, g_steal_pointer (&result), a, 200, error);
  g_clear_pointer (&stmt, sqlite3_finalize);

  packet = load_tx (db, a->id, 0, error);
  if (!packet)
    return fail_null (error, GLOBI_ERROR_INTERNAL, "red packet without its transaction");
  if (g_str_equal (packet->state, "returned"))
    return fail_null (error, GLOBI_ERROR_CONFLICT, "expired");
  if (!g_str_equal (packet->state, "pending"))
    return fail_null (error, GLOBI_ERROR_CONFLICT, "all claimed");

  if (!(stmt = globi_store_prepare (db,
                                    "SELECT idx, minor FROM red_packet_shares WHERE packet_id = "
                                    "?1 AND claimer_id IS NULL ORDER BY idx LIMIT 1",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return fail_null (error, GLOBI_ERROR_CONFLICT, "all claimed");
  idx = sqlite3_column_int64 (stmt, 0);
  share = sqlite3_column_int64 (stmt, 1);
  g_clear_pointer (&stmt, sqlite3_finalize);

  claim_id = globi_id_new ();
  claim.id = claim_id;
  claim.kind = (char *) "claim";
  claim.state = (char *) "completed";
  claim.from_id = packet->from_id;
  claim.to_id = a->user_id;
  claim.currency = packet->currency;
  claim.minor = share;
  claim.note = packet->note;
  claim.chat_group = group;
  claim.red_packet_id = a->id;
  claim.created_at = a->now_ms;
  claim.created_by = a->user_id;
  if (!(claim.seq = insert_tx (db, &claim, error)) ||
      !move (db, claim.seq, GLOBI_WALLET_ESCROW, a->user_id, packet->currency, share, a->now_ms,
             error))
    return NULL;
  if (!(stmt = globi_store_prepare (db,
                                    "UPDATE red_packet_shares SET claimer_id = ?1, claim_seq = "
                                    "?2, claimed_at = ?3 WHERE packet_id = ?4 AND idx = ?5",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, claim.seq);
  sqlite3_bind_int64 (stmt, 3, a->now_ms);
  sqlite3_bind_text (stmt, 4, a->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, idx);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  claim.updated_at = a->now_ms;
  if (!emit_tx (db, result, &claim, error))
    return NULL;
  red_packet_left (db, a->id, &left_count);
  if (left_count == 0)
    {
      if (!set_state (db, packet->seq, "completed", a->now_ms, error))
        return NULL;
      g_free (packet->state);
      packet->state = g_strdup ("completed");
      packet->updated_at = a->now_ms;
      if (!emit_tx (db, result, packet, error))
        return NULL;
    }
  return reply_red_packet (db, g_steal_pointer (&result), a, 200, error);
}

gpointer
globi_store_wallet_get_red_packet (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autofree char *group = NULL;

  if (!result || !(group = red_packet_group (db, a, error)))
    return NULL;
  return reply_red_packet (db, g_steal_pointer (&result), a, 200, error);
}

/* Payments */

gpointer
globi_store_wallet_payment (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autofree char *fp = fingerprint (a, "payment");
  g_autofree char *rate = NULL;
  const char *to_currency = a->to_currency ? a->to_currency : a->currency;
  gboolean cross = !g_str_equal (to_currency, a->currency);
  gint64 seq = 0, to_minor = a->minor;
  Tx tx = { 0 };

  if (!result)
    return NULL;
  NEW_OPERATION (db, a, fp, TRUE, result, seq,
                 reply_tx (db, g_steal_pointer (&result), seq, 201, FALSE, error), error);
  if (!check_counterpart (db, a, FALSE, error) ||
      !open_wallet (db, a->other_id, a->now_ms, result, error))
    return NULL;
  if (cross)
    {
      g_autoptr (GError) local = NULL;

      if (!a->from_rate || !a->to_rate ||
          !globi_money_convert (a->minor, a->currency, a->from_rate, to_currency, a->to_rate,
                                &to_minor, &local))
        return fail_null (error, GLOBI_ERROR_INVALID_FIELD,
                          "payee_currency: no conversion available");
      if (to_minor <= 0)
        return fail_null (error, GLOBI_ERROR_INVALID_FIELD,
                          "amount: converts to nothing in the payee's currency");
      rate = globi_money_cross_rate (a->from_rate, a->to_rate);
    }
  fill_tx (&tx, a, "payment", "completed", fp);
  tx.from_id = a->user_id;
  tx.to_id = a->other_id;
  if (cross)
    {
      tx.to_currency = (char *) to_currency;
      tx.to_minor = to_minor;
      tx.rate = rate;
      tx.rate_date = a->rate_date;
    }
  if (!(seq = insert_tx (db, &tx, error)))
    return NULL;
  if (cross ? !(move (db, seq, a->user_id, GLOBI_WALLET_EXCHANGE, a->currency, a->minor, a->now_ms,
                      error) &&
                move (db, seq, GLOBI_WALLET_EXCHANGE, a->other_id, to_currency, to_minor, a->now_ms,
                      error))
            : !move (db, seq, a->user_id, a->other_id, a->currency, a->minor, a->now_ms, error))
    return NULL;
  return reply_tx (db, g_steal_pointer (&result), seq, 201, TRUE, error);
}

gpointer
globi_store_wallet_refund (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (Tx) tx = NULL;
  const char *to_currency;

  if (!result || !(tx = load_mine (db, a, "payment", error)))
    return NULL;
  if (g_strcmp0 (tx->to_id, a->user_id) != 0)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such payment");
  PIN_GATE (db, a, result, error);
  if (g_str_equal (tx->state, "refunded"))
    return reply_tx (db, g_steal_pointer (&result), tx->seq, 200, FALSE, error);
  to_currency = tx->to_currency ? tx->to_currency : tx->currency;
  /* The exact reverse of the payment's entries: no second conversion. */
  if (tx->to_currency
          ? !(move (db, tx->seq, tx->to_id, GLOBI_WALLET_EXCHANGE, to_currency, tx->to_minor,
                    a->now_ms, error) &&
              move (db, tx->seq, GLOBI_WALLET_EXCHANGE, tx->from_id, tx->currency, tx->minor,
                    a->now_ms, error))
          : !move (db, tx->seq, tx->to_id, tx->from_id, tx->currency, tx->minor, a->now_ms, error))
    return NULL;
  if (!set_state (db, tx->seq, "refunded", a->now_ms, error))
    return NULL;
  return reply_tx (db, g_steal_pointer (&result), tx->seq, 200, TRUE, error);
}

/* History */

gpointer
globi_store_wallet_list (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonArray) list = json_array_new ();
  g_autoptr (JsonObject) obj = json_object_new ();
  gint64 last = 0;
  guint n = 0;

  if (!result)
    return NULL;
  /* Two index range scans (from, to) merged by seq; the filters are cheap row checks. */
  if (!(stmt = globi_store_prepare (
            db,
            "SELECT " TX_COLUMNS " FROM wallet_transactions WHERE seq IN ("
            "  SELECT seq FROM wallet_transactions WHERE from_id = ?1 AND seq < ?2"
            "  UNION SELECT seq FROM wallet_transactions WHERE to_id = ?1 AND seq < ?2) "
            "AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR state = ?4) "
            "AND (?5 IS NULL OR currency = ?5 OR to_currency = ?5) "
            "ORDER BY seq DESC LIMIT ?6",
            error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, a->before > 0 ? a->before : G_MAXINT64);
  bind_text_or_null (stmt, 3, a->kind);
  bind_text_or_null (stmt, 4, a->state);
  bind_text_or_null (stmt, 5, a->currency);
  sqlite3_bind_int (stmt, 6, (int) a->limit);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr (Tx) tx = tx_from_stmt (stmt);

      json_array_add_element (list, tx_json (db, tx));
      last = tx->seq;
      n++;
    }
  json_object_set_array_member (obj, "transactions", g_steal_pointer (&list));
  if (n == a->limit && last > 1)
    {
      g_autofree char *cursor = g_strdup_printf ("%" G_GINT64_FORMAT, last);

      json_object_set_string_member (obj, "next", cursor);
    }
  else
    json_object_set_null_member (obj, "next");
  result->status = 200;
  result->reply = json_node_init_object (json_node_alloc (), obj);
  return g_steal_pointer (&result);
}

gpointer
globi_store_wallet_get_transaction (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = begin (db, a, error);
  g_autoptr (Tx) tx = NULL;

  if (!result || !(tx = load_mine (db, a, NULL, error)))
    return NULL;
  return reply_tx (db, g_steal_pointer (&result), tx->seq, 200, FALSE, error);
}

gpointer
globi_store_wallet_sweep (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = result_new ();
  gint64 n;

  do
    if ((n = sweep_due (db, a->now_ms, result, error)) < 0)
      return NULL;
  while (n == SWEEP_BATCH);
  return g_steal_pointer (&result);
}

gpointer
globi_store_wallet_generate (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = result_new ();
  Tx tx = { 0 };

  if (!open_wallet (db, a->user_id, a->now_ms, result, error) ||
      !open_wallet (db, a->other_id, a->now_ms, result, error))
    return NULL;
  tx.kind = (char *) "payment";
  tx.state = (char *) "completed";
  tx.currency = a->currency;
  tx.minor = a->minor;
  tx.created_at = a->now_ms;
  for (guint i = 0; i < a->count; i++)
    {
      g_autofree char *id = globi_id_new ();
      gint64 seq;

      tx.id = id;
      tx.from_id = i % 2 ? a->other_id : a->user_id;
      tx.to_id = i % 2 ? a->user_id : a->other_id;
      if (!(seq = insert_tx (db, &tx, error)) ||
          !move (db, seq, tx.from_id, tx.to_id, a->currency, a->minor, a->now_ms, error))
        return NULL;
    }
  result->status = 200;
  return g_steal_pointer (&result);
}

/* Rates */

gpointer
globi_store_wallet_load_rates (sqlite3 *db, gpointer data, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!(stmt = globi_store_prepare (db, "SELECT json FROM wallet_rates WHERE id = 1", error)))
    return NULL;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return column_dup (stmt, 0);
}

gpointer
globi_store_wallet_save_rates (sqlite3 *db, gpointer data, GError **error)
{
  GlobiWalletArgs *a = data;
  g_autoptr (GlobiWalletResult) result = result_new ();
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (sqlite3_stmt) devices = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) event = NULL;
  g_autofree char *text = NULL;
  JsonObject *set, *obj;

  /* a->note: the set's JSON (see globi-rates.c); a->rate_date its date. */
  if (!json_parser_load_from_data (parser, a->note, -1, NULL))
    return fail_null (error, GLOBI_ERROR_INTERNAL, "bad rate set");
  if (!(stmt = globi_store_prepare (db,
                                    "INSERT INTO wallet_rates (id, date, json) VALUES (1, ?1, ?2) "
                                    "ON CONFLICT (id) DO UPDATE SET date = excluded.date, json = "
                                    "excluded.json WHERE excluded.date > wallet_rates.date",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, a->rate_date, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, a->note, -1, SQLITE_TRANSIENT);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  result->status = sqlite3_changes (db) > 0 ? 200 : 304;
  if (result->status == 304)
    return g_steal_pointer (&result);

  /* rates_updated {"base", "date", "rates"} to every active device. */
  set = json_node_get_object (json_parser_get_root (parser));
  obj = json_object_new ();
  json_object_set_string_member (obj, "kind", "rates_updated");
  json_object_set_string_member (obj, "base", "EUR");
  json_object_set_string_member (obj, "date", a->rate_date);
  if (json_object_has_member (set, "rates"))
    json_object_set_member (obj, "rates", json_node_copy (json_object_get_member (set, "rates")));
  event = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  text = json_to_string (event, FALSE);
  if (!(devices =
            globi_store_prepare (db, "SELECT id FROM devices WHERE revoked_at IS NULL", error)))
    return NULL;
  while (sqlite3_step (devices) == SQLITE_ROW)
    g_ptr_array_add (ids, column_dup (devices, 0));
  g_ptr_array_add (ids, NULL);
  if (ids->len > 1 && !globi_store_events_append_to_devices (db, (const char *const *) ids->pdata,
                                                             text, result->wake_devices, error))
    return NULL;
  return g_steal_pointer (&result);
}

/* Audit */

static gboolean
audit_query (sqlite3 *db,
             GString *report,
             gint64 *violations,
             const char *sql,
             const char *what,
             GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = globi_store_prepare (db, sql, error);
  int rc;

  if (!stmt)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int n = sqlite3_column_count (stmt);

      (*violations)++;
      g_string_append_printf (report, "VIOLATION %s:", what);
      for (int i = 0; i < n; i++)
        g_string_append_printf (
            report, " %s=%s", sqlite3_column_name (stmt, i),
            sqlite3_column_text (stmt, i) ? (const char *) sqlite3_column_text (stmt, i) : "NULL");
      g_string_append_c (report, '\n');
    }
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  return TRUE;
}

static gint64
count_rows (sqlite3 *db, const char *sql)
{
  g_autoptr (sqlite3_stmt) stmt = globi_store_prepare (db, sql, NULL);

  if (!stmt || sqlite3_step (stmt) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int64 (stmt, 0);
}

gint64
globi_store_wallet_audit (sqlite3 *db, GString *report, GError **error)
{
  /* Each check selects the offending rows; a healthy ledger returns none. */
  static const struct
  {
    const char *what;
    const char *sql;
  } checks[] = {
    /* Summed first, joined after: one pass over the covering index, no sort. */
    { "transaction entries do not sum to zero",
      "SELECT coalesce (t.id, s.tx_seq) AS transaction_id, s.currency, s.sum FROM (SELECT "
      "tx_seq, currency, sum (minor) AS sum FROM wallet_entries GROUP BY tx_seq, currency "
      "HAVING sum (minor) != 0) s LEFT JOIN wallet_transactions t ON t.seq = s.tx_seq" },
    { "negative balance",
      "SELECT account, currency, minor FROM wallet_balances WHERE minor < 0 AND account NOT IN "
      "('" GLOBI_WALLET_ISSUER "', '" GLOBI_WALLET_EXCHANGE "')" },
    /* The sums per account once, compared both ways (a balance without entries, entries
     * without a balance). */
    { "stored balance differs from its entries",
      "WITH s AS MATERIALIZED (SELECT account, currency, sum (minor) AS total FROM "
      "wallet_entries GROUP BY account, currency) "
      "SELECT b.account, b.currency, b.minor AS stored, coalesce (s.total, 0) AS entries FROM "
      "wallet_balances b LEFT JOIN s ON s.account = b.account AND s.currency = b.currency "
      "WHERE b.minor != coalesce (s.total, 0) "
      "UNION ALL SELECT s.account, s.currency, NULL, s.total FROM s WHERE NOT EXISTS (SELECT 1 "
      "FROM wallet_balances b WHERE b.account = s.account AND b.currency = s.currency)" },
    { "orphan entry",
      "SELECT e.id AS entry, e.tx_seq, e.account, e.currency, e.minor FROM wallet_entries e "
      "WHERE NOT EXISTS (SELECT 1 FROM wallet_transactions t WHERE t.seq = e.tx_seq)" },
    { "the whole ledger does not sum to zero",
      "SELECT currency, sum (minor) AS sum FROM wallet_entries GROUP BY currency "
      "HAVING sum (minor) != 0" },
    { "unknown kind or state",
      "SELECT id, kind, state FROM wallet_transactions WHERE kind NOT IN ('starter', "
      "'transfer', 'request', 'payment', 'red_packet', 'claim') OR state NOT IN ('pending', "
      "'completed', 'returned', 'declined', 'refunded') OR (kind IN ('starter', 'claim') AND "
      "state != 'completed') OR (kind = 'transfer' AND state = 'refunded') OR (kind = "
      "'request' AND state IN ('returned', 'refunded')) OR (kind = 'payment' AND state NOT IN "
      "('completed', 'refunded')) OR (kind = 'red_packet' AND state NOT IN ('pending', "
      "'completed', 'returned'))" },
    /* What each state means for the escrow and the receiver. */
    { "state disagrees with its entries",
      "SELECT t.id, t.kind, t.state, t.minor, "
      "  coalesce ((SELECT sum (minor) FROM wallet_entries e WHERE e.tx_seq = t.seq AND "
      "    e.account = '" GLOBI_WALLET_ESCROW "'), 0) AS escrow, "
      "  coalesce ((SELECT sum (minor) FROM wallet_entries e WHERE e.tx_seq = t.seq AND "
      "    e.account = t.to_id), 0) AS received "
      "FROM wallet_transactions t WHERE "
      "(t.kind = 'transfer' AND (escrow != CASE t.state WHEN 'pending' THEN t.minor ELSE 0 END "
      "  OR received != CASE t.state WHEN 'completed' THEN t.minor ELSE 0 END)) OR "
      "(t.kind = 'request' AND received != CASE t.state WHEN 'completed' THEN t.minor ELSE 0 "
      "  END) OR "
      "(t.kind IN ('starter', 'claim') AND received != t.minor) OR "
      "(t.kind = 'payment' AND t.to_currency IS NULL AND received != CASE t.state WHEN "
      "  'completed' THEN t.minor ELSE 0 END) OR "
      "(t.kind = 'red_packet' AND escrow != CASE t.state WHEN 'pending' THEN t.minor ELSE "
      "  coalesce ((SELECT sum (s.minor) FROM red_packets p JOIN red_packet_shares s ON "
      "  s.packet_id = p.id WHERE p.tx_seq = t.seq AND s.claimer_id IS NOT NULL), 0) END)" },
    { "escrow differs from what pending transfers and red packets hold",
      "SELECT b.currency, b.minor AS escrow, coalesce ((SELECT sum (t.minor) FROM "
      "wallet_transactions t WHERE t.kind = 'transfer' AND t.state = 'pending' AND t.currency "
      "= b.currency), 0) + coalesce ((SELECT sum (s.minor) FROM red_packets p JOIN "
      "wallet_transactions t ON t.seq = p.tx_seq JOIN red_packet_shares s ON s.packet_id = "
      "p.id WHERE t.state = 'pending' AND s.claimer_id IS NULL AND p.currency = b.currency), "
      "0) AS held FROM wallet_balances b WHERE b.account = '" GLOBI_WALLET_ESCROW "' AND "
      "b.minor != held" },
    { "red packet shares do not add up to its total",
      "SELECT p.id, p.total, coalesce (sum (s.minor), 0) AS shares, count (s.idx) AS n, "
      "p.count FROM red_packets p LEFT JOIN red_packet_shares s ON s.packet_id = p.id GROUP "
      "BY p.id HAVING shares != p.total OR n != p.count OR min (s.minor) < 1" },
  };
  gint64 violations = 0;

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    if (!audit_query (db, report, &violations, checks[i].sql, checks[i].what, error))
      return -1;
  g_string_append_printf (report,
                          "%" G_GINT64_FORMAT " transactions, %" G_GINT64_FORMAT
                          " entries, %" G_GINT64_FORMAT " balances, %" G_GINT64_FORMAT
                          " violations\n",
                          count_rows (db, "SELECT count (*) FROM wallet_transactions"),
                          count_rows (db, "SELECT count (*) FROM wallet_entries"),
                          count_rows (db, "SELECT count (*) FROM wallet_balances"), violations);
  return violations;
}
