/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "globi-emvco.h"

/* Every scanned QR code reaches the EMVCo parser: any bytes must give a code or an error,
 * and a code that decodes must encode back (for GlobiPay's) to one that decodes alike. */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiEmvcoCode) code = globi_emvco_parse (text, &error);

  if (!code)
    {
      g_assert_nonnull (error);
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (code->fields->len, >=, 2);
  g_clear_pointer (&code, globi_emvco_code_free);

  code = globi_emvco_decode (text, &error);
  if (code && code->globipay && code->payee_name)
    {
      GlobiEmvcoPayment payment = {
        .payee_id = code->payee_id,
        .server = code->server,
        .payee_name = code->payee_name,
        .city = code->city,
        .currency = code->currency,
        .amount = code->amount,
        .note = code->note,
      };
      g_autofree char *again = globi_emvco_encode_payment (&payment, NULL);
      g_autoptr (GlobiEmvcoCode) round = again ? globi_emvco_decode (again, &error) : NULL;

      if (again)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (round->payee_id, ==, code->payee_id);
          g_assert_cmpstr (round->amount, ==, code->amount);
        }
    }
  return 0;
}
