/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-emvco"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "globi-emvco.h"

/* clang-format off */
G_DEFINE_QUARK (globi-emvco-error-quark, globi_emvco_error)
/* clang-format on */

/* Every EMVCo length is two digits, so no value is longer than this. */
#define MAX_VALUE_CHARS 99
/* Templates nest once at most (62 inside a top level; nothing deeper is defined). */
#define MAX_DEPTH 1

/* ISO 4217: alphabetic and numeric codes of the active currencies, sorted by code. */
static const struct
{
  const char code[4];
  const char numeric[4];
} currencies[] = {
  { "AED", "784" }, { "AFN", "971" }, { "ALL", "008" }, { "AMD", "051" }, { "ANG", "532" },
  { "AOA", "973" }, { "ARS", "032" }, { "AUD", "036" }, { "AWG", "533" }, { "AZN", "944" },
  { "BAM", "977" }, { "BBD", "052" }, { "BDT", "050" }, { "BGN", "975" }, { "BHD", "048" },
  { "BIF", "108" }, { "BMD", "060" }, { "BND", "096" }, { "BOB", "068" }, { "BRL", "986" },
  { "BSD", "044" }, { "BTN", "064" }, { "BWP", "072" }, { "BYN", "933" }, { "BZD", "084" },
  { "CAD", "124" }, { "CDF", "976" }, { "CHF", "756" }, { "CLF", "990" }, { "CLP", "152" },
  { "CNY", "156" }, { "COP", "170" }, { "CRC", "188" }, { "CUP", "192" }, { "CVE", "132" },
  { "CZK", "203" }, { "DJF", "262" }, { "DKK", "208" }, { "DOP", "214" }, { "DZD", "012" },
  { "EGP", "818" }, { "ERN", "232" }, { "ETB", "230" }, { "EUR", "978" }, { "FJD", "242" },
  { "FKP", "238" }, { "GBP", "826" }, { "GEL", "981" }, { "GHS", "936" }, { "GIP", "292" },
  { "GMD", "270" }, { "GNF", "324" }, { "GTQ", "320" }, { "GYD", "328" }, { "HKD", "344" },
  { "HNL", "340" }, { "HTG", "332" }, { "HUF", "348" }, { "IDR", "360" }, { "ILS", "376" },
  { "INR", "356" }, { "IQD", "368" }, { "IRR", "364" }, { "ISK", "352" }, { "JMD", "388" },
  { "JOD", "400" }, { "JPY", "392" }, { "KES", "404" }, { "KGS", "417" }, { "KHR", "116" },
  { "KMF", "174" }, { "KPW", "408" }, { "KRW", "410" }, { "KWD", "414" }, { "KYD", "136" },
  { "KZT", "398" }, { "LAK", "418" }, { "LBP", "422" }, { "LKR", "144" }, { "LRD", "430" },
  { "LSL", "426" }, { "LYD", "434" }, { "MAD", "504" }, { "MDL", "498" }, { "MGA", "969" },
  { "MKD", "807" }, { "MMK", "104" }, { "MNT", "496" }, { "MOP", "446" }, { "MRU", "929" },
  { "MUR", "480" }, { "MVR", "462" }, { "MWK", "454" }, { "MXN", "484" }, { "MYR", "458" },
  { "MZN", "943" }, { "NAD", "516" }, { "NGN", "566" }, { "NIO", "558" }, { "NOK", "578" },
  { "NPR", "524" }, { "NZD", "554" }, { "OMR", "512" }, { "PAB", "590" }, { "PEN", "604" },
  { "PGK", "598" }, { "PHP", "608" }, { "PKR", "586" }, { "PLN", "985" }, { "PYG", "600" },
  { "QAR", "634" }, { "RON", "946" }, { "RSD", "941" }, { "RUB", "643" }, { "RWF", "646" },
  { "SAR", "682" }, { "SBD", "090" }, { "SCR", "690" }, { "SDG", "938" }, { "SEK", "752" },
  { "SGD", "702" }, { "SHP", "654" }, { "SLE", "925" }, { "SOS", "706" }, { "SRD", "968" },
  { "SSP", "728" }, { "STN", "930" }, { "SYP", "760" }, { "SZL", "748" }, { "THB", "764" },
  { "TJS", "972" }, { "TMT", "934" }, { "TND", "788" }, { "TOP", "776" }, { "TRY", "949" },
  { "TTD", "780" }, { "TWD", "901" }, { "TZS", "834" }, { "UAH", "980" }, { "UGX", "800" },
  { "USD", "840" }, { "UYU", "858" }, { "UZS", "860" }, { "VES", "928" }, { "VND", "704" },
  { "VUV", "548" }, { "WST", "882" }, { "XAF", "950" }, { "XCD", "951" }, { "XOF", "952" },
  { "XPF", "953" }, { "YER", "886" }, { "ZAR", "710" }, { "ZMW", "967" }, { "ZWL", "932" },
};

