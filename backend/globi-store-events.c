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

/* Ids are made by the server (UUIDs): they go into a JSON array unescaped. */
static gboolean
is_plain_id (const char *id)
{
  for (const char *p = id; *p; p++)
    if (*p == '"' || *p == '\\' || (guchar) *p < 0x20)
      return FALSE;
  return TRUE;
}

/* Appends one event to many streams in three statements, whatever their number: seqs
 * allocated for all of them by one upsert, the rows inserted by one INSERT ... SELECT.
 * Statement by statement per device, SQLite's per-statement journal work cost more than
 * the rows themselves (a 500-member group message is 1 000 statements). */
static gboolean
append_set (sqlite3 *db,
            GPtrArray *ids,
            gint64 payload_id,
            gint64 now_ms,
            const char *event_json,
            GPtrArray *out_deliveries,
            GPtrArray *out_device_ids,
            GError **error)
{
  g_autoptr (GString) list = g_string_sized_new (ids->len * 40);
  g_autoptr (GlobiStoreCachedStmt) next = NULL;
  g_autoptr (GlobiStoreCachedStmt) insert = NULL;
  int rc;

  g_string_append_c (list, '[');
  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (list, "%s\"%s\"", i ? "," : "", (char *) ids->pdata[i]);
  g_string_append_c (list, ']');

  next = globi_store_prepare_cached (db,
                                     "INSERT INTO streams (device_id, last_seq) SELECT value, 1 "
                                     "FROM json_each (?1) WHERE true ON CONFLICT (device_id) DO "
                                     "UPDATE SET last_seq = last_seq + 1 RETURNING device_id, "
                                     "last_seq",
                                     error);
  if (!next)
    return FALSE;
  sqlite3_bind_text (next, 1, list->str, list->len, SQLITE_STATIC);
  while ((rc = sqlite3_step (next)) == SQLITE_ROW)
    {
      const char *device_id = (const char *) sqlite3_column_text (next, 0);

      if (out_deliveries)
        add_delivery (out_deliveries, device_id, sqlite3_column_int64 (next, 1),
                      (char *) event_json);
      if (out_device_ids)
        g_ptr_array_add (out_device_ids, g_strdup (device_id));
    }
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }

  insert = globi_store_prepare_cached (db,
                                       "INSERT INTO events (device_id, seq, payload_id, json, "
                                       "created_at) SELECT s.device_id, s.last_seq, ?2, NULL, ?3 "
                                       "FROM json_each (?1) j JOIN streams s ON s.device_id = "
                                       "j.value",
                                       error);
  if (!insert)
    return FALSE;
  sqlite3_bind_text (insert, 1, list->str, list->len, SQLITE_STATIC);
  sqlite3_bind_int64 (insert, 2, payload_id);
  sqlite3_bind_int64 (insert, 3, now_ms);
  return globi_store_step_done (db, insert, error);
}

/* The one append path: event_json to every device in device_ids (NULL-terminated, a
 * device named twice gets it once), JSON stored once when there are several. Reports
 * GlobiDelivery rows (event_json must then be a GRefString) and/or device ids. */
