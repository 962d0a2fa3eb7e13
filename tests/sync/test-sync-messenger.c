/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-error.h"
#include "globi-id.h"
#include "globi-message-list.h"
#include "globi-base64url.h"
#include "globi-crypto.h"
#include "core-fixture.h"

#include "sync-client.h"

/* Tests without a server: the cache and its paging model */

static void
on_items_changed_cb (GListModel *model, guint position, guint removed, guint added, guint *changes)
{
  (*changes)++;
}

static void
test_cache_paging (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("globi-sync-cache-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "cache.sqlite3", NULL);
  g_autoptr (GlobiCache) cache = globi_cache_new (path);
  g_autoptr (GlobiMessageList) list = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GlobiMessage) first = NULL;
  g_autoptr (GlobiMessage) last = NULL;
  GAsyncResult *pending = NULL;
  guint changes = 0;
  guint n;

  globi_cache_fill_async (cache, "u:peer", 1000, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_cache_fill_finish (cache, result, &error));
  g_clear_object (&result);

  list = globi_message_list_new (cache, "u:peer", NULL, NULL);
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed_cb), &changes);
  while (!globi_message_list_is_ready (list))
    g_main_context_iteration (NULL, TRUE);
  /* The newest messages only, every row loaded when it appears: a chat opens at its end
   * without building rows for its whole history. */
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, 100);
  for (guint i = 0; i < n; i++)
    g_assert_true (globi_message_list_is_loaded (list, i));
  last = g_list_model_get_item (G_LIST_MODEL (list), n - 1);
  g_assert_cmpstr (globi_message_get_text (last), ==, "Message number 999 of the benchmark");
  g_assert_cmpuint (changes, ==, 1);
  /* Older messages come in front, loaded, until the first message. */
  while (globi_message_list_load_older (list))
    {
      while (globi_message_list_is_loading_older (list))
        g_main_context_iteration (NULL, TRUE);
      g_assert_true (globi_message_list_is_loaded (list, 0));
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1000);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_clear_object (&last);
  last = g_list_model_get_item (G_LIST_MODEL (list), 999);
  g_assert_cmpstr (globi_message_get_text (first), ==, "Message number 0 of the benchmark");
  g_assert_cmpstr (globi_message_get_text (last), ==, "Message number 999 of the benchmark");

  /* Before a message the cache does not hold: nothing, not the newest rows. */
  globi_cache_load_messages_before_async (cache, "u:peer", "no-such-message", 10, NULL,
                                          on_result_cb, &pending);
  result = wait_result (&pending);
  found = globi_cache_load_messages_before_finish (cache, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  g_clear_object (&result);

  globi_cache_search_async (cache, NULL, "number 77", 10, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  found = globi_cache_search_finish (cache, result, &error);
  g_assert_no_error (error);
  /* "77" prefix-matches 77 and 770–779. */
  g_assert_cmpuint (found->len, ==, 10);

  g_clear_object (&list);
  globi_cache_close (cache);
  globi_test_remove_tree (dir);
}

static void
test_cache_dedup (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("globi-sync-cache-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "cache.sqlite3", NULL);
  g_autoptr (GlobiCache) cache = globi_cache_new (path);
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  g_ptr_array_add (batch, globi_message_new ("m1", "u:x", "x", GLOBI_MESSAGE_KIND_TEXT, "a", 1));
  g_ptr_array_add (batch, globi_message_new ("m2", "u:x", "x", GLOBI_MESSAGE_KIND_TEXT, "b", 2));
  globi_cache_commit_async (cache, batch, NULL, 5, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  first = globi_cache_commit_finish (cache, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->len, ==, 2);
  g_clear_object (&result);
  /* The same events again (a replay after a lost ack): nothing new, cursor kept. */
  globi_cache_commit_async (cache, batch, NULL, 3, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  second = globi_cache_commit_finish (cache, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (second->len, ==, 0);
  g_clear_object (&result);
  globi_cache_get_cursor_async (cache, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_cmpint (globi_cache_get_cursor_finish (cache, result, &error), ==, 5);
  globi_cache_close (cache);
  globi_test_remove_tree (dir);
}

/* Against a real server */

static void
test_friends (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GlobiContact) contact = NULL;

  befriend (alice, bob);
  g_assert_cmpuint (g_list_model_get_n_items (globi_messenger_get_contacts (alice->messenger)), ==,
                    1);
  contact = g_list_model_get_item (globi_messenger_get_contacts (alice->messenger), 0);
  g_assert_cmpstr (globi_contact_get_username (contact), ==, "bob");
  g_assert_cmpuint (g_list_model_get_n_items (globi_messenger_get_requests (bob->messenger)), ==,
                    0);
}

static void
test_direct_both_ways (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GPtrArray) at_alice = NULL;
  g_autoptr (GlobiMessage) reply = NULL;
  GlobiChat *chat;

  befriend (alice, bob);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_autoptr (GlobiMessage) m = send_text (alice, to_bob, text);
      g_assert_cmpint (globi_message_get_state (m), ==, GLOBI_DELIVERY_STATE_PENDING);
    }
  flush (alice);
  at_bob = sync_client (bob);
  g_assert_cmpuint (at_bob->len, ==, 20);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_assert_cmpstr (globi_message_get_text (message_at (at_bob, i)), ==, text);
      g_assert_cmpstr (globi_message_get_chat_id (message_at (at_bob, i)), ==, to_alice);
      g_assert_false (globi_message_get_outgoing (message_at (at_bob, i)));
    }
  chat = globi_messenger_open_chat (bob->messenger, to_alice);
  g_assert_cmpuint (globi_chat_get_unread_count (chat), ==, 20);

  reply = send_text (bob, to_alice, "and back");
  flush (bob);
  g_assert_cmpint (globi_message_get_state (reply), ==, GLOBI_DELIVERY_STATE_SENT);
  at_alice = sync_client (alice);
  /* Bob's delivery receipts update Alice's messages; the reply is the one new message. */
  g_assert_cmpuint (at_alice->len, ==, 1);
  g_assert_cmpstr (globi_message_get_text (message_at (at_alice, 0)), ==, "and back");
}

static void
test_offline_exactly_once (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const guint n = 1000;

  befriend (alice, bob);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("offline %u", i);
      g_autoptr (GlobiMessage) m = send_text (alice, to_bob, text);
    }
  flush (alice);
  first = sync_client (bob);
  g_assert_cmpuint (first->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("offline %u", i);
      g_assert_cmpstr (globi_message_get_text (message_at (first, i)), ==, text);
      g_assert_true (
          g_hash_table_add (seen, (gpointer) globi_message_get_id (message_at (first, i))));
    }
  again = sync_client (bob);
  g_assert_cmpuint (again->len, ==, 0);
}

/* The app dies with a message in the outbox: a new messenger on the same profile sends it,
 * once. */
static void
test_outbox_survives_crash (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autoptr (GlobiMessage) m = NULL;
  g_autoptr (GPtrArray) received = NULL;
  g_autoptr (GPtrArray) again = NULL;

  befriend (alice, bob);
  /* The server is gone: the message stays PENDING in the outbox. */
  core_fixture_stop (f);
  m = send_text (alice, to_bob, "survives");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m), ==, GLOBI_DELIVERY_STATE_PENDING);
  g_clear_object (&alice->messenger);
  restart_server (f);

  start_messenger (alice);
  flush (alice);
  received = sync_client (bob);
  g_assert_cmpuint (received->len, ==, 1);
  g_assert_cmpstr (globi_message_get_text (message_at (received, 0)), ==, "survives");
  g_assert_cmpstr (globi_message_get_id (message_at (received, 0)), ==, globi_message_get_id (m));

  /* A third start sends nothing more. */
  g_clear_object (&alice->messenger);
  start_messenger (alice);
  flush (alice);
  again = sync_client (bob);
  g_assert_cmpuint (again->len, ==, 0);
}

