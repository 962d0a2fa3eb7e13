/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-store-accounts"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-error.h"
#include "globi-store-accounts.h"

#define USER_COLUMNS                                                                       \
  "id, username, password_hash, display_name, bio, region, preferred_currency, language, " \
  "who_can_add, avatar_hash, avatar_thumb_hash, discoverable, created_at"

GlobiAccountArgs *
globi_account_args_new (void)
{
  GlobiAccountArgs *args = g_new0 (GlobiAccountArgs, 1);

  args->patch.discoverable = -1;
  return args;
}

static void
free_secret (char *secret)
{
  if (secret)
    {
      sodium_memzero (secret, strlen (secret));
      g_free (secret);
    }
}

void
globi_account_args_free (gpointer data)
{
  GlobiAccountArgs *args = data;

  g_free (args->user_id);
  g_free (args->username);
  g_free (args->device_id);
  free_secret (args->password_hash);
  g_free (args->display_name);
  g_free (args->device_name);
  g_free (args->device_platform);
  g_free (args->avatar_hash);
  g_free (args->avatar_thumb_hash);
  g_free (args->patch.display_name);
  g_free (args->patch.bio);
  g_free (args->patch.region);
  g_free (args->patch.preferred_currency);
  g_free (args->patch.language);
  g_free (args->patch.who_can_add);
  sodium_memzero (args->token_hash, sizeof args->token_hash);
  sodium_memzero (args->new_token_hash, sizeof args->new_token_hash);
  g_free (args);
}

void
globi_user_row_free (gpointer data)
{
  GlobiUserRow *row = data;

  if (!row)
    return;
  g_free (row->id);
  g_free (row->username);
  free_secret (row->password_hash);
  g_free (row->display_name);
  g_free (row->bio);
  g_free (row->region);
  g_free (row->preferred_currency);
  g_free (row->language);
  g_free (row->who_can_add);
  g_free (row->avatar_hash);
  g_free (row->avatar_thumb_hash);
  g_free (row);
}

void
globi_device_row_free (gpointer data)
{
  GlobiDeviceRow *row = data;

  g_free (row->id);
  g_free (row->name);
  g_free (row->platform);
  g_free (row);
}

void
globi_refresh_result_free (gpointer data)
{
  GlobiRefreshResult *result = data;

  g_free (result->device_id);
  globi_user_row_free (result->user);
  g_free (result);
}

void
globi_refresh_token_hash (const char *token, guint8 out[GLOBI_TOKEN_HASH_BYTES])
{
  crypto_generichash (out, GLOBI_TOKEN_HASH_BYTES, (const guint8 *) token, strlen (token), NULL, 0);
}

static char *
column_dup (sqlite3_stmt *stmt, int column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return g_strdup (text);
}

static void
bind_text (sqlite3_stmt *stmt, int index, const char *text)
{
  if (text)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static GlobiUserRow *
user_from_stmt (sqlite3_stmt *stmt)
{
  GlobiUserRow *row = g_new0 (GlobiUserRow, 1);

  row->id = column_dup (stmt, 0);
  row->username = column_dup (stmt, 1);
  row->password_hash = column_dup (stmt, 2);
  row->display_name = column_dup (stmt, 3);
  row->bio = column_dup (stmt, 4);
  row->region = column_dup (stmt, 5);
  row->preferred_currency = column_dup (stmt, 6);
  row->language = column_dup (stmt, 7);
  row->who_can_add = column_dup (stmt, 8);
  row->avatar_hash = column_dup (stmt, 9);
  row->avatar_thumb_hash = column_dup (stmt, 10);
  row->discoverable = sqlite3_column_int (stmt, 11) != 0;
  row->created_at = sqlite3_column_int64 (stmt, 12);
  return row;
}

/* Runs a SELECT of USER_COLUMNS with one bound text parameter. */
static GlobiUserRow *
select_user (sqlite3 *db, const char *sql, const char *param, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  if (!(stmt = globi_store_prepare (db, sql, error)))
    return NULL;
  bind_text (stmt, 1, param);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return user_from_stmt (stmt);
  if (rc == SQLITE_DONE)
    g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND, "no such user");
  else
    globi_store_set_error (db, error);
  return NULL;
}

