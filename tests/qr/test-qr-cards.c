/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-id.h"
#include "social-helpers.h"

/* Friend cards against a real server: GET /v1/me/card, POST /v1/me/card/reset,
 * GET /v1/cards/{user_id}/{card}, and friend requests carrying a card. */

typedef struct
{
  Fixture f;
  Person alice;
  Person bob;
  Person carol;
} Cards;

static void
cards_setup (Cards *s, gconstpointer data)
{
  fixture_setup (&s->f, data);
  person_sign_up (&s->f, "alice", &s->alice);
  person_sign_up (&s->f, "bob", &s->bob);
  person_sign_up (&s->f, "carol", &s->carol);
}

static void
cards_teardown (Cards *s, gconstpointer data)
{
  person_clear (&s->alice);
  person_clear (&s->bob);
  person_clear (&s->carol);
  fixture_teardown (&s->f, data);
}

/* The card part of my card's URI, checked against the reply's own fields. */
static char *
get_card (Cards *s, const Person *who, const char *method, const char *path)
{
  g_autoptr (Reply) reply = social_request (&s->f, method, who, NULL, "%s", path);
  JsonObject *obj;
  const char *card;
  g_autofree char *uri = NULL;

  g_assert_cmpuint (reply->status, ==, 200);
  obj = reply_object (reply);
  card = json_object_get_string_member (obj, "card");
  g_assert_cmpuint (strlen (card), ==, 22);
  for (const char *c = card; *c; c++)
    g_assert_true (g_ascii_isalnum (*c) || *c == '-' || *c == '_');
  uri = g_strdup_printf ("globichat://add?u=%s&c=%s", who->id, card);
  g_assert_cmpstr (json_object_get_string_member (obj, "uri"), ==, uri);
  return g_strdup (card);
}

static Reply *
request_with_card (Cards *s, const Person *from, const char *to, const char *card)
{
  g_autofree char *id = globi_id_new ();
  g_autofree char *body = g_strdup_printf (
      "{\"id\": \"%s\", \"to\": \"%s\", \"card\": \"%s\", \"greeting\": \"hi\"}", id, to, card);

  return social_request (&s->f, "POST", from, body, "/v1/friends/requests");
}

static void
set_privacy (Cards *s, const Person *who, const char *json)
{
  g_autofree char *body = g_strdup_printf ("{\"privacy\": %s}", json);
  g_autoptr (Reply) reply = social_request (&s->f, "PATCH", who, body, "/v1/me");

  g_assert_cmpuint (reply->status, ==, 200);
}

static void
test_stable (Cards *s, gconstpointer data)
{
  g_autofree char *first = get_card (s, &s->alice, "GET", "/v1/me/card");
  g_autofree char *again = get_card (s, &s->alice, "GET", "/v1/me/card");
  g_autofree char *bobs = get_card (s, &s->bob, "GET", "/v1/me/card");
  g_autoptr (Reply) resolved = NULL;
  g_autoptr (Reply) anonymous = NULL;
  JsonObject *user;

  g_assert_cmpstr (first, ==, again);
  g_assert_cmpstr (first, !=, bobs);

  resolved = social_request (&s->f, "GET", &s->bob, NULL, "/v1/cards/%s/%s", s->alice.id, first);
  g_assert_cmpuint (resolved->status, ==, 200);
  user = json_object_get_object_member (reply_object (resolved), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "id"), ==, s->alice.id);
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice");
  /* A User, not Me: no privacy settings of hers. */
  g_assert_false (json_object_has_member (user, "privacy"));

  anonymous = social_request (&s->f, "GET", NULL, NULL, "/v1/cards/%s/%s", s->alice.id, first);
  assert_error (anonymous, 401, "unauthorized");
}

static void
test_reset_invalidates (Cards *s, gconstpointer data)
{
  g_autofree char *old = get_card (s, &s->alice, "GET", "/v1/me/card");
  g_autofree char *fresh = get_card (s, &s->alice, "POST", "/v1/me/card/reset");
  g_autofree char *now = get_card (s, &s->alice, "GET", "/v1/me/card");
  g_autoptr (Reply) stale = NULL;
  g_autoptr (Reply) works = NULL;
  g_autoptr (Reply) request = NULL;

  g_assert_cmpstr (old, !=, fresh);
  g_assert_cmpstr (fresh, ==, now);
  stale = social_request (&s->f, "GET", &s->bob, NULL, "/v1/cards/%s/%s", s->alice.id, old);
  assert_error (stale, 404, "not_found");
  works = social_request (&s->f, "GET", &s->bob, NULL, "/v1/cards/%s/%s", s->alice.id, fresh);
  g_assert_cmpuint (works->status, ==, 200);

  /* A request through the old card is refused and leaves nothing behind. */
  request = request_with_card (s, &s->bob, s->alice.id, old);
  assert_error (request, 404, "not_found");
  g_assert_cmpuint (social_count_events (&s->f, &s->alice, "friend_request"), ==, 0);
}

