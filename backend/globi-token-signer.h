/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Issues and verifies EdDSA (Ed25519) JWT access tokens (RFC 7519, RFC 8037) and
 * publishes the verifying keys as a JWKS. Keys persist under the data directory so tokens
 * survive a restart; retired keys stay in the JWKS until tokens they signed have expired.
 * Thread-safe: verification runs on whatever thread handles a request. */
#define GLOBI_TYPE_TOKEN_SIGNER (globi_token_signer_get_type ())
G_DECLARE_FINAL_TYPE (GlobiTokenSigner, globi_token_signer, GLOBI, TOKEN_SIGNER, GObject)

GlobiTokenSigner *globi_token_signer_new              (const char        *issuer,
                                                       const char        *audience,
                                                       guint              lifetime_seconds);
/* Loads the keys kept in key_dir (created 0700, key files 0600), making one on first run. */
gboolean          globi_token_signer_load_keys        (GlobiTokenSigner  *self,
                                                       const char        *key_dir,
                                                       GError           **error);
/* Keys only in memory: for tests and the embedded demo server. */
void              globi_token_signer_generate_key     (GlobiTokenSigner  *self);
/* A new signing key; the old one keeps verifying until its tokens expire. */
gboolean          globi_token_signer_rotate           (GlobiTokenSigner  *self,
                                                       GError           **error);
/* now_s: Unix seconds (callers pass the clock so tests can control it). */
char             *globi_token_signer_issue            (GlobiTokenSigner  *self,
                                                       const char        *user_id,
                                                       const char        *device_id,
                                                       gint64             now_s,
                                                       gint64            *out_expires_at_s);
/* GLOBI_ERROR_UNAUTHORIZED on any defect: format, alg, kid, signature, iss, aud, exp. */
gboolean          globi_token_signer_verify           (GlobiTokenSigner  *self,
                                                       const char        *token,
                                                       gint64             now_s,
                                                       char             **out_user_id,
                                                       char             **out_device_id,
                                                       GError           **error);
JsonNode         *globi_token_signer_dup_jwks         (GlobiTokenSigner  *self);
guint             globi_token_signer_get_lifetime     (GlobiTokenSigner  *self);

G_END_DECLS
