/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-store"

#include "config.h"

#include <malloc.h>

#include "globi-error.h"
#include "globi-store-messaging.h"
#include "globi-store.h"

#define N_READERS 3
/* Jobs per transaction. A commit's cost is per page written, and 1:1 messages from many
 * senders to many recipients touch a page per stream: the more messages share a commit,
 * the more share each page. 1 024 measured 30 % more 1:1 messages/s from 256 senders than
 * 128, with the fan-out latency unchanged (bench/README.md). */
#define MAX_BATCH        1024
#define BUSY_TIMEOUT_MS  5000
#define CHECKPOINT_PAGES 1000 /* SQLite's own default mark */
/* Rows one maintenance transaction may delete (a few milliseconds), and under sustained
 * load one such transaction after every this many batches. */
#define MAINTENANCE_ROWS  512
#define MAINTENANCE_EVERY 4

typedef struct
{
  GlobiStoreFunc func;
  gpointer data;
  GDestroyNotify data_free;
  GDestroyNotify result_free;
  GTask *task;
  /* Filled by the writer while the batch is open. */
  gpointer result;
  GError *error;
} Job;

/* Checkpoints the WAL on a thread and connection of its own, so that copying pages into
 * the database file and its fsync run beside the writer (WAL lets a checkpoint run while
 * a transaction commits) instead of between two of its batches. Owned by the writer,
 * which may touch it until its own end; the store stops the thread first. */
typedef struct
{
  GMutex lock;
  GCond cond;
  sqlite3 *db;
  GThread *thread;
  gboolean wanted;
  gboolean quit;
  gint busy; /* atomic: asked for or running */
} Checkpointer;

/* What the writer thread owns. Not the store itself: the last reference to the store may
 * be dropped on the writer thread (a completed task), and the thread must outlive that. */
typedef struct
{
  GAsyncQueue *queue;
  sqlite3 *db;
  int wal_pages;    /* in the WAL after the last commit */
  int kicked_pages; /* wal_pages when the checkpointer was last asked */
  Checkpointer *checkpointer;
} Writer;

struct _GlobiStore
{
  GObject parent_instance;

  char *path;
  sqlite3 *writer_db; /* until the writer thread takes it */
  GThread *writer;
  Checkpointer *checkpointer; /* the writer's; stopped before it */
  GAsyncQueue *write_queue;
  /* Idle read connections; a reader thread pops one, uses it, pushes it back. */
  GAsyncQueue *readers;
  guint n_readers;
  gboolean closed;
};

G_DEFINE_FINAL_TYPE (GlobiStore, globi_store, G_TYPE_OBJECT)

/* Set by a job on the writer thread that left work for the reaper. Per thread because
 * each store has its own writer. */
static GPrivate maintenance_wanted;

/* A job with this func tells the writer to stop after the batch it is in. */
static gpointer
quit_func (sqlite3 *db, gpointer data, GError **error)
{
  return NULL;
}

/* Versioned schema: entry i migrates user_version i to i + 1. Never edit a shipped entry;
 * append a new one. */
