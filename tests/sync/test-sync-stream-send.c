/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-error.h"
#include "globi-id.h"
#include "globi-messenger-private.h"
#include "core-fixture.h"

#include "sync-client.h"

/* Messages sent over the WebSocket stream ("send" frames) instead of POST /v1/messages,
 * and the REST fallback. The server's /metrics tells the two paths apart: stream sends
 * are counted as method "WS", route "/v1/stream send". */

#define WS     "WS"
#define STREAM "/v1/stream send"
#define POST   "POST"
#define REST   "/v1/messages"

static void
wait_state (GlobiMessage *m, GlobiDeliveryState state)
{
  while (globi_message_get_state (m) < state)
    g_main_context_iteration (NULL, TRUE);
}

static void
wait_online (Client *c)
{
  while (globi_messenger_get_stream_state (c->messenger) != GLOBI_STREAM_STATE_ONLINE)
    g_main_context_iteration (NULL, TRUE);
}

static void
assert_texts (GPtrArray *received, const char *const *texts)
{
  g_assert_cmpuint (received->len, ==, g_strv_length ((char **) texts));
  for (guint i = 0; texts[i] != NULL; i++)
    g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (received, i)), ==, texts[i]);
}

/* A polling sync finds nothing the stream has not already delivered (and acknowledged). */
static void
assert_nothing_more (Client *c)
{
  g_autoptr (GPtrArray) more = sync_client (c);

  g_assert_cmpuint (more->len, ==, 0);
}

/* Both devices connected: messages and the delivery receipts coming back travel as
 * frames, none as an HTTP request, each delivered once and in order. */
static void
test_framed (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GPtrArray) at_bob = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *to_bob = chat_with (bob);
  const char *texts[] = { "one", "two", "three", "four", "five", NULL };

  befriend (alice, bob);
  collect_received (bob, at_bob);
  client_go_live (alice);
  client_go_live (bob);

  for (guint i = 0; texts[i] != NULL; i++)
    g_ptr_array_add (sent, send_text (alice, to_bob, texts[i]));
  flush (alice);
  wait_received (at_bob, 5);
  assert_texts (at_bob, texts);
  for (guint i = 0; i < sent->len; i++)
    {
      GlobiMessage *m = g_ptr_array_index (sent, i);

      g_assert_cmpint (globi_message_get_sent_at (m), >, 0);
      /* Bob's receipts went over his stream too. */
      wait_state (m, GLOBI_DELIVERY_STATE_DELIVERED);
      g_assert_cmpstr (globi_message_get_id (m), ==,
                       globi_message_get_id (g_ptr_array_index (at_bob, i)));
    }
  assert_nothing_more (bob);
  g_assert_cmpuint (at_bob->len, ==, 5);

  g_assert_cmpuint (count_requests (f, WS, STREAM, "201"), >=, 6);
  g_assert_cmpuint (count_requests (f, POST, REST, NULL), ==, 0);
  globi_messenger_stop (alice->messenger);
  globi_messenger_stop (bob->messenger);
}

/* The stream drops while a send is in flight: the send goes over REST (the server may or
 * may not have stored it already; the message id makes that safe) and arrives once. The
 * stream comes back and carries the next messages. */
static void
test_dropped_in_flight (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GPtrArray) at_bob = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GlobiMessage) first = NULL;
  g_autoptr (GlobiMessage) second = NULL;
  g_autoptr (GlobiMessage) third = NULL;
  g_autofree char *to_bob = chat_with (bob);
  const char *texts[] = { "in flight", "after the drop", "stream again", NULL };
  guint64 framed;
  guint64 posted;

  befriend (alice, bob);
  collect_received (bob, at_bob);
  client_go_live (alice);
  client_go_live (bob);

  first = send_text (alice, to_bob, texts[0]);
  while (globi_messenger_get_stream_sends (alice->messenger) == 0)
    g_main_context_iteration (NULL, TRUE);
  globi_messenger_drop_stream (alice->messenger);
  g_assert_cmpuint (globi_messenger_get_stream_sends (alice->messenger), ==, 0);
  second = send_text (alice, to_bob, texts[1]);
  flush (alice);
  wait_state (first, GLOBI_DELIVERY_STATE_SENT);
  wait_state (second, GLOBI_DELIVERY_STATE_SENT);
  g_assert_cmpuint (count_requests (f, POST, REST, "201"), >=, 1);

  wait_online (alice);
  wait_received (at_bob, 2);
  framed = count_requests (f, WS, STREAM, "201");
  posted = count_requests (f, POST, REST, NULL);
  third = send_text (alice, to_bob, texts[2]);
  flush (alice);
  wait_received (at_bob, 3);
  assert_texts (at_bob, texts);
  g_assert_cmpuint (count_requests (f, WS, STREAM, "201"), >, framed);
  g_assert_cmpuint (count_requests (f, POST, REST, NULL), ==, posted);
  assert_nothing_more (bob);
  g_assert_cmpuint (at_bob->len, ==, 3);
  globi_messenger_stop (alice->messenger);
  globi_messenger_stop (bob->messenger);
}

