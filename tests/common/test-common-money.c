/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <sodium.h>

#include "globi-money.h"

static void
test_money_table (void)
{
  const char *ecb[] = { "USD", "JPY", "BGN", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK", "CHF",
                        "ISK", "NOK", "TRY", "AUD", "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR",
                        "KRW", "MXN", "MYR", "NZD", "PHP", "SGD", "THB", "ZAR", "EUR" };
  const GlobiCurrency *all;
  guint n;

  for (guint i = 0; i < G_N_ELEMENTS (ecb); i++)
    g_assert_true (globi_currency_is_known (ecb[i]));
  g_assert_cmpuint (globi_currency_lookup ("USD")->exponent, ==, 2);
  g_assert_cmpuint (globi_currency_lookup ("JPY")->exponent, ==, 0);
  g_assert_cmpuint (globi_currency_lookup ("KRW")->exponent, ==, 0);
  g_assert_cmpuint (globi_currency_lookup ("BHD")->exponent, ==, 3);
  g_assert_cmpuint (globi_currency_lookup ("CLF")->exponent, ==, 4);
  g_assert_cmpstr (globi_currency_lookup ("EUR")->symbol, ==, "€");
  g_assert_null (globi_currency_lookup ("usd"));
  g_assert_null (globi_currency_lookup ("XXX"));
  g_assert_null (globi_currency_lookup ("USDX"));
  g_assert_null (globi_currency_lookup (""));
  g_assert_null (globi_currency_lookup (NULL));

  all = globi_currency_get_all (&n);
  g_assert_cmpuint (n, >, 150);
  /* Sorted and unique, or the binary search misses codes. */
  for (guint i = 1; i < n; i++)
    g_assert_cmpstr (all[i - 1].code, <, all[i].code);
  for (guint i = 0; i < n; i++)
    g_assert_true (globi_currency_lookup (all[i].code) == &all[i]);
}

