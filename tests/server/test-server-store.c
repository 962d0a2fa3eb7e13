/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>

#include "globi-error.h"
#include "globi-id.h"
#include "globi-store-accounts.h"
#include "globi-store.h"

typedef struct
{
  char *dir;
  char *path;
  GlobiStore *store;
} StoreFixture;

static void
store_setup (StoreFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("globi-store-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "test.db", NULL);
  f->store = globi_store_new (f->path, &error);
  g_assert_no_error (error);
}

static void
store_teardown (StoreFixture *f, gconstpointer data)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

  g_clear_object (&f->store);
  g_unlink (wal);
  g_unlink (shm);
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

typedef struct
{
  guint pending;
  guint ok;
  guint conflicts;
} Tally;

static void
on_written_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Tally *tally = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiUserRow) row = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (error)
    {
      g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT);
      tally->conflicts++;
    }
  else
    {
      g_assert_nonnull (row);
      tally->ok++;
    }
  tally->pending--;
}

static GlobiAccountArgs *
user_args (const char *username)
{
  GlobiAccountArgs *args = globi_account_args_new ();

  args->user_id = globi_id_new ();
  args->username = g_strdup (username);
  args->password_hash = g_strdup ("$argon2id$test");
  args->display_name = g_strdup (username);
  args->now_ms = g_get_real_time () / 1000;
  return args;
}

/* Hundreds of writes queued at once share transactions; a failing one (a duplicate
 * username) rolls back only itself. */
static void
test_group_commit (StoreFixture *f, gconstpointer data)
{
  Tally tally = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = NULL;

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *name = g_strdup_printf ("user%u", i % 150 == 7 ? 7 : i);

      tally.pending++;
      globi_store_write_async (f->store, globi_store_accounts_create_user, user_args (name),
                               globi_account_args_free, globi_user_row_free, on_written_cb, &tally);
    }
  while (tally.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  /* i = 7 and i = 157 both want "user7". */
  g_assert_cmpuint (tally.ok, ==, 299);
  g_assert_cmpuint (tally.conflicts, ==, 1);

  /* Everything committed is visible to the readers. */
  {
    GlobiAccountArgs *args = globi_account_args_new ();
    g_autoptr (GlobiUserRow) row = NULL;

    args->username = g_strdup ("user299");
    row = globi_store_read_sync (f->store, globi_store_accounts_get_by_username, args, &error);
    globi_account_args_free (args);
    g_assert_no_error (error);
    g_assert_cmpstr (row->username, ==, "user299");
  }
  devices = globi_store_read_sync (f->store, globi_store_accounts_active_devices, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, 0);
}

static void
on_closed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *closed = user_data;

  g_assert_true (globi_store_close_finish (GLOBI_STORE (source), result, NULL));
  *closed = TRUE;
}

/* Close drains the queue: writes queued before it are all committed. */
static void
test_close_drains (StoreFixture *f, gconstpointer data)
{
  Tally tally = { 0 };
  gboolean closed = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiStore) reopened = NULL;
  GlobiAccountArgs *args;
  g_autoptr (GlobiUserRow) row = NULL;

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *name = g_strdup_printf ("drain%u", i);

      tally.pending++;
      globi_store_write_async (f->store, globi_store_accounts_create_user, user_args (name),
                               globi_account_args_free, globi_user_row_free, on_written_cb, &tally);
    }
  globi_store_close_async (f->store, on_closed_cb, &closed);
  while (!closed || tally.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (tally.ok, ==, 50);
  g_clear_object (&f->store);

  /* Reopening migrates nothing and finds the rows. */
  reopened = globi_store_new (f->path, &error);
  g_assert_no_error (error);
  args = globi_account_args_new ();
  args->username = g_strdup ("drain49");
  row = globi_store_read_sync (reopened, globi_store_accounts_get_by_username, args, &error);
  globi_account_args_free (args);
  g_assert_no_error (error);
  g_assert_nonnull (row);
}

static gpointer
user_version_func (sqlite3 *db, gpointer data, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = globi_store_prepare (db, "PRAGMA user_version", error);

  if (!stmt || sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return GINT_TO_POINTER (sqlite3_column_int (stmt, 0));
}

static void
test_migrations (StoreFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int version = GPOINTER_TO_INT (globi_store_read_sync (f->store, user_version_func, NULL, &error));

  g_assert_no_error (error);
  g_assert_cmpint (version, >=, 1);
}

static void
test_refuses_newer_schema (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("globi-store-test-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "future.db", NULL);
  g_autoptr (GlobiStore) store = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 999;", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (db);

  store = globi_store_new (path, &error);
  g_assert_null (store);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/globi/server/store/group-commit", StoreFixture, NULL, store_setup,
              test_group_commit, store_teardown);
  g_test_add ("/globi/server/store/close-drains-queue", StoreFixture, NULL, store_setup,
              test_close_drains, store_teardown);
  g_test_add ("/globi/server/store/migrations", StoreFixture, NULL, store_setup, test_migrations,
              store_teardown);
  g_test_add_func ("/globi/server/store/refuses-newer-schema", test_refuses_newer_schema);

  return g_test_run ();
}
