/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-store-social"

#include "config.h"

#include <string.h>

#include "globi-error.h"
#include "globi-id.h"
#include "globi-routes.h"
#include "globi-store-accounts.h"
#include "globi-store-events.h"
#include "globi-store-cards.h"
#include "globi-store-social.h"

#define GROUP_COLUMNS                                                              \
  "g.id, g.name, g.announcement, g.avatar_hash, g.avatar_thumb_hash, g.owner_id, " \
  "g.member_count, g.created_at, g.updated_at, m.role"

GlobiSocialArgs *
globi_social_args_new (void)
{
  return g_new0 (GlobiSocialArgs, 1);
}

void
globi_social_args_free (gpointer data)
{
  GlobiSocialArgs *args = data;

  if (!args)
    return;
  g_free (args->user_id);
  g_free (args->device_id);
  g_free (args->id);
  g_free (args->other);
  g_free (args->greeting);
  g_free (args->card);
  g_free (args->name);
  g_free (args->announcement);
  g_free (args->remark);
  g_strfreev (args->tags);
  g_strfreev (args->user_ids);
  g_free (args->avatar_hash);
  g_free (args->avatar_thumb_hash);
  g_free (args);
}

void
globi_social_result_free (gpointer data)
{
  GlobiSocialResult *result = data;

  if (!result)
    return;
  g_clear_pointer (&result->reply, json_node_unref);
  g_clear_pointer (&result->wake_devices, g_ptr_array_unref);
  g_free (result);
}

static GlobiSocialResult *
result_new (guint status, JsonNode *reply)
{
  GlobiSocialResult *result = g_new0 (GlobiSocialResult, 1);

  result->status = status;
  result->reply = reply;
  result->wake_devices = g_ptr_array_new_with_free_func (g_free);
  return result;
}

static gboolean
fail (GError **error, GlobiErrorCode code, const char *message)
{
  g_set_error_literal (error, GLOBI_ERROR, code, message);
  return FALSE;
}

static gpointer
fail_null (GError **error, GlobiErrorCode code, const char *message)
{
  fail (error, code, message);
  return NULL;
}

/* {"NAME": node} */
static JsonNode *
wrap (const char *name, JsonNode *node)
{
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) obj = json_object_new ();

  json_object_set_member (obj, name, node);
  json_node_set_object (root, obj);
  return root;
}

/* Steps a statement with text parameters ?1.. bound from a NULL-terminated list and
 * returns whether it produced a row. */
static gboolean
query_exists (sqlite3 *db, const char *sql, ...)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  va_list ap;
  const char *param;
  int i = 1;

  if (!(stmt = globi_store_prepare (db, sql, NULL)))
    return FALSE;
  va_start (ap, sql);
  while ((param = va_arg (ap, const char *)))
    sqlite3_bind_text (stmt, i++, param, -1, SQLITE_TRANSIENT);
  va_end (ap);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

/* Runs a write with text parameters (NULL-terminated list); returns rows changed or -1. */
static int
exec_params (sqlite3 *db, GError **error, const char *sql, ...)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  va_list ap;
  const char *param;
  int i = 1;

  if (!(stmt = globi_store_prepare (db, sql, error)))
    return -1;
  va_start (ap, sql);
  while ((param = va_arg (ap, const char *)))
    sqlite3_bind_text (stmt, i++, param, -1, SQLITE_TRANSIENT);
  va_end (ap);
  if (!globi_store_step_done (db, stmt, error))
    return -1;
  return sqlite3_changes (db);
}

static char *
time_text (gint64 ms)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, ms);
}

gboolean
globi_store_social_are_friends (sqlite3 *db, const char *a, const char *b)
{
  return query_exists (db, "SELECT 1 FROM friends WHERE user_id = ?1 AND friend_id = ?2", a, b,
                       NULL);
}

gboolean
globi_store_social_is_blocked_either (sqlite3 *db, const char *a, const char *b)
{
  return query_exists (db,
                       "SELECT 1 FROM blocks WHERE (user_id = ?1 AND blocked_id = ?2) "
                       "OR (user_id = ?2 AND blocked_id = ?1)",
                       a, b, NULL);
}

