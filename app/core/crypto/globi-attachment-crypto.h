/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GLOBI_ATTACHMENT_KEY_SIZE    32
#define GLOBI_ATTACHMENT_DIGEST_SIZE 32
#define GLOBI_ATTACHMENT_CHUNK_SIZE  (64 * 1024)

/* Attachments: a fresh random key per file, XChaCha20-Poly1305 secretstream in chunks,
 * and the SHA-256 of the ciphertext. The key and digest travel inside the message (its
 * content JSON); the ciphertext goes to POST /v1/attachments. Run these on a worker
 * thread for big files. */
GBytes *globi_attachment_encrypt (GBytes        *plaintext,
                                  guint8         key[GLOBI_ATTACHMENT_KEY_SIZE],
                                  guint8         digest[GLOBI_ATTACHMENT_DIGEST_SIZE]);
/* Verifies the digest first, then every chunk and the final tag (truncation is caught). */
GBytes *globi_attachment_decrypt (GBytes        *ciphertext,
                                  const guint8   key[GLOBI_ATTACHMENT_KEY_SIZE],
                                  const guint8   digest[GLOBI_ATTACHMENT_DIGEST_SIZE],
                                  GError       **error);

G_END_DECLS
