/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-token-signer.h"

#ifdef GLOBI_HAVE_SERVER
#include <libsoup/soup.h>

#include "globi-server-config.h"
#include "globi-server-thread.h"
#include "globi-test-util.h"
#endif

/* Any standard JWT library must verify our tokens with our JWKS: this runs jose (Node)
 * on them, an implementation we did not write. */

#define ISSUER   "https://chat.example.org"
#define AUDIENCE "globichat"
#define LIFETIME 900

typedef struct
{
  char *dir;
  char *jwks_path;
  char *token_path;
  GlobiTokenSigner *signer;
} Fixture;

static const char *
script_path (void)
{
  return g_test_get_filename (G_TEST_DIST, "peers", "verify-jwt.mjs", NULL);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *jose =
      g_test_build_filename (G_TEST_DIST, "peers", "node_modules", "jose", "package.json", NULL);
  g_autofree char *node = g_find_program_in_path ("node");

  /* Not a skip: without the peer this test proves nothing, and must say so loudly. */
  if (node == NULL)
    g_error ("node is not installed; the JWT interop test needs Node.js (apt-get install nodejs)");
  if (!g_file_test (jose, G_FILE_TEST_EXISTS))
    g_error ("jose is missing: run `npm install --prefix tests/peers` from the source root "
             "before the tests");

  fixture->dir = g_dir_make_tmp ("globi-interop-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->jwks_path = g_build_filename (fixture->dir, "jwks.json", NULL);
  fixture->token_path = g_build_filename (fixture->dir, "token", NULL);
  fixture->signer = globi_token_signer_new (ISSUER, AUDIENCE, LIFETIME);
  globi_token_signer_generate_key (fixture->signer);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  g_unlink (fixture->jwks_path);
  g_unlink (fixture->token_path);
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_clear_object (&fixture->signer);
  g_free (fixture->jwks_path);
  g_free (fixture->token_path);
  g_free (fixture->dir);
}

/* Runs jose on token with the given JWKS (NULL: the fixture signer's) and issuer. Returns
 * the parsed stdout on success, NULL when jose rejected the token (with its complaint in
 * *out_stderr). */
static JsonObject *
run_jose_with (Fixture *fixture,
               const char *jwks_json,
               const char *issuer,
               const char *token,
               const char *audience,
               char **out_stderr)
{
  g_autofree char *own_jwks_json = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  int status = 0;
  const char *argv[] = {
    "node", script_path (), fixture->jwks_path, fixture->token_path, issuer, audience, NULL
  };

  if (jwks_json == NULL)
    {
      g_autoptr (JsonNode) jwks = globi_token_signer_dup_jwks (fixture->signer);

      jwks_json = own_jwks_json = json_to_string (jwks, FALSE);
    }
  g_assert_true (g_file_set_contents (fixture->jwks_path, jwks_json, -1, &error));
  g_assert_true (g_file_set_contents (fixture->token_path, token, -1, &error));
  g_assert_no_error (error);

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      /* 1 is "rejected"; anything else is a broken setup, not an answer. */
      g_assert_true (WIFEXITED (status));
      if (WEXITSTATUS (status) != 1)
        g_error ("verify-jwt.mjs failed (%d): %s", WEXITSTATUS (status), err);
      g_assert_true (g_str_has_prefix (err, "rejected: "));
      if (out_stderr != NULL)
        *out_stderr = g_steal_pointer (&err);
      return NULL;
    }
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static JsonObject *
run_jose (Fixture *fixture, const char *token, const char *audience, char **out_stderr)
{
  return run_jose_with (fixture, NULL, ISSUER, token, audience, out_stderr);
}

static void
test_interop_verifies (Fixture *fixture, gconstpointer user_data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *token =
      globi_token_signer_issue (fixture->signer, "user-1234", "device-5678", now, NULL);
  g_autoptr (JsonObject) result = run_jose (fixture, token, AUDIENCE, NULL);
  JsonObject *payload, *header;

  g_assert_nonnull (result);
  payload = json_object_get_object_member (result, "payload");
  header = json_object_get_object_member (result, "header");
  g_assert_cmpstr (json_object_get_string_member (payload, "sub"), ==, "user-1234");
  g_assert_cmpstr (json_object_get_string_member (payload, "did"), ==, "device-5678");
  g_assert_cmpstr (json_object_get_string_member (payload, "iss"), ==, ISSUER);
  g_assert_cmpstr (json_object_get_string_member (payload, "aud"), ==, AUDIENCE);
  g_assert_cmpint (json_object_get_int_member (payload, "exp"), ==, now + LIFETIME);
  g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, "EdDSA");
}

