/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-server.h"
#include "server-fixture.h"

#define PASSWORD "correct horse battery"

static void
test_register (Fixture *f, gconstpointer data)
{
  g_autoptr (Reply) reply = fixture_request (
      f, "POST", "/v1/accounts", NULL,
      "{\"username\": \"Alice.Liu\", \"password\": \"" PASSWORD "\", \"display_name\": \"Alice\"}");
  JsonObject *user, *privacy;

  g_assert_cmpuint (reply->status, ==, 201);
  user = json_object_get_object_member (reply_object (reply), "user");
  g_assert_cmpuint (strlen (json_object_get_string_member (user, "id")), ==, 36);
  /* Stored lowercase. */
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice.liu");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Alice");
  g_assert_true (json_object_get_null_member (user, "avatar"));
  g_assert_cmpint (json_object_get_int_member (user, "created_at"), >, 1700000000000);
  privacy = json_object_get_object_member (user, "privacy");
  g_assert_true (json_object_get_boolean_member (privacy, "discoverable"));
  g_assert_cmpstr (json_object_get_string_member (privacy, "who_can_add"), ==, "everyone");
  g_assert_false (json_object_has_member (user, "password_hash"));
}

static void
test_register_duplicate (Fixture *f, gconstpointer data)
{
  g_autofree char *id = fixture_register (f, "alice", PASSWORD);
  /* Usernames compare case-insensitively. */
  g_autoptr (Reply) reply = fixture_request (f, "POST", "/v1/accounts", NULL,
                                             "{\"username\": \"ALICE\", \"password\": \"" PASSWORD
                                             "\", \"display_name\": \"A\"}");

  assert_error (reply, 409, "conflict");
}

typedef struct
{
  guint pending;
  guint created;
  guint conflicts;
} Race;

static void
on_race_reply_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Race *race = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body =
      soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  g_assert_no_error (error);
  if (soup_message_get_status (msg) == 201)
    race->created++;
  else if (soup_message_get_status (msg) == 409)
    race->conflicts++;
  race->pending--;
}

static void
test_register_concurrent (Fixture *f, gconstpointer data)
{
  Race race = { 0 };
  const char *body =
      "{\"username\": \"bob\", \"password\": \"" PASSWORD "\", \"display_name\": \"Bob\"}";

  for (guint i = 0; i < 8; i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_static (body, strlen (body));
      g_autoptr (SoupMessage) msg =
          fixture_message (f, "POST", "/v1/accounts", NULL, "application/json", bytes);

      race.pending++;
      soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, on_race_reply_cb,
                                        &race);
    }
  while (race.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (race.created, ==, 1);
  g_assert_cmpuint (race.conflicts, ==, 7);
}

static void
test_register_invalid (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *body;
    const char *code;
    const char *field;
  } cases[] = {
    { "{\"username\": \"alice\", \"password\": ", "bad_request", NULL },
    { "[1, 2]", "bad_request", NULL },
    { "", "bad_request", NULL },
    { "{\"username\": \"alice\", \"password\": \"" PASSWORD "\", \"display_name\": \"A\", "
      "\"admin\": true}",
      "invalid_field", "admin" },
    { "{\"username\": 5, \"password\": \"" PASSWORD "\", \"display_name\": \"A\"}", "invalid_field",
      "username" },
    { "{\"username\": null, \"password\": \"" PASSWORD "\", \"display_name\": \"A\"}",
      "invalid_field", "username" },
    { "{\"username\": \"al\", \"password\": \"" PASSWORD "\", \"display_name\": \"A\"}",
      "invalid_field", "username" },
    { "{\"username\": \"1alice\", \"password\": \"" PASSWORD "\", \"display_name\": \"A\"}",
      "invalid_field", "username" },
    { "{\"username\": \"al-ice\", \"password\": \"" PASSWORD "\", \"display_name\": \"A\"}",
      "invalid_field", "username" },
    { "{\"username\": \"alice\", \"password\": \"short\", \"display_name\": \"A\"}",
      "invalid_field", "password" },
    { "{\"username\": \"alice\", \"password\": \"" PASSWORD "\", \"display_name\": \"   \"}",
      "invalid_field", "display_name" },
    { "{\"username\": \"alice\", \"password\": \"" PASSWORD "\", \"display_name\": \"a\\u0007\"}",
      "invalid_field", "display_name" },
    { "{\"username\": \"alice\", \"password\": \"" PASSWORD "\"}", "invalid_field",
      "display_name" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Reply) reply = fixture_request (f, "POST", "/v1/accounts", NULL, cases[i].body);
      JsonObject *error;

      assert_error (reply, 400, cases[i].code);
      error = json_object_get_object_member (reply_object (reply), "error");
      if (cases[i].field)
        g_assert_true (
            g_str_has_prefix (json_object_get_string_member (error, "message"), cases[i].field));
    }
}