gboolean
globi_store_social_is_member (sqlite3 *db, const char *group_id, const char *user_id)
{
  return query_exists (db, "SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                       group_id, user_id, NULL);
}

gboolean
globi_store_social_shares_group (sqlite3 *db, const char *a, const char *b)
{
  return query_exists (db,
                       "SELECT 1 FROM group_members x JOIN group_members y "
                       "ON y.group_id = x.group_id AND y.user_id = ?2 WHERE x.user_id = ?1",
                       a, b, NULL);
}

static gboolean
share_a_friend (sqlite3 *db, const char *a, const char *b)
{
  return query_exists (db,
                       "SELECT 1 FROM friends x JOIN friends y "
                       "ON y.friend_id = x.friend_id AND y.user_id = ?2 WHERE x.user_id = ?1",
                       a, b, NULL);
}

/* Ids from a one-column SELECT with up to two text parameters. */
static GPtrArray *
select_ids (sqlite3 *db, const char *sql, const char *p1, const char *p2, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (!(stmt = globi_store_prepare (db, sql, error)))
    return NULL;
  if (p1)
    sqlite3_bind_text (stmt, 1, p1, -1, SQLITE_TRANSIENT);
  if (p2)
    sqlite3_bind_text (stmt, 2, p2, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&ids);
}

GPtrArray *
globi_store_social_group_member_ids (sqlite3 *db, const char *group_id, GError **error)
{
  return select_ids (db, "SELECT user_id FROM group_members WHERE group_id = ?1", group_id, NULL,
                     error);
}

static GlobiUserRow *
load_user (sqlite3 *db, const char *id, GError **error)
{
  g_autoptr (GlobiAccountArgs) args = globi_account_args_new ();

  args->user_id = g_strdup (id);
  return globi_store_accounts_get_by_id (db, args, error);
}

static JsonNode *
user_json (sqlite3 *db, const char *id, GError **error)
{
  g_autoptr (GlobiUserRow) row = load_user (db, id, error);

  return row ? globi_routes_user_to_json (row, FALSE) : NULL;
}

/* A user id, or a username (any case) of a discoverable user. */
static char *
resolve_user (sqlite3 *db, const char *text, GError **error)
{
  g_autoptr (GlobiAccountArgs) args = globi_account_args_new ();
  g_autoptr (GlobiUserRow) row = NULL;

  if (globi_id_is_valid (text))
    args->user_id = g_strdup (text);
  else
    args->username = g_utf8_strdown (text, -1);
  if (!(row = globi_store_accounts_lookup (db, args, error)))
    return NULL;
  return g_strdup (row->id);
}

/* Serialises event once and appends it to every device of the users. */
static gboolean
emit (sqlite3 *db,
      GlobiSocialResult *result,
      const char *const *user_ids,
      JsonNode *event,
      GError **error)
{
  g_autoptr (JsonNode) owned = event;
  g_autofree char *text = json_to_string (owned, FALSE);

  if (!user_ids || !user_ids[0])
    return TRUE;
  return globi_store_events_append_to_users (db, user_ids, NULL, text, result->wake_devices, error);
}

static gboolean
emit_one (
    sqlite3 *db, GlobiSocialResult *result, const char *user_id, JsonNode *event, GError **error)
{
  const char *ids[] = { user_id, NULL };

  return emit (db, result, ids, event, error);
}

/* {"kind": KIND, NAME: node} */
static JsonNode *
event_new (const char *kind, const char *name, JsonNode *node)
{
  JsonNode *root = wrap (name, node);

  json_object_set_string_member (json_node_get_object (root), "kind", kind);
  return root;
}

/* Friends */

static JsonNode *
friend_json (sqlite3 *db, const char *owner, const char *friend_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *user;
  JsonObject *obj;
  JsonNode *root;
  int rc;

  if (!(stmt = globi_store_prepare (db,
                                    "SELECT remark, tags, since FROM friends "
                                    "WHERE user_id = ?1 AND friend_id = ?2",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, owner, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, friend_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        fail (error, GLOBI_ERROR_NOT_FOUND, "not a friend");
      else
        globi_store_set_error (db, error);
      return NULL;
    }
  if (!(user = user_json (db, friend_id, error)))
    return NULL;
  obj = json_object_new ();
  json_object_set_member (obj, "user", user);
  json_object_set_string_member (obj, "remark", (const char *) sqlite3_column_text (stmt, 0));
  if (json_parser_load_from_data (parser, (const char *) sqlite3_column_text (stmt, 1), -1, NULL))
    json_object_set_member (obj, "tags", json_node_copy (json_parser_get_root (parser)));
  else
    json_object_set_array_member (obj, "tags", json_array_new ());
  json_object_set_int_member (obj, "since", sqlite3_column_int64 (stmt, 2));
  root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (root, obj);
  return root;
}

static JsonNode *
request_json (sqlite3 *db, const char *id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonObject) obj = NULL;
  JsonNode *from, *to, *root;
  int rc;

  if (!(stmt = globi_store_prepare (db,
                                    "SELECT from_id, to_id, greeting, created_at "
                                    "FROM friend_requests WHERE id = ?1",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        fail (error, GLOBI_ERROR_NOT_FOUND, "no such request");
      else
        globi_store_set_error (db, error);
      return NULL;
    }
  if (!(from = user_json (db, (const char *) sqlite3_column_text (stmt, 0), error)))
    return NULL;
  if (!(to = user_json (db, (const char *) sqlite3_column_text (stmt, 1), error)))
    {
      json_node_unref (from);
      return NULL;
    }
  obj = json_object_new ();
  json_object_set_string_member (obj, "id", id);
  json_object_set_member (obj, "from", from);
  json_object_set_member (obj, "to", to);
  json_object_set_string_member (obj, "greeting", (const char *) sqlite3_column_text (stmt, 2));
  json_object_set_int_member (obj, "created_at", sqlite3_column_int64 (stmt, 3));
  root = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (root, obj);
  return root;
}

/* Makes a and b friends (both rows), settles any pending requests between them and tells
 * both. Returns a's Friend (b seen by a). */
static JsonNode *
make_friends (sqlite3 *db,
              GlobiSocialResult *result,
              const char *a,
              const char *b,
              gint64 now_ms,
              GError **error)
{
  g_autofree char *now = time_text (now_ms);
  g_autoptr (JsonNode) for_a = NULL;
  g_autoptr (JsonNode) for_b = NULL;

  if (exec_params (db, error,
                   "INSERT OR IGNORE INTO friends (user_id, friend_id, since) "
                   "VALUES (?1, ?2, ?3), (?2, ?1, ?3)",
                   a, b, now, NULL) < 0)
    return NULL;
  if (exec_params (db, error,
                   "UPDATE friend_requests SET status = 'accepted' WHERE status = 'pending' "
                   "AND ((from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1))",
                   a, b, NULL) < 0)
    return NULL;
  if (!(for_a = friend_json (db, a, b, error)) || !(for_b = friend_json (db, b, a, error)))
    return NULL;
  if (!emit_one (db, result, a, event_new ("friend_added", "friend", json_node_copy (for_a)),
                 error) ||
      !emit_one (db, result, b, event_new ("friend_added", "friend", json_node_copy (for_b)),
                 error))
    return NULL;
  return g_steal_pointer (&for_a);
}

gpointer
globi_store_social_send_request (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_CREATED, NULL);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GlobiUserRow) target = NULL;
  g_autofree char *target_id = NULL;
  g_autofree char *now = time_text (args->now_ms);
  JsonNode *node;

  /* A retried id answers what the first attempt made. */
  if (!(stmt =
            globi_store_prepare (db, "SELECT from_id FROM friend_requests WHERE id = ?1", error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, args->id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), args->user_id) != 0)
        return fail_null (error, GLOBI_ERROR_CONFLICT, "id: already used");
      if (!(node = request_json (db, args->id, error)))
        return NULL;
      result->reply = wrap ("request", node);
      return g_steal_pointer (&result);
    }

  if (!(target_id = resolve_user (db, args->other, error)))
    return NULL;
  if (g_str_equal (target_id, args->user_id))
    return fail_null (error, GLOBI_ERROR_INVALID_FIELD, "to: cannot be yourself");
  if (globi_store_social_is_blocked_either (db, args->user_id, target_id))
    return fail_null (error, GLOBI_ERROR_BLOCKED, "blocked");
  if (globi_store_social_are_friends (db, args->user_id, target_id))
    return fail_null (error, GLOBI_ERROR_CONFLICT, "already friends");

  /* They asked me first: asking back accepts theirs. */
  if (query_exists (db,
                    "SELECT 1 FROM friend_requests WHERE from_id = ?1 AND to_id = ?2 "
                    "AND status = 'pending'",
                    target_id, args->user_id, NULL))
    {
      if (!(node = make_friends (db, result, args->user_id, target_id, args->now_ms, error)))
        return NULL;
      result->status = SOUP_STATUS_OK;
      result->reply = wrap ("friend", node);
      return g_steal_pointer (&result);
    }

  if (!(target = load_user (db, target_id, error)))
    return NULL;
  /* A friend card is the owner's invitation: it stands in for a shared friend, but
   * "nobody" means nobody. */
  if (args->card && !globi_store_cards_is_current (db, target_id, args->card))
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "card: not valid (it may have been reset)");
  if (g_str_equal (target->who_can_add, "nobody") ||
      (g_str_equal (target->who_can_add, "friends_of_friends") && !args->card &&
       !share_a_friend (db, args->user_id, target_id)))
    return fail_null (error, GLOBI_ERROR_FORBIDDEN,
                      "this user does not accept friend requests from you");

  /* A second request while one is pending refreshes its greeting. */
  if (exec_params (db, error,
                   "INSERT INTO friend_requests (id, from_id, to_id, greeting, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) "
                   "ON CONFLICT (from_id, to_id) WHERE status = 'pending' "
                   "DO UPDATE SET greeting = excluded.greeting",
                   args->id, args->user_id, target_id, args->greeting ? args->greeting : "", now,
                   NULL) < 0)
    return NULL;
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (!(stmt = globi_store_prepare (db,
                                    "SELECT id FROM friend_requests WHERE from_id = ?1 "
                                    "AND to_id = ?2 AND status = 'pending'",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, args->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, target_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  if (!(node = request_json (db, (const char *) sqlite3_column_text (stmt, 0), error)))
    return NULL;
  if (!emit_one (db, result, target_id,
                 event_new ("friend_request", "request", json_node_copy (node)), error))
    {
      json_node_unref (node);
      return NULL;
    }
  result->reply = wrap ("request", node);
  return g_steal_pointer (&result);
}

gpointer
globi_store_social_answer_request (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_NO_CONTENT, NULL);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *from_id = NULL;
  g_autofree char *status = NULL;
  JsonNode *node;

  if (!(stmt = globi_store_prepare (db,
                                    "SELECT from_id, status FROM friend_requests "
                                    "WHERE id = ?1 AND to_id = ?2",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, args->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, args->user_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such request");
  from_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  status = g_strdup ((const char *) sqlite3_column_text (stmt, 1));

  if (!args->flag)
    {
      if (g_str_equal (status, "pending") &&
          exec_params (db, error, "UPDATE friend_requests SET status = 'declined' WHERE id = ?1",
                       args->id, NULL) < 0)
        return NULL;
      return g_steal_pointer (&result);
    }

  /* A retried accept answers the friendship it made. */
  if (g_str_equal (status, "accepted") &&
      globi_store_social_are_friends (db, args->user_id, from_id))
    node = friend_json (db, args->user_id, from_id, error);
  else if (!g_str_equal (status, "pending"))
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such request");
  else if (globi_store_social_is_blocked_either (db, args->user_id, from_id))
    return fail_null (error, GLOBI_ERROR_BLOCKED, "blocked");
  else
    node = make_friends (db, result, args->user_id, from_id, args->now_ms, error);
  if (!node)
    return NULL;
  result->status = SOUP_STATUS_OK;
  result->reply = wrap ("friend", node);
  return g_steal_pointer (&result);
}

gpointer
globi_store_social_update_friend (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_OK, NULL);
  JsonNode *node;

  if (!globi_store_social_are_friends (db, args->user_id, args->other))
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "not a friend");
  if (args->remark &&
      exec_params (db, error,
                   "UPDATE friends SET remark = ?3 WHERE user_id = ?1 AND friend_id = ?2",
                   args->user_id, args->other, args->remark, NULL) < 0)
    return NULL;
  if (args->tags)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) tags = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; args->tags[i]; i++)
        json_builder_add_string_value (builder, args->tags[i]);
      json_builder_end_array (builder);
      tags = json_builder_get_root (builder);
      text = json_to_string (tags, FALSE);
      if (exec_params (db, error,
                       "UPDATE friends SET tags = ?3 WHERE user_id = ?1 AND friend_id = ?2",
                       args->user_id, args->other, text, NULL) < 0)
        return NULL;
    }
  if (!(node = friend_json (db, args->user_id, args->other, error)))
    return NULL;
  result->reply = wrap ("friend", node);
  return g_steal_pointer (&result);
}

