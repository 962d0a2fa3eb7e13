/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-money"

#include "config.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "globi-money.h"

#define RATE_MAX_DIGITS   15
#define RATE_MAX_DECIMALS 12
#define CROSS_DECIMALS    10

typedef unsigned __int128 u128;

/* ISO 4217 codes in current use (plus the funds codes CLF and UYW, which have 4 decimals),
 * sorted for bsearch. Symbols only where they are unambiguous among these. */
static const GlobiCurrency currencies[] = {
  { "AED", 2, NULL }, { "AFN", 2, NULL },  { "ALL", 2, NULL },  { "AMD", 2, NULL },
  { "ANG", 2, NULL }, { "AOA", 2, NULL },  { "ARS", 2, NULL },  { "AUD", 2, "A$" },
  { "AWG", 2, NULL }, { "AZN", 2, "₼" }, { "BAM", 2, NULL },  { "BBD", 2, NULL },
  { "BDT", 2, "৳" },  { "BGN", 2, NULL },  { "BHD", 3, NULL },  { "BIF", 0, NULL },
  { "BMD", 2, NULL }, { "BND", 2, NULL },  { "BOB", 2, NULL },  { "BRL", 2, "R$" },
  { "BSD", 2, NULL }, { "BTN", 2, NULL },  { "BWP", 2, NULL },  { "BYN", 2, NULL },
  { "BZD", 2, NULL }, { "CAD", 2, "CA$" }, { "CDF", 2, NULL },  { "CHF", 2, NULL },
  { "CLF", 4, NULL }, { "CLP", 0, NULL },  { "CNY", 2, "CN¥" }, { "COP", 2, NULL },
  { "CRC", 2, "₡" },  { "CUP", 2, NULL },  { "CVE", 2, NULL },  { "CZK", 2, NULL },
  { "DJF", 0, NULL }, { "DKK", 2, NULL },  { "DOP", 2, NULL },  { "DZD", 2, NULL },
  { "EGP", 2, "E£" }, { "ERN", 2, NULL },  { "ETB", 2, NULL },  { "EUR", 2, "€" },
  { "FJD", 2, NULL }, { "FKP", 2, NULL },  { "GBP", 2, "£" },   { "GEL", 2, "₾" },
  { "GHS", 2, NULL }, { "GIP", 2, NULL },  { "GMD", 2, NULL },  { "GNF", 0, NULL },
  { "GTQ", 2, NULL }, { "GYD", 2, NULL },  { "HKD", 2, "HK$" }, { "HNL", 2, NULL },
  { "HTG", 2, NULL }, { "HUF", 2, NULL },  { "IDR", 2, NULL },  { "ILS", 2, "₪" },
  { "INR", 2, "₹" },  { "IQD", 3, NULL },  { "IRR", 2, NULL },  { "ISK", 0, NULL },
  { "JMD", 2, NULL }, { "JOD", 3, NULL },  { "JPY", 0, "¥" },   { "KES", 2, NULL },
  { "KGS", 2, NULL }, { "KHR", 2, "៛" },   { "KMF", 0, NULL },  { "KPW", 2, NULL },
  { "KRW", 0, "₩" },  { "KWD", 3, NULL },  { "KYD", 2, NULL },  { "KZT", 2, "₸" },
  { "LAK", 2, "₭" },  { "LBP", 2, NULL },  { "LKR", 2, NULL },  { "LRD", 2, NULL },
  { "LSL", 2, NULL }, { "LYD", 3, NULL },  { "MAD", 2, NULL },  { "MDL", 2, NULL },
  { "MGA", 2, NULL }, { "MKD", 2, NULL },  { "MMK", 2, NULL },  { "MNT", 2, "₮" },
  { "MOP", 2, NULL }, { "MRU", 2, NULL },  { "MUR", 2, NULL },  { "MVR", 2, NULL },
  { "MWK", 2, NULL }, { "MXN", 2, "MX$" }, { "MYR", 2, NULL },  { "MZN", 2, NULL },
  { "NAD", 2, NULL }, { "NGN", 2, "₦" },   { "NIO", 2, NULL },  { "NOK", 2, NULL },
  { "NPR", 2, NULL }, { "NZD", 2, "NZ$" }, { "OMR", 3, NULL },  { "PAB", 2, NULL },
  { "PEN", 2, NULL }, { "PGK", 2, NULL },  { "PHP", 2, "₱" },   { "PKR", 2, NULL },
  { "PLN", 2, "zł" }, { "PYG", 0, "₲" },   { "QAR", 2, NULL },  { "RON", 2, NULL },
  { "RSD", 2, NULL }, { "RUB", 2, "₽" }, { "RWF", 0, NULL },  { "SAR", 2, NULL },
  { "SBD", 2, NULL }, { "SCR", 2, NULL },  { "SDG", 2, NULL },  { "SEK", 2, NULL },
  { "SGD", 2, "S$" }, { "SHP", 2, NULL },  { "SLE", 2, NULL },  { "SOS", 2, NULL },
  { "SRD", 2, NULL }, { "SSP", 2, NULL },  { "STN", 2, NULL },  { "SVC", 2, NULL },
  { "SYP", 2, NULL }, { "SZL", 2, NULL },  { "THB", 2, "฿" },   { "TJS", 2, NULL },
  { "TMT", 2, NULL }, { "TND", 3, NULL },  { "TOP", 2, NULL },  { "TRY", 2, "₺" },
  { "TTD", 2, NULL }, { "TWD", 2, "NT$" }, { "TZS", 2, NULL },  { "UAH", 2, "₴" },
  { "UGX", 0, NULL }, { "USD", 2, "$" },   { "UYU", 2, NULL },  { "UYW", 4, NULL },
  { "UZS", 2, NULL }, { "VES", 2, NULL },  { "VND", 0, "₫" },   { "VUV", 0, NULL },
  { "WST", 2, NULL }, { "XAF", 0, NULL },  { "XCD", 2, "EC$" }, { "XOF", 0, NULL },
  { "XPF", 0, NULL }, { "YER", 2, NULL },  { "ZAR", 2, "R" },   { "ZMW", 2, NULL },
  { "ZWL", 2, NULL },
};

