/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-store.h"

G_BEGIN_DECLS

/* The SQL for users, devices, refresh tokens and profiles. Every function is a
 * GlobiStoreFunc taking a GlobiAccountArgs; run writes with globi_store_write_async and
 * reads with globi_store_read_async. */

#define GLOBI_TOKEN_HASH_BYTES 32

typedef struct
{
  char *id;
  char *username;
  char *password_hash;
  char *display_name;
  char *bio;
  char *region;
  char *preferred_currency;
  char *language;
  char *who_can_add;
  char *avatar_hash;
  char *avatar_thumb_hash;
  gboolean discoverable;
  gint64 created_at;
} GlobiUserRow;

typedef struct
{
  char *id;
  char *name;
  char *platform;
  gint64 created_at;
  gint64 last_seen_at;
} GlobiDeviceRow;

typedef struct
{
  gboolean reused;     /* the token had been rotated: its device is now revoked */
  char *device_id;
  GlobiUserRow *user;
} GlobiRefreshResult;

/* A profile patch: NULL strings and discoverable < 0 leave a column as it is. */
typedef struct
{
  char *display_name;
  char *bio;
  char *region;
  char *preferred_currency;
  char *language;
  char *who_can_add;
  int discoverable;
} GlobiProfilePatch;

/* The arguments of every operation; each uses the fields it documents. */
typedef struct
{
  char *user_id;
  char *username;
  char *device_id;
  char *password_hash;
  char *display_name;
  char *device_name;
  char *device_platform;
  char *avatar_hash;
  char *avatar_thumb_hash;
  guint8 token_hash[GLOBI_TOKEN_HASH_BYTES];
  guint8 new_token_hash[GLOBI_TOKEN_HASH_BYTES];
  GlobiProfilePatch patch;
  gint64 now_ms;
} GlobiAccountArgs;

GlobiAccountArgs *globi_account_args_new        (void);
void              globi_account_args_free       (gpointer data);
void              globi_user_row_free           (gpointer data);
void              globi_device_row_free         (gpointer data);
void              globi_refresh_result_free     (gpointer data);
/* The stored form of an opaque refresh token. */
void              globi_refresh_token_hash      (const char *token,
                                                 guint8      out[GLOBI_TOKEN_HASH_BYTES]);

/* user_id, username, password_hash, display_name, now_ms → GlobiUserRow; CONFLICT. */
gpointer globi_store_accounts_create_user        (sqlite3 *db, gpointer args, GError **error);
/* username → GlobiUserRow with password_hash; NOT_FOUND. */
gpointer globi_store_accounts_get_by_username    (sqlite3 *db, gpointer args, GError **error);
/* user_id → GlobiUserRow; NOT_FOUND. */
gpointer globi_store_accounts_get_by_id          (sqlite3 *db, gpointer args, GError **error);
/* username (a discoverable user) or user_id (anyone) → GlobiUserRow; NOT_FOUND. */
gpointer globi_store_accounts_lookup             (sqlite3 *db, gpointer args, GError **error);
/* user_id, device_id, device_name, device_platform, token_hash, now_ms → GlobiUserRow. */
gpointer globi_store_accounts_create_session     (sqlite3 *db, gpointer args, GError **error);
/* token_hash (presented), new_token_hash, now_ms → GlobiRefreshResult; UNAUTHORIZED. */
gpointer globi_store_accounts_refresh            (sqlite3 *db, gpointer args, GError **error);
/* user_id, device_id, now_ms; NOT_FOUND when the device is not the user's. */
gpointer globi_store_accounts_revoke_device      (sqlite3 *db, gpointer args, GError **error);
/* user_id → GPtrArray of GlobiDeviceRow, newest first, revoked ones left out. */
gpointer globi_store_accounts_list_devices       (sqlite3 *db, gpointer args, GError **error);
/* user_id, device_id (kept), password_hash (new), now_ms → GPtrArray of revoked ids. */
gpointer globi_store_accounts_change_password    (sqlite3 *db, gpointer args, GError **error);
/* user_id, password_hash (the same password at the current cost), now_ms. */
gpointer globi_store_accounts_rehash             (sqlite3 *db, gpointer args, GError **error);
/* user_id, patch, now_ms → GlobiUserRow. */
gpointer globi_store_accounts_update_profile     (sqlite3 *db, gpointer args, GError **error);
/* user_id, avatar_hash and avatar_thumb_hash (both NULL: remove), now_ms → GlobiUserRow. */
gpointer globi_store_accounts_set_avatar         (sqlite3 *db, gpointer args, GError **error);
/* → GPtrArray of the ids of every device not revoked (the auth cache at startup). */
gpointer globi_store_accounts_active_devices     (sqlite3 *db, gpointer args, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiAccountArgs, globi_account_args_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiUserRow, globi_user_row_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiRefreshResult, globi_refresh_result_free)

G_END_DECLS