static void
test_field_limits (Fixture *f, gconstpointer data)
{
  g_autofree char *name64 = g_strnfill (64, 'x');
  g_autofree char *name65 = g_strnfill (65, 'x');
  g_autoptr (GString) han = g_string_new (NULL);
  g_autofree char *ok = NULL;
  g_autofree char *too_long = NULL;
  g_autofree char *han_body = NULL;
  g_autoptr (Reply) r1 = NULL;
  g_autoptr (Reply) r2 = NULL;
  g_autoptr (Reply) r3 = NULL;

  ok = g_strdup_printf ("{\"username\": \"carol\", \"password\": \"" PASSWORD
                        "\", \"display_name\": \"%s\"}",
                        name64);
  too_long = g_strdup_printf (
      "{\"username\": \"dave\", \"password\": \"" PASSWORD "\", \"display_name\": \"%s\"}", name65);
  /* 64 characters of three bytes each: the limit counts characters, not bytes. */
  for (guint i = 0; i < 64; i++)
    g_string_append (han, "\xe5\x90\x8d");
  han_body = g_strdup_printf ("{\"username\": \"erin\", \"password\": \"" PASSWORD
                              "\", \"display_name\": \"%s\"}",
                              han->str);
  r1 = fixture_request (f, "POST", "/v1/accounts", NULL, ok);
  g_assert_cmpuint (r1->status, ==, 201);
  r2 = fixture_request (f, "POST", "/v1/accounts", NULL, too_long);
  assert_error (r2, 400, "invalid_field");
  r3 = fixture_request (f, "POST", "/v1/accounts", NULL, han_body);
  g_assert_cmpuint (r3->status, ==, 201);
}

static void
test_body_too_large (Fixture *f, gconstpointer data)
{
  g_autofree char *pad = g_strnfill (70 * 1024, 'x');
  g_autofree char *body = g_strdup_printf ("{\"username\": \"%s\"}", pad);
  g_autoptr (Reply) reply = fixture_request (f, "POST", "/v1/accounts", NULL, body);
  g_autoptr (Reply) after = NULL;

  assert_error (reply, 413, "too_large");
  {
    /* Chunked: no Content-Length to judge by up front. */
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
    g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
    g_autoptr (SoupMessage) msg = fixture_message (f, "POST", "/v1/accounts", NULL, NULL, NULL);
    g_autoptr (Reply) chunked = NULL;

    soup_message_set_request_body (msg, "application/json", stream, -1);
    chunked = fixture_send (f, msg);
    assert_error (chunked, 413, "too_large");
  }
  /* The server is still fine afterwards. */
  after = fixture_request (f, "GET", "/healthz", NULL, NULL);
  g_assert_cmpuint (after->status, ==, 200);
}