static void
field_free (gpointer data)
{
  GlobiEmvcoField *field = data;

  g_free (field->value);
  g_clear_pointer (&field->children, g_ptr_array_unref);
  g_free (field);
}

guint16
globi_emvco_crc16 (const char *data, gsize len)
{
  guint16 crc = 0xFFFF;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= (guint16) ((guint8) data[i] << 8);
      for (int bit = 0; bit < 8; bit++)
        crc = (crc & 0x8000) ? (guint16) ((crc << 1) ^ 0x1021) : (guint16) (crc << 1);
    }
  return crc;
}

static gboolean
two_digits (const char *p, int *out)
{
  if (!g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1]))
    return FALSE;
  *out = (p[0] - '0') * 10 + (p[1] - '0');
  return TRUE;
}

static gboolean
is_template (int id, int depth)
{
  /* Merchant account information 26-51, additional data 62, language template 64. */
  return depth == 0 && ((id >= 26 && id <= 51) || id == 62 || id == 64);
}

static GlobiEmvcoField *
find_field (GPtrArray *fields, const char *id)
{
  for (guint i = 0; fields && i < fields->len; i++)
    {
      GlobiEmvcoField *field = g_ptr_array_index (fields, i);

      if (strcmp (field->id, id) == 0)
        return field;
    }
  return NULL;
}

/* Parses [p, end) (valid UTF-8) into fields. where names the enclosing template in
 * messages ("" at the top level). */
static gboolean
parse_fields (const char *base,
              const char *p,
              const char *end,
              int depth,
              const char *where,
              GPtrArray *out,
              GError **error)
{
  while (p < end)
    {
      g_autofree char *value = NULL;
      GlobiEmvcoField *field;
      const char *start;
      int id, len;

      if (end - p < 4)
        {
          g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_TRUNCATED,
                       "Truncated%s: %d character(s) left where an ID and a length need 4", where,
                       (int) g_utf8_strlen (p, end - p));
          return FALSE;
        }
      if (!two_digits (p, &id))
        {
          g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_BAD_ID,
                       "Bad ID%s at character %ld: IDs are two digits", where,
                       g_utf8_strlen (base, p - base) + 1);
          return FALSE;
        }
      if (!two_digits (p + 2, &len) || len == 0)
        {
          g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_BAD_LENGTH,
                       "Bad length of field %02d%s: lengths are two digits from 01 to 99", id,
                       where);
          return FALSE;
        }
      start = p + 4;
      p = start;
      for (int i = 0; i < len; i++)
        {
          if (p >= end)
            {
              g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_TRUNCATED,
                           "Truncated%s: field %02d says %d character(s) but only %d are left",
                           where, id, len, i);
              return FALSE;
            }
          p = g_utf8_next_char (p);
        }
      if (p > end)
        {
          g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_TRUNCATED,
                       "Truncated%s: field %02d ends inside a character", where, id);
          return FALSE;
        }

      value = g_strndup (start, p - start);
      field = g_new0 (GlobiEmvcoField, 1);
      g_snprintf (field->id, sizeof field->id, "%02d", id);
      if (find_field (out, field->id))
        {
          g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_DUPLICATE,
                       "Field %s appears twice%s", field->id, where);
          field_free (field);
          return FALSE;
        }
      field->value = g_steal_pointer (&value);
      g_ptr_array_add (out, field);

      if (depth < MAX_DEPTH && is_template (id, depth))
        {
          g_autofree char *inner = g_strdup_printf (" in template %s", field->id);

          field->children = g_ptr_array_new_with_free_func (field_free);
          if (!parse_fields (base, start, p, depth + 1, inner, field->children, error))
            return FALSE;
        }
    }
  return TRUE;
}

