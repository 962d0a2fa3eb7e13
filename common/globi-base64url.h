/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Unpadded base64url (RFC 4648 §5), as JWTs and JWKs use it. */
char    *globi_base64url_encode (const guint8 *data,
                                 gsize         len);
GBytes  *globi_base64url_decode (const char   *text,
                                 gsize         text_len,
                                 GError      **error);

G_END_DECLS