static void
test_multi_device (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) alice2 = NULL;
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);
  g_autoptr (GPtrArray) at_alice2 = NULL;
  g_autoptr (GlobiMessage) mine = NULL;
  g_autoptr (GlobiMessage) theirs = NULL;

  befriend (alice, bob);
  alice2 = client_new (f, "alice", "alice2", TRUE);
  mine = send_text (alice, to_bob, "from my laptop");
  flush (alice);
  theirs = send_text (bob, to_alice, "to both of you");
  flush (bob);
  at_alice2 = sync_client (alice2);
  g_assert_cmpuint (at_alice2->len, ==, 2);
  g_assert_cmpstr (globi_message_get_text (message_at (at_alice2, 0)), ==, "from my laptop");
  g_assert_true (globi_message_get_outgoing (message_at (at_alice2, 0)));
  g_assert_cmpstr (globi_message_get_chat_id (message_at (at_alice2, 0)), ==, to_bob);
  g_assert_cmpstr (globi_message_get_text (message_at (at_alice2, 1)), ==, "to both of you");
  g_assert_cmpstr (globi_message_get_chat_id (message_at (at_alice2, 1)), ==, to_bob);
}

static gboolean
file_contains (const char *path, const char *marker)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  return memmem (contents, length, marker, strlen (marker)) != NULL;
}

