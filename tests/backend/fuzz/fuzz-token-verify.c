/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "globi-token-signer.h"

/* The verifier sees every Authorization header an attacker sends. The signer's key comes
 * from a fixed seed so the checked-in corpus can hold correctly signed tokens whose claims
 * are wrong in interesting ways; the claim checks are reached only past the signature. */

#define FUZZ_SEED "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define FUZZ_NOW  ((gint64) 1800000000)

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static GlobiTokenSigner *
make_signer (void)
{
  GlobiTokenSigner *signer = globi_token_signer_new ("https://fuzz.example", "globichat", 900);
  g_autofree char *dir = g_dir_make_tmp ("globi-fuzz-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "fuzz.key", NULL);

  g_assert_nonnull (dir);
  g_assert_true (
      g_file_set_contents (path, "[key]\nseed=" FUZZ_SEED "\ncreated=1800000000\n", -1, NULL));
  g_assert_true (globi_token_signer_load_keys (signer, dir, NULL));
  /* The key stays in memory; nothing is left on disk. */
  g_unlink (path);
  g_rmdir (dir);
  return signer;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static GlobiTokenSigner *signer = NULL;
  g_autofree char *token = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *device_id = NULL;
  g_autoptr (GError) error = NULL;

  if (signer == NULL)
    {
      if (sodium_init () < 0)
        abort ();
      signer = make_signer ();
    }

  token = g_strndup ((const char *) data, size);
  if (globi_token_signer_verify (signer, token, FUZZ_NOW, &user_id, &device_id, &error))
    {
      g_assert_no_error (error);
      g_assert_nonnull (user_id);
      g_assert_nonnull (device_id);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_null (user_id);
    }
  return 0;
}
