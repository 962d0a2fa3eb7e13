/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-store-messaging"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-error.h"
#include "globi-store-events.h"
#include "globi-store-messaging.h"
#include "globi-store-social.h"
#include "globi-store.h"

#define MAX_STORED_PREKEYS 200

GlobiMessagingArgs *
globi_messaging_args_new (void)
{
  GlobiMessagingArgs *args = g_new0 (GlobiMessagingArgs, 1);

  args->sender_key_id = -1;
  return args;
}

void
globi_messaging_args_free (gpointer data)
{
  GlobiMessagingArgs *args = data;

  g_free (args->user_id);
  g_free (args->device_id);
  g_free (args->target_user_id);
  g_clear_pointer (&args->identity_key, g_bytes_unref);
  g_clear_pointer (&args->signed_prekey, g_bytes_unref);
  g_clear_pointer (&args->signed_prekey_signature, g_bytes_unref);
  g_clear_pointer (&args->one_time_prekeys, g_ptr_array_unref);
  g_free (args->message_id);
  g_free (args->to_user_id);
  g_free (args->to_group_id);
  g_clear_pointer (&args->envelopes, g_ptr_array_unref);
  g_free (args->group_ciphertext);
  g_free (args);
}

void
globi_send_result_free (gpointer data)
{
  GlobiSendResult *result = data;

  g_free (result->message_id);
  g_clear_pointer (&result->deliveries, g_ptr_array_unref);
  g_clear_pointer (&result->missing, g_ptr_array_unref);
  g_clear_pointer (&result->extra, g_ptr_array_unref);
  g_free (result);
}

void
globi_envelope_free (gpointer data)
{
  GlobiEnvelope *envelope = data;

  g_free (envelope->device_id);
  g_free (envelope->type);
  g_free (envelope->ciphertext);
  g_free (envelope);
}

void
globi_prekey_free (gpointer data)
{
  GlobiPrekey *prekey = data;

  g_clear_pointer (&prekey->key, g_bytes_unref);
  g_free (prekey);
}

static void
bind_bytes (sqlite3_stmt *stmt, int index, GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  sqlite3_bind_blob (stmt, index, data, (int) len, SQLITE_STATIC);
}

static gboolean
insert_prekeys (sqlite3 *db, const char *device_id, GPtrArray *prekeys, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gint64 count;

  if (!prekeys || prekeys->len == 0)
    return TRUE;
  /* A re-sent id replaces its key: the client's numbering is the truth. */
  stmt = globi_store_prepare (db,
                              "INSERT OR REPLACE INTO one_time_prekeys (device_id, id, key) "
                              "VALUES (?1, ?2, ?3)",
                              error);
  if (!stmt)
    return FALSE;
  for (guint i = 0; i < prekeys->len; i++)
    {
      GlobiPrekey *prekey = g_ptr_array_index (prekeys, i);

      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, prekey->id);
      bind_bytes (stmt, 3, prekey->key);
      if (!globi_store_step_done (db, stmt, error))
        return FALSE;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  stmt =
      globi_store_prepare (db, "SELECT count(*) FROM one_time_prekeys WHERE device_id = ?1", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  count = sqlite3_column_int64 (stmt, 0);
  if (count > MAX_STORED_PREKEYS)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD,
                   "one_time_prekeys: at most %d stored per device", MAX_STORED_PREKEYS);
      return FALSE;
    }
  return TRUE;
}

/* Appends devices_changed about user_id to the user's friends, co-members and own other
 * devices (not except_device_id). */
static gboolean
devices_changed (sqlite3 *db,
                 const char *user_id,
                 const char *except_device_id,
                 GPtrArray *woken,
                 GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonObject) obj = json_object_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *json = NULL;
  int rc;

  stmt = globi_store_prepare (db,
                              "SELECT friend_id FROM friends WHERE user_id = ?1 UNION "
                              "SELECT b.user_id FROM group_members a JOIN group_members b "
                              "ON b.group_id = a.group_id WHERE a.user_id = ?1 UNION SELECT ?1",
                              error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (users, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  g_ptr_array_add (users, NULL);
  json_object_set_string_member (obj, "kind", "devices_changed");
  json_object_set_string_member (obj, "user_id", user_id);
  node = json_node_init_object (json_node_alloc (), obj);
  json = json_to_string (node, FALSE);
  return globi_store_events_append_to_users (db, (const char *const *) users->pdata,
                                             except_device_id, json, woken, error);
}

gpointer
globi_store_messaging_device_revoked (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) woken = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *user_id = NULL;

  stmt = globi_store_prepare (db,
                              "SELECT d.user_id FROM devices d JOIN device_keys k "
                              "ON k.device_id = d.id WHERE d.id = ?1",
                              error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, args->device_id, -1, SQLITE_STATIC);
  /* Nobody will read the revoked device's stream any more. */
  if (!globi_store_events_ack (db, args->device_id, G_MAXINT64, error))
    return NULL;
  /* A device that never published keys was never a target: nobody needs to know. */
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return g_steal_pointer (&woken);
  user_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (!devices_changed (db, user_id, args->device_id, woken, error))
    return NULL;
  return g_steal_pointer (&woken);
}