static gboolean
append_many (sqlite3 *db,
             const char *const *device_ids,
             const char *event_json,
             GPtrArray *out_deliveries,
             GPtrArray *out_device_ids,
             GError **error)
{
  g_autoptr (GHashTable) seen = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  gint64 now_ms = g_get_real_time () / 1000;
  gboolean plain = TRUE;
  gint64 payload_id = 0;
  g_auto (Appender) appender = { NULL, NULL };
  guint n = 0;

  while (device_ids && device_ids[n])
    n++;
  /* Most events have one or two readers: a hash table only for the big sets. */
  if (n > 8)
    seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < n; i++)
    {
      gboolean dup = FALSE;

      if (seen)
        dup = !g_hash_table_add (seen, (gpointer) device_ids[i]);
      else
        for (guint j = 0; j < i && !dup; j++)
          dup = g_str_equal (device_ids[j], device_ids[i]);
      if (dup)
        continue;
      g_ptr_array_add (ids, (gpointer) device_ids[i]);
      plain = plain && is_plain_id (device_ids[i]);
    }
  if (ids->len == 0)
    return TRUE;
  if (ids->len > 1)
    {
      /* Many readers share one copy of the JSON. */
      g_autoptr (GlobiStoreCachedStmt) stmt = globi_store_prepare_cached (
          db, "INSERT INTO payloads (json, refs) VALUES (?1, ?2)", error);

      if (!stmt)
        return FALSE;
      sqlite3_bind_text (stmt, 1, event_json, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, ids->len);
      if (!globi_store_step_done (db, stmt, error))
        return FALSE;
      payload_id = sqlite3_last_insert_rowid (db);
      if (plain)
        return append_set (db, ids, payload_id, now_ms, event_json, out_deliveries, out_device_ids,
                           error);
    }
  if (!appender_init (&appender, db, error))
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    {
      const char *device_id = ids->pdata[i];
      gint64 seq;

      if (!append (db, &appender, device_id, payload_id, event_json, now_ms, &seq, error))
        return FALSE;
      if (out_deliveries)
        add_delivery (out_deliveries, device_id, seq, (char *) event_json);
      if (out_device_ids)
        g_ptr_array_add (out_device_ids, g_strdup (device_id));
    }
  return TRUE;
}

gboolean
globi_store_events_deliver (sqlite3 *db,
                            const char *const *device_ids,
                            char *event_json,
                            GPtrArray *out_deliveries,
                            GError **error)
{
  return append_many (db, device_ids, event_json, out_deliveries, NULL, error);
}

gboolean
globi_store_events_append_to_devices (sqlite3 *db,
                                      const char *const *device_ids,
                                      const char *event_json,
                                      GPtrArray *out_device_ids,
                                      GError **error)
{
  return append_many (db, device_ids, event_json, NULL, out_device_ids, error);
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

  /* Rows at or below the acknowledged seq may still be stored (the reaper deletes them
   * later): never again returned, whatever `after` the client asks from. */
  stmt = globi_store_prepare_cached (db,
                                     "SELECT e.seq, coalesce (e.json, p.json) FROM events e "
                                     "LEFT JOIN payloads p ON p.id = e.payload_id "
                                     "WHERE e.device_id = ?1 AND e.seq > max (?2, coalesce ("
                                     "(SELECT acked FROM streams WHERE device_id = ?1), 0)) "
                                     "AND e.created_at >= ?3 ORDER BY e.seq LIMIT ?4",
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

/* An acknowledgement only moves the stream's cursor: one small row. Deleting the rows
 * (and counting down their shared payloads) is the reaper's, when the writer has time; a
 * burst of acks (every member of a big group acking at once) then no longer holds up the
 * sends queued behind it. Never past the last seq given out, so a future event is never
 * hidden. */
gboolean
globi_store_events_ack (sqlite3 *db, const char *device_id, gint64 seq, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;

  stmt = globi_store_prepare_cached (db,
                                     "UPDATE streams SET acked = min (?2, last_seq) WHERE "
                                     "device_id = ?1 AND acked < min (?2, last_seq)",
                                     error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, seq);
  if (!globi_store_step_done (db, stmt, error))
    return FALSE;
  if (sqlite3_changes (db) > 0)
    globi_store_want_maintenance ();
  return TRUE;
}

/* Retention, like acknowledgement, is the reaper's: the cutoff is recorded here (durably,
 * so a restart resumes it) and the rows go in chunks. */
gboolean
globi_store_events_expire (sqlite3 *db, gint64 cutoff_ms, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) stmt = NULL;

  stmt = globi_store_prepare_cached (db,
                                     "INSERT INTO maintenance (name, value) VALUES "
                                     "('expire_before', ?1) ON CONFLICT (name) DO UPDATE SET "
                                     "value = max (value, excluded.value)",
                                     error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, cutoff_ms);
  if (!globi_store_step_done (db, stmt, error))
    return FALSE;
  globi_store_want_maintenance ();
  return TRUE;
}

#define REAP_SLICE 32

/* Payload id → how many of its readers' rows a chunk deleted. */
static gboolean
count_released (
    sqlite3 *db, sqlite3_stmt *delete, GHashTable *released, guint *out_rows, GError **error)
{
  int rc;

  while ((rc = sqlite3_step (delete)) == SQLITE_ROW)
    {
      (*out_rows)++;
      if (sqlite3_column_type (delete, 0) != SQLITE_NULL)
        {
          gpointer key = GSIZE_TO_POINTER ((gsize) sqlite3_column_int64 (delete, 0));

          g_hash_table_insert (
              released, key,
              GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (released, key)) + 1));
        }
    }
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  return TRUE;
}

