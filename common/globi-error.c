/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-error"

#include "config.h"

#include "globi-error.h"

/* Numbers a reply carries beside its code (docs/protocol.md), kept on the GError so the
 * UI can say "2 attempts left" or "try again in 40 s" without parsing messages. */
typedef struct
{
  gint64 retry_after_s;
  int attempts_left;
} GlobiErrorPrivate;

static void
globi_error_private_init (GlobiErrorPrivate *priv)
{
  priv->retry_after_s = -1;
  priv->attempts_left = -1;
}

static void
globi_error_private_copy (const GlobiErrorPrivate *src, GlobiErrorPrivate *dest)
{
  *dest = *src;
}

static void
globi_error_private_clear (GlobiErrorPrivate *priv)
{
}

/* clang-format off */
G_DEFINE_EXTENDED_ERROR (GlobiError, globi_error)
/* clang-format on */

gint64
globi_error_get_retry_after (const GError *error)
{
  GlobiErrorPrivate *priv =
      error && error->domain == GLOBI_ERROR ? globi_error_get_private (error) : NULL;

  return priv ? priv->retry_after_s : -1;
}

int
globi_error_get_attempts_left (const GError *error)
{
  GlobiErrorPrivate *priv =
      error && error->domain == GLOBI_ERROR ? globi_error_get_private (error) : NULL;

  return priv ? priv->attempts_left : -1;
}

void
globi_error_set_details (GError *error, gint64 retry_after_s, int attempts_left)
{
  GlobiErrorPrivate *priv = NULL;

  g_return_if_fail (error != NULL && error->domain == GLOBI_ERROR);

  priv = globi_error_get_private (error);
  priv->retry_after_s = retry_after_s;
  priv->attempts_left = attempts_left;
}

static const struct
{
  GlobiErrorCode code;
  guint status;
  const char *wire;
} error_table[] = {
  { GLOBI_ERROR_INTERNAL, 500, "internal" },
  { GLOBI_ERROR_BAD_REQUEST, 400, "bad_request" },
  { GLOBI_ERROR_INVALID_FIELD, 400, "invalid_field" },
  { GLOBI_ERROR_UNAUTHORIZED, 401, "unauthorized" },
  { GLOBI_ERROR_INVALID_CREDENTIALS, 401, "invalid_credentials" },
  { GLOBI_ERROR_TOKEN_REUSED, 401, "token_reused" },
  { GLOBI_ERROR_FORBIDDEN, 403, "forbidden" },
  { GLOBI_ERROR_NOT_FOUND, 404, "not_found" },
  { GLOBI_ERROR_METHOD_NOT_ALLOWED, 405, "method_not_allowed" },
  { GLOBI_ERROR_CONFLICT, 409, "conflict" },
  { GLOBI_ERROR_TOO_LARGE, 413, "too_large" },
  { GLOBI_ERROR_UNSUPPORTED_MEDIA, 415, "unsupported_media_type" },
  { GLOBI_ERROR_RATE_LIMITED, 429, "rate_limited" },
  { GLOBI_ERROR_UNAVAILABLE, 503, "unavailable" },
  { GLOBI_ERROR_NETWORK, 0, "network" },
  { GLOBI_ERROR_GROUP_FULL, 409, "group_full" },
  { GLOBI_ERROR_STALE_DEVICES, 409, "stale_devices" },
  { GLOBI_ERROR_BLOCKED, 403, "blocked" },
  { GLOBI_ERROR_INSUFFICIENT_FUNDS, 409, "insufficient_funds" },
  { GLOBI_ERROR_PIN_REQUIRED, 403, "pin_required" },
  { GLOBI_ERROR_WRONG_PIN, 401, "wrong_pin" },
  { GLOBI_ERROR_PIN_LOCKED, 423, "pin_locked" },
};

guint
globi_error_code_to_status (GlobiErrorCode code)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_table); i++)
    if (error_table[i].code == code)
      return error_table[i].status ? error_table[i].status : 500;
  return 500;
}

const char *
globi_error_code_to_string (GlobiErrorCode code)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_table); i++)
    if (error_table[i].code == code)
      return error_table[i].wire;
  return "internal";
}

GlobiErrorCode
globi_error_code_from_string (const char *wire_code)
{
  if (wire_code != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (error_table); i++)
      if (g_str_equal (error_table[i].wire, wire_code))
        return error_table[i].code;
  return GLOBI_ERROR_INTERNAL;
}

/* For replies that carry no JSON error object (a proxy's 502, say). */
GlobiErrorCode
globi_error_code_from_status (guint status)
{
  switch (status)
    {
      case 400:
        return GLOBI_ERROR_BAD_REQUEST;
      case 401:
        return GLOBI_ERROR_UNAUTHORIZED;
      case 403:
        return GLOBI_ERROR_FORBIDDEN;
      case 404:
        return GLOBI_ERROR_NOT_FOUND;
      case 405:
        return GLOBI_ERROR_METHOD_NOT_ALLOWED;
      case 409:
        return GLOBI_ERROR_CONFLICT;
      case 413:
        return GLOBI_ERROR_TOO_LARGE;
      case 415:
        return GLOBI_ERROR_UNSUPPORTED_MEDIA;
      case 423:
        return GLOBI_ERROR_PIN_LOCKED;
      case 429:
        return GLOBI_ERROR_RATE_LIMITED;
      case 502:
      case 503:
      case 504:
        return GLOBI_ERROR_UNAVAILABLE;
      default:
        return GLOBI_ERROR_INTERNAL;
    }
}
