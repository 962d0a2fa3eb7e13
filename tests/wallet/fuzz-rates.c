/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <stdlib.h>

#include "globi-money.h"
#include "globi-rates.h"

/* The rates feed is fetched from a URL the operator names but nobody controls: any bytes
 * must end in a rate set that holds together or in an error, never a crash. */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiRateSet) set = NULL;
  g_autoptr (GlobiRateSet) back = NULL;
  g_autoptr (JsonNode) json = NULL;
  g_autofree char *text = NULL;
  const GlobiCurrency *all;
  guint n;

  if (sodium_init () < 0)
    abort ();
  set = globi_rates_parse_ecb ((const char *) data, size, "fuzz", 0, &error);
  if (!set)
    {
      g_assert_nonnull (error);
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpstr (globi_rate_set_lookup (set, "EUR"), ==, "1");
  g_assert_nonnull (globi_rate_set_lookup (set, "USD"));
  /* What is accepted survives storage and converts without surprises. */
  json = globi_rate_set_to_json (set);
  text = json_to_string (json, FALSE);
  back = globi_rate_set_from_json (text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_rate_set_get_date (back), ==, globi_rate_set_get_date (set));
  all = globi_currency_get_all (&n);
  for (guint i = 0; i < n; i++)
    {
      const char *rate = globi_rate_set_lookup (set, all[i].code);
      gint64 out = -1;
      g_autofree char *cross = NULL;

      if (!rate)
        continue;
      g_assert_true (globi_money_rate_is_valid (rate));
      if (globi_money_convert (10000, "USD", globi_rate_set_lookup (set, "USD"), all[i].code, rate,
                               &out, NULL))
        g_assert_cmpint (out, >=, 0);
      cross = globi_money_cross_rate (globi_rate_set_lookup (set, "USD"), rate);
      g_assert_nonnull (cross);
    }
  return 0;
}
