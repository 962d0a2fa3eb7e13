/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-request.h"
#include "globi-store-accounts.h"
#include "globi-store-social.h"

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

/* globi-routes-messaging.c */
void globi_routes_put_keys        (GlobiRequest *req);
void globi_routes_add_prekeys     (GlobiRequest *req);
void globi_routes_count_prekeys   (GlobiRequest *req);
void globi_routes_fetch_keys      (GlobiRequest *req);
void globi_routes_send_message    (GlobiRequest *req);
void globi_routes_poll_events     (GlobiRequest *req);
void globi_routes_ack_events      (GlobiRequest *req);
void globi_routes_put_attachment  (GlobiRequest *req);
void globi_routes_get_attachment  (GlobiRequest *req);

/* The largest POST /v1/messages body, and the largest frame a stream takes (its sends
 * carry the same bodies): 2 MiB or max-body-bytes if larger. */
#define GLOBI_MESSAGE_MAX_BODY (2 * 1024 * 1024)
gsize globi_routes_message_body_limit  (const GlobiServerConfig *config);

/* A send's answer: the status and JSON body POST /v1/messages replies with. */
typedef void (*GlobiSendDoneFunc) (guint    status,
                                   GBytes  *body,
                                   gpointer user_data);
/* The one path of a message send, for POST /v1/messages and the stream's send frames:
 * checks message (the request body) as the route does, stores it with the writer and,
 * after the commit, hands the events to the hub; then calls done once (at once when the
 * checks fail). route names the path in logs and metrics and outlives the send. Main
 * context only. */
void  globi_routes_send_message_object (GlobiServer       *server,
                                        const char        *route,
                                        const char        *user_id,
                                        const char        *device_id,
                                        JsonObject        *message,
                                        GlobiSendDoneFunc  done,
                                        gpointer           user_data);

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
/* Avatars (mine and groups'): replies 400/415 and returns FALSE unless the body is a
 * PNG, JPEG or WebP declared as such. */
gboolean  globi_routes_check_avatar_body   (GlobiRequest        *req);
/* Decodes, thumbnails and stores the body's image as blobs on a worker thread. */
void      globi_routes_store_avatar_async  (GlobiRequest        *req,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean  globi_routes_store_avatar_finish (GAsyncResult        *result,
                                            char               **out_hash,
                                            char               **out_thumb_hash,
                                            GError             **error);

/* globi-routes-social.c: friends, requests, blocks */
void globi_routes_send_friend_request    (GlobiRequest *req);
void globi_routes_list_friend_requests   (GlobiRequest *req);
void globi_routes_accept_friend_request  (GlobiRequest *req);
void globi_routes_decline_friend_request (GlobiRequest *req);
void globi_routes_list_friends           (GlobiRequest *req);
void globi_routes_patch_friend           (GlobiRequest *req);
void globi_routes_delete_friend          (GlobiRequest *req);
void globi_routes_put_block              (GlobiRequest *req);
void globi_routes_delete_block           (GlobiRequest *req);
void globi_routes_list_blocks            (GlobiRequest *req);

/* globi-routes-groups.c */
void globi_routes_create_group           (GlobiRequest *req);
void globi_routes_list_groups            (GlobiRequest *req);
void globi_routes_get_group              (GlobiRequest *req);
void globi_routes_patch_group            (GlobiRequest *req);
void globi_routes_put_group_avatar       (GlobiRequest *req);
void globi_routes_add_group_members      (GlobiRequest *req);
void globi_routes_remove_group_member    (GlobiRequest *req);
void globi_routes_put_group_admin        (GlobiRequest *req);
void globi_routes_delete_group_admin     (GlobiRequest *req);
void globi_routes_transfer_group_owner   (GlobiRequest *req);
void globi_routes_create_group_invite    (GlobiRequest *req);
void globi_routes_revoke_group_invite    (GlobiRequest *req);
void globi_routes_join_group             (GlobiRequest *req);

/* Shared by the social and group routes (globi-routes-social.c). */
GlobiSocialArgs *globi_routes_social_args      (GlobiRequest       *req);
/* Runs a social store job and replies with its result, waking the devices it wrote to. */
void             globi_routes_social_run       (GlobiRequest       *req,
                                                GlobiStoreFunc      func,
                                                GlobiSocialArgs    *args,
                                                gboolean            write);
/* Parses the body like globi_request_parse_json, except that the members named in
 * arrays must be JSON arrays (check them with globi_routes_social_string_list). */
JsonObject      *globi_routes_social_parse     (GlobiRequest       *req,
                                                const GlobiField   *fields,
                                                const char * const *arrays,
                                                GError            **error);
/* The array member name as strings (NULL without error when absent): at most max_items,
 * each min_chars–max_chars; ids: each a UUID, duplicates dropped; else duplicates are an
 * error. */
char           **globi_routes_social_string_list (JsonObject       *obj,
                                                  const char       *name,
                                                  guint             max_items,
                                                  guint             min_chars,
                                                  guint             max_chars,
                                                  gboolean          ids,
                                                  GError          **error);
/* A UUID path parameter, or NULL after replying 404. */
const char      *globi_routes_social_id_param  (GlobiRequest       *req,
                                                guint               index);

/* globi-routes-link.c: device linking (QR login) */
void globi_routes_link_create            (GlobiRequest *req);
void globi_routes_link_poll              (GlobiRequest *req);
void globi_routes_link_scan              (GlobiRequest *req);
void globi_routes_link_approve           (GlobiRequest *req);
void globi_routes_link_decline           (GlobiRequest *req);

/* globi-routes-cards.c: friend cards */
void     globi_routes_get_my_card          (GlobiRequest *req);
void     globi_routes_reset_my_card        (GlobiRequest *req);
void     globi_routes_resolve_card         (GlobiRequest *req);
/* 22–64 characters of base64url (what POST /v1/friends/requests accepts as "card"). */
gboolean globi_routes_card_is_well_formed  (const char   *card);

/* globi-routes-wallet.c: GlobiPay (docs/protocol.md, "Wallet") */
void globi_routes_wallet_start           (GlobiServer  *server);
void globi_routes_get_wallet             (GlobiRequest *req);
void globi_routes_put_wallet_pin         (GlobiRequest *req);
void globi_routes_create_transfer        (GlobiRequest *req);
void globi_routes_accept_transfer        (GlobiRequest *req);
void globi_routes_decline_transfer       (GlobiRequest *req);
void globi_routes_create_request         (GlobiRequest *req);
void globi_routes_pay_request            (GlobiRequest *req);
void globi_routes_decline_request        (GlobiRequest *req);
void globi_routes_create_red_packet      (GlobiRequest *req);
void globi_routes_claim_red_packet       (GlobiRequest *req);
void globi_routes_get_red_packet         (GlobiRequest *req);
void globi_routes_create_payment         (GlobiRequest *req);
void globi_routes_refund_payment         (GlobiRequest *req);
void globi_routes_list_transactions      (GlobiRequest *req);
void globi_routes_get_transaction        (GlobiRequest *req);
void globi_routes_get_rates              (GlobiRequest *req);

G_END_DECLS
