/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Errors of everything QR: the dispatcher, the encoder, image decoding and the camera. */
#define GLOBI_QR_ERROR (globi_qr_error_quark ())

typedef enum
{
  GLOBI_QR_ERROR_INVALID,       /* malformed text or GlobiChat link */
  GLOBI_QR_ERROR_TOO_LONG,      /* over GLOBI_CODE_MAX_BYTES, or too long to encode */
  GLOBI_QR_ERROR_NOT_FOUND,     /* an image without a readable QR code */
  GLOBI_QR_ERROR_IMAGE,         /* not an image, or one over the size limits */
  GLOBI_QR_ERROR_NO_CAMERA,     /* no camera to open */
  GLOBI_QR_ERROR_ACCESS_DENIED, /* the camera exists but we may not use it */
  GLOBI_QR_ERROR_CAMERA,        /* the camera failed while opening or streaming */
} GlobiQrErrorCode;

GQuark globi_qr_error_quark (void);

/* The longest text the dispatcher accepts (QR codes hold at most 2953 bytes). */
#define GLOBI_CODE_MAX_BYTES 4096

typedef enum
{
  GLOBI_CODE_INVALID, /* only with an error set */
  GLOBI_CODE_UNKNOWN, /* some other text: shown as is */
  GLOBI_CODE_LINK,    /* globichat://link?… device linking */
  GLOBI_CODE_ADD,     /* globichat://add?u=USER_ID&c=CARD friend card */
  GLOBI_CODE_JOIN,    /* globichat://join?group=ID&token=T group invite */
  GLOBI_CODE_SECTION, /* globichat://chats, contacts, moments, wallet, me */
  GLOBI_CODE_PAYMENT, /* an EMVCo payload ("000201…"): the wallet decodes it */
} GlobiCodeKind;

/* What a text turned out to be, with its parts. Fields not of the kind are NULL. */
typedef struct
{
  GlobiCodeKind kind;
  char *text;         /* the text as classified (surrounding white space trimmed) */
  char *section;      /* SECTION */
  char *user_id;      /* ADD */
  char *card;         /* ADD */
  char *group_id;     /* JOIN */
  char *token;        /* JOIN */
  GHashTable *params; /* LINK, ADD, JOIN: every query parameter, decoded (string → string) */
} GlobiCode;

#define GLOBI_TYPE_CODE (globi_code_get_type ())
GType          globi_code_get_type        (void) G_GNUC_CONST;
GlobiCode     *globi_code_copy            (const GlobiCode  *code);
void           globi_code_free            (GlobiCode        *code);

/* The one dispatcher for scanned, pasted and opened texts. Returns the kind (and, when
 * out_parsed is not NULL, the parts); GLOBI_CODE_INVALID with a GLOBI_QR_ERROR for NULL,
 * oversized, non-UTF-8 or control-character text and for GlobiChat links of a known kind
 * whose parameters are missing or malformed. */
GlobiCodeKind  globi_code_classify        (const char       *text,
                                           GlobiCode       **out_parsed,
                                           GError          **error);
/* The same for bytes that may hold NULs (a decoder's raw output). */
GlobiCodeKind  globi_code_classify_bytes  (const char       *data,
                                           gsize             len,
                                           GlobiCode       **out_parsed,
                                           GError          **error);
/* "link", "add", "join", "section", "payment", "unknown" ("invalid"): the CLI's words. */
const char    *globi_code_kind_to_string  (GlobiCodeKind     kind);
/* globichat://add?u=…&c=… for a friend card. */
char          *globi_code_build_add_uri   (const char       *user_id,
                                           const char       *card);
/* Whether card has the shape of a friend card (22–64 characters of base64url). */
gboolean       globi_code_card_is_valid   (const char       *card);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiCode, globi_code_free)

G_END_DECLS