/* The server restarts under both streams with a send in flight: whatever it had
 * committed is answered again, nothing is lost and nothing arrives twice. */
static void
test_server_restart (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GPtrArray) at_bob = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *to_bob = chat_with (bob);
  const char *texts[] = { "before", "during", "after", NULL };

  befriend (alice, bob);
  collect_received (bob, at_bob);
  client_go_live (alice);
  client_go_live (bob);

  g_ptr_array_add (sent, send_text (alice, to_bob, texts[0]));
  g_ptr_array_add (sent, send_text (alice, to_bob, texts[1]));
  while (globi_messenger_get_stream_sends (alice->messenger) == 0)
    g_main_context_iteration (NULL, TRUE);
  restart_server (f);
  g_ptr_array_add (sent, send_text (alice, to_bob, texts[2]));
  flush (alice);
  for (guint i = 0; i < sent->len; i++)
    wait_state (g_ptr_array_index (sent, i), GLOBI_DELIVERY_STATE_SENT);
  wait_received (at_bob, 3);
  assert_texts (at_bob, texts);
  wait_online (bob);
  assert_nothing_more (bob);
  g_assert_cmpuint (at_bob->len, ==, 3);
  globi_messenger_stop (alice->messenger);
  globi_messenger_stop (bob->messenger);
}

/* 409 stale_devices over the stream: a group's first message always meets members
 * without the sender key (the client then sends the distribution), and a new device of
 * a member (or of a direct recipient) must get the key or its own envelope. Each is
 * resent and delivered, over the stream. */
static void
test_stale_devices (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) bob2 = NULL;
  g_autoptr (GPtrArray) at_bob = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) at_bob2 = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GlobiGroup) group = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) m1 = NULL;
  g_autoptr (GlobiMessage) m2 = NULL;
  g_autoptr (GlobiMessage) m3 = NULL;
  g_autofree char *to_group = NULL;
  g_autofree char *to_bob = chat_with (bob);
  const char *members[] = { "bob", NULL };
  GAsyncResult *pending = NULL;
  guint64 stale;

  befriend (alice, bob);
  globi_messenger_create_group_async (alice->messenger, "Team", members, NULL, on_result_cb,
                                      &pending);
  result = wait_result (&pending);
  group = globi_messenger_group_finish (alice->messenger, result, &error);
  g_assert_no_error (error);
  to_group = globi_chat_id_for_group (globi_group_get_id (group));
  collect_received (bob, at_bob);
  client_go_live (alice);
  client_go_live (bob);

  m1 = send_text (alice, to_group, "first in the group");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m1), >=, GLOBI_DELIVERY_STATE_SENT);
  wait_received (at_bob, 1);
  stale = count_requests (f, WS, STREAM, "409");
  g_assert_cmpuint (stale, >=, 1);

  bob2 = client_new (f, "bob", "bob2", TRUE);
  collect_received (bob2, at_bob2);
  client_go_live (bob2);
  m2 = send_text (alice, to_group, "to both devices");
  m3 = send_text (alice, to_bob, "direct to both devices");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m2), >=, GLOBI_DELIVERY_STATE_SENT);
  g_assert_cmpint (globi_message_get_state (m3), >=, GLOBI_DELIVERY_STATE_SENT);
  wait_received (at_bob, 3);
  wait_received (at_bob2, 2);
  g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (at_bob2, 0)), ==, "to both devices");
  g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (at_bob2, 1)), ==,
                   "direct to both devices");
  g_assert_cmpuint (count_requests (f, WS, STREAM, "409"), >, stale);
  g_assert_cmpuint (count_requests (f, POST, REST, NULL), ==, 0);
  assert_nothing_more (bob2);
  g_assert_cmpuint (at_bob2->len, ==, 2);
  globi_messenger_stop (alice->messenger);
  globi_messenger_stop (bob->messenger);
  globi_messenger_stop (bob2->messenger);
}

