/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-emvco.h"

/* The example of the Brazilian central bank's PIX manual, with the CRC it prints. */
#define PIX_EXAMPLE                                                                               \
  "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913" \
  "Fulano de Tal6008BRASILIA62070503***63041D3D"

#define PAYEE_ID "01890a5d-ac96-774b-bcce-b302099a8057"

static void
test_emvco_crc_check_value (void)
{
  /* The catalogue check value of CRC-16/CCITT-FALSE. */
  g_assert_cmphex (globi_emvco_crc16 ("123456789", 9), ==, 0x29B1);
  g_assert_cmphex (globi_emvco_crc16 ("", 0), ==, 0xFFFF);
}

static void
test_emvco_foreign_pix (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiEmvcoCode) code = globi_emvco_decode (PIX_EXAMPLE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (code);
  g_assert_true (code->crc_valid);
  g_assert_false (code->globipay);
  g_assert_cmpstr (code->scheme, ==, "br.gov.bcb.pix");
  g_assert_cmpstr (code->payee_name, ==, "Fulano de Tal");
  g_assert_cmpstr (code->city, ==, "BRASILIA");
  g_assert_cmpstr (code->currency, ==, "986");
  g_assert_cmpstr (globi_emvco_currency_from_numeric (code->currency), ==, "BRL");
  g_assert_null (code->amount);
  g_assert_cmpstr (globi_emvco_code_get (code, "26", "01"), ==,
                   "123e4567-e12b-12d1-a456-426655440000");
  g_assert_cmpstr (globi_emvco_code_get (code, "62", "05"), ==, "***");
  g_assert_cmpuint (code->fields->len, ==, 9);
}

static void
test_emvco_foreign_sgqr (void)
{
  /* A PayNow account (SGQR) built field by field: its scheme is reported, not paid. */
  g_autoptr (GString) text = g_string_new ("000201010211");
  g_autoptr (GString) account = g_string_new (NULL);
  g_autoptr (GlobiEmvcoCode) code = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (globi_emvco_append (account, "00", "SG.PAYNOW", NULL));
  g_assert_true (globi_emvco_append (account, "01", "2", NULL));
  g_assert_true (globi_emvco_append (account, "02", "201403121W", NULL));
  g_assert_true (globi_emvco_append (text, "26", account->str, NULL));
  g_assert_true (globi_emvco_append (text, "52", "0000", NULL));
  g_assert_true (globi_emvco_append (text, "53", "702", NULL));
  g_assert_true (globi_emvco_append (text, "58", "SG", NULL));
  g_assert_true (globi_emvco_append (text, "59", "Kopi Corner", NULL));
  g_assert_true (globi_emvco_append (text, "60", "Singapore", NULL));
  globi_emvco_append_crc (text);

  code = globi_emvco_decode (text->str, &error);
  g_assert_no_error (error);
  g_assert_false (code->globipay);
  g_assert_cmpstr (code->scheme, ==, "SG.PAYNOW");
  g_assert_cmpstr (code->payee_name, ==, "Kopi Corner");
  g_assert_cmpstr (globi_emvco_currency_from_numeric (code->currency), ==, "SGD");
}

static void
test_emvco_globipay_round_trip (void)
{
  GlobiEmvcoPayment payment = {
    .payee_id = PAYEE_ID,
    .server = "chat.example:8443",
    .payee_name = "Zoë 王小明",
    .city = "Zürich",
    .currency = "756",
    .amount = "12.50",
    .note = "Lunch 🍜",
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *text = globi_emvco_encode_payment (&payment, &error);
  g_autoptr (GlobiEmvcoCode) code = NULL;

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (text, "000201010212"));
  /* Lengths count characters: "Zoë 王小明" is 7 characters but 13 bytes. */
  g_assert_nonnull (strstr (text, "5907Zoë 王小明"));
  g_assert_nonnull (strstr (text, "62110807Lunch 🍜"));

  code = globi_emvco_decode (text, &error);
  g_assert_no_error (error);
  g_assert_true (code->crc_valid);
  g_assert_true (code->globipay);
  g_assert_cmpstr (code->scheme, ==, GLOBI_EMVCO_GLOBIPAY_GUI);
  g_assert_cmpstr (code->payee_id, ==, PAYEE_ID);
  g_assert_cmpstr (code->server, ==, "chat.example:8443");
  g_assert_cmpstr (code->payee_name, ==, "Zoë 王小明");
  g_assert_cmpstr (code->city, ==, "Zürich");
  g_assert_cmpstr (code->currency, ==, "756");
  g_assert_cmpstr (code->amount, ==, "12.50");
  g_assert_cmpstr (code->note, ==, "Lunch 🍜");
  g_assert_cmpstr (globi_emvco_code_get (code, "00", NULL), ==, "01");
  g_assert_cmpstr (
      ((GlobiEmvcoField *) g_ptr_array_index (code->fields, code->fields->len - 1))->id, ==, "63");
}

