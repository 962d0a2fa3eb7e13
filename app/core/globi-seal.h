/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Interim end-to-end sealing used by GlobiMessenger until the messenger is moved onto
 * app/core/crypto (X3DH + Double Ratchet + sender keys). Every envelope is an anonymous
 * X25519 sealed box to the recipient device's signed prekey, holding the sender device's
 * Ed25519 identity key and its signature over the plaintext; group messages are
 * XSalsa20-Poly1305 under a per-sender group key that travels in such envelopes. The
 * server sees ciphertext only; tampering fails the MAC or the signature. Private to
 * app/core. */

/* A new device key set: {"identity_pk", "identity_sk", "spk_id", "spk_pk", "spk_sk",
 * "spk_sig"} (base64url). */
JsonObject *globi_seal_generate_keys (void);
/* The PUT /v1/keys body for a key set. */
JsonNode   *globi_seal_keys_to_bundle (JsonObject  *keys);

/* Seals plaintext to a device's X25519 public key (base64url), signed with keys.
 * Returns base64url. */
char       *globi_seal_to_device      (JsonObject  *keys,
                                       const char  *device_key,
                                       const char  *plaintext,
                                       GError     **error);
/* Opens a sealed envelope with keys; sender_identity receives the sender device's
 * identity key (base64url). GLOBI_ERROR_BAD_REQUEST when it was tampered with. */
char       *globi_seal_open           (JsonObject  *keys,
                                       const char  *ciphertext,
                                       char       **sender_identity,
                                       GError     **error);
/* A fresh 32-byte group key, base64url. */
char       *globi_seal_new_group_key  (void);
char       *globi_seal_to_group       (JsonObject  *keys,
                                       const char  *group_key,
                                       const char  *plaintext,
                                       GError     **error);
char       *globi_seal_open_group     (const char  *group_key,
                                       const char  *ciphertext,
                                       char       **sender_identity,
                                       GError     **error);
/* 60 digits in 12 groups of 5 from two identity keys (order-independent). */
char       *globi_seal_safety_number  (const char  *identity_a,
                                       const char  *identity_b);

G_END_DECLS
