/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A GlobiPay transaction (docs/protocol.md, Wallet: Transaction). The wallet keeps one
 * object per id and updates it in place from replies and wallet_updated events, so a
 * chat card and the history show the same live state.
 *
 * Properties (read-only; notify when an update changes them): state (string),
 * updated-at (gint64 Unix ms). */
#define GLOBI_TYPE_TRANSACTION (globi_transaction_get_type ())
G_DECLARE_FINAL_TYPE (GlobiTransaction, globi_transaction, GLOBI, TRANSACTION, GObject)

/* Kinds and states as on the wire. */
#define GLOBI_TRANSACTION_STARTER    "starter"
#define GLOBI_TRANSACTION_TRANSFER   "transfer"
#define GLOBI_TRANSACTION_REQUEST    "request"
#define GLOBI_TRANSACTION_PAYMENT    "payment"
#define GLOBI_TRANSACTION_RED_PACKET "red_packet"
#define GLOBI_TRANSACTION_CLAIM      "claim"

#define GLOBI_TRANSACTION_PENDING   "pending"
#define GLOBI_TRANSACTION_COMPLETED "completed"
#define GLOBI_TRANSACTION_RETURNED  "returned"
#define GLOBI_TRANSACTION_DECLINED  "declined"
#define GLOBI_TRANSACTION_REFUNDED  "refunded"

/* Fails (GLOBI_ERROR_BAD_REQUEST) when id, kind, state or amount is missing or malformed. */
GlobiTransaction *globi_transaction_new_from_json     (JsonObject        *object,
                                                       GError           **error);
/* Takes the newer state of the same transaction; FALSE if object is not valid for it or
 * older (by updated_at). */
gboolean          globi_transaction_update_from_json  (GlobiTransaction  *self,
                                                       JsonObject        *object);
/* The wire object as last received (for --json output). */
JsonObject       *globi_transaction_get_json          (GlobiTransaction  *self);

const char       *globi_transaction_get_id            (GlobiTransaction  *self);
const char       *globi_transaction_get_kind          (GlobiTransaction  *self);
const char       *globi_transaction_get_state         (GlobiTransaction  *self);
const char       *globi_transaction_get_currency      (GlobiTransaction  *self);
gint64            globi_transaction_get_minor         (GlobiTransaction  *self);
/* The server's display text of amount ("$12.50"). */
const char       *globi_transaction_get_amount_text   (GlobiTransaction  *self);
const char       *globi_transaction_get_note          (GlobiTransaction  *self);
/* from/to user ids (NULL: the system, or nobody yet) and the names to show for them
 * (display name, else username). */
const char       *globi_transaction_get_from_id       (GlobiTransaction  *self);
const char       *globi_transaction_get_from_name     (GlobiTransaction  *self);
const char       *globi_transaction_get_to_id         (GlobiTransaction  *self);
const char       *globi_transaction_get_to_name       (GlobiTransaction  *self);
const char       *globi_transaction_get_chat_id       (GlobiTransaction  *self);
const char       *globi_transaction_get_red_packet_id (GlobiTransaction  *self);
gint64            globi_transaction_get_created_at    (GlobiTransaction  *self);
gint64            globi_transaction_get_updated_at    (GlobiTransaction  *self);
gint64            globi_transaction_get_expires_at    (GlobiTransaction  *self);
/* A cross-currency payment's received amount and rate; FALSE when there is none. */
gboolean          globi_transaction_get_converted     (GlobiTransaction  *self,
                                                       const char       **currency,
                                                       gint64            *minor,
                                                       const char       **rate,
                                                       const char       **rate_date);
/* Whether user_id pays (from) in it: for the signs in a history. */
gboolean          globi_transaction_is_outgoing       (GlobiTransaction  *self,
                                                       const char        *user_id);

G_END_DECLS
