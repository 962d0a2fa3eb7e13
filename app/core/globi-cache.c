/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-cache"

#include "config.h"

#include <sqlite3.h>

#include "globi-error.h"
#include "globi-id.h"
#include "globi-cache.h"

typedef gpointer (*CacheFunc) (sqlite3 *db, gpointer data, GError **error);

typedef struct
{
  CacheFunc func; /* NULL: stop the worker */
  gpointer data;
  GDestroyNotify data_free;
  GDestroyNotify result_free;
  GTask *task;
} Job;

/* What the worker owns; it outlives the cache object when the last reference goes away on
 * the worker (a completed task). */
typedef struct
{
  char *path;
  GAsyncQueue *queue;
} Worker;

struct _GlobiCache
{
  GObject parent_instance;

  char *path;
  GAsyncQueue *queue;
  GThread *thread;
};

G_DEFINE_FINAL_TYPE (GlobiCache, globi_cache, G_TYPE_OBJECT)

/* Entry i migrates user_version i to i + 1. Never edit a shipped entry; append. */
static const char *const migrations[] = {
  "CREATE TABLE chats ("
  "  id TEXT PRIMARY KEY,"
  "  title TEXT,"
  "  pinned INTEGER NOT NULL DEFAULT 0,"
  "  muted INTEGER NOT NULL DEFAULT 0,"
  "  draft TEXT,"
  "  unread INTEGER NOT NULL DEFAULT 0,"
  "  last_activity INTEGER NOT NULL DEFAULT 0"
  ");"
  /* rowid is the arrival order, which is the order a chat shows. */
  "CREATE TABLE messages ("
  "  seq INTEGER PRIMARY KEY,"
  "  id TEXT NOT NULL UNIQUE,"
  "  chat_id TEXT NOT NULL,"
  "  sender_id TEXT,"
  "  sender_device_id TEXT,"
  "  kind INTEGER NOT NULL,"
  "  text TEXT,"
  "  sent_at INTEGER NOT NULL,"
  "  edited_at INTEGER NOT NULL DEFAULT 0,"
  "  state INTEGER NOT NULL,"
  "  outgoing INTEGER NOT NULL DEFAULT 0,"
  "  reply_to TEXT,"
  "  mentions TEXT,"
  "  reactions TEXT,"
  "  attachment_name TEXT,"
  "  attachment_type TEXT,"
  "  attachment_size INTEGER NOT NULL DEFAULT 0,"
  "  forwarded INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX messages_by_chat ON messages (chat_id, seq);"
  "CREATE VIRTUAL TABLE messages_fts USING fts5 (text, content='messages', content_rowid='seq');"
  "CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN"
  "  INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);"
  "END;"
  "CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);"
  "END;"
  "CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);"
  "  INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);"
  "END;"
  "CREATE TABLE outbox ("
  "  seq INTEGER PRIMARY KEY,"
  "  message_id TEXT NOT NULL UNIQUE,"
  "  chat_id TEXT NOT NULL,"
  "  request TEXT NOT NULL"
  ");"
  /* Identity, prekeys, ratchet sessions per remote device, sender keys: opaque values
   * of the crypto library under namespaced keys. */
  "CREATE TABLE crypto_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE stream (id INTEGER PRIMARY KEY CHECK (id = 1), cursor INTEGER NOT NULL);"
  "CREATE TABLE contacts (user_id TEXT PRIMARY KEY, json TEXT NOT NULL);",
  /* GlobiPay cards: the card object (JSON) of a GLOBI_MESSAGE_KIND_CARD message. */
  "ALTER TABLE messages ADD COLUMN card TEXT;",
};

static void
job_free (Job *job)
{
  if (job->data_free != NULL && job->data != NULL)
    job->data_free (job->data);
  g_clear_object (&job->task);
  g_free (job);
}

static gboolean
job_free_cb (gpointer data)
{
  job_free (data);
  return G_SOURCE_REMOVE;
}

/* A job's data and task hold objects of the caller's thread (messages with weak references
 * and signal handlers): they are released there, never on the worker. */
static void
job_release (Job *job)
{
  GMainContext *context = job->task ? g_task_get_context (job->task) : NULL;

  if (context == NULL)
    {
      job_free (job);
      return;
    }
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, job_free_cb, job, NULL);
}

static gboolean
set_sqlite_error (sqlite3 *db, GError **error)
{
  g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL, "cache: %s", sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
exec (sqlite3 *db, const char *sql, GError **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL, "cache: %s", message);
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static sqlite3 *
open_db (const char *path, GError **error)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int version = 0;
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", dir,
                   g_strerror (saved));
      return NULL;
    }
  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    {
      set_sqlite_error (db, error);
      sqlite3_close (db);
      return NULL;
    }
  /* A messenger of the same profile that is still closing (its last jobs finishing) may
   * hold the write lock for a moment: wait for it rather than fail. */
  sqlite3_busy_timeout (db, 10000);
  if (!exec (db,
             "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
             "PRAGMA foreign_keys = ON;",
             error))
    goto fail;
  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (db, error);
      sqlite3_finalize (stmt);
      goto fail;
    }
  version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  for (guint i = version; i < G_N_ELEMENTS (migrations); i++)
    {
      g_autofree char *sql =
          g_strdup_printf ("BEGIN; %s PRAGMA user_version = %u; COMMIT;", migrations[i], i + 1);
      if (!exec (db, sql, error))
        {
          exec (db, "ROLLBACK", NULL);
          goto fail;
        }
    }
  return db;

