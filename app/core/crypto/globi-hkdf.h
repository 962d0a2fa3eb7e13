/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GLOBI_HKDF_SHA256_MAX_OUTPUT (255 * 32)

/* HKDF-SHA256 (RFC 5869) over libsodium's HMAC-SHA256: libsodium 1.0.18 has no HKDF.
 * A NULL or empty salt means HashLen zero bytes, as the RFC says. okm_len is at most
 * GLOBI_HKDF_SHA256_MAX_OUTPUT. */
void globi_hkdf_sha256_extract (const guint8 *salt,
                                gsize         salt_len,
                                const guint8 *ikm,
                                gsize         ikm_len,
                                guint8        prk[32]);
void globi_hkdf_sha256_expand  (const guint8  prk[32],
                                const guint8 *info,
                                gsize         info_len,
                                guint8       *okm,
                                gsize         okm_len);
void globi_hkdf_sha256         (const guint8 *salt,
                                gsize         salt_len,
                                const guint8 *ikm,
                                gsize         ikm_len,
                                const guint8 *info,
                                gsize         info_len,
                                guint8       *okm,
                                gsize         okm_len);

G_END_DECLS
