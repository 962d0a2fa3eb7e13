/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "globi-crypto-error.h"
#include "globi-identity.h"

G_BEGIN_DECLS

/* Shared by the crypto sources: a bounds-checked reader and a writer for the binary
 * state and message formats (big-endian integers, length-prefixed strings). */
typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
  gboolean failed;
} GlobiReader;

void          globi_reader_init   (GlobiReader  *r,
                                   GBytes       *bytes);
guint8        globi_reader_u8     (GlobiReader  *r);
guint32       globi_reader_u32    (GlobiReader  *r);
gint64        globi_reader_i64    (GlobiReader  *r);
const guint8 *globi_reader_bytes  (GlobiReader  *r,
                                   gsize         n);
void          globi_reader_copy   (GlobiReader  *r,
                                   guint8       *out,
                                   gsize         n);
char         *globi_reader_string (GlobiReader  *r);
/* TRUE when every read stayed in bounds and (when at_end) nothing is left over. */
gboolean      globi_reader_check  (GlobiReader  *r,
                                   gboolean      at_end,
                                   GlobiCryptoErrorCode code,
                                   GError      **error);

void          globi_writer_u8     (GByteArray   *w,
                                   guint8        v);
void          globi_writer_u32    (GByteArray   *w,
                                   guint32       v);
void          globi_writer_i64    (GByteArray   *w,
                                   gint64        v);
void          globi_writer_bytes  (GByteArray   *w,
                                   const guint8 *data,
                                   gsize         n);
void          globi_writer_string (GByteArray   *w,
                                   const char   *s);
/* Frees the array's storage after wiping it (it may hold private keys). */
GBytes       *globi_writer_finish (GByteArray   *w);

/* A base64url member of exactly len bytes decoded into out. */
gboolean      globi_json_get_key  (JsonObject   *object,
                                   const char   *member,
                                   guint8       *out,
                                   gsize         len,
                                   GError      **error);
void          globi_json_set_key  (JsonObject   *object,
                                   const char   *member,
                                   const guint8 *key,
                                   gsize         len);

/* KDF_CK of the Double Ratchet (and the sender key chain): HMAC-SHA256 of the chain key
 * over 0x01 for the message key, 0x02 for the next chain key. */
void          globi_kdf_ck        (guint8        chain_key[32],
                                   guint8        message_key[32]);
/* An AEAD key and nonce from a message key (HKDF with a label). */
void          globi_message_key_expand (const guint8  message_key[32],
                                   const char   *label,
                                   guint8        key[32],
                                   guint8        nonce[24]);

/* Private state of the X3DH responder side, for globi-ratchet-session.c. */
gboolean      globi_identity_lookup_prekeys (GlobiIdentity *identity,
                                   guint32       signed_prekey_id,
                                   gboolean      has_one_time,
                                   guint32       one_time_id,
                                   guint8        spk_secret[32],
                                   guint8        otk_secret[32],
                                   GError      **error);
void          globi_identity_remove_one_time_prekey (GlobiIdentity *identity,
                                   guint32       one_time_id);
/* The X25519 form of the identity secret key. */
void          globi_identity_get_dh_secret (GlobiIdentity *identity,
                                   guint8        out[32]);

G_END_DECLS
