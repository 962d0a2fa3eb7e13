/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* EMVCo merchant-presented QR codes (EMV QRCPS-MPM): a string of TLV fields, each a
 * two-digit ID, a two-digit length counted in characters (not bytes) and the value.
 * ID 00 ("01") comes first, ID 63 last: the CRC-16/CCITT-FALSE of everything before it
 * including "6304", as four upper-case hex digits. IDs 26-51 (merchant account
 * information), 62 (additional data) and 64 (language template) hold nested TLV fields.
 *
 * GlobiPay's receive code puts its account in ID 26: sub-ID 00 the globally unique id
 * "org.globichat.pay", 01 the payee's user id, 02 the server host. Codes of other schemes
 * (PIX "br.gov.bcb.pix", SGQR, ...) decode fine and say which scheme they belong to. */

#define GLOBI_EMVCO_ERROR (globi_emvco_error_quark ())

typedef enum
{
  GLOBI_EMVCO_ERROR_TOO_LONG,       /* over GLOBI_EMVCO_MAX_CHARS characters */
  GLOBI_EMVCO_ERROR_NOT_UTF8,       /* the text is not valid UTF-8 */
  GLOBI_EMVCO_ERROR_TRUNCATED,      /* a field runs past the end of the text */
  GLOBI_EMVCO_ERROR_BAD_ID,         /* an ID that is not two digits */
  GLOBI_EMVCO_ERROR_BAD_LENGTH,     /* a length that is not two digits, or 00 */
  GLOBI_EMVCO_ERROR_DUPLICATE,      /* the same ID twice in one template */
  GLOBI_EMVCO_ERROR_MISSING_FORMAT, /* ID 00 is not first or not "01" */
  GLOBI_EMVCO_ERROR_MISSING_CRC,    /* ID 63 is not last or not four hex digits */
  GLOBI_EMVCO_ERROR_BAD_CRC,        /* the CRC does not match */
  GLOBI_EMVCO_ERROR_INVALID_VALUE,  /* a known field holds what it cannot (amount, currency) */
} GlobiEmvcoError;

#define GLOBI_EMVCO_MAX_CHARS 512
/* The GlobiPay merchant account template and its globally unique identifier. */
#define GLOBI_EMVCO_GLOBIPAY_ID  "26"
#define GLOBI_EMVCO_GLOBIPAY_GUI "org.globichat.pay"

/* Top-level IDs this code uses. */
#define GLOBI_EMVCO_ID_FORMAT     "00"
#define GLOBI_EMVCO_ID_INITIATION "01" /* "11" static, "12" one payment (has an amount) */
#define GLOBI_EMVCO_ID_CATEGORY   "52"
#define GLOBI_EMVCO_ID_CURRENCY   "53" /* ISO 4217 numeric */
#define GLOBI_EMVCO_ID_AMOUNT     "54"
#define GLOBI_EMVCO_ID_COUNTRY    "58"
#define GLOBI_EMVCO_ID_NAME       "59"
#define GLOBI_EMVCO_ID_CITY       "60"
#define GLOBI_EMVCO_ID_ADDITIONAL "62" /* sub-ID 08: purpose of transaction (our note) */
#define GLOBI_EMVCO_ID_CRC        "63"

typedef struct _GlobiEmvcoField GlobiEmvcoField;
struct _GlobiEmvcoField
{
  char id[3];
  char *value;         /* UTF-8, as in the code */
  GPtrArray *children; /* GlobiEmvcoField of a template's value, else NULL */
};

/* A decoded code. Everything is read-only; the convenience members point into fields. */
typedef struct
{
  GPtrArray *fields; /* GlobiEmvcoField, top level, in order (00 first, 63 last) */
  gboolean crc_valid;
  /* The first merchant account template's globally unique id (sub-ID 00 of 26-51), e.g.
   * "org.globichat.pay" or "br.gov.bcb.pix"; for a code with only a card network's
   * primitive account (IDs 02-25), "emvco:ID". NULL when there is none. */
  const char *scheme;
  gboolean globipay; /* scheme is GlobiPay with a payee id */
  const char *payee_id;
  const char *server;
  const char *payee_name;
  const char *city;
  const char *currency; /* ISO 4217 numeric, e.g. "840" */
  const char *amount;   /* e.g. "12.50" */
  const char *note;     /* 62/08 */
} GlobiEmvcoCode;

GQuark           globi_emvco_error_quark (void);

/* CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final
 * XOR ("123456789" gives 0x29B1). */
guint16          globi_emvco_crc16       (const char            *data,
                                          gsize                  len);

/* Parses text (NUL-terminated) into fields and checks the structure: length limit, UTF-8,
 * TLV, nested templates, 00 first, 63 last. A CRC that does not match is not an error
 * here: crc_valid says so (the CLI reports a code's fields either way). */
GlobiEmvcoCode  *globi_emvco_parse       (const char            *text,
                                          GError               **error);
/* globi_emvco_parse that also requires the CRC to match (GLOBI_EMVCO_ERROR_BAD_CRC) and
 * the amount and currency to be well formed (GLOBI_EMVCO_ERROR_INVALID_VALUE). */
GlobiEmvcoCode  *globi_emvco_decode      (const char            *text,
                                          GError               **error);
void             globi_emvco_code_free   (GlobiEmvcoCode        *code);
/* The value of a top-level field, or of sub_id inside it when sub_id is not NULL. */
const char      *globi_emvco_code_get    (const GlobiEmvcoCode  *code,
                                          const char            *id,
                                          const char            *sub_id);

/* What a GlobiPay receive code carries; NULL members are left out. */
typedef struct
{
  const char *payee_id;   /* required */
  const char *server;     /* the server's host (and port) */
  const char *payee_name; /* required; cut to 25 characters */
  const char *city;       /* cut to 15 characters */
  const char *currency;   /* ISO 4217 numeric; required with amount */
  const char *amount;     /* digits with an optional '.' and decimals, at most 13 characters */
  const char *note;       /* at most 25 characters, else GLOBI_EMVCO_ERROR_TOO_LONG */
} GlobiEmvcoPayment;

char            *globi_emvco_encode_payment (const GlobiEmvcoPayment *payment,
                                             GError                 **error);

/* ISO 4217 numeric ↔ alphabetic codes ("840" ↔ "USD") for field 53; NULL when unknown.
 * (The currency table of globi-money has no numeric codes; this covers the same
 * currencies.) */
const char      *globi_emvco_currency_from_numeric (const char *numeric);
const char      *globi_emvco_currency_to_numeric   (const char *code);

/* Low level: appends ID, the value's length in characters and the value to out.
 * The value must be 1-99 characters of UTF-8. */
gboolean         globi_emvco_append      (GString               *out,
                                          const char            *id,
                                          const char            *value,
                                          GError               **error);
/* Appends "6304" and the CRC over out: the last step of an encoder. */
void             globi_emvco_append_crc  (GString               *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiEmvcoCode, globi_emvco_code_free)

G_END_DECLS