static void
test_interop_tampered (Fixture *fixture, gconstpointer user_data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *token =
      globi_token_signer_issue (fixture->signer, "user-1234", "device-5678", now, NULL);
  g_auto (GStrv) parts = g_strsplit (token, ".", -1);
  g_autoptr (GBytes) claims = globi_base64url_decode (parts[1], strlen (parts[1]), NULL);
  g_autofree char *claims_text =
      g_strndup (g_bytes_get_data (claims, NULL), g_bytes_get_size (claims));
  g_autoptr (GString) forged_claims = g_string_new (claims_text);
  g_autofree char *forged_b64 = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *complaint = NULL;
  g_autoptr (JsonObject) result = NULL;

  /* Same length, other user: only the signature can tell. */
  g_assert_cmpuint (g_string_replace (forged_claims, "user-1234", "user-9999", 1), ==, 1);
  forged_b64 = globi_base64url_encode ((const guint8 *) forged_claims->str, forged_claims->len);
  forged = g_strdup_printf ("%s.%s.%s", parts[0], forged_b64, parts[2]);

  result = run_jose (fixture, forged, AUDIENCE, &complaint);
  g_assert_null (result);
  g_assert_nonnull (strstr (complaint, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"));
}

static void
test_interop_rejections (Fixture *fixture, gconstpointer user_data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *expired =
      globi_token_signer_issue (fixture->signer, "u", "d", now - 2 * LIFETIME, NULL);
  g_autofree char *fresh = globi_token_signer_issue (fixture->signer, "u", "d", now, NULL);
  g_autoptr (GlobiTokenSigner) stranger = globi_token_signer_new (ISSUER, AUDIENCE, LIFETIME);
  g_autofree char *foreign = NULL;
  g_autofree char *complaint = NULL;

  g_assert_null (run_jose (fixture, expired, AUDIENCE, &complaint));
  g_assert_nonnull (strstr (complaint, "ERR_JWT_EXPIRED"));
  g_clear_pointer (&complaint, g_free);

  /* jose really checks the audience we ask for. */
  g_assert_null (run_jose (fixture, fresh, "someone-else", &complaint));
  g_assert_nonnull (strstr (complaint, "ERR_JWT_CLAIM_VALIDATION_FAILED"));
  g_clear_pointer (&complaint, g_free);

  /* Signed by a key the JWKS does not hold. */
  globi_token_signer_generate_key (stranger);
  foreign = globi_token_signer_issue (stranger, "u", "d", now, NULL);
  g_assert_null (run_jose (fixture, foreign, AUDIENCE, &complaint));
  g_assert_nonnull (strstr (complaint, "ERR_JWKS_NO_MATCHING_KEY"));
}

static void
test_interop_rotation (Fixture *fixture, gconstpointer user_data)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *old_token = globi_token_signer_issue (fixture->signer, "u-old", "d", now, NULL);
  g_autofree char *new_token = NULL;
  g_autoptr (JsonObject) old_result = NULL;
  g_autoptr (JsonObject) new_result = NULL;

  g_assert_true (globi_token_signer_rotate (fixture->signer, NULL));
  new_token = globi_token_signer_issue (fixture->signer, "u-new", "d", now, NULL);

  /* The published JWKS after a rotation still verifies tokens of the retired key. */
  old_result = run_jose (fixture, old_token, AUDIENCE, NULL);
  new_result = run_jose (fixture, new_token, AUDIENCE, NULL);
  g_assert_nonnull (old_result);
  g_assert_nonnull (new_result);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (old_result, "payload"), "sub"),
      ==, "u-old");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (new_result, "payload"), "sub"),
      ==, "u-new");
}