static void
test_sign_in (Fixture *f, gconstpointer data)
{
  g_autofree char *id = fixture_register (f, "alice", PASSWORD);
  g_autoptr (Reply) reply = fixture_request (f, "POST", "/v1/sessions", NULL,
                                             "{\"username\": \"Alice\", \"password\": \"" PASSWORD
                                             "\", \"device\": {\"name\": \"Laptop\", "
                                             "\"platform\": \"Linux\"}}");
  g_autoptr (Reply) flat = NULL;
  g_autoptr (Reply) me = NULL;
  JsonObject *obj;

  g_assert_cmpuint (reply->status, ==, 200);
  obj = reply_object (reply);
  g_assert_cmpstr (json_object_get_string_member (obj, "token_type"), ==, "Bearer");
  g_assert_cmpint (json_object_get_int_member (obj, "expires_in"), ==, 900);
  g_assert_cmpstr (json_object_get_string_member (obj, "user_id"), ==, id);
  g_assert_cmpuint (strlen (json_object_get_string_member (obj, "device_id")), ==, 36);
  g_assert_cmpuint (strlen (json_object_get_string_member (obj, "refresh_token")), ==, 43);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (obj, "user"), "id"), ==, id);

  me = fixture_request (f, "GET", "/v1/me", json_object_get_string_member (obj, "access_token"),
                        NULL);
  g_assert_cmpuint (me->status, ==, 200);

  /* The scripts' contract: a flat device_name. */
  flat = fixture_request (f, "POST", "/v1/sessions", NULL,
                          "{\"username\": \"alice\", \"password\": \"" PASSWORD
                          "\", \"device_name\": \"ci\"}");
  g_assert_cmpuint (flat->status, ==, 200);
}

static void
test_sign_in_wrong (Fixture *f, gconstpointer data)
{
  g_autofree char *id = fixture_register (f, "alice", PASSWORD);
  g_autoptr (Reply) wrong = fixture_request (
      f, "POST", "/v1/sessions", NULL,
      "{\"username\": \"alice\", \"password\": \"not the password\", \"device_name\": \"x\"}");
  g_autoptr (Reply) unknown = fixture_request (
      f, "POST", "/v1/sessions", NULL,
      "{\"username\": \"nobody\", \"password\": \"" PASSWORD "\", \"device_name\": \"x\"}");
  g_autoptr (Reply) no_device = fixture_request (
      f, "POST", "/v1/sessions", NULL, "{\"username\": \"alice\", \"password\": \"" PASSWORD "\"}");
  JsonObject *e1, *e2;

  assert_error (wrong, 401, "invalid_credentials");
  assert_error (unknown, 401, "invalid_credentials");
  /* The same reply for both: nothing tells which usernames exist. */
  e1 = json_object_get_object_member (reply_object (wrong), "error");
  e2 = json_object_get_object_member (reply_object (unknown), "error");
  g_assert_cmpstr (json_object_get_string_member (e1, "message"), ==,
                   json_object_get_string_member (e2, "message"));
  assert_error (no_device, 400, "invalid_field");
}

static void
assert_limited (Reply *reply)
{
  const char *retry_after;

  assert_error (reply, 429, "rate_limited");
  retry_after = soup_message_headers_get_one (reply->headers, "Retry-After");
  g_assert_nonnull (retry_after);
  g_assert_cmpint (g_ascii_strtoll (retry_after, NULL, 10), >, 0);
}

static void
test_rate_limit_account (void)
{
  Fixture f;
  g_autofree char *id = NULL;
  const char *wrong =
      "{\"username\": \"alice\", \"password\": \"wrong password\", \"device_name\": \"x\"}";
  const char *right =
      "{\"username\": \"alice\", \"password\": \"" PASSWORD "\", \"device_name\": \"x\"}";

  fixture_init (&f);
  f.config->signin_failures_per_account = 3;
  f.config->signin_window_seconds = 600;
  fixture_start (&f);
  id = fixture_register (&f, "alice", PASSWORD);
  g_free (fixture_register (&f, "bob", PASSWORD));

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (Reply) reply = fixture_request (&f, "POST", "/v1/sessions", NULL, wrong);

      assert_error (reply, 401, "invalid_credentials");
    }
  {
    /* Even the right password is refused while the account is limited... */
    g_autoptr (Reply) limited = fixture_request (&f, "POST", "/v1/sessions", NULL, right);
    /* ...while another account from the same address is not. */
    g_autoptr (Reply) other = fixture_request (&f, "POST", "/v1/sessions", NULL,
                                               "{\"username\": \"bob\", \"password\": \"" PASSWORD
                                               "\", \"device_name\": \"x\"}");
    g_autoptr (Reply) later = NULL;

    assert_limited (limited);
    g_assert_cmpuint (other->status, ==, 200);

    /* When the window has passed, the account may try again. */
    globi_server_set_clock_offset (fixture_server (&f), 601);
    later = fixture_request (&f, "POST", "/v1/sessions", NULL, right);
    g_assert_cmpuint (later->status, ==, 200);
  }
  fixture_clear (&f);
}

