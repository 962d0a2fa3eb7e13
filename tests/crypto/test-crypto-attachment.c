/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "crypto-fixture.h"

static GBytes *
random_bytes (gsize len)
{
  guint8 *data = g_malloc (MAX (len, 1));

  randombytes_buf (data, len);
  return g_bytes_new_take (data, len);
}

static void
test_attachment_round_trip (void)
{
  /* Empty, one byte, exactly one chunk, a chunk and a bit, several chunks. */
  const gsize sizes[] = { 0, 1, GLOBI_ATTACHMENT_CHUNK_SIZE, GLOBI_ATTACHMENT_CHUNK_SIZE + 1,
                          3 * GLOBI_ATTACHMENT_CHUNK_SIZE + 1234 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) plain = random_bytes (sizes[i]);
      guint8 key[GLOBI_ATTACHMENT_KEY_SIZE], digest[GLOBI_ATTACHMENT_DIGEST_SIZE];
      guint8 key2[GLOBI_ATTACHMENT_KEY_SIZE], digest2[GLOBI_ATTACHMENT_DIGEST_SIZE];
      g_autoptr (GBytes) ct = globi_attachment_encrypt (plain, key, digest);
      g_autoptr (GBytes) ct2 = globi_attachment_encrypt (plain, key2, digest2);
      g_autoptr (GBytes) back = globi_attachment_decrypt (ct, key, digest, &error);

      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (back, plain));
      /* A fresh key each time. */
      g_assert_true (memcmp (key, key2, sizeof key) != 0);
      g_assert_false (g_bytes_equal (ct, ct2));
    }
}

static void
test_attachment_tamper (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) plain = random_bytes (2 * GLOBI_ATTACHMENT_CHUNK_SIZE + 10);
  guint8 key[GLOBI_ATTACHMENT_KEY_SIZE], digest[GLOBI_ATTACHMENT_DIGEST_SIZE];
  g_autoptr (GBytes) ct = globi_attachment_encrypt (plain, key, digest);
  gsize len = g_bytes_get_size (ct);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (ct, NULL), len);
  g_autoptr (GBytes) tampered = NULL;
  g_autoptr (GBytes) back = NULL;
  guint8 wrong_key[GLOBI_ATTACHMENT_KEY_SIZE];

  copy[len / 2] ^= 1;
  tampered = g_bytes_new (copy, len);
  /* The digest catches it ... */
  back = globi_attachment_decrypt (tampered, key, digest, &error);
  g_assert_null (back);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_BAD_MAC);
  g_clear_error (&error);
  /* ... and with a digest that matches the tampered bytes, the AEAD does. */
  crypto_hash_sha256 (digest, copy, len);
  back = globi_attachment_decrypt (tampered, key, digest, &error);
  g_assert_null (back);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_BAD_MAC);
  g_clear_error (&error);

  crypto_hash_sha256 (digest, g_bytes_get_data (ct, NULL), len);
  memcpy (wrong_key, key, sizeof key);
  wrong_key[0] ^= 1;
  back = globi_attachment_decrypt (ct, wrong_key, digest, &error);
  g_assert_null (back);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_BAD_MAC);
}

/* Cut after whole chunks: each remaining chunk authenticates, only the missing final tag
 * shows the cut. The digest is recomputed so that this reaches the stream check. */
static void
test_attachment_truncation (void)
{
  g_autoptr (GBytes) plain = random_bytes (3 * GLOBI_ATTACHMENT_CHUNK_SIZE);
  guint8 key[GLOBI_ATTACHMENT_KEY_SIZE], digest[GLOBI_ATTACHMENT_DIGEST_SIZE];
  g_autoptr (GBytes) ct = globi_attachment_encrypt (plain, key, digest);
  const gsize chunk = GLOBI_ATTACHMENT_CHUNK_SIZE + crypto_secretstream_xchacha20poly1305_ABYTES;
  const gsize cuts[] = { crypto_secretstream_xchacha20poly1305_HEADERBYTES + chunk,
                         crypto_secretstream_xchacha20poly1305_HEADERBYTES + 3 * chunk, 10 };

  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) cut = g_bytes_new_from_bytes (ct, 0, cuts[i]);
      g_autoptr (GBytes) back = NULL;
      guint8 cut_digest[GLOBI_ATTACHMENT_DIGEST_SIZE];

      crypto_hash_sha256 (cut_digest, g_bytes_get_data (cut, NULL), cuts[i]);
      back = globi_attachment_decrypt (cut, key, cut_digest, &error);
      g_assert_null (back);
      g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE);
    }
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/globi/crypto/attachment/round-trip", test_attachment_round_trip);
  g_test_add_func ("/globi/crypto/attachment/tamper", test_attachment_tamper);
  g_test_add_func ("/globi/crypto/attachment/truncation", test_attachment_truncation);
  return g_test_run ();
}