gpointer
globi_store_messaging_put_keys (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) woken = g_ptr_array_new_with_free_func (g_free);
  int rc;

  stmt =
      globi_store_prepare (db, "SELECT identity_key FROM device_keys WHERE device_id = ?1", error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, args->device_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      gsize len;
      const guint8 *key = g_bytes_get_data (args->identity_key, &len);

      if ((gsize) sqlite3_column_bytes (stmt, 0) != len ||
          memcmp (sqlite3_column_blob (stmt, 0), key, len) != 0)
        {
          g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT,
                               "a device's identity key never changes");
          return NULL;
        }
    }
  else if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = globi_store_prepare (
      db,
      "INSERT INTO device_keys (device_id, user_id, identity_key, signed_prekey_id, "
      "signed_prekey, signed_prekey_signature, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (device_id) DO UPDATE SET signed_prekey_id = ?4, signed_prekey = ?5, "
      "signed_prekey_signature = ?6, updated_at = ?7",
      error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, args->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->user_id, -1, SQLITE_STATIC);
  bind_bytes (stmt, 3, args->identity_key);
  sqlite3_bind_int64 (stmt, 4, args->signed_prekey_id);
  bind_bytes (stmt, 5, args->signed_prekey);
  bind_bytes (stmt, 6, args->signed_prekey_signature);
  sqlite3_bind_int64 (stmt, 7, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  if (!insert_prekeys (db, args->device_id, args->one_time_prekeys, error))
    return NULL;
  /* A device that publishes keys for the first time is a new target for its contacts. */
  if (rc == SQLITE_DONE && !devices_changed (db, args->user_id, args->device_id, woken, error))
    return NULL;
  return g_steal_pointer (&woken);
}

gpointer
globi_store_messaging_add_prekeys (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db, "SELECT 1 FROM device_keys WHERE device_id = ?1", error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, args->device_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT,
                           "publish the device's keys (PUT /v1/keys) first");
      return NULL;
    }
  insert_prekeys (db, args->device_id, args->one_time_prekeys, error);
  return NULL;
}

gpointer
globi_store_messaging_count_prekeys (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gint64 *count;

  stmt =
      globi_store_prepare (db, "SELECT count(*) FROM one_time_prekeys WHERE device_id = ?1", error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, args->device_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  count = g_new (gint64, 1);
  *count = sqlite3_column_int64 (stmt, 0);
  return count;
}

static void
add_blob (JsonBuilder *builder, const char *name, sqlite3_stmt *stmt, int column)
{
  g_autofree char *text = globi_base64url_encode (sqlite3_column_blob (stmt, column),
                                                  sqlite3_column_bytes (stmt, column));

  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, text);
}

/* Takes (deletes) one one-time prekey of the device, adding it as "one_time_prekey". */
static gboolean
take_prekey (sqlite3 *db, JsonBuilder *builder, const char *device_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = globi_store_prepare (
      db,
      "DELETE FROM one_time_prekeys WHERE device_id = ?1 AND id = (SELECT min (id) "
      "FROM one_time_prekeys WHERE device_id = ?1) "
      "RETURNING id, key",
      error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  json_builder_set_member_name (builder, "one_time_prekey");
  if (rc == SQLITE_ROW)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 0));
      add_blob (builder, "key", stmt, 1);
      json_builder_end_object (builder);
      rc = sqlite3_step (stmt);
    }
  else
    json_builder_add_null_value (builder);
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  return TRUE;
}