static char *
long_text (gsize size)
{
  char *text = g_malloc (size + 1);

  for (gsize i = 0; i < size; i++)
    text[i] = 'a' + i % 26;
  text[size] = '\0';
  return text;
}

/* The longest text the server takes once encrypted: {"v":1,"type":"text","id":UUID,
 * "text":…} is 75 bytes around the text, and the content may have 40 KiB. It goes as a
 * frame, direct (the first message, with the X3DH header) and to a group (signed with
 * the sender key); one byte more is refused before it shows, and so is such an edit. */
static void
test_longest_message (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GPtrArray) at_bob = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GlobiGroup) group = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) refused = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) direct = NULL;
  g_autoptr (GlobiMessage) grouped = NULL;
  g_autoptr (GlobiMessage) none = NULL;
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_group = NULL;
  g_autofree char *longest = long_text (40 * 1024 - 75);
  g_autofree char *too_long = long_text (40 * 1024 - 75 + 1);
  const char *members[] = { "bob", NULL };
  GAsyncResult *pending = NULL;

  befriend (alice, bob);
  globi_messenger_create_group_async (alice->messenger, "Team", members, NULL, on_result_cb,
                                      &pending);
  result = wait_result (&pending);
  group = globi_messenger_group_finish (alice->messenger, result, &error);
  g_assert_no_error (error);
  to_group = globi_chat_id_for_group (globi_group_get_id (group));
  collect_received (bob, at_bob);
  client_go_live (alice);
  client_go_live (bob);

  direct = send_text (alice, to_bob, longest);
  grouped = send_text (alice, to_group, longest);
  flush (alice);
  wait_received (at_bob, 2);
  g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (at_bob, 0)), ==, longest);
  g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (at_bob, 1)), ==, longest);
  g_assert_cmpuint (count_requests (f, POST, REST, NULL), ==, 0);

  globi_messenger_send_text_async (alice->messenger, to_bob, too_long, NULL, NULL, NULL,
                                   on_result_cb, &pending);
  refused = wait_result (&pending);
  none = globi_messenger_send_finish (alice->messenger, refused, &error);
  g_assert_null (none);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD);
  g_clear_error (&error);
  globi_messenger_edit_async (alice->messenger, direct, too_long, NULL, on_result_cb, &pending);
  g_assert_false (wait_finish (alice, &pending, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD);
  g_assert_cmpstr (globi_message_get_text (direct), ==, longest);
  g_assert_cmpint (globi_message_get_edited_at (direct), ==, 0);
  flush (alice);
  assert_nothing_more (bob);
  g_assert_cmpuint (at_bob->len, ==, 2);
  globi_messenger_stop (alice->messenger);
  globi_messenger_stop (bob->messenger);
}

typedef struct
{
  guint done;
  GHashTable *sent_at; /* id → sent_at (gint64 *) */
} Posts;

static void
on_posted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Posts *posts = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply =
      globi_messenger_post_message_finish (GLOBI_MESSENGER (source), result, &error);
  JsonObject *object;
  gint64 *sent_at = g_new (gint64, 1);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply));
  object = json_node_get_object (reply);
  *sent_at = json_object_get_int_member_with_default (object, "sent_at", 0);
  g_assert_cmpint (*sent_at, >, 0);
  g_hash_table_insert (posts->sent_at, g_strdup (json_object_get_string_member (object, "id")),
                       sent_at);
  posts->done++;
}

/* n bodies of POST /v1/messages to c's one device (the ciphertext is never decrypted:
 * c does not listen). */
static void
post_many (Client *from, Client *to, guint n, Posts *posts)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = globi_id_new ();
      g_autofree char *json = g_strdup_printf (
          "{\"id\": \"%s\", \"to\": {\"user_id\": \"%s\"}, \"envelopes\": [{\"device_id\": "
          "\"%s\", \"type\": \"message\", \"ciphertext\": \"AAAA\"}]}",
          id, globi_session_get_user_id (to->session), globi_session_get_device_id (to->session));
      g_autoptr (JsonNode) body = json_from_string (json, NULL);

      globi_messenger_post_message_async (from->messenger, body, NULL, on_posted_cb, posts);
    }
}

