/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-token-signer"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-error.h"
#include "globi-id.h"
#include "globi-token-signer.h"

/* Far above any token we issue (about 400 bytes), small enough that a hostile header
 * never reaches the JSON parser at size. */
#define MAX_TOKEN_BYTES 4096
/* How far in the future iat may lie: clocks of a cluster drift a little, never more. */
#define MAX_IAT_SKEW_S 60
/* Retired keys stay published this long past the lifetime of the last token they signed. */
#define RETIRED_KEY_GRACE_S 300
#define KID_LENGTH          16
#define KEY_FILE_SUFFIX     ".key"
#define KEY_GROUP           "key"

typedef struct
{
  char *kid;
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  guint8 seed[crypto_sign_SEEDBYTES];
  guint8 secret_key[crypto_sign_SECRETKEYBYTES];
  gint64 created_s;
  gint64 retired_s; /* 0 while it is the signing key */
} SigningKey;

struct _GlobiTokenSigner
{
  GObject parent_instance;

  GRWLock lock;
  GPtrArray *keys; /* SigningKey*; the signing key is the one not retired */
  char *key_dir;   /* NULL: keys only in memory */
  char *issuer;
  char *audience;
  guint lifetime_s;
};

G_DEFINE_FINAL_TYPE (GlobiTokenSigner, globi_token_signer, G_TYPE_OBJECT)

static void
signing_key_free (gpointer data)
{
  SigningKey *key = data;

  sodium_memzero (key->seed, sizeof key->seed);
  sodium_memzero (key->secret_key, sizeof key->secret_key);
  g_free (key->kid);
  g_free (key);
}

static SigningKey *
signing_key_new_from_seed (const guint8 *seed, gint64 created_s)
{
  SigningKey *key = g_new0 (SigningKey, 1);
  guint8 digest[crypto_hash_sha256_BYTES];
  g_autofree char *encoded = NULL;

  memcpy (key->seed, seed, sizeof key->seed);
  crypto_sign_seed_keypair (key->public_key, key->secret_key, key->seed);
  /* The kid is derived from the public key, so it is stable across restarts and the same
   * key always gets the same id. */
  crypto_hash_sha256 (digest, key->public_key, sizeof key->public_key);
  encoded = globi_base64url_encode (digest, sizeof digest);
  key->kid = g_strndup (encoded, KID_LENGTH);
  key->created_s = created_s;
  return key;
}

static SigningKey *
signing_key_generate (void)
{
  guint8 seed[crypto_sign_SEEDBYTES];
  SigningKey *key;

  randombytes_buf (seed, sizeof seed);
  key = signing_key_new_from_seed (seed, g_get_real_time () / G_USEC_PER_SEC);
  sodium_memzero (seed, sizeof seed);
  return key;
}

static void
globi_token_signer_finalize (GObject *object)
{
  GlobiTokenSigner *self = GLOBI_TOKEN_SIGNER (object);

  g_clear_pointer (&self->keys, g_ptr_array_unref);
  g_clear_pointer (&self->key_dir, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->audience, g_free);
  g_rw_lock_clear (&self->lock);

  G_OBJECT_CLASS (globi_token_signer_parent_class)->finalize (object);
}

static void
globi_token_signer_class_init (GlobiTokenSignerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = globi_token_signer_finalize;
}

static void
globi_token_signer_init (GlobiTokenSigner *self)
{
  g_rw_lock_init (&self->lock);
  self->keys = g_ptr_array_new_with_free_func (signing_key_free);
}

/* Called with the lock held. */
static SigningKey *
find_signing_key (GlobiTokenSigner *self)
{
  for (guint i = 0; i < self->keys->len; i++)
    {
      SigningKey *key = g_ptr_array_index (self->keys, i);

      if (key->retired_s == 0)
        return key;
    }
  return NULL;
}

static SigningKey *
find_key_by_kid (GlobiTokenSigner *self, const char *kid)
{
  for (guint i = 0; i < self->keys->len; i++)
    {
      SigningKey *key = g_ptr_array_index (self->keys, i);

      if (strcmp (key->kid, kid) == 0)
        return key;
    }
  return NULL;
}

static gboolean
key_is_expired (GlobiTokenSigner *self, SigningKey *key, gint64 now_s)
{
  return key->retired_s != 0 &&
         key->retired_s + (gint64) self->lifetime_s + RETIRED_KEY_GRACE_S < now_s;
}

