/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "social-helpers.h"

G_BEGIN_DECLS

#define WALLET_PIN "246810"

/* PUT /v1/wallet/pin; asserts 204. */
void        wallet_set_pin  (Fixture      *f,
                             const Person *who,
                             const char   *pin);
/* GET /v1/wallet: minor units of currency (0 when not held). */
gint64      wallet_balance  (Fixture      *f,
                             const Person *who,
                             const char   *currency);
/* POST /v1/wallet/transfers with a fresh id (or id) and WALLET_PIN unless pin is given. */
Reply      *wallet_transfer (Fixture      *f,
                             const Person *from,
                             const Person *to,
                             const char   *id,
                             gint64        minor,
                             const char   *currency,
                             const char   *pin);
/* The transaction object of a reply ({"transaction": …}). */
JsonObject *wallet_tx       (Reply        *reply);
/* Runs the audit on the server's database (read-only, beside the running server);
 * returns the number of violations and the report in out_report (may be NULL). */
gint64      wallet_audit    (Fixture      *f,
                             char        **out_report);

G_END_DECLS