static const char *const migrations[] = {
  "CREATE TABLE users ("
  "  id TEXT PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE,"
  "  password_hash TEXT NOT NULL,"
  "  display_name TEXT NOT NULL,"
  "  bio TEXT NOT NULL DEFAULT '',"
  "  region TEXT NOT NULL DEFAULT '',"
  "  preferred_currency TEXT NOT NULL DEFAULT 'USD',"
  "  language TEXT NOT NULL DEFAULT 'en',"
  "  discoverable INTEGER NOT NULL DEFAULT 1,"
  "  who_can_add TEXT NOT NULL DEFAULT 'everyone',"
  "  avatar_hash TEXT,"
  "  avatar_thumb_hash TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE devices ("
  "  id TEXT PRIMARY KEY,"
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  name TEXT NOT NULL,"
  "  platform TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  last_seen_at INTEGER NOT NULL,"
  "  revoked_at INTEGER"
  ");"
  "CREATE INDEX devices_user ON devices (user_id, created_at);"
  "CREATE TABLE refresh_tokens ("
  "  hash BLOB PRIMARY KEY,"
  "  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  created_at INTEGER NOT NULL,"
  "  rotated_at INTEGER"
  ");"
  "CREATE INDEX refresh_tokens_device ON refresh_tokens (device_id);",
  /* v2: friends, friend requests, blocks, groups, members, invites (globi-store-social.c) */
  "CREATE TABLE friend_requests ("
  "  id TEXT PRIMARY KEY,"
  "  from_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  to_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  greeting TEXT NOT NULL DEFAULT '',"
  "  status TEXT NOT NULL DEFAULT 'pending',"
  "  created_at INTEGER NOT NULL"
  ");"
  /* One pending request per direction; answered ones stay so a retried id finds them. */
  "CREATE UNIQUE INDEX friend_requests_pending ON friend_requests (from_id, to_id)"
  "  WHERE status = 'pending';"
  "CREATE INDEX friend_requests_to ON friend_requests (to_id, status);"
  "CREATE TABLE friends ("
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  friend_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  remark TEXT NOT NULL DEFAULT '',"
  "  tags TEXT NOT NULL DEFAULT '[]',"
  "  since INTEGER NOT NULL,"
  "  PRIMARY KEY (user_id, friend_id)"
  ") WITHOUT ROWID;"
  "CREATE TABLE blocks ("
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  blocked_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  created_at INTEGER NOT NULL,"
  "  PRIMARY KEY (user_id, blocked_id)"
  ") WITHOUT ROWID;"
  "CREATE TABLE chat_groups ("
  "  id TEXT PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  announcement TEXT NOT NULL DEFAULT '',"
  "  avatar_hash TEXT,"
  "  avatar_thumb_hash TEXT,"
  "  owner_id TEXT NOT NULL,"
  "  created_by TEXT NOT NULL,"
  "  member_count INTEGER NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE group_members ("
  "  group_id TEXT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,"
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  role TEXT NOT NULL,"
  "  joined_at INTEGER NOT NULL,"
  "  PRIMARY KEY (group_id, user_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX group_members_user ON group_members (user_id);"
  "CREATE TABLE group_invites ("
  "  hash BLOB PRIMARY KEY,"
  "  group_id TEXT NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,"
  "  created_by TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  revoked_at INTEGER"
  ");",
  /* v3: device keys, prekeys, per-device event streams, messages, sender-key records,
   * attachments (globi-store-messaging.c) */
  "CREATE TABLE device_keys ("
  "  device_id TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,"
  "  user_id TEXT NOT NULL,"
  "  identity_key BLOB NOT NULL,"
  "  signed_prekey_id INTEGER NOT NULL,"
  "  signed_prekey BLOB NOT NULL,"
  "  signed_prekey_signature BLOB NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX device_keys_user ON device_keys (user_id);"
  "CREATE TABLE one_time_prekeys ("
  "  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  id INTEGER NOT NULL,"
  "  key BLOB NOT NULL,"
  "  PRIMARY KEY (device_id, id)"
  ") WITHOUT ROWID;"
  "CREATE TABLE streams ("
  "  device_id TEXT PRIMARY KEY,"
  "  last_seq INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  /* An event's JSON is inline when it has one reader, else in payloads, stored once and
   * counted down as the readers acknowledge it. */
  "CREATE TABLE payloads ("
  "  id INTEGER PRIMARY KEY,"
  "  json TEXT NOT NULL,"
  "  refs INTEGER NOT NULL"
  ");"
  "CREATE TABLE events ("
  "  device_id TEXT NOT NULL,"
  "  seq INTEGER NOT NULL,"
  "  payload_id INTEGER,"
  "  json TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  PRIMARY KEY (device_id, seq)"
  ") WITHOUT ROWID;"
  "CREATE INDEX events_created ON events (created_at);"
  "CREATE TRIGGER events_release AFTER DELETE ON events WHEN old.payload_id IS NOT NULL "
  "BEGIN"
  "  UPDATE payloads SET refs = refs - 1 WHERE id = old.payload_id;"
  "  DELETE FROM payloads WHERE id = old.payload_id AND refs <= 0;"
  "END;"
  "CREATE TABLE messages ("
  "  sender_id TEXT NOT NULL,"
  "  id TEXT NOT NULL,"
  "  sent_at INTEGER NOT NULL,"
  "  PRIMARY KEY (sender_id, id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX messages_sent ON messages (sent_at);"
  "CREATE TABLE sender_keys ("
  "  group_id TEXT NOT NULL,"
  "  sender_device TEXT NOT NULL,"
  "  recipient_device TEXT NOT NULL,"
  "  key_id INTEGER NOT NULL,"
  "  PRIMARY KEY (group_id, sender_device, key_id, recipient_device)"
  ") WITHOUT ROWID;",
  /* v4: friend cards (globi-store-cards.c) */
  "CREATE TABLE friend_cards ("
  "  user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,"
  "  card TEXT NOT NULL UNIQUE,"
  "  created_at INTEGER NOT NULL"
  ") WITHOUT ROWID;",
  /* v5: device-linking tickets (globi-store-link.c) */
  "CREATE TABLE link_tickets ("
  "  ticket_hash BLOB PRIMARY KEY,"
  "  secret_hash BLOB NOT NULL,"
  "  state TEXT NOT NULL,"
  "  public_key TEXT NOT NULL,"
  "  device_name TEXT NOT NULL,"
  "  device_platform TEXT NOT NULL,"
  "  address TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  user_id TEXT REFERENCES users (id) ON DELETE CASCADE,"
  "  scanner_device TEXT,"
  "  payload BLOB"
  ") WITHOUT ROWID;"
  "CREATE INDEX link_tickets_expiry ON link_tickets (expires_at);",
  /* v6: wallet ledger, payments, red packets, rates (globi-store-wallet.c) */
  "CREATE TABLE wallets ("
  "  user_id TEXT PRIMARY KEY,"
  "  opened_at INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE wallet_balances ("
  "  account TEXT NOT NULL,"
  "  currency TEXT NOT NULL,"
  "  minor INTEGER NOT NULL,"
  "  PRIMARY KEY (account, currency)"
  ") WITHOUT ROWID;"
  /* seq orders the history and is its cursor; id is the client's idempotency key. */
  "CREATE TABLE wallet_transactions ("
  "  seq INTEGER PRIMARY KEY,"
  "  id TEXT NOT NULL UNIQUE,"
  "  kind TEXT NOT NULL,"
  "  state TEXT NOT NULL,"
  "  from_id TEXT,"
  "  to_id TEXT,"
  "  currency TEXT NOT NULL,"
  "  minor INTEGER NOT NULL,"
  "  to_currency TEXT,"
  "  to_minor INTEGER,"
  "  rate TEXT,"
  "  rate_date TEXT,"
  "  note TEXT NOT NULL DEFAULT '',"
  "  chat_user TEXT,"
  "  chat_group TEXT,"
  "  red_packet_id TEXT,"
  "  created_by TEXT,"
  "  fingerprint TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  expires_at INTEGER"
  ");"
  "CREATE INDEX wallet_transactions_from ON wallet_transactions (from_id, seq);"
  "CREATE INDEX wallet_transactions_to ON wallet_transactions (to_id, seq);"
  "CREATE INDEX wallet_transactions_due ON wallet_transactions (expires_at)"
  "  WHERE state = 'pending' AND expires_at IS NOT NULL;"
  "CREATE TABLE wallet_entries ("
  "  id INTEGER PRIMARY KEY,"
  "  tx_seq INTEGER NOT NULL REFERENCES wallet_transactions (seq),"
  "  account TEXT NOT NULL,"
  "  currency TEXT NOT NULL,"
  "  minor INTEGER NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  /* Covering for the audit's per-transaction sums. */
  "CREATE INDEX wallet_entries_tx ON wallet_entries (tx_seq, currency, minor);"
  "CREATE TABLE wallet_pins ("
  "  user_id TEXT PRIMARY KEY,"
  "  hash TEXT NOT NULL,"
  "  failures INTEGER NOT NULL DEFAULT 0,"
  "  locked_until INTEGER NOT NULL DEFAULT 0,"
  "  updated_at INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE red_packets ("
  "  id TEXT PRIMARY KEY,"
  "  tx_seq INTEGER NOT NULL REFERENCES wallet_transactions (seq),"
  "  group_id TEXT NOT NULL,"
  "  sender_id TEXT NOT NULL,"
  "  currency TEXT NOT NULL,"
  "  total INTEGER NOT NULL,"
  "  count INTEGER NOT NULL,"
  "  split TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL"
  ");"
  /* Shares are drawn at creation; a claim takes the next free one. */
  "CREATE TABLE red_packet_shares ("
  "  packet_id TEXT NOT NULL REFERENCES red_packets (id),"
  "  idx INTEGER NOT NULL,"
  "  minor INTEGER NOT NULL,"
  "  claimer_id TEXT,"
  "  claim_seq INTEGER,"
  "  claimed_at INTEGER,"
  "  PRIMARY KEY (packet_id, idx)"
  ") WITHOUT ROWID;"
  "CREATE UNIQUE INDEX red_packet_shares_claimer ON red_packet_shares (packet_id, claimer_id)"
  "  WHERE claimer_id IS NOT NULL;"
  "CREATE TABLE wallet_rates ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  date TEXT NOT NULL,"
  "  json TEXT NOT NULL"
  ");",
  /* v7: acknowledgement cursors (globi-store-events.c). An ack moves `acked`; the reaper
   * deletes the stream's rows up to it later and records how far in `reaped`; the
   * partial index lists the streams with rows left to reap. The reaper counts payloads
   * down once per chunk, replacing the trigger's update per deleted row. maintenance
   * keeps the retention cutoff the reaper works towards. */
  "ALTER TABLE streams ADD COLUMN acked INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE streams ADD COLUMN reaped INTEGER NOT NULL DEFAULT 0;"
  "CREATE INDEX streams_unreaped ON streams (device_id) WHERE acked > reaped;"
  "DROP TRIGGER events_release;"
  "CREATE TABLE maintenance ("
  "  name TEXT PRIMARY KEY,"
  "  value INTEGER NOT NULL"
  ") WITHOUT ROWID;",
};