static void
test_emvco_static_code_and_cuts (void)
{
  GlobiEmvcoPayment payment = {
    .payee_id = PAYEE_ID,
    .payee_name = "A very long display name that goes on and on",
  };
  g_autofree char *text = globi_emvco_encode_payment (&payment, NULL);
  g_autoptr (GlobiEmvcoCode) code = globi_emvco_decode (text, NULL);

  g_assert_true (g_str_has_prefix (text, "000201010211"));
  g_assert_nonnull (code);
  g_assert_true (code->globipay);
  g_assert_null (code->amount);
  g_assert_null (code->currency);
  g_assert_null (code->note);
  g_assert_null (code->server);
  /* Field 59 holds 25 characters at most. */
  g_assert_cmpstr (code->payee_name, ==, "A very long display name ");
}

static void
test_emvco_encode_refuses (void)
{
  const GlobiEmvcoPayment bad[] = {
    { .payee_name = "No id" },
    { .payee_id = PAYEE_ID },
    { .payee_id = PAYEE_ID, .payee_name = "X", .currency = "840", .amount = "-1" },
    { .payee_id = PAYEE_ID, .payee_name = "X", .currency = "840", .amount = "1.2.3" },
    { .payee_id = PAYEE_ID, .payee_name = "X", .currency = "840", .amount = "12345678901234" },
    { .payee_id = PAYEE_ID, .payee_name = "X", .amount = "1.00" },
    { .payee_id = PAYEE_ID, .payee_name = "X", .currency = "USD", .amount = "1.00" },
    { .payee_id = PAYEE_ID, .payee_name = "X", .note = "twenty-six characters long" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *text = globi_emvco_encode_payment (&bad[i], &error);

      g_assert_null (text);
      g_assert_nonnull (error);
      g_assert_true (error->domain == GLOBI_EMVCO_ERROR);
    }
}

static void
test_emvco_bad_crc (void)
{
  g_autofree char *text = g_strdup (PIX_EXAMPLE);
  g_autoptr (GlobiEmvcoCode) parsed = NULL;
  g_autoptr (GlobiEmvcoCode) decoded = NULL;
  g_autoptr (GError) error = NULL;

  text[strlen (text) - 1] = 'E';
  /* Parsing still reports the fields, with crc_valid false; decoding refuses. */
  parsed = globi_emvco_parse (text, &error);
  g_assert_no_error (error);
  g_assert_false (parsed->crc_valid);
  g_assert_cmpstr (parsed->payee_name, ==, "Fulano de Tal");
  decoded = globi_emvco_decode (text, &error);
  g_assert_null (decoded);
  g_assert_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_BAD_CRC);
  g_assert_nonnull (strstr (error->message, "CRC"));
  g_clear_error (&error);

  /* A changed value under the old CRC is caught as well. */
  memcpy (strstr (text, "Fulano"), "Fulana", 6);
  text[strlen (text) - 1] = 'D';
  decoded = globi_emvco_decode (text, &error);
  g_assert_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_BAD_CRC);
}

static void
test_emvco_lower_case_crc (void)
{
  g_autofree char *body = g_strndup (PIX_EXAMPLE, strlen (PIX_EXAMPLE) - 4);
  g_autofree char *text = g_strconcat (body, "1d3d", NULL);
  g_autoptr (GlobiEmvcoCode) code = globi_emvco_decode (text, NULL);

  g_assert_nonnull (code);
  g_assert_true (code->crc_valid);
}

static void
test_emvco_malformed (void)
{
  const struct
  {
    const char *text;
    GlobiEmvcoError code;
  } cases[] = {
    { "", GLOBI_EMVCO_ERROR_MISSING_FORMAT },
    { "000", GLOBI_EMVCO_ERROR_TRUNCATED },
    { "0002010", GLOBI_EMVCO_ERROR_TRUNCATED },
    /* Field 59 says 13 characters, 5 are left. */
    { "0002015913Fulan", GLOBI_EMVCO_ERROR_TRUNCATED },
    { "000001", GLOBI_EMVCO_ERROR_BAD_LENGTH },
    { "00x101", GLOBI_EMVCO_ERROR_BAD_LENGTH },
    { "0002015A02XX", GLOBI_EMVCO_ERROR_BAD_ID },
    { "0102110002016304ABCD", GLOBI_EMVCO_ERROR_MISSING_FORMAT },
    { "0002026304ABCD", GLOBI_EMVCO_ERROR_MISSING_FORMAT },
    { "0002015902Me", GLOBI_EMVCO_ERROR_MISSING_CRC },
    { "00020163041D3D5902Me", GLOBI_EMVCO_ERROR_MISSING_CRC },
    { "000201630312G", GLOBI_EMVCO_ERROR_MISSING_CRC },
    { "0002015902Me5902Me6304ABCD", GLOBI_EMVCO_ERROR_DUPLICATE },
    /* The template's inner field says 99 characters. */
    { "0002012607009912346304ABCD", GLOBI_EMVCO_ERROR_TRUNCATED },
    { "000201260400006304ABCD", GLOBI_EMVCO_ERROR_BAD_LENGTH },
    { "0002015902\xff\xfe"
      "6304ABCD",
      GLOBI_EMVCO_ERROR_NOT_UTF8 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiEmvcoCode) code = globi_emvco_parse (cases[i].text, &error);

      g_test_message ("case %u: %s", i, error ? error->message : "(none)");
      g_assert_null (code);
      g_assert_error (error, GLOBI_EMVCO_ERROR, (int) cases[i].code);
    }
}