/* One update per payload for the whole chunk, where a trigger made one per deleted row:
 * the rows of one group message are acknowledged by hundreds of devices at about the same
 * time, and so reaped together. */
static gboolean
release_payloads (sqlite3 *db, GHashTable *released, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) update = NULL;
  g_autoptr (GlobiStoreCachedStmt) delete = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (released) == 0)
    return TRUE;
  update = globi_store_prepare_cached (
      db, "UPDATE payloads SET refs = refs - ?2 WHERE id = ?1 RETURNING refs", error);
  delete = globi_store_prepare_cached (db, "DELETE FROM payloads WHERE id = ?1", error);
  if (!update || !delete)
    return FALSE;
  g_hash_table_iter_init (&iter, released);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 id = (gint64) GPOINTER_TO_SIZE (key);
      gboolean gone;
      int rc;

      sqlite3_reset (update);
      sqlite3_bind_int64 (update, 1, id);
      sqlite3_bind_int64 (update, 2, GPOINTER_TO_UINT (value));
      rc = sqlite3_step (update);
      gone = rc == SQLITE_ROW && sqlite3_column_int64 (update, 0) <= 0;
      if (rc == SQLITE_ROW)
        rc = sqlite3_step (update);
      if (rc != SQLITE_DONE)
        {
          globi_store_set_error (db, error);
          return FALSE;
        }
      if (gone)
        {
          sqlite3_reset (delete);
          sqlite3_bind_int64 (delete, 1, id);
          if (!globi_store_step_done (db, delete, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* Deletes acknowledged rows, up to *budget of them, in slices of up to REAP_SLICE
 * neighbouring rows of a stream. */
static gboolean
reap_acknowledged (
    sqlite3 *db, GHashTable *released, guint *budget, gboolean *out_more, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) pending = NULL;
  g_autoptr (GlobiStoreCachedStmt) delete = NULL;
  g_autoptr (GlobiStoreCachedStmt) done = NULL;
  g_autoptr (GPtrArray) devices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) ranges = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint left = *budget;
  int rc;

  /* From the partial index: only the streams with something to reap. */
  pending = globi_store_prepare_cached (
      db, "SELECT device_id, reaped, acked FROM streams WHERE acked > reaped LIMIT 64", error);
  if (!pending)
    return FALSE;
  while ((rc = sqlite3_step (pending)) == SQLITE_ROW)
    {
      gint64 range[2] = { sqlite3_column_int64 (pending, 1), sqlite3_column_int64 (pending, 2) };

      g_ptr_array_add (devices, g_strdup ((const char *) sqlite3_column_text (pending, 0)));
      g_array_append_vals (ranges, range, 2);
    }
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  g_clear_pointer (&pending, globi_store_release_cached);

  delete = globi_store_prepare_cached (db,
                                       "DELETE FROM events WHERE device_id = ?1 AND seq > ?2 "
                                       "AND seq <= ?3 RETURNING payload_id",
                                       error);
  done =
      globi_store_prepare_cached (db, "UPDATE streams SET reaped = ?2 WHERE device_id = ?1", error);
  if (!delete || !done)
    return FALSE;
  for (guint i = 0; i < devices->len && left > 0; i++)
    {
      gint64 reaped = g_array_index (ranges, gint64, 2 * i);
      gint64 acked = g_array_index (ranges, gint64, 2 * i + 1);
      /* A slice of each stream per chunk rather than one stream after the other: the
       * rows of one group message in many streams then go in the same chunk, and their
       * payload is counted down once. Seqs are dense but for rows retention took: a
       * slice of n seqs is at most n rows. */
      gint64 upto = MIN (acked, reaped + MIN (left, REAP_SLICE));
      guint rows = 0;

      sqlite3_reset (delete);
      sqlite3_bind_text (delete, 1, devices->pdata[i], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (delete, 2, reaped);
      sqlite3_bind_int64 (delete, 3, upto);
      if (!count_released (db, delete, released, &rows, error))
        return FALSE;
      left -= MIN (left, rows + 1);
      sqlite3_reset (done);
      sqlite3_bind_text (done, 1, devices->pdata[i], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (done, 2, upto);
      if (!globi_store_step_done (db, done, error))
        return FALSE;
      if (upto < acked)
        *out_more = TRUE;
    }
  *budget = left;
  if (devices->len == 64)
    *out_more = TRUE;
  return TRUE;
}

/* Deletes up to *budget events and idempotency keys older than the recorded cutoff. */
static gboolean
reap_expired (sqlite3 *db, GHashTable *released, guint *budget, gboolean *out_more, GError **error)
{
  g_autoptr (GlobiStoreCachedStmt) cutoff = NULL;
  g_autoptr (GlobiStoreCachedStmt) events = NULL;
  g_autoptr (GlobiStoreCachedStmt) messages = NULL;
  gint64 before;
  guint rows = 0;
  int rc;

  cutoff = globi_store_prepare_cached (
      db, "SELECT value FROM maintenance WHERE name = 'expire_before'", error);
  if (!cutoff)
    return FALSE;
  rc = sqlite3_step (cutoff);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  before = sqlite3_column_int64 (cutoff, 0);
  g_clear_pointer (&cutoff, globi_store_release_cached);

  events = globi_store_prepare_cached (db,
                                       "DELETE FROM events WHERE (device_id, seq) IN (SELECT "
                                       "device_id, seq FROM events WHERE created_at < ?1 "
                                       "LIMIT ?2) RETURNING payload_id",
                                       error);
  if (!events)
    return FALSE;
  sqlite3_bind_int64 (events, 1, before);
  sqlite3_bind_int64 (events, 2, *budget);
  if (!count_released (db, events, released, &rows, error))
    return FALSE;
  if (rows == *budget)
    *out_more = TRUE;
  *budget -= rows;
  if (*budget == 0)
    return TRUE;

  /* Idempotency keys only need to outlive any client retry. */
  messages = globi_store_prepare_cached (db,
                                         "DELETE FROM messages WHERE (sender_id, id) IN (SELECT "
                                         "sender_id, id FROM messages WHERE sent_at < ?1 "
                                         "LIMIT ?2)",
                                         error);
  if (!messages)
    return FALSE;
  sqlite3_bind_int64 (messages, 1, before);
  sqlite3_bind_int64 (messages, 2, *budget);
  if (!globi_store_step_done (db, messages, error))
    return FALSE;
  rows = sqlite3_changes (db);
  if (rows == *budget)
    *out_more = TRUE;
  *budget -= rows;
  return TRUE;
}

gboolean
globi_store_events_reap (sqlite3 *db, guint budget, gboolean *out_more, GError **error)
{
  g_autoptr (GHashTable) released = g_hash_table_new (NULL, NULL);
  gboolean more = FALSE;

  if (!reap_acknowledged (db, released, &budget, &more, error) ||
      (budget > 0 && !reap_expired (db, released, &budget, &more, error)) ||
      !release_payloads (db, released, error))
    return FALSE;
  /* Out of budget before everything was looked at. */
  if (budget == 0)
    more = TRUE;
  *out_more = more;
  return TRUE;
}