void
globi_store_set_error (sqlite3 *db, GError **error)
{
  int code = sqlite3_extended_errcode (db);

  /* The wire never carries SQLite's words; the log does. */
  if ((code & 0xff) == SQLITE_CONSTRAINT)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT, "conflict");
      return;
    }
  g_warning ("SQLite error %d: %s", code, sqlite3_errmsg (db));
  g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL, "storage error");
}

gboolean
globi_store_exec (sqlite3 *db, const char *sql, GError **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  return TRUE;
}

sqlite3_stmt *
globi_store_prepare (sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      globi_store_set_error (db, error);
      return NULL;
    }
  return stmt;
}

gboolean
globi_store_step_done (sqlite3 *db, sqlite3_stmt *stmt, GError **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  return TRUE;
}

/* Prepared statements kept per connection, so a hot job compiles no SQL. A connection is
 * used by one thread at a time, so only the map from connection to cache is locked. */
static GMutex caches_lock;
static GHashTable *caches; /* sqlite3 * → GHashTable (SQL → sqlite3_stmt) */

static GHashTable *
cache_for (sqlite3 *db)
{
  GHashTable *cache;

  g_mutex_lock (&caches_lock);
  if (!caches)
    caches = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_hash_table_unref);
  cache = g_hash_table_lookup (caches, db);
  if (!cache)
    {
      cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) sqlite3_finalize);
      g_hash_table_insert (caches, db, cache);
    }
  g_mutex_unlock (&caches_lock);
  return cache;
}

