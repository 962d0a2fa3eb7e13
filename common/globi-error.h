/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One error domain for everything that crosses the wire. The server maps each code to an
 * HTTP status and a wire code ("invalid_field"); the client maps the wire code back, so
 * both ends speak the same enum. docs/protocol.md lists them. */
#define GLOBI_ERROR (globi_error_quark ())

typedef enum
{
  GLOBI_ERROR_INTERNAL,            /* 500 internal */
  GLOBI_ERROR_BAD_REQUEST,         /* 400 bad_request: malformed JSON or request */
  GLOBI_ERROR_INVALID_FIELD,       /* 400 invalid_field: unknown field, wrong type, over a limit */
  GLOBI_ERROR_UNAUTHORIZED,        /* 401 unauthorized: missing, expired or tampered token */
  GLOBI_ERROR_INVALID_CREDENTIALS, /* 401 invalid_credentials: wrong username or password */
  GLOBI_ERROR_TOKEN_REUSED,        /* 401 token_reused: a rotated refresh token came back */
  GLOBI_ERROR_FORBIDDEN,           /* 403 forbidden */
  GLOBI_ERROR_NOT_FOUND,           /* 404 not_found */
  GLOBI_ERROR_METHOD_NOT_ALLOWED,  /* 405 method_not_allowed */
  GLOBI_ERROR_CONFLICT,            /* 409 conflict: e.g. username taken */
  GLOBI_ERROR_TOO_LARGE,           /* 413 too_large */
  GLOBI_ERROR_UNSUPPORTED_MEDIA,   /* 415 unsupported_media_type */
  GLOBI_ERROR_RATE_LIMITED,        /* 429 rate_limited */
  GLOBI_ERROR_UNAVAILABLE,         /* 503 unavailable: shutting down or overloaded */
  GLOBI_ERROR_NETWORK,             /* client side only: the server could not be reached */
  GLOBI_ERROR_GROUP_FULL,          /* 409 group_full: a group already has its 500 members */
  GLOBI_ERROR_STALE_DEVICES,       /* 409 stale_devices: a message's device list is out of date */
  GLOBI_ERROR_BLOCKED,             /* 403 blocked: the other side blocked this user (or vice versa) */
  GLOBI_ERROR_INSUFFICIENT_FUNDS,  /* 409 insufficient_funds: the balance is below the amount */
  GLOBI_ERROR_PIN_REQUIRED,        /* 403 pin_required: no payment PIN set yet */
  GLOBI_ERROR_WRONG_PIN,           /* 401 wrong_pin: the payment PIN does not match */
  GLOBI_ERROR_PIN_LOCKED,          /* 423 pin_locked: too many wrong PINs; Retry-After */
} GlobiErrorCode;

GQuark         globi_error_quark           (void);
/* Details of a GLOBI_ERROR from the server: the seconds of its Retry-After (429, 423) and
 * the PIN attempts left (wrong_pin); -1 when the reply did not say. */
gint64         globi_error_get_retry_after  (const GError *error);
int            globi_error_get_attempts_left (const GError *error);
void           globi_error_set_details      (GError       *error,
                                             gint64        retry_after_s,
                                             int           attempts_left);
guint          globi_error_code_to_status  (GlobiErrorCode code);
const char    *globi_error_code_to_string  (GlobiErrorCode code);
GlobiErrorCode globi_error_code_from_string (const char *wire_code);
GlobiErrorCode globi_error_code_from_status (guint status);

G_END_DECLS
