/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "globi-ratchet-session.h"

G_BEGIN_DECLS

/* A sender key for one group: a chain key and an Ed25519 signing key of one sender
 * device. The sender's own copy (globi_sender_key_new) encrypts; the copy every member
 * builds from the distribution message (sent to each member device over the pairwise
 * sessions) decrypts. One group message is encrypted once for all members and signed.
 * When a member leaves or is removed, the remaining senders make a new key with the next
 * key id and distribute it: the removed member's copy cannot derive it. decrypt() is all
 * or nothing, like the ratchet's. */
#define GLOBI_TYPE_SENDER_KEY (globi_sender_key_get_type ())

G_DECLARE_FINAL_TYPE (GlobiSenderKey, globi_sender_key, GLOBI, SENDER_KEY, GObject)

#define GLOBI_SENDER_KEY_MAX_SKIP 1000

GlobiSenderKey *globi_sender_key_new                   (const char      *group_id,
                                                        guint32          key_id);
GlobiSenderKey *globi_sender_key_new_from_distribution (GBytes          *distribution,
                                                        GError         **error);
GlobiSenderKey *globi_sender_key_new_from_bytes        (GBytes          *state,
                                                        GError         **error);
GBytes         *globi_sender_key_serialize             (GlobiSenderKey  *self);

/* Own key only: the distribution message (plaintext; it travels inside a pairwise
 * session's ciphertext, envelope type "sender_key"), starting at the current iteration. */
GBytes         *globi_sender_key_create_distribution   (GlobiSenderKey  *self);
/* Own key only: the group_ciphertext of POST /v1/messages. */
GBytes         *globi_sender_key_encrypt               (GlobiSenderKey  *self,
                                                        GBytes          *plaintext);
/* Received keys only. */
GBytes         *globi_sender_key_decrypt               (GlobiSenderKey  *self,
                                                        GBytes          *ciphertext,
                                                        GError         **error);

gboolean        globi_sender_key_is_own                (GlobiSenderKey  *self);
const char     *globi_sender_key_get_group_id          (GlobiSenderKey  *self);
guint32         globi_sender_key_get_key_id            (GlobiSenderKey  *self);
guint32         globi_sender_key_get_iteration         (GlobiSenderKey  *self);

/* The key id a group ciphertext names, to pick the state to decrypt it with. */
gboolean        globi_sender_key_message_peek_key_id   (GBytes          *ciphertext,
                                                        guint32         *key_id,
                                                        GError         **error);

/* An envelope of type "sender_key" carries a distribution encrypted with the pairwise
 * session, which may itself be a "prekey" or a "message" ciphertext: the envelope's bytes
 * are one byte naming that inner type (0 message, 1 prekey) and then the ciphertext. */
GBytes         *globi_sender_key_envelope_join         (GlobiCiphertextType  inner_type,
                                                        GBytes              *inner);
gboolean        globi_sender_key_envelope_split        (GBytes              *envelope,
                                                        GlobiCiphertextType *inner_type,
                                                        GBytes             **inner,
                                                        GError             **error);

G_END_DECLS
