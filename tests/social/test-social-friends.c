/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-id.h"
#include "social-helpers.h"

typedef struct
{
  Fixture f;
  Person alice;
  Person bob;
} Social;

static void
social_setup (Social *s, gconstpointer data)
{
  fixture_setup (&s->f, data);
  person_sign_up (&s->f, "alice", &s->alice);
  person_sign_up (&s->f, "bob", &s->bob);
}

static void
social_teardown (Social *s, gconstpointer data)
{
  person_clear (&s->alice);
  person_clear (&s->bob);
  fixture_teardown (&s->f, data);
}

static Reply *
send_request (Social *s, const Person *from, const char *to, const char *id, const char *greeting)
{
  g_autofree char *own_id = id ? NULL : globi_id_new ();
  g_autofree char *body = NULL;

  if (greeting)
    body = g_strdup_printf ("{\"id\": \"%s\", \"to\": \"%s\", \"greeting\": \"%s\"}",
                            id ? id : own_id, to, greeting);
  else
    body = g_strdup_printf ("{\"id\": \"%s\", \"to\": \"%s\"}", id ? id : own_id, to);
  return social_request (&s->f, "POST", from, body, "/v1/friends/requests");
}

static JsonArray *
member_array (Reply *reply, const char *name)
{
  g_assert_cmpuint (reply->status, ==, 200);
  return json_object_get_array_member (reply_object (reply), name);
}

static void
test_send (Social *s, gconstpointer data)
{
  g_autoptr (Reply) sent = send_request (s, &s->alice, s->bob.id, NULL, "hi, it's Alice");
  g_autoptr (Reply) bobs = social_request (&s->f, "GET", &s->bob, NULL, "/v1/friends/requests");
  g_autoptr (Reply) alices = social_request (&s->f, "GET", &s->alice, NULL, "/v1/friends/requests");
  JsonObject *request, *incoming;

  g_assert_cmpuint (sent->status, ==, 201);
  request = json_object_get_object_member (reply_object (sent), "request");
  g_assert_cmpstr (json_object_get_string_member (request, "greeting"), ==, "hi, it's Alice");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (request, "from"), "id"), ==,
      s->alice.id);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (request, "to"), "id"), ==,
      s->bob.id);
  g_assert_cmpint (json_object_get_int_member (request, "created_at"), >, 0);

  g_assert_cmpuint (json_array_get_length (member_array (bobs, "incoming")), ==, 1);
  g_assert_cmpuint (json_array_get_length (member_array (bobs, "outgoing")), ==, 0);
  incoming = json_array_get_object_element (member_array (bobs, "incoming"), 0);
  g_assert_cmpstr (json_object_get_string_member (incoming, "id"), ==,
                   json_object_get_string_member (request, "id"));
  g_assert_cmpuint (json_array_get_length (member_array (alices, "outgoing")), ==, 1);
  g_assert_cmpuint (json_array_get_length (member_array (alices, "incoming")), ==, 0);

  g_assert_cmpuint (social_count_events (&s->f, &s->bob, "friend_request"), ==, 1);
  g_assert_cmpuint (social_count_events (&s->f, &s->alice, "friend_request"), ==, 0);
}

static void
test_by_username (Social *s, gconstpointer data)
{
  g_autoptr (Reply) sent = send_request (s, &s->alice, "BOB", NULL, NULL);

  g_assert_cmpuint (sent->status, ==, 201);
}

static void
test_greeting_limit (Social *s, gconstpointer data)
{
  g_autofree char *too_long = g_strnfill (101, 'x');
  g_autofree char *just_right = g_strnfill (100, 'x');
  g_autoptr (Reply) refused = send_request (s, &s->alice, s->bob.id, NULL, too_long);
  g_autoptr (Reply) bad_id = send_request (s, &s->alice, s->bob.id, "not-a-uuid", NULL);
  g_autoptr (Reply) taken = NULL;

  assert_error (refused, 400, "invalid_field");
  assert_error (bad_id, 400, "invalid_field");
  taken = send_request (s, &s->alice, s->bob.id, NULL, just_right);
  g_assert_cmpuint (taken->status, ==, 201);
}

