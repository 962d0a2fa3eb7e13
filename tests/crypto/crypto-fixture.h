/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-crypto.h"

G_BEGIN_DECLS

/* What GET /v1/keys/{user_id} would hand out for identity: its signed prekey and, when
 * with_one_time, one of its one-time prekeys (newly generated, as the server holds them). */
JsonObject *crypto_fixture_bundle      (GlobiIdentity *identity,
                                        gboolean       with_one_time);
GBytes     *crypto_fixture_text        (const char    *text);
void        crypto_fixture_assert_text (GBytes        *bytes,
                                        const char    *text);

G_END_DECLS
