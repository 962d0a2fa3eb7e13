/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Messaging features on top of delivery: GlobiPay cards, typing, forwarding, receipts,
 * the durable outbox of control messages, group key distribution, the demo seeder. */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-error.h"
#include "globi-id.h"
#include "globi-message-list.h"
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
  drop_messenger (bob);
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
  drop_messenger (alice);
  start_messenger (alice);
  g_clear_object (&m2);
  m2 = send_text (alice, chat_id, "after restart");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m2), ==, GLOBI_DELIVERY_STATE_SENT);
  g_assert_cmpuint (count_distributions (bob), ==, 0);
  g_assert_cmpuint (count_distributions (carol), ==, 0);
}

static gboolean
is_typing (GlobiChat *chat, const char *user_id)
{
  const char *const *typing = globi_chat_get_typing (chat);

  return typing != NULL && g_strv_contains (typing, user_id);
}

static void
wait_typing (GlobiChat *chat, const char *user_id, gboolean typing)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (is_typing (chat, user_id) != typing && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (is_typing (chat, user_id), ==, typing);
}

/* Typing travels on the stream: shown, cleared by "false" or by their message, and
 * neither shown nor sent with the setting off. */
static void
test_typing_relay (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GPtrArray) received = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);
  const char *alice_id = globi_session_get_user_id (alice->session);
  GlobiChat *at_alice;
  GlobiChat *at_bob;

  befriend (alice, bob);
  collect_received (bob, received);
  client_go_live (alice);
  client_go_live (bob);
  at_alice = globi_messenger_open_chat (alice->messenger, to_bob);
  at_bob = globi_messenger_open_chat (bob->messenger, to_alice);

  globi_messenger_set_typing (alice->messenger, at_alice, TRUE);
  wait_typing (at_bob, alice_id, TRUE);
  globi_messenger_set_typing (alice->messenger, at_alice, FALSE);
  wait_typing (at_bob, alice_id, FALSE);

  /* Her message ends her typing on Bob's side. */
  globi_messenger_set_typing (alice->messenger, at_alice, TRUE);
  wait_typing (at_bob, alice_id, TRUE);
  g_object_unref (send_text (alice, to_bob, "there"));
  flush (alice);
  wait_received (received, 1);
  g_assert_false (is_typing (at_bob, alice_id));
  globi_messenger_set_typing (alice->messenger, at_alice, FALSE);

  /* Bob turns typing indicators off: Alice's typing, which reaches him before her next
   * message on the same stream, is not shown. */
  globi_messenger_set_typing_indicators (bob->messenger, FALSE);
  globi_messenger_set_typing (alice->messenger, at_alice, TRUE);
  g_object_unref (send_text (alice, to_bob, "again"));
  flush (alice);
  wait_received (received, 2);
  g_assert_false (is_typing (at_bob, alice_id));
  /* Bob's delivery receipts reach Alice's stream before it closes. */
  flush (bob);
  globi_messenger_stop (bob->messenger);
  globi_messenger_stop (alice->messenger);
}

/* Reading a chat sends one receipt for every message read, not only the last. */
static void
test_receipts_up_to_last_read (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GPtrArray) at_alice = NULL;
  GlobiMessage *last;

  befriend (alice, bob);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("note %u", i);
      g_ptr_array_add (sent, send_text (alice, to_bob, text));
    }
  flush (alice);
  at_bob = sync_client (bob);
  g_assert_cmpuint (at_bob->len, ==, 3);
  last = find_live (bob, to_alice, globi_message_get_id (g_ptr_array_index (sent, 2)));
  globi_messenger_mark_read (bob->messenger, globi_messenger_open_chat (bob->messenger, to_alice));
  /* The receipt is queued once the cache marked the messages read. */
  while (globi_message_get_state (last) != GLOBI_DELIVERY_STATE_READ)
    g_main_context_iteration (NULL, TRUE);
  flush (bob);
  at_alice = sync_client (alice);
  g_assert_cmpuint (at_alice->len, ==, 0);
  for (guint i = 0; i < sent->len; i++)
    g_assert_cmpint (globi_message_get_state (g_ptr_array_index (sent, i)), ==,
                     GLOBI_DELIVERY_STATE_READ);
}

/* An edit and a reaction made while the server is down wait in the outbox, survive the
 * app's end, and arrive once. */
