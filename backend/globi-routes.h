/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-request.h"
#include "globi-store-accounts.h"

G_BEGIN_DECLS

/* Route handlers: plain functions grouped by concern (accounts, profile, meta). Each
 * replies through its GlobiRequest, at once or from a callback. */
typedef void (*GlobiRouteHandler) (GlobiRequest *req);

/* globi-routes-meta.c */
void globi_routes_healthz         (GlobiRequest *req);
void globi_routes_metrics         (GlobiRequest *req);
void globi_routes_jwks            (GlobiRequest *req);

/* globi-routes-accounts.c */
void globi_routes_register        (GlobiRequest *req);
void globi_routes_sign_in         (GlobiRequest *req);
void globi_routes_refresh         (GlobiRequest *req);
void globi_routes_sign_out        (GlobiRequest *req);
void globi_routes_list_devices    (GlobiRequest *req);
void globi_routes_revoke_device   (GlobiRequest *req);
void globi_routes_change_password (GlobiRequest *req);

/* globi-routes-profile.c */
void globi_routes_get_me          (GlobiRequest *req);
void globi_routes_patch_me        (GlobiRequest *req);
void globi_routes_put_avatar      (GlobiRequest *req);
void globi_routes_delete_avatar   (GlobiRequest *req);
void globi_routes_get_blob        (GlobiRequest *req);
void globi_routes_get_user        (GlobiRequest *req);
void globi_routes_lookup_user     (GlobiRequest *req);

/* Shared by the route files. */
JsonNode *globi_routes_user_to_json    (const GlobiUserRow *row,
                                        gboolean            me);
/* {"user": User or Me} */
void      globi_routes_reply_user      (GlobiRequest       *req,
                                        guint               status,
                                        const GlobiUserRow *row,
                                        gboolean            me);
/* 429 with Retry-After. */
void      globi_routes_reply_limited   (GlobiRequest       *req,
                                        guint               retry_after_s);
gboolean  globi_routes_currency_is_known (const char       *code);

G_END_DECLS
