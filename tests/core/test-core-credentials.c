/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <sys/stat.h>

#include "globi-core.h"
#include "globi-test-util.h"

typedef struct
{
  char *tmp_dir;
  char *profile_dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_setenv ("GLOBICHAT_CREDENTIALS", data != NULL ? data : "file", TRUE);
  f->tmp_dir = g_dir_make_tmp ("globi-core-creds-XXXXXX", &error);
  g_assert_no_error (error);
  /* Not created yet: the store must make it. */
  f->profile_dir = g_build_filename (f->tmp_dir, "profile", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  globi_test_remove_tree (f->tmp_dir);
  g_free (f->tmp_dir);
  g_free (f->profile_dir);
}

static GlobiCredentials *
make_creds (const char *refresh_token)
{
  GlobiCredentials *creds = globi_credentials_new ();

  creds->server_url = g_strdup ("http://127.0.0.1:9");
  creds->user_id = g_strdup ("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  creds->username = g_strdup ("alice");
  creds->device_id = g_strdup ("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c");
  creds->refresh_token = g_strdup (refresh_token);
  return creds;
}

static void
test_file_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GlobiCredentialStore) store = globi_credential_store_new (f->profile_dir);
  g_autoptr (GlobiCredentials) creds = make_creds ("token-1");
  g_autoptr (GlobiCredentials) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->profile_dir, "credentials.json", NULL);
  GStatBuf st;

  g_assert_cmpint (globi_credential_store_get_backend (store), ==, GLOBI_CREDENTIAL_BACKEND_FILE);

  loaded = globi_credential_store_load_sync (store, &error);
  g_assert_no_error (error);
  g_assert_null (loaded);

  g_assert_true (globi_credential_store_save_sync (store, creds, &error));
  g_assert_no_error (error);

  /* Only the owner may read the token, and the directory is private too. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (f->profile_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);

  loaded = globi_credential_store_load_sync (store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_cmpstr (loaded->server_url, ==, creds->server_url);
  g_assert_cmpstr (loaded->user_id, ==, creds->user_id);
  g_assert_cmpstr (loaded->username, ==, "alice");
  g_assert_cmpstr (loaded->device_id, ==, creds->device_id);
  g_assert_cmpstr (loaded->refresh_token, ==, "token-1");

  g_assert_true (globi_credential_store_clear_sync (store, &error));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&loaded, globi_credentials_free);
  loaded = globi_credential_store_load_sync (store, &error);
  g_assert_no_error (error);
  g_assert_null (loaded);
  /* Clearing twice is fine. */
  g_assert_true (globi_credential_store_clear_sync (store, &error));
}

static void
test_file_damaged (Fixture *f, gconstpointer data)
{
  g_autoptr (GlobiCredentialStore) store = globi_credential_store_new (f->profile_dir);
  g_autofree char *path = g_build_filename (f->profile_dir, "credentials.json", NULL);
  static const char *const damaged[] = {
    "not json",
    "[]",
    "{\"server_url\":\"http://x\"}",
    "{\"server_url\":\"http://x\",\"refresh_token\":5}",
  };

  g_assert_cmpint (g_mkdir_with_parents (f->profile_dir, 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (damaged); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiCredentials) loaded = NULL;

      g_assert_true (g_file_set_contents (path, damaged[i], -1, NULL));
      loaded = globi_credential_store_load_sync (store, &error);
      g_assert_null (loaded);
      g_assert_nonnull (error);
    }
}