static JsonNode *
user_id_event (const char *kind, const char *name, const char *id)
{
  return event_new (kind, name, json_node_init_string (json_node_alloc (), id));
}

gpointer
globi_store_social_remove_friend (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_NO_CONTENT, NULL);
  int changed;

  changed = exec_params (db, error,
                         "DELETE FROM friends WHERE (user_id = ?1 AND friend_id = ?2) "
                         "OR (user_id = ?2 AND friend_id = ?1)",
                         args->user_id, args->other, NULL);
  if (changed < 0)
    return NULL;
  if (changed == 0)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "not a friend");
  if (!emit_one (db, result, args->user_id,
                 user_id_event ("friend_removed", "user_id", args->other), error) ||
      !emit_one (db, result, args->other,
                 user_id_event ("friend_removed", "user_id", args->user_id), error))
    return NULL;
  return g_steal_pointer (&result);
}

gpointer
globi_store_social_set_block (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_NO_CONTENT, NULL);
  g_autoptr (GlobiUserRow) other = NULL;
  g_autofree char *now = time_text (args->now_ms);

  if (!args->flag)
    {
      if (exec_params (db, error, "DELETE FROM blocks WHERE user_id = ?1 AND blocked_id = ?2",
                       args->user_id, args->other, NULL) < 0)
        return NULL;
      return g_steal_pointer (&result);
    }
  if (!(other = load_user (db, args->other, error)))
    return NULL;
  if (g_str_equal (other->id, args->user_id))
    return fail_null (error, GLOBI_ERROR_INVALID_FIELD, "user_id: cannot block yourself");
  /* Pending requests either way die with the block: they could never be accepted. */
  if (exec_params (db, error,
                   "INSERT OR IGNORE INTO blocks (user_id, blocked_id, created_at) "
                   "VALUES (?1, ?2, ?3)",
                   args->user_id, args->other, now, NULL) < 0 ||
      exec_params (db, error,
                   "UPDATE friend_requests SET status = 'declined' WHERE status = 'pending' "
                   "AND ((from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1))",
                   args->user_id, args->other, NULL) < 0)
    return NULL;
  return g_steal_pointer (&result);
}

