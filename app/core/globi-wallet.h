/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "globi-session.h"
#include "globi-messenger.h"
#include "globi-transaction.h"

G_BEGIN_DECLS

/* The GlobiPay client (docs/protocol.md, Wallet): balances, history, transfers, requests,
 * red packets, QR payments, the payment PIN and a cache of the exchange rates for live
 * conversion. Transactions are GlobiTransaction objects, one per id for the wallet's
 * lifetime, updated in place from replies and wallet_updated events.
 *
 * Signals:
 * - changed (): balances, PIN state or preferred currency changed (after refresh).
 * - transaction-updated (GlobiTransaction *): a transaction arrived or changed.
 * - rates-changed (): a newer rate set arrived (rates_updated, or load_rates).
 *
 * Errors: GLOBI_ERROR (the server's: INSUFFICIENT_FUNDS, WRONG_PIN, PIN_LOCKED, PIN_REQUIRED,
 * ...), GLOBI_ERROR_NETWORK, G_IO_ERROR_CANCELLED. After WRONG_PIN or PIN_LOCKED the wallet
 * refreshes itself, so pin_locked_until is current when ::changed fires. */
#define GLOBI_TYPE_WALLET (globi_wallet_get_type ())
G_DECLARE_FINAL_TYPE (GlobiWallet, globi_wallet, GLOBI, WALLET, GObject)

typedef struct
{
  char currency[4];
  gint64 minor;
} GlobiBalance;

/* A wallet over a signed-in session, without live updates (the CLI's). */
GlobiWallet  *globi_wallet_new                  (GlobiSession        *session);
/* The one wallet of a messenger's account, made on first use and kept with the
 * messenger: live from its stream's wallet_updated and rates_updated events. */
GlobiWallet  *globi_wallet_get_for_messenger    (GlobiMessenger      *messenger);
GlobiSession *globi_wallet_get_session          (GlobiWallet         *self);
const char   *globi_wallet_get_user_id          (GlobiWallet         *self);

/* State from the last refresh (empty until then). */
gboolean      globi_wallet_get_loaded           (GlobiWallet         *self);
/* GlobiBalance sorted by currency code; the array belongs to the wallet. */
GArray       *globi_wallet_get_balances         (GlobiWallet         *self);
gint64        globi_wallet_get_balance          (GlobiWallet         *self,
                                                 const char          *currency);
const char   *globi_wallet_get_preferred_currency (GlobiWallet       *self);
gboolean      globi_wallet_get_pin_set          (GlobiWallet         *self);
/* Unix ms until which payments are locked after wrong PINs; 0 when not locked. */
gint64        globi_wallet_get_pin_locked_until (GlobiWallet         *self);

/* GET /v1/wallet (issues the starter balance on first access). */
void          globi_wallet_refresh_async        (GlobiWallet         *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);

