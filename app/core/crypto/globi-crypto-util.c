/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-crypto"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-crypto-private.h"
#include "globi-hkdf.h"

/* clang-format off */
G_DEFINE_QUARK (globi-crypto-error-quark, globi_crypto_error)
/* clang-format on */

void
globi_reader_init (GlobiReader *r, GBytes *bytes)
{
  gsize len = 0;

  r->data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  r->len = len;
  r->pos = 0;
  r->failed = FALSE;
}

const guint8 *
globi_reader_bytes (GlobiReader *r, gsize n)
{
  const guint8 *p;

  if (r->failed || n > r->len - r->pos)
    {
      r->failed = TRUE;
      return NULL;
    }
  p = r->data + r->pos;
  r->pos += n;
  return p;
}

void
globi_reader_copy (GlobiReader *r, guint8 *out, gsize n)
{
  const guint8 *p = globi_reader_bytes (r, n);

  if (p != NULL)
    memcpy (out, p, n);
  else
    memset (out, 0, n);
}

guint8
globi_reader_u8 (GlobiReader *r)
{
  const guint8 *p = globi_reader_bytes (r, 1);

  return p != NULL ? p[0] : 0;
}

guint32
globi_reader_u32 (GlobiReader *r)
{
  const guint8 *p = globi_reader_bytes (r, 4);

  if (p == NULL)
    return 0;
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

gint64
globi_reader_i64 (GlobiReader *r)
{
  guint64 hi = globi_reader_u32 (r);
  guint64 lo = globi_reader_u32 (r);

  return (gint64) ((hi << 32) | lo);
}

char *
globi_reader_string (GlobiReader *r)
{
  guint32 n = globi_reader_u32 (r);
  const guint8 *p;

  if (n > 4096)
    {
      r->failed = TRUE;
      return NULL;
    }
  p = globi_reader_bytes (r, n);
  if (p == NULL || memchr (p, 0, n) != NULL || !g_utf8_validate ((const char *) p, n, NULL))
    {
      r->failed = TRUE;
      return NULL;
    }
  return g_strndup ((const char *) p, n);
}

gboolean
globi_reader_check (GlobiReader *r, gboolean at_end, GlobiCryptoErrorCode code, GError **error)
{
  if (r->failed || (at_end && r->pos != r->len))
    {
      g_set_error_literal (error, GLOBI_CRYPTO_ERROR, code,
                           code == GLOBI_CRYPTO_ERROR_CORRUPT_STATE ? _ ("Corrupt crypto state")
                                                                    : _ ("Malformed message"));
      return FALSE;
    }
  return TRUE;
}

void
globi_writer_u8 (GByteArray *w, guint8 v)
{
  g_byte_array_append (w, &v, 1);
}

void
globi_writer_u32 (GByteArray *w, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (w, b, 4);
}

void
globi_writer_i64 (GByteArray *w, gint64 v)
{
  globi_writer_u32 (w, (guint32) ((guint64) v >> 32));
  globi_writer_u32 (w, (guint32) v);
}

void
globi_writer_bytes (GByteArray *w, const guint8 *data, gsize n)
{
  g_byte_array_append (w, data, n);
}

void
globi_writer_string (GByteArray *w, const char *s)
{
  gsize n = s != NULL ? strlen (s) : 0;

  globi_writer_u32 (w, n);
  g_byte_array_append (w, (const guint8 *) s, n);
}

GBytes *
globi_writer_finish (GByteArray *w)
{
  GBytes *bytes = g_bytes_new (w->data, w->len);

  sodium_memzero (w->data, w->len);
  g_byte_array_unref (w);
  return bytes;
}

gboolean
globi_json_get_key (JsonObject *object, const char *member, guint8 *out, gsize len, GError **error)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;
  const char *text;
  g_autoptr (GBytes) bytes = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE,
                   _ ("Key “%s” is missing"), member);
      return FALSE;
    }
  text = json_node_get_string (node);
  bytes = globi_base64url_decode (text, strlen (text), NULL);
  if (bytes == NULL || g_bytes_get_size (bytes) != len)
    {
      g_set_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE,
                   _ ("Key “%s” does not have %u bytes"), member, (guint) len);
      return FALSE;
    }
  memcpy (out, g_bytes_get_data (bytes, NULL), len);
  return TRUE;
}

void
globi_json_set_key (JsonObject *object, const char *member, const guint8 *key, gsize len)
{
  g_autofree char *text = globi_base64url_encode (key, len);

  json_object_set_string_member (object, member, text);
}

void
globi_kdf_ck (guint8 chain_key[32], guint8 message_key[32])
{
  static const guint8 one = 0x01, two = 0x02;
  guint8 next[32];

  crypto_auth_hmacsha256 (message_key, &one, 1, chain_key);
  crypto_auth_hmacsha256 (next, &two, 1, chain_key);
  memcpy (chain_key, next, 32);
  sodium_memzero (next, sizeof next);
}

void
globi_message_key_expand (const guint8 message_key[32],
                          const char *label,
                          guint8 key[32],
                          guint8 nonce[24])
{
  guint8 okm[56];

  globi_hkdf_sha256 (NULL, 0, message_key, 32, (const guint8 *) label, strlen (label), okm,
                     sizeof okm);
  memcpy (key, okm, 32);
  memcpy (nonce, okm + 32, 24);
  sodium_memzero (okm, sizeof okm);
}