static void
test_accept (Social *s, gconstpointer data)
{
  g_autofree char *id = globi_id_new ();
  g_autoptr (Reply) sent = send_request (s, &s->alice, s->bob.id, id, NULL);
  g_autoptr (Reply) by_sender = NULL;
  g_autoptr (Reply) accepted = NULL;
  g_autoptr (Reply) again = NULL;
  g_autoptr (Reply) alices = NULL;
  g_autoptr (Reply) bobs = NULL;
  g_autoptr (Reply) pending = NULL;
  JsonObject *friend;

  g_assert_cmpuint (sent->status, ==, 201);
  /* Only the addressee answers. */
  by_sender = social_request (&s->f, "POST", &s->alice, "", "/v1/friends/requests/%s/accept", id);
  assert_error (by_sender, 404, "not_found");

  accepted = social_request (&s->f, "POST", &s->bob, "", "/v1/friends/requests/%s/accept", id);
  g_assert_cmpuint (accepted->status, ==, 200);
  friend = json_object_get_object_member (reply_object (accepted), "friend");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (friend, "user"), "id"), ==,
      s->alice.id);
  g_assert_cmpstr (json_object_get_string_member (friend, "remark"), ==, "");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (friend, "tags")), ==, 0);
  g_assert_cmpint (json_object_get_int_member (friend, "since"), >, 0);
  /* A retried accept answers the same friendship. */
  again = social_request (&s->f, "POST", &s->bob, "", "/v1/friends/requests/%s/accept", id);
  g_assert_cmpuint (again->status, ==, 200);

  alices = social_request (&s->f, "GET", &s->alice, NULL, "/v1/friends");
  bobs = social_request (&s->f, "GET", &s->bob, NULL, "/v1/friends");
  g_assert_cmpuint (json_array_get_length (member_array (alices, "friends")), ==, 1);
  g_assert_cmpuint (json_array_get_length (member_array (bobs, "friends")), ==, 1);
  pending = social_request (&s->f, "GET", &s->bob, NULL, "/v1/friends/requests");
  g_assert_cmpuint (json_array_get_length (member_array (pending, "incoming")), ==, 0);

  g_assert_cmpuint (social_count_events (&s->f, &s->alice, "friend_added"), ==, 1);
  g_assert_cmpuint (social_count_events (&s->f, &s->bob, "friend_added"), ==, 1);
}

static void
test_decline (Social *s, gconstpointer data)
{
  g_autofree char *id = globi_id_new ();
  g_autoptr (Reply) sent = send_request (s, &s->alice, s->bob.id, id, NULL);
  g_autoptr (Reply) declined = NULL;
  g_autoptr (Reply) pending = NULL;
  g_autoptr (Reply) friends = NULL;
  g_autoptr (Reply) retried = NULL;

  g_assert_cmpuint (sent->status, ==, 201);
  declined = social_request (&s->f, "POST", &s->bob, "", "/v1/friends/requests/%s/decline", id);
  g_assert_cmpuint (declined->status, ==, 204);
  pending = social_request (&s->f, "GET", &s->bob, NULL, "/v1/friends/requests");
  g_assert_cmpuint (json_array_get_length (member_array (pending, "incoming")), ==, 0);
  friends = social_request (&s->f, "GET", &s->bob, NULL, "/v1/friends");
  g_assert_cmpuint (json_array_get_length (member_array (friends, "friends")), ==, 0);
  /* A new request (new id) may follow a declined one. */
  retried = send_request (s, &s->alice, s->bob.id, NULL, NULL);
  g_assert_cmpuint (retried->status, ==, 201);
}

static void
test_mutual (Social *s, gconstpointer data)
{
  g_autoptr (Reply) first = send_request (s, &s->alice, s->bob.id, NULL, NULL);
  g_autoptr (Reply) second = send_request (s, &s->bob, s->alice.id, NULL, NULL);
  g_autoptr (Reply) friends = NULL;

  g_assert_cmpuint (first->status, ==, 201);
  g_assert_cmpuint (second->status, ==, 200);
  g_assert_true (json_object_has_member (reply_object (second), "friend"));
  friends = social_request (&s->f, "GET", &s->alice, NULL, "/v1/friends");
  g_assert_cmpuint (json_array_get_length (member_array (friends, "friends")), ==, 1);
}

static void
test_already_friends (Social *s, gconstpointer data)
{
  g_autoptr (Reply) again = NULL;

  social_befriend (&s->f, &s->alice, &s->bob);
  again = send_request (s, &s->alice, s->bob.id, NULL, NULL);
  assert_error (again, 409, "conflict");
}

static void
test_unknown (Social *s, gconstpointer data)
{
  g_autofree char *nobody = globi_id_new ();
  g_autoptr (Reply) by_id = send_request (s, &s->alice, nobody, NULL, NULL);
  g_autoptr (Reply) by_name = send_request (s, &s->alice, "carol", NULL, NULL);
  g_autoptr (Reply) accept = NULL;

  assert_error (by_id, 404, "not_found");
  assert_error (by_name, 404, "not_found");
  accept = social_request (&s->f, "POST", &s->bob, "", "/v1/friends/requests/%s/accept", nobody);
  assert_error (accept, 404, "not_found");
}

