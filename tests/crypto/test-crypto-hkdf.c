/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-hkdf.h"

static GBytes *
hex (const char *text)
{
  gsize len = strlen (text) / 2;
  guint8 *out = g_malloc (MAX (len, 1));

  g_assert_cmpint (sodium_hex2bin (out, len, text, strlen (text), NULL, NULL, NULL), ==, 0);
  return g_bytes_new_take (out, len);
}

/* RFC 5869 appendix A, the three SHA-256 cases (case 3 has an empty salt and info). */
static void
test_hkdf_rfc5869_vectors (void)
{
  const struct
  {
    const char *ikm, *salt, *info, *prk, *okm;
  } cases[] = {
    { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
      "f0f1f2f3f4f5f6f7f8f9", "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865" },
    { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
      "404142434445464748494a4b4c4d4e4f",
      "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
      "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
      "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
      "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
      "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
      "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
      "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
      "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
    { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
      "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) ikm = hex (cases[i].ikm);
      g_autoptr (GBytes) salt = hex (cases[i].salt);
      g_autoptr (GBytes) info = hex (cases[i].info);
      g_autoptr (GBytes) prk = hex (cases[i].prk);
      g_autoptr (GBytes) okm = hex (cases[i].okm);
      guint8 got_prk[32];
      g_autofree guint8 *got = g_malloc (g_bytes_get_size (okm));

      globi_hkdf_sha256_extract (g_bytes_get_data (salt, NULL), g_bytes_get_size (salt),
                                 g_bytes_get_data (ikm, NULL), g_bytes_get_size (ikm), got_prk);
      g_assert_cmpmem (got_prk, 32, g_bytes_get_data (prk, NULL), 32);
      globi_hkdf_sha256 (g_bytes_get_data (salt, NULL), g_bytes_get_size (salt),
                         g_bytes_get_data (ikm, NULL), g_bytes_get_size (ikm),
                         g_bytes_get_data (info, NULL), g_bytes_get_size (info), got,
                         g_bytes_get_size (okm));
      g_assert_cmpmem (got, g_bytes_get_size (okm), g_bytes_get_data (okm, NULL),
                       g_bytes_get_size (okm));
    }
}

/* A prefix of a longer output equals the shorter output (the T(i) chain). */
static void
test_hkdf_prefix (void)
{
  guint8 ikm[32] = { 1 }, a[100], b[33];

  globi_hkdf_sha256 (NULL, 0, ikm, sizeof ikm, (const guint8 *) "x", 1, a, sizeof a);
  globi_hkdf_sha256 (NULL, 0, ikm, sizeof ikm, (const guint8 *) "x", 1, b, sizeof b);
  g_assert_cmpmem (a, sizeof b, b, sizeof b);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/globi/crypto/hkdf/rfc5869-vectors", test_hkdf_rfc5869_vectors);
  g_test_add_func ("/globi/crypto/hkdf/prefix", test_hkdf_prefix);
  return g_test_run ();
}