static const char *
network_name (int id)
{
  /* EMVCo's registry of primitive merchant account IDs for payment networks. */
  if (id == 2 || id == 3)
    return "Visa";
  if (id == 4 || id == 5)
    return "Mastercard";
  if (id == 9 || id == 10)
    return "Discover";
  if (id == 11 || id == 12)
    return "American Express";
  if (id == 13 || id == 14)
    return "JCB";
  if (id == 15 || id == 16)
    return "UnionPay";
  return "EMVCo";
}

static void
fill_summary (GlobiEmvcoCode *code)
{
  const char *first_gui = NULL;
  const char *network = NULL;

  for (guint i = 0; i < code->fields->len; i++)
    {
      GlobiEmvcoField *field = g_ptr_array_index (code->fields, i);
      int id = atoi (field->id);
      GlobiEmvcoField *gui;

      if (id >= 2 && id <= 25 && !network)
        network = network_name (id);
      if (id < 26 || id > 51 || !field->children || !(gui = find_field (field->children, "00")))
        continue;
      /* A code may carry several schemes' accounts: GlobiPay's wins, else the first. */
      if (strcmp (gui->value, GLOBI_EMVCO_GLOBIPAY_GUI) == 0 && !code->globipay)
        {
          GlobiEmvcoField *payee = find_field (field->children, "01");
          GlobiEmvcoField *server = find_field (field->children, "02");

          code->globipay = payee != NULL;
          code->payee_id = payee ? payee->value : NULL;
          code->server = server ? server->value : NULL;
        }
      if (!first_gui)
        first_gui = gui->value;
    }
  code->scheme = code->globipay ? GLOBI_EMVCO_GLOBIPAY_GUI : first_gui ? first_gui : network;
  code->payee_name = globi_emvco_code_get (code, GLOBI_EMVCO_ID_NAME, NULL);
  code->city = globi_emvco_code_get (code, GLOBI_EMVCO_ID_CITY, NULL);
  code->currency = globi_emvco_code_get (code, GLOBI_EMVCO_ID_CURRENCY, NULL);
  code->amount = globi_emvco_code_get (code, GLOBI_EMVCO_ID_AMOUNT, NULL);
  code->note = globi_emvco_code_get (code, GLOBI_EMVCO_ID_ADDITIONAL, "08");
}

GlobiEmvcoCode *
globi_emvco_parse (const char *text, GError **error)
{
  g_autoptr (GlobiEmvcoCode) code = NULL;
  GlobiEmvcoField *first, *last;
  gsize len;
  glong chars;

  g_return_val_if_fail (text != NULL, NULL);

  len = strlen (text);
  /* Four bytes per character at most: longer text is too long whatever it holds. */
  if (len > GLOBI_EMVCO_MAX_CHARS * 4)
    {
      g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_TOO_LONG,
                   "Too long: EMVCo codes hold at most %d characters", GLOBI_EMVCO_MAX_CHARS);
      return NULL;
    }
  if (!g_utf8_validate (text, len, NULL))
    {
      g_set_error_literal (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_NOT_UTF8, "Not UTF-8 text");
      return NULL;
    }
  chars = g_utf8_strlen (text, len);
  if (chars > GLOBI_EMVCO_MAX_CHARS)
    {
      g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_TOO_LONG,
                   "Too long: %ld characters where EMVCo codes hold at most %d", chars,
                   GLOBI_EMVCO_MAX_CHARS);
      return NULL;
    }

  code = g_new0 (GlobiEmvcoCode, 1);
  code->fields = g_ptr_array_new_with_free_func (field_free);
  if (!parse_fields (text, text, text + len, 0, "", code->fields, error))
    return NULL;

  first = code->fields->len ? g_ptr_array_index (code->fields, 0) : NULL;
  if (!first || strcmp (first->id, GLOBI_EMVCO_ID_FORMAT) != 0 || strcmp (first->value, "01") != 0)
    {
      g_set_error_literal (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_MISSING_FORMAT,
                           "Missing payload format indicator: field 00 must come first and be 01");
      return NULL;
    }
  last = g_ptr_array_index (code->fields, code->fields->len - 1);
  if (strcmp (last->id, GLOBI_EMVCO_ID_CRC) != 0 || strlen (last->value) != 4 ||
      !g_ascii_isxdigit (last->value[0]) || !g_ascii_isxdigit (last->value[1]) ||
      !g_ascii_isxdigit (last->value[2]) || !g_ascii_isxdigit (last->value[3]))
    {
      g_set_error_literal (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_MISSING_CRC,
                           "Missing CRC: field 63 must come last with four hex digits");
      return NULL;
    }
  /* The CRC covers every byte up to and including "6304": all but the last four. */
  code->crc_valid = globi_emvco_crc16 (text, len - 4) == g_ascii_strtoull (last->value, NULL, 16);
  fill_summary (code);
  return g_steal_pointer (&code);
}