static int
compare_code (const void *key, const void *element)
{
  return strcmp (key, ((const GlobiCurrency *) element)->code);
}

const GlobiCurrency *
globi_currency_lookup (const char *code)
{
  if (code == NULL || strlen (code) != 3)
    return NULL;
  return bsearch (code, currencies, G_N_ELEMENTS (currencies), sizeof currencies[0], compare_code);
}

gboolean
globi_currency_is_known (const char *code)
{
  return globi_currency_lookup (code) != NULL;
}

const GlobiCurrency *
globi_currency_get_all (guint *n_currencies)
{
  if (n_currencies)
    *n_currencies = G_N_ELEMENTS (currencies);
  return currencies;
}

static u128
pow10_u128 (guint n)
{
  u128 v = 1;

  while (n-- > 0)
    v *= 10;
  return v;
}

gboolean
globi_money_parse (const char *text, const char *currency, gint64 *out_minor, GError **error)
{
  const GlobiCurrency *cur = globi_currency_lookup (currency);
  const char *p = text;
  u128 value = 0;
  guint int_digits = 0, decimals = 0;

  g_return_val_if_fail (text != NULL, FALSE);

  if (!cur)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unknown currency “%s”",
                   currency ? currency : "");
      return FALSE;
    }
  for (; g_ascii_isdigit (*p); p++, int_digits++)
    {
      value = value * 10 + (guint) (*p - '0');
      if (value > (u128) GLOBI_MONEY_MAX_MINOR)
        goto too_large;
    }
  if (int_digits == 0)
    goto junk;
  if (*p == '.')
    {
      p++;
      for (; g_ascii_isdigit (*p); p++, decimals++)
        {
          if (decimals >= cur->exponent)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           cur->exponent == 0 ? "%s has no decimals" : "%s has at most %u decimals",
                           cur->code, cur->exponent);
              return FALSE;
            }
          value = value * 10 + (guint) (*p - '0');
        }
      if (decimals == 0)
        goto junk;
    }
  if (*p != '\0')
    goto junk;
  value *= pow10_u128 (cur->exponent - decimals);
  if (value > (u128) GLOBI_MONEY_MAX_MINOR)
    goto too_large;
  *out_minor = (gint64) value;
  return TRUE;

junk:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "“%s” is not an amount (digits with an optional decimal point)", text);
  return FALSE;
too_large:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the amount is too large");
  return FALSE;
}