gpointer
globi_store_messaging_fetch_keys (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GPtrArray) devices = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (!g_str_equal (args->user_id, args->target_user_id) &&
      !globi_store_social_are_friends (db, args->user_id, args->target_user_id) &&
      !globi_store_social_shares_group (db, args->user_id, args->target_user_id))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN,
                           "keys are for friends and group members");
      return NULL;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, args->target_user_id);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  stmt = globi_store_prepare (db,
                              "SELECT k.device_id, k.identity_key, k.signed_prekey_id, "
                              "k.signed_prekey, k.signed_prekey_signature FROM device_keys k "
                              "JOIN devices d ON d.id = k.device_id WHERE d.user_id = ?1 "
                              "AND d.revoked_at IS NULL ORDER BY k.device_id",
                              error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, args->target_user_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *device_id = (const char *) sqlite3_column_text (stmt, 0);

      g_ptr_array_add (devices, g_strdup (device_id));
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "device_id");
      json_builder_add_string_value (builder, device_id);
      add_blob (builder, "identity_key", stmt, 1);
      json_builder_set_member_name (builder, "signed_prekey");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, sqlite3_column_int64 (stmt, 2));
      add_blob (builder, "key", stmt, 3);
      add_blob (builder, "signature", stmt, 4);
      json_builder_end_object (builder);
      /* The one-time prekey is added after this query is done with (below). */
      json_builder_end_object (builder);
    }
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  {
    g_autoptr (JsonNode) root = json_builder_get_root (builder);
    JsonArray *array = json_object_get_array_member (json_node_get_object (root), "devices");

    for (guint i = 0; i < devices->len; i++)
      {
        g_autoptr (JsonBuilder) one = json_builder_new ();
        g_autoptr (JsonNode) node = NULL;
        JsonObject *bundle = json_array_get_object_element (array, i);

        json_builder_begin_object (one);
        if (!take_prekey (db, one, g_ptr_array_index (devices, i), error))
          return NULL;
        json_builder_end_object (one);
        node = json_builder_get_root (one);
        json_object_set_member (
            bundle, "one_time_prekey",
            json_object_dup_member (json_node_get_object (node), "one_time_prekey"));
      }
    return g_steal_pointer (&root);
  }
}

/* The message event, printed rather than built: every string in it was checked on the way
 * in (ids are server-made or validated UUIDs, the recipient a friend or the group one I
 * am in, type one of three words, ciphertext base64url), so none needs escaping; a
 * JsonBuilder here cost more than the rest of a 1:1 send. */
static char *
message_event_json (const GlobiMessagingArgs *args,
                    const char *type,
                    const char *ciphertext,
                    gint64 sent_at)
{
  g_autofree char *key_id =
      args->sender_key_id >= 0
          ? g_strdup_printf (",\"sender_key_id\":%" G_GINT64_FORMAT, args->sender_key_id)
          : NULL;

  return g_strdup_printf ("{\"kind\":\"message\",\"id\":\"%s\",\"from\":{\"user_id\":\"%s\","
                          "\"device_id\":\"%s\"},\"to\":{\"%s\":\"%s\"},\"type\":\"%s\","
                          "\"ciphertext\":\"%s\"%s,\"sent_at\":%" G_GINT64_FORMAT "}",
                          args->message_id, args->user_id, args->device_id,
                          args->to_group_id ? "group_id" : "user_id",
                          args->to_group_id ? args->to_group_id : args->to_user_id, type,
                          ciphertext, key_id ? key_id : "", sent_at);
}

/* Claims the message id for the sender: TRUE when it is new. Else it was stored before
 * (a retry) and *out_sent_at is the first reply's. One statement on the common path,
 * where a lookup then an insert took two. */