static char *
key_file_path (GlobiTokenSigner *self, SigningKey *key)
{
  g_autofree char *name = g_strconcat (key->kid, KEY_FILE_SUFFIX, NULL);

  return g_build_filename (self->key_dir, name, NULL);
}

static gboolean
save_key (GlobiTokenSigner *self, SigningKey *key, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *seed = globi_base64url_encode (key->seed, sizeof key->seed);
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  gboolean ok;

  if (self->key_dir == NULL)
    return TRUE;

  g_key_file_set_string (file, KEY_GROUP, "seed", seed);
  g_key_file_set_int64 (file, KEY_GROUP, "created", key->created_s);
  if (key->retired_s != 0)
    g_key_file_set_int64 (file, KEY_GROUP, "retired", key->retired_s);
  data = g_key_file_to_data (file, &len, NULL);
  path = key_file_path (self, key);

  ok = g_file_set_contents_full (
      path, data, len, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, error);
  sodium_memzero (data, len);
  sodium_memzero (seed, strlen (seed));
  return ok;
}

static SigningKey *
load_key (const char *path, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *seed_text = NULL;
  g_autoptr (GBytes) seed = NULL;
  gint64 created_s;
  gint64 retired_s = 0;
  SigningKey *key;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return NULL;
  seed_text = g_key_file_get_string (file, KEY_GROUP, "seed", error);
  if (seed_text == NULL)
    return NULL;
  created_s = g_key_file_get_int64 (file, KEY_GROUP, "created", NULL);
  if (g_key_file_has_key (file, KEY_GROUP, "retired", NULL))
    retired_s = g_key_file_get_int64 (file, KEY_GROUP, "retired", NULL);

  seed = globi_base64url_decode (seed_text, strlen (seed_text), NULL);
  sodium_memzero (seed_text, strlen (seed_text));
  if (seed == NULL || g_bytes_get_size (seed) != crypto_sign_SEEDBYTES)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL, "Key file %s is damaged", path);
      return NULL;
    }
  key = signing_key_new_from_seed (g_bytes_get_data (seed, NULL), created_s);
  key->retired_s = retired_s;
  return key;
}

static void
remove_key_file (GlobiTokenSigner *self, SigningKey *key)
{
  g_autofree char *path = NULL;

  if (self->key_dir == NULL)
    return;
  path = key_file_path (self, key);
  if (g_unlink (path) != 0 && errno != ENOENT)
    g_warning ("Could not remove retired key %s: %s", key->kid, g_strerror (errno));
}

/* Forgets retired keys whose tokens have all expired. Called with the write lock held. */
static void
prune_retired_keys (GlobiTokenSigner *self, gint64 now_s)
{
  for (guint i = self->keys->len; i > 0; i--)
    {
      SigningKey *key = g_ptr_array_index (self->keys, i - 1);

      if (key_is_expired (self, key, now_s))
        {
          remove_key_file (self, key);
          g_ptr_array_remove_index (self->keys, i - 1);
        }
    }
}

GlobiTokenSigner *
globi_token_signer_new (const char *issuer, const char *audience, guint lifetime_seconds)
{
  GlobiTokenSigner *self;

  g_return_val_if_fail (issuer != NULL, NULL);
  g_return_val_if_fail (audience != NULL, NULL);
  g_return_val_if_fail (lifetime_seconds > 0, NULL);

  self = g_object_new (GLOBI_TYPE_TOKEN_SIGNER, NULL);
  self->issuer = g_strdup (issuer);
  self->audience = g_strdup (audience);
  self->lifetime_s = lifetime_seconds;
  return self;
}