static void
on_result_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **pending)
{
  while (*pending == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_steal_pointer (pending);
}

static void
test_async_in_order (Fixture *f, gconstpointer data)
{
  g_autoptr (GlobiCredentialStore) store = globi_credential_store_new (f->profile_dir);
  g_autoptr (GAsyncResult) r1 = NULL;
  g_autoptr (GAsyncResult) r2 = NULL;
  g_autoptr (GAsyncResult) r3 = NULL;
  g_autoptr (GAsyncResult) r4 = NULL;
  GAsyncResult *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL;
  g_autoptr (GlobiCredentials) a = make_creds ("token-a");
  g_autoptr (GlobiCredentials) b = make_creds ("token-b");
  g_autoptr (GlobiCredentials) loaded = NULL;
  g_autoptr (GError) error = NULL;

  /* A rotation saves the new token while an older save may still be running: the last
   * one asked for must win. */
  globi_credential_store_save_async (store, a, NULL, on_result_cb, &p1);
  globi_credential_store_save_async (store, b, NULL, on_result_cb, &p2);
  globi_credential_store_load_async (store, NULL, on_result_cb, &p3);
  globi_credential_store_flush_async (store, NULL, on_result_cb, &p4);

  r4 = wait_result (&p4);
  g_assert_true (globi_credential_store_flush_finish (store, r4, &error));
  r1 = wait_result (&p1);
  r2 = wait_result (&p2);
  r3 = wait_result (&p3);
  g_assert_true (globi_credential_store_save_finish (store, r1, &error));
  g_assert_true (globi_credential_store_save_finish (store, r2, &error));
  loaded = globi_credential_store_load_finish (store, r3, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->refresh_token, ==, "token-b");
  g_assert_cmpint (globi_credential_store_get_backend (store), ==, GLOBI_CREDENTIAL_BACKEND_FILE);
}

/* Only when a Secret Service already runs (CI starts gnome-keyring-daemon inside
 * dbus-run-session); activating one here could hang on an unlock prompt. */
static gboolean
secret_service_running (char **reason)
{
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  gboolean has_owner = FALSE;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      *reason = g_strdup ("no D-Bus session bus");
      return FALSE;
    }
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus != NULL)
    reply = g_dbus_connection_call_sync (
        bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "NameHasOwner", g_variant_new ("(s)", "org.freedesktop.secrets"), G_VARIANT_TYPE ("(b)"),
        G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);
  if (!has_owner)
    *reason = g_strdup (error != NULL ? error->message : "no Secret Service on the session bus");
  return has_owner;
}

static void
test_secret_service (Fixture *f, gconstpointer data)
{
  g_autoptr (GlobiCredentialStore) store = NULL;
  g_autoptr (GlobiCredentials) creds = make_creds ("token-s");
  g_autoptr (GlobiCredentials) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *path = g_build_filename (f->profile_dir, "credentials.json", NULL);

  if (!secret_service_running (&reason))
    {
      g_autofree char *msg = g_strdup_printf ("Secret Service not available: %s", reason);

      g_test_skip (msg);
      return;
    }

  store = globi_credential_store_new (f->profile_dir);
  g_assert_true (globi_credential_store_save_sync (store, creds, &error));
  g_assert_no_error (error);
  g_assert_cmpint (globi_credential_store_get_backend (store), ==,
                   GLOBI_CREDENTIAL_BACKEND_SECRET_SERVICE);
  /* In the keyring, not on disk. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  loaded = globi_credential_store_load_sync (store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->refresh_token, ==, "token-s");

  g_assert_true (globi_credential_store_clear_sync (store, &error));
  g_clear_pointer (&loaded, globi_credentials_free);
  loaded = globi_credential_store_load_sync (store, &error);
  g_assert_no_error (error);
  g_assert_null (loaded);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/globi/core/credentials/file-round-trip", Fixture, NULL, fixture_setup,
              test_file_round_trip, fixture_teardown);
  g_test_add ("/globi/core/credentials/file-damaged", Fixture, NULL, fixture_setup,
              test_file_damaged, fixture_teardown);
  g_test_add ("/globi/core/credentials/async-in-order", Fixture, NULL, fixture_setup,
              test_async_in_order, fixture_teardown);
  g_test_add ("/globi/core/credentials/secret-service", Fixture, "secret", fixture_setup,
              test_secret_service, fixture_teardown);

  return g_test_run ();
}