static void
set_who_can_add (Social *s, const Person *who, const char *value)
{
  g_autofree char *body = g_strdup_printf ("{\"privacy\": {\"who_can_add\": \"%s\"}}", value);
  g_autoptr (Reply) patched = social_request (&s->f, "PATCH", who, body, "/v1/me");

  g_assert_cmpuint (patched->status, ==, 200);
}

static void
test_who_can_add (Social *s, gconstpointer data)
{
  g_autoptr (Reply) nobody = NULL;
  g_autoptr (Reply) stranger = NULL;
  g_autoptr (Reply) via_friend = NULL;
  Person carol;

  person_sign_up (&s->f, "carol", &carol);
  social_befriend (&s->f, &carol, &s->bob);
  set_who_can_add (s, &s->bob, "nobody");
  nobody = send_request (s, &s->alice, s->bob.id, NULL, NULL);
  assert_error (nobody, 403, "forbidden");

  set_who_can_add (s, &s->bob, "friends_of_friends");
  stranger = send_request (s, &s->alice, s->bob.id, NULL, NULL);
  assert_error (stranger, 403, "forbidden");
  /* Carol, Bob's friend, befriends Alice: now Alice and Bob share a friend. */
  social_befriend (&s->f, &s->alice, &carol);
  via_friend = send_request (s, &s->alice, s->bob.id, NULL, NULL);
  g_assert_cmpuint (via_friend->status, ==, 201);
  person_clear (&carol);
}

