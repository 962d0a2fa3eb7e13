/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "globi-base64url.h"
#include "globi-error.h"
#include "globi-id.h"
#include "globi-token-signer.h"

#define ISSUER   "https://chat.example.org"
#define AUDIENCE "globichat"
#define LIFETIME 900
#define NOW      ((gint64) 1800000000)

static GlobiTokenSigner *
new_signer (void)
{
  GlobiTokenSigner *signer = globi_token_signer_new (ISSUER, AUDIENCE, LIFETIME);

  globi_token_signer_generate_key (signer);
  return signer;
}

static void
assert_rejected (GlobiTokenSigner *signer, const char *token, gint64 now_s)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *device_id = NULL;

  g_assert_false (globi_token_signer_verify (signer, token, now_s, &user_id, &device_id, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED);
  g_assert_null (user_id);
  g_assert_null (device_id);
}

static void
assert_accepted (GlobiTokenSigner *signer,
                 const char *token,
                 gint64 now_s,
                 const char *expected_user,
                 const char *expected_device)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *device_id = NULL;

  g_assert_true (globi_token_signer_verify (signer, token, now_s, &user_id, &device_id, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (user_id, ==, expected_user);
  g_assert_cmpstr (device_id, ==, expected_device);
}

static JsonObject *
decode_segment (const char *token, guint index)
{
  g_auto (GStrv) parts = g_strsplit (token, ".", -1);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  const char *data;

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  bytes = globi_base64url_decode (parts[index], strlen (parts[index]), &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (bytes, &size);
  json_parser_load_from_data (parser, data, size, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
encode_json (const char *json)
{
  return globi_base64url_encode ((const guint8 *) json, strlen (json));
}

/* A token with the given header and claims, signed with an arbitrary Ed25519 secret key
 * (NULL: keep the signature segment of `donor`). */
static char *
forge (const char *header_json,
       const char *claims_json,
       const guint8 *secret_key,
       const char *donor)
{
  g_autofree char *header = encode_json (header_json);
  g_autofree char *claims = encode_json (claims_json);
  g_autofree char *input = g_strconcat (header, ".", claims, NULL);
  g_autofree char *sig_b64 = NULL;

  if (secret_key != NULL)
    {
      guint8 sig[crypto_sign_BYTES];

      crypto_sign_detached (sig, NULL, (const guint8 *) input, strlen (input), secret_key);
      sig_b64 = globi_base64url_encode (sig, sizeof sig);
    }
  else
    sig_b64 = g_strdup (strrchr (donor, '.') + 1);
  return g_strconcat (input, ".", sig_b64, NULL);
}

static void
test_token_round_trip (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  g_autofree char *user_id = globi_id_new ();
  g_autofree char *device_id = globi_id_new ();
  gint64 expires_at = 0;
  g_autofree char *token = globi_token_signer_issue (signer, user_id, device_id, NOW, &expires_at);
  g_autoptr (JsonObject) header = decode_segment (token, 0);
  g_autoptr (JsonObject) claims = decode_segment (token, 1);

  g_assert_cmpint (expires_at, ==, NOW + LIFETIME);
  g_assert_cmpuint (globi_token_signer_get_lifetime (signer), ==, LIFETIME);

  g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, "EdDSA");
  g_assert_cmpstr (json_object_get_string_member (header, "typ"), ==, "JWT");
  g_assert_cmpuint (strlen (json_object_get_string_member (header, "kid")), ==, 16);

  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, ISSUER);
  g_assert_cmpstr (json_object_get_string_member (claims, "aud"), ==, AUDIENCE);
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, user_id);
  g_assert_cmpstr (json_object_get_string_member (claims, "did"), ==, device_id);
  g_assert_cmpint (json_object_get_int_member (claims, "iat"), ==, NOW);
  g_assert_cmpint (json_object_get_int_member (claims, "exp"), ==, NOW + LIFETIME);
  g_assert_true (globi_id_is_valid (json_object_get_string_member (claims, "jti")));

  assert_accepted (signer, token, NOW, user_id, device_id);
  assert_accepted (signer, token, NOW + LIFETIME - 1, user_id, device_id);
}

static void
test_token_jti_unique (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  g_autofree char *a = globi_token_signer_issue (signer, "u", "d", NOW, NULL);
  g_autofree char *b = globi_token_signer_issue (signer, "u", "d", NOW, NULL);

  g_assert_cmpstr (a, !=, b);
}

static void
test_token_expired (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  g_autofree char *token = globi_token_signer_issue (signer, "u", "d", NOW, NULL);

  assert_rejected (signer, token, NOW + LIFETIME);
  assert_rejected (signer, token, NOW + LIFETIME + 3600);
  /* Issued far in the future (a forged or broken clock). */
  assert_rejected (signer, token, NOW - 3600);
}

static void
test_token_tampered (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  g_autofree char *token = globi_token_signer_issue (signer, "alice", "dev", NOW, NULL);
  g_auto (GStrv) parts = g_strsplit (token, ".", -1);
  g_autoptr (JsonObject) header = decode_segment (token, 0);
  const char *kid = json_object_get_string_member (header, "kid");
  g_autofree char *header_json =
      g_strdup_printf ("{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
  g_autofree char *claims_json = g_strdup_printf (
      "{\"iss\":\"" ISSUER "\",\"sub\":\"mallory\",\"aud\":\"" AUDIENCE
      "\",\"iat\":%" G_GINT64_FORMAT ",\"exp\":%" G_GINT64_FORMAT ",\"jti\":\"x\",\"did\":\"dev\"}",
      NOW, NOW + LIFETIME);
  g_autofree char *reheadered = NULL;
  g_autofree char *reclaimed = NULL;
  g_autofree char *sig_flipped = NULL;
  g_autofree char *header_spaced = NULL;
  g_autofree char *header_spaced_b64 = NULL;

  /* Claims changed, signature kept. */
  reclaimed = forge (header_json, claims_json, NULL, token);
  assert_rejected (signer, reclaimed, NOW);

  /* Header re-encoded (same meaning, different bytes), signature kept. */
  header_spaced = g_strdup_printf ("{\"alg\": \"EdDSA\", \"typ\": \"JWT\", \"kid\": \"%s\"}", kid);
  g_free (header_spaced_b64);
  header_spaced_b64 = encode_json (header_spaced);
  reheadered = g_strdup_printf ("%s.%s.%s", header_spaced_b64, parts[1], parts[2]);
  assert_rejected (signer, reheadered, NOW);

  /* One signature bit flipped. */
  {
    g_autoptr (GBytes) sig = globi_base64url_decode (parts[2], strlen (parts[2]), NULL);
    g_autofree guint8 *raw = g_memdup2 (g_bytes_get_data (sig, NULL), g_bytes_get_size (sig));
    g_autofree char *raw_b64 = NULL;

    raw[10] ^= 0x01;
    raw_b64 = globi_base64url_encode (raw, g_bytes_get_size (sig));
    sig_flipped = g_strdup_printf ("%s.%s.%s", parts[0], parts[1], raw_b64);
    assert_rejected (signer, sig_flipped, NOW);
  }
}

static void
test_token_wrong_alg (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  g_autofree char *token = globi_token_signer_issue (signer, "u", "d", NOW, NULL);
  g_autoptr (JsonObject) header = decode_segment (token, 0);
  const char *kid = json_object_get_string_member (header, "kid");
  g_auto (GStrv) parts = g_strsplit (token, ".", -1);
  const char *algs[] = { "none", "HS256", "RS256", "ES256", "eddsa", "" };

  for (guint i = 0; i < G_N_ELEMENTS (algs); i++)
    {
      g_autofree char *header_json =
          g_strdup_printf ("{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", algs[i], kid);
      g_autofree char *header_b64 = encode_json (header_json);
      g_autofree char *with_sig = g_strdup_printf ("%s.%s.%s", header_b64, parts[1], parts[2]);
      g_autofree char *unsigned_token = g_strdup_printf ("%s.%s.", header_b64, parts[1]);

      assert_rejected (signer, with_sig, NOW);
      assert_rejected (signer, unsigned_token, NOW);
    }

  /* HS256 keyed with the public key (the classic confusion attack). */
  {
    g_autoptr (JsonNode) jwks = globi_token_signer_dup_jwks (signer);
    JsonObject *jwk = json_array_get_object_element (
        json_object_get_array_member (json_node_get_object (jwks), "keys"), 0);
    const char *x = json_object_get_string_member (jwk, "x");
    g_autofree char *header_json =
        g_strdup_printf ("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    g_autofree char *header_b64 = encode_json (header_json);
    g_autofree char *input = g_strdup_printf ("%s.%s", header_b64, parts[1]);
    guint8 mac[crypto_auth_hmacsha256_BYTES];
    g_autofree char *mac_b64 = NULL;
    g_autofree char *forged = NULL;
    crypto_auth_hmacsha256_state state;

    crypto_auth_hmacsha256_init (&state, (const guint8 *) x, strlen (x));
    crypto_auth_hmacsha256_update (&state, (const guint8 *) input, strlen (input));
    crypto_auth_hmacsha256_final (&state, mac);
    mac_b64 = globi_base64url_encode (mac, sizeof mac);
    forged = g_strdup_printf ("%s.%s", input, mac_b64);
    assert_rejected (signer, forged, NOW);
  }
}

static void
test_token_unknown_kid (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  g_autoptr (GlobiTokenSigner) other = new_signer ();
  g_autofree char *foreign = globi_token_signer_issue (other, "u", "d", NOW, NULL);
  guint8 pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  g_autofree char *claims = g_strdup_printf (
      "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE "\",\"iat\":%" G_GINT64_FORMAT
      ",\"exp\":%" G_GINT64_FORMAT ",\"jti\":\"x\",\"did\":\"d\"}",
      NOW, NOW + 60);
  g_autofree char *no_kid = NULL;
  g_autofree char *made_up_kid = NULL;

  /* Same issuer and audience, but a key this signer never had. */
  assert_rejected (signer, foreign, NOW);

  crypto_sign_keypair (pk, sk);
  no_kid = forge ("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", claims, sk, NULL);
  assert_rejected (signer, no_kid, NOW);
  made_up_kid =
      forge ("{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"AAAAAAAAAAAAAAAA\"}", claims, sk, NULL);
  assert_rejected (signer, made_up_kid, NOW);
}

static void
test_token_wrong_aud_iss (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  g_autofree char *token = globi_token_signer_issue (signer, "u", "d", NOW, NULL);
  g_autoptr (GlobiTokenSigner) other_iss =
      globi_token_signer_new ("https://evil.example", AUDIENCE, LIFETIME);
  g_autoptr (GlobiTokenSigner) other_aud = globi_token_signer_new (ISSUER, "other-app", LIFETIME);
  g_autoptr (GError) error = NULL;
  g_autofree char *key_dir = g_dir_make_tmp ("globi-token-XXXXXX", &error);
  g_autofree char *iss_token = NULL;
  g_autofree char *aud_token = NULL;

  g_assert_no_error (error);
  /* Give the other signers the very same key, so only the claims differ. */
  g_assert_true (globi_token_signer_load_keys (signer, key_dir, &error));
  g_assert_no_error (error);
  g_assert_true (globi_token_signer_load_keys (other_iss, key_dir, &error));
  g_assert_true (globi_token_signer_load_keys (other_aud, key_dir, &error));
  g_assert_no_error (error);

  iss_token = globi_token_signer_issue (other_iss, "u", "d", NOW, NULL);
  aud_token = globi_token_signer_issue (other_aud, "u", "d", NOW, NULL);
  g_clear_pointer (&token, g_free);
  token = globi_token_signer_issue (signer, "u", "d", NOW, NULL);
  assert_accepted (signer, token, NOW, "u", "d");
  assert_rejected (signer, iss_token, NOW);
  assert_rejected (signer, aud_token, NOW);
  assert_accepted (other_iss, iss_token, NOW, "u", "d");

  {
    g_autoptr (GDir) dir = g_dir_open (key_dir, 0, &error);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (key_dir, name, NULL);

        g_assert_cmpint (g_unlink (path), ==, 0);
      }
  }
  g_assert_cmpint (g_rmdir (key_dir), ==, 0);
}

static void
test_token_bad_claims (void)
{
  g_autoptr (GlobiTokenSigner) signer = globi_token_signer_new (ISSUER, AUDIENCE, LIFETIME);
  g_autoptr (GError) error = NULL;
  g_autofree char *key_dir = g_dir_make_tmp ("globi-token-XXXXXX", &error);
  g_autofree char *seed_text = NULL;
  g_autofree char *token = NULL;
  g_autoptr (JsonObject) header = NULL;
  g_autofree char *header_json = NULL;
  g_autofree char *key_path = NULL;
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GBytes) seed = NULL;
  guint8 pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  /* Correctly signed with the real key, but each set of claims is wrong in one way. */
  const char *bad_claims[] = {
    "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE
    "\",\"iat\":1800000000,\"exp\":\"1800000900\",\"jti\":\"j\",\"did\":\"d\"}",
    "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE
    "\",\"iat\":1800000000,\"exp\":1800000900.5,\"jti\":\"j\",\"did\":\"d\"}",
    "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE
    "\",\"iat\":1800000000,\"jti\":\"j\",\"did\":\"d\"}",
    "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE
    "\",\"exp\":1800000900,\"jti\":\"j\",\"did\":\"d\"}",
    "{\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
    "\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\",\"did\":\"d\"}",
    "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE
    "\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\"}",
    "{\"iss\":\"" ISSUER "\",\"sub\":42,\"aud\":\"" AUDIENCE
    "\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\",\"did\":\"d\"}",
    "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":[\"" AUDIENCE
    "\"],\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\",\"did\":\"d\"}",
    "{\"sub\":\"u\",\"aud\":\"" AUDIENCE
    "\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\",\"did\":\"d\"}",
    "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE
    "\",\"iat\":1800000950,\"exp\":1800000900,\"jti\":\"j\",\"did\":\"d\"}",
    "[1,2,3]",
    "not json",
    "",
  };
  const char *good_claims = "{\"iss\":\"" ISSUER "\",\"sub\":\"u\",\"aud\":\"" AUDIENCE
                            "\",\"iat\":1800000000,\"exp\":1800000900,\"jti\":\"j\",\"did\":\"d\"}";
  g_autofree char *good = NULL;
  g_autofree char *crit = NULL;

  g_assert_no_error (error);
  g_assert_true (globi_token_signer_load_keys (signer, key_dir, &error));
  g_assert_no_error (error);
  token = globi_token_signer_issue (signer, "u", "d", NOW, NULL);
  header = decode_segment (token, 0);
  header_json = g_strdup_printf ("{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                                 json_object_get_string_member (header, "kid"));

  /* Recover the secret key from the key file, as an attacker who stole it could. */
  {
    g_autoptr (GDir) dir = g_dir_open (key_dir, 0, &error);
    const char *name = g_dir_read_name (dir);

    key_path = g_build_filename (key_dir, name, NULL);
  }
  g_assert_true (g_key_file_load_from_file (key_file, key_path, 0, &error));
  seed_text = g_key_file_get_string (key_file, "key", "seed", &error);
  g_assert_no_error (error);
  seed = globi_base64url_decode (seed_text, strlen (seed_text), &error);
  g_assert_no_error (error);
  crypto_sign_seed_keypair (pk, sk, g_bytes_get_data (seed, NULL));

  /* The forging itself works: the same key and good claims verify. */
  good = forge (header_json, good_claims, sk, NULL);
  assert_accepted (signer, good, NOW, "u", "d");

  for (guint i = 0; i < G_N_ELEMENTS (bad_claims); i++)
    {
      g_autofree char *forged = forge (header_json, bad_claims[i], sk, NULL);

      assert_rejected (signer, forged, NOW);
    }

  crit = forge ("{\"alg\":\"EdDSA\",\"crit\":[\"exp\"],\"kid\":\"x\"}", good_claims, sk, NULL);
  assert_rejected (signer, crit, NOW);

  g_assert_cmpint (g_unlink (key_path), ==, 0);
  g_assert_cmpint (g_rmdir (key_dir), ==, 0);
}

static void
test_token_garbage (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  g_autofree char *token = globi_token_signer_issue (signer, "u", "d", NOW, NULL);
  g_autofree char *four = g_strconcat (token, ".", strrchr (token, '.') + 1, NULL);
  g_autofree char *padded = g_strconcat (token, "=", NULL);
  g_autofree char *spaced = g_strconcat (" ", token, NULL);
  g_autofree char *huge = NULL;
  const char *garbage[] = {
    "",
    ".",
    "..",
    "...",
    "a.b.c",
    "a.b",
    "eyJhbGciOiJFZERTQSJ9..",
    "ey.ey.ey",
    "eyJhbGciOiJFZERTQSJ9.e30.AAAA",
    "\xff\xfe.\x01.\x02",
    "Bearer x.y.z",
  };

  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    assert_rejected (signer, garbage[i], NOW);
  assert_rejected (signer, NULL, NOW);
  assert_rejected (signer, four, NOW);
  assert_rejected (signer, padded, NOW);
  assert_rejected (signer, spaced, NOW);

  /* Over the size limit, even though the prefix is a valid token. */
  {
    GString *big = g_string_new (token);

    while (big->len < 5000)
      g_string_append_c (big, 'A');
    huge = g_string_free (big, FALSE);
    assert_rejected (signer, huge, NOW);
  }

  /* Truncated anywhere. */
  for (gsize len = 0; len < strlen (token); len += 7)
    {
      g_autofree char *cut = g_strndup (token, len);

      assert_rejected (signer, cut, NOW);
    }
}

static void
test_token_jwks_shape (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  g_autoptr (JsonNode) jwks = globi_token_signer_dup_jwks (signer);
  g_autofree char *token = globi_token_signer_issue (signer, "u", "d", NOW, NULL);
  g_autoptr (JsonObject) header = decode_segment (token, 0);
  JsonObject *root;
  JsonArray *keys;
  JsonObject *jwk;
  g_autoptr (GBytes) x = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) parts = g_strsplit (token, ".", -1);
  g_autoptr (GBytes) sig = NULL;
  g_autofree char *input = NULL;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (jwks));
  root = json_node_get_object (jwks);
  g_assert_cmpuint (json_object_get_size (root), ==, 1);
  keys = json_object_get_array_member (root, "keys");
  g_assert_cmpuint (json_array_get_length (keys), ==, 1);
  jwk = json_array_get_object_element (keys, 0);
  g_assert_cmpuint (json_object_get_size (jwk), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (jwk, "kty"), ==, "OKP");
  g_assert_cmpstr (json_object_get_string_member (jwk, "crv"), ==, "Ed25519");
  g_assert_cmpstr (json_object_get_string_member (jwk, "use"), ==, "sig");
  g_assert_cmpstr (json_object_get_string_member (jwk, "alg"), ==, "EdDSA");
  g_assert_cmpstr (json_object_get_string_member (jwk, "kid"), ==,
                   json_object_get_string_member (header, "kid"));
  /* No private part ("d") is ever published. */
  g_assert_false (json_object_has_member (jwk, "d"));

  /* x is the raw 32-byte public key, and it verifies the token's signature. */
  x = globi_base64url_decode (json_object_get_string_member (jwk, "x"),
                              strlen (json_object_get_string_member (jwk, "x")), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (x), ==, crypto_sign_PUBLICKEYBYTES);
  sig = globi_base64url_decode (parts[2], strlen (parts[2]), &error);
  input = g_strdup_printf ("%s.%s", parts[0], parts[1]);
  g_assert_cmpint (crypto_sign_verify_detached (g_bytes_get_data (sig, NULL),
                                                (const guint8 *) input, strlen (input),
                                                g_bytes_get_data (x, NULL)),
                   ==, 0);
}

static void
test_token_keys_persist (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("globi-token-XXXXXX", &error);
  g_autofree char *key_dir = g_build_filename (tmp, "keys", NULL);
  g_autoptr (GlobiTokenSigner) first = globi_token_signer_new (ISSUER, AUDIENCE, LIFETIME);
  g_autoptr (GlobiTokenSigner) second = globi_token_signer_new (ISSUER, AUDIENCE, LIFETIME);
  g_autofree char *token = NULL;
  g_autofree char *token2 = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;
  guint files = 0;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_true (globi_token_signer_load_keys (first, key_dir, &error));
  g_assert_no_error (error);
  token = globi_token_signer_issue (first, "u", "d", NOW, NULL);

  /* Directory 0700, key files 0600. */
  g_assert_cmpint (g_stat (key_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  dir = g_dir_open (key_dir, 0, &error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (key_dir, name, NULL);

      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      files++;
    }
  g_assert_cmpuint (files, ==, 1);

  /* A restart: a new signer on the same directory verifies the old token and signs with
   * the same key. */
  g_assert_true (globi_token_signer_load_keys (second, key_dir, &error));
  g_assert_no_error (error);
  assert_accepted (second, token, NOW, "u", "d");
  token2 = globi_token_signer_issue (second, "u", "d", NOW, NULL);
  assert_accepted (first, token2, NOW, "u", "d");

  /* A damaged key file is an error, not a silent new key. */
  {
    g_autoptr (GDir) dir2 = g_dir_open (key_dir, 0, &error);
    g_autofree char *path = g_build_filename (key_dir, g_dir_read_name (dir2), NULL);
    g_autoptr (GlobiTokenSigner) third = globi_token_signer_new (ISSUER, AUDIENCE, LIFETIME);

    g_assert_true (g_file_set_contents (path, "[key]\nseed=short\n", -1, &error));
    g_assert_false (globi_token_signer_load_keys (third, key_dir, &error));
    g_assert_nonnull (error);
    g_assert_cmpint (g_unlink (path), ==, 0);
  }
  g_assert_cmpint (g_rmdir (key_dir), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static void
test_token_rotation (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *key_dir = g_dir_make_tmp ("globi-token-XXXXXX", &error);
  g_autoptr (GlobiTokenSigner) signer = globi_token_signer_new (ISSUER, AUDIENCE, LIFETIME);
  g_autoptr (GlobiTokenSigner) reloaded = globi_token_signer_new (ISSUER, AUDIENCE, LIFETIME);
  g_autofree char *old_token = NULL;
  g_autofree char *new_token = NULL;
  g_autoptr (JsonObject) old_header = NULL;
  g_autoptr (JsonObject) new_header = NULL;
  g_autoptr (JsonNode) jwks = NULL;
  g_autoptr (JsonNode) reloaded_jwks = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_no_error (error);
  g_assert_true (globi_token_signer_load_keys (signer, key_dir, &error));
  g_assert_no_error (error);
  old_token = globi_token_signer_issue (signer, "u", "d", now, NULL);

  g_assert_true (globi_token_signer_rotate (signer, &error));
  g_assert_no_error (error);
  new_token = globi_token_signer_issue (signer, "u", "d", now, NULL);
  old_header = decode_segment (old_token, 0);
  new_header = decode_segment (new_token, 0);
  g_assert_cmpstr (json_object_get_string_member (old_header, "kid"), !=,
                   json_object_get_string_member (new_header, "kid"));

  assert_accepted (signer, old_token, now, "u", "d");
  assert_accepted (signer, new_token, now, "u", "d");
  jwks = globi_token_signer_dup_jwks (signer);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (json_node_get_object (jwks), "keys")),
      ==, 2);

  /* The retirement survives a restart: both keys verify, the new one signs. */
  g_assert_true (globi_token_signer_load_keys (reloaded, key_dir, &error));
  g_assert_no_error (error);
  assert_accepted (reloaded, old_token, now, "u", "d");
  assert_accepted (reloaded, new_token, now, "u", "d");
  reloaded_jwks = globi_token_signer_dup_jwks (reloaded);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        json_node_get_object (reloaded_jwks), "keys")),
                    ==, 2);
  {
    g_autofree char *token = globi_token_signer_issue (reloaded, "u", "d", now, NULL);
    g_autoptr (JsonObject) header = decode_segment (token, 0);

    g_assert_cmpstr (json_object_get_string_member (header, "kid"), ==,
                     json_object_get_string_member (new_header, "kid"));
  }

  /* Old tokens still expire on time. */
  assert_rejected (signer, old_token, now + LIFETIME);

  {
    g_autoptr (GDir) dir = g_dir_open (key_dir, 0, &error);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (key_dir, name, NULL);

        g_assert_cmpint (g_unlink (path), ==, 0);
      }
  }
  g_assert_cmpint (g_rmdir (key_dir), ==, 0);
}