static guint
count_files_with (const char *dir, const char *marker)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint count = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        count += count_files_with (path, marker);
      else if (file_contains (path, marker))
        count++;
    }
  return count;
}

static void
test_plaintext_marker (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) carol = client_new (f, "carol", "carol", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  char marker[64];
  g_autofree char *group_chat = NULL;
  g_autoptr (GlobiMessage) m = NULL;
  g_autoptr (GlobiMessage) g = NULL;
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GlobiGroup) group = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  const char *members[3] = { "bob", "carol", NULL };

  befriend (alice, bob);
  befriend (alice, carol);
  g_snprintf (marker, sizeof marker, "MARKER-%08x%08x", g_random_int (), g_random_int ());
  m = send_text (alice, to_bob, marker);
  globi_messenger_create_group_async (alice->messenger, "Secrets", members, NULL, on_result_cb,
                                      &pending);
  result = wait_result (&pending);
  group = globi_messenger_group_finish (alice->messenger, result, &error);
  g_assert_no_error (error);
  group_chat = globi_chat_id_for_group (globi_group_get_id (group));
  g = send_text (alice, group_chat, marker);
  flush (alice);
  g_assert_cmpint (globi_message_get_state (g), ==, GLOBI_DELIVERY_STATE_SENT);
  at_bob = sync_client (bob);
  g_assert_cmpuint (at_bob->len, ==, 2);
  g_assert_cmpstr (globi_message_get_text (message_at (at_bob, 1)), ==, marker);

  g_assert_cmpuint (count_files_with (f->data_dir, marker), ==, 0);
  /* The scan itself works: the client's own cache does hold the plaintext. */
  g_assert_cmpuint (count_files_with (alice->profile_dir, marker), >, 0);
}

static void
test_group_fan_out_and_removal (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) carol = client_new (f, "carol", "carol", FALSE);
  g_autoptr (GlobiGroup) group = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GPtrArray) at_carol = NULL;
  g_autoptr (GPtrArray) at_bob2 = NULL;
  g_autoptr (GPtrArray) at_carol2 = NULL;
  g_autoptr (GlobiMessage) m1 = NULL;
  g_autoptr (GlobiMessage) m2 = NULL;
  g_autofree char *chat_id = NULL;
  GAsyncResult *pending = NULL;
  const char *members[3] = { "bob", "carol", NULL };

  befriend (alice, bob);
  befriend (alice, carol);
  globi_messenger_create_group_async (alice->messenger, "Team", members, NULL, on_result_cb,
                                      &pending);
  result = wait_result (&pending);
  group = globi_messenger_group_finish (alice->messenger, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (group);
  chat_id = globi_chat_id_for_group (globi_group_get_id (group));
  m1 = send_text (alice, chat_id, "to everyone");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m1), ==, GLOBI_DELIVERY_STATE_SENT);
  at_bob = sync_client (bob);
  at_carol = sync_client (carol);
  g_assert_cmpuint (at_bob->len, ==, 1);
  g_assert_cmpuint (at_carol->len, ==, 1);
  g_assert_cmpstr (globi_message_get_chat_id (message_at (at_carol, 0)), ==, chat_id);
  g_assert_cmpstr (globi_message_get_text (message_at (at_carol, 0)), ==, "to everyone");

  globi_messenger_remove_member_async (alice->messenger, globi_group_get_id (group),
                                       globi_session_get_user_id (carol->session), NULL,
                                       on_result_cb, &pending);
  g_assert_true (wait_finish (alice, &pending, &error));
  g_assert_no_error (error);
  m2 = send_text (alice, chat_id, "carol is gone");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m2), ==, GLOBI_DELIVERY_STATE_SENT);
  at_bob2 = sync_client (bob);
  at_carol2 = sync_client (carol);
  g_assert_cmpuint (at_bob2->len, ==, 1);
  g_assert_cmpstr (globi_message_get_text (message_at (at_bob2, 0)), ==, "carol is gone");
  g_assert_cmpuint (at_carol2->len, ==, 0);
}

