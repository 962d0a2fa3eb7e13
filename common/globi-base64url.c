/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-base64url"

#include "config.h"

#include <sodium.h>

#include "globi-base64url.h"
#include "globi-error.h"

char *
globi_base64url_encode (const guint8 *data, gsize len)
{
  gsize out_len = sodium_base64_encoded_len (len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *out = g_malloc (out_len);

  sodium_bin2base64 (out, out_len, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

GBytes *
globi_base64url_decode (const char *text, gsize text_len, GError **error)
{
  gsize max_len = text_len / 4 * 3 + 3;
  g_autofree guint8 *bin = g_malloc (max_len + 1);
  gsize bin_len = 0;
  const char *end = NULL;

  if (sodium_base642bin (bin, max_len, text, text_len, NULL, &bin_len, &end,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text + text_len)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "Invalid base64url text");
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&bin), bin_len);
}