/* The ids of the message events the server holds for c's device. */
static GHashTable *
stored_ids (Client *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = call (c, "GET", "/v1/events?after=0&limit=500", NULL, &error);
  JsonArray *events;
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  events = json_object_get_array_member (json_node_get_object (reply), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event =
          json_object_get_object_member (json_array_get_object_element (events, i), "event");

      if (g_strcmp0 (json_object_get_string_member (event, "kind"), "message") != 0)
        continue;
      /* Exactly once: an id stored twice would show here twice. */
      g_assert_true (
          g_hash_table_add (ids, g_strdup (json_object_get_string_member (event, "id"))));
    }
  return ids;
}

/* More sends than a stream takes at once: 64 go as frames, the rest wait for a result to
 * free a slot (the server would refuse a 65th with 429). Then the stream drops with 64
 * in flight and more waiting: all of them go over REST, each stored once. */
static void
test_many_in_flight (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GHashTable) stored = NULL;
  Posts posts = { 0, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free) };
  GHashTableIter iter;
  gpointer id;

  befriend (alice, bob);
  client_go_live (alice);

  post_many (alice, bob, 100, &posts);
  g_assert_cmpuint (globi_messenger_get_stream_sends (alice->messenger), ==, 64);
  while (posts.done < 100)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (globi_messenger_get_stream_sends (alice->messenger), ==, 0);
  g_assert_cmpuint (count_requests (f, WS, STREAM, "201"), ==, 100);
  g_assert_cmpuint (count_requests (f, WS, STREAM, "429"), ==, 0);
  g_assert_cmpuint (count_requests (f, POST, REST, NULL), ==, 0);

  post_many (alice, bob, 100, &posts);
  g_assert_cmpuint (globi_messenger_get_stream_sends (alice->messenger), ==, 64);
  globi_messenger_drop_stream (alice->messenger);
  g_assert_cmpuint (globi_messenger_get_stream_sends (alice->messenger), ==, 0);
  while (posts.done < 200)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (count_requests (f, POST, REST, "201"), ==, 100);
  g_assert_cmpuint (g_hash_table_size (posts.sent_at), ==, 200);

  stored = stored_ids (bob);
  g_assert_cmpuint (g_hash_table_size (stored), ==, 200);
  g_hash_table_iter_init (&iter, posts.sent_at);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    g_assert_true (g_hash_table_contains (stored, id));
  g_hash_table_unref (posts.sent_at);
  globi_messenger_stop (alice->messenger);
}

/* No stream (a client that only polls, or before it connects): POST as before. */
static void
test_offline_rest (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GlobiMessage) m1 = NULL;
  g_autoptr (GlobiMessage) m2 = NULL;
  g_autofree char *to_bob = chat_with (bob);

  befriend (alice, bob);
  m1 = send_text (alice, to_bob, "polled one");
  m2 = send_text (alice, to_bob, "polled two");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m2), ==, GLOBI_DELIVERY_STATE_SENT);
  at_bob = sync_client (bob);
  g_assert_cmpuint (at_bob->len, ==, 2);
  g_assert_cmpstr (globi_message_get_text (message_at (at_bob, 0)), ==, "polled one");
  g_assert_cmpstr (globi_message_get_text (message_at (at_bob, 1)), ==, "polled two");
  g_assert_cmpuint (count_requests (f, POST, REST, "201"), >=, 2);
  g_assert_cmpuint (count_requests (f, WS, STREAM, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                     \
  g_test_add ("/globi/sync/stream-send/" path, CoreFixture, NULL, core_fixture_setup, func, \
              core_fixture_teardown)
  ADD ("framed", test_framed);
  ADD ("dropped-in-flight", test_dropped_in_flight);
  ADD ("server-restart", test_server_restart);
  ADD ("stale-devices", test_stale_devices);
  ADD ("longest-message", test_longest_message);
  ADD ("many-in-flight", test_many_in_flight);
  ADD ("offline-rest", test_offline_rest);
#undef ADD
  return g_test_run ();
}
