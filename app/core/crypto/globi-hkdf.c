/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-hkdf"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-hkdf.h"

void
globi_hkdf_sha256_extract (
    const guint8 *salt, gsize salt_len, const guint8 *ikm, gsize ikm_len, guint8 prk[32])
{
  static const guint8 zeros[32] = { 0 };
  crypto_auth_hmacsha256_state st;

  /* HMAC keys of any length are allowed: the salt is the key here. */
  if (salt == NULL || salt_len == 0)
    {
      salt = zeros;
      salt_len = sizeof zeros;
    }
  crypto_auth_hmacsha256_init (&st, salt, salt_len);
  crypto_auth_hmacsha256_update (&st, ikm, ikm_len);
  crypto_auth_hmacsha256_final (&st, prk);
  sodium_memzero (&st, sizeof st);
}

void
globi_hkdf_sha256_expand (
    const guint8 prk[32], const guint8 *info, gsize info_len, guint8 *okm, gsize okm_len)
{
  guint8 t[32];
  gsize done = 0;

  g_return_if_fail (okm_len <= GLOBI_HKDF_SHA256_MAX_OUTPUT);

  for (guint8 counter = 1; done < okm_len; counter++)
    {
      crypto_auth_hmacsha256_state st;
      gsize n = MIN (sizeof t, okm_len - done);

      crypto_auth_hmacsha256_init (&st, prk, 32);
      if (counter > 1)
        crypto_auth_hmacsha256_update (&st, t, sizeof t);
      if (info_len > 0)
        crypto_auth_hmacsha256_update (&st, info, info_len);
      crypto_auth_hmacsha256_update (&st, &counter, 1);
      crypto_auth_hmacsha256_final (&st, t);
      sodium_memzero (&st, sizeof st);
      memcpy (okm + done, t, n);
      done += n;
    }
  sodium_memzero (t, sizeof t);
}

void
globi_hkdf_sha256 (const guint8 *salt,
                   gsize salt_len,
                   const guint8 *ikm,
                   gsize ikm_len,
                   const guint8 *info,
                   gsize info_len,
                   guint8 *okm,
                   gsize okm_len)
{
  guint8 prk[32];

  globi_hkdf_sha256_extract (salt, salt_len, ikm, ikm_len, prk);
  globi_hkdf_sha256_expand (prk, info, info_len, okm, okm_len);
  sodium_memzero (prk, sizeof prk);
}
