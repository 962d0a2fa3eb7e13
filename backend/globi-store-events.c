/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-store-events"

#include "config.h"

#include "globi-error.h"
#include "globi-store-events.h"
#include "globi-store-messaging.h"
#include "globi-store.h"

void
globi_event_row_free (gpointer data)
{
  GlobiEventRow *row = data;

  g_free (row->json);
  g_free (row);
}

/* The two statements of an append, from the connection's statement cache: a group
 * message appends to hundreds of streams, and every message to at least one. */
typedef struct
{
  sqlite3_stmt *next;
  sqlite3_stmt *insert;
} Appender;

static void
appender_clear (Appender *appender)
{
  g_clear_pointer (&appender->next, globi_store_release_cached);
  g_clear_pointer (&appender->insert, globi_store_release_cached);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Appender, appender_clear)

static gboolean
appender_init (Appender *appender, sqlite3 *db, GError **error)
{
  /* The next seq of a device, allocated inside the caller's transaction. */
  appender->next = globi_store_prepare_cached (db,
                                               "INSERT INTO streams (device_id, last_seq) "
                                               "VALUES (?1, 1) ON CONFLICT (device_id) DO UPDATE "
                                               "SET last_seq = last_seq + 1 RETURNING last_seq",
                                               error);
  if (!appender->next)
    return FALSE;
  appender->insert = globi_store_prepare_cached (db,
                                                 "INSERT INTO events (device_id, seq, payload_id, "
                                                 "json, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                                                 error);
  return appender->insert != NULL;
}

static gboolean
append (sqlite3 *db,
        Appender *appender,
        const char *device_id,
        gint64 payload_id,
        const char *json,
        gint64 now_ms,
        gint64 *out_seq,
        GError **error)
{
  sqlite3_stmt *next = appender->next;
  sqlite3_stmt *insert = appender->insert;
  gint64 seq;

  sqlite3_reset (next);
  sqlite3_bind_text (next, 1, device_id, -1, SQLITE_STATIC);
  if (sqlite3_step (next) != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      sqlite3_reset (next);
      return FALSE;
    }
  seq = sqlite3_column_int64 (next, 0);
  sqlite3_reset (next);
  if (out_seq)
    *out_seq = seq;

  sqlite3_reset (insert);
  sqlite3_clear_bindings (insert);
  sqlite3_bind_text (insert, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (insert, 2, seq);
  if (payload_id > 0)
    sqlite3_bind_int64 (insert, 3, payload_id);
  else
    sqlite3_bind_text (insert, 4, json, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (insert, 5, now_ms);
  return globi_store_step_done (db, insert, error);
}

gboolean
globi_store_events_append_one (sqlite3 *db,
                               const char *device_id,
                               const char *event_json,
                               GPtrArray *out_device_ids,
                               GError **error)
{
  g_auto (Appender) appender = { NULL, NULL };

  if (!appender_init (&appender, db, error) ||
      !append (db, &appender, device_id, 0, event_json, g_get_real_time () / 1000, NULL, error))
    return FALSE;
  if (out_device_ids)
    g_ptr_array_add (out_device_ids, g_strdup (device_id));
  return TRUE;
}

void
globi_delivery_free (gpointer data)
{
  GlobiDelivery *delivery = data;

  g_free (delivery->device_id);
  g_clear_pointer (&delivery->json, g_ref_string_release);
  g_free (delivery);
}

static void
add_delivery (GPtrArray *deliveries, const char *device_id, gint64 seq, char *json)
{
  GlobiDelivery *delivery = g_new (GlobiDelivery, 1);

  delivery->device_id = g_strdup (device_id);
  delivery->seq = seq;
  delivery->json = g_ref_string_acquire (json);
  g_ptr_array_add (deliveries, delivery);
}

gboolean
globi_store_events_deliver (sqlite3 *db,
                            const char *const *device_ids,
                            char *event_json,
                            GPtrArray *out_deliveries,
                            GError **error)
{
  guint n = device_ids ? g_strv_length ((char **) device_ids) : 0;
  gint64 now_ms = g_get_real_time () / 1000;
  gint64 payload_id = 0;
  g_auto (Appender) appender = { NULL, NULL };

  if (n == 0)
    return TRUE;
  if (!appender_init (&appender, db, error))
    return FALSE;
  if (n > 1)
    {
      /* Many readers share one copy of the JSON. */
      g_autoptr (GlobiStoreCachedStmt) stmt = globi_store_prepare_cached (
          db, "INSERT INTO payloads (json, refs) VALUES (?1, ?2)", error);

      if (!stmt)
        return FALSE;
      sqlite3_bind_text (stmt, 1, event_json, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, n);
      if (!globi_store_step_done (db, stmt, error))
        return FALSE;
      payload_id = sqlite3_last_insert_rowid (db);
    }
  for (guint i = 0; i < n; i++)
    {
      gint64 seq;

      if (!append (db, &appender, device_ids[i], payload_id, event_json, now_ms, &seq, error))
        return FALSE;
      if (out_deliveries)
        add_delivery (out_deliveries, device_ids[i], seq, event_json);
    }
  return TRUE;
}

gboolean
globi_store_events_append_to_devices (sqlite3 *db,
                                      const char *const *device_ids,
                                      const char *event_json,
                                      GPtrArray *out_device_ids,
                                      GError **error)
{
  guint n = device_ids ? g_strv_length ((char **) device_ids) : 0;
  gint64 now_ms = g_get_real_time () / 1000;
  gint64 payload_id = 0;
  g_auto (Appender) appender = { NULL, NULL };

  if (n == 0)
    return TRUE;
  if (!appender_init (&appender, db, error))
    return FALSE;
  if (n > 1)
    {
      /* Many readers share one copy of the JSON. */
      g_autoptr (GlobiStoreCachedStmt) stmt = globi_store_prepare_cached (
          db, "INSERT INTO payloads (json, refs) VALUES (?1, ?2)", error);

      if (!stmt)
        return FALSE;
      sqlite3_bind_text (stmt, 1, event_json, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, n);
      if (!globi_store_step_done (db, stmt, error))
        return FALSE;
      payload_id = sqlite3_last_insert_rowid (db);
    }
  for (guint i = 0; i < n; i++)
    {
      if (!append (db, &appender, device_ids[i], payload_id, event_json, now_ms, NULL, error))
        return FALSE;
      if (out_device_ids)
        g_ptr_array_add (out_device_ids, g_strdup (device_ids[i]));
    }
  return TRUE;
}

GPtrArray *
globi_store_events_active_devices (sqlite3 *db,
                                   const char *user_id,
                                   gboolean with_keys,
                                   GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  stmt = globi_store_prepare_cached (db,
                                     with_keys ? "SELECT d.id FROM devices d JOIN device_keys k "
                                                 "ON k.device_id = d.id WHERE d.user_id = ?1 "
                                                 "AND d.revoked_at IS NULL ORDER BY d.id"
                                               : "SELECT id FROM devices WHERE user_id = ?1 "
                                                 "AND revoked_at IS NULL ORDER BY id",
                                     error);
  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&ids);
}

gboolean
globi_store_events_append_to_users (sqlite3 *db,
                                    const char *const *user_ids,
                                    const char *except_device_id,
                                    const char *event_json,
                                    GPtrArray *out_device_ids,
                                    GError **error)
{
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; user_ids && user_ids[i]; i++)
    {
      g_autoptr (GPtrArray) ids = globi_store_events_active_devices (db, user_ids[i], FALSE, error);

      if (!ids)
        return FALSE;
      for (guint j = 0; j < ids->len; j++)
        if (g_strcmp0 (g_ptr_array_index (ids, j), except_device_id) != 0)
          g_ptr_array_add (targets, g_strdup (g_ptr_array_index (ids, j)));
    }
  g_ptr_array_add (targets, NULL);
  return globi_store_events_append_to_devices (db, (const char *const *) targets->pdata, event_json,
                                               out_device_ids, error);
}

gboolean
globi_store_events_read (sqlite3 *db,
                         const char *device_id,
                         gint64 after,
                         guint limit,
                         gint64 cutoff_ms,
                         GPtrArray *out_rows,
                         GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;
  int rc;

  stmt = globi_store_prepare_cached (db,
                                     "SELECT e.seq, coalesce (e.json, p.json) FROM events e "
                                     "LEFT JOIN payloads p ON p.id = e.payload_id "
                                     "WHERE e.device_id = ?1 AND e.seq > ?2 AND e.created_at >= ?3 "
                                     "ORDER BY e.seq LIMIT ?4",
                                     error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, after);
  sqlite3_bind_int64 (stmt, 3, cutoff_ms);
  sqlite3_bind_int64 (stmt, 4, limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      GlobiEventRow *row = g_new0 (GlobiEventRow, 1);

      row->seq = sqlite3_column_int64 (stmt, 0);
      row->json = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      g_ptr_array_add (out_rows, row);
    }
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
globi_store_events_ack (sqlite3 *db, const char *device_id, gint64 seq, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;

  stmt = globi_store_prepare_cached (db, "DELETE FROM events WHERE device_id = ?1 AND seq <= ?2",
                                     error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, seq);
  return globi_store_step_done (db, stmt, error);
}

gboolean
globi_store_events_expire (sqlite3 *db, gint64 cutoff_ms, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db, "DELETE FROM events WHERE created_at < ?1", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, cutoff_ms);
  if (!globi_store_step_done (db, stmt, error))
    return FALSE;
  g_clear_pointer (&stmt, sqlite3_finalize);
  /* Idempotency keys only need to outlive any client retry. */
  stmt = globi_store_prepare (db, "DELETE FROM messages WHERE sent_at < ?1", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, cutoff_ms);
  return globi_store_step_done (db, stmt, error);
}