/* A first ratchet message (an X3DH "prekey" one) from identity to the device of bundle. */
static char *
forge (GlobiIdentity *identity,
       const char *local_user_id,
       const char *remote_user_id,
       JsonObject *bundle,
       const char *content)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiRatchetSession) session =
      globi_ratchet_session_new_initiator (identity, local_user_id, remote_user_id, bundle, &error);
  g_autoptr (GBytes) plaintext = g_bytes_new (content, strlen (content));
  g_autoptr (GBytes) ciphertext = NULL;
  GlobiCiphertextType type;

  g_assert_no_error (error);
  ciphertext = globi_ratchet_session_encrypt (session, plaintext, &type);
  g_assert_cmpint (type, ==, GLOBI_CIPHERTEXT_PREKEY);
  return globi_base64url_encode (g_bytes_get_data (ciphertext, NULL),
                                 g_bytes_get_size (ciphertext));
}

/* Mallory, a friend of Bob, talks to the server directly: a tampered ciphertext and a
 * valid one replayed under another message id are both refused by Bob's client. */
static void
test_tampered_and_replayed (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) mallory = client_new (f, "mallory", "mallory", FALSE);
  g_autoptr (GlobiIdentity) keys = globi_identity_new (g_get_real_time () / 1000);
  g_autoptr (JsonNode) bundles = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) received = NULL;
  g_autofree char *path = NULL;
  g_autofree char *id1 = globi_id_new ();
  g_autofree char *id2 = globi_id_new ();
  g_autofree char *id3 = globi_id_new ();
  g_autofree char *content = NULL;
  g_autofree char *sealed = NULL;
  g_autofree char *tampered = NULL;
  JsonObject *bundle;
  const char *device;
  const char *bob_id = globi_session_get_user_id (bob->session);

  befriend (mallory, bob);
  path = g_strconcat ("/v1/keys/", bob_id, NULL);
  bundles = call (mallory, "GET", path, NULL, &error);
  g_assert_no_error (error);
  bundle = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (bundles), "devices"), 0);
  device = json_object_get_string_member (bundle, "device_id");

  content = g_strdup_printf ("{\"v\":1,\"type\":\"text\",\"id\":\"%s\",\"text\":\"genuine\"}", id1);
  sealed = forge (keys, globi_session_get_user_id (mallory->session), bob_id, bundle, content);
  tampered = g_strdup (sealed);
  tampered[strlen (tampered) / 2] = tampered[strlen (tampered) / 2] == 'A' ? 'B' : 'A';

  {
    const char *ids[] = { id3, id1, id2 };
    const char *texts[] = { tampered, sealed, sealed };
    for (guint i = 0; i < 3; i++)
      {
        g_autofree char *body = g_strdup_printf (
            "{\"id\":\"%s\",\"to\":{\"user_id\":\"%s\"},\"envelopes\":[{\"device_id\":\"%s\","
            "\"type\":\"prekey\",\"ciphertext\":\"%s\"}]}",
            ids[i], bob_id, device, texts[i]);
        g_autoptr (JsonNode) reply = call (mallory, "POST", "/v1/messages", body, &error);
        g_assert_no_error (error);
      }
  }
  received = sync_client (bob);
  /* Only the genuine one, under its own id. */
  g_assert_cmpuint (received->len, ==, 1);
  g_assert_cmpstr (globi_message_get_id (message_at (received, 0)), ==, id1);
  g_assert_cmpstr (globi_message_get_text (message_at (received, 0)), ==, "genuine");
}

/* The raw message event with that id in c's stream (read before c syncs it), as the
 * server stores it. */
static JsonObject *
raw_event (Client *c, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = call (c, "GET", "/v1/events?after=0&limit=500", NULL, &error);
  JsonArray *events;

  g_assert_no_error (error);
  events = json_object_get_array_member (json_node_get_object (reply), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event =
          json_object_get_object_member (json_array_get_object_element (events, i), "event");
      if (g_strcmp0 (json_object_get_string_member_with_default (event, "id", NULL), id) == 0)
        return json_object_ref (event);
    }
  g_assert_not_reached ();
}

static gint64
prekey_count (Client *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = call (c, "GET", "/v1/keys/count", NULL, &error);

  g_assert_no_error (error);
  return json_object_get_int_member (json_node_get_object (reply), "one_time_prekeys");
}

/* The Double Ratchet in use: Alice's first message is an X3DH "prekey" message taking one
 * of Bob's one-time prekeys, ratchet "message"s follow once Bob has answered, and Bob's
 * client uploads new one-time prekeys when the server runs low. */
