/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <sodium.h>
#include <string.h>

#include "server-fixture.h"

#define PASSWORD "correct horse battery"

static char *
sign_up (Fixture *f, const char *username, char **out_user_id)
{
  g_autofree char *id = fixture_register (f, username, PASSWORD);
  char *access = NULL;

  fixture_sign_in (f, username, PASSWORD, &access, NULL, NULL);
  if (out_user_id)
    *out_user_id = g_steal_pointer (&id);
  return access;
}

static JsonObject *
reply_user (Reply *reply)
{
  return json_object_get_object_member (reply_object (reply), "user");
}

static void
test_me (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *token = sign_up (f, "alice", &id);
  g_autoptr (Reply) me = fixture_request (f, "GET", "/v1/me", token, NULL);
  JsonObject *user;

  g_assert_cmpuint (me->status, ==, 200);
  user = reply_user (me);
  g_assert_cmpstr (json_object_get_string_member (user, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (user, "preferred_currency"), ==, "USD");
  g_assert_cmpstr (json_object_get_string_member (user, "language"), ==, "en");
  g_assert_cmpstr (json_object_get_string_member (user, "bio"), ==, "");
  g_assert_true (json_object_has_member (user, "privacy"));
}

static void
test_patch (Fixture *f, gconstpointer data)
{
  g_autofree char *token = sign_up (f, "alice", NULL);
  g_autoptr (Reply) patched = NULL;
  g_autoptr (Reply) again = NULL;
  JsonObject *user, *privacy;

  patched = fixture_request (f, "PATCH", "/v1/me", token,
                             "{\"display_name\": \"Alice Liu\", \"bio\": \"line one\\nline two\", "
                             "\"region\": \"Shanghai\", \"preferred_currency\": \"CNY\", "
                             "\"language\": \"zh-CN\", \"privacy\": {\"discoverable\": false, "
                             "\"who_can_add\": \"friends_of_friends\"}}");
  g_assert_cmpuint (patched->status, ==, 200);
  user = reply_user (patched);
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Alice Liu");
  g_assert_cmpstr (json_object_get_string_member (user, "bio"), ==, "line one\nline two");
  g_assert_cmpstr (json_object_get_string_member (user, "region"), ==, "Shanghai");
  g_assert_cmpstr (json_object_get_string_member (user, "preferred_currency"), ==, "CNY");
  g_assert_cmpstr (json_object_get_string_member (user, "language"), ==, "zh-CN");
  privacy = json_object_get_object_member (user, "privacy");
  g_assert_false (json_object_get_boolean_member (privacy, "discoverable"));
  g_assert_cmpstr (json_object_get_string_member (privacy, "who_can_add"), ==,
                   "friends_of_friends");

  /* A partial patch leaves everything else alone. */
  again = fixture_request (f, "PATCH", "/v1/me", token, "{\"region\": \"\"}");
  g_assert_cmpuint (again->status, ==, 200);
  user = reply_user (again);
  g_assert_cmpstr (json_object_get_string_member (user, "region"), ==, "");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Alice Liu");
  g_assert_cmpstr (json_object_get_string_member (user, "language"), ==, "zh-CN");
}

static void
test_patch_invalid (Fixture *f, gconstpointer data)
{
  g_autofree char *token = sign_up (f, "alice", NULL);
  g_autofree char *long_bio = g_strnfill (201, 'b');
  g_autofree char *bio_body = g_strdup_printf ("{\"bio\": \"%s\"}", long_bio);
  const struct
  {
    const char *body;
    const char *field;
  } cases[] = {
    { "{\"display_name\": \"New\", \"preferred_currency\": \"XYZ\"}", "preferred_currency" },
    { "{\"preferred_currency\": \"usd\"}", "preferred_currency" },
    { "{\"language\": \"e\"}", "language" },
    { "{\"language\": \"en_US\"}", "language" },
    { "{\"region\": \"tab\\there\"}", "region" },
    { "{\"display_name\": \"\"}", "display_name" },
    { bio_body, "bio" },
    { "{\"privacy\": {\"who_can_add\": \"strangers\"}}", "privacy.who_can_add" },
    { "{\"privacy\": {\"discoverable\": \"yes\"}}", "privacy.discoverable" },
    { "{\"privacy\": {\"secret\": 1}}", "privacy.secret" },
    { "{\"privacy\": true}", "privacy" },
    { "{\"username\": \"mallory\"}", "username" },
  };
  g_autoptr (Reply) me = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Reply) reply = fixture_request (f, "PATCH", "/v1/me", token, cases[i].body);
      const char *message;

      assert_error (reply, 400, "invalid_field");
      message = json_object_get_string_member (
          json_object_get_object_member (reply_object (reply), "error"), "message");
      g_assert_true (g_str_has_prefix (message, cases[i].field));
    }
  /* The rejected patches stored nothing, not even their valid parts. */
  me = fixture_request (f, "GET", "/v1/me", token, NULL);
  g_assert_cmpstr (json_object_get_string_member (reply_user (me), "display_name"), ==, "alice");
}

