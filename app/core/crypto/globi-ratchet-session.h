/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "globi-identity.h"

G_BEGIN_DECLS

/* The wire "type" of an envelope's ciphertext (docs/protocol.md, Messages). */
typedef enum
{
  GLOBI_CIPHERTEXT_MESSAGE, /* "message": a Double Ratchet message */
  GLOBI_CIPHERTEXT_PREKEY,  /* "prekey": X3DH header + the ratchet message inside */
} GlobiCiphertextType;

const char *globi_ciphertext_type_to_string   (GlobiCiphertextType  type);
gboolean    globi_ciphertext_type_from_string (const char          *text,
                                               GlobiCiphertextType *type);

/* A pairwise session with one remote device: X3DH to start, then the Double Ratchet.
 * Until the initiator has heard back, every message it encrypts is a "prekey" message
 * (the responder may get any of them first). decrypt() is all or nothing: on any error
 * the session is exactly as before. Persist globi_ratchet_session_serialize() after each
 * successful encrypt or decrypt, with the message, in one transaction. */
#define GLOBI_TYPE_RATCHET_SESSION (globi_ratchet_session_get_type ())

G_DECLARE_FINAL_TYPE (GlobiRatchetSession, globi_ratchet_session, GLOBI, RATCHET_SESSION, GObject)

#define GLOBI_RATCHET_MAX_SKIP       1000 /* skipped message keys per chain */
#define GLOBI_RATCHET_MAX_SKIP_TOTAL 2000 /* kept at most; the oldest go first */

/* X3DH as the initiator, from a Bundle as GET /v1/keys/{user_id} returns it. The user ids
 * go into the associated data with both identity keys. */
GlobiRatchetSession *globi_ratchet_session_new_initiator (GlobiIdentity  *identity,
                                                          const char     *local_user_id,
                                                          const char     *remote_user_id,
                                                          JsonObject     *bundle,
                                                          GError        **error);
/* X3DH as the responder from a "prekey" ciphertext: consumes the one-time prekey it names
 * from identity (persist identity too) and returns the first plaintext. On error neither
 * identity nor anything else changed. */
GlobiRatchetSession *globi_ratchet_session_new_responder (GlobiIdentity  *identity,
                                                          const char     *local_user_id,
                                                          const char     *remote_user_id,
                                                          GBytes         *prekey_message,
                                                          GBytes        **plaintext,
                                                          GError        **error);
GlobiRatchetSession *globi_ratchet_session_new_from_bytes (GBytes        *state,
                                                          GError        **error);
GBytes              *globi_ratchet_session_serialize      (GlobiRatchetSession *self);

GBytes              *globi_ratchet_session_encrypt        (GlobiRatchetSession *self,
                                                          GBytes              *plaintext,
                                                          GlobiCiphertextType *type);
/* Either type. A "prekey" ciphertext that belongs to another X3DH run than this session's
 * fails with GLOBI_CRYPTO_ERROR_UNKNOWN_KEY: start a responder session from it instead. */
GBytes              *globi_ratchet_session_decrypt        (GlobiRatchetSession *self,
                                                          GlobiCiphertextType  type,
                                                          GBytes              *ciphertext,
                                                          GError             **error);

/* The remote device's Ed25519 identity key (GLOBI_KEY_SIZE bytes), for safety numbers. */
const guint8        *globi_ratchet_session_get_remote_identity_key (GlobiRatchetSession *self);
const char          *globi_ratchet_session_get_remote_user_id      (GlobiRatchetSession *self);
/* The X3DH run's base key (the initiator's ephemeral EK_A, 32 bytes). Both ends of one
 * session have the same one, so it names the run when two were started at once. */
const guint8        *globi_ratchet_session_get_base_key            (GlobiRatchetSession *self);
/* TRUE until the initiator has decrypted a reply. */
gboolean             globi_ratchet_session_get_prekey_pending      (GlobiRatchetSession *self);

G_END_DECLS