fail:
  sqlite3_close (db);
  return NULL;
}

static gpointer
worker_main (gpointer user_data)
{
  Worker *worker = user_data;
  g_autoptr (GError) open_error = NULL;
  sqlite3 *db = open_db (worker->path, &open_error);

  if (open_error != NULL)
    g_warning ("Could not open the cache %s: %s", worker->path, open_error->message);
  for (;;)
    {
      Job *job = g_async_queue_pop (worker->queue);
      gpointer result = NULL;
      GError *error = NULL;

      if (job->func == NULL)
        {
          job_free (job);
          break;
        }
      if (db == NULL)
        error = g_error_copy (open_error);
      else if (!g_task_return_error_if_cancelled (job->task))
        result = job->func (db, job->data, &error);
      else
        {
          job_release (job);
          continue;
        }
      if (error != NULL)
        g_task_return_error (job->task, error);
      else
        g_task_return_pointer (job->task, result, job->result_free);
      job_release (job);
    }
  sqlite3_close (db);
  g_async_queue_unref (worker->queue);
  g_free (worker->path);
  g_free (worker);
  return NULL;
}

static void
globi_cache_dispose (GObject *object)
{
  globi_cache_close (GLOBI_CACHE (object));

  G_OBJECT_CLASS (globi_cache_parent_class)->dispose (object);
}

static void
globi_cache_finalize (GObject *object)
{
  GlobiCache *self = GLOBI_CACHE (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->queue, g_async_queue_unref);

  G_OBJECT_CLASS (globi_cache_parent_class)->finalize (object);
}

static void
globi_cache_class_init (GlobiCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_cache_dispose;
  object_class->finalize = globi_cache_finalize;
}

static void
globi_cache_init (GlobiCache *self)
{
}

GlobiCache *
globi_cache_new (const char *path)
{
  GlobiCache *self = g_object_new (GLOBI_TYPE_CACHE, NULL);
  Worker *worker = g_new0 (Worker, 1);

  self->path = g_strdup (path);
  self->queue = g_async_queue_new ();
  worker->path = g_strdup (path);
  worker->queue = g_async_queue_ref (self->queue);
  self->thread = g_thread_new ("globi-cache", worker_main, worker);
  return self;
}

const char *
globi_cache_get_path (GlobiCache *self)
{
  g_return_val_if_fail (GLOBI_IS_CACHE (self), NULL);
  return self->path;
}

void
globi_cache_close (GlobiCache *self)
{
  g_return_if_fail (GLOBI_IS_CACHE (self));

  if (self->thread == NULL)
    return;
  g_async_queue_push (self->queue, g_new0 (Job, 1));
  /* The last reference may be dropped by a task completing on the worker itself. */
  if (g_thread_self () == self->thread)
    g_thread_unref (self->thread);
  else
    g_thread_join (self->thread);
  self->thread = NULL;
}

static void
queue_job (GlobiCache *self,
           gpointer source_tag,
           CacheFunc func,
           gpointer data,
           GDestroyNotify data_free,
           GDestroyNotify result_free,
           GCancellable *cancellable,
           GAsyncReadyCallback callback,
           gpointer user_data)
{
  Job *job = g_new0 (Job, 1);

  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  if (self->thread == NULL)
    {
      g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CLOSED, "The cache is closed");
      job_free (job);
      return;
    }
  g_async_queue_push (self->queue, job);
}

/* Statements */