static void
test_idempotent (Social *s, gconstpointer data)
{
  g_autofree char *id = globi_id_new ();
  g_autoptr (Reply) first = send_request (s, &s->alice, s->bob.id, id, "hello");
  g_autoptr (Reply) retry = send_request (s, &s->alice, s->bob.id, id, "hello");
  g_autoptr (Reply) thief = send_request (s, &s->bob, s->alice.id, id, NULL);
  g_autoptr (Reply) pending = NULL;
  JsonObject *a, *b;

  g_assert_cmpuint (first->status, ==, 201);
  g_assert_cmpuint (retry->status, ==, 201);
  a = json_object_get_object_member (reply_object (first), "request");
  b = json_object_get_object_member (reply_object (retry), "request");
  g_assert_cmpstr (json_object_get_string_member (a, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (b, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (a, "created_at"), ==,
                   json_object_get_int_member (b, "created_at"));
  /* Someone else's id is not theirs to reuse. */
  assert_error (thief, 409, "conflict");
  pending = social_request (&s->f, "GET", &s->bob, NULL, "/v1/friends/requests");
  g_assert_cmpuint (json_array_get_length (member_array (pending, "incoming")), ==, 1);
  g_assert_cmpuint (social_count_events (&s->f, &s->bob, "friend_request"), ==, 1);
}

static void
test_remark_tags (Social *s, gconstpointer data)
{
  g_autofree char *r65 = g_strnfill (65, 'r');
  g_autofree char *long_remark = g_strdup_printf ("{\"remark\": \"%s\"}", r65);
  g_autoptr (GString) many = g_string_new ("{\"tags\": [");
  g_autoptr (Reply) patched = NULL;
  g_autoptr (Reply) bobs_view = NULL;
  g_autoptr (Reply) stranger = NULL;
  JsonObject *friend;
  JsonArray *tags;
  const char *const bad[] = {
    "{\"remark\": null}",
    "{\"tags\": \"work\"}",
    "{\"tags\": [\"work\", \"work\"]}",
    "{\"tags\": [\"\"]}",
    "{\"tags\": [1]}",
    "{\"tags\": [\"123456789012345678901234567890123\"]}",
    "{\"nickname\": \"x\"}",
  };
  Person carol;

  social_befriend (&s->f, &s->alice, &s->bob);
  patched = social_request (&s->f, "PATCH", &s->alice,
                            "{\"remark\": \"Bobby\", \"tags\": [\"work\", \"climbing\"]}",
                            "/v1/friends/%s", s->bob.id);
  g_assert_cmpuint (patched->status, ==, 200);
  friend = json_object_get_object_member (reply_object (patched), "friend");
  g_assert_cmpstr (json_object_get_string_member (friend, "remark"), ==, "Bobby");
  tags = json_object_get_array_member (friend, "tags");
  g_assert_cmpuint (json_array_get_length (tags), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (tags, 1), ==, "climbing");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (Reply) refused =
          social_request (&s->f, "PATCH", &s->alice, bad[i], "/v1/friends/%s", s->bob.id);

      assert_error (refused, 400, "invalid_field");
    }
  {
    g_autoptr (Reply) refused =
        social_request (&s->f, "PATCH", &s->alice, long_remark, "/v1/friends/%s", s->bob.id);

    assert_error (refused, 400, "invalid_field");
  }
  for (guint i = 0; i < 21; i++)
    g_string_append_printf (many, "%s\"t%u\"", i ? ", " : "", i);
  g_string_append (many, "]}");
  {
    g_autoptr (Reply) refused =
        social_request (&s->f, "PATCH", &s->alice, many->str, "/v1/friends/%s", s->bob.id);

    assert_error (refused, 400, "invalid_field");
  }

  /* Remarks are private: Bob's view of Alice is untouched, and nothing failed was kept. */
  bobs_view = social_request (&s->f, "GET", &s->bob, NULL, "/v1/friends");
  friend = json_array_get_object_element (member_array (bobs_view, "friends"), 0);
  g_assert_cmpstr (json_object_get_string_member (friend, "remark"), ==, "");
  person_sign_up (&s->f, "carol", &carol);
  stranger =
      social_request (&s->f, "PATCH", &s->alice, "{\"remark\": \"x\"}", "/v1/friends/%s", carol.id);
  assert_error (stranger, 404, "not_found");
  person_clear (&carol);
}

static void
test_remove (Social *s, gconstpointer data)
{
  g_autoptr (Reply) removed = NULL;
  g_autoptr (Reply) again = NULL;
  g_autoptr (Reply) bobs = NULL;

  social_befriend (&s->f, &s->alice, &s->bob);
  removed = social_request (&s->f, "DELETE", &s->alice, NULL, "/v1/friends/%s", s->bob.id);
  g_assert_cmpuint (removed->status, ==, 204);
  bobs = social_request (&s->f, "GET", &s->bob, NULL, "/v1/friends");
  g_assert_cmpuint (json_array_get_length (member_array (bobs, "friends")), ==, 0);
  again = social_request (&s->f, "DELETE", &s->alice, NULL, "/v1/friends/%s", s->bob.id);
  assert_error (again, 404, "not_found");
  g_assert_cmpuint (social_count_events (&s->f, &s->alice, "friend_removed"), ==, 1);
  g_assert_cmpuint (social_count_events (&s->f, &s->bob, "friend_removed"), ==, 1);
}

static void
test_blocks (Social *s, gconstpointer data)
{
  g_autoptr (Reply) blocked = NULL;
  g_autoptr (Reply) refused = NULL;
  g_autoptr (Reply) reverse = NULL;
  g_autoptr (Reply) list = NULL;
  g_autoptr (Reply) unblocked = NULL;
  g_autoptr (Reply) after = NULL;
  g_autoptr (Reply) empty = NULL;
  g_autofree char *nobody = globi_id_new ();
  g_autoptr (Reply) unknown = NULL;
  JsonArray *users;

  blocked = social_request (&s->f, "PUT", &s->bob, NULL, "/v1/blocks/%s", s->alice.id);
  g_assert_cmpuint (blocked->status, ==, 204);
  refused = send_request (s, &s->alice, s->bob.id, NULL, NULL);
  assert_error (refused, 403, "blocked");
  reverse = send_request (s, &s->bob, s->alice.id, NULL, NULL);
  assert_error (reverse, 403, "blocked");
  list = social_request (&s->f, "GET", &s->bob, NULL, "/v1/blocks");
  users = member_array (list, "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (users, 0), "id"),
                   ==, s->alice.id);
  unknown = social_request (&s->f, "PUT", &s->bob, NULL, "/v1/blocks/%s", nobody);
  assert_error (unknown, 404, "not_found");

  unblocked = social_request (&s->f, "DELETE", &s->bob, NULL, "/v1/blocks/%s", s->alice.id);
  g_assert_cmpuint (unblocked->status, ==, 204);
  empty = social_request (&s->f, "GET", &s->bob, NULL, "/v1/blocks");
  g_assert_cmpuint (json_array_get_length (member_array (empty, "users")), ==, 0);
  after = send_request (s, &s->alice, s->bob.id, NULL, NULL);
  g_assert_cmpuint (after->status, ==, 201);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/globi/social/friends/" path, Social, NULL, social_setup, func, social_teardown)
  ADD ("send", test_send);
  ADD ("by-username", test_by_username);
  ADD ("greeting-limit", test_greeting_limit);
  ADD ("accept", test_accept);
  ADD ("decline", test_decline);
  ADD ("mutual-auto-accept", test_mutual);
  ADD ("already-friends", test_already_friends);
  ADD ("unknown", test_unknown);
  ADD ("who-can-add", test_who_can_add);
  ADD ("idempotent-retry", test_idempotent);
  ADD ("remark-tags", test_remark_tags);
  ADD ("remove", test_remove);
  ADD ("blocks", test_blocks);
#undef ADD
  return g_test_run ();
}
