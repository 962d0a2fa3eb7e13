/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-error.h"

static void
test_base64url_rfc4648_vectors (void)
{
  /* RFC 4648 §10 vectors, unpadded, plus bytes that differ between base64 and base64url. */
  const struct
  {
    const char *in;
    const char *out;
  } vectors[] = {
    { "", "" },
    { "f", "Zg" },
    { "fo", "Zm8" },
    { "foo", "Zm9v" },
    { "foob", "Zm9vYg" },
    { "fooba", "Zm9vYmE" },
    { "foobar", "Zm9vYmFy" },
    { "\xfb\xff\xbf", "-_-_" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *enc =
          globi_base64url_encode ((const guint8 *) vectors[i].in, strlen (vectors[i].in));
      g_autoptr (GBytes) dec = NULL;
      g_autoptr (GError) error = NULL;

      g_assert_cmpstr (enc, ==, vectors[i].out);
      dec = globi_base64url_decode (enc, strlen (enc), &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (dec, NULL), g_bytes_get_size (dec), vectors[i].in,
                       strlen (vectors[i].in));
    }
}

static void
test_base64url_rejects_garbage (void)
{
  const char *bad[] = { "Zm9v=", "Zm+v", "Zm/v", "Z", "Zm9v Zm9v", "Zm9v\n" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) dec = globi_base64url_decode (bad[i], strlen (bad[i]), &error);

      g_assert_null (dec);
      g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/globi/common/base64url/rfc4648-vectors", test_base64url_rfc4648_vectors);
  g_test_add_func ("/globi/common/base64url/rejects-garbage", test_base64url_rejects_garbage);
  return g_test_run ();
}