gboolean
globi_token_signer_load_keys (GlobiTokenSigner *self, const char *key_dir, GError **error)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (signing_key_free);
  g_autoptr (GDir) dir = NULL;
  const char *name;
  SigningKey *newest_active = NULL;

  g_return_val_if_fail (GLOBI_IS_TOKEN_SIGNER (self), FALSE);
  g_return_val_if_fail (key_dir != NULL, FALSE);

  if (g_mkdir_with_parents (key_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Could not create key directory %s: %s", key_dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* An existing directory may have been made with a looser umask. */
  if (g_chmod (key_dir, 0700) != 0)
    g_warning ("Could not restrict %s to its owner: %s", key_dir, g_strerror (errno));

  dir = g_dir_open (key_dir, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      SigningKey *key;

      if (!g_str_has_suffix (name, KEY_FILE_SUFFIX))
        continue;
      path = g_build_filename (key_dir, name, NULL);
      key = load_key (path, error);
      if (key == NULL)
        return FALSE;
      g_ptr_array_add (keys, key);
    }

  /* Two active keys only happen if a rotation was cut short: keep the newer one signing. */
  for (guint i = 0; i < keys->len; i++)
    {
      SigningKey *key = g_ptr_array_index (keys, i);

      if (key->retired_s == 0 &&
          (newest_active == NULL || key->created_s > newest_active->created_s))
        newest_active = key;
    }
  for (guint i = 0; i < keys->len; i++)
    {
      SigningKey *key = g_ptr_array_index (keys, i);

      if (key->retired_s == 0 && key != newest_active)
        key->retired_s = g_get_real_time () / G_USEC_PER_SEC;
    }

  g_rw_lock_writer_lock (&self->lock);
  g_free (self->key_dir);
  self->key_dir = g_strdup (key_dir);
  g_clear_pointer (&self->keys, g_ptr_array_unref);
  self->keys = g_steal_pointer (&keys);
  prune_retired_keys (self, g_get_real_time () / G_USEC_PER_SEC);
  if (newest_active == NULL)
    {
      SigningKey *key = signing_key_generate ();

      g_ptr_array_add (self->keys, key);
      if (!save_key (self, key, error))
        {
          g_ptr_array_remove (self->keys, key);
          g_rw_lock_writer_unlock (&self->lock);
          return FALSE;
        }
    }
  g_rw_lock_writer_unlock (&self->lock);

  return TRUE;
}

void
globi_token_signer_generate_key (GlobiTokenSigner *self)
{
  g_return_if_fail (GLOBI_IS_TOKEN_SIGNER (self));

  g_rw_lock_writer_lock (&self->lock);
  g_clear_pointer (&self->key_dir, g_free);
  g_ptr_array_set_size (self->keys, 0);
  g_ptr_array_add (self->keys, signing_key_generate ());
  g_rw_lock_writer_unlock (&self->lock);
}

gboolean
globi_token_signer_rotate (GlobiTokenSigner *self, GError **error)
{
  SigningKey *old_key;
  SigningKey *new_key;
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  gboolean ok = TRUE;

  g_return_val_if_fail (GLOBI_IS_TOKEN_SIGNER (self), FALSE);

  new_key = signing_key_generate ();

  g_rw_lock_writer_lock (&self->lock);
  /* The new key is written first: a crash in between leaves two active keys, which
   * load_keys resolves, rather than none. */
  if (!save_key (self, new_key, error))
    {
      g_rw_lock_writer_unlock (&self->lock);
      signing_key_free (new_key);
      return FALSE;
    }
  old_key = find_signing_key (self);
  if (old_key != NULL)
    {
      old_key->retired_s = now_s;
      ok = save_key (self, old_key, error);
    }
  g_ptr_array_insert (self->keys, 0, new_key);
  prune_retired_keys (self, now_s);
  g_rw_lock_writer_unlock (&self->lock);

  return ok;
}

char *
globi_token_signer_issue (GlobiTokenSigner *self,
                          const char *user_id,
                          const char *device_id,
                          gint64 now_s,
                          gint64 *out_expires_at_s)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) header_node = NULL;
  g_autoptr (JsonNode) claims_node = NULL;
  g_autofree char *header_json = NULL;
  g_autofree char *claims_json = NULL;
  g_autofree char *header_b64 = NULL;
  g_autofree char *claims_b64 = NULL;
  g_autofree char *sig_b64 = NULL;
  g_autofree char *signing_input = NULL;
  g_autofree char *jti = globi_id_new ();
  guint8 sig[crypto_sign_BYTES];
  gint64 expires_at_s;
  SigningKey *key;

  g_return_val_if_fail (GLOBI_IS_TOKEN_SIGNER (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);
  g_return_val_if_fail (device_id != NULL, NULL);

  expires_at_s = now_s + self->lifetime_s;

  g_rw_lock_reader_lock (&self->lock);
  key = find_signing_key (self);
  if (key == NULL)
    {
      g_rw_lock_reader_unlock (&self->lock);
      g_critical ("Token signer has no key: call load_keys or generate_key first");
      return NULL;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "alg");
  json_builder_add_string_value (builder, "EdDSA");
  json_builder_set_member_name (builder, "typ");
  json_builder_add_string_value (builder, "JWT");
  json_builder_set_member_name (builder, "kid");
  json_builder_add_string_value (builder, key->kid);
  json_builder_end_object (builder);
  header_node = json_builder_get_root (builder);
  json_builder_reset (builder);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "iss");
  json_builder_add_string_value (builder, self->issuer);
  json_builder_set_member_name (builder, "sub");
  json_builder_add_string_value (builder, user_id);
  json_builder_set_member_name (builder, "aud");
  json_builder_add_string_value (builder, self->audience);
  json_builder_set_member_name (builder, "iat");
  json_builder_add_int_value (builder, now_s);
  json_builder_set_member_name (builder, "exp");
  json_builder_add_int_value (builder, expires_at_s);
  json_builder_set_member_name (builder, "jti");
  json_builder_add_string_value (builder, jti);
  json_builder_set_member_name (builder, "did");
  json_builder_add_string_value (builder, device_id);
  json_builder_end_object (builder);
  claims_node = json_builder_get_root (builder);

  header_json = json_to_string (header_node, FALSE);
  claims_json = json_to_string (claims_node, FALSE);
  header_b64 = globi_base64url_encode ((const guint8 *) header_json, strlen (header_json));
  claims_b64 = globi_base64url_encode ((const guint8 *) claims_json, strlen (claims_json));
  signing_input = g_strconcat (header_b64, ".", claims_b64, NULL);

  crypto_sign_detached (sig, NULL, (const guint8 *) signing_input, strlen (signing_input),
                        key->secret_key);
  g_rw_lock_reader_unlock (&self->lock);

  sig_b64 = globi_base64url_encode (sig, sizeof sig);
  if (out_expires_at_s != NULL)
    *out_expires_at_s = expires_at_s;
  return g_strconcat (signing_input, ".", sig_b64, NULL);
}

