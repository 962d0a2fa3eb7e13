/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <sodium.h>

#include "globi-error.h"
#include "core-fixture.h"

#define PASSWORD "correct horse battery"

static GlobiSession *
new_session (CoreFixture *f, const char *name)
{
  g_autofree char *dir = core_fixture_profile (f, name);

  return globi_session_new (dir);
}

static gboolean
reload_me (GlobiSession *session, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_session_reload_me_async (session, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  return globi_session_reload_me_finish (session, result, error);
}

static gboolean
restore (GlobiSession *session, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_session_restore_async (session, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  return globi_session_restore_finish (session, result, error);
}

static gboolean
update_profile (GlobiSession *session, const char *patch_json, GError **error)
{
  g_autoptr (JsonNode) patch = json_from_string (patch_json, NULL);
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_session_update_profile_async (session, json_node_get_object (patch), NULL, on_result_cb,
                                      &pending);
  result = wait_result (&pending);
  return globi_session_update_profile_finish (session, result, error);
}

static GListModel *
list_devices (GlobiSession *session)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  GListModel *devices;

  globi_session_list_devices_async (session, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  devices = globi_session_list_devices_finish (session, result, &error);
  g_assert_no_error (error);
  return devices;
}

static void
count_cb (gpointer instance, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
on_session_ended_cb (GlobiClient *client, guint code, gpointer user_data)
{
  g_assert_cmpuint (code, ==, GLOBI_ERROR_UNAUTHORIZED);
  (*(guint *) user_data)++;
}

static void
on_signed_out_cb (GlobiSession *session, GlobiSignOutReason reason, gpointer user_data)
{
  *(int *) user_data = reason;
}

static void
test_register_and_whoami (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) session = new_session (f, "a");
  g_autoptr (GError) error = NULL;
  GlobiProfile *me;

  g_assert_cmpint (globi_session_get_state (session), ==, GLOBI_SESSION_STATE_SIGNED_OUT);
  g_assert_null (globi_session_get_me (session));

  session_register (session, f->base_url, "alice", PASSWORD);
  g_assert_cmpint (globi_session_get_state (session), ==, GLOBI_SESSION_STATE_SIGNED_IN);
  me = globi_session_get_me (session);
  g_assert_cmpstr (globi_profile_get_username (me), ==, "alice");
  g_assert_cmpstr (globi_session_get_user_id (session), ==, globi_profile_get_id (me));
  g_assert_nonnull (globi_session_get_device_id (session));
  g_assert_cmpstr (globi_session_get_server_url (session), ==, f->base_url);
  g_assert_cmpint (globi_session_get_credential_backend (session), ==,
                   GLOBI_CREDENTIAL_BACKEND_FILE);

  /* `me` stays the same object: the UI's bindings survive a reload. */
  g_assert_true (reload_me (session, &error));
  g_assert_no_error (error);
  g_assert_true (globi_session_get_me (session) == me);
}

static void
test_register_duplicate (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) a = new_session (f, "a");
  g_autoptr (GlobiSession) b = new_session (f, "b");
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  session_register (a, f->base_url, "alice", PASSWORD);
  globi_session_register_async (b, f->base_url, "alice", PASSWORD, "Alice 2", NULL, on_result_cb,
                                &pending);
  result = wait_result (&pending);
  g_assert_false (globi_session_register_finish (b, result, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT);
  g_assert_cmpint (globi_session_get_state (b), ==, GLOBI_SESSION_STATE_SIGNED_OUT);
}

static void
test_wrong_password (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) a = new_session (f, "a");
  g_autoptr (GlobiSession) b = new_session (f, "b");
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  session_register (a, f->base_url, "alice", PASSWORD);
  globi_session_sign_in_async (b, f->base_url, "alice", "wrong password", NULL, NULL, on_result_cb,
                               &pending);
  result = wait_result (&pending);
  g_assert_false (globi_session_sign_in_finish (b, result, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_CREDENTIALS);
}

static void
test_restore (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) first = new_session (f, "a");
  g_autoptr (GlobiSession) second = NULL;
  g_autoptr (GlobiSession) empty = new_session (f, "nobody");
  g_autoptr (GError) error = NULL;

  session_register (first, f->base_url, "alice", PASSWORD);
  session_flush (first);
  g_clear_object (&first);

  /* A new process on the same profile. */
  second = new_session (f, "a");
  g_assert_true (restore (second, &error));
  g_assert_no_error (error);
  g_assert_cmpint (globi_session_get_state (second), ==, GLOBI_SESSION_STATE_SIGNED_IN);
  g_assert_cmpstr (globi_profile_get_username (globi_session_get_me (second)), ==, "alice");
  g_assert_cmpstr (globi_session_get_server_url (second), ==, f->base_url);

  /* Nothing stored: signed out, and that is not an error. */
  g_assert_false (restore (empty, &error));
  g_assert_no_error (error);
  g_assert_cmpint (globi_session_get_state (empty), ==, GLOBI_SESSION_STATE_SIGNED_OUT);
}

static void
test_refresh_on_expiry (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) session = new_session (f, "a");
  g_autoptr (GlobiSession) later = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending[3] = { NULL };
  guint tokens_changed = 0;

  session_register (session, f->base_url, "alice", PASSWORD);
  session_flush (session);
  g_signal_connect (globi_session_get_client (session), "tokens-changed", G_CALLBACK (count_cb),
                    &tokens_changed);

  /* An hour later every access token has expired. */
  globi_server_set_clock_offset (globi_server_thread_get_server (f->thread), 3600);

  /* Three calls at once meet one 401 each but share one refresh: a second refresh with the
   * same token would look like token reuse and revoke the device. */
  for (guint i = 0; i < G_N_ELEMENTS (pending); i++)
    globi_session_reload_me_async (session, NULL, on_result_cb, &pending[i]);
  for (guint i = 0; i < G_N_ELEMENTS (pending); i++)
    {
      g_autoptr (GAsyncResult) result = wait_result (&pending[i]);

      g_assert_true (globi_session_reload_me_finish (session, result, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (tokens_changed, ==, 1);
  g_assert_cmpint (globi_session_get_state (session), ==, GLOBI_SESSION_STATE_SIGNED_IN);

  /* The rotated refresh token was persisted: a restart restores with it (the old one
   * would now count as reuse). */
  session_flush (session);
  later = new_session (f, "a");
  g_assert_true (restore (later, &error));
  g_assert_no_error (error);
}

static void
test_optimistic_update (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) session = new_session (f, "a");
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (JsonNode) patch = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  GlobiProfile *me;

  session_register (session, f->base_url, "alice", PASSWORD);
  me = globi_session_get_me (session);

  g_assert_true (update_profile (session,
                                 "{\"display_name\":\"Alice Liu\",\"bio\":\"Hello\","
                                 "\"preferred_currency\":\"EUR\",\"privacy\":{\"who_can_add\":"
                                 "\"nobody\"}}",
                                 &error));
  g_assert_no_error (error);
  g_assert_cmpstr (globi_profile_get_display_name (me), ==, "Alice Liu");
  g_assert_cmpstr (globi_profile_get_preferred_currency (me), ==, "EUR");
  g_assert_cmpint (globi_profile_get_who_can_add (me), ==, GLOBI_WHO_CAN_ADD_NOBODY);

  /* Shown at once, before the server has answered... */
  patch = json_from_string ("{\"bio\":\"New bio\",\"preferred_currency\":\"XXQ\"}", NULL);
  globi_session_update_profile_async (session, json_node_get_object (patch), NULL, on_result_cb,
                                      &pending);
  g_assert_cmpstr (globi_profile_get_bio (me), ==, "New bio");
  g_assert_cmpstr (globi_profile_get_preferred_currency (me), ==, "XXQ");

  /* ...and rolled back when it refuses, with the reason. */
  result = wait_result (&pending);
  g_assert_false (globi_session_update_profile_finish (session, result, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD);
  g_assert_true (g_str_has_prefix (error->message, "preferred_currency"));
  g_assert_cmpstr (globi_profile_get_bio (me), ==, "Hello");
  g_assert_cmpstr (globi_profile_get_preferred_currency (me), ==, "EUR");

  /* The server kept the earlier values. */
  g_assert_true (reload_me (session, NULL));
  g_assert_cmpstr (globi_profile_get_bio (me), ==, "Hello");

  /* Two edits in flight: undoing the refused one keeps the other. */
  {
    g_autoptr (JsonNode) good = json_from_string ("{\"region\":\"Lyon\"}", NULL);
    g_autoptr (JsonNode) bad = json_from_string ("{\"language\":\"not a tag!\"}", NULL);
    g_autoptr (GAsyncResult) r1 = NULL;
    g_autoptr (GAsyncResult) r2 = NULL;
    g_autofree char *language = g_strdup (globi_profile_get_language (me));
    GAsyncResult *p1 = NULL;
    GAsyncResult *p2 = NULL;

    g_clear_error (&error);
    globi_session_update_profile_async (session, json_node_get_object (bad), NULL, on_result_cb,
                                        &p1);
    globi_session_update_profile_async (session, json_node_get_object (good), NULL, on_result_cb,
                                        &p2);
    r1 = wait_result (&p1);
    r2 = wait_result (&p2);
    g_assert_false (globi_session_update_profile_finish (session, r1, &error));
    g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD);
    g_assert_true (globi_session_update_profile_finish (session, r2, NULL));
    g_assert_cmpstr (globi_profile_get_region (me), ==, "Lyon");
    g_assert_cmpstr (globi_profile_get_language (me), ==, language);
  }
}

static GBytes *
make_png (guint32 rgba)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 64, 48);
  g_autoptr (GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, rgba);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL));
  return g_bytes_new_take (buffer, len);
}

