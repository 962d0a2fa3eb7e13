/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "crypto-fixture.h"

JsonObject *
crypto_fixture_bundle (GlobiIdentity *identity, gboolean with_one_time)
{
  g_autoptr (JsonArray) otks = NULL;
  JsonObject *bundle = globi_identity_build_keys_upload (identity, NULL);

  json_object_set_string_member (bundle, "device_id", "device");
  if (with_one_time)
    {
      otks = globi_identity_generate_one_time_prekeys (identity, 3);
      json_object_set_object_member (bundle, "one_time_prekey",
                                     json_object_ref (json_array_get_object_element (otks, 1)));
    }
  else
    json_object_set_null_member (bundle, "one_time_prekey");
  return bundle;
}

GBytes *
crypto_fixture_text (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

void
crypto_fixture_assert_text (GBytes *bytes, const char *text)
{
  g_assert_nonnull (bytes);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), text, strlen (text));
}