/* Decodes one base64url segment holding a JSON object. */
static JsonObject *
decode_json_segment (const char *segment, gsize len)
{
  g_autoptr (GBytes) bytes = globi_base64url_decode (segment, len, NULL);
  g_autoptr (JsonParser) parser = NULL;
  JsonNode *root;
  gsize size = 0;
  const char *data;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  /* json-glib stops at a NUL; a NUL inside the segment is a smuggling attempt. */
  if (size == 0 || memchr (data, '\0', size) != NULL || !g_utf8_validate (data, size, NULL))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, size, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static const char *
get_string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_int_member (JsonObject *object, const char *name, gint64 *out_value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out_value = json_node_get_int (node);
  return TRUE;
}

static gboolean
reject (GError **error, const char *why)
{
  g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, why);
  return FALSE;
}

gboolean
globi_token_signer_verify (GlobiTokenSigner *self,
                           const char *token,
                           gint64 now_s,
                           char **out_user_id,
                           char **out_device_id,
                           GError **error)
{
  g_autoptr (JsonObject) header = NULL;
  g_autoptr (JsonObject) claims = NULL;
  g_autoptr (GBytes) sig = NULL;
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  const char *first_dot, *second_dot;
  const char *kid, *alg, *typ, *sub, *did, *iss, *aud, *jti;
  gint64 exp_s, iat_s;
  gsize token_len;
  SigningKey *key;

  g_return_val_if_fail (GLOBI_IS_TOKEN_SIGNER (self), FALSE);

  if (token == NULL)
    return reject (error, "Missing access token");
  token_len = strnlen (token, MAX_TOKEN_BYTES + 1);
  if (token_len > MAX_TOKEN_BYTES)
    return reject (error, "Access token too long");

  first_dot = strchr (token, '.');
  second_dot = first_dot ? strchr (first_dot + 1, '.') : NULL;
  if (first_dot == NULL || second_dot == NULL || strchr (second_dot + 1, '.') != NULL ||
      first_dot == token || second_dot == first_dot + 1 || second_dot[1] == '\0')
    return reject (error, "Malformed access token");

  header = decode_json_segment (token, first_dot - token);
  if (header == NULL)
    return reject (error, "Malformed access token header");
  alg = get_string_member (header, "alg");
  typ = get_string_member (header, "typ");
  kid = get_string_member (header, "kid");
  /* Only ever EdDSA: "none", HMAC and the rest are refused before any key is touched. */
  if (g_strcmp0 (alg, "EdDSA") != 0)
    return reject (error, "Unsupported token algorithm");
  if (json_object_has_member (header, "typ") && g_strcmp0 (typ, "JWT") != 0)
    return reject (error, "Unsupported token type");
  /* We understand no extension, so any critical one makes the token invalid (RFC 7515). */
  if (json_object_has_member (header, "crit"))
    return reject (error, "Unsupported critical token header");
  if (kid == NULL)
    return reject (error, "Token has no key id");

  g_rw_lock_reader_lock (&self->lock);
  key = find_key_by_kid (self, kid);
  if (key != NULL)
    memcpy (public_key, key->public_key, sizeof public_key);
  g_rw_lock_reader_unlock (&self->lock);
  if (key == NULL)
    return reject (error, "Token signed with an unknown key");

  sig = globi_base64url_decode (second_dot + 1, token + token_len - (second_dot + 1), NULL);
  if (sig == NULL || g_bytes_get_size (sig) != crypto_sign_BYTES)
    return reject (error, "Malformed token signature");
  if (crypto_sign_verify_detached (g_bytes_get_data (sig, NULL), (const guint8 *) token,
                                   second_dot - token, public_key) != 0)
    return reject (error, "Token signature is invalid");

  /* The claims are only parsed once the signature says we wrote them. */
  claims = decode_json_segment (first_dot + 1, second_dot - (first_dot + 1));
  if (claims == NULL)
    return reject (error, "Malformed token claims");
  iss = get_string_member (claims, "iss");
  aud = get_string_member (claims, "aud");
  sub = get_string_member (claims, "sub");
  did = get_string_member (claims, "did");
  jti = get_string_member (claims, "jti");
  if (g_strcmp0 (iss, self->issuer) != 0)
    return reject (error, "Token issued by another issuer");
  if (g_strcmp0 (aud, self->audience) != 0)
    return reject (error, "Token meant for another audience");
  if (!get_int_member (claims, "exp", &exp_s) || !get_int_member (claims, "iat", &iat_s))
    return reject (error, "Token lacks its validity period");
  if (exp_s <= now_s)
    return reject (error, "Token expired");
  if (iat_s > now_s + MAX_IAT_SKEW_S || exp_s <= iat_s)
    return reject (error, "Token validity period is impossible");
  if (sub == NULL || *sub == '\0' || did == NULL || *did == '\0' || jti == NULL)
    return reject (error, "Token lacks its subject");

  if (out_user_id != NULL)
    *out_user_id = g_strdup (sub);
  if (out_device_id != NULL)
    *out_device_id = g_strdup (did);
  return TRUE;
}