sqlite3_stmt *
globi_store_prepare_cached (sqlite3 *db, const char *sql, GError **error)
{
  GHashTable *cache = cache_for (db);
  sqlite3_stmt *stmt = g_hash_table_lookup (cache, sql);

  if (stmt)
    return stmt;
  if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      globi_store_set_error (db, error);
      sqlite3_finalize (stmt);
      return NULL;
    }
  g_hash_table_insert (cache, g_strdup (sql), stmt);
  return stmt;
}

void
globi_store_release_cached (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

/* A statement without parameters or rows (transaction control), compiled once. */
static gboolean
exec_cached (sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = globi_store_prepare_cached (db, sql, error);
  int rc;

  if (!stmt)
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  return TRUE;
}

/* Finalizes the connection's cached statements (sqlite3_close refuses while any live). */
static void
close_connection (sqlite3 *db)
{
  if (!db)
    return;
  g_mutex_lock (&caches_lock);
  if (caches)
    g_hash_table_remove (caches, db);
  g_mutex_unlock (&caches_lock);
  sqlite3_close (db);
}

static sqlite3 *
open_connection (const char *path, gboolean readonly, GError **error)
{
  sqlite3 *db = NULL;
  int flags = SQLITE_OPEN_NOMUTEX;

  flags |= readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2 (path, &db, flags, NULL) != SQLITE_OK)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL, "cannot open database %s: %s", path,
                   db ? sqlite3_errmsg (db) : "out of memory");
      close_connection (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  /* SQLite's small allocations (cursors, records, statement state) come from a per
   * connection lookaside pool, not malloc; the default 100 slots run out within one job
   * of the writer. Only possible before the connection allocates anything. */
  if (!readonly)
    sqlite3_db_config (db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 1200, 2000);
  /* FULL: a reply is sent only after its commit is on disk; group commit pays for it.
   * A group message touches the stream of every member's device, each on its own page of
   * events: with SQLite's default 2 MiB page cache those pages spill to the WAL in the
   * middle of a transaction and are read back for the next, which cost more than the
   * inserts themselves. The cache only grows as far as pages are used. Each job runs in
   * a savepoint, which copies every page it is first to touch into a statement journal:
   * in memory, not a temporary file written page by page. mmap serves reads of the
   * database file without a read() per page. */
  if (!globi_store_exec (db,
                         "PRAGMA foreign_keys = ON;"
                         "PRAGMA synchronous = FULL;"
                         "PRAGMA temp_store = MEMORY;"
                         "PRAGMA mmap_size = 268435456;",
                         error) ||
      /* KiB; the readers only read backlogs. */
      !globi_store_exec (
          db, readonly ? "PRAGMA cache_size = -16384;" : "PRAGMA cache_size = -65536;", error))
    {
      close_connection (db);
      return NULL;
    }
  return db;
}

