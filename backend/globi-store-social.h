/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "globi-store.h"

G_BEGIN_DECLS

/* The SQL for friends, friend requests, blocks, remarks and tags, groups, members, roles
 * and invites. Jobs are GlobiStoreFuncs taking a GlobiSocialArgs and returning a
 * GlobiSocialResult: the reply body, already in the protocol's JSON (the same objects go
 * into the events the job appends), plus the devices to wake once the job has committed. */

#define GLOBI_GROUP_MAX_MEMBERS 500
#define GLOBI_INVITE_TTL_MS     (7 * 24 * G_GINT64_CONSTANT (3600000))

typedef struct
{
  char *user_id;          /* who asks */
  char *device_id;        /* the device asking */
  char *id;               /* request id or group id (client ids on creation) */
  char *other;            /* "to" (a user id or username), or the user a route acts on */
  char *greeting;
  char *card;             /* a friend card of "other" (lets a request past discoverable) */
  char *name;
  char *announcement;
  char *remark;           /* NULL: unchanged */
  char **tags;            /* NULL: unchanged */
  char **user_ids;        /* members to add */
  char *avatar_hash;
  char *avatar_thumb_hash;
  gboolean flag;          /* accept or decline; block or unblock; grant or revoke admin */
  guint8 token_hash[32];  /* BLAKE2b of an invite token */
  gint64 now_ms;
} GlobiSocialArgs;

typedef struct
{
  guint status;            /* HTTP status of the reply */
  JsonNode *reply;         /* NULL for 204 */
  GPtrArray *wake_devices; /* device ids with new events */
} GlobiSocialResult;

GlobiSocialArgs *globi_social_args_new    (void);
void             globi_social_args_free   (gpointer data);
void             globi_social_result_free (gpointer data);

/* Checks for the messaging engineer; each runs one indexed query on the given db. */
gboolean   globi_store_social_are_friends        (sqlite3 *db, const char *a, const char *b);
gboolean   globi_store_social_is_blocked_either  (sqlite3 *db, const char *a, const char *b);
gboolean   globi_store_social_is_member          (sqlite3 *db, const char *group_id,
                                                  const char *user_id);
/* GPtrArray of member id strings (owned). */
GPtrArray *globi_store_social_group_member_ids   (sqlite3 *db, const char *group_id,
                                                  GError **error);
gboolean   globi_store_social_shares_group       (sqlite3 *db, const char *a, const char *b);

/* Jobs (GlobiStoreFunc). Writes: */
/* id, other, greeting → 201 request, or 200 friend when the other had asked me. */
gpointer   globi_store_social_send_request       (sqlite3 *db, gpointer args, GError **e);
/* id, flag (accept/decline) → 200 friend / 204. */
gpointer   globi_store_social_answer_request     (sqlite3 *db, gpointer args, GError **e);
/* other, remark?, tags? → 200 friend. */
gpointer   globi_store_social_update_friend      (sqlite3 *db, gpointer args, GError **e);
/* other → 204. */
gpointer   globi_store_social_remove_friend      (sqlite3 *db, gpointer args, GError **e);
/* other, flag (block/unblock) → 204. */
gpointer   globi_store_social_set_block          (sqlite3 *db, gpointer args, GError **e);
/* id?, name, announcement?, user_ids → 201 group. */
gpointer   globi_store_social_create_group       (sqlite3 *db, gpointer args, GError **e);
/* id, name?, announcement? → 200 group. */
gpointer   globi_store_social_update_group       (sqlite3 *db, gpointer args, GError **e);
/* id, avatar_hash, avatar_thumb_hash → 200 group. */
gpointer   globi_store_social_set_group_avatar   (sqlite3 *db, gpointer args, GError **e);
/* id, user_ids → 200 group. */
gpointer   globi_store_social_add_members        (sqlite3 *db, gpointer args, GError **e);
/* id, other → 204 (leave or remove). */
gpointer   globi_store_social_remove_member      (sqlite3 *db, gpointer args, GError **e);
/* id, other, flag → 204. */
gpointer   globi_store_social_set_admin          (sqlite3 *db, gpointer args, GError **e);
/* id, other → 200 group. */
gpointer   globi_store_social_transfer_owner     (sqlite3 *db, gpointer args, GError **e);
/* id, token_hash (of a fresh token) → 201 {expires_at} (the route adds token and uri). */
gpointer   globi_store_social_create_invite      (sqlite3 *db, gpointer args, GError **e);
/* id, token_hash → 204. */
gpointer   globi_store_social_revoke_invite      (sqlite3 *db, gpointer args, GError **e);
/* token_hash → 200 group. */
gpointer   globi_store_social_join_group         (sqlite3 *db, gpointer args, GError **e);
/* Reads: */
gpointer   globi_store_social_list_requests      (sqlite3 *db, gpointer args, GError **e);
gpointer   globi_store_social_list_friends       (sqlite3 *db, gpointer args, GError **e);
gpointer   globi_store_social_list_blocks        (sqlite3 *db, gpointer args, GError **e);
gpointer   globi_store_social_list_groups        (sqlite3 *db, gpointer args, GError **e);
/* id → 204 when I am the group's owner or an admin; else 404 or 403. */
gpointer   globi_store_social_check_admin        (sqlite3 *db, gpointer args, GError **e);
/* id → 200 group with members; 404 when I am not a member. */
gpointer   globi_store_social_get_group          (sqlite3 *db, gpointer args, GError **e);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiSocialArgs, globi_social_args_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiSocialResult, globi_social_result_free)

G_END_DECLS