static GlobiUserRow *
user_by_id (sqlite3 *db, const char *id, GError **error)
{
  return select_user (db, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1", id, error);
}

gpointer
globi_store_accounts_create_user (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db,
                              "INSERT INTO users (id, username, password_hash, display_name, "
                              "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                              error);
  if (!stmt)
    return NULL;
  bind_text (stmt, 1, args->user_id);
  bind_text (stmt, 2, args->username);
  bind_text (stmt, 3, args->password_hash);
  bind_text (stmt, 4, args->display_name);
  sqlite3_bind_int64 (stmt, 5, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  return user_by_id (db, args->user_id, error);
}

gpointer
globi_store_accounts_get_by_username (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;

  return select_user (db, "SELECT " USER_COLUMNS " FROM users WHERE username = ?1", args->username,
                      error);
}

gpointer
globi_store_accounts_get_by_id (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;

  return user_by_id (db, args->user_id, error);
}

gpointer
globi_store_accounts_lookup (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;

  if (args->user_id)
    return user_by_id (db, args->user_id, error);
  return select_user (db, "SELECT " USER_COLUMNS " FROM users WHERE username = ?1 AND discoverable",
                      args->username, error);
}

static gboolean
insert_refresh_token (
    sqlite3 *db, const char *device_id, const guint8 *hash, gint64 now_ms, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db,
                              "INSERT INTO refresh_tokens (hash, device_id, created_at) "
                              "VALUES (?1, ?2, ?3)",
                              error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, hash, GLOBI_TOKEN_HASH_BYTES, SQLITE_TRANSIENT);
  bind_text (stmt, 2, device_id);
  sqlite3_bind_int64 (stmt, 3, now_ms);
  return globi_store_step_done (db, stmt, error);
}

gpointer
globi_store_accounts_create_session (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db,
                              "INSERT INTO devices (id, user_id, name, platform, created_at, "
                              "last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                              error);
  if (!stmt)
    return NULL;
  bind_text (stmt, 1, args->device_id);
  bind_text (stmt, 2, args->user_id);
  bind_text (stmt, 3, args->device_name);
  bind_text (stmt, 4, args->device_platform ? args->device_platform : "");
  sqlite3_bind_int64 (stmt, 5, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  if (!insert_refresh_token (db, args->device_id, args->token_hash, args->now_ms, error))
    return NULL;
  return user_by_id (db, args->user_id, error);
}

static gboolean
revoke_device (sqlite3 *db, const char *device_id, gint64 now_ms, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db,
                              "UPDATE devices SET revoked_at = ?2 "
                              "WHERE id = ?1 AND revoked_at IS NULL",
                              error);
  if (!stmt)
    return FALSE;
  bind_text (stmt, 1, device_id);
  sqlite3_bind_int64 (stmt, 2, now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return FALSE;
  /* The family dies with the device: none of its refresh tokens work any more. */
  g_clear_pointer (&stmt, sqlite3_finalize);
  stmt = globi_store_prepare (db,
                              "DELETE FROM refresh_tokens WHERE device_id = ?1 "
                              "AND rotated_at IS NULL",
                              error);
  if (!stmt)
    return FALSE;
  bind_text (stmt, 1, device_id);
  return globi_store_step_done (db, stmt, error);
}

gpointer
globi_store_accounts_refresh (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GlobiRefreshResult) result = g_new0 (GlobiRefreshResult, 1);
  g_autofree char *user_id = NULL;
  gboolean rotated, revoked;
  int rc;

  stmt = globi_store_prepare (db,
                              "SELECT t.device_id, t.rotated_at IS NOT NULL, d.user_id, "
                              "d.revoked_at IS NOT NULL FROM refresh_tokens t "
                              "JOIN devices d ON d.id = t.device_id WHERE t.hash = ?1",
                              error);
  if (!stmt)
    return NULL;
  sqlite3_bind_blob (stmt, 1, args->token_hash, GLOBI_TOKEN_HASH_BYTES, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, "unknown refresh token");
      else
        globi_store_set_error (db, error);
      return NULL;
    }
  result->device_id = column_dup (stmt, 0);
  rotated = sqlite3_column_int (stmt, 1) != 0;
  user_id = column_dup (stmt, 2);
  revoked = sqlite3_column_int (stmt, 3) != 0;
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (revoked)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, "device revoked");
      return NULL;
    }
  if (rotated)
    {
      /* Someone holds a stale copy: a thief or the owner, we cannot tell, so the
       * whole family goes. A result, not an error, so that the revocation commits. */
      if (!revoke_device (db, result->device_id, args->now_ms, error))
        return NULL;
      result->reused = TRUE;
      return g_steal_pointer (&result);
    }

  stmt =
      globi_store_prepare (db, "UPDATE refresh_tokens SET rotated_at = ?2 WHERE hash = ?1", error);
  if (!stmt)
    return NULL;
  sqlite3_bind_blob (stmt, 1, args->token_hash, GLOBI_TOKEN_HASH_BYTES, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  if (!insert_refresh_token (db, result->device_id, args->new_token_hash, args->now_ms, error))
    return NULL;

  g_clear_pointer (&stmt, sqlite3_finalize);
  stmt = globi_store_prepare (db, "UPDATE devices SET last_seen_at = ?2 WHERE id = ?1", error);
  if (!stmt)
    return NULL;
  bind_text (stmt, 1, result->device_id);
  sqlite3_bind_int64 (stmt, 2, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;

  if (!(result->user = user_by_id (db, user_id, error)))
    return NULL;
  return g_steal_pointer (&result);
}

gpointer
globi_store_accounts_revoke_device (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db, "SELECT 1 FROM devices WHERE id = ?1 AND user_id = ?2", error);
  if (!stmt)
    return NULL;
  bind_text (stmt, 1, args->device_id);
  bind_text (stmt, 2, args->user_id);
  switch (sqlite3_step (stmt))
    {
      case SQLITE_ROW:
        break;
      case SQLITE_DONE:
        g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND, "no such device");
        return NULL;
      default:
        globi_store_set_error (db, error);
        return NULL;
    }
  if (!revoke_device (db, args->device_id, args->now_ms, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

gpointer
globi_store_accounts_list_devices (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) devices = g_ptr_array_new_with_free_func (globi_device_row_free);
  int rc;

  stmt = globi_store_prepare (db,
                              "SELECT id, name, platform, created_at, last_seen_at FROM devices "
                              "WHERE user_id = ?1 AND revoked_at IS NULL "
                              "ORDER BY created_at DESC, id DESC",
                              error);
  if (!stmt)
    return NULL;
  bind_text (stmt, 1, args->user_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      GlobiDeviceRow *row = g_new0 (GlobiDeviceRow, 1);

      row->id = column_dup (stmt, 0);
      row->name = column_dup (stmt, 1);
      row->platform = column_dup (stmt, 2);
      row->created_at = sqlite3_column_int64 (stmt, 3);
      row->last_seen_at = sqlite3_column_int64 (stmt, 4);
      g_ptr_array_add (devices, row);
    }
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&devices);
}

