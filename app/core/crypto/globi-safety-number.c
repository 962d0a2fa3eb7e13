/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-safety-number"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "globi-crypto-error.h"
#include "globi-safety-number.h"

#define ITERATIONS     5200
#define FP_VERSION     0
#define SCANNABLE_SIZE (1 + 32 + 32)

static int
compare_keys (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, 32);
}

/* Signal's NumericFingerprintGenerator: SHA-512 over version(2) || keys || id, then
 * hash = SHA-512(hash || keys), 5200 times in all. The keys are the user's device
 * identity keys, sorted and concatenated (one key: just that key), as libsignal does for
 * a list of identity keys. */
static void
fingerprint (GBytes *keys, const char *id, guint8 out[crypto_hash_sha512_BYTES])
{
  static const guint8 version[2] = { 0, FP_VERSION };
  crypto_hash_sha512_state st;
  gsize len = g_bytes_get_size (keys);
  g_autofree guint8 *sorted = g_memdup2 (g_bytes_get_data (keys, NULL), len);

  qsort (sorted, len / 32, 32, compare_keys);
  crypto_hash_sha512_init (&st);
  crypto_hash_sha512_update (&st, version, sizeof version);
  crypto_hash_sha512_update (&st, sorted, len);
  crypto_hash_sha512_update (&st, (const guint8 *) id, strlen (id));
  crypto_hash_sha512_final (&st, out);
  for (guint i = 1; i < ITERATIONS; i++)
    {
      crypto_hash_sha512_init (&st);
      crypto_hash_sha512_update (&st, out, crypto_hash_sha512_BYTES);
      crypto_hash_sha512_update (&st, sorted, len);
      crypto_hash_sha512_final (&st, out);
    }
}

static gboolean
keys_valid (GBytes *keys)
{
  return keys != NULL && g_bytes_get_size (keys) > 0 && g_bytes_get_size (keys) % 32 == 0;
}

/* 30 digits: six 5-byte big-endian chunks, each mod 100000. */
static void
append_digits (GString *s, const guint8 *hash)
{
  for (guint i = 0; i < 6; i++)
    {
      const guint8 *c = hash + 5 * i;
      guint64 v = ((guint64) c[0] << 32) | ((guint64) c[1] << 24) | ((guint64) c[2] << 16) |
                  ((guint64) c[3] << 8) | c[4];

      g_string_append_printf (s, "%05u", (guint) (v % 100000));
    }
}

char *
globi_safety_number_format_devices (GBytes *local_keys,
                                    const char *local_id,
                                    GBytes *remote_keys,
                                    const char *remote_id)
{
  guint8 local_fp[crypto_hash_sha512_BYTES], remote_fp[crypto_hash_sha512_BYTES];
  g_autoptr (GString) local = g_string_new (NULL);
  g_autoptr (GString) remote = g_string_new (NULL);
  const char *first, *second;
  GString *out;

  g_return_val_if_fail (keys_valid (local_keys) && keys_valid (remote_keys), NULL);
  g_return_val_if_fail (local_id != NULL && remote_id != NULL, NULL);

  fingerprint (local_keys, local_id, local_fp);
  fingerprint (remote_keys, remote_id, remote_fp);
  append_digits (local, local_fp);
  append_digits (remote, remote_fp);
  /* Both ends show the same number: the smaller half first. */
  first = strcmp (local->str, remote->str) <= 0 ? local->str : remote->str;
  second = first == local->str ? remote->str : local->str;
  out = g_string_new (NULL);
  for (guint i = 0; i < 12; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append_len (out, (i < 6 ? first : second) + 5 * (i % 6), 5);
    }
  return g_string_free (out, FALSE);
}

GBytes *
globi_safety_number_scannable_devices (GBytes *local_keys,
                                       const char *local_id,
                                       GBytes *remote_keys,
                                       const char *remote_id)
{
  guint8 local_fp[crypto_hash_sha512_BYTES], remote_fp[crypto_hash_sha512_BYTES];
  guint8 out[SCANNABLE_SIZE];

  g_return_val_if_fail (keys_valid (local_keys) && keys_valid (remote_keys), NULL);
  g_return_val_if_fail (local_id != NULL && remote_id != NULL, NULL);

  fingerprint (local_keys, local_id, local_fp);
  fingerprint (remote_keys, remote_id, remote_fp);
  out[0] = FP_VERSION;
  memcpy (out + 1, local_fp, 32);
  memcpy (out + 33, remote_fp, 32);
  return g_bytes_new (out, sizeof out);
}

gboolean
globi_safety_number_verify_scanned_devices (GBytes *local_keys,
                                            const char *local_id,
                                            GBytes *remote_keys,
                                            const char *remote_id,
                                            GBytes *scanned,
                                            GError **error)
{
  g_autoptr (GBytes) theirs = NULL;
  const guint8 *a, *b;
  gsize len = 0;

  g_return_val_if_fail (keys_valid (local_keys) && keys_valid (remote_keys), FALSE);
  g_return_val_if_fail (scanned != NULL, FALSE);

  b = g_bytes_get_data (scanned, &len);
  if (len != SCANNABLE_SIZE || b[0] != FP_VERSION)
    {
      g_set_error_literal (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE,
                           _ ("Not a GlobiChat safety number code"));
      return FALSE;
    }
  /* What the other side shows is our scannable form with the halves swapped. */
  theirs = globi_safety_number_scannable_devices (remote_keys, remote_id, local_keys, local_id);
  a = g_bytes_get_data (theirs, NULL);
  return sodium_memcmp (a, b, SCANNABLE_SIZE) == 0;
}

/* One device on each side. */

#define ONE_KEY(key) g_bytes_new_static ((key), 32)

char *
globi_safety_number_format (const guint8 local_identity_key[32],
                            const char *local_id,
                            const guint8 remote_identity_key[32],
                            const char *remote_id)
{
  g_autoptr (GBytes) local = ONE_KEY (local_identity_key);
  g_autoptr (GBytes) remote = ONE_KEY (remote_identity_key);

  return globi_safety_number_format_devices (local, local_id, remote, remote_id);
}

GBytes *
globi_safety_number_scannable (const guint8 local_identity_key[32],
                               const char *local_id,
                               const guint8 remote_identity_key[32],
                               const char *remote_id)
{
  g_autoptr (GBytes) local = ONE_KEY (local_identity_key);
  g_autoptr (GBytes) remote = ONE_KEY (remote_identity_key);

  return globi_safety_number_scannable_devices (local, local_id, remote, remote_id);
}

gboolean
globi_safety_number_verify_scanned (const guint8 local_identity_key[32],
                                    const char *local_id,
                                    const guint8 remote_identity_key[32],
                                    const char *remote_id,
                                    GBytes *scanned,
                                    GError **error)
{
  g_autoptr (GBytes) local = ONE_KEY (local_identity_key);
  g_autoptr (GBytes) remote = ONE_KEY (remote_identity_key);

  return globi_safety_number_verify_scanned_devices (local, local_id, remote, remote_id, scanned,
                                                     error);
}