static void
test_rate_limit_address (void)
{
  Fixture f;

  fixture_init (&f);
  f.config->signin_failures_per_address = 3;
  fixture_start (&f);
  g_free (fixture_register (&f, "alice", PASSWORD));

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf (
          "{\"username\": \"user%u\", \"password\": \"wrong password\", \"device_name\": \"x\"}",
          i);
      g_autoptr (Reply) reply = fixture_request (&f, "POST", "/v1/sessions", NULL, body);

      assert_error (reply, 401, "invalid_credentials");
    }
  {
    g_autoptr (Reply) limited = fixture_request (
        &f, "POST", "/v1/sessions", NULL,
        "{\"username\": \"alice\", \"password\": \"" PASSWORD "\", \"device_name\": \"x\"}");

    assert_limited (limited);
  }
  fixture_clear (&f);
}

static void
test_rate_limit_register (void)
{
  Fixture f;

  fixture_init (&f);
  f.config->registrations_per_address = 2;
  fixture_start (&f);
  g_free (fixture_register (&f, "alice", PASSWORD));
  g_free (fixture_register (&f, "bob", PASSWORD));
  {
    g_autoptr (Reply) limited = fixture_request (
        &f, "POST", "/v1/accounts", NULL,
        "{\"username\": \"carol\", \"password\": \"" PASSWORD "\", \"display_name\": \"C\"}");

    assert_limited (limited);
  }
  fixture_clear (&f);
}

static void
test_tokens (Fixture *f, gconstpointer data)
{
  g_autofree char *id = fixture_register (f, "alice", PASSWORD);
  g_autofree char *access = NULL;
  g_autofree char *tampered = NULL;
  g_autoptr (Reply) missing = NULL;
  g_autoptr (Reply) garbage = NULL;
  g_autoptr (Reply) bad_tampered = NULL;
  g_autoptr (Reply) not_bearer = NULL;
  g_autoptr (Reply) fresh = NULL;
  g_autoptr (Reply) expired = NULL;
  g_autoptr (SoupMessage) basic = NULL;
  char *payload;

  fixture_sign_in (f, "alice", PASSWORD, &access, NULL, NULL);

  missing = fixture_request (f, "GET", "/v1/me", NULL, NULL);
  assert_error (missing, 401, "unauthorized");
  garbage = fixture_request (f, "GET", "/v1/me", "not.a.token", NULL);
  assert_error (garbage, 401, "unauthorized");

  /* Flip one character of the claims: the signature no longer matches. */
  tampered = g_strdup (access);
  payload = strchr (tampered, '.') + 5;
  *payload = *payload == 'A' ? 'B' : 'A';
  bad_tampered = fixture_request (f, "GET", "/v1/me", tampered, NULL);
  assert_error (bad_tampered, 401, "unauthorized");

  basic = fixture_message (f, "GET", "/v1/me", NULL, NULL, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (basic), "Authorization",
                                "Basic YWxpY2U6eA==");
  not_bearer = fixture_send (f, basic);
  assert_error (not_bearer, 401, "unauthorized");

  fresh = fixture_request (f, "GET", "/v1/me", access, NULL);
  g_assert_cmpuint (fresh->status, ==, 200);
  globi_server_set_clock_offset (fixture_server (f), 15 * 60 + 1);
  expired = fixture_request (f, "GET", "/v1/me", access, NULL);
  assert_error (expired, 401, "unauthorized");
}

