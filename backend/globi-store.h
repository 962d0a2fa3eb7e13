/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* The SQLite engine behind the server: one writer thread fed by a GAsyncQueue that runs
 * many queued writes in one transaction (group commit; each job in its own savepoint, so
 * one failing job never undoes its neighbours), plus a small pool of read connections used
 * from worker threads. WAL, foreign keys, busy timeout, migrations by PRAGMA user_version.
 * The main loop never touches SQLite: jobs are GTasks that complete on the caller's
 * thread-default main context. */
#define GLOBI_TYPE_STORE (globi_store_get_type ())
G_DECLARE_FINAL_TYPE (GlobiStore, globi_store, GLOBI, STORE, GObject)

/* Runs on a store thread. Returns the job's result (freed with result_free when nobody
 * takes it) or sets error; a job that fails is rolled back to its savepoint. */
typedef gpointer (*GlobiStoreFunc) (sqlite3   *db,
                                    gpointer   data,
                                    GError   **error);

/* Opens (creating and migrating) the database file; blocking, call at startup. */
GlobiStore *globi_store_new          (const char          *path,
                                      GError             **error);
void        globi_store_write_async  (GlobiStore          *self,
                                      GlobiStoreFunc       func,
                                      gpointer             data,
                                      GDestroyNotify       data_free,
                                      GDestroyNotify       result_free,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
void        globi_store_read_async   (GlobiStore          *self,
                                      GlobiStoreFunc       func,
                                      gpointer             data,
                                      GDestroyNotify       data_free,
                                      GDestroyNotify       result_free,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
/* Finishes either kind; NULL is a valid result, so test the error. */
gpointer    globi_store_finish       (GlobiStore          *self,
                                      GAsyncResult        *result,
                                      GError             **error);
/* Blocking read for startup code that runs before the server serves. */
gpointer    globi_store_read_sync    (GlobiStore          *self,
                                      GlobiStoreFunc       func,
                                      gpointer             data,
                                      GError             **error);
/* Drains the write queue, then closes every connection. */
void        globi_store_close_async  (GlobiStore          *self,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean    globi_store_close_finish (GlobiStore          *self,
                                      GAsyncResult        *result,
                                      GError             **error);
guint       globi_store_get_queue_depth (GlobiStore       *self);

/* Helpers for job functions. */
gboolean    globi_store_exec         (sqlite3             *db,
                                      const char          *sql,
                                      GError             **error);
sqlite3_stmt *globi_store_prepare    (sqlite3             *db,
                                      const char          *sql,
                                      GError             **error);
/* Steps a statement expected to finish (INSERT/UPDATE/DELETE); constraint violations
 * become GLOBI_ERROR_CONFLICT. */
/* A statement compiled once per connection and kept: the caller must not finalize it but
 * hand it back reset, best with g_autoptr (GlobiStoreCachedStmt). For the statements of
 * hot paths whose SQL text is constant. */
sqlite3_stmt *globi_store_prepare_cached (sqlite3         *db,
                                          const char      *sql,
                                          GError         **error);
/* Resets a cached statement and clears its bindings. */
void        globi_store_release_cached (sqlite3_stmt      *stmt);
gboolean    globi_store_step_done    (sqlite3             *db,
                                      sqlite3_stmt        *stmt,
                                      GError             **error);
void        globi_store_set_error    (sqlite3             *db,
                                      GError             **error);
/* From a write job: it left work for the writer's maintenance (the reaper of acknowledged
 * and expired events), which runs when no job waits and now and then under load. */
void        globi_store_want_maintenance (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)
/* The same statement type, released to its cache instead of finalized. */
typedef sqlite3_stmt GlobiStoreCachedStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiStoreCachedStmt, globi_store_release_cached)

G_END_DECLS
