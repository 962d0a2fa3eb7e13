/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <stdlib.h>

#include "globi-blob-store.h"
#include "globi-error.h"

/* Avatar uploads are attacker-chosen bytes: the sniffer, our own header parsing (which
 * must refuse decompression bombs before a decoder allocates) and the decode must end in
 * a thumbnail or a clean error, never a crash or a huge allocation. */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GBytes) thumb = NULL;
  g_autoptr (GError) error = NULL;
  static gboolean initialised = FALSE;

  if (!initialised)
    {
      if (sodium_init () < 0)
        abort ();
      initialised = TRUE;
    }

  (void) globi_image_sniff (bytes);
  /* A small max_side keeps any accepted decode small, as the server's limit does. */
  thumb = globi_image_make_thumbnail (bytes, 512, 32, &error);
  if (thumb != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (globi_image_sniff (thumb), ==, "image/png");
    }
  else
    g_assert_true (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE) ||
                   g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_UNSUPPORTED_MEDIA));
  return 0;
}