static void
test_emvco_decode_checks_values (void)
{
  const char *bodies[] = { "000201530384054041.2.", "0002015403ABC", "0002015304EURO" };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (GString) text = g_string_new (bodies[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiEmvcoCode) code = NULL;

      globi_emvco_append_crc (text);
      code = globi_emvco_decode (text->str, &error);
      g_assert_null (code);
      g_assert_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_INVALID_VALUE);
    }
}

/* Appends fields 80, 81, ... of unit repeated, then the CRC, to make a code of exactly
 * target characters. */
static void
fill_to (GString *text, const char *unit, glong target)
{
  for (int id = 80;; id++)
    {
      glong remaining = target - 8 - g_utf8_strlen (text->str, -1);
      glong chunk = MIN (99, remaining - 4);
      g_autoptr (GString) value = g_string_new (NULL);
      char id_text[3];

      if (remaining <= 0)
        break;
      g_assert_cmpint (remaining, >=, 5);
      /* Never leave 1-4 characters: too few for one more field. */
      if (remaining - 4 - chunk > 0 && remaining - 4 - chunk < 5)
        chunk -= 5;
      for (glong i = 0; i < chunk; i++)
        g_string_append (value, unit);
      g_snprintf (id_text, sizeof id_text, "%02d", id);
      g_assert_true (globi_emvco_append (text, id_text, value->str, NULL));
    }
  globi_emvco_append_crc (text);
  g_assert_cmpint (g_utf8_strlen (text->str, -1), ==, target);
}

static void
test_emvco_oversized (void)
{
  g_autoptr (GString) text = g_string_new ("000201");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiEmvcoCode) code = NULL;
  g_autoptr (GString) wide = g_string_new (NULL);

  /* 513 characters of well-formed fields: refused for the size alone. */
  fill_to (text, "x", 513);
  code = globi_emvco_parse (text->str, &error);
  g_assert_null (code);
  g_assert_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_TOO_LONG);
  g_clear_error (&error);

  /* 700 three-byte characters: too long before UTF-8 is even checked. */
  for (int i = 0; i < 700; i++)
    g_string_append (wide, "€");
  code = globi_emvco_parse (wide->str, &error);
  g_assert_null (code);
  g_assert_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_TOO_LONG);
}

static void
test_emvco_limit_counts_characters (void)
{
  /* 512 characters pass even when they are many more bytes. */
  g_autoptr (GString) text = g_string_new ("000201");
  g_autoptr (GlobiEmvcoCode) code = NULL;
  g_autoptr (GError) error = NULL;

  fill_to (text, "é", 512);
  g_assert_cmpuint (text->len, >, 900);
  code = globi_emvco_decode (text->str, &error);
  g_assert_no_error (error);
  g_assert_true (code->crc_valid);
}

static void
test_emvco_currency_codes (void)
{
  g_assert_cmpstr (globi_emvco_currency_to_numeric ("USD"), ==, "840");
  g_assert_cmpstr (globi_emvco_currency_to_numeric ("eur"), ==, "978");
  g_assert_cmpstr (globi_emvco_currency_to_numeric ("JPY"), ==, "392");
  g_assert_cmpstr (globi_emvco_currency_from_numeric ("826"), ==, "GBP");
  g_assert_cmpstr (globi_emvco_currency_from_numeric ("008"), ==, "ALL");
  g_assert_null (globi_emvco_currency_from_numeric ("000"));
  g_assert_null (globi_emvco_currency_to_numeric ("XYZ"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/globi/common/emvco/crc-check-value", test_emvco_crc_check_value);
  g_test_add_func ("/globi/common/emvco/foreign-pix", test_emvco_foreign_pix);
  g_test_add_func ("/globi/common/emvco/foreign-sgqr", test_emvco_foreign_sgqr);
  g_test_add_func ("/globi/common/emvco/globipay-round-trip", test_emvco_globipay_round_trip);
  g_test_add_func ("/globi/common/emvco/static-code-and-cuts", test_emvco_static_code_and_cuts);
  g_test_add_func ("/globi/common/emvco/encode-refuses", test_emvco_encode_refuses);
  g_test_add_func ("/globi/common/emvco/bad-crc", test_emvco_bad_crc);
  g_test_add_func ("/globi/common/emvco/lower-case-crc", test_emvco_lower_case_crc);
  g_test_add_func ("/globi/common/emvco/malformed", test_emvco_malformed);
  g_test_add_func ("/globi/common/emvco/decode-checks-values", test_emvco_decode_checks_values);
  g_test_add_func ("/globi/common/emvco/oversized", test_emvco_oversized);
  g_test_add_func ("/globi/common/emvco/limit-counts-characters",
                   test_emvco_limit_counts_characters);
  g_test_add_func ("/globi/common/emvco/currency-codes", test_emvco_currency_codes);
  return g_test_run ();
}