static void
test_control_outbox_survives_restart (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);
  g_autoptr (GlobiMessage) m = NULL;
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autoptr (GPtrArray) third = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;
  GlobiMessage *at_bob;
  GAsyncResult *pending = NULL;

  befriend (alice, bob);
  m = send_text (alice, to_bob, "draft");
  flush (alice);
  first = sync_client (bob);
  g_assert_cmpuint (first->len, ==, 1);

  core_fixture_stop (f);
  globi_messenger_edit_async (alice->messenger, m, "final", NULL, on_result_cb, &pending);
  g_assert_true (wait_finish (alice, &pending, &error));
  g_assert_no_error (error);
  globi_messenger_react_async (alice->messenger, m, "🎉", NULL, on_result_cb, &pending);
  g_assert_true (wait_finish (alice, &pending, &error));
  g_assert_no_error (error);
  flush (alice);
  drop_messenger (alice);
  restart_server (f);

  start_messenger (alice);
  flush (alice);
  second = sync_client (bob);
  g_assert_cmpuint (second->len, ==, 0);
  at_bob = find_live (bob, to_alice, globi_message_get_id (m));
  g_assert_nonnull (at_bob);
  g_assert_cmpstr (globi_message_get_text (at_bob), ==, "final");
  expected = g_strdup_printf ("{\"🎉\":[\"%s\"]}", globi_session_get_user_id (alice->session));
  g_assert_cmpstr (globi_message_get_reactions (at_bob), ==, expected);

  /* Nothing is sent twice: a new start finds an empty outbox. */
  drop_messenger (alice);
  start_messenger (alice);
  flush (alice);
  third = sync_client (bob);
  g_assert_cmpuint (third->len, ==, 0);
  g_assert_cmpuint (count_distributions (bob), ==, 0);
}

/* A safety number comes from the keys already known: it takes no one-time prekey. */
static void
test_safety_number_keeps_prekeys (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);
  g_autofree char *at_alice = NULL;
  g_autofree char *at_bob = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) before = NULL;
  g_autoptr (JsonNode) after = NULL;
  GAsyncResult *pending = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) result2 = NULL;

  befriend (alice, bob);
  g_object_unref (send_text (alice, to_bob, "hi"));
  flush (alice);
  g_ptr_array_unref (sync_client (bob));
  g_object_unref (send_text (bob, to_alice, "hello"));
  flush (bob);
  g_ptr_array_unref (sync_client (alice));
  /* A new start of each: nothing but the stored sessions is known. */
  drop_messenger (alice);
  start_messenger (alice);
  drop_messenger (bob);
  start_messenger (bob);

  before = call (bob, "GET", "/v1/keys/count", NULL, &error);
  g_assert_no_error (error);
  globi_messenger_safety_number_async (alice->messenger, globi_session_get_user_id (bob->session),
                                       NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  at_alice = globi_messenger_safety_number_finish (alice->messenger, result, &error);
  g_assert_no_error (error);
  globi_messenger_safety_number_async (bob->messenger, globi_session_get_user_id (alice->session),
                                       NULL, on_result_cb, &pending);
  result2 = wait_result (&pending);
  at_bob = globi_messenger_safety_number_finish (bob->messenger, result2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (at_alice, ==, at_bob);
  after = call (bob, "GET", "/v1/keys/count", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (after), "one_time_prekeys"),
                   ==,
                   json_object_get_int_member (json_node_get_object (before), "one_time_prekeys"));
}

/* A contact marked verified is still verified after a restart. */
static void
test_verified_reloaded (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  const char *bob_id = globi_session_get_user_id (bob->session);
  GlobiContact *contact;

  befriend (alice, bob);
  contact = globi_messenger_find_contact (alice->messenger, bob_id);
  g_assert_nonnull (contact);
  g_assert_false (globi_contact_get_verified (contact));
  globi_messenger_set_verified (alice->messenger, bob_id, TRUE);
  drop_messenger (alice);
  start_messenger (alice);
  contact = globi_messenger_find_contact (alice->messenger, bob_id);
  g_assert_nonnull (contact);
  g_assert_true (globi_contact_get_verified (contact));
}

