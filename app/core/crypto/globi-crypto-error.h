/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Failures of end-to-end encryption. None of them crosses the wire: a message that fails
 * here is dropped (or kept for a later retry) by the client, and the state is unchanged. */
#define GLOBI_CRYPTO_ERROR (globi_crypto_error_quark ())

typedef enum
{
  GLOBI_CRYPTO_ERROR_INVALID_MESSAGE,   /* malformed bytes, wrong version, bad bundle */
  GLOBI_CRYPTO_ERROR_BAD_MAC,           /* authentication failed: tampered or wrong key */
  GLOBI_CRYPTO_ERROR_DUPLICATE,         /* this message was already decrypted (replay) */
  GLOBI_CRYPTO_ERROR_TOO_MANY_SKIPPED,  /* more than MAX_SKIP keys would have to be skipped */
  GLOBI_CRYPTO_ERROR_UNKNOWN_KEY,       /* prekey, sender key or session this does not match */
  GLOBI_CRYPTO_ERROR_INVALID_SIGNATURE, /* a signed prekey or group message signature is wrong */
  GLOBI_CRYPTO_ERROR_CORRUPT_STATE,     /* serialised state that does not parse */
} GlobiCryptoErrorCode;

GQuark globi_crypto_error_quark (void);

G_END_DECLS