static void
test_ratchet_in_use (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) carol = client_new (f, "carol", "carol", FALSE);
  g_autofree char *to_alice = chat_with (alice);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *path = NULL;
  g_autoptr (GlobiMessage) m1 = NULL;
  g_autoptr (GlobiMessage) reply = NULL;
  g_autoptr (GlobiMessage) m2 = NULL;
  g_autoptr (GlobiMessage) m3 = NULL;
  g_autoptr (JsonObject) e1 = NULL;
  g_autoptr (JsonObject) e_reply = NULL;
  g_autoptr (JsonObject) e2 = NULL;
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GPtrArray) at_alice = NULL;
  g_autoptr (GPtrArray) at_bob2 = NULL;
  g_autoptr (GPtrArray) at_bob3 = NULL;
  gint64 before, count;

  befriend (alice, bob);
  befriend (carol, bob);
  before = prekey_count (bob);
  g_assert_cmpint (before, >, 0);

  m1 = send_text (alice, to_bob, "one");
  flush (alice);
  e1 = raw_event (bob, globi_message_get_id (m1));
  g_assert_cmpstr (json_object_get_string_member (e1, "type"), ==, "prekey");
  g_assert_cmpint (prekey_count (bob), ==, before - 1);
  at_bob = sync_client (bob);
  g_assert_cmpuint (at_bob->len, ==, 1);
  g_assert_cmpstr (globi_message_get_text (message_at (at_bob, 0)), ==, "one");

  reply = send_text (bob, to_alice, "two");
  flush (bob);
  e_reply = raw_event (alice, globi_message_get_id (reply));
  g_assert_cmpstr (json_object_get_string_member (e_reply, "type"), ==, "message");
  at_alice = sync_client (alice);
  g_assert_cmpuint (at_alice->len, ==, 1);

  m2 = send_text (alice, to_bob, "three");
  flush (alice);
  e2 = raw_event (bob, globi_message_get_id (m2));
  g_assert_cmpstr (json_object_get_string_member (e2, "type"), ==, "message");
  at_bob2 = sync_client (bob);
  g_assert_cmpuint (at_bob2->len, ==, 1);
  g_assert_cmpstr (globi_message_get_text (message_at (at_bob2, 0)), ==, "three");

  /* Drain Bob's one-time prekeys below the low mark (every fetch hands one out). */
  path = g_strconcat ("/v1/keys/", globi_session_get_user_id (bob->session), NULL);
  while (prekey_count (bob) >= 40)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) bundles = call (alice, "GET", path, NULL, &error);
      g_assert_no_error (error);
    }
  m3 = send_text (carol, to_bob, "four");
  flush (carol);
  at_bob3 = sync_client (bob);
  g_assert_cmpuint (at_bob3->len, ==, 1);
  /* Bob's client tops them up on its own after that prekey message. */
  while ((count = prekey_count (bob)) < 40)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (count, >=, 50);
}

static char *
safety_number (Client *c, const char *user_id)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  char *number;

  globi_messenger_safety_number_async (c->messenger, user_id, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  number = globi_messenger_safety_number_finish (c->messenger, result, &error);
  g_assert_no_error (error);
  return number;
}

/* Both ends compute the same safety number over all devices' identity keys; a second
 * device of Bob's changes it. */
static void
test_safety_number (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) bob2 = NULL;
  const char *alice_id = globi_session_get_user_id (alice->session);
  const char *bob_id = globi_session_get_user_id (bob->session);
  g_autofree char *at_alice = NULL;
  g_autofree char *at_bob = NULL;
  g_autofree char *after = NULL;

  befriend (alice, bob);
  at_alice = safety_number (alice, bob_id);
  at_bob = safety_number (bob, alice_id);
  g_assert_cmpuint (strlen (at_alice), ==, 60 + 11);
  g_assert_cmpstr (at_alice, ==, at_bob);
  bob2 = client_new (f, "bob", "bob-laptop", TRUE);
  /* Alice learns of the new device from her stream (devices_changed). */
  g_ptr_array_unref (sync_client (alice));
  after = safety_number (alice, bob_id);
  g_assert_cmpstr (after, !=, at_alice);
}

/* Forward secrecy in practice: once the ratchet has moved on, an old ciphertext sent
 * again (by its own sender device, under a new id) no longer decrypts; the session stays
 * usable. */