static GlobiMessage *
forward (Client *c, GlobiMessage *message, const char *to_chat_id, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_messenger_forward_async (c->messenger, message, to_chat_id, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  return globi_messenger_send_finish (c->messenger, result, error);
}

/* Bob forwards Alice's text and file to Carol: re-encrypted for Carol, the file the same
 * upload (its key travels again, its bytes do not); a card cannot be forwarded. */
static void
test_forward (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) carol = client_new (f, "carol", "carol", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_carol = chat_with (carol);
  g_autofree char *path = g_build_filename (alice->profile_dir, "photo.png", NULL);
  g_autoptr (JsonObject) card = parse ("{\"amount\": \"1.00\", \"currency\": \"EUR\"}");
  static const char bytes[] = "\x89PNG not really, but bytes all the same";
  g_autoptr (GFile) file = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) result2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) text = NULL;
  g_autoptr (GlobiMessage) sent_file = NULL;
  g_autoptr (GlobiMessage) sent_card = NULL;
  g_autoptr (GlobiMessage) fw_text = NULL;
  g_autoptr (GlobiMessage) fw_file = NULL;
  g_autoptr (GlobiMessage) fw_card = NULL;
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GPtrArray) at_carol = NULL;
  g_autoptr (GBytes) downloaded = NULL;
  GAsyncResult *pending = NULL;
  GlobiMessage *got;

  befriend (alice, bob);
  befriend (bob, carol);
  text = send_text (alice, to_bob, "pass it on");
  g_assert_true (g_file_set_contents (path, bytes, sizeof bytes, NULL));
  file = g_file_new_for_path (path);
  globi_messenger_send_file_async (alice->messenger, to_bob, file, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  sent_file = globi_messenger_send_finish (alice->messenger, result, &error);
  g_assert_no_error (error);
  sent_card = send_card (alice, to_bob, "transfer", card, &error);
  g_assert_no_error (error);
  flush (alice);
  at_bob = sync_client (bob);
  g_assert_cmpuint (at_bob->len, ==, 3);

  fw_text = forward (bob, message_at (at_bob, 0), to_carol, &error);
  g_assert_no_error (error);
  g_assert_true (globi_message_get_forwarded (fw_text));
  fw_file = forward (bob, message_at (at_bob, 1), to_carol, &error);
  g_assert_no_error (error);
  g_assert_cmpint (globi_message_get_kind (fw_file), ==, GLOBI_MESSAGE_KIND_IMAGE);
  fw_card = forward (bob, message_at (at_bob, 2), to_carol, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN);
  g_assert_null (fw_card);
  g_clear_error (&error);
  flush (bob);

  at_carol = sync_client (carol);
  g_assert_cmpuint (at_carol->len, ==, 2);
  g_assert_cmpstr (globi_message_get_text (message_at (at_carol, 0)), ==, "pass it on");
  g_assert_true (globi_message_get_forwarded (message_at (at_carol, 0)));
  got = message_at (at_carol, 1);
  g_assert_true (globi_message_get_forwarded (got));
  g_assert_cmpint (globi_message_get_kind (got), ==, GLOBI_MESSAGE_KIND_IMAGE);
  g_assert_cmpstr (globi_message_get_attachment_name (got), ==, "photo.png");
  globi_messenger_download_attachment_async (carol->messenger, got, NULL, on_result_cb, &pending);
  result2 = wait_result (&pending);
  downloaded = globi_messenger_download_attachment_finish (carol->messenger, result2, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (downloaded, NULL), g_bytes_get_size (downloaded), bytes,
                   sizeof bytes);

  /* As a file: decrypted once into the profile, then the same file again. */
  {
    g_autoptr (GAsyncResult) r1 = NULL;
    g_autoptr (GAsyncResult) r2 = NULL;
    g_autoptr (GFile) first = NULL;
    g_autoptr (GFile) second = NULL;
    g_autofree char *contents = NULL;
    gsize length = 0;

    globi_messenger_fetch_attachment_async (carol->messenger, got, NULL, on_result_cb, &pending);
    r1 = wait_result (&pending);
    first = globi_messenger_fetch_attachment_finish (carol->messenger, r1, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (globi_message_get_attachment_progress (got), ==, 1);
    g_assert_true (g_file_load_contents (first, NULL, &contents, &length, NULL, NULL));
    g_assert_cmpmem (contents, length, bytes, sizeof bytes);
    g_assert_true (g_str_has_prefix (g_file_peek_path (first), carol->profile_dir));
    globi_messenger_fetch_attachment_async (carol->messenger, got, NULL, on_result_cb, &pending);
    r2 = wait_result (&pending);
    second = globi_messenger_fetch_attachment_finish (carol->messenger, r2, &error);
    g_assert_no_error (error);
    g_assert_true (g_file_equal (first, second));
  }
}

static GlobiChat *
find_chat_with_last (GlobiMessenger *messenger, const char *text)
{
  GListModel *chats = globi_messenger_get_chats (messenger);

  for (guint i = 0; i < g_list_model_get_n_items (chats); i++)
    {
      g_autoptr (GlobiChat) chat = g_list_model_get_item (chats, i);
      GlobiMessage *last = globi_chat_get_last_message (chat);

      if (last != NULL && g_strcmp0 (globi_message_get_text (last), text) == 0)
        return chat; /* the model keeps it */
    }
  return NULL;
}

/* --demo: the demo people befriend the first one and talk with her, end to end
 * encrypted, in four 1:1 chats and a group; a second run changes nothing. */
static void
test_demo_conversations (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) mei = g_new0 (Client, 1);
  g_autoptr (GAsyncResult) seeded = NULL;
  g_autoptr (GAsyncResult) talked = NULL;
  g_autoptr (GAsyncResult) again = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) people = NULL;
  GAsyncResult *pending = NULL;
  GlobiChat *group_chat = NULL;
  GlobiChat *direct = NULL;

  globi_demo_seed_async (f->base_url, NULL, on_result_cb, &pending);
  seeded = wait_result (&pending);
  people = globi_demo_seed_finish (seeded, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (people[0], ==, "mei.chen");

  mei->profile_dir = core_fixture_profile (f, "mei");
  mei->session = globi_session_new (mei->profile_dir);
  session_sign_in (mei->session, f->base_url, people[0], GLOBI_DEMO_PASSWORD);
  start_messenger (mei);
  globi_demo_converse_async (mei->messenger, NULL, on_result_cb, &pending);
  talked = wait_result (&pending);
  g_assert_true (globi_demo_converse_finish (talked, &error));
  g_assert_no_error (error);

  /* What they wrote (the app gets it over its stream; polling is the same events). */
  g_ptr_array_unref (sync_client (mei));
  group_chat = find_chat_with_last (mei->messenger, "Only if there are snacks 😄");
  g_assert_nonnull (group_chat);
  g_assert_cmpint (globi_chat_get_kind (group_chat), ==, GLOBI_CHAT_KIND_GROUP);
  g_assert_cmpuint (globi_chat_get_unread_count (group_chat), >, 0);
  direct =
      find_chat_with_last (mei->messenger, "Investors loved the QR flow. Drinks on me next time!");
  g_assert_nonnull (direct);
  g_assert_cmpint (globi_chat_get_kind (direct), ==, GLOBI_CHAT_KIND_DIRECT);
  g_assert_nonnull (
      find_chat_with_last (mei->messenger, "Yes! 10:00 at the north gate?")
          ?: find_chat_with_last (mei->messenger, "Perfecto. I’ll bring the coffee ☕"));
  g_assert_cmpuint (g_list_model_get_n_items (globi_messenger_get_contacts (mei->messenger)), ==,
                    4);
  g_assert_cmpuint (g_list_model_get_n_items (globi_messenger_get_chats (mei->messenger)), ==, 5);

  /* Once only. */
  globi_demo_converse_async (mei->messenger, NULL, on_result_cb, &pending);
  again = wait_result (&pending);
  g_assert_true (globi_demo_converse_finish (again, &error));
  g_assert_cmpuint (g_list_model_get_n_items (globi_messenger_get_chats (mei->messenger)), ==, 5);
}