/* Groups */

static void
add_avatar (JsonObject *obj, const char *hash, const char *thumb)
{
  JsonObject *avatar;

  if (!hash)
    {
      json_object_set_null_member (obj, "avatar");
      return;
    }
  avatar = json_object_new ();
  json_object_set_string_member (avatar, "hash", hash);
  {
    g_autofree char *url = g_strconcat ("/v1/blobs/", hash, NULL);
    g_autofree char *thumb_url = g_strconcat ("/v1/blobs/", thumb ? thumb : hash, NULL);

    json_object_set_string_member (avatar, "url", url);
    json_object_set_string_member (avatar, "thumbnail_url", thumb_url);
  }
  json_object_set_object_member (obj, "avatar", avatar);
}

static JsonNode *
members_json (sqlite3 *db, const char *group_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonArray) array = json_array_new ();
  JsonNode *root;
  int rc;

  if (!(stmt = globi_store_prepare (db,
                                    "SELECT user_id, role, joined_at FROM group_members "
                                    "WHERE group_id = ?1 ORDER BY joined_at, user_id",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, group_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *member = json_object_new ();
      JsonNode *user = user_json (db, (const char *) sqlite3_column_text (stmt, 0), error);

      if (!user)
        {
          json_object_unref (member);
          return NULL;
        }
      json_object_set_member (member, "user", user);
      json_object_set_string_member (member, "role", (const char *) sqlite3_column_text (stmt, 1));
      json_object_set_int_member (member, "joined_at", sqlite3_column_int64 (stmt, 2));
      json_array_add_object_element (array, member);
    }
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  root = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (root, array);
  return root;
}

/* Group from a row of GROUP_COLUMNS; role overrides the row's my_role when not NULL. */
static JsonNode *
group_from_stmt (sqlite3_stmt *stmt, const char *role)
{
  JsonObject *obj = json_object_new ();
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (obj, "id", (const char *) sqlite3_column_text (stmt, 0));
  json_object_set_string_member (obj, "name", (const char *) sqlite3_column_text (stmt, 1));
  json_object_set_string_member (obj, "announcement", (const char *) sqlite3_column_text (stmt, 2));
  add_avatar (obj, (const char *) sqlite3_column_text (stmt, 3),
              (const char *) sqlite3_column_text (stmt, 4));
  json_object_set_string_member (obj, "owner_id", (const char *) sqlite3_column_text (stmt, 5));
  json_object_set_int_member (obj, "member_count", sqlite3_column_int64 (stmt, 6));
  json_object_set_int_member (obj, "created_at", sqlite3_column_int64 (stmt, 7));
  json_object_set_int_member (obj, "updated_at", sqlite3_column_int64 (stmt, 8));
  json_object_set_string_member (obj, "my_role",
                                 role ? role : (const char *) sqlite3_column_text (stmt, 9));
  json_node_take_object (root, obj);
  return root;
}

/* The Group as viewer sees it (NOT_FOUND unless a member); role, when not NULL, stands in
 * for the viewer's role (events for all members of one role). */
static JsonNode *
group_json (sqlite3 *db,
            const char *group_id,
            const char *viewer,
            const char *role,
            gboolean with_members,
            GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonNode) root = NULL;

  if (!(stmt = globi_store_prepare (db,
                                    "SELECT " GROUP_COLUMNS " FROM chat_groups g "
                                    "LEFT JOIN group_members m "
                                    "ON m.group_id = g.id AND m.user_id = ?2 WHERE g.id = ?1",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, group_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, viewer ? viewer : "", -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW || (!role && sqlite3_column_type (stmt, 9) == SQLITE_NULL))
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such group");
  root = group_from_stmt (stmt, role);
  if (with_members)
    {
      JsonNode *members = members_json (db, group_id, error);

      if (!members)
        return NULL;
      json_object_set_member (json_node_get_object (root), "members", members);
    }
  return g_steal_pointer (&root);
}

/* Tells every member (one serialisation per role, since my_role differs). */
static gboolean
emit_group_updated (sqlite3 *db, GlobiSocialResult *result, const char *group_id, GError **error)
{
  static const char *const roles[] = { "owner", "admin", "member" };

  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autoptr (GPtrArray) ids =
          select_ids (db, "SELECT user_id FROM group_members WHERE group_id = ?1 AND role = ?2",
                      group_id, roles[i], error);
      JsonNode *group;

      if (!ids)
        return FALSE;
      if (ids->len == 0)
        continue;
      g_ptr_array_add (ids, NULL);
      if (!(group = group_json (db, group_id, NULL, roles[i], FALSE, error)))
        return FALSE;
      if (!emit (db, result, (const char *const *) ids->pdata,
                 event_new ("group_updated", "group", group), error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
touch_group (sqlite3 *db, const char *group_id, gint64 now_ms, GError **error)
{
  g_autofree char *now = time_text (now_ms);

  return exec_params (db, error,
                      "UPDATE chat_groups SET updated_at = ?2, member_count = "
                      "(SELECT COUNT(*) FROM group_members WHERE group_id = ?1) WHERE id = ?1",
                      group_id, now, NULL) >= 0;
}

/* NULL (with NOT_FOUND) when user_id is not a member. */
static char *
member_role (sqlite3 *db, const char *group_id, const char *user_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!(stmt = globi_store_prepare (db,
                                    "SELECT role FROM group_members "
                                    "WHERE group_id = ?1 AND user_id = ?2",
                                    error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, group_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, user_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such group or member");
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

/* The caller's role, failing with NOT_FOUND (not a member) or FORBIDDEN (below need:
 * "owner" or "admin"). */
static char *
require_role (
    sqlite3 *db, const char *group_id, const char *user_id, const char *need, GError **error)
{
  g_autofree char *role = member_role (db, group_id, user_id, error);

  if (!role)
    return NULL;
  if (need && !g_str_equal (role, "owner") &&
      !(g_str_equal (need, "admin") && g_str_equal (role, "admin")))
    return fail_null (error, GLOBI_ERROR_FORBIDDEN, "not allowed in this group");
  return g_steal_pointer (&role);
}

static gint64
group_size (sqlite3 *db, const char *group_id)
{
  g_autoptr (sqlite3_stmt) stmt =
      globi_store_prepare (db, "SELECT COUNT(*) FROM group_members WHERE group_id = ?1", NULL);

  if (!stmt)
    return G_MAXINT64;
  sqlite3_bind_text (stmt, 1, group_id, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : G_MAXINT64;
}

/* Adds the users not yet members, checking friendship with adder (when not NULL) and the
 * size limit here, inside the write job, so concurrent adds cannot overshoot it. */
static gboolean
insert_members (sqlite3 *db,
                const char *group_id,
                const char *adder,
                char **user_ids,
                gint64 now_ms,
                GError **error)
{
  g_autoptr (GPtrArray) fresh = g_ptr_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *now = time_text (now_ms);

  for (guint i = 0; user_ids && user_ids[i]; i++)
    {
      const char *id = user_ids[i];

      if (!g_hash_table_add (seen, (gpointer) id) ||
          globi_store_social_is_member (db, group_id, id))
        continue;
      if (adder && !globi_store_social_are_friends (db, adder, id))
        return fail (error, GLOBI_ERROR_FORBIDDEN, "user_ids: only your friends can be added");
      g_ptr_array_add (fresh, (gpointer) id);
    }
  if (group_size (db, group_id) + fresh->len > GLOBI_GROUP_MAX_MEMBERS)
    return fail (error, GLOBI_ERROR_GROUP_FULL, "the group has 500 members");
  for (guint i = 0; i < fresh->len; i++)
    if (exec_params (db, error,
                     "INSERT INTO group_members (group_id, user_id, role, joined_at) "
                     "VALUES (?1, ?2, 'member', ?3)",
                     group_id, g_ptr_array_index (fresh, i), now, NULL) < 0)
      return FALSE;
  return TRUE;
}

/* Builds the reply {"group": …} as user_id sees it. */
static GlobiSocialResult *
reply_group (sqlite3 *db,
             GlobiSocialResult *result,
             const char *group_id,
             const char *user_id,
             gboolean with_members,
             GError **error)
{
  JsonNode *group = group_json (db, group_id, user_id, NULL, with_members, error);

  if (!group)
    {
      globi_social_result_free (result);
      return NULL;
    }
  result->reply = wrap ("group", group);
  return result;
}

gpointer
globi_store_social_create_group (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_CREATED, NULL);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *now = time_text (args->now_ms);
  g_autofree char *id = args->id ? g_strdup (args->id) : globi_id_new ();

  if (!(stmt = globi_store_prepare (db, "SELECT created_by FROM chat_groups WHERE id = ?1", error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (!g_str_equal ((const char *) sqlite3_column_text (stmt, 0), args->user_id))
        return fail_null (error, GLOBI_ERROR_CONFLICT, "id: already used");
      return reply_group (db, g_steal_pointer (&result), id, args->user_id, TRUE, error);
    }
  if (exec_params (db, error,
                   "INSERT INTO chat_groups (id, name, announcement, owner_id, created_by, "
                   "member_count, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5, ?5)",
                   id, args->name, args->announcement ? args->announcement : "", args->user_id, now,
                   NULL) < 0 ||
      exec_params (db, error,
                   "INSERT INTO group_members (group_id, user_id, role, joined_at) "
                   "VALUES (?1, ?2, 'owner', ?3)",
                   id, args->user_id, now, NULL) < 0)
    return NULL;
  if (!insert_members (db, id, args->user_id, args->user_ids, args->now_ms, error) ||
      !touch_group (db, id, args->now_ms, error) || !emit_group_updated (db, result, id, error))
    return NULL;
  return reply_group (db, g_steal_pointer (&result), id, args->user_id, TRUE, error);
}

gpointer
globi_store_social_update_group (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_OK, NULL);
  g_autofree char *role = require_role (db, args->id, args->user_id, "admin", error);

  if (!role)
    return NULL;
  if (args->name && exec_params (db, error, "UPDATE chat_groups SET name = ?2 WHERE id = ?1",
                                 args->id, args->name, NULL) < 0)
    return NULL;
  if (args->announcement &&
      exec_params (db, error, "UPDATE chat_groups SET announcement = ?2 WHERE id = ?1", args->id,
                   args->announcement, NULL) < 0)
    return NULL;
  if (!touch_group (db, args->id, args->now_ms, error) ||
      !emit_group_updated (db, result, args->id, error))
    return NULL;
  return reply_group (db, g_steal_pointer (&result), args->id, args->user_id, FALSE, error);
}

gpointer
globi_store_social_set_group_avatar (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_OK, NULL);
  g_autofree char *role = require_role (db, args->id, args->user_id, "admin", error);

  if (!role)
    return NULL;
  if (exec_params (db, error,
                   "UPDATE chat_groups SET avatar_hash = ?2, avatar_thumb_hash = ?3 WHERE id = ?1",
                   args->id, args->avatar_hash, args->avatar_thumb_hash, NULL) < 0 ||
      !touch_group (db, args->id, args->now_ms, error) ||
      !emit_group_updated (db, result, args->id, error))
    return NULL;
  return reply_group (db, g_steal_pointer (&result), args->id, args->user_id, FALSE, error);
}

gpointer
globi_store_social_add_members (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_OK, NULL);
  g_autofree char *role = require_role (db, args->id, args->user_id, NULL, error);

  if (!role)
    return NULL;
  if (!insert_members (db, args->id, args->user_id, args->user_ids, args->now_ms, error) ||
      !touch_group (db, args->id, args->now_ms, error) ||
      !emit_group_updated (db, result, args->id, error))
    return NULL;
  return reply_group (db, g_steal_pointer (&result), args->id, args->user_id, FALSE, error);
}

gpointer
globi_store_social_remove_member (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_NO_CONTENT, NULL);
  g_autofree char *role = require_role (db, args->id, args->user_id, NULL, error);
  g_autofree char *their_role = NULL;

  if (!role)
    return NULL;
  if (g_str_equal (args->other, args->user_id))
    {
      if (g_str_equal (role, "owner"))
        return fail_null (error, GLOBI_ERROR_CONFLICT, "the owner must transfer ownership first");
    }
  else
    {
      if (!(their_role = member_role (db, args->id, args->other, error)))
        return NULL;
      /* The owner removes anyone; admins remove plain members only. */
      if (!g_str_equal (role, "owner") &&
          !(g_str_equal (role, "admin") && g_str_equal (their_role, "member")))
        return fail_null (error, GLOBI_ERROR_FORBIDDEN, "not allowed to remove this member");
    }
  if (exec_params (db, error, "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                   args->id, args->other, NULL) < 0 ||
      !touch_group (db, args->id, args->now_ms, error) ||
      !emit_one (db, result, args->other, user_id_event ("group_removed", "group_id", args->id),
                 error) ||
      !emit_group_updated (db, result, args->id, error))
    return NULL;
  return g_steal_pointer (&result);
}

gpointer
globi_store_social_set_admin (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_NO_CONTENT, NULL);
  g_autofree char *role = require_role (db, args->id, args->user_id, "owner", error);
  g_autofree char *their_role = NULL;

  if (!role || !(their_role = member_role (db, args->id, args->other, error)))
    return NULL;
  if (g_str_equal (their_role, "owner"))
    return fail_null (error, GLOBI_ERROR_CONFLICT, "the owner's role cannot change");
  if (exec_params (db, error,
                   "UPDATE group_members SET role = ?3 WHERE group_id = ?1 AND user_id = ?2",
                   args->id, args->other, args->flag ? "admin" : "member", NULL) < 0 ||
      !touch_group (db, args->id, args->now_ms, error) ||
      !emit_group_updated (db, result, args->id, error))
    return NULL;
  return g_steal_pointer (&result);
}

gpointer
globi_store_social_transfer_owner (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_OK, NULL);
  g_autofree char *role = require_role (db, args->id, args->user_id, "owner", error);
  g_autofree char *their_role = NULL;

  if (!role || !(their_role = member_role (db, args->id, args->other, error)))
    return NULL;
  if (g_str_equal (args->other, args->user_id))
    return reply_group (db, g_steal_pointer (&result), args->id, args->user_id, FALSE, error);
  if (exec_params (db, error,
                   "UPDATE group_members SET role = 'admin' WHERE group_id = ?1 AND user_id = ?2",
                   args->id, args->user_id, NULL) < 0 ||
      exec_params (db, error,
                   "UPDATE group_members SET role = 'owner' WHERE group_id = ?1 AND user_id = ?2",
                   args->id, args->other, NULL) < 0 ||
      exec_params (db, error, "UPDATE chat_groups SET owner_id = ?2 WHERE id = ?1", args->id,
                   args->other, NULL) < 0 ||
      !touch_group (db, args->id, args->now_ms, error) ||
      !emit_group_updated (db, result, args->id, error))
    return NULL;
  return reply_group (db, g_steal_pointer (&result), args->id, args->user_id, FALSE, error);
}

gpointer
globi_store_social_create_invite (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_CREATED, NULL);
  g_autofree char *role = require_role (db, args->id, args->user_id, "admin", error);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonObject) obj = NULL;
  gint64 expires_at = args->now_ms + GLOBI_INVITE_TTL_MS;

  if (!role)
    return NULL;
  if (!(stmt = globi_store_prepare (db,
                                    "INSERT INTO group_invites (hash, group_id, created_by, "
                                    "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                                    error)))
    return NULL;
  sqlite3_bind_blob (stmt, 1, args->token_hash, sizeof args->token_hash, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, args->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, args->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, args->now_ms);
  sqlite3_bind_int64 (stmt, 5, expires_at);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  obj = json_object_new ();
  json_object_set_int_member (obj, "expires_at", expires_at);
  result->reply = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (result->reply, obj);
  return g_steal_pointer (&result);
}

gpointer
globi_store_social_revoke_invite (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_NO_CONTENT, NULL);
  g_autofree char *role = require_role (db, args->id, args->user_id, "admin", error);
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!role)
    return NULL;
  if (!(stmt = globi_store_prepare (db,
                                    "UPDATE group_invites SET revoked_at = ?3 "
                                    "WHERE hash = ?1 AND group_id = ?2",
                                    error)))
    return NULL;
  sqlite3_bind_blob (stmt, 1, args->token_hash, sizeof args->token_hash, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, args->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  if (sqlite3_changes (db) == 0)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such invite");
  return g_steal_pointer (&result);
}

gpointer
globi_store_social_join_group (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_OK, NULL);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *group_id = NULL;
  char *me[] = { args->user_id, NULL };

  if (!(stmt = globi_store_prepare (db,
                                    "SELECT group_id FROM group_invites WHERE hash = ?1 "
                                    "AND revoked_at IS NULL AND expires_at > ?2",
                                    error)))
    return NULL;
  sqlite3_bind_blob (stmt, 1, args->token_hash, sizeof args->token_hash, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, args->now_ms);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return fail_null (error, GLOBI_ERROR_NOT_FOUND, "no such invite");
  group_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (!globi_store_social_is_member (db, group_id, args->user_id))
    {
      if (!insert_members (db, group_id, NULL, me, args->now_ms, error) ||
          !touch_group (db, group_id, args->now_ms, error) ||
          !emit_group_updated (db, result, group_id, error))
        return NULL;
    }
  return reply_group (db, g_steal_pointer (&result), group_id, args->user_id, FALSE, error);
}

/* Reads */

static JsonNode *
requests_array (sqlite3 *db, const char *sql, const char *user_id, GError **error)
{
  g_autoptr (GPtrArray) ids = select_ids (db, sql, user_id, NULL, error);
  JsonArray *array;
  JsonNode *root;

  if (!ids)
    return NULL;
  array = json_array_new ();
  root = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (root, array);
  for (guint i = 0; i < ids->len; i++)
    {
      JsonNode *node = request_json (db, g_ptr_array_index (ids, i), error);

      if (!node)
        {
          json_node_unref (root);
          return NULL;
        }
      json_array_add_element (array, node);
    }
  return root;
}

gpointer
globi_store_social_list_requests (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_OK, NULL);
  JsonNode *incoming, *outgoing;

  if (!(incoming = requests_array (db,
                                   "SELECT id FROM friend_requests WHERE to_id = ?1 "
                                   "AND status = 'pending' ORDER BY created_at DESC, id",
                                   args->user_id, error)))
    return NULL;
  if (!(outgoing = requests_array (db,
                                   "SELECT id FROM friend_requests WHERE from_id = ?1 "
                                   "AND status = 'pending' ORDER BY created_at DESC, id",
                                   args->user_id, error)))
    {
      json_node_unref (incoming);
      return NULL;
    }
  result->reply = wrap ("incoming", incoming);
  json_object_set_member (json_node_get_object (result->reply), "outgoing", outgoing);
  return g_steal_pointer (&result);
}

/* {"NAME": [each(id)]} over the ids of a one-parameter SELECT. */
static GlobiSocialResult *
list_of (sqlite3 *db,
         const char *name,
         const char *sql,
         const char *user_id,
         JsonNode *(*each) (sqlite3 *, const char *, const char *, GError **),
         GError **error)
{
  g_autoptr (GPtrArray) ids = select_ids (db, sql, user_id, NULL, error);
  g_autoptr (GlobiSocialResult) result = result_new (SOUP_STATUS_OK, NULL);
  JsonArray *array;

  if (!ids)
    return NULL;
  array = json_array_new ();
  result->reply = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (result->reply, array);
  result->reply = wrap (name, result->reply);
  for (guint i = 0; i < ids->len; i++)
    {
      JsonNode *node = each (db, user_id, g_ptr_array_index (ids, i), error);

      if (!node)
        return NULL;
      json_array_add_element (array, node);
    }
  return g_steal_pointer (&result);
}

static JsonNode *
each_friend (sqlite3 *db, const char *me, const char *id, GError **error)
{
  return friend_json (db, me, id, error);
}

static JsonNode *
each_user (sqlite3 *db, const char *me, const char *id, GError **error)
{
  return user_json (db, id, error);
}

static JsonNode *
each_group (sqlite3 *db, const char *me, const char *id, GError **error)
{
  return group_json (db, id, me, NULL, FALSE, error);
}

gpointer
globi_store_social_list_friends (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;

  return list_of (db, "friends",
                  "SELECT f.friend_id FROM friends f JOIN users u ON u.id = f.friend_id "
                  "WHERE f.user_id = ?1 ORDER BY u.display_name COLLATE NOCASE, u.id",
                  args->user_id, each_friend, error);
}

gpointer
globi_store_social_list_blocks (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;

  return list_of (
      db, "users",
      "SELECT blocked_id FROM blocks WHERE user_id = ?1 ORDER BY created_at, blocked_id",
      args->user_id, each_user, error);
}

gpointer
globi_store_social_list_groups (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;

  return list_of (db, "groups",
                  "SELECT m.group_id FROM group_members m JOIN chat_groups g ON g.id = m.group_id "
                  "WHERE m.user_id = ?1 ORDER BY g.updated_at DESC, g.id",
                  args->user_id, each_group, error);
}

gpointer
globi_store_social_get_group (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;

  return reply_group (db, result_new (SOUP_STATUS_OK, NULL), args->id, args->user_id, TRUE, error);
}

gpointer
globi_store_social_check_admin (sqlite3 *db, gpointer data, GError **error)
{
  GlobiSocialArgs *args = data;
  g_autofree char *role = require_role (db, args->id, args->user_id, "admin", error);

  return role ? result_new (SOUP_STATUS_NO_CONTENT, NULL) : NULL;
}