static void
test_old_ciphertext_replayed (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_alice = chat_with (alice);
  g_autofree char *to_bob = chat_with (bob);
  g_autoptr (GlobiMessage) m1 = NULL;
  g_autoptr (GlobiMessage) m2 = NULL;
  g_autoptr (GlobiMessage) m3 = NULL;
  g_autoptr (GlobiMessage) reply = NULL;
  g_autoptr (JsonObject) e1 = NULL;
  g_autoptr (JsonObject) e2 = NULL;
  g_autoptr (GPtrArray) r1 = NULL;
  g_autoptr (GPtrArray) r2 = NULL;
  g_autoptr (GPtrArray) r3 = NULL;
  g_autoptr (GPtrArray) r4 = NULL;
  g_autoptr (GPtrArray) at_alice = NULL;
  const char *bob_id = globi_session_get_user_id (bob->session);
  const char *bob_device = globi_session_get_device_id (bob->session);
  guint before;

  befriend (alice, bob);
  m1 = send_text (alice, to_bob, "first");
  flush (alice);
  e1 = raw_event (bob, globi_message_get_id (m1));
  r1 = sync_client (bob);
  g_assert_cmpuint (r1->len, ==, 1);
  reply = send_text (bob, to_alice, "reply");
  flush (bob);
  at_alice = sync_client (alice);
  g_assert_cmpuint (at_alice->len, ==, 1);
  m2 = send_text (alice, to_bob, "second");
  flush (alice);
  e2 = raw_event (bob, globi_message_get_id (m2));
  r2 = sync_client (bob);
  g_assert_cmpuint (r2->len, ==, 1);

  {
    JsonObject *old[] = { e1, e2 };
    for (guint i = 0; i < G_N_ELEMENTS (old); i++)
      {
        g_autofree char *id = globi_id_new ();
        g_autofree char *body = g_strdup_printf (
            "{\"id\":\"%s\",\"to\":{\"user_id\":\"%s\"},\"envelopes\":[{\"device_id\":\"%s\","
            "\"type\":\"%s\",\"ciphertext\":\"%s\"}]}",
            id, bob_id, bob_device, json_object_get_string_member (old[i], "type"),
            json_object_get_string_member (old[i], "ciphertext"));
        g_autoptr (GError) error = NULL;
        g_autoptr (JsonNode) posted = call (alice, "POST", "/v1/messages", body, &error);
        g_assert_no_error (error);
      }
  }
  before = core_undecryptable ();
  r3 = sync_client (bob);
  g_assert_cmpuint (r3->len, ==, 0);
  /* Refused by the ratchet itself (the keys are gone), not only by the id check. */
  g_assert_cmpuint (core_undecryptable (), ==, before + 2);
  /* The failed attempts left the session as it was. */
  m3 = send_text (alice, to_bob, "third");
  flush (alice);
  r4 = sync_client (bob);
  g_assert_cmpuint (r4->len, ==, 1);
  g_assert_cmpstr (globi_message_get_text (message_at (r4, 0)), ==, "third");
}

static void
test_blocked (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autoptr (GlobiMessage) m = NULL;
  g_autoptr (GPtrArray) received = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  befriend (alice, bob);
  globi_messenger_block_async (bob->messenger, "alice", TRUE, NULL, on_result_cb, &pending);
  g_assert_true (wait_finish (bob, &pending, &error));
  g_assert_no_error (error);
  m = send_text (alice, to_bob, "let me in");
  flush (alice);
  g_assert_cmpint (globi_message_get_state (m), ==, GLOBI_DELIVERY_STATE_FAILED);
  received = sync_client (bob);
  g_assert_cmpuint (received->len, ==, 0);
}

/* Bob listens on the WebSocket stream; the server restarts under him and he reconnects by
 * himself, missing nothing and getting nothing twice. */
static void
test_stream_live_and_reconnect (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GPtrArray) received = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *to_bob = chat_with (bob);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  befriend (alice, bob);
  collect_received (bob, received);
  globi_messenger_start_async (bob->messenger, TRUE, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_messenger_start_finish (bob->messenger, result, &error));
  while (globi_messenger_get_stream_state (bob->messenger) != GLOBI_STREAM_STATE_ONLINE)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("live %u", i);
      g_autoptr (GlobiMessage) m = send_text (alice, to_bob, text);
    }
  flush (alice);
  wait_received (received, 3);

  restart_server (f);
  for (guint i = 3; i < 6; i++)
    {
      g_autofree char *text = g_strdup_printf ("live %u", i);
      g_autoptr (GlobiMessage) m = send_text (alice, to_bob, text);
    }
  flush (alice);
  wait_received (received, 6);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *text = g_strdup_printf ("live %u", i);
      g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (received, i)), ==, text);
    }
  globi_messenger_stop (bob->messenger);
}

static void
on_key_changed_cb (GlobiMessenger *messenger, const char *user_id, gpointer data)
{
  g_free (*(char **) data);
  *(char **) data = g_strdup (user_id);
}

