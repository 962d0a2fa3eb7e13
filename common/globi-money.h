/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Money for the server and the client alike: the ISO 4217 table (code, minor-unit
 * exponent, symbol), exact decimal parsing into integer minor units, display formatting,
 * and conversion between currencies with decimal-string rates, rounded half-even in the
 * target's minor unit. No floating point anywhere; docs/payments.md has the rules. */

/* The largest amount any route or parser accepts, in minor units (10^14). */
#define GLOBI_MONEY_MAX_MINOR G_GINT64_CONSTANT (100000000000000)

typedef struct
{
  const char *code;   /* "USD" */
  guint exponent;     /* minor-unit digits: USD 2, JPY 0, BHD 3, CLF 4 */
  const char *symbol; /* "$"; NULL: the code is shown instead */
} GlobiCurrency;

typedef enum
{
  GLOBI_MONEY_FORMAT_PLAIN = 0,            /* "1,000.00" */
  GLOBI_MONEY_FORMAT_SYMBOL = 1 << 0,      /* "$1,000.00", "CHF 1,000.00" */
  GLOBI_MONEY_FORMAT_NO_GROUPING = 1 << 1, /* "1000.00" */
} GlobiMoneyFormatFlags;

/* NULL for a code not in the table (codes are upper case, exactly 3 letters). */
const GlobiCurrency *globi_currency_lookup        (const char            *code);
gboolean             globi_currency_is_known      (const char            *code);
/* The whole table, sorted by code. */
const GlobiCurrency *globi_currency_get_all       (guint                 *n_currencies);

/* "12.34" in USD → 1234. Digits with an optional '.' and at most the currency's
 * exponent of decimals; no sign, spaces or grouping. Errors are G_IO_ERROR_INVALID_DATA
 * with a message fit for the user. */
gboolean             globi_money_parse            (const char            *text,
                                                   const char            *currency,
                                                   gint64                *out_minor,
                                                   GError               **error);
/* 123456 USD → "1,234.56" (or "$1,234.56"); negative amounts get a leading '-'. */
char                *globi_money_format           (gint64                 minor,
                                                   const char            *currency,
                                                   GlobiMoneyFormatFlags  flags);

/* A positive decimal rate ("1.0866", "161.67"): at most 15 significant digits and 12
 * decimals. */
gboolean             globi_money_rate_is_valid    (const char            *rate);
/* Converts minor units of from into to. Both rates are units of their currency per one
 * unit of the same base (the ECB publishes per 1 EUR). The result is rounded half-even in
 * to's minor unit. Fails on unknown currencies, bad rates, or results past
 * GLOBI_MONEY_MAX_MINOR. */
gboolean             globi_money_convert          (gint64                 minor,
                                                   const char            *from,
                                                   const char            *from_rate,
                                                   const char            *to,
                                                   const char            *to_rate,
                                                   gint64                *out_minor,
                                                   GError               **error);
/* to_rate / from_rate (units of to per unit of from) rounded half-even to 10 decimals,
 * trailing zeros dropped: what a receipt shows. NULL on bad rates. */
char                *globi_money_cross_rate       (const char            *from_rate,
                                                   const char            *to_rate);

/* {"currency": "USD", "minor": 1234, "text": "$12.34"} */
JsonNode            *globi_money_to_json          (gint64                 minor,
                                                   const char            *currency);

G_END_DECLS
