/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-attachment-crypto"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "globi-attachment-crypto.h"
#include "globi-crypto-error.h"

/* Format: secretstream header (24) | chunks of CHUNK_SIZE plaintext + 17 bytes each, the
 * last one (possibly empty) tagged FINAL. */
#define HEADER_BYTES crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define CHUNK_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

GBytes *
globi_attachment_encrypt (GBytes *plaintext,
                          guint8 key[GLOBI_ATTACHMENT_KEY_SIZE],
                          guint8 digest[GLOBI_ATTACHMENT_DIGEST_SIZE])
{
  crypto_secretstream_xchacha20poly1305_state st;
  gsize len = 0;
  const guint8 *pt;
  gsize n_chunks, out_len, in_pos = 0, out_pos = HEADER_BYTES;
  guint8 *out;

  g_return_val_if_fail (plaintext != NULL, NULL);
  g_return_val_if_fail (key != NULL && digest != NULL, NULL);

  pt = g_bytes_get_data (plaintext, &len);
  n_chunks = len / GLOBI_ATTACHMENT_CHUNK_SIZE + 1;
  out_len = HEADER_BYTES + len + n_chunks * CHUNK_ABYTES;
  out = g_malloc (out_len);

  crypto_secretstream_xchacha20poly1305_keygen (key);
  crypto_secretstream_xchacha20poly1305_init_push (&st, out, key);
  for (gsize i = 0; i < n_chunks; i++)
    {
      gsize n = MIN (GLOBI_ATTACHMENT_CHUNK_SIZE, len - in_pos);
      guint8 tag = i + 1 == n_chunks ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;

      crypto_secretstream_xchacha20poly1305_push (&st, out + out_pos, NULL, pt + in_pos, n, NULL, 0,
                                                  tag);
      in_pos += n;
      out_pos += n + CHUNK_ABYTES;
    }
  g_assert (out_pos == out_len);
  sodium_memzero (&st, sizeof st);
  crypto_hash_sha256 (digest, out, out_len);
  return g_bytes_new_take (out, out_len);
}

GBytes *
globi_attachment_decrypt (GBytes *ciphertext,
                          const guint8 key[GLOBI_ATTACHMENT_KEY_SIZE],
                          const guint8 digest[GLOBI_ATTACHMENT_DIGEST_SIZE],
                          GError **error)
{
  crypto_secretstream_xchacha20poly1305_state st;
  guint8 actual[crypto_hash_sha256_BYTES];
  gsize len = 0;
  const guint8 *ct;
  g_autofree guint8 *out = NULL;
  gsize in_pos = HEADER_BYTES, out_pos = 0;
  gboolean final = FALSE;

  g_return_val_if_fail (ciphertext != NULL, NULL);
  g_return_val_if_fail (key != NULL && digest != NULL, NULL);

  ct = g_bytes_get_data (ciphertext, &len);
  crypto_hash_sha256 (actual, ct, len);
  if (sodium_memcmp (actual, digest, sizeof actual) != 0)
    {
      g_set_error_literal (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_BAD_MAC,
                           _ ("The attachment does not match its digest"));
      return NULL;
    }
  if (len < HEADER_BYTES + CHUNK_ABYTES ||
      crypto_secretstream_xchacha20poly1305_init_pull (&st, ct, key) != 0)
    {
      g_set_error_literal (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE,
                           _ ("The attachment is truncated"));
      return NULL;
    }
  out = g_malloc (len);
  while (in_pos < len && !final)
    {
      gsize n = MIN (GLOBI_ATTACHMENT_CHUNK_SIZE + CHUNK_ABYTES, len - in_pos);
      unsigned long long pt_len = 0;
      guint8 tag = 0;

      if (n < CHUNK_ABYTES || crypto_secretstream_xchacha20poly1305_pull (
                                  &st, out + out_pos, &pt_len, &tag, ct + in_pos, n, NULL, 0) != 0)
        {
          sodium_memzero (&st, sizeof st);
          g_set_error_literal (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_BAD_MAC,
                               _ ("Attachment authentication failed"));
          return NULL;
        }
      final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
      in_pos += n;
      out_pos += pt_len;
    }
  sodium_memzero (&st, sizeof st);
  /* A stream cut after a full chunk authenticates chunk by chunk: only the final tag
   * tells it is complete. Bytes after the final chunk are refused too. */
  if (!final || in_pos != len)
    {
      g_set_error_literal (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE,
                           _ ("The attachment is truncated"));
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&out), out_pos);
}
