/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define GLOBI_KEY_SIZE       32
#define GLOBI_SIGNATURE_SIZE 64

/* One device's private keys: the Ed25519 identity key pair (its X25519 form does the
 * Diffie-Hellman), the current signed prekey (and the one before it, kept for prekey
 * messages still in flight after a rotation) and the unused one-time prekeys. Pure state:
 * the caller persists globi_identity_serialize() whenever a call changed it (generating
 * prekeys, rotating, and globi_ratchet_session_new_responder() consuming a one-time
 * prekey), in the same transaction as whatever else that call produced. */
#define GLOBI_TYPE_IDENTITY (globi_identity_get_type ())

G_DECLARE_FINAL_TYPE (GlobiIdentity, globi_identity, GLOBI, IDENTITY, GObject)

GlobiIdentity *globi_identity_new                      (gint64          now_ms);
GlobiIdentity *globi_identity_new_from_bytes           (GBytes         *state,
                                                        GError        **error);
GBytes        *globi_identity_serialize                (GlobiIdentity  *self);

/* The Ed25519 identity public key, GLOBI_KEY_SIZE bytes. */
const guint8  *globi_identity_get_public_key           (GlobiIdentity  *self);
guint32        globi_identity_get_signed_prekey_id     (GlobiIdentity  *self);
gint64         globi_identity_get_signed_prekey_created (GlobiIdentity *self);
/* A new signed prekey (the next id); the previous one still answers prekey messages. */
void           globi_identity_rotate_signed_prekey     (GlobiIdentity  *self,
                                                        gint64          now_ms);
/* n new one-time prekeys; returns their public halves as [{"id", "key"}] for
 * POST /v1/keys/one-time (or the one_time_prekeys of PUT /v1/keys). */
JsonArray     *globi_identity_generate_one_time_prekeys (GlobiIdentity *self,
                                                        guint           n);
guint          globi_identity_get_n_one_time_prekeys   (GlobiIdentity  *self);
/* The body of PUT /v1/keys: {"identity_key", "signed_prekey": {"id", "key", "signature"}},
 * plus "one_time_prekeys" when one_time_prekeys is not NULL (not consumed). */
JsonObject    *globi_identity_build_keys_upload        (GlobiIdentity  *self,
                                                        JsonArray      *one_time_prekeys);

/* Checks a Bundle of docs/protocol.md (base64url keys, signature of the signed prekey by
 * the identity key): GLOBI_CRYPTO_ERROR_INVALID_MESSAGE or _INVALID_SIGNATURE. */
gboolean       globi_bundle_verify                     (JsonObject     *bundle,
                                                        GError        **error);

G_END_DECLS