static void
test_token_rotation_retires (void)
{
  /* A one-second lifetime: the retired key leaves the JWKS once its grace has passed. The
   * grace is minutes, so this checks pruning through a key file dated in the past. */
  g_autoptr (GError) error = NULL;
  g_autofree char *key_dir = g_dir_make_tmp ("globi-token-XXXXXX", &error);
  g_autoptr (GlobiTokenSigner) signer = globi_token_signer_new (ISSUER, AUDIENCE, 1);
  g_autoptr (GlobiTokenSigner) reloaded = globi_token_signer_new (ISSUER, AUDIENCE, 1);
  g_autoptr (JsonNode) jwks = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;
  guint files = 0;

  g_assert_no_error (error);
  g_assert_true (globi_token_signer_load_keys (signer, key_dir, &error));
  g_assert_true (globi_token_signer_rotate (signer, &error));
  g_assert_no_error (error);

  /* Backdate the retirement by a day. */
  dir = g_dir_open (key_dir, 0, &error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (key_dir, name, NULL);
      g_autoptr (GKeyFile) file = g_key_file_new ();

      g_assert_true (g_key_file_load_from_file (file, path, 0, &error));
      if (g_key_file_has_key (file, "key", "retired", NULL))
        {
          g_key_file_set_int64 (file, "key", "retired",
                                g_get_real_time () / G_USEC_PER_SEC - 86400);
          g_assert_true (g_key_file_save_to_file (file, path, &error));
        }
    }
  g_clear_pointer (&dir, g_dir_close);

  g_assert_true (globi_token_signer_load_keys (reloaded, key_dir, &error));
  g_assert_no_error (error);
  jwks = globi_token_signer_dup_jwks (reloaded);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (json_node_get_object (jwks), "keys")),
      ==, 1);
  /* And its file is gone. */
  dir = g_dir_open (key_dir, 0, &error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (key_dir, name, NULL);

      files++;
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpuint (files, ==, 1);
  g_assert_cmpint (g_rmdir (key_dir), ==, 0);
}