static void
test_refresh (Fixture *f, gconstpointer data)
{
  g_autofree char *id = fixture_register (f, "alice", PASSWORD);
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *body = NULL;
  g_autofree char *body2 = NULL;
  g_autoptr (Reply) rotated = NULL;
  g_autoptr (Reply) reused = NULL;
  g_autoptr (Reply) after = NULL;
  g_autoptr (Reply) newest = NULL;
  g_autoptr (Reply) unknown = NULL;
  const char *refresh2, *access2;

  fixture_sign_in (f, "alice", PASSWORD, &access, &refresh, NULL);
  body = g_strdup_printf ("{\"refresh_token\": \"%s\"}", refresh);
  rotated = fixture_request (f, "POST", "/v1/sessions/refresh", NULL, body);
  g_assert_cmpuint (rotated->status, ==, 200);
  refresh2 = json_object_get_string_member (reply_object (rotated), "refresh_token");
  access2 = json_object_get_string_member (reply_object (rotated), "access_token");
  g_assert_cmpstr (refresh2, !=, refresh);
  {
    g_autoptr (Reply) me = fixture_request (f, "GET", "/v1/me", access2, NULL);

    g_assert_cmpuint (me->status, ==, 200);
  }

  /* The old token comes back: the whole family dies. */
  reused = fixture_request (f, "POST", "/v1/sessions/refresh", NULL, body);
  assert_error (reused, 401, "token_reused");
  after = fixture_request (f, "GET", "/v1/me", access2, NULL);
  assert_error (after, 401, "unauthorized");
  body2 = g_strdup_printf ("{\"refresh_token\": \"%s\"}", refresh2);
  newest = fixture_request (f, "POST", "/v1/sessions/refresh", NULL, body2);
  assert_error (newest, 401, "unauthorized");

  unknown =
      fixture_request (f, "POST", "/v1/sessions/refresh", NULL,
                       "{\"refresh_token\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
  assert_error (unknown, 401, "unauthorized");
}

static void
test_devices (Fixture *f, gconstpointer data)
{
  g_autofree char *alice = fixture_register (f, "alice", PASSWORD);
  g_autofree char *bob = fixture_register (f, "bob", PASSWORD);
  g_autofree char *a1 = NULL, *a2 = NULL, *d1 = NULL, *d2 = NULL;
  g_autofree char *b1 = NULL, *bd = NULL;
  g_autofree char *path = NULL;
  g_autofree char *bob_path = NULL;
  g_autoptr (Reply) list = NULL;
  g_autoptr (Reply) revoke = NULL;
  g_autoptr (Reply) revoked_use = NULL;
  g_autoptr (Reply) not_mine = NULL;
  g_autoptr (Reply) unknown = NULL;
  g_autoptr (Reply) list2 = NULL;
  g_autoptr (Reply) sign_out = NULL;
  g_autoptr (Reply) after_sign_out = NULL;
  JsonArray *devices;
  JsonObject *first;

  fixture_sign_in (f, "alice", PASSWORD, &a1, NULL, &d1);
  fixture_sign_in (f, "alice", PASSWORD, &a2, NULL, &d2);
  fixture_sign_in (f, "bob", PASSWORD, &b1, NULL, &bd);

  list = fixture_request (f, "GET", "/v1/devices", a2, NULL);
  g_assert_cmpuint (list->status, ==, 200);
  devices = json_object_get_array_member (reply_object (list), "devices");
  g_assert_cmpuint (json_array_get_length (devices), ==, 2);
  /* Newest first, and the caller's own device is marked. */
  first = json_array_get_object_element (devices, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "id"), ==, d2);
  g_assert_true (json_object_get_boolean_member (first, "current"));
  g_assert_cmpstr (json_object_get_string_member (first, "name"), ==, "Test");
  g_assert_cmpstr (json_object_get_string_member (first, "platform"), ==, "Linux");
  g_assert_false (
      json_object_get_boolean_member (json_array_get_object_element (devices, 1), "current"));

  path = g_strconcat ("/v1/devices/", d1, NULL);
  revoke = fixture_request (f, "DELETE", path, a2, NULL);
  g_assert_cmpuint (revoke->status, ==, 204);
  revoked_use = fixture_request (f, "GET", "/v1/me", a1, NULL);
  assert_error (revoked_use, 401, "unauthorized");

  bob_path = g_strconcat ("/v1/devices/", bd, NULL);
  not_mine = fixture_request (f, "DELETE", bob_path, a2, NULL);
  assert_error (not_mine, 404, "not_found");
  unknown = fixture_request (f, "DELETE", "/v1/devices/nonsense", a2, NULL);
  assert_error (unknown, 404, "not_found");

  list2 = fixture_request (f, "GET", "/v1/devices", a2, NULL);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (reply_object (list2), "devices")), ==,
      1);

  sign_out = fixture_request (f, "DELETE", "/v1/sessions/current", a2, NULL);
  g_assert_cmpuint (sign_out->status, ==, 204);
  after_sign_out = fixture_request (f, "GET", "/v1/me", a2, NULL);
  assert_error (after_sign_out, 401, "unauthorized");
  {
    /* Bob's device is untouched. */
    g_autoptr (Reply) bob_me = fixture_request (f, "GET", "/v1/me", b1, NULL);

    g_assert_cmpuint (bob_me->status, ==, 200);
  }
}