static gboolean
claim_message_id (sqlite3 *db,
                  const GlobiMessagingArgs *args,
                  gboolean *out_new,
                  gint64 *out_sent_at,
                  GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  int rc;

  stmt = globi_store_prepare_cached (db,
                                     "INSERT INTO messages (sender_id, id, sent_at) VALUES "
                                     "(?1, ?2, ?3) ON CONFLICT DO NOTHING",
                                     error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, args->user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->message_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, args->now_ms);
  if (!globi_store_step_done (db, stmt, error))
    return FALSE;
  *out_new = sqlite3_changes (db) > 0;
  *out_sent_at = args->now_ms;
  if (*out_new)
    return TRUE;
  g_clear_pointer (&stmt, globi_store_release_cached);
  stmt = globi_store_prepare_cached (
      db, "SELECT sent_at FROM messages WHERE sender_id = ?1 AND id = ?2", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, args->user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->message_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  *out_sent_at = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* A refused send (stale devices) leaves no trace: the retry with the same id is new. */
static gboolean
unclaim_message_id (sqlite3 *db, const GlobiMessagingArgs *args, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;

  stmt = globi_store_prepare_cached (db, "DELETE FROM messages WHERE sender_id = ?1 AND id = ?2",
                                     error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, args->user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->message_id, -1, SQLITE_STATIC);
  return globi_store_step_done (db, stmt, error);
}

/* Direct: the recipient's devices with keys, then my other devices with keys: one query,
 * each half an index probe (an IN over the two users cost an ephemeral table, an ORDER BY
 * a sorter). */
static GPtrArray *
direct_targets (sqlite3 *db, const GlobiMessagingArgs *args, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);
  int rc;

  stmt = globi_store_prepare_cached (db,
                                     "SELECT d.id FROM devices d JOIN device_keys k ON "
                                     "k.device_id = d.id WHERE d.user_id = ?1 AND "
                                     "d.revoked_at IS NULL AND d.id != ?3 UNION ALL "
                                     "SELECT d.id FROM devices d JOIN device_keys k ON "
                                     "k.device_id = d.id WHERE d.user_id = ?2 AND ?2 != ?1 AND "
                                     "d.revoked_at IS NULL AND d.id != ?3",
                                     error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, args->to_user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, args->device_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (targets, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&targets);
}

/* Every active device with keys of every member, but the sending device: one query. */
static GPtrArray *
group_targets (sqlite3 *db, const GlobiMessagingArgs *args, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);
  int rc;

  stmt =
      globi_store_prepare_cached (db,
                                  "SELECT d.id FROM group_members m JOIN devices d ON d.user_id = "
                                  "m.user_id JOIN device_keys k ON k.device_id = d.id WHERE "
                                  "m.group_id = ?1 AND d.revoked_at IS NULL AND d.id != ?2",
                                  error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, args->to_group_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->device_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (targets, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&targets);
}

/* The devices that already have sender key sender_key_id of this sending device. */
static GHashTable *
keyed_devices (sqlite3 *db, const GlobiMessagingArgs *args, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  g_autoptr (GHashTable) keyed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int rc;

  stmt = globi_store_prepare_cached (
      db,
      "SELECT recipient_device FROM sender_keys WHERE group_id = ?1 AND "
      "sender_device = ?2 AND key_id = ?3",
      error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, args->to_group_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, args->sender_key_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (keyed, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&keyed);
}

/* Whether the sender may write to the chat: a member of the group, or a friend neither
 * side has blocked (the rules of globi-store-social.h's helpers, asked in one cached
 * statement because every message asks). Each block direction is its own primary-key
 * probe: an OR of the two made SQLite build an ephemeral table on every call. */
static gboolean
check_allowed (sqlite3 *db, const GlobiMessagingArgs *args, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  gboolean blocked, friends;

  if (args->to_group_id)
    {
      stmt = globi_store_prepare_cached (
          db, "SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2", error);
      if (!stmt)
        return FALSE;
      sqlite3_bind_text (stmt, 1, args->to_group_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, args->user_id, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_ROW)
        {
          g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN,
                               "not a member of this group");
          return FALSE;
        }
      return TRUE;
    }
  if (g_str_equal (args->to_user_id, args->user_id))
    return TRUE;
  stmt = globi_store_prepare_cached (
      db,
      "SELECT EXISTS (SELECT 1 FROM blocks WHERE user_id = ?1 AND blocked_id = ?2) OR "
      "EXISTS (SELECT 1 FROM blocks WHERE user_id = ?2 AND blocked_id = ?1), "
      "EXISTS (SELECT 1 FROM friends WHERE user_id = ?1 AND friend_id = ?2)",
      error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, args->user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, args->to_user_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  blocked = sqlite3_column_int (stmt, 0);
  friends = sqlite3_column_int (stmt, 1);
  if (blocked)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BLOCKED, "blocked");
      return FALSE;
    }
  if (!friends)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN,
                           "messages go to friends only");
      return FALSE;
    }
  return TRUE;
}