static GBytes *
fetch_blob (GlobiClient *client, const char *hash, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_client_fetch_blob_async (client, hash, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  return globi_client_fetch_blob_finish (client, result, error);
}

static void
test_avatar_and_blob_cache (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) session = new_session (f, "a");
  g_autoptr (GBytes) png = make_png (0x3584e4ff);
  g_autoptr (GBytes) fetched = NULL;
  g_autoptr (GBytes) again = NULL;
  g_autoptr (GBytes) thumb = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *avatar_hash = NULL;
  g_autofree char *thumb_hash = NULL;
  g_autofree char *cached = NULL;
  g_autofree char *real_url = NULL;
  GAsyncResult *pending = NULL;
  GlobiClient *client;
  GlobiProfile *me;

  session_register (session, f->base_url, "alice", PASSWORD);
  me = globi_session_get_me (session);
  client = globi_session_get_client (session);
  g_assert_null (globi_profile_get_avatar_hash (me));

  globi_session_set_avatar_async (session, png, NULL, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_session_set_avatar_finish (session, result, &error));
  g_assert_no_error (error);
  avatar_hash = g_strdup (globi_profile_get_avatar_hash (me));
  thumb_hash = g_strdup (globi_profile_get_thumbnail_hash (me));
  g_assert_nonnull (avatar_hash);
  g_assert_nonnull (thumb_hash);

  /* The original comes back byte for byte (it is checked against its hash) and lands in
   * the profile's cache. */
  fetched = fetch_blob (client, avatar_hash, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (fetched, png));
  cached =
      g_build_filename (globi_session_get_profile_dir (session), "blob-cache", avatar_hash, NULL);
  g_assert_true (g_file_test (cached, G_FILE_TEST_IS_REGULAR));

  /* With the server out of reach, the cache still answers for what it holds. */
  real_url = g_strdup (globi_client_get_base_url (client));
  globi_client_set_base_url (client, "http://127.0.0.1:9");
  again = fetch_blob (client, avatar_hash, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (again, png));
  thumb = fetch_blob (client, thumb_hash, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NETWORK);
  g_assert_null (thumb);
  g_clear_error (&error);
  globi_client_set_base_url (client, real_url);
  thumb = fetch_blob (client, thumb_hash, &error);
  g_assert_no_error (error);
  g_assert_nonnull (thumb);

  /* Not a hash at all: refused before any request. */
  g_assert_null (fetch_blob (client, "../../etc/passwd", &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD);
  g_clear_error (&error);

  g_clear_object (&result);
  globi_session_remove_avatar_async (session, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_session_remove_avatar_finish (session, result, &error));
  g_assert_null (globi_profile_get_avatar_hash (me));
}

static void
test_devices_revoke (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) laptop = new_session (f, "laptop");
  g_autoptr (GlobiSession) phone = new_session (f, "phone");
  g_autoptr (GListModel) devices = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *phone_device = NULL;
  g_autofree char *phone_creds = NULL;
  GAsyncResult *pending = NULL;
  guint session_ended = 0;
  int reason = -1;
  guint current = 0;

  session_register (laptop, f->base_url, "alice", PASSWORD);
  session_sign_in (phone, f->base_url, "alice", PASSWORD);
  session_flush (phone);
  phone_device = g_strdup (globi_session_get_device_id (phone));
  phone_creds = g_build_filename (globi_session_get_profile_dir (phone), "credentials.json", NULL);
  g_assert_true (g_file_test (phone_creds, G_FILE_TEST_EXISTS));

  devices = list_devices (laptop);
  g_assert_cmpuint (g_list_model_get_n_items (devices), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GlobiDevice) device = g_list_model_get_item (devices, i);

      if (globi_device_get_current (device))
        {
          current++;
          g_assert_cmpstr (globi_device_get_id (device), ==, globi_session_get_device_id (laptop));
        }
      g_assert_cmpstr (globi_device_get_platform (device), ==, "Linux");
    }
  g_assert_cmpuint (current, ==, 1);

  globi_session_revoke_device_async (laptop, phone_device, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_session_revoke_device_finish (laptop, result, &error));
  g_assert_no_error (error);

  /* The phone learns on its next call: the client ends the session, the session says why
   * and forgets the stored sign-in. */
  g_signal_connect (globi_session_get_client (phone), "session-ended",
                    G_CALLBACK (on_session_ended_cb), &session_ended);
  g_signal_connect (phone, "signed-out", G_CALLBACK (on_signed_out_cb), &reason);
  g_assert_false (reload_me (phone, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (session_ended, ==, 1);
  g_assert_cmpint (reason, ==, GLOBI_SIGN_OUT_REASON_REVOKED);
  g_assert_cmpint (globi_session_get_state (phone), ==, GLOBI_SESSION_STATE_SIGNED_OUT);
  g_assert_null (globi_session_get_me (phone));
  session_flush (phone);
  g_assert_false (g_file_test (phone_creds, G_FILE_TEST_EXISTS));

  g_clear_object (&devices);
  devices = list_devices (laptop);
  g_assert_cmpuint (g_list_model_get_n_items (devices), ==, 1);

  /* Not one of mine. */
  g_clear_error (&error);
  g_clear_object (&result);
  globi_session_revoke_device_async (laptop, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", NULL,
                                     on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_false (globi_session_revoke_device_finish (laptop, result, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
}

static gboolean
change_password (GlobiSession *session, const char *current, const char *fresh, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_session_change_password_async (session, current, fresh, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  return globi_session_change_password_finish (session, result, error);
}

static void
test_change_password (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) laptop = new_session (f, "laptop");
  g_autoptr (GlobiSession) phone = new_session (f, "phone");
  g_autoptr (GlobiSession) fresh = new_session (f, "fresh");
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  session_register (laptop, f->base_url, "alice", PASSWORD);
  session_sign_in (phone, f->base_url, "alice", PASSWORD);

  g_assert_false (change_password (laptop, "not my password", "new password 2", &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_CREDENTIALS);
  g_clear_error (&error);

  g_assert_true (change_password (laptop, PASSWORD, "new password 2", &error));
  g_assert_no_error (error);

  /* This device stays signed in; the others are signed out. */
  g_assert_true (reload_me (laptop, &error));
  g_assert_no_error (error);
  g_assert_false (reload_me (phone, &error));
  g_assert_cmpint (globi_session_get_state (phone), ==, GLOBI_SESSION_STATE_SIGNED_OUT);
  g_clear_error (&error);

  globi_session_sign_in_async (fresh, f->base_url, "alice", PASSWORD, NULL, NULL, on_result_cb,
                               &pending);
  result = wait_result (&pending);
  g_assert_false (globi_session_sign_in_finish (fresh, result, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_CREDENTIALS);
  session_sign_in (fresh, f->base_url, "alice", "new password 2");
}

static void
test_sign_out (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) online = new_session (f, "online");
  g_autoptr (GlobiSession) offline = new_session (f, "offline");
  g_autoptr (GlobiSession) again = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) devices = NULL;
  GAsyncResult *pending = NULL;
  int reason = -1;

  session_register (online, f->base_url, "alice", PASSWORD);
  session_sign_in (offline, f->base_url, "alice", PASSWORD);
  session_flush (offline);

  /* Offline: the server cannot hear it, the device still forgets the account. */
  g_signal_connect (offline, "signed-out", G_CALLBACK (on_signed_out_cb), &reason);
  globi_client_set_base_url (globi_session_get_client (offline), "http://127.0.0.1:9");
  globi_session_sign_out_async (offline, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_session_sign_out_finish (offline, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (reason, ==, GLOBI_SIGN_OUT_REASON_USER);
  g_assert_cmpint (globi_session_get_state (offline), ==, GLOBI_SESSION_STATE_SIGNED_OUT);
  again = new_session (f, "offline");
  g_assert_false (restore (again, &error));
  g_assert_no_error (error);

  /* Online: the server revokes the device too. */
  g_clear_object (&result);
  globi_session_sign_out_async (online, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_session_sign_out_finish (online, result, &error));
  g_clear_object (&again);
  again = new_session (f, "online2");
  session_sign_in (again, f->base_url, "alice", PASSWORD);
  devices = list_devices (again);
  /* The offline device is still listed (the server never heard), the online one is gone. */
  g_assert_cmpuint (g_list_model_get_n_items (devices), ==, 2);
}

static void
test_restore_offline_keeps_sign_in (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) session = new_session (f, "a");
  g_autoptr (GlobiSession) later = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *creds = NULL;
  int reason = -1;

  session_register (session, f->base_url, "alice", PASSWORD);
  session_flush (session);
  creds = g_build_filename (globi_session_get_profile_dir (session), "credentials.json", NULL);
  g_clear_object (&session);

  core_fixture_stop (f);
  later = new_session (f, "a");
  g_signal_connect (later, "signed-out", G_CALLBACK (on_signed_out_cb), &reason);
  g_assert_false (restore (later, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NETWORK);
  g_assert_cmpint (globi_session_get_state (later), ==, GLOBI_SESSION_STATE_SIGNED_OUT);
  g_assert_cmpint (reason, ==, -1);
  session_flush (later);
  g_assert_true (g_file_test (creds, G_FILE_TEST_EXISTS));
}

static void
test_lookup_user (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GlobiSession) alice = new_session (f, "alice");
  g_autoptr (GlobiSession) bob = new_session (f, "bob");
  g_autoptr (GlobiProfile) found = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  session_register (alice, f->base_url, "alice", PASSWORD);
  session_register (bob, f->base_url, "bob", PASSWORD);

  globi_session_lookup_user_async (alice, "bob", NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  found = globi_session_lookup_user_finish (alice, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_profile_get_id (found), ==, globi_session_get_user_id (bob));

  g_clear_object (&result);
  globi_session_lookup_user_async (alice, "nobody-here", NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_null (globi_session_lookup_user_finish (alice, result, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
}

static char **
seed (CoreFixture *f)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  char **names;

  globi_demo_seed_async (f->base_url, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  names = globi_demo_seed_finish (result, &error);
  g_assert_no_error (error);
  return names;
}

static void
test_demo_seeder (CoreFixture *f, gconstpointer data)
{
  g_auto (GStrv) first = seed (f);
  g_auto (GStrv) second = seed (f);
  g_autoptr (GlobiSession) session = new_session (f, "demo");
  g_autoptr (GListModel) devices = NULL;
  GlobiProfile *me;

  g_assert_cmpuint (g_strv_length (first), >=, 3);
  /* Idempotent: the second run skips who exists and names the same people. */
  g_assert_true (g_strv_equal ((const char *const *) first, (const char *const *) second));

  session_sign_in (session, f->base_url, first[0], GLOBI_DEMO_PASSWORD);
  me = globi_session_get_me (session);
  g_assert_nonnull (globi_profile_get_avatar_hash (me));
  g_assert_cmpstr (globi_profile_get_region (me), !=, "");
  g_assert_cmpstr (globi_profile_get_bio (me), !=, "");
  /* The seeder signed out behind itself. */
  devices = list_devices (session);
  g_assert_cmpuint (g_list_model_get_n_items (devices), ==, 1);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, CoreFixture, NULL, core_fixture_setup, func, core_fixture_teardown)
  ADD ("/globi/core/session/register-whoami", test_register_and_whoami);
  ADD ("/globi/core/session/register-duplicate", test_register_duplicate);
  ADD ("/globi/core/session/wrong-password", test_wrong_password);
  ADD ("/globi/core/session/restore", test_restore);
  ADD ("/globi/core/session/refresh-on-expiry", test_refresh_on_expiry);
  ADD ("/globi/core/session/optimistic-update", test_optimistic_update);
  ADD ("/globi/core/session/avatar-blob-cache", test_avatar_and_blob_cache);
  ADD ("/globi/core/session/devices-revoke", test_devices_revoke);
  ADD ("/globi/core/session/change-password", test_change_password);
  ADD ("/globi/core/session/sign-out", test_sign_out);
  ADD ("/globi/core/session/restore-offline", test_restore_offline_keeps_sign_in);
  ADD ("/globi/core/session/lookup-user", test_lookup_user);
  ADD ("/globi/core/demo/seed", test_demo_seeder);
#undef ADD

  return g_test_run ();
}
