/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-seal"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-error.h"
#include "globi-seal.h"

/* Signed inner layout: identity public key (32) || signature (64) || plaintext. */
#define SIGNED_HEADER (crypto_sign_PUBLICKEYBYTES + crypto_sign_BYTES)

static char *
b64 (const guint8 *data, gsize len)
{
  return globi_base64url_encode (data, len);
}

static GBytes *
key_member (JsonObject *keys, const char *name, gsize expected, GError **error)
{
  const char *text = json_object_get_string_member_with_default (keys, name, NULL);
  g_autoptr (GBytes) bytes = NULL;

  if (text == NULL || (bytes = globi_base64url_decode (text, strlen (text), NULL)) == NULL ||
      g_bytes_get_size (bytes) != expected)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "bad key %s", name);
      return NULL;
    }
  return g_steal_pointer (&bytes);
}

static GBytes *
decode (const char *text, gsize expected, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;

  if (text == NULL || (bytes = globi_base64url_decode (text, strlen (text), NULL)) == NULL ||
      (expected > 0 && g_bytes_get_size (bytes) != expected))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "malformed key or ciphertext");
      return NULL;
    }
  return g_steal_pointer (&bytes);
}

static void
set_b64 (JsonObject *object, const char *member, const guint8 *data, gsize len)
{
  g_autofree char *text = b64 (data, len);

  json_object_set_string_member (object, member, text);
}

JsonObject *
globi_seal_generate_keys (void)
{
  guint8 id_pk[crypto_sign_PUBLICKEYBYTES], id_sk[crypto_sign_SECRETKEYBYTES];
  guint8 spk_pk[crypto_box_PUBLICKEYBYTES], spk_sk[crypto_box_SECRETKEYBYTES];
  guint8 sig[crypto_sign_BYTES];
  JsonObject *keys = json_object_new ();

  crypto_sign_keypair (id_pk, id_sk);
  crypto_box_keypair (spk_pk, spk_sk);
  crypto_sign_detached (sig, NULL, spk_pk, sizeof spk_pk, id_sk);
  set_b64 (keys, "identity_pk", id_pk, sizeof id_pk);
  set_b64 (keys, "identity_sk", id_sk, sizeof id_sk);
  json_object_set_int_member (keys, "spk_id", 1);
  set_b64 (keys, "spk_pk", spk_pk, sizeof spk_pk);
  set_b64 (keys, "spk_sk", spk_sk, sizeof spk_sk);
  set_b64 (keys, "spk_sig", sig, sizeof sig);
  sodium_memzero (id_sk, sizeof id_sk);
  sodium_memzero (spk_sk, sizeof spk_sk);
  return keys;
}

JsonNode *
globi_seal_keys_to_bundle (JsonObject *keys)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "identity_key");
  json_builder_add_string_value (builder, json_object_get_string_member (keys, "identity_pk"));
  json_builder_set_member_name (builder, "signed_prekey");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, json_object_get_int_member (keys, "spk_id"));
  json_builder_set_member_name (builder, "key");
  json_builder_add_string_value (builder, json_object_get_string_member (keys, "spk_pk"));
  json_builder_set_member_name (builder, "signature");
  json_builder_add_string_value (builder, json_object_get_string_member (keys, "spk_sig"));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static guint8 *
sign_inner (JsonObject *keys, const char *plaintext, gsize *len, GError **error)
{
  g_autoptr (GBytes) id_pk = key_member (keys, "identity_pk", crypto_sign_PUBLICKEYBYTES, error);
  g_autoptr (GBytes) id_sk = NULL;
  gsize n = strlen (plaintext);
  guint8 *inner;

  if (id_pk == NULL ||
      (id_sk = key_member (keys, "identity_sk", crypto_sign_SECRETKEYBYTES, error)) == NULL)
    return NULL;
  inner = g_malloc (SIGNED_HEADER + n);
  memcpy (inner, g_bytes_get_data (id_pk, NULL), crypto_sign_PUBLICKEYBYTES);
  memcpy (inner + SIGNED_HEADER, plaintext, n);
  crypto_sign_detached (inner + crypto_sign_PUBLICKEYBYTES, NULL, inner + SIGNED_HEADER, n,
                        g_bytes_get_data (id_sk, NULL));
  *len = SIGNED_HEADER + n;
  return inner;
}

static char *
verify_inner (const guint8 *inner, gsize len, char **sender_identity, GError **error)
{
  const guint8 *text = inner + SIGNED_HEADER;
  gsize n;

  if (len < SIGNED_HEADER || crypto_sign_verify_detached (inner + crypto_sign_PUBLICKEYBYTES, text,
                                                          len - SIGNED_HEADER, inner) != 0)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "bad signature");
      return NULL;
    }
  n = len - SIGNED_HEADER;
  if (!g_utf8_validate ((const char *) text, n, NULL))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "not UTF-8");
      return NULL;
    }
  if (sender_identity != NULL)
    *sender_identity = b64 (inner, crypto_sign_PUBLICKEYBYTES);
  return g_strndup ((const char *) text, n);
}