static void
test_money_parse (void)
{
  const struct
  {
    const char *text, *currency;
    gint64 minor;
  } good[] = {
    { "0", "USD", 0 },
    { "12", "USD", 1200 },
    { "12.3", "USD", 1230 },
    { "12.34", "USD", 1234 },
    { "0.01", "USD", 1 },
    { "007.5", "EUR", 750 },
    { "1000", "JPY", 1000 },
    { "1.234", "BHD", 1234 },
    { "0.0001", "CLF", 1 },
    { "1000000000000", "USD", G_GINT64_CONSTANT (100000000000000) },
    { "100000000000000", "JPY", G_GINT64_CONSTANT (100000000000000) },
  };
  const struct
  {
    const char *text, *currency;
  } bad[] = {
    { "", "USD" },
    { "12.345", "USD" },
    { "1.5", "JPY" },
    { "1.", "USD" },
    { ".5", "USD" },
    { "-1", "USD" },
    { "+1", "USD" },
    { "1,000", "USD" },
    { " 1", "USD" },
    { "1 ", "USD" },
    { "1e3", "USD" },
    { "abc", "USD" },
    { "1.2.3", "USD" },
    { "12", "XXX" },
    { "12", NULL },
    { "0x10", "USD" },
    { "1000000000000.01", "USD" },
    { "100000000000001", "JPY" },
    { "99999999999999999999999999999999999999999", "USD" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 minor = -1;

      g_assert_true (globi_money_parse (good[i].text, good[i].currency, &minor, &error));
      g_assert_no_error (error);
      g_assert_cmpint (minor, ==, good[i].minor);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 minor = -7;

      g_test_message ("parse %s %s", bad[i].text, bad[i].currency);
      g_assert_false (globi_money_parse (bad[i].text, bad[i].currency, &minor, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_cmpint (minor, ==, -7);
    }
}

static void
test_money_format (void)
{
  const struct
  {
    gint64 minor;
    const char *currency;
    GlobiMoneyFormatFlags flags;
    const char *text;
  } cases[] = {
    { 0, "USD", 0, "0.00" },
    { 5, "USD", 0, "0.05" },
    { 100000, "USD", 0, "1,000.00" },
    { 100000, "USD", GLOBI_MONEY_FORMAT_SYMBOL, "$1,000.00" },
    { 100000, "USD", GLOBI_MONEY_FORMAT_NO_GROUPING, "1000.00" },
    { -123456789, "EUR", GLOBI_MONEY_FORMAT_SYMBOL, "-€1,234,567.89" },
    { 1000, "JPY", GLOBI_MONEY_FORMAT_SYMBOL, "¥1,000" },
    { 999, "JPY", 0, "999" },
    { 1234, "BHD", 0, "1.234" },
    { 1, "CLF", 0, "0.0001" },
    { 250, "CHF", GLOBI_MONEY_FORMAT_SYMBOL, "CHF 2.50" },
    { 100, "CNY", GLOBI_MONEY_FORMAT_SYMBOL, "CN¥1.00" },
    { G_MININT64, "JPY", 0, "-9,223,372,036,854,775,808" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text =
          globi_money_format (cases[i].minor, cases[i].currency, cases[i].flags);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_money_round_trip (void)
{
  const char *codes[] = { "USD", "JPY", "BHD", "CLF" };

  for (guint c = 0; c < G_N_ELEMENTS (codes); c++)
    for (guint i = 0; i < 2000; i++)
      {
        gint64 minor = (gint64) randombytes_uniform (G_MAXUINT32) * (i % 7 + 1);
        g_autofree char *text =
            globi_money_format (minor, codes[c], GLOBI_MONEY_FORMAT_NO_GROUPING);
        gint64 back = -1;

        g_assert_true (globi_money_parse (text, codes[c], &back, NULL));
        g_assert_cmpint (back, ==, minor);
      }
}

static void
test_money_convert (void)
{
  const struct
  {
    gint64 minor;
    const char *from, *from_rate, *to, *to_rate;
    gint64 expected;
  } cases[] = {
    /* Identity and the base. */
    { 1234, "EUR", "1", "EUR", "1", 1234 },
    { 10000, "EUR", "1", "USD", "1.0866", 10866 },
    /* Exact halves round to the even neighbour. */
    { 1, "EUR", "1", "USD", "1.5", 2 },
    { 3, "EUR", "1", "USD", "1.5", 4 },
    { 5, "EUR", "1", "USD", "1.5", 8 }, /* 7.5 → 8 */
    { 1, "EUR", "1", "USD", "2.5", 2 }, /* 2.5 → 2 */
    { 1, "EUR", "1", "USD", "3.5", 4 }, /* 3.5 → 4 */
    { 1, "EUR", "1", "USD", "0.5", 0 }, /* 0.5 → 0 */
    { 3, "EUR", "1", "USD", "0.5", 2 }, /* 1.5 → 2 */
    /* Just off a half rounds to nearest. */
    { 1, "EUR", "1", "USD", "2.5000001", 3 },
    { 1, "EUR", "1", "USD", "2.4999999", 2 },
    /* Different exponents: 100 JPY at 161.67 JPY/EUR and 1.0866 USD/EUR. */
    { 100, "JPY", "161.67", "USD", "1.0866", 67 },    /* 0.672109… USD */
    { 1000, "USD", "1.0866", "JPY", "161.67", 1488 }, /* 1487.85 JPY */
    /* 1 USD → BHD (3 decimals) with made-up rates: 0.376 exactly. */
    { 100, "USD", "1", "BHD", "0.376", 376 },
    /* Into a 4-decimal unit and back to 0 decimals. */
    { 1, "EUR", "1", "CLF", "0.03", 3 },
    { 12345, "CLF", "0.03", "JPY", "161.67", 6653 }, /* 6652.7205 */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 out = -1;

      g_test_message ("convert case %u", i);
      g_assert_true (globi_money_convert (cases[i].minor, cases[i].from, cases[i].from_rate,
                                          cases[i].to, cases[i].to_rate, &out, &error));
      g_assert_no_error (error);
      g_assert_cmpint (out, ==, cases[i].expected);
    }
}

static void
test_money_convert_errors (void)
{
  gint64 out = -1;

  g_assert_false (globi_money_convert (1, "XXX", "1", "USD", "1", &out, NULL));
  g_assert_false (globi_money_convert (1, "EUR", "0", "USD", "1", &out, NULL));
  g_assert_false (globi_money_convert (1, "EUR", "-1", "USD", "1", &out, NULL));
  g_assert_false (globi_money_convert (1, "EUR", "1.", "USD", "1", &out, NULL));
  g_assert_false (globi_money_convert (1, "EUR", "1e3", "USD", "1", &out, NULL));
  g_assert_false (globi_money_convert (1, "EUR", "1", "USD", "1234567890123456", &out, NULL));
  g_assert_false (globi_money_convert (1, "EUR", "1", "USD", "0.0000000000001", &out, NULL));
  g_assert_false (globi_money_convert (-1, "EUR", "1", "USD", "1", &out, NULL));
  /* A result past the limit. */
  g_assert_false (
      globi_money_convert (GLOBI_MONEY_MAX_MINOR, "EUR", "1", "VND", "27000", &out, NULL));
  g_assert_cmpint (out, ==, -1);
}

static void
test_money_cross_rate (void)
{
  g_autofree char *a = globi_money_cross_rate ("1.0866", "7.8441");
  g_autofree char *b = globi_money_cross_rate ("1", "1.5");
  g_autofree char *c = globi_money_cross_rate ("3", "1");
  g_autofree char *d = globi_money_cross_rate ("2", "2");

  g_assert_cmpstr (a, ==, "7.2189398123");
  g_assert_cmpstr (b, ==, "1.5");
  g_assert_cmpstr (c, ==, "0.3333333333");
  g_assert_cmpstr (d, ==, "1");
  g_assert_null (globi_money_cross_rate ("x", "1"));
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/globi/common/money/table", test_money_table);
  g_test_add_func ("/globi/common/money/parse", test_money_parse);
  g_test_add_func ("/globi/common/money/format", test_money_format);
  g_test_add_func ("/globi/common/money/round-trip", test_money_round_trip);
  g_test_add_func ("/globi/common/money/convert", test_money_convert);
  g_test_add_func ("/globi/common/money/convert-errors", test_money_convert_errors);
  g_test_add_func ("/globi/common/money/cross-rate", test_money_cross_rate);
  return g_test_run ();
}