/* A 429's Retry-After reaches the error the UI words ("Try again in N s"). */
static void
test_retry_after_reaches_the_error (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autofree char *dir = core_fixture_profile (f, "intruder");
  g_autoptr (GlobiSession) intruder = globi_session_new (dir);
  g_autoptr (GError) error = NULL;
  const char *digits;

  for (guint i = 0; i < 10 && !g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_RATE_LIMITED); i++)
    {
      g_autoptr (GAsyncResult) result = NULL;
      GAsyncResult *pending = NULL;

      g_clear_error (&error);
      globi_session_sign_in_async (intruder, f->base_url, "alice", "wrong password", NULL, NULL,
                                   on_result_cb, &pending);
      result = wait_result (&pending);
      g_assert_false (globi_session_sign_in_finish (intruder, result, &error));
    }
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_RATE_LIMITED);
  for (digits = error->message; *digits && !g_ascii_isdigit (*digits); digits++)
    ;
  g_assert_cmpuint (g_ascii_strtoull (digits, NULL, 10), >, 0);
}

static guint
count_notices (GlobiChat *chat, const char *text)
{
  GListModel *messages = globi_chat_get_messages (chat);
  guint n = 0;

  while (!globi_message_list_is_ready (GLOBI_MESSAGE_LIST (messages)))
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr (GlobiMessage) m = loaded_message_at (messages, i);

      if (globi_message_get_kind (m) == GLOBI_MESSAGE_KIND_SYSTEM &&
          g_strcmp0 (globi_message_get_text (m), text) == 0)
        n++;
    }
  return n;
}

/* The owner makes Bob an admin; Bob sets the announcement, which shows once in the group
 * chat on both sides. */