static gpointer
verify_many (gpointer data)
{
  GlobiTokenSigner *signer = data;

  for (guint i = 0; i < 500; i++)
    {
      g_autofree char *token = globi_token_signer_issue (signer, "u", "d", NOW, NULL);

      if (!globi_token_signer_verify (signer, token, NOW, NULL, NULL, NULL))
        return GINT_TO_POINTER (1);
    }
  return NULL;
}

static void
test_token_threads (void)
{
  g_autoptr (GlobiTokenSigner) signer = new_signer ();
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("verifier", verify_many, signer);
  for (guint i = 0; i < 3; i++)
    g_assert_true (globi_token_signer_rotate (signer, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_null (g_thread_join (threads[i]));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/globi/backend/token-signer/round-trip", test_token_round_trip);
  g_test_add_func ("/globi/backend/token-signer/jti-unique", test_token_jti_unique);
  g_test_add_func ("/globi/backend/token-signer/expired", test_token_expired);
  g_test_add_func ("/globi/backend/token-signer/tampered", test_token_tampered);
  g_test_add_func ("/globi/backend/token-signer/wrong-alg", test_token_wrong_alg);
  g_test_add_func ("/globi/backend/token-signer/unknown-kid", test_token_unknown_kid);
  g_test_add_func ("/globi/backend/token-signer/wrong-aud-iss", test_token_wrong_aud_iss);
  g_test_add_func ("/globi/backend/token-signer/bad-claims", test_token_bad_claims);
  g_test_add_func ("/globi/backend/token-signer/garbage", test_token_garbage);
  g_test_add_func ("/globi/backend/token-signer/jwks-shape", test_token_jwks_shape);
  g_test_add_func ("/globi/backend/token-signer/keys-persist", test_token_keys_persist);
  g_test_add_func ("/globi/backend/token-signer/rotation", test_token_rotation);
  g_test_add_func ("/globi/backend/token-signer/rotation-retires", test_token_rotation_retires);
  g_test_add_func ("/globi/backend/token-signer/threads", test_token_threads);
  return g_test_run ();
}