/* Bob's device suddenly signs with another identity key (a compromised or substituted
 * device, injected through the API): Alice's client says so in the chat and by signal. */
static void
test_key_change (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (GlobiIdentity) other_keys = globi_identity_new (g_get_real_time () / 1000);
  g_autofree char *to_alice = chat_with (alice);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *changed = NULL;
  g_autofree char *path = NULL;
  g_autofree char *id = globi_id_new ();
  g_autofree char *content = NULL;
  g_autofree char *sealed = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GlobiMessage) first = NULL;
  g_autoptr (GPtrArray) at_alice = NULL;
  g_autoptr (GPtrArray) at_alice2 = NULL;
  g_autoptr (JsonNode) bundles = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) last = NULL;
  JsonObject *bundle;
  GlobiChat *chat;
  GListModel *messages;

  befriend (alice, bob);
  g_signal_connect (alice->messenger, "key-changed", G_CALLBACK (on_key_changed_cb), &changed);
  first = send_text (bob, to_alice, "first");
  flush (bob);
  at_alice = sync_client (alice);
  g_assert_cmpuint (at_alice->len, ==, 1);
  g_assert_null (changed);

  path = g_strconcat ("/v1/keys/", globi_session_get_user_id (alice->session), NULL);
  bundles = call (bob, "GET", path, NULL, &error);
  g_assert_no_error (error);
  bundle = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (bundles), "devices"), 0);
  content = g_strdup_printf ("{\"v\":1,\"type\":\"text\",\"id\":\"%s\",\"text\":\"trust me\"}", id);
  sealed = forge (other_keys, globi_session_get_user_id (bob->session),
                  globi_session_get_user_id (alice->session), bundle, content);
  body = g_strdup_printf ("{\"id\":\"%s\",\"to\":{\"user_id\":\"%s\"},\"envelopes\":[{"
                          "\"device_id\":\"%s\",\"type\":\"prekey\",\"ciphertext\":\"%s\"}]}",
                          id, globi_session_get_user_id (alice->session),
                          json_object_get_string_member (bundle, "device_id"), sealed);
  reply = call (bob, "POST", "/v1/messages", body, &error);
  g_assert_no_error (error);
  at_alice2 = sync_client (alice);
  g_assert_cmpstr (changed, ==, globi_session_get_user_id (bob->session));
  chat = globi_messenger_open_chat (alice->messenger, to_bob);
  messages = globi_chat_get_messages (chat);
  while (g_list_model_get_n_items (messages) < 3 ||
         !globi_message_list_is_loaded (GLOBI_MESSAGE_LIST (messages), 2))
    g_main_context_iteration (NULL, TRUE);
  last = g_list_model_get_item (messages, 1);
  g_assert_cmpint (globi_message_get_kind (last), ==, GLOBI_MESSAGE_KIND_SYSTEM);
  g_assert_cmpstr (globi_message_get_text (last), ==, "Safety number changed");
}