static gboolean
migrate (sqlite3 *db, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int version;

  if (!globi_store_exec (db, "PRAGMA journal_mode = WAL;", error))
    return FALSE;
  if (!(stmt = globi_store_prepare (db, "PRAGMA user_version", error)))
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  version = sqlite3_column_int (stmt, 0);
  if (version > (int) G_N_ELEMENTS (migrations))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL,
                   "database schema %d is newer than this server (%u)", version,
                   (guint) G_N_ELEMENTS (migrations));
      return FALSE;
    }
  for (guint i = version; i < G_N_ELEMENTS (migrations); i++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %u;", i + 1);

      if (!globi_store_exec (db, "BEGIN IMMEDIATE;", error))
        return FALSE;
      if (!globi_store_exec (db, migrations[i], error) || !globi_store_exec (db, bump, error) ||
          !globi_store_exec (db, "COMMIT;", error))
        {
          sqlite3_exec (db, "ROLLBACK;", NULL, NULL, NULL);
          return FALSE;
        }
      g_debug ("migrated the store to schema %u", i + 1);
    }
  return TRUE;
}

static void
job_free (Job *job)
{
  if (job->data_free && job->data)
    job->data_free (job->data);
  if (job->result_free && job->result)
    job->result_free (job->result);
  g_clear_error (&job->error);
  g_clear_object (&job->task);
  g_free (job);
}

static void
job_complete (Job *job)
{
  if (job->error)
    g_task_return_error (job->task, g_steal_pointer (&job->error));
  else
    g_task_return_pointer (job->task, g_steal_pointer (&job->result), job->result_free);
  job_free (job);
}

/* The finished jobs of one batch whose tasks belong to one main context. */
typedef struct
{
  GMainContext *context;
  GPtrArray *jobs;
} Finished;

static gboolean
on_finished_cb (gpointer user_data)
{
  GPtrArray *jobs = user_data;

  /* On the tasks' own context, in a later iteration than the one that made them: each
   * g_task_return_* calls its callback here and now, in the order of the batch. */
  for (guint i = 0; i < jobs->len; i++)
    job_complete (g_steal_pointer (&jobs->pdata[i]));
  return G_SOURCE_REMOVE;
}

static void
finished_free (gpointer data)
{
  GPtrArray *jobs = data;

  /* Jobs left when the context went away without dispatching the source. */
  for (guint i = 0; i < jobs->len; i++)
    if (jobs->pdata[i])
      job_free (jobs->pdata[i]);
  g_ptr_array_unref (jobs);
}

/* Completing a task from another thread attaches an idle source per task to its context,
 * one wake-up (an eventfd write and a poll return) each: a batch of 128 replies woke the
 * main loop 128 times. One source per context and batch instead. */
static void
complete_batch (GPtrArray *batch)
{
  g_autoptr (GArray) groups = g_array_new (FALSE, FALSE, sizeof (Finished));

  for (guint i = 0; i < batch->len; i++)
    {
      Job *job = g_ptr_array_index (batch, i);
      GMainContext *context = g_task_get_context (job->task);
      Finished *group = NULL;

      for (guint j = 0; j < groups->len && !group; j++)
        if (g_array_index (groups, Finished, j).context == context)
          group = &g_array_index (groups, Finished, j);
      if (!group)
        {
          Finished added = { context, g_ptr_array_new () };

          g_array_append_val (groups, added);
          group = &g_array_index (groups, Finished, groups->len - 1);
        }
      g_ptr_array_add (group->jobs, job);
    }
  for (guint i = 0; i < groups->len; i++)
    {
      Finished *group = &g_array_index (groups, Finished, i);
      g_autoptr (GSource) source = g_idle_source_new ();

      /* GTask's own priority for returning from a thread. */
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, on_finished_cb, group->jobs, finished_free);
      g_source_set_static_name (source, "[globi-store] finished jobs");
      g_source_attach (source, group->context);
    }
}

void
globi_store_want_maintenance (void)
{
  g_private_set (&maintenance_wanted, GINT_TO_POINTER (TRUE));
}

static void
run_in_savepoint (sqlite3 *db, Job *job)
{
  if (!exec_cached (db, "SAVEPOINT job", &job->error))
    return;
  job->result = job->func (db, job->data, &job->error);
  if (job->error)
    {
      if (job->result && job->result_free)
        job->result_free (job->result);
      job->result = NULL;
      exec_cached (db, "ROLLBACK TO job", NULL);
    }
  exec_cached (db, "RELEASE job", NULL);
}

static int
on_wal_cb (void *user_data, sqlite3 *db, const char *name, int pages)
{
  ((Writer *) user_data)->wal_pages = pages;
  return SQLITE_OK;
}