JsonNode *
globi_token_signer_dup_jwks (GlobiTokenSigner *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (GLOBI_IS_TOKEN_SIGNER (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keys");
  json_builder_begin_array (builder);

  g_rw_lock_reader_lock (&self->lock);
  for (guint i = 0; i < self->keys->len; i++)
    {
      SigningKey *key = g_ptr_array_index (self->keys, i);
      g_autofree char *x = NULL;

      if (key_is_expired (self, key, now_s))
        continue;
      x = globi_base64url_encode (key->public_key, sizeof key->public_key);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kty");
      json_builder_add_string_value (builder, "OKP");
      json_builder_set_member_name (builder, "crv");
      json_builder_add_string_value (builder, "Ed25519");
      json_builder_set_member_name (builder, "x");
      json_builder_add_string_value (builder, x);
      json_builder_set_member_name (builder, "kid");
      json_builder_add_string_value (builder, key->kid);
      json_builder_set_member_name (builder, "use");
      json_builder_add_string_value (builder, "sig");
      json_builder_set_member_name (builder, "alg");
      json_builder_add_string_value (builder, "EdDSA");
      json_builder_end_object (builder);
    }
  g_rw_lock_reader_unlock (&self->lock);

  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

guint
globi_token_signer_get_lifetime (GlobiTokenSigner *self)
{
  g_return_val_if_fail (GLOBI_IS_TOKEN_SIGNER (self), 0);

  return self->lifetime_s;
}