static sqlite3_stmt *
prepare (sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v3 (db, sql, -1, 0, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (db, error);
      return NULL;
    }
  return stmt;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static void
bind_text (sqlite3_stmt *stmt, int index, const char *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
join_mentions (GlobiMessage *message)
{
  const char *const *mentions = globi_message_get_mentions (message);

  return mentions != NULL ? g_strjoinv (",", (GStrv) mentions) : NULL;
}

#define MESSAGE_COLUMNS                                                               \
  "id, chat_id, sender_id, sender_device_id, kind, text, sent_at, edited_at, state, " \
  "outgoing, reply_to, mentions, reactions, attachment_name, attachment_type, "       \
  "attachment_size, forwarded, card"

/* INSERT OR IGNORE: a message seen before (a replayed event) is not stored twice.
 * Returns TRUE when the row is new. */
static gboolean
insert_message (sqlite3 *db, GlobiMessage *m, gboolean *inserted, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *mentions = join_mentions (m);
  stmt = prepare (db,
                  "INSERT OR IGNORE INTO messages (" MESSAGE_COLUMNS ") VALUES "
                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                  "?18)",
                  error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, globi_message_get_id (m));
  bind_text (stmt, 2, globi_message_get_chat_id (m));
  bind_text (stmt, 3, globi_message_get_sender_id (m));
  bind_text (stmt, 4, globi_message_get_sender_device_id (m));
  sqlite3_bind_int (stmt, 5, globi_message_get_kind (m));
  bind_text (stmt, 6, globi_message_get_text (m));
  sqlite3_bind_int64 (stmt, 7, globi_message_get_sent_at (m));
  sqlite3_bind_int64 (stmt, 8, globi_message_get_edited_at (m));
  sqlite3_bind_int (stmt, 9, globi_message_get_state (m));
  sqlite3_bind_int (stmt, 10, globi_message_get_outgoing (m));
  bind_text (stmt, 11, globi_message_get_reply_to (m));
  bind_text (stmt, 12, mentions);
  bind_text (stmt, 13, globi_message_get_reactions (m));
  bind_text (stmt, 14, globi_message_get_attachment_name (m));
  bind_text (stmt, 15, globi_message_get_attachment_type (m));
  sqlite3_bind_int64 (stmt, 16, globi_message_get_attachment_size (m));
  sqlite3_bind_int (stmt, 17, globi_message_get_forwarded (m));
  bind_text (stmt, 18, globi_message_get_card_json (m));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_sqlite_error (db, error);
  *inserted = sqlite3_changes (db) > 0;
  return TRUE;
}

static GlobiMessage *
message_from_row (sqlite3_stmt *stmt)
{
  GlobiMessage *m;
  const char *mentions = (const char *) sqlite3_column_text (stmt, 11);

  m = globi_message_new ((const char *) sqlite3_column_text (stmt, 0),
                         (const char *) sqlite3_column_text (stmt, 1),
                         (const char *) sqlite3_column_text (stmt, 2), sqlite3_column_int (stmt, 4),
                         NULL, sqlite3_column_int64 (stmt, 6));
  globi_message_set_sender_device_id (m, (const char *) sqlite3_column_text (stmt, 3));
  globi_message_set_text (m, (const char *) sqlite3_column_text (stmt, 5),
                          sqlite3_column_int64 (stmt, 7));
  globi_message_set_state (m, sqlite3_column_int (stmt, 8));
  globi_message_set_outgoing (m, sqlite3_column_int (stmt, 9));
  globi_message_set_reply_to (m, (const char *) sqlite3_column_text (stmt, 10));
  if (mentions != NULL)
    {
      g_auto (GStrv) list = g_strsplit (mentions, ",", -1);
      globi_message_set_mentions (m, (const char *const *) list);
    }
  globi_message_set_reactions (m, (const char *) sqlite3_column_text (stmt, 12));
  if (sqlite3_column_type (stmt, 13) != SQLITE_NULL)
    globi_message_set_attachment (m, (const char *) sqlite3_column_text (stmt, 13),
                                  (const char *) sqlite3_column_text (stmt, 14),
                                  sqlite3_column_int64 (stmt, 15));
  globi_message_set_forwarded (m, sqlite3_column_int (stmt, 16));
  globi_message_set_card_json (m, (const char *) sqlite3_column_text (stmt, 17));
  return m;
}

static GPtrArray *
select_messages (sqlite3_stmt *stmt, sqlite3 *db, GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, message_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

/* The two key/value tables, with their statements spelled out: SQL is never built at
 * run time, not even from a table name. */
typedef struct
{
  const char *put_sql;
  const char *del_sql;
  const char *get_sql;
} ValueTable;

static const ValueTable settings_table = {
  "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
  "DELETE FROM settings WHERE key = ?1",
  "SELECT value FROM settings WHERE key = ?1",
};

static const ValueTable crypto_state_table = {
  "INSERT OR REPLACE INTO crypto_state (key, value) VALUES (?1, ?2)",
  "DELETE FROM crypto_state WHERE key = ?1",
  "SELECT value FROM crypto_state WHERE key = ?1",
};

static gboolean
set_values_in (sqlite3 *db, const ValueTable *table, JsonObject *values, GError **error)
{
  g_autoptr (GList) keys = values ? json_object_get_members (values) : NULL;
  const char *put_sql = table->put_sql;
  const char *del_sql = table->del_sql;

  for (GList *l = keys; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (values, l->data);
      gboolean remove = JSON_NODE_HOLDS_NULL (node);
      g_autoptr (sqlite3_stmt) stmt = prepare (db, remove ? del_sql : put_sql, error);

      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, l->data);
      if (!remove)
        bind_text (stmt, 2, json_node_get_string (node));
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return set_sqlite_error (db, error);
    }
  return TRUE;
}

/* Keys starting with "setting." live in settings; everything else is crypto state. */
static gboolean
set_values (sqlite3 *db, JsonObject *values, GError **error)
{
  g_autoptr (JsonObject) settings = json_object_new ();
  g_autoptr (JsonObject) crypto = json_object_new ();
  g_autoptr (GList) keys = values ? json_object_get_members (values) : NULL;

  for (GList *l = keys; l != NULL; l = l->next)
    json_object_set_member (g_str_has_prefix (l->data, "setting.") ? settings : crypto, l->data,
                            json_node_copy (json_object_get_member (values, l->data)));
  return set_values_in (db, &settings_table, settings, error) &&
         set_values_in (db, &crypto_state_table, crypto, error);
}

static gboolean
bump_chat (sqlite3 *db, GlobiMessage *m, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = prepare (db,
                  "INSERT INTO chats (id, last_activity, unread) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (id) DO UPDATE SET last_activity = MAX (last_activity, ?2), "
                  "unread = unread + ?3",
                  error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, globi_message_get_chat_id (m));
  sqlite3_bind_int64 (stmt, 2, globi_message_get_sent_at (m));
  sqlite3_bind_int (stmt, 3, globi_message_get_outgoing (m) ? 0 : 1);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_sqlite_error (db, error);
  return TRUE;
}

/* commit */

typedef struct
{
  GPtrArray *messages;
  JsonObject *crypto_state;
  gint64 cursor;
} CommitData;

static void
commit_data_free (CommitData *data)
{
  g_clear_pointer (&data->messages, g_ptr_array_unref);
  g_clear_pointer (&data->crypto_state, json_object_unref);
  g_free (data);
}

static gpointer
commit_func (sqlite3 *db, gpointer user_data, GError **error)
{
  CommitData *data = user_data;
  g_autoptr (GPtrArray) inserted = g_ptr_array_new_with_free_func (g_object_unref);

  if (!exec (db, "BEGIN IMMEDIATE", error))
    return NULL;
  for (guint i = 0; data->messages != NULL && i < data->messages->len; i++)
    {
      GlobiMessage *m = g_ptr_array_index (data->messages, i);
      gboolean is_new = FALSE;

      if (!insert_message (db, m, &is_new, error))
        goto rollback;
      if (is_new)
        {
          if (!bump_chat (db, m, error))
            goto rollback;
          g_ptr_array_add (inserted, g_object_ref (m));
        }
    }
  if (!set_values (db, data->crypto_state, error))
    goto rollback;
  if (data->cursor > 0)
    {
      g_autoptr (sqlite3_stmt) stmt =
          prepare (db,
                   "INSERT INTO stream (id, cursor) VALUES (1, ?1) "
                   "ON CONFLICT (id) DO UPDATE SET cursor = MAX (cursor, ?1)",
                   error);
      if (stmt == NULL)
        goto rollback;
      sqlite3_bind_int64 (stmt, 1, data->cursor);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          set_sqlite_error (db, error);
          goto rollback;
        }
    }
  if (!exec (db, "COMMIT", error))
    goto rollback;
  return g_steal_pointer (&inserted);

rollback:
  exec (db, "ROLLBACK", NULL);
  return NULL;
}

void
globi_cache_commit_async (GlobiCache *self,
                          GPtrArray *messages,
                          JsonObject *crypto_state,
                          gint64 cursor,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  CommitData *data = g_new0 (CommitData, 1);

  g_return_if_fail (GLOBI_IS_CACHE (self));
  data->messages = messages ? g_ptr_array_ref (messages) : NULL;
  data->crypto_state = crypto_state ? json_object_ref (crypto_state) : NULL;
  data->cursor = cursor;
  queue_job (self, globi_cache_commit_async, commit_func, data, (GDestroyNotify) commit_data_free,
             (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
globi_cache_commit_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* cursor */

static gpointer
get_cursor_func (sqlite3 *db, gpointer data, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (db, "SELECT cursor FROM stream WHERE id = 1", error);
  gint64 *cursor;
  int rc;

  if (stmt == NULL)
    return NULL;
  cursor = g_new0 (gint64, 1);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *cursor = sqlite3_column_int64 (stmt, 0);
  else if (rc != SQLITE_DONE)
    {
      g_free (cursor);
      set_sqlite_error (db, error);
      return NULL;
    }
  return cursor;
}

void
globi_cache_get_cursor_async (GlobiCache *self,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CACHE (self));
  queue_job (self, globi_cache_get_cursor_async, get_cursor_func, NULL, NULL, g_free, cancellable,
             callback, user_data);
}

gint64
globi_cache_get_cursor_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_autofree gint64 *cursor = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  cursor = g_task_propagate_pointer (G_TASK (result), error);
  return cursor ? *cursor : 0;
}

/* values */

static gpointer
get_value_func (sqlite3 *db, gpointer data, GError **error)
{
  const char *key = data;
  const ValueTable *table =
      g_str_has_prefix (key, "setting.") ? &settings_table : &crypto_state_table;
  g_autoptr (sqlite3_stmt) stmt = prepare (db, table->get_sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    set_sqlite_error (db, error);
  return NULL;
}

void
globi_cache_get_value_async (GlobiCache *self,
                             const char *key,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CACHE (self));
  queue_job (self, globi_cache_get_value_async, get_value_func, g_strdup (key), g_free, g_free,
             cancellable, callback, user_data);
}

char *
globi_cache_get_value_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
set_values_func (sqlite3 *db, gpointer data, GError **error)
{
  if (!exec (db, "BEGIN IMMEDIATE", error))
    return NULL;
  if (!set_values (db, data, error) || !exec (db, "COMMIT", error))
    {
      exec (db, "ROLLBACK", NULL);
      return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

void
globi_cache_set_values_async (GlobiCache *self,
                              JsonObject *values,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CACHE (self));
  queue_job (self, globi_cache_set_values_async, set_values_func, json_object_ref (values),
             (GDestroyNotify) json_object_unref, NULL, cancellable, callback, user_data);
}

gboolean
globi_cache_set_values_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

/* outbox */

typedef struct
{
  GlobiMessage *message; /* NULL for a control entry */
  char *request;
  char *message_id;
  char *chat_id;
  GlobiDeliveryState state;
  gint64 sent_at;
} OutboxData;

static void
outbox_data_free (OutboxData *data)
{
  g_clear_object (&data->message);
  g_clear_pointer (&data->request, g_free);
  g_clear_pointer (&data->message_id, g_free);
  g_clear_pointer (&data->chat_id, g_free);
  g_free (data);
}

static gpointer
enqueue_func (sqlite3 *db, gpointer user_data, GError **error)
{
  OutboxData *data = user_data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gboolean is_new = FALSE;

  if (!exec (db, "BEGIN IMMEDIATE", error))
    return NULL;
  if (data->message != NULL && (!insert_message (db, data->message, &is_new, error) ||
                                !bump_chat (db, data->message, error)))
    goto rollback;
  stmt = prepare (db,
                  "INSERT OR IGNORE INTO outbox (message_id, chat_id, request) "
                  "VALUES (?1, ?2, ?3)",
                  error);
  if (stmt == NULL)
    goto rollback;
  bind_text (stmt, 1, data->message ? globi_message_get_id (data->message) : data->message_id);
  bind_text (stmt, 2, data->message ? globi_message_get_chat_id (data->message) : data->chat_id);
  bind_text (stmt, 3, data->request);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_sqlite_error (db, error);
      goto rollback;
    }
  if (!exec (db, "COMMIT", error))
    goto rollback;
  return GINT_TO_POINTER (TRUE);

rollback:
  exec (db, "ROLLBACK", NULL);
  return NULL;
}

void
globi_cache_enqueue_async (GlobiCache *self,
                           GlobiMessage *message,
                           const char *request_json,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  OutboxData *data = g_new0 (OutboxData, 1);

  g_return_if_fail (GLOBI_IS_CACHE (self));
  /* The message object lives on the main thread; the worker reads only its immutable-by-
   * then fields, copied here to be safe. */
  data->message =
      globi_message_new (globi_message_get_id (message), globi_message_get_chat_id (message),
                         globi_message_get_sender_id (message), globi_message_get_kind (message),
                         globi_message_get_text (message), globi_message_get_sent_at (message));
  globi_message_set_state (data->message, globi_message_get_state (message));
  globi_message_set_outgoing (data->message, TRUE);
  globi_message_set_reply_to (data->message, globi_message_get_reply_to (message));
  globi_message_set_mentions (data->message, globi_message_get_mentions (message));
  globi_message_set_attachment (data->message, globi_message_get_attachment_name (message),
                                globi_message_get_attachment_type (message),
                                globi_message_get_attachment_size (message));
  globi_message_set_forwarded (data->message, globi_message_get_forwarded (message));
  globi_message_set_card_json (data->message, globi_message_get_card_json (message));
  globi_message_set_sender_device_id (data->message, globi_message_get_sender_device_id (message));
  data->request = g_strdup (request_json);
  queue_job (self, globi_cache_enqueue_async, enqueue_func, data, (GDestroyNotify) outbox_data_free,
             NULL, cancellable, callback, user_data);
}

void
globi_cache_enqueue_control_async (GlobiCache *self,
                                   const char *id,
                                   const char *chat_id,
                                   const char *request_json,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  OutboxData *data = g_new0 (OutboxData, 1);

  g_return_if_fail (GLOBI_IS_CACHE (self));
  data->message_id = g_strdup (id);
  data->chat_id = g_strdup (chat_id);
  data->request = g_strdup (request_json);
  queue_job (self, globi_cache_enqueue_async, enqueue_func, data, (GDestroyNotify) outbox_data_free,
             NULL, cancellable, callback, user_data);
}

gboolean
globi_cache_enqueue_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

static gpointer
list_outbox_func (sqlite3 *db, gpointer user_data, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  int rc;

  stmt = prepare (db,
                  "SELECT o.message_id, o.chat_id, o.request, m.id IS NULL FROM outbox o "
                  "LEFT JOIN messages m ON m.id = o.message_id "
                  "WHERE m.id IS NULL OR m.state = ?1 ORDER BY o.seq",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int (stmt, 1, GLOBI_DELIVERY_STATE_PENDING);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *row = json_object_new ();
      json_object_set_string_member (row, "id", (const char *) sqlite3_column_text (stmt, 0));
      json_object_set_string_member (row, "chat_id", (const char *) sqlite3_column_text (stmt, 1));
      json_object_set_string_member (row, "request", (const char *) sqlite3_column_text (stmt, 2));
      json_object_set_boolean_member (row, "control", sqlite3_column_int (stmt, 3));
      g_ptr_array_add (rows, row);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

void
globi_cache_list_outbox_async (GlobiCache *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CACHE (self));
  queue_job (self, globi_cache_list_outbox_async, list_outbox_func, NULL, NULL,
             (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
globi_cache_list_outbox_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
settle_func (sqlite3 *db, gpointer user_data, GError **error)
{
  OutboxData *data = user_data;
  g_autoptr (sqlite3_stmt) update = NULL;
  g_autoptr (sqlite3_stmt) remove = NULL;

  if (!exec (db, "BEGIN IMMEDIATE", error))
    return NULL;
  update = prepare (db,
                    "UPDATE messages SET state = ?2, sent_at = CASE WHEN ?3 > 0 THEN ?3 "
                    "ELSE sent_at END WHERE id = ?1",
                    error);
  if (update == NULL)
    goto rollback;
  bind_text (update, 1, data->message_id);
  sqlite3_bind_int (update, 2, data->state);
  sqlite3_bind_int64 (update, 3, data->sent_at);
  if (sqlite3_step (update) != SQLITE_DONE)
    {
      set_sqlite_error (db, error);
      goto rollback;
    }
  if (data->state != GLOBI_DELIVERY_STATE_FAILED && data->state != GLOBI_DELIVERY_STATE_PENDING)
    {
      remove = prepare (db, "DELETE FROM outbox WHERE message_id = ?1", error);
      if (remove == NULL)
        goto rollback;
      bind_text (remove, 1, data->message_id);
      if (sqlite3_step (remove) != SQLITE_DONE)
        {
          set_sqlite_error (db, error);
          goto rollback;
        }
    }
  if (!exec (db, "COMMIT", error))
    goto rollback;
  return GINT_TO_POINTER (TRUE);

rollback:
  exec (db, "ROLLBACK", NULL);
  return NULL;
}

void
globi_cache_settle_async (GlobiCache *self,
                          const char *message_id,
                          GlobiDeliveryState state,
                          gint64 sent_at,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  OutboxData *data = g_new0 (OutboxData, 1);

  g_return_if_fail (GLOBI_IS_CACHE (self));
  data->message_id = g_strdup (message_id);
  data->state = state;
  data->sent_at = sent_at;
  queue_job (self, globi_cache_settle_async, settle_func, data, (GDestroyNotify) outbox_data_free,
             NULL, cancellable, callback, user_data);
}

gboolean
globi_cache_settle_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

/* message updates */

typedef struct
{
  char *id;
  GlobiDeliveryState state;
  GlobiMessageKind kind;
  char *text;
  gint64 edited_at;
  char *reactions;
} UpdateData;

static void
update_data_free (UpdateData *data)
{
  g_free (data->id);
  g_free (data->text);
  g_free (data->reactions);
  g_free (data);
}

static gpointer
update_message_func (sqlite3 *db, gpointer user_data, GError **error)
{
  UpdateData *data = user_data;
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = prepare (db,
                  "UPDATE messages SET state = ?2, kind = ?3, text = ?4, edited_at = ?5, "
                  "reactions = ?6 WHERE id = ?1",
                  error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, data->id);
  sqlite3_bind_int (stmt, 2, data->state);
  sqlite3_bind_int (stmt, 3, data->kind);
  bind_text (stmt, 4, data->text);
  sqlite3_bind_int64 (stmt, 5, data->edited_at);
  bind_text (stmt, 6, data->reactions);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_sqlite_error (db, error);
      return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

void
globi_cache_update_message_async (GlobiCache *self,
                                  GlobiMessage *message,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  UpdateData *data = g_new0 (UpdateData, 1);

  g_return_if_fail (GLOBI_IS_CACHE (self));
  data->id = g_strdup (globi_message_get_id (message));
  data->state = globi_message_get_state (message);
  data->kind = globi_message_get_kind (message);
  data->text = g_strdup (globi_message_get_text (message));
  data->edited_at = globi_message_get_edited_at (message);
  data->reactions = g_strdup (globi_message_get_reactions (message));
  queue_job (self, globi_cache_update_message_async, update_message_func, data,
             (GDestroyNotify) update_data_free, NULL, cancellable, callback, user_data);
}

gboolean
globi_cache_update_message_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

/* read up to the end */

static gpointer
mark_read_func (sqlite3 *db, gpointer user_data, GError **error)
{
  const char *chat_id = user_data;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (sqlite3_stmt) select = NULL;
  g_autoptr (sqlite3_stmt) update = NULL;
  int rc;

  if (!exec (db, "BEGIN IMMEDIATE", error))
    return NULL;
  select = prepare (db,
                    "SELECT id FROM messages WHERE chat_id = ?1 AND outgoing = 0 AND state < ?2 "
                    "AND kind != ?3 ORDER BY seq",
                    error);
  update = prepare (db,
                    "UPDATE messages SET state = ?2 WHERE chat_id = ?1 AND outgoing = 0 "
                    "AND state < ?2 AND kind != ?3",
                    error);
  if (select == NULL || update == NULL)
    goto rollback;
  bind_text (select, 1, chat_id);
  sqlite3_bind_int (select, 2, GLOBI_DELIVERY_STATE_READ);
  sqlite3_bind_int (select, 3, GLOBI_MESSAGE_KIND_SYSTEM);
  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (select, 0)));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (db, error);
      goto rollback;
    }
  bind_text (update, 1, chat_id);
  sqlite3_bind_int (update, 2, GLOBI_DELIVERY_STATE_READ);
  sqlite3_bind_int (update, 3, GLOBI_MESSAGE_KIND_SYSTEM);
  if (sqlite3_step (update) != SQLITE_DONE)
    {
      set_sqlite_error (db, error);
      goto rollback;
    }
  if (!exec (db, "COMMIT", error))
    goto rollback;
  return g_steal_pointer (&ids);

rollback:
  exec (db, "ROLLBACK", NULL);
  return NULL;
}

void
globi_cache_mark_read_async (GlobiCache *self,
                             const char *chat_id,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CACHE (self));
  queue_job (self, globi_cache_mark_read_async, mark_read_func, g_strdup (chat_id), g_free,
             (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
globi_cache_mark_read_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* reading messages */

typedef struct
{
  char *chat_id;
  char *query;     /* search */
  char *before_id; /* keyset paging; NULL: the newest */
  guint limit;
} QueryData;

static void
query_data_free (QueryData *data)
{
  g_free (data->chat_id);
  g_free (data->query);
  g_free (data->before_id);
  g_free (data);
}

/* Keyset paging: the rows just before a message (or the newest ones), by the chat index
 * backwards, so the cost does not grow with the chat's length as OFFSET's does. */
static gpointer
load_before_func (sqlite3 *db, gpointer user_data, GError **error)
{
  QueryData *data = user_data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) rows = NULL;

  stmt = prepare (db,
                  data->before_id ? "SELECT " MESSAGE_COLUMNS " FROM messages WHERE chat_id = ?1 "
                                    "AND seq < (SELECT seq FROM messages WHERE id = ?3) "
                                    "ORDER BY seq DESC LIMIT ?2"
                                  : "SELECT " MESSAGE_COLUMNS " FROM messages WHERE chat_id = ?1 "
                                    "ORDER BY seq DESC LIMIT ?2",
                  error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, data->chat_id);
  sqlite3_bind_int (stmt, 2, data->limit);
  if (data->before_id)
    bind_text (stmt, 3, data->before_id);
  if (!(rows = select_messages (stmt, db, error)))
    return NULL;
  /* Oldest first, as every other listing. */
  for (guint i = 0; i < rows->len / 2; i++)
    {
      gpointer swap = rows->pdata[i];

      rows->pdata[i] = rows->pdata[rows->len - 1 - i];
      rows->pdata[rows->len - 1 - i] = swap;
    }
  return g_steal_pointer (&rows);
}

void
globi_cache_load_messages_before_async (GlobiCache *self,
                                        const char *chat_id,
                                        const char *before_id,
                                        guint limit,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data)
{
  QueryData *data = g_new0 (QueryData, 1);

  g_return_if_fail (GLOBI_IS_CACHE (self));
  data->chat_id = g_strdup (chat_id);
  data->before_id = g_strdup (before_id);
  data->limit = limit;
  queue_job (self, globi_cache_load_messages_before_async, load_before_func, data,
             (GDestroyNotify) query_data_free, (GDestroyNotify) g_ptr_array_unref, cancellable,
             callback, user_data);
}

GPtrArray *
globi_cache_load_messages_before_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Each word becomes a quoted FTS5 string (so user text is never FTS5 syntax), prefix-
 * matched, all required. */
static char *
fts_query (const char *query)
{
  g_auto (GStrv) words = g_strsplit_set (query, " \t\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *escaped = NULL;
      g_auto (GStrv) parts = NULL;

      if (*words[i] == '\0')
        continue;
      parts = g_strsplit (words[i], "\"", -1);
      escaped = g_strjoinv ("\"\"", parts);
      g_string_append_printf (out, "%s\"%s\"*", out->len ? " " : "", escaped);
    }
  return g_string_free (out, FALSE);
}

static gpointer
search_func (sqlite3 *db, gpointer user_data, GError **error)
{
  QueryData *data = user_data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree char *match = fts_query (data->query);

  if (*match == '\0')
    return g_ptr_array_new_with_free_func (g_object_unref);
  stmt = prepare (db,
                  "SELECT " MESSAGE_COLUMNS " FROM messages WHERE seq IN "
                  "(SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1) "
                  "AND (?2 IS NULL OR chat_id = ?2) AND kind != ?4 ORDER BY seq DESC LIMIT ?3",
                  error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, match);
  bind_text (stmt, 2, data->chat_id);
  sqlite3_bind_int (stmt, 3, data->limit);
  sqlite3_bind_int (stmt, 4, GLOBI_MESSAGE_KIND_DELETED);
  return select_messages (stmt, db, error);
}

void
globi_cache_search_async (GlobiCache *self,
                          const char *chat_id,
                          const char *query,
                          guint limit,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  QueryData *data = g_new0 (QueryData, 1);

  g_return_if_fail (GLOBI_IS_CACHE (self));
  data->chat_id = g_strdup (chat_id);
  data->query = g_strdup (query);
  data->limit = limit;
  queue_job (self, globi_cache_search_async, search_func, data, (GDestroyNotify) query_data_free,
             (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
globi_cache_search_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* chats */

static gpointer
list_chats_func (sqlite3 *db, gpointer user_data, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  int rc;

  stmt = prepare (db,
                  "SELECT c.id, c.title, c.pinned, c.muted, c.draft, c.last_activity, c.unread, "
                  "(SELECT id FROM messages m WHERE m.chat_id = c.id ORDER BY seq DESC LIMIT 1) "
                  "FROM chats c",
                  error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *row = json_object_new ();
      json_object_set_string_member (row, "id", (const char *) sqlite3_column_text (stmt, 0));
      json_object_set_string_member (row, "title", (const char *) sqlite3_column_text (stmt, 1));
      json_object_set_boolean_member (row, "pinned", sqlite3_column_int (stmt, 2));
      json_object_set_boolean_member (row, "muted", sqlite3_column_int (stmt, 3));
      json_object_set_string_member (row, "draft", (const char *) sqlite3_column_text (stmt, 4));
      json_object_set_int_member (row, "last_activity", sqlite3_column_int64 (stmt, 5));
      json_object_set_int_member (row, "unread", sqlite3_column_int (stmt, 6));
      json_object_set_string_member (row, "last_message_id",
                                     (const char *) sqlite3_column_text (stmt, 7));
      g_ptr_array_add (rows, row);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

void
globi_cache_list_chats_async (GlobiCache *self,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CACHE (self));
  queue_job (self, globi_cache_list_chats_async, list_chats_func, NULL, NULL,
             (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data);
}

GPtrArray *
globi_cache_list_chats_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  char *chat_id;
  JsonObject *fields;
} ChatData;

static void
chat_data_free (ChatData *data)
{
  g_free (data->chat_id);
  json_object_unref (data->fields);
  g_free (data);
}

static gpointer
update_chat_func (sqlite3 *db, gpointer user_data, GError **error)
{
  ChatData *data = user_data;
  JsonObject *f = data->fields;
  g_autoptr (sqlite3_stmt) stmt = NULL;

  /* A column absent from fields keeps its value (COALESCE with a NULL parameter). */
  stmt = prepare (db,
                  "INSERT INTO chats (id, title, pinned, muted, draft, unread) VALUES "
                  "(?1, ?2, COALESCE (?3, 0), COALESCE (?4, 0), ?5, COALESCE (?6, 0)) "
                  "ON CONFLICT (id) DO UPDATE SET title = COALESCE (?2, title), "
                  "pinned = COALESCE (?3, pinned), muted = COALESCE (?4, muted), "
                  "draft = CASE WHEN ?7 THEN ?5 ELSE draft END, unread = COALESCE (?6, unread)",
                  error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, data->chat_id);
  bind_text (stmt, 2, json_object_get_string_member_with_default (f, "title", NULL));
  if (json_object_has_member (f, "pinned"))
    sqlite3_bind_int (stmt, 3, json_object_get_boolean_member (f, "pinned"));
  if (json_object_has_member (f, "muted"))
    sqlite3_bind_int (stmt, 4, json_object_get_boolean_member (f, "muted"));
  bind_text (stmt, 5, json_object_get_string_member_with_default (f, "draft", NULL));
  if (json_object_has_member (f, "unread"))
    sqlite3_bind_int (stmt, 6, json_object_get_int_member (f, "unread"));
  sqlite3_bind_int (stmt, 7, json_object_has_member (f, "draft"));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_sqlite_error (db, error);
      return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

void
globi_cache_update_chat_async (GlobiCache *self,
                               const char *chat_id,
                               JsonObject *fields,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  ChatData *data = g_new0 (ChatData, 1);

  g_return_if_fail (GLOBI_IS_CACHE (self));
  data->chat_id = g_strdup (chat_id);
  data->fields = json_object_ref (fields);
  queue_job (self, globi_cache_update_chat_async, update_chat_func, data,
             (GDestroyNotify) chat_data_free, NULL, cancellable, callback, user_data);
}

gboolean
globi_cache_update_chat_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

/* fill */

static gpointer
fill_func (sqlite3 *db, gpointer user_data, GError **error)
{
  QueryData *data = user_data;
  gint64 now = g_get_real_time () / 1000;

  if (!exec (db, "BEGIN IMMEDIATE", error))
    return NULL;
  for (guint i = 0; i < data->limit; i++)
    {
      g_autofree char *id = globi_id_new ();
      g_autofree char *text = g_strdup_printf ("Message number %u of the benchmark", i);
      g_autoptr (GlobiMessage) m = globi_message_new (
          id, data->chat_id, "bench", GLOBI_MESSAGE_KIND_TEXT, text, now - data->limit + i);
      gboolean is_new = FALSE;

      globi_message_set_state (m, GLOBI_DELIVERY_STATE_READ);
      if (!insert_message (db, m, &is_new, error))
        {
          exec (db, "ROLLBACK", NULL);
          return NULL;
        }
    }
  {
    g_autoptr (sqlite3_stmt) stmt =
        prepare (db, "INSERT OR IGNORE INTO chats (id, last_activity) VALUES (?1, ?2)", error);
    if (stmt == NULL)
      {
        exec (db, "ROLLBACK", NULL);
        return NULL;
      }
    bind_text (stmt, 1, data->chat_id);
    sqlite3_bind_int64 (stmt, 2, now);
    if (sqlite3_step (stmt) != SQLITE_DONE)
      {
        set_sqlite_error (db, error);
        exec (db, "ROLLBACK", NULL);
        return NULL;
      }
  }
  if (!exec (db, "COMMIT", error))
    {
      exec (db, "ROLLBACK", NULL);
      return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

void
globi_cache_fill_async (GlobiCache *self,
                        const char *chat_id,
                        guint n,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
  QueryData *data = g_new0 (QueryData, 1);

  g_return_if_fail (GLOBI_IS_CACHE (self));
  data->chat_id = g_strdup (chat_id);
  data->limit = n;
  queue_job (self, globi_cache_fill_async, fill_func, data, (GDestroyNotify) query_data_free, NULL,
             cancellable, callback, user_data);
}

gboolean
globi_cache_fill_finish (GlobiCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}