static gpointer
checkpointer_thread (gpointer user_data)
{
  Checkpointer *checkpointer = user_data;

  g_mutex_lock (&checkpointer->lock);
  for (;;)
    {
      while (!checkpointer->wanted && !checkpointer->quit)
        g_cond_wait (&checkpointer->cond, &checkpointer->lock);
      if (checkpointer->quit)
        break;
      checkpointer->wanted = FALSE;
      g_mutex_unlock (&checkpointer->lock);
      /* PASSIVE: never waits for the writer or a reader; what a reader still needs stays
       * in the WAL for the next round. */
      sqlite3_wal_checkpoint_v2 (checkpointer->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      g_mutex_lock (&checkpointer->lock);
      if (!checkpointer->wanted)
        g_atomic_int_set (&checkpointer->busy, FALSE);
    }
  g_mutex_unlock (&checkpointer->lock);
  close_connection (g_steal_pointer (&checkpointer->db));
  return NULL;
}

static void
checkpointer_stop (Checkpointer *checkpointer)
{
  g_mutex_lock (&checkpointer->lock);
  checkpointer->quit = TRUE;
  g_cond_signal (&checkpointer->cond);
  g_mutex_unlock (&checkpointer->lock);
  g_thread_join (g_steal_pointer (&checkpointer->thread));
}

static void
checkpointer_free (Checkpointer *checkpointer)
{
  g_mutex_clear (&checkpointer->lock);
  g_cond_clear (&checkpointer->cond);
  g_free (checkpointer);
}

/* SQLite's automatic checkpoint runs inside the COMMIT that crosses 1 000 WAL pages, so
 * the replies of that batch waited for it; later the writer ran it between batches,
 * where the paced sends queued behind it. Now the checkpointer thread runs it, once per
 * 1 000 new pages. While the writer keeps appending, such a checkpoint never catches up
 * with the end of the WAL, and only a caught-up WAL starts over from its beginning: past
 * 8 times the mark the writer checkpoints itself, between batches, as before. */
static void
maybe_checkpoint (Writer *writer)
{
  Checkpointer *checkpointer = writer->checkpointer;

  if (writer->wal_pages >= 8 * CHECKPOINT_PAGES)
    {
      sqlite3_wal_checkpoint_v2 (writer->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      writer->wal_pages = writer->kicked_pages = 0;
      return;
    }
  /* The WAL started over. */
  if (writer->wal_pages < writer->kicked_pages)
    writer->kicked_pages = 0;
  if (writer->wal_pages - writer->kicked_pages < CHECKPOINT_PAGES)
    return;
  writer->kicked_pages = writer->wal_pages;
  g_mutex_lock (&checkpointer->lock);
  checkpointer->wanted = TRUE;
  g_atomic_int_set (&checkpointer->busy, TRUE);
  g_cond_signal (&checkpointer->cond);
  g_mutex_unlock (&checkpointer->lock);
}

/* One chunk of the reaper in a transaction of its own. Not synced (synchronous=NORMAL):
 * a chunk lost to a power cut is done again, and the next job's commit syncs the WAL with
 * everything before it. One fsync less per chunk; measured against synced chunks the
 * paced fan-out's tail was no worse (the runs were too noisy to say more). Returns
 * whether work is left. */
static gboolean
maintain (Writer *writer)
{
  g_autoptr (GError) error = NULL;
  gboolean more = FALSE;

  if (!exec_cached (writer->db, "PRAGMA synchronous = NORMAL", &error) ||
      !exec_cached (writer->db, "BEGIN IMMEDIATE", &error))
    goto out;
  if (!globi_store_events_reap (writer->db, MAINTENANCE_ROWS, &more, &error) ||
      !exec_cached (writer->db, "COMMIT", &error))
    {
      sqlite3_exec (writer->db, "ROLLBACK;", NULL, NULL, NULL);
      more = FALSE;
    }
out:
  exec_cached (writer->db, "PRAGMA synchronous = FULL", NULL);
  /* Tried again when a job next asks for it. */
  if (error)
    g_warning ("store maintenance: %s", error->message);
  maybe_checkpoint (writer);
  return more;
}

static gpointer
writer_thread (gpointer user_data)
{
  Writer *writer = user_data;
  gboolean quit = FALSE;
  /* The cursors are durable: whatever a previous run left to reap is reaped now. */
  gboolean more = TRUE;
  guint batches = 0;

  /* Replaces the automatic checkpoint (see maybe_checkpoint). */
  sqlite3_wal_hook (writer->db, on_wal_cb, writer);
  while (!quit)
    {
      g_autoptr (GPtrArray) batch = g_ptr_array_new ();
      g_autoptr (GError) error = NULL;
      gboolean checkpointing = g_atomic_int_get (&writer->checkpointer->busy);
      Job *job;

      if (!more)
        job = g_async_queue_pop (writer->queue);
      /* A reaper with a backlog writes without pause, and a checkpoint only catches up
       * with the end of the WAL (which lets the WAL start over) while nobody writes; else
       * the WAL reaches the mark where the writer checkpoints itself, a long stall. So the
       * reaper waits for the checkpointer, the jobs do not. */
      else if (checkpointing)
        job = g_async_queue_timeout_pop (writer->queue, 2000);
      else
        job = g_async_queue_try_pop (writer->queue);

      /* Nothing waiting: the writer's time is the reaper's, a chunk at a time. */
      if (!job)
        {
          if (!checkpointing)
            more = maintain (writer);
          continue;
        }

      /* Everything already waiting joins this transaction: one fsync for the lot. */
      do
        {
          if (job->func == quit_func)
            quit = TRUE;
          g_ptr_array_add (batch, job);
        }
      while (!quit && batch->len < MAX_BATCH && (job = g_async_queue_try_pop (writer->queue)));

      if (exec_cached (writer->db, "BEGIN IMMEDIATE", &error))
        {
          for (guint i = 0; i < batch->len; i++)
            {
              job = g_ptr_array_index (batch, i);
              if (job->func != quit_func)
                run_in_savepoint (writer->db, job);
            }
          if (!exec_cached (writer->db, "COMMIT", &error))
            sqlite3_exec (writer->db, "ROLLBACK;", NULL, NULL, NULL);
        }

      for (guint i = 0; i < batch->len; i++)
        {
          job = g_ptr_array_index (batch, i);
          if (error && !job->error)
            {
              if (job->result && job->result_free)
                job->result_free (job->result);
              job->result = NULL;
              job->error = g_error_copy (error);
            }
        }
      complete_batch (batch);
      maybe_checkpoint (writer);

      if (g_private_get (&maintenance_wanted))
        {
          g_private_set (&maintenance_wanted, NULL);
          more = TRUE;
        }
      /* Under sustained load the queue is never empty: still a chunk now and then, so
       * the backlog cannot grow without end. */
      if (more && !quit && ++batches >= MAINTENANCE_EVERY)
        {
          batches = 0;
          more = maintain (writer);
        }
    }
  /* Closed last, after the readers, so that it may checkpoint and remove the WAL. */
  close_connection (writer->db);
  checkpointer_free (writer->checkpointer);
  g_async_queue_unref (writer->queue);
  g_free (writer);
  return NULL;
}

static void
close_all (GlobiStore *self)
{
  if (self->closed)
    return;
  self->closed = TRUE;

  /* Each pop waits for a reader still in use to come back. */
  for (guint i = 0; i < self->n_readers; i++)
    close_connection (g_async_queue_pop (self->readers));

  /* Its connection closes before the writer's, which may then remove the WAL. */
  if (self->checkpointer)
    checkpointer_stop (g_steal_pointer (&self->checkpointer));
  if (self->writer)
    {
      Job *job = g_new0 (Job, 1);

      job->func = quit_func;
      /* No source object: this also runs from finalize. */
      job->task = g_task_new (NULL, NULL, NULL, NULL);
      g_async_queue_push (self->write_queue, job);
      /* On the writer thread itself (it dropped the last reference), the thread ends on
       * its own once it reaches the quit job. */
      if (g_thread_self () == self->writer)
        g_thread_unref (g_steal_pointer (&self->writer));
      else
        g_thread_join (g_steal_pointer (&self->writer));
    }
  /* Never handed to a writer thread (startup failed). */
  g_clear_pointer (&self->writer_db, close_connection);
}

static void
globi_store_finalize (GObject *object)
{
  GlobiStore *self = GLOBI_STORE (object);

  close_all (self);
  g_clear_pointer (&self->write_queue, g_async_queue_unref);
  g_clear_pointer (&self->readers, g_async_queue_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (globi_store_parent_class)->finalize (object);
}

static void
globi_store_class_init (GlobiStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = globi_store_finalize;
}

static void
globi_store_init (GlobiStore *self)
{
  self->write_queue = g_async_queue_new ();
  self->readers = g_async_queue_new ();
}

GlobiStore *
globi_store_new (const char *path, GError **error)
{
  g_autoptr (GlobiStore) self = NULL;
  Writer *writer;

  g_return_val_if_fail (path != NULL, NULL);

  /* glibc gives a thread arena's free top back to the kernel once it passes 128 KiB; the
   * writer's transactions allocate and free about that much every batch, and each
   * madvise() that follows flushes the TLB of every core (a tenth of the writer's time in
   * a profile). Keep up to 32 MiB instead, the most glibc's own dynamic threshold uses. */
  mallopt (M_TRIM_THRESHOLD, 32 * 1024 * 1024);
  self = g_object_new (GLOBI_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  if (!(self->writer_db = open_connection (path, FALSE, error)))
    return NULL;
  if (!migrate (self->writer_db, error))
    return NULL;
  for (guint i = 0; i < N_READERS; i++)
    {
      sqlite3 *db = open_connection (path, TRUE, error);

      if (!db)
        return NULL;
      g_async_queue_push (self->readers, db);
      self->n_readers++;
    }
  writer = g_new0 (Writer, 1);
  writer->checkpointer = g_new0 (Checkpointer, 1);
  g_mutex_init (&writer->checkpointer->lock);
  g_cond_init (&writer->checkpointer->cond);
  if (!(writer->checkpointer->db = open_connection (path, FALSE, error)))
    {
      checkpointer_free (writer->checkpointer);
      g_free (writer);
      return NULL;
    }
  writer->checkpointer->thread =
      g_thread_new ("globi-store-ckpt", checkpointer_thread, writer->checkpointer);
  self->checkpointer = writer->checkpointer;
  writer->queue = g_async_queue_ref (self->write_queue);
  writer->db = g_steal_pointer (&self->writer_db);
  self->writer = g_thread_new ("globi-store-writer", writer_thread, writer);
  return g_steal_pointer (&self);
}

static Job *
job_new (GlobiStore *self,
         GlobiStoreFunc func,
         gpointer data,
         GDestroyNotify data_free,
         GDestroyNotify result_free,
         GAsyncReadyCallback callback,
         gpointer user_data)
{
  Job *job = g_new0 (Job, 1);

  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;
  job->task = g_task_new (self, NULL, callback, user_data);
  return job;
}

void
globi_store_write_async (GlobiStore *self,
                         GlobiStoreFunc func,
                         gpointer data,
                         GDestroyNotify data_free,
                         GDestroyNotify result_free,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  Job *job;

  g_return_if_fail (GLOBI_IS_STORE (self));
  g_return_if_fail (func != NULL);

  job = job_new (self, func, data, data_free, result_free, callback, user_data);
  g_task_set_source_tag (job->task, globi_store_write_async);
  if (self->closed)
    {
      job->error = g_error_new_literal (GLOBI_ERROR, GLOBI_ERROR_UNAVAILABLE, "store closed");
      job_complete (job);
      return;
    }
  g_async_queue_push (self->write_queue, job);
}

static gpointer
run_read (GlobiStore *self, GlobiStoreFunc func, gpointer data, GError **error)
{
  sqlite3 *db = g_async_queue_pop (self->readers);
  gpointer result;

  /* A read is its own snapshot: several statements see one consistent state. */
  exec_cached (db, "BEGIN", NULL);
  result = func (db, data, error);
  exec_cached (db, "COMMIT", NULL);
  g_async_queue_push (self->readers, db);
  return result;
}

static void
read_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;

  job->result = run_read (source, job->func, job->data, &job->error);
  if (job->error)
    {
      if (job->result && job->result_free)
        job->result_free (job->result);
      job->result = NULL;
      g_task_return_error (task, g_steal_pointer (&job->error));
    }
  else
    g_task_return_pointer (task, g_steal_pointer (&job->result), job->result_free);
}

static void
read_job_free (gpointer data)
{
  Job *job = data;

  /* The task owns this job, not the other way round. */
  job->task = NULL;
  job_free (job);
}

void
globi_store_read_async (GlobiStore *self,
                        GlobiStoreFunc func,
                        gpointer data,
                        GDestroyNotify data_free,
                        GDestroyNotify result_free,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  Job *job;

  g_return_if_fail (GLOBI_IS_STORE (self));
  g_return_if_fail (func != NULL);

  job = job_new (self, func, data, data_free, result_free, callback, user_data);
  task = g_steal_pointer (&job->task);
  g_task_set_source_tag (task, globi_store_read_async);
  g_task_set_task_data (task, job, read_job_free);
  if (self->closed)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_UNAVAILABLE, "store closed");
      return;
    }
  g_task_run_in_thread (task, read_thread);
}

gpointer
globi_store_finish (GlobiStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gpointer
globi_store_read_sync (GlobiStore *self, GlobiStoreFunc func, gpointer data, GError **error)
{
  g_return_val_if_fail (GLOBI_IS_STORE (self), NULL);

  return run_read (self, func, data, error);
}

static void
close_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  close_all (source);
  g_task_return_boolean (task, TRUE);
}

void
globi_store_close_async (GlobiStore *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (GLOBI_IS_STORE (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, globi_store_close_async);
  /* Joining the writer blocks until the queue is drained: not on the main loop. */
  g_task_run_in_thread (task, close_thread);
}

gboolean
globi_store_close_finish (GlobiStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
globi_store_get_queue_depth (GlobiStore *self)
{
  gint len;

  g_return_val_if_fail (GLOBI_IS_STORE (self), 0);

  len = g_async_queue_length (self->write_queue);
  return len > 0 ? (guint) len : 0;
}