static gboolean
is_amount (const char *s)
{
  gsize len = strlen (s);
  const char *dot = strchr (s, '.');

  if (len == 0 || len > 13 || s[0] == '.' || (dot && (dot[1] == '\0' || strchr (dot + 1, '.'))))
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit (*p) && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
is_currency (const char *s)
{
  return strlen (s) == 3 && g_ascii_isdigit (s[0]) && g_ascii_isdigit (s[1]) &&
         g_ascii_isdigit (s[2]);
}

GlobiEmvcoCode *
globi_emvco_decode (const char *text, GError **error)
{
  g_autoptr (GlobiEmvcoCode) code = globi_emvco_parse (text, error);

  if (!code)
    return NULL;
  if (!code->crc_valid)
    {
      g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_BAD_CRC,
                   "Bad CRC: the code says %s but its content gives %04X",
                   globi_emvco_code_get (code, GLOBI_EMVCO_ID_CRC, NULL),
                   globi_emvco_crc16 (text, strlen (text) - 4));
      return NULL;
    }
  if (code->amount && !is_amount (code->amount))
    {
      g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_INVALID_VALUE,
                   "Bad amount in field 54: “%s” is not a decimal number", code->amount);
      return NULL;
    }
  if (code->currency && !is_currency (code->currency))
    {
      g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_INVALID_VALUE,
                   "Bad currency in field 53: “%s” is not an ISO 4217 numeric code",
                   code->currency);
      return NULL;
    }
  if (code->amount && !code->currency)
    {
      g_set_error_literal (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_INVALID_VALUE,
                           "An amount (field 54) without a currency (field 53)");
      return NULL;
    }
  return g_steal_pointer (&code);
}

void
globi_emvco_code_free (GlobiEmvcoCode *code)
{
  if (!code)
    return;
  g_clear_pointer (&code->fields, g_ptr_array_unref);
  g_free (code);
}

const char *
globi_emvco_code_get (const GlobiEmvcoCode *code, const char *id, const char *sub_id)
{
  GlobiEmvcoField *field;

  g_return_val_if_fail (code != NULL && id != NULL, NULL);

  field = find_field (code->fields, id);
  if (field && sub_id)
    field = find_field (field->children, sub_id);
  return field ? field->value : NULL;
}

gboolean
globi_emvco_append (GString *out, const char *id, const char *value, GError **error)
{
  glong chars;

  g_return_val_if_fail (out && id && strlen (id) == 2, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_NOT_UTF8,
                   "Field %s is not UTF-8 text", id);
      return FALSE;
    }
  chars = g_utf8_strlen (value, -1);
  if (chars < 1 || chars > MAX_VALUE_CHARS)
    {
      g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_BAD_LENGTH,
                   "Field %s holds %ld characters, not 1 to %d", id, chars, MAX_VALUE_CHARS);
      return FALSE;
    }
  g_string_append_printf (out, "%s%02ld%s", id, chars, value);
  return TRUE;
}