/* A file goes up encrypted (the server never holds its bytes) and comes back whole. */
static void
test_attachment (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *path = g_build_filename (alice->profile_dir, "notes.txt", NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GFile) file = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) sent = NULL;
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GBytes) bytes = NULL;
  char marker[64];
  GlobiMessage *got;
  GAsyncResult *pending = NULL;

  befriend (alice, bob);
  g_snprintf (marker, sizeof marker, "FILEMARKER-%08x", g_random_int ());
  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (text, "%s line %u\n", marker, i);
  g_assert_true (g_file_set_contents (path, text->str, text->len, NULL));
  file = g_file_new_for_path (path);
  globi_messenger_send_file_async (alice->messenger, to_bob, file, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  sent = globi_messenger_send_finish (alice->messenger, result, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (globi_message_get_attachment_progress (sent), ==, 1);
  flush (alice);
  g_assert_cmpint (globi_message_get_state (sent), ==, GLOBI_DELIVERY_STATE_SENT);

  at_bob = sync_client (bob);
  g_assert_cmpuint (at_bob->len, ==, 1);
  got = message_at (at_bob, 0);
  g_assert_cmpint (globi_message_get_kind (got), ==, GLOBI_MESSAGE_KIND_FILE);
  g_assert_cmpstr (globi_message_get_attachment_name (got), ==, "notes.txt");
  g_assert_cmpint (globi_message_get_attachment_size (got), ==, text->len);
  g_clear_object (&result);
  globi_messenger_download_attachment_async (bob->messenger, got, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  bytes = globi_messenger_download_attachment_finish (bob->messenger, result, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), text->str, text->len);
  g_assert_cmpuint (count_files_with (f->data_dir, marker), ==, 0);
}

/* Edits, deletes, reactions and read receipts travel as encrypted control messages. */
static void
test_edit_delete_react_receipts (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);
  g_autoptr (GlobiMessage) one = NULL;
  g_autoptr (GlobiMessage) two = NULL;
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autoptr (GPtrArray) third = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;
  GlobiMessage *at_bob_one;
  GlobiMessage *at_bob_two;
  GAsyncResult *pending = NULL;

  befriend (alice, bob);
  one = send_text (alice, to_bob, "helo");
  two = send_text (alice, to_bob, "oops");
  flush (alice);
  first = sync_client (bob);
  g_assert_cmpuint (first->len, ==, 2);
  at_bob_one = find_live (bob, to_alice, globi_message_get_id (one));
  at_bob_two = find_live (bob, to_alice, globi_message_get_id (two));
  g_assert_nonnull (at_bob_one);

  /* Bob's client acknowledged delivery; now he reads the chat. */
  globi_messenger_mark_read (bob->messenger, globi_messenger_open_chat (bob->messenger, to_alice));
  globi_messenger_react_async (bob->messenger, at_bob_one, "👍", NULL, on_result_cb, &pending);
  g_assert_true (wait_finish (bob, &pending, &error));
  g_assert_no_error (error);
  flush (bob);

  globi_messenger_edit_async (alice->messenger, one, "hello", NULL, on_result_cb, &pending);
  g_assert_true (wait_finish (alice, &pending, &error));
  globi_messenger_delete_async (alice->messenger, two, NULL, on_result_cb, &pending);
  g_assert_true (wait_finish (alice, &pending, &error));
  g_assert_no_error (error);
  flush (alice);

  second = sync_client (bob);
  g_assert_cmpuint (second->len, ==, 0);
  g_assert_cmpstr (globi_message_get_text (at_bob_one), ==, "hello");
  g_assert_cmpint (globi_message_get_edited_at (at_bob_one), >, 0);
  g_assert_cmpint (globi_message_get_kind (at_bob_two), ==, GLOBI_MESSAGE_KIND_DELETED);
  g_assert_null (globi_message_get_text (at_bob_two));

  /* Bob cannot change Alice's message. */
  globi_messenger_edit_async (bob->messenger, at_bob_one, "forged", NULL, on_result_cb, &pending);
  g_assert_false (wait_finish (bob, &pending, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN);

  third = sync_client (alice);
  g_assert_cmpuint (third->len, ==, 0);
  expected = g_strdup_printf ("{\"👍\":[\"%s\"]}", globi_session_get_user_id (bob->session));
  g_assert_cmpstr (globi_message_get_reactions (one), ==, expected);
  /* The read receipt names every message read, not only the last. */
  g_assert_cmpint (globi_message_get_state (one), ==, GLOBI_DELIVERY_STATE_READ);
  g_assert_cmpint (globi_message_get_state (two), ==, GLOBI_DELIVERY_STATE_READ);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  core_watch_undecryptable ();

  g_test_add_func ("/globi/sync/cache/paging", test_cache_paging);
  g_test_add_func ("/globi/sync/cache/dedup", test_cache_dedup);
#define ADD(path, func)                                                         \
  g_test_add ("/globi/sync/" path, CoreFixture, NULL, core_fixture_setup, func, \
              core_fixture_teardown)
  ADD ("friends/request-accept", test_friends);
  ADD ("direct/both-ways", test_direct_both_ways);
  ADD ("direct/offline-exactly-once", test_offline_exactly_once);
  ADD ("outbox/survives-crash", test_outbox_survives_crash);
  ADD ("direct/multi-device", test_multi_device);
  ADD ("e2ee/plaintext-marker", test_plaintext_marker);
  ADD ("e2ee/tampered-and-replayed", test_tampered_and_replayed);
  ADD ("group/fan-out-and-removal", test_group_fan_out_and_removal);
  ADD ("direct/blocked", test_blocked);
  ADD ("stream/live-and-reconnect", test_stream_live_and_reconnect);
  ADD ("e2ee/key-change", test_key_change);
  ADD ("e2ee/ratchet-in-use", test_ratchet_in_use);
  ADD ("e2ee/old-ciphertext-replayed", test_old_ciphertext_replayed);
  ADD ("e2ee/safety-number", test_safety_number);
  ADD ("e2ee/attachment", test_attachment);
  ADD ("direct/edit-delete-react-receipts", test_edit_delete_react_receipts);
#undef ADD
  return g_test_run ();
}