#ifdef GLOBI_HAVE_SERVER
static GBytes *
http (SoupSession *session,
      const char *method,
      const char *url,
      const char *json,
      guint expected_status)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) error = NULL;
  GBytes *reply;

  if (json != NULL)
    {
      g_autoptr (GBytes) body = g_bytes_new (json, strlen (json));

      soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, expected_status);
  return reply;
}

static JsonObject *
parse_object (GBytes *bytes)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                              &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* The whole path a third party takes: a token from POST /v1/sessions of a real server,
 * verified with the JWKS that server publishes at /.well-known/jwks.json. */
static void
test_interop_real_server (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GlobiServerThread) server = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("globi-interop-server-XXXXXX", &error);
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  g_autofree char *jwks_json = NULL;
  g_autofree char *complaint = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (JsonObject) tokens = NULL;
  g_autoptr (JsonObject) result = NULL;
  JsonObject *payload;
  const char *token;

  g_assert_no_error (error);
  g_free (config->data_dir);
  config->data_dir = g_strdup (data_dir);
  config->port = 0;
  config->argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  config->argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  server = globi_server_thread_new (config, &error);
  g_assert_no_error (error);
  base = globi_server_thread_dup_base_url (server);

  url = g_strconcat (base, "/v1/accounts", NULL);
  g_clear_pointer (&reply, g_bytes_unref);
  reply = http (session, "POST", url,
                "{\"username\":\"interop\",\"password\":\"correct horse battery staple\","
                "\"display_name\":\"Interop\"}",
                201);
  g_clear_pointer (&url, g_free);
  g_clear_pointer (&reply, g_bytes_unref);

  url = g_strconcat (base, "/v1/sessions", NULL);
  reply = http (session, "POST", url,
                "{\"username\":\"interop\",\"password\":\"correct horse battery staple\","
                "\"device_name\":\"jose\"}",
                200);
  tokens = parse_object (reply);
  g_clear_pointer (&url, g_free);
  g_clear_pointer (&reply, g_bytes_unref);
  token = json_object_get_string_member (tokens, "access_token");

  url = g_strconcat (base, "/.well-known/jwks.json", NULL);
  reply = http (session, "GET", url, NULL, 200);
  jwks_json = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));

  /* Without a configured issuer the server's base URL is the issuer. */
  result = run_jose_with (fixture, jwks_json, base, token, AUDIENCE, NULL);
  g_assert_nonnull (result);
  payload = json_object_get_object_member (result, "payload");
  g_assert_cmpstr (json_object_get_string_member (payload, "sub"), ==,
                   json_object_get_string_member (tokens, "user_id"));
  g_assert_cmpstr (json_object_get_string_member (payload, "did"), ==,
                   json_object_get_string_member (tokens, "device_id"));
  g_assert_cmpstr (json_object_get_string_member (payload, "iss"), ==, base);

  /* And jose refuses it for another issuer. */
  g_assert_null (
      run_jose_with (fixture, jwks_json, "https://elsewhere.example", token, AUDIENCE, &complaint));
  g_assert_nonnull (strstr (complaint, "ERR_JWT_CLAIM_VALIDATION_FAILED"));

  globi_server_thread_stop (server);
  g_clear_object (&server);
  globi_test_remove_tree (data_dir);
}
#endif

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add ("/globi/backend/jwt-interop/jose-verifies", Fixture, NULL, fixture_set_up,
              test_interop_verifies, fixture_tear_down);
  g_test_add ("/globi/backend/jwt-interop/jose-rejects-tampered", Fixture, NULL, fixture_set_up,
              test_interop_tampered, fixture_tear_down);
  g_test_add ("/globi/backend/jwt-interop/jose-rejections", Fixture, NULL, fixture_set_up,
              test_interop_rejections, fixture_tear_down);
  g_test_add ("/globi/backend/jwt-interop/jose-after-rotation", Fixture, NULL, fixture_set_up,
              test_interop_rotation, fixture_tear_down);
#ifdef GLOBI_HAVE_SERVER
  g_test_add ("/globi/backend/jwt-interop/jose-real-server", Fixture, NULL, fixture_set_up,
              test_interop_real_server, fixture_tear_down);
#endif
  return g_test_run ();
}