void
globi_emvco_append_crc (GString *out)
{
  g_string_append (out, GLOBI_EMVCO_ID_CRC "04");
  g_string_append_printf (out, "%04X", globi_emvco_crc16 (out->str, out->len));
}

/* The first max characters of s; NULL when s is NULL or empty. */
static char *
cut (const char *s, glong max)
{
  if (!s || !*s)
    return NULL;
  return g_utf8_substring (s, 0, MIN (g_utf8_strlen (s, -1), max));
}

static gboolean
append_optional (GString *out, const char *id, const char *value, GError **error)
{
  return !value || globi_emvco_append (out, id, value, error);
}

char *
globi_emvco_encode_payment (const GlobiEmvcoPayment *payment, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) account = g_string_new (NULL);
  g_autoptr (GString) additional = g_string_new (NULL);
  g_autofree char *name = NULL;
  g_autofree char *city = NULL;

  g_return_val_if_fail (payment != NULL, NULL);

  if (!payment->payee_id || !*payment->payee_id)
    {
      g_set_error_literal (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_INVALID_VALUE,
                           "A receive code needs the payee's id");
      return NULL;
    }
  if (!(name = cut (payment->payee_name, 25)))
    {
      g_set_error_literal (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_INVALID_VALUE,
                           "A receive code needs the payee's name");
      return NULL;
    }
  city = cut (payment->city, 15);
  if (payment->amount && !is_amount (payment->amount))
    {
      g_set_error (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_INVALID_VALUE,
                   "“%s” is not an amount (digits, a point and decimals, 13 characters at most)",
                   payment->amount);
      return NULL;
    }
  if ((payment->currency && !is_currency (payment->currency)) ||
      (payment->amount && !payment->currency))
    {
      g_set_error_literal (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_INVALID_VALUE,
                           "The currency must be an ISO 4217 numeric code");
      return NULL;
    }
  if (payment->note && g_utf8_validate (payment->note, -1, NULL) &&
      g_utf8_strlen (payment->note, -1) > 25)
    {
      g_set_error_literal (error, GLOBI_EMVCO_ERROR, GLOBI_EMVCO_ERROR_TOO_LONG,
                           "The note holds at most 25 characters");
      return NULL;
    }

  if (!globi_emvco_append (account, "00", GLOBI_EMVCO_GLOBIPAY_GUI, error) ||
      !globi_emvco_append (account, "01", payment->payee_id, error) ||
      !append_optional (account, "02", payment->server, error))
    return NULL;
  if (payment->note && *payment->note &&
      !globi_emvco_append (additional, "08", payment->note, error))
    return NULL;

  g_string_append (out, "000201");
  /* 12: a code for one payment (it names the amount); 11: a reusable one. */
  g_string_append (out, payment->amount ? "010212" : "010211");
  if (!globi_emvco_append (out, GLOBI_EMVCO_GLOBIPAY_ID, account->str, error) ||
      !globi_emvco_append (out, GLOBI_EMVCO_ID_CATEGORY, "0000", error) ||
      !append_optional (out, GLOBI_EMVCO_ID_CURRENCY, payment->currency, error) ||
      !append_optional (out, GLOBI_EMVCO_ID_AMOUNT, payment->amount, error) ||
      !globi_emvco_append (out, GLOBI_EMVCO_ID_NAME, name, error) ||
      !append_optional (out, GLOBI_EMVCO_ID_CITY, city, error) ||
      (additional->len &&
       !globi_emvco_append (out, GLOBI_EMVCO_ID_ADDITIONAL, additional->str, error)))
    return NULL;
  globi_emvco_append_crc (out);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

const char *
globi_emvco_currency_from_numeric (const char *numeric)
{
  for (guint i = 0; numeric && i < G_N_ELEMENTS (currencies); i++)
    if (strcmp (currencies[i].numeric, numeric) == 0)
      return currencies[i].code;
  return NULL;
}

const char *
globi_emvco_currency_to_numeric (const char *code)
{
  for (guint i = 0; code && i < G_N_ELEMENTS (currencies); i++)
    if (g_ascii_strcasecmp (currencies[i].code, code) == 0)
      return currencies[i].numeric;
  return NULL;
}
