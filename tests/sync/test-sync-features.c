/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Messaging features on top of delivery: GlobiPay cards, typing, forwarding, receipts,
 * the durable outbox of control messages, group key distribution, the demo seeder. */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-error.h"
#include "sync-client.h"

static JsonObject *
parse (const char *text)
{
  g_autoptr (JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static GlobiMessage *
send_card (Client *c, const char *chat_id, const char *kind, JsonObject *card, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_messenger_send_card_async (c->messenger, chat_id, kind, card, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  return globi_messenger_send_finish (c->messenger, result, error);
}

/* A card travels end to end encrypted, comes back from the cache the same, and bad cards
 * are refused before anything is stored. */
static void
test_card_round_trip (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);
  g_autoptr (JsonObject) card = parse ("{\"amount\": \"12.50\", \"currency\": \"EUR\", "
                                       "\"transfer_id\": \"t-1\", \"note\": \"lunch 🍜\"}");
  g_autoptr (JsonObject) big = json_object_new ();
  g_autoptr (GlobiMessage) sent = NULL;
  g_autoptr (GlobiMessage) refused = NULL;
  g_autoptr (GPtrArray) received = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *padding = g_strnfill (GLOBI_MESSAGE_CARD_MAX_BYTES, 'x');
  GlobiMessage *at_bob;
  GlobiMessage *reloaded;
  JsonObject *got;

  befriend (alice, bob);
  sent = send_card (alice, to_bob, "transfer", card, &error);
  g_assert_no_error (error);
  g_assert_cmpint (globi_message_get_kind (sent), ==, GLOBI_MESSAGE_KIND_CARD);
  g_assert_cmpstr (globi_message_get_card_kind (sent), ==, "transfer");
  /* The caller's object is not changed. */
  g_assert_false (json_object_has_member (card, "kind"));
  flush (alice);
  g_assert_cmpint (globi_message_get_state (sent), ==, GLOBI_DELIVERY_STATE_SENT);

  received = sync_client (bob);
  g_assert_cmpuint (received->len, ==, 1);
  at_bob = message_at (received, 0);
  g_assert_cmpint (globi_message_get_kind (at_bob), ==, GLOBI_MESSAGE_KIND_CARD);
  g_assert_cmpstr (globi_message_get_card_kind (at_bob), ==, "transfer");
  got = globi_message_get_card (at_bob);
  g_assert_nonnull (got);
  g_assert_cmpstr (json_object_get_string_member (got, "amount"), ==, "12.50");
  g_assert_cmpstr (json_object_get_string_member (got, "note"), ==, "lunch 🍜");
  g_assert_null (globi_message_get_text (at_bob));

  /* From the cache after a restart of Bob's messenger. */
  g_clear_object (&bob->messenger);
  start_messenger (bob);
  reloaded = find_live (bob, to_alice, globi_message_get_id (at_bob));
  g_assert_nonnull (reloaded);
  g_assert_cmpstr (globi_message_get_card_kind (reloaded), ==, "transfer");
  g_assert_cmpstr (json_object_get_string_member (globi_message_get_card (reloaded), "transfer_id"),
                   ==, "t-1");

  /* An unknown kind, and a card over 4 KiB, are refused. */
  refused = send_card (alice, to_bob, "gift", card, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD);
  g_assert_null (refused);
  g_clear_error (&error);
  json_object_set_string_member (big, "note", padding);
  refused = send_card (alice, to_bob, "red_packet", big, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD);
  g_assert_null (refused);
}

/* The unacknowledged "sender_key" events of a client's stream. */
static guint
count_distributions (Client *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = call (c, "GET", "/v1/events?after=0&limit=500", NULL, &error);
  JsonArray *events;
  guint n = 0;

  g_assert_no_error (error);
  events = json_object_get_array_member (json_node_get_object (reply), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event =
          json_object_get_object_member (json_array_get_object_element (events, i), "event");
      if (g_strcmp0 (json_object_get_string_member_with_default (event, "type", NULL),
                     "sender_key") == 0)
        n++;
    }
  return n;
}

static GlobiGroup *
create_group (Client *owner, const char *name, const char *const *members)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  GlobiGroup *group;

  globi_messenger_create_group_async (owner->messenger, name, members, NULL, on_result_cb,
                                      &pending);
  result = wait_result (&pending);
  group = globi_messenger_group_finish (owner->messenger, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (group);
  return group;
}

/* After a member joins, my group key goes to the new member's device only: the old
 * members already have it. */
static void
test_group_key_to_missing_only (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) carol = client_new (f, "carol", "carol", FALSE);
  g_autoptr (GlobiGroup) group = NULL;
  g_autoptr (GlobiMessage) m1 = NULL;
  g_autoptr (GlobiMessage) m2 = NULL;
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GPtrArray) at_bob2 = NULL;
  g_autoptr (GPtrArray) at_carol = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *chat_id = NULL;
  const char *members[] = { globi_session_get_user_id (bob->session), NULL };
  const char *newcomers[] = { globi_session_get_user_id (carol->session), NULL };
  GAsyncResult *pending = NULL;

  befriend (alice, bob);
  befriend (alice, carol);
  group = create_group (alice, "Team", members);
  chat_id = globi_chat_id_for_group (globi_group_get_id (group));
  m1 = send_text (alice, chat_id, "just us");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m1), ==, GLOBI_DELIVERY_STATE_SENT);
  g_assert_cmpuint (count_distributions (bob), ==, 1);
  at_bob = sync_client (bob);
  g_assert_cmpuint (at_bob->len, ==, 1);

  globi_messenger_add_members_async (alice->messenger, globi_group_get_id (group), newcomers, NULL,
                                     on_result_cb, &pending);
  g_assert_true (wait_finish (alice, &pending, &error));
  g_assert_no_error (error);
  m2 = send_text (alice, chat_id, "welcome carol");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m2), ==, GLOBI_DELIVERY_STATE_SENT);
  g_assert_cmpuint (count_distributions (bob), ==, 0);
  g_assert_cmpuint (count_distributions (carol), ==, 1);

  at_bob2 = sync_client (bob);
  at_carol = sync_client (carol);
  g_assert_cmpuint (at_bob2->len, ==, 1);
  g_assert_cmpstr (globi_message_get_text (message_at (at_bob2, 0)), ==, "welcome carol");
  g_assert_cmpuint (at_carol->len, ==, 1);
  g_assert_cmpstr (globi_message_get_text (message_at (at_carol, 0)), ==, "welcome carol");

  /* The record of who has the key survives a restart: nothing is sent again. */
  g_clear_object (&alice->messenger);
  start_messenger (alice);
  g_clear_object (&m2);
  m2 = send_text (alice, chat_id, "after restart");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m2), ==, GLOBI_DELIVERY_STATE_SENT);
  g_assert_cmpuint (count_distributions (bob), ==, 0);
  g_assert_cmpuint (count_distributions (carol), ==, 0);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                         \
  g_test_add ("/globi/sync/" path, CoreFixture, NULL, core_fixture_setup, func, \
              core_fixture_teardown)
  ADD ("card/round-trip", test_card_round_trip);
  ADD ("group/key-to-missing-only", test_group_key_to_missing_only);
#undef ADD
  return g_test_run ();
}