gpointer
globi_store_messaging_send (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;
  g_autoptr (GlobiSendResult) result = g_new0 (GlobiSendResult, 1);
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) extra = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  g_autoptr (GHashTable) target_set = NULL;
  g_autoptr (GHashTable) envelope_set = NULL;
  g_autoptr (GHashTable) keyed = NULL;
  gboolean is_new;

  result->message_id = g_strdup (args->message_id);
  result->deliveries = g_ptr_array_new_with_free_func (globi_delivery_free);
  if (!claim_message_id (db, args, &is_new, &result->sent_at, error))
    return NULL;
  if (!is_new)
    return g_steal_pointer (&result);
  /* An error rolls the claim back with the rest of the job. */
  if (!check_allowed (db, args, error))
    return NULL;
  targets = args->to_group_id ? group_targets (db, args, error) : direct_targets (db, args, error);
  if (!targets)
    return NULL;

  target_set = g_hash_table_new (g_str_hash, g_str_equal);
  envelope_set = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < targets->len; i++)
    g_hash_table_add (target_set, g_ptr_array_index (targets, i));
  for (guint i = 0; i < args->envelopes->len; i++)
    {
      GlobiEnvelope *envelope = g_ptr_array_index (args->envelopes, i);

      g_hash_table_add (envelope_set, envelope->device_id);
      if (!g_hash_table_contains (target_set, envelope->device_id))
        g_ptr_array_add (extra, g_strdup (envelope->device_id));
    }
  if (args->to_group_id && !(keyed = keyed_devices (db, args, error)))
    return NULL;
  for (guint i = 0; i < targets->len; i++)
    {
      const char *device_id = g_ptr_array_index (targets, i);

      if (!g_hash_table_contains (envelope_set, device_id) &&
          !(keyed && g_hash_table_contains (keyed, device_id)))
        g_ptr_array_add (missing, g_strdup (device_id));
    }
  if (missing->len > 0 || extra->len > 0)
    {
      if (!unclaim_message_id (db, args, error))
        return NULL;
      result->missing = g_steal_pointer (&missing);
      result->extra = g_steal_pointer (&extra);
      return g_steal_pointer (&result);
    }

  if (args->to_group_id)
    {
      stmt =
          globi_store_prepare_cached (db,
                                      "INSERT OR IGNORE INTO sender_keys (group_id, sender_device, "
                                      "key_id, recipient_device) VALUES (?1, ?2, ?3, ?4)",
                                      error);
      if (!stmt)
        return NULL;
    }
  /* Envelopes first: a distribution must reach a device before the message it opens. */
  for (guint i = 0; i < args->envelopes->len; i++)
    {
      GlobiEnvelope *envelope = g_ptr_array_index (args->envelopes, i);
      g_autofree char *json =
          message_event_json (args, envelope->type, envelope->ciphertext, result->sent_at);
      char *shared = g_ref_string_new (json);
      const char *one[] = { envelope->device_id, NULL };
      gboolean ok = globi_store_events_deliver (db, one, shared, result->deliveries, error);

      g_ref_string_release (shared);
      if (!ok)
        return NULL;
      if (args->to_group_id && g_str_equal (envelope->type, "sender_key"))
        {
          sqlite3_reset (stmt);
          sqlite3_bind_text (stmt, 1, args->to_group_id, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 2, args->device_id, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 3, args->sender_key_id);
          sqlite3_bind_text (stmt, 4, envelope->device_id, -1, SQLITE_STATIC);
          if (!globi_store_step_done (db, stmt, error))
            return NULL;
        }
    }
  if (args->to_group_id)
    {
      g_autofree char *json =
          message_event_json (args, "group", args->group_ciphertext, result->sent_at);
      char *shared = g_ref_string_new (json);
      gboolean ok;

      g_ptr_array_add (targets, NULL);
      ok = globi_store_events_deliver (db, (const char *const *) targets->pdata, shared,
                                       result->deliveries, error);
      g_ref_string_release (shared);
      if (!ok)
        return NULL;
    }
  return g_steal_pointer (&result);
}

gpointer
globi_store_messaging_read_events (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (globi_event_row_free);

  if (!globi_store_events_read (db, args->device_id, args->after, args->limit, args->cutoff_ms,
                                rows, error))
    return NULL;
  return g_steal_pointer (&rows);
}

gpointer
globi_store_messaging_ack (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;

  globi_store_events_ack (db, args->device_id, args->after, error);
  return NULL;
}

gpointer
globi_store_messaging_expire (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;

  globi_store_events_expire (db, args->cutoff_ms, error);
  return NULL;
}

gpointer
globi_store_messaging_typing_targets (sqlite3 *db, gpointer data, GError **error)
{
  GlobiMessagingArgs *args = data;
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) members = NULL;

  if (!check_allowed (db, args, error))
    return NULL;
  if (!args->to_group_id)
    {
      g_ptr_array_add (targets, g_strdup (args->to_user_id));
      return g_steal_pointer (&targets);
    }
  if (!(members = globi_store_social_group_member_ids (db, args->to_group_id, error)))
    return NULL;
  for (guint i = 0; i < members->len; i++)
    {
      const char *member = g_ptr_array_index (members, i);

      if (!g_str_equal (member, args->user_id) &&
          !globi_store_social_is_blocked_either (db, args->user_id, member))
        g_ptr_array_add (targets, g_strdup (member));
    }
  return g_steal_pointer (&targets);
}