static void
test_change_password (Fixture *f, gconstpointer data)
{
  g_autofree char *id = fixture_register (f, "alice", PASSWORD);
  g_autofree char *a1 = NULL, *a2 = NULL, *r2 = NULL;
  g_autofree char *refresh_body = NULL;
  g_autoptr (Reply) wrong = NULL;
  g_autoptr (Reply) weak = NULL;
  g_autoptr (Reply) changed = NULL;
  g_autoptr (Reply) other = NULL;
  g_autoptr (Reply) other_refresh = NULL;
  g_autoptr (Reply) mine = NULL;
  g_autoptr (Reply) old_password = NULL;

  fixture_sign_in (f, "alice", PASSWORD, &a1, NULL, NULL);
  fixture_sign_in (f, "alice", PASSWORD, &a2, &r2, NULL);

  wrong = fixture_request (f, "POST", "/v1/account/password", a1,
                           "{\"current_password\": \"nope nope\", \"new_password\": \"new "
                           "password 1\"}");
  assert_error (wrong, 401, "invalid_credentials");
  weak = fixture_request (f, "POST", "/v1/account/password", a1,
                          "{\"current_password\": \"" PASSWORD "\", \"new_password\": \"short\"}");
  assert_error (weak, 400, "invalid_field");
  changed = fixture_request (f, "POST", "/v1/account/password", a1,
                             "{\"current_password\": \"" PASSWORD
                             "\", \"new_password\": \"new password 1\"}");
  g_assert_cmpuint (changed->status, ==, 204);

  other = fixture_request (f, "GET", "/v1/me", a2, NULL);
  assert_error (other, 401, "unauthorized");
  refresh_body = g_strdup_printf ("{\"refresh_token\": \"%s\"}", r2);
  other_refresh = fixture_request (f, "POST", "/v1/sessions/refresh", NULL, refresh_body);
  assert_error (other_refresh, 401, "unauthorized");
  mine = fixture_request (f, "GET", "/v1/me", a1, NULL);
  g_assert_cmpuint (mine->status, ==, 200);

  old_password = fixture_request (f, "POST", "/v1/sessions", NULL,
                                  "{\"username\": \"alice\", \"password\": \"" PASSWORD
                                  "\", \"device_name\": \"x\"}");
  assert_error (old_password, 401, "invalid_credentials");
  fixture_sign_in (f, "alice", "new password 1", NULL, NULL, NULL);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/globi/server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("accounts/register", test_register);
  ADD ("accounts/duplicate-username", test_register_duplicate);
  ADD ("accounts/concurrent-registrations", test_register_concurrent);
  ADD ("accounts/invalid-input", test_register_invalid);
  ADD ("accounts/field-limits", test_field_limits);
  ADD ("accounts/body-too-large", test_body_too_large);
  ADD ("sessions/sign-in", test_sign_in);
  ADD ("sessions/wrong-credentials", test_sign_in_wrong);
  ADD ("sessions/tokens", test_tokens);
  ADD ("sessions/refresh-rotation-and-reuse", test_refresh);
  ADD ("devices/list-revoke-sign-out", test_devices);
  ADD ("accounts/change-password", test_change_password);
#undef ADD
  g_test_add_func ("/globi/server/rate-limit/sign-in-per-account", test_rate_limit_account);
  g_test_add_func ("/globi/server/rate-limit/sign-in-per-address", test_rate_limit_address);
  g_test_add_func ("/globi/server/rate-limit/registrations-per-address", test_rate_limit_register);

  return g_test_run ();
}
