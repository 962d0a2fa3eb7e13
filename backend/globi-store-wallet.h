/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "globi-error.h"
#include "globi-store.h"

G_BEGIN_DECLS

/* The GlobiPay ledger (docs/payments.md): double entry in integer minor units. Every
 * transaction is a set of entries summing to zero per currency; stored balances are the
 * running sums of the entries and never go below zero except for the system's issuer and
 * exchange accounts. Money-moving jobs run on the store's single writer, so each balance
 * check and the entries it guards commit together. Jobs take a GlobiWalletArgs and return
 * a GlobiWalletResult (the reply JSON and the devices to wake), like the social jobs. */

#define GLOBI_WALLET_ISSUER   "@issuer"   /* starter balances come from here */
#define GLOBI_WALLET_ESCROW   "@escrow"   /* pending transfers and red packets */
#define GLOBI_WALLET_EXCHANGE "@exchange" /* the other side of every conversion */

#define GLOBI_WALLET_PENDING_TTL_MS   (24 * G_GINT64_CONSTANT (3600000))
#define GLOBI_WALLET_PIN_MAX_FAILURES 5
#define GLOBI_WALLET_PIN_LOCK_MS      (15 * G_GINT64_CONSTANT (60000))
#define GLOBI_WALLET_STARTER_UNITS    1000
#define GLOBI_WALLET_MAX_RED_PACKET   100
#define GLOBI_WALLET_MAX_PAGE         100

typedef struct
{
  char *user_id;  /* who asks */
  char *id;       /* client id of what is created, or the path's id */
  char *other_id; /* to_user_id, from_user_id, payee_id or group_id */
  char *currency;
  gint64 minor;
  char *to_currency; /* payments: the payee's currency (NULL: currency) */
  char *from_rate;   /* payments across currencies: the rates used and their date */
  char *to_rate;
  char *rate_date;
  char *note;
  char *chat_user; /* the chat a card was posted in (either or none) */
  char *chat_group;
  guint count; /* red packets */
  gboolean random_split;
  gboolean accept;  /* transfer answers */
  gboolean pin_ok;  /* the route verified the PIN against the hash it read */
  char *pin_hash;   /* PUT /v1/wallet/pin: the new hash */
  gboolean had_pin; /* PUT /v1/wallet/pin: a PIN existed when the route read it */
  /* history */
  char *kind;
  char *state;
  gint64 before; /* cursor (0: from the newest) */
  guint limit;
  gint64 now_ms;
} GlobiWalletArgs;

typedef struct
{
  guint status;            /* HTTP status of the reply */
  JsonNode *reply;         /* NULL for 204 */
  GPtrArray *wake_devices; /* device ids with new events */
  /* A refusal that still commits (a wrong PIN is counted): the route replies with it. */
  gboolean refused;
  GlobiErrorCode code;
  char *message;
  guint attempts_left;
  gint64 retry_after_s;
} GlobiWalletResult;

typedef struct
{
  char *hash;          /* NULL: no PIN set */
  gint64 locked_until; /* ms; 0 when not locked */
} GlobiWalletPinState;

GlobiWalletArgs   *globi_wallet_args_new             (void);
void               globi_wallet_args_free            (gpointer data);
void               globi_wallet_result_free          (gpointer data);
void               globi_wallet_pin_state_free       (gpointer data);

/* Read: user_id → GlobiWalletPinState. */
gpointer globi_store_wallet_pin_state        (sqlite3 *db, gpointer args, GError **error);
/* Write jobs → GlobiWalletResult. Each first returns what has expired (transfers, red
 * packets) and opens the asker's wallet (the starter balance) if it was not yet. */
/* pin_hash, had_pin, pin_ok (the current PIN, when had_pin) → 204. */
gpointer globi_store_wallet_set_pin          (sqlite3 *db, gpointer args, GError **error);
/* → 200 Wallet. */
gpointer globi_store_wallet_get              (sqlite3 *db, gpointer args, GError **error);
/* id, other_id (receiver), currency, minor, note, chat_*, pin_ok → 201 {transaction}. */
gpointer globi_store_wallet_transfer         (sqlite3 *db, gpointer args, GError **error);
/* id, accept → 200 {transaction}. */
gpointer globi_store_wallet_answer_transfer  (sqlite3 *db, gpointer args, GError **error);
/* id, other_id (payer), currency, minor, note, chat_* → 201 {transaction}. */
gpointer globi_store_wallet_request          (sqlite3 *db, gpointer args, GError **error);
/* id, pin_ok → 200 {transaction}. */
gpointer globi_store_wallet_pay_request      (sqlite3 *db, gpointer args, GError **error);
/* id → 200 {transaction}. */
gpointer globi_store_wallet_decline_request  (sqlite3 *db, gpointer args, GError **error);
/* id, other_id (group), currency, minor (total), count, random_split, note, pin_ok →
 * 201 {red_packet}. */
gpointer globi_store_wallet_red_packet       (sqlite3 *db, gpointer args, GError **error);
/* id → 200 {red_packet} with my_claim. */
gpointer globi_store_wallet_claim            (sqlite3 *db, gpointer args, GError **error);
/* id → 200 {red_packet}. */
gpointer globi_store_wallet_get_red_packet   (sqlite3 *db, gpointer args, GError **error);
/* id, other_id (payee), currency, minor, to_currency, from_rate, to_rate, rate_date,
 * note, pin_ok → 201 {transaction}. */
gpointer globi_store_wallet_payment          (sqlite3 *db, gpointer args, GError **error);
/* id, pin_ok → 200 {transaction}. */
gpointer globi_store_wallet_refund           (sqlite3 *db, gpointer args, GError **error);
/* kind, state, currency, before, limit → 200 {transactions, next}. */
gpointer globi_store_wallet_list             (sqlite3 *db, gpointer args, GError **error);
/* id → 200 {transaction}. */
gpointer globi_store_wallet_get_transaction  (sqlite3 *db, gpointer args, GError **error);
/* now_ms → GlobiWalletResult (status 0) with the devices its returns woke. */
gpointer globi_store_wallet_sweep            (sqlite3 *db, gpointer args, GError **error);

/* For benchmarks and tests that need a big ledger fast: args->count payments of
 * args->minor args->currency, alternately from user_id to other_id and back, in this one
 * job, through the same entries and balance checks as real payments (no PIN, no events). */
gpointer globi_store_wallet_generate         (sqlite3 *db, gpointer args, GError **error);

/* Rates: a read (→ the stored set's JSON text or NULL) and a write (args->note holds the
 * set's JSON; → GlobiWalletResult; emits rates_updated to every active device). */
gpointer globi_store_wallet_load_rates       (sqlite3 *db, gpointer args, GError **error);
gpointer globi_store_wallet_save_rates       (sqlite3 *db, gpointer args, GError **error);

/* Checks every ledger invariant on db (read-only is enough): each transaction's entries
 * sum to zero per currency, no negative balance outside the issuer and exchange, stored
 * balances equal their entries' sums, no entry without its transaction, states agree with
 * the entries. Appends one line per violation (and a summary) to report; returns the
 * number of violations, or -1 with error when the database cannot be read. */
gint64   globi_store_wallet_audit            (sqlite3  *db,
                                              GString  *report,
                                              GError  **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiWalletArgs, globi_wallet_args_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiWalletResult, globi_wallet_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiWalletPinState, globi_wallet_pin_state_free)

G_END_DECLS