static void
test_malformed (Cards *s, gconstpointer data)
{
  g_autofree char *card = get_card (s, &s->alice, "GET", "/v1/me/card");
  static const char *const bad_cards[] = { "short", "AAAAAAAAAAAAAAAAAAAAA%21", "*" };
  g_autoptr (Reply) wrong_user = NULL;
  g_autoptr (Reply) bad_id = NULL;
  g_autoptr (Reply) bad_field = NULL;
  g_autoptr (Reply) by_name = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_cards); i++)
    {
      g_autoptr (Reply) reply = social_request (&s->f, "GET", &s->bob, NULL, "/v1/cards/%s/%s",
                                                s->alice.id, bad_cards[i]);

      assert_error (reply, 404, "not_found");
    }
  /* Alice's card does not open Carol's profile. */
  wrong_user = social_request (&s->f, "GET", &s->bob, NULL, "/v1/cards/%s/%s", s->carol.id, card);
  assert_error (wrong_user, 404, "not_found");
  bad_id = social_request (&s->f, "GET", &s->bob, NULL, "/v1/cards/not-an-id/%s", card);
  assert_error (bad_id, 404, "not_found");
  bad_field = request_with_card (s, &s->bob, s->alice.id, "short");
  assert_error (bad_field, 400, "invalid_field");
  /* With a card, "to" must be the card's user id (not a username). */
  by_name = request_with_card (s, &s->bob, "alice", card);
  assert_error (by_name, 400, "invalid_field");
}

/* Undiscoverable people are reachable by their card, and the request goes through. */
static void
test_undiscoverable (Cards *s, gconstpointer data)
{
  g_autofree char *card = get_card (s, &s->alice, "GET", "/v1/me/card");
  g_autoptr (Reply) lookup = NULL;
  g_autoptr (Reply) resolved = NULL;
  g_autoptr (Reply) request = NULL;

  set_privacy (s, &s->alice, "{\"discoverable\": false}");
  lookup = social_request (&s->f, "GET", &s->bob, NULL, "/v1/users/lookup?q=alice");
  assert_error (lookup, 404, "not_found");
  resolved = social_request (&s->f, "GET", &s->bob, NULL, "/v1/cards/%s/%s", s->alice.id, card);
  g_assert_cmpuint (resolved->status, ==, 200);
  request = request_with_card (s, &s->bob, s->alice.id, card);
  g_assert_cmpuint (request->status, ==, 201);
  g_assert_cmpuint (social_count_events (&s->f, &s->alice, "friend_request"), ==, 1);
}

/* "friends of friends" accepts a card as the introduction; "nobody" refuses it. */
static void
test_who_can_add (Cards *s, gconstpointer data)
{
  g_autofree char *card = get_card (s, &s->alice, "GET", "/v1/me/card");
  g_autoptr (Reply) nobody = NULL;
  g_autoptr (Reply) fof = NULL;
  g_autoptr (Reply) plain_fof = NULL;

  set_privacy (s, &s->alice, "{\"who_can_add\": \"nobody\"}");
  nobody = request_with_card (s, &s->bob, s->alice.id, card);
  assert_error (nobody, 403, "forbidden");
  g_assert_cmpuint (social_count_events (&s->f, &s->alice, "friend_request"), ==, 0);

  set_privacy (s, &s->alice, "{\"who_can_add\": \"friends_of_friends\"}");
  {
    g_autofree char *id = globi_id_new ();
    g_autofree char *body = g_strdup_printf ("{\"id\": \"%s\", \"to\": \"%s\"}", id, s->alice.id);

    plain_fof = social_request (&s->f, "POST", &s->carol, body, "/v1/friends/requests");
    assert_error (plain_fof, 403, "forbidden");
  }
  fof = request_with_card (s, &s->carol, s->alice.id, card);
  g_assert_cmpuint (fof->status, ==, 201);
  g_assert_cmpuint (social_count_events (&s->f, &s->alice, "friend_request"), ==, 1);
}

static void
test_blocked (Cards *s, gconstpointer data)
{
  g_autofree char *card = get_card (s, &s->alice, "GET", "/v1/me/card");
  g_autoptr (Reply) block = NULL;
  g_autoptr (Reply) request = NULL;

  block = social_request (&s->f, "PUT", &s->alice, NULL, "/v1/blocks/%s", s->bob.id);
  g_assert_cmpuint (block->status, ==, 204);
  request = request_with_card (s, &s->bob, s->alice.id, card);
  assert_error (request, 403, "blocked");
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/globi/qr/cards/" path, Cards, NULL, cards_setup, func, cards_teardown)
  ADD ("stable", test_stable);
  ADD ("reset-invalidates", test_reset_invalidates);
  ADD ("malformed", test_malformed);
  ADD ("undiscoverable", test_undiscoverable);
  ADD ("who-can-add", test_who_can_add);
  ADD ("blocked", test_blocked);
#undef ADD
  return g_test_run ();
}