char *
globi_seal_to_device (JsonObject *keys,
                      const char *device_key,
                      const char *plaintext,
                      GError **error)
{
  g_autoptr (GBytes) pk = decode (device_key, crypto_box_PUBLICKEYBYTES, error);
  g_autofree guint8 *inner = NULL;
  g_autofree guint8 *sealed = NULL;
  gsize len = 0;

  if (pk == NULL || (inner = sign_inner (keys, plaintext, &len, error)) == NULL)
    return NULL;
  sealed = g_malloc (len + crypto_box_SEALBYTES);
  crypto_box_seal (sealed, inner, len, g_bytes_get_data (pk, NULL));
  return b64 (sealed, len + crypto_box_SEALBYTES);
}

char *
globi_seal_open (JsonObject *keys, const char *ciphertext, char **sender_identity, GError **error)
{
  g_autoptr (GBytes) pk = key_member (keys, "spk_pk", crypto_box_PUBLICKEYBYTES, error);
  g_autoptr (GBytes) sk = NULL;
  g_autoptr (GBytes) sealed = NULL;
  g_autofree guint8 *inner = NULL;
  gsize len;

  if (pk == NULL || (sk = key_member (keys, "spk_sk", crypto_box_SECRETKEYBYTES, error)) == NULL ||
      (sealed = decode (ciphertext, 0, error)) == NULL)
    return NULL;
  if (g_bytes_get_size (sealed) < crypto_box_SEALBYTES)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "ciphertext too short");
      return NULL;
    }
  len = g_bytes_get_size (sealed) - crypto_box_SEALBYTES;
  inner = g_malloc (len + 1);
  if (crypto_box_seal_open (inner, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed),
                            g_bytes_get_data (pk, NULL), g_bytes_get_data (sk, NULL)) != 0)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "could not decrypt");
      return NULL;
    }
  return verify_inner (inner, len, sender_identity, error);
}

char *
globi_seal_new_group_key (void)
{
  guint8 key[crypto_secretbox_KEYBYTES];

  crypto_secretbox_keygen (key);
  return b64 (key, sizeof key);
}

char *
globi_seal_to_group (JsonObject *keys, const char *group_key, const char *plaintext, GError **error)
{
  g_autoptr (GBytes) key = decode (group_key, crypto_secretbox_KEYBYTES, error);
  g_autofree guint8 *inner = NULL;
  g_autofree guint8 *boxed = NULL;
  gsize len = 0;

  if (key == NULL || (inner = sign_inner (keys, plaintext, &len, error)) == NULL)
    return NULL;
  boxed = g_malloc (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len);
  randombytes_buf (boxed, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy (boxed + crypto_secretbox_NONCEBYTES, inner, len, boxed,
                         g_bytes_get_data (key, NULL));
  return b64 (boxed, crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len);
}

char *
globi_seal_open_group (const char *group_key,
                       const char *ciphertext,
                       char **sender_identity,
                       GError **error)
{
  g_autoptr (GBytes) key = decode (group_key, crypto_secretbox_KEYBYTES, error);
  g_autoptr (GBytes) boxed = NULL;
  g_autofree guint8 *inner = NULL;
  const guint8 *data;
  gsize size;

  if (key == NULL || (boxed = decode (ciphertext, 0, error)) == NULL)
    return NULL;
  data = g_bytes_get_data (boxed, &size);
  if (size < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "ciphertext too short");
      return NULL;
    }
  size -= crypto_secretbox_NONCEBYTES;
  inner = g_malloc (size);
  if (crypto_secretbox_open_easy (inner, data + crypto_secretbox_NONCEBYTES, size, data,
                                  g_bytes_get_data (key, NULL)) != 0)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "could not decrypt");
      return NULL;
    }
  return verify_inner (inner, size - crypto_secretbox_MACBYTES, sender_identity, error);
}

char *
globi_seal_safety_number (const char *identity_a, const char *identity_b)
{
  const char *first = g_strcmp0 (identity_a, identity_b) <= 0 ? identity_a : identity_b;
  const char *second = first == identity_a ? identity_b : identity_a;
  guint8 digest[64];
  crypto_generichash_state state;
  GString *out = g_string_new (NULL);

  crypto_generichash_init (&state, NULL, 0, sizeof digest);
  crypto_generichash_update (&state, (const guint8 *) first, strlen (first));
  crypto_generichash_update (&state, (const guint8 *) "|", 1);
  crypto_generichash_update (&state, (const guint8 *) second, strlen (second));
  crypto_generichash_final (&state, digest, sizeof digest);
  /* 12 groups of 5 digits, each from 5 bytes mod 100000 (as Signal's numeric form). */
  for (guint i = 0; i < 12; i++)
    {
      guint64 v = 0;
      for (guint j = 0; j < 5; j++)
        v = (v << 8) | digest[i * 5 + j];
      g_string_append_printf (out, "%s%05u", i ? " " : "", (guint) (v % 100000));
    }
  return g_string_free (out, FALSE);
}