char *
globi_money_format (gint64 minor, const char *currency, GlobiMoneyFormatFlags flags)
{
  const GlobiCurrency *cur = globi_currency_lookup (currency);
  guint exponent = cur ? cur->exponent : 2;
  GString *out = g_string_new (NULL);
  /* Through an unsigned type so that G_MININT64 has a magnitude too. */
  guint64 magnitude = minor < 0 ? -(guint64) minor : (guint64) minor;
  char digits[32];
  guint len, int_len;

  g_snprintf (digits, sizeof digits, "%0*" G_GUINT64_FORMAT, exponent + 1, magnitude);
  len = strlen (digits);
  int_len = len - exponent;

  if (minor < 0)
    g_string_append_c (out, '-');
  if (flags & GLOBI_MONEY_FORMAT_SYMBOL)
    {
      if (cur && cur->symbol)
        g_string_append (out, cur->symbol);
      else
        g_string_append_printf (out, "%s ", cur ? cur->code : (currency ? currency : "?"));
    }
  for (guint i = 0; i < int_len; i++)
    {
      if (i > 0 && (int_len - i) % 3 == 0 && !(flags & GLOBI_MONEY_FORMAT_NO_GROUPING))
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  if (exponent > 0)
    {
      g_string_append_c (out, '.');
      g_string_append (out, digits + int_len);
    }
  return g_string_free (out, FALSE);
}

/* A rate as mantissa / 10^scale. */
static gboolean
parse_rate (const char *rate, guint64 *out_mantissa, guint *out_scale)
{
  const char *p = rate;
  guint64 mantissa = 0;
  guint significant = 0, scale = 0, int_digits = 0;

  if (rate == NULL)
    return FALSE;
  for (; g_ascii_isdigit (*p); p++, int_digits++)
    {
      mantissa = mantissa * 10 + (guint) (*p - '0');
      if (mantissa > 0 && ++significant > RATE_MAX_DIGITS)
        return FALSE;
    }
  if (int_digits == 0)
    return FALSE;
  if (*p == '.')
    {
      p++;
      for (; g_ascii_isdigit (*p); p++)
        {
          mantissa = mantissa * 10 + (guint) (*p - '0');
          if (mantissa > 0 && ++significant > RATE_MAX_DIGITS)
            return FALSE;
          if (++scale > RATE_MAX_DECIMALS)
            return FALSE;
        }
      if (scale == 0)
        return FALSE;
    }
  if (*p != '\0' || mantissa == 0)
    return FALSE;
  *out_mantissa = mantissa;
  *out_scale = scale;
  return TRUE;
}

gboolean
globi_money_rate_is_valid (const char *rate)
{
  guint64 mantissa;
  guint scale;

  return parse_rate (rate, &mantissa, &scale);
}

/* n / d rounded half-even. */
static u128
divide_half_even (u128 n, u128 d)
{
  u128 q = n / d, r = n % d;

  if (r > d - r || (r == d - r && (q & 1)))
    q++;
  return q;
}

static gboolean
mul_ok (u128 a, u128 b, u128 *out)
{
  return !__builtin_mul_overflow (a, b, out);
}

gboolean
globi_money_convert (gint64 minor,
                     const char *from,
                     const char *from_rate,
                     const char *to,
                     const char *to_rate,
                     gint64 *out_minor,
                     GError **error)
{
  const GlobiCurrency *cf = globi_currency_lookup (from);
  const GlobiCurrency *ct = globi_currency_lookup (to);
  guint64 fm, tm;
  guint fs, ts;
  int shift;
  u128 n, d, q;

  if (!cf || !ct)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unknown currency");
      return FALSE;
    }
  if (!parse_rate (from_rate, &fm, &fs) || !parse_rate (to_rate, &tm, &ts))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed rate");
      return FALSE;
    }
  if (minor < 0 || minor > GLOBI_MONEY_MAX_MINOR)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the amount is out of range");
      return FALSE;
    }
  /* to_minor = minor / 10^ef * (tm / 10^ts) / (fm / 10^fs) * 10^et, as one fraction with
   * the powers of ten on whichever side keeps them non-negative. */
  shift = (int) ct->exponent + (int) fs - (int) cf->exponent - (int) ts;
  n = (u128) minor * tm;
  d = fm;
  if (shift >= 0 && !mul_ok (n, pow10_u128 (shift), &n))
    goto overflow;
  if (shift < 0 && !mul_ok (d, pow10_u128 (-shift), &d))
    goto overflow;
  q = divide_half_even (n, d);
  if (q > (u128) GLOBI_MONEY_MAX_MINOR)
    goto overflow;
  *out_minor = (gint64) q;
  return TRUE;

overflow:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "the converted amount is too large");
  return FALSE;
}

char *
globi_money_cross_rate (const char *from_rate, const char *to_rate)
{
  guint64 fm, tm;
  guint fs, ts;
  int shift;
  u128 n, d, q, int_part;
  char decimals[CROSS_DECIMALS + 1];
  GString *out;
  int last;

  if (!parse_rate (from_rate, &fm, &fs) || !parse_rate (to_rate, &tm, &ts))
    return NULL;
  /* q = tm / 10^ts / (fm / 10^fs) * 10^CROSS_DECIMALS; both mantissas stay below 10^15
   * and the shift below 10^23, so the products fit in 128 bits. */
  shift = (int) fs + CROSS_DECIMALS - (int) ts;
  n = tm;
  d = fm;
  if (shift >= 0)
    n *= pow10_u128 (shift);
  else
    d *= pow10_u128 (-shift);
  q = divide_half_even (n, d);
  int_part = q / pow10_u128 (CROSS_DECIMALS);
  q %= pow10_u128 (CROSS_DECIMALS);
  for (int i = CROSS_DECIMALS - 1; i >= 0; i--)
    {
      decimals[i] = (char) ('0' + (int) (q % 10));
      q /= 10;
    }
  decimals[CROSS_DECIMALS] = '\0';
  for (last = CROSS_DECIMALS - 1; last >= 0 && decimals[last] == '0'; last--)
    decimals[last] = '\0';
  out = g_string_new (NULL);
  g_string_append_printf (out, "%" G_GUINT64_FORMAT, (guint64) int_part);
  if (decimals[0] != '\0')
    g_string_append_printf (out, ".%s", decimals);
  return g_string_free (out, FALSE);
}

JsonNode *
globi_money_to_json (gint64 minor, const char *currency)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *text = globi_money_format (minor, currency, GLOBI_MONEY_FORMAT_SYMBOL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, currency);
  json_builder_set_member_name (builder, "minor");
  json_builder_add_int_value (builder, minor);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