static void
test_group_admin_and_announcement (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  const char *members[] = { globi_session_get_user_id (bob->session), NULL };
  g_autoptr (GlobiGroup) group = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *chat_id = NULL;
  const char *notice = "Group announcement: Trail map in the shared folder";
  GlobiGroup *at_bob;
  GAsyncResult *pending = NULL;

  befriend (alice, bob);
  group = create_group (alice, "Hikers", members);
  chat_id = globi_chat_id_for_group (globi_group_get_id (group));
  g_ptr_array_unref (sync_client (bob));
  /* Bob's messenger fetches the group the event told it about, in the background. */
  while (!(at_bob = globi_messenger_find_group (bob->messenger, globi_group_get_id (group))))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (globi_group_get_my_role (at_bob), ==, GLOBI_GROUP_ROLE_MEMBER);

  /* A member may not announce. */
  globi_messenger_update_group_async (bob->messenger, globi_group_get_id (group), NULL, "no", NULL,
                                      on_result_cb, &pending);
  g_assert_false (wait_finish (bob, &pending, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN);
  g_clear_error (&error);

  globi_messenger_set_admin_async (alice->messenger, globi_group_get_id (group),
                                   globi_session_get_user_id (bob->session), TRUE, NULL,
                                   on_result_cb, &pending);
  g_assert_true (wait_finish (alice, &pending, &error));
  g_assert_no_error (error);
  g_ptr_array_unref (sync_client (bob));
  /* The event makes Bob's messenger fetch the group again, in the background. */
  while (globi_group_get_my_role (at_bob) != GLOBI_GROUP_ROLE_ADMIN)
    g_main_context_iteration (NULL, TRUE);

  globi_messenger_update_group_async (bob->messenger, globi_group_get_id (group), NULL,
                                      "Trail map in the shared folder", NULL, on_result_cb,
                                      &pending);
  g_assert_true (wait_finish (bob, &pending, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (globi_group_get_announcement (at_bob), ==, "Trail map in the shared folder");
  g_ptr_array_unref (sync_client (bob));
  g_ptr_array_unref (sync_client (alice));
  g_assert_cmpuint (count_notices (globi_messenger_open_chat (bob->messenger, chat_id), notice), ==,
                    1);
  g_assert_cmpuint (count_notices (globi_messenger_open_chat (alice->messenger, chat_id), notice),
                    ==, 1);
}

static void
on_event_cb (GlobiMessenger *messenger, const char *kind, JsonObject *event, gpointer data)
{
  g_ptr_array_add (data, g_strdup (kind));
}

/* Stream events messaging does not handle (here the wallet's) reach the "event" signal,
 * and are acknowledged like the others. */
static void
test_other_events_signalled (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GPtrArray) kinds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) again = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autofree char *id = globi_id_new ();
  g_autofree char *body = NULL;

  befriend (alice, bob);
  g_ptr_array_unref (sync_client (bob));
  body = g_strdup_printf ("{\"id\": \"%s\", \"from_user_id\": \"%s\", "
                          "\"amount\": {\"currency\": \"USD\", \"minor\": 500}}",
                          id, globi_session_get_user_id (bob->session));
  reply = call (alice, "POST", "/v1/wallet/requests", body, &error);
  g_assert_no_error (error);
  g_signal_connect (bob->messenger, "event", G_CALLBACK (on_event_cb), kinds);
  g_ptr_array_unref (sync_client (bob));
  g_assert_cmpuint (kinds->len, >=, 1);
  g_assert_true (g_ptr_array_find_with_equal_func (kinds, "wallet_updated", g_str_equal, NULL));
  /* Acknowledged: a second sync brings nothing again. */
  g_signal_connect (bob->messenger, "event", G_CALLBACK (on_event_cb), again);
  g_ptr_array_unref (sync_client (bob));
  g_assert_cmpuint (again->len, ==, 0);
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
  ADD ("typing/relay", test_typing_relay);
  ADD ("receipts/up-to-last-read", test_receipts_up_to_last_read);
  ADD ("outbox/controls-survive-restart", test_control_outbox_survives_restart);
  ADD ("e2ee/safety-number-keeps-prekeys", test_safety_number_keeps_prekeys);
  ADD ("contacts/verified-reloaded", test_verified_reloaded);
  ADD ("demo/conversations", test_demo_conversations);
  ADD ("forward/text-and-file", test_forward);
  ADD ("errors/retry-after", test_retry_after_reaches_the_error);
  ADD ("group/admin-and-announcement", test_group_admin_and_announcement);
  ADD ("stream/other-events-signalled", test_other_events_signalled);
#undef ADD
  return g_test_run ();
}