/* Ids from a one-column query with up to two bound text parameters. */
static GPtrArray *
select_ids (sqlite3 *db, const char *sql, const char *p1, const char *p2, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (!(stmt = globi_store_prepare (db, sql, error)))
    return NULL;
  if (p1)
    bind_text (stmt, 1, p1);
  if (p2)
    bind_text (stmt, 2, p2);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&ids);
}

gpointer
globi_store_accounts_change_password (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) others = NULL;

  stmt = globi_store_prepare (
      db, "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1", error);
  if (!stmt)
    return NULL;
  bind_text (stmt, 1, args->user_id);
  bind_text (stmt, 2, args->password_hash);
  sqlite3_bind_int64 (stmt, 3, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;

  others = select_ids (db,
                       "SELECT id FROM devices WHERE user_id = ?1 AND id != ?2 "
                       "AND revoked_at IS NULL",
                       args->user_id, args->device_id, error);
  if (!others)
    return NULL;
  for (guint i = 0; i < others->len; i++)
    if (!revoke_device (db, g_ptr_array_index (others, i), args->now_ms, error))
      return NULL;
  return g_steal_pointer (&others);
}

gpointer
globi_store_accounts_rehash (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db, "UPDATE users SET password_hash = ?2 WHERE id = ?1", error);
  if (!stmt)
    return NULL;
  bind_text (stmt, 1, args->user_id);
  bind_text (stmt, 2, args->password_hash);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

gpointer
globi_store_accounts_update_profile (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;
  const GlobiProfilePatch *patch = &args->patch;
  g_autoptr (sqlite3_stmt) stmt = NULL;

  /* COALESCE keeps every column the patch leaves out. */
  stmt = globi_store_prepare (db,
                              "UPDATE users SET display_name = COALESCE (?2, display_name), "
                              "bio = COALESCE (?3, bio), region = COALESCE (?4, region), "
                              "preferred_currency = COALESCE (?5, preferred_currency), "
                              "language = COALESCE (?6, language), "
                              "who_can_add = COALESCE (?7, who_can_add), "
                              "discoverable = COALESCE (?8, discoverable), updated_at = ?9 "
                              "WHERE id = ?1",
                              error);
  if (!stmt)
    return NULL;
  bind_text (stmt, 1, args->user_id);
  bind_text (stmt, 2, patch->display_name);
  bind_text (stmt, 3, patch->bio);
  bind_text (stmt, 4, patch->region);
  bind_text (stmt, 5, patch->preferred_currency);
  bind_text (stmt, 6, patch->language);
  bind_text (stmt, 7, patch->who_can_add);
  if (patch->discoverable >= 0)
    sqlite3_bind_int (stmt, 8, patch->discoverable);
  else
    sqlite3_bind_null (stmt, 8);
  sqlite3_bind_int64 (stmt, 9, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  return user_by_id (db, args->user_id, error);
}

gpointer
globi_store_accounts_set_avatar (sqlite3 *db, gpointer data, GError **error)
{
  GlobiAccountArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db,
                              "UPDATE users SET avatar_hash = ?2, avatar_thumb_hash = ?3, "
                              "updated_at = ?4 WHERE id = ?1",
                              error);
  if (!stmt)
    return NULL;
  bind_text (stmt, 1, args->user_id);
  bind_text (stmt, 2, args->avatar_hash);
  bind_text (stmt, 3, args->avatar_thumb_hash);
  sqlite3_bind_int64 (stmt, 4, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  return user_by_id (db, args->user_id, error);
}

gpointer
globi_store_accounts_active_devices (sqlite3 *db, gpointer data, GError **error)
{
  return select_ids (db, "SELECT id FROM devices WHERE revoked_at IS NULL", NULL, NULL, error);
}