static GBytes *
make_png (int width, int height)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr (GError) error = NULL;
  char *buffer = NULL;
  gsize size = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, size);
}

static Reply *
put_avatar (Fixture *f, const char *token, const char *type, GBytes *bytes)
{
  g_autoptr (SoupMessage) msg = fixture_message (f, "PUT", "/v1/me/avatar", token, type, bytes);

  return fixture_send (f, msg);
}

static void
test_avatar (Fixture *f, gconstpointer data)
{
  g_autofree char *token = sign_up (f, "alice", NULL);
  g_autoptr (GBytes) png = make_png (300, 200);
  g_autoptr (Reply) put = put_avatar (f, token, "image/png", png);
  g_autofree char *expected_hash = NULL;
  g_autofree char *etag = NULL;
  g_autoptr (Reply) thumb = NULL;
  g_autoptr (Reply) original = NULL;
  g_autoptr (Reply) cached = NULL;
  g_autoptr (Reply) deleted = NULL;
  g_autoptr (Reply) missing = NULL;
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) conditional = NULL;
  JsonObject *avatar;
  GdkPixbuf *decoded;
  const char *thumb_url;

  g_assert_cmpuint (put->status, ==, 200);
  avatar = json_object_get_object_member (reply_user (put), "avatar");
  g_assert_nonnull (avatar);
  expected_hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, png);
  g_assert_cmpstr (json_object_get_string_member (avatar, "hash"), ==, expected_hash);
  thumb_url = json_object_get_string_member (avatar, "thumbnail_url");

  original = fixture_request (f, "GET", json_object_get_string_member (avatar, "url"), token, NULL);
  g_assert_cmpuint (original->status, ==, 200);
  g_assert_true (g_bytes_equal (original->body, png));
  g_assert_cmpstr (soup_message_headers_get_content_type (original->headers, NULL), ==,
                   "image/png");
  g_assert_true (g_str_has_prefix (
      soup_message_headers_get_one (original->headers, "Cache-Control"), "private"));

  thumb = fixture_request (f, "GET", thumb_url, token, NULL);
  g_assert_cmpuint (thumb->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (thumb->headers, NULL), ==, "image/png");
  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, thumb->body, &error));
  g_assert_true (gdk_pixbuf_loader_close (loader, &error));
  g_assert_no_error (error);
  decoded = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_cmpint (gdk_pixbuf_get_width (decoded), ==, 256);
  g_assert_cmpint (gdk_pixbuf_get_height (decoded), ==, 256);

  /* Revalidation: the ETag is the hash, and a match is a 304 with no body. */
  etag = g_strdup (soup_message_headers_get_one (thumb->headers, "ETag"));
  g_assert_nonnull (etag);
  conditional = fixture_message (f, "GET", thumb_url, token, NULL, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (conditional), "If-None-Match",
                                etag);
  cached = fixture_send (f, conditional);
  g_assert_cmpuint (cached->status, ==, 304);
  g_assert_cmpuint (g_bytes_get_size (cached->body), ==, 0);

  missing = fixture_request (
      f, "GET", "/v1/blobs/0000000000000000000000000000000000000000000000000000000000000000", token,
      NULL);
  assert_error (missing, 404, "not_found");

  deleted = fixture_request (f, "DELETE", "/v1/me/avatar", token, NULL);
  g_assert_cmpuint (deleted->status, ==, 200);
  g_assert_true (json_object_get_null_member (reply_user (deleted), "avatar"));
}