/* Rates: GET /v1/rates into the cache; then convert works offline. */
void          globi_wallet_load_rates_async     (GlobiWallet         *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean      globi_wallet_has_rates            (GlobiWallet         *self);
/* The rate set's date ("2026-11-23") and source ("ecb", "snapshot"); NULL before a load. */
const char   *globi_wallet_get_rates_date       (GlobiWallet         *self);
const char   *globi_wallet_get_rates_source     (GlobiWallet         *self);
/* globi_money_convert with the cached rates (half-even in to's minor unit). */
gboolean      globi_wallet_convert              (GlobiWallet         *self,
                                                 gint64               minor,
                                                 const char          *from,
                                                 const char          *to,
                                                 gint64              *out_minor,
                                                 GError             **error);
/* Units of to per unit of from, as a receipt shows it; NULL without rates. */
char         *globi_wallet_dup_rate             (GlobiWallet         *self,
                                                 const char          *from,
                                                 const char          *to);

/* A transaction the wallet already knows (from a reply, an event or the history). */
GlobiTransaction *globi_wallet_lookup_transaction (GlobiWallet       *self,
                                                   const char        *id);

/* History, newest first: kind, currency, state may be NULL (any); before is the cursor of
 * the previous page (NULL for the first); limit 1-100 (0: the server's default). */
void          globi_wallet_list_async           (GlobiWallet         *self,
                                                 const char          *kind,
                                                 const char          *currency,
                                                 const char          *state,
                                                 const char          *before,
                                                 guint                limit,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* GlobiTransaction (owned); *next the cursor of the next page, NULL at the end. */
GPtrArray    *globi_wallet_list_finish          (GlobiWallet         *self,
                                                 GAsyncResult        *result,
                                                 char               **next,
                                                 GError             **error);

/* Every operation below that finishes with a transaction uses this. */
GlobiTransaction *globi_wallet_transaction_finish (GlobiWallet       *self,
                                                   GAsyncResult      *result,
                                                   GError           **error);

void          globi_wallet_get_transaction_async (GlobiWallet        *self,
                                                  const char         *id,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);

/* id: the idempotency key; NULL makes a new one. To retry after a network error, pass
 * the id of the first attempt (globi_wallet_new_operation_id ()) so nothing moves twice.
 * chat_id ("u:USER" / "g:GROUP") may be NULL. pin: 6 digits. */
char         *globi_wallet_new_operation_id     (void);
void          globi_wallet_transfer_async       (GlobiWallet         *self,
                                                 const char          *id,
                                                 const char          *to_user_id,
                                                 const char          *currency,
                                                 gint64               minor,
                                                 const char          *note,
                                                 const char          *pin,
                                                 const char          *chat_id,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
void          globi_wallet_accept_async         (GlobiWallet         *self,
                                                 const char          *transfer_id,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* Declines a transfer to me or a request (either side). */
void          globi_wallet_decline_async        (GlobiWallet         *self,
                                                 GlobiTransaction    *transaction,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
void          globi_wallet_request_async        (GlobiWallet         *self,
                                                 const char          *id,
                                                 const char          *from_user_id,
                                                 const char          *currency,
                                                 gint64               minor,
                                                 const char          *note,
                                                 const char          *chat_id,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
void          globi_wallet_pay_request_async    (GlobiWallet         *self,
                                                 const char          *request_id,
                                                 const char          *pin,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* A QR payment: payee_currency NULL pays in currency. */
void          globi_wallet_pay_async            (GlobiWallet         *self,
                                                 const char          *id,
                                                 const char          *payee_id,
                                                 const char          *currency,
                                                 gint64               minor,
                                                 const char          *payee_currency,
                                                 const char          *note,
                                                 const char          *pin,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);

/* Red packets finish with the RedPacket object of docs/protocol.md (a new reference). */
void          globi_wallet_create_red_packet_async (GlobiWallet      *self,
                                                    const char       *id,
                                                    const char       *group_id,
                                                    const char       *currency,
                                                    gint64            total_minor,
                                                    guint             count,
                                                    gboolean          random_split,
                                                    const char       *note,
                                                    const char       *pin,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
void          globi_wallet_claim_red_packet_async  (GlobiWallet      *self,
                                                    const char       *red_packet_id,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
void          globi_wallet_get_red_packet_async    (GlobiWallet      *self,
                                                    const char       *red_packet_id,
                                                    GCancellable     *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer          user_data);
JsonObject   *globi_wallet_red_packet_finish       (GlobiWallet      *self,
                                                    GAsyncResult     *result,
                                                    GError          **error);

/* PUT /v1/wallet/pin: current_pin NULL when setting the first one. */
void          globi_wallet_set_pin_async        (GlobiWallet         *self,
                                                 const char          *pin,
                                                 const char          *current_pin,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* Finishes refresh, load_rates and set_pin. */
gboolean      globi_wallet_finish               (GlobiWallet         *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* The card a chat message carries for a payment (globi_messenger_send_card_async), the
 * same from the app and the CLI: transfer and request {"transaction_id", "amount":
 * {"currency", "minor"}, "note"}; red_packet {"red_packet_id", "total", "count",
 * "split", "note"}. The card only names the payment: its state always comes from the
 * wallet. Returns a new object; kind_out (optional) gets the card kind. */
JsonObject   *globi_wallet_card_for_transaction (GlobiTransaction    *transaction,
                                                 const char         **kind_out);
JsonObject   *globi_wallet_card_for_red_packet  (JsonObject          *red_packet);

/* "6 ASCII digits" */
gboolean      globi_wallet_pin_is_valid         (const char          *pin);

/* My receive code (EMVCo, common/globi-emvco.h): amount_minor 0 for none, currency NULL
 * for none (then no amount either), note may be NULL. */
char         *globi_wallet_dup_receive_code     (GlobiWallet         *self,
                                                 const char          *currency,
                                                 gint64               amount_minor,
                                                 const char          *note,
                                                 GError             **error);

G_END_DECLS