static void
test_avatar_rejected (Fixture *f, gconstpointer data)
{
  g_autofree char *token = sign_up (f, "alice", NULL);
  g_autoptr (GBytes) png = make_png (32, 32);
  g_autoptr (GBytes) text = g_bytes_new_static ("hello, not an image", 19);
  g_autoptr (GBytes) wide = make_png (5000, 2);
  g_autoptr (Reply) mislabelled = put_avatar (f, token, "image/jpeg", png);
  g_autoptr (Reply) not_image = put_avatar (f, token, "image/png", text);
  g_autoptr (Reply) gif = put_avatar (f, token, "image/gif", png);
  g_autoptr (Reply) too_wide = put_avatar (f, token, "image/png", wide);
  g_autoptr (Reply) me = NULL;

  assert_error (mislabelled, 415, "unsupported_media_type");
  assert_error (not_image, 415, "unsupported_media_type");
  assert_error (gif, 415, "unsupported_media_type");
  assert_error (too_wide, 413, "too_large");
  me = fixture_request (f, "GET", "/v1/me", token, NULL);
  g_assert_true (json_object_get_null_member (reply_user (me), "avatar"));
}

static void
test_avatar_too_big (void)
{
  Fixture f;
  g_autofree char *token = NULL;
  g_autoptr (GBytes) png = make_png (400, 400);
  g_autoptr (Reply) reply = NULL;

  fixture_init (&f);
  /* A small limit keeps the test light; the check is the same as at 5 MiB. */
  f.config->max_avatar_bytes = g_bytes_get_size (png) - 1;
  fixture_start (&f);
  token = sign_up (&f, "alice", NULL);
  reply = put_avatar (&f, token, "image/png", png);
  assert_error (reply, 413, "too_large");
  fixture_clear (&f);
}

static void
test_users (Fixture *f, gconstpointer data)
{
  g_autofree char *alice_id = NULL;
  g_autofree char *bob_id = NULL;
  g_autofree char *alice = sign_up (f, "alice", &alice_id);
  g_autofree char *bob = sign_up (f, "bob", &bob_id);
  g_autofree char *path = g_strconcat ("/v1/users/", bob_id, NULL);
  g_autofree char *by_id = g_strconcat ("/v1/users/lookup?q=", bob_id, NULL);
  g_autoptr (Reply) user = fixture_request (f, "GET", path, alice, NULL);
  g_autoptr (Reply) found = NULL;
  g_autoptr (Reply) hidden = NULL;
  g_autoptr (Reply) patched = NULL;
  g_autoptr (Reply) still_by_id = NULL;
  g_autoptr (Reply) missing = NULL;
  g_autoptr (Reply) unknown = NULL;
  g_autoptr (Reply) no_query = NULL;
  g_autoptr (Reply) anonymous = NULL;
  JsonObject *obj;

  g_assert_cmpuint (user->status, ==, 200);
  obj = reply_user (user);
  g_assert_cmpstr (json_object_get_string_member (obj, "username"), ==, "bob");
  /* Another user's view leaves out what only the owner sees. */
  g_assert_false (json_object_has_member (obj, "privacy"));
  g_assert_false (json_object_has_member (obj, "preferred_currency"));

  found = fixture_request (f, "GET", "/v1/users/lookup?q=Bob", alice, NULL);
  g_assert_cmpuint (found->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply_user (found), "id"), ==, bob_id);

  patched = fixture_request (f, "PATCH", "/v1/me", bob, "{\"privacy\": {\"discoverable\": false}}");
  g_assert_cmpuint (patched->status, ==, 200);
  hidden = fixture_request (f, "GET", "/v1/users/lookup?q=bob", alice, NULL);
  missing = fixture_request (f, "GET", "/v1/users/lookup?q=nobody", alice, NULL);
  assert_error (hidden, 404, "not_found");
  assert_error (missing, 404, "not_found");
  /* The two replies are indistinguishable. */
  g_assert_true (g_bytes_equal (hidden->body, missing->body));
  still_by_id = fixture_request (f, "GET", by_id, alice, NULL);
  g_assert_cmpuint (still_by_id->status, ==, 200);

  unknown =
      fixture_request (f, "GET", "/v1/users/01900000-0000-7000-8000-000000000000", alice, NULL);
  assert_error (unknown, 404, "not_found");
  no_query = fixture_request (f, "GET", "/v1/users/lookup", alice, NULL);
  assert_error (no_query, 400, "bad_request");
  anonymous = fixture_request (f, "GET", path, NULL, NULL);
  assert_error (anonymous, 401, "unauthorized");
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/globi/server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("profile/me", test_me);
  ADD ("profile/patch", test_patch);
  ADD ("profile/patch-invalid", test_patch_invalid);
  ADD ("profile/avatar", test_avatar);
  ADD ("profile/avatar-rejected", test_avatar_rejected);
  ADD ("users/get-and-lookup", test_users);
#undef ADD
  g_test_add_func ("/globi/server/profile/avatar-too-big", test_avatar_too_big);

  return g_test_run ();
}
