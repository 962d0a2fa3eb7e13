/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <sodium.h>
#include <string.h>

#include "core-fixture.h"
#include "globi-base64url.h"
#include "globi-device-link.h"
#include "globi-error.h"
#include "globi-message-list.h"
#include "globi-server-private.h"
#include "sync-client.h"

/* Device linking end to end: a real server thread, real sessions and messengers, the
 * real sealed payload and history bundle. */

typedef struct
{
  CoreFixture f;
  Client alice;
  Client bob;
} Fixture;

static void
client_clear (Client *c)
{
  if (c->messenger)
    globi_messenger_stop (c->messenger);
  g_clear_object (&c->messenger);
  g_clear_object (&c->session);
}

static void
wait_action (Client *c, GAsyncResult **pending)
{
  g_autoptr (GAsyncResult) result = wait_result (pending);
  g_autoptr (GError) error = NULL;

  g_assert_true (globi_messenger_finish (c->messenger, result, &error));
  g_assert_no_error (error);
}

/* Sent, and out of the outbox before the next step. */
static void
send_flushed (Client *c, const char *chat_id, const char *text)
{
  g_autoptr (GlobiMessage) m = send_text (c, chat_id, text);
  GAsyncResult *pending = NULL;

  globi_messenger_flush_async (c->messenger, NULL, on_result_cb, &pending);
  wait_action (c, &pending);
}

#define FILE_CONTENTS "what the new laptop must be able to open"

static void
send_file (Fixture *fx, Client *c, const char *chat_id, const char *name, const char *contents)
{
  g_autofree char *path = core_fixture_profile (&fx->f, name);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) m = NULL;
  GAsyncResult *pending = NULL;

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  globi_messenger_send_file_async (c->messenger, chat_id, file, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  m = globi_messenger_send_finish (c->messenger, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  globi_messenger_flush_async (c->messenger, NULL, on_result_cb, &pending);
  wait_action (c, &pending);
}

static void
client_register (Fixture *fx, Client *c, const char *name)
{
  g_autofree char *dir = core_fixture_profile (&fx->f, name);

  c->session = globi_session_new (dir);
  session_register (c->session, fx->f.base_url, name, PASSWORD);
  start_messenger (c);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GAsyncResult *pending = NULL;

  core_fixture_setup (&fx->f, data);
  client_register (fx, &fx->alice, "alice");
  client_register (fx, &fx->bob, "bob");
  globi_messenger_request_friend_async (fx->alice.messenger,
                                        globi_session_get_user_id (fx->bob.session), "hi", NULL,
                                        on_result_cb, &pending);
  wait_action (&fx->alice, &pending);
  globi_messenger_refresh_async (fx->bob.messenger, NULL, on_result_cb, &pending);
  wait_action (&fx->bob, &pending);
  globi_messenger_accept_friend_async (fx->bob.messenger,
                                       globi_session_get_user_id (fx->alice.session), NULL,
                                       on_result_cb, &pending);
  wait_action (&fx->bob, &pending);
  globi_messenger_refresh_async (fx->alice.messenger, NULL, on_result_cb, &pending);
  wait_action (&fx->alice, &pending);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  client_clear (&fx->alice);
  client_clear (&fx->bob);
  core_fixture_teardown (&fx->f, data);
}

static GlobiServer *
fixture_server (Fixture *fx)
{
  return globi_server_thread_get_server (fx->f.thread);
}

/* The new device's side */

static GlobiDeviceLink *
new_link (Fixture *fx, const char *profile, GlobiSession **out_session)
{
  g_autofree char *dir = core_fixture_profile (&fx->f, profile);
  GlobiDeviceLink *link;

  *out_session = globi_session_new (dir);
  link = globi_device_link_new (*out_session, fx->f.base_url, "Alice's new laptop");
  globi_device_link_set_max_refreshes (link, 0);
  globi_device_link_start (link);
  return link;
}

static void
wait_state (GlobiDeviceLink *link, GlobiDeviceLinkState state)
{
  while (globi_device_link_get_state (link) != state)
    {
      GlobiDeviceLinkState now = globi_device_link_get_state (link);

      if (now == GLOBI_DEVICE_LINK_STATE_FAILED)
        g_error ("link failed: %s", globi_device_link_get_error_message (link));
      g_assert_true (now != GLOBI_DEVICE_LINK_STATE_EXPIRED ||
                     state == GLOBI_DEVICE_LINK_STATE_EXPIRED);
      g_main_context_iteration (NULL, TRUE);
    }
}

static char *
wait_uri (GlobiDeviceLink *link)
{
  while (!globi_device_link_get_uri (link))
    {
      g_assert_cmpint (globi_device_link_get_state (link), ==, GLOBI_DEVICE_LINK_STATE_WAITING);
      g_main_context_iteration (NULL, TRUE);
    }
  return g_strdup (globi_device_link_get_uri (link));
}

/* The approver's side */

static JsonObject *
scan (GlobiSession *session, const char *uri, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_device_link_scan_async (session, uri, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  return globi_device_link_scan_finish (session, result, error);
}

static gboolean
approve (GlobiSession *session, GlobiMessenger *messenger, const char *uri, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_device_link_approve_async (session, messenger, uri, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  return globi_device_link_approve_finish (session, result, error);
}

static gboolean
decline (GlobiSession *session, const char *uri, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_device_link_decline_async (session, uri, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  return globi_device_link_decline_finish (session, result, error);
}

/* Raw HTTP, for what the core never sends */

static JsonNode *
rest (Fixture *fx,
      const char *method,
      const char *path,
      const char *body,
      const char *token,
      guint *status)
{
  g_autoptr (SoupSession) soup = soup_session_new ();
  g_autofree char *url = g_strconcat (fx->f.base_url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (body)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  if (token)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    bearer);
    }
  reply = soup_session_send_and_read (soup, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  if (g_bytes_get_size (reply) == 0)
    return NULL;
  /* The body is not NUL-terminated. */
  text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  return json_from_string (text, NULL);
}

static const char *
error_code (JsonNode *node)
{
  JsonObject *err = json_object_get_object_member (json_node_get_object (node), "error");

  return json_object_get_string_member (err, "code");
}

static char *
random_token (void)
{
  guint8 raw[32];

  randombytes_buf (raw, sizeof raw);
  return globi_base64url_encode (raw, sizeof raw);
}

static char *
valid_key (void)
{
  guint8 pk[crypto_box_PUBLICKEYBYTES];
  guint8 sk[crypto_box_SECRETKEYBYTES];

  crypto_box_keypair (pk, sk);
  return globi_base64url_encode (pk, sizeof pk);
}

static JsonObject *
create_ticket (Fixture *fx)
{
  g_autofree char *key = valid_key ();
  g_autofree char *body =
      g_strdup_printf ("{\"public_key\": \"%s\", \"device\": {\"name\": \"cli\"}}", key);
  g_autoptr (JsonNode) reply = NULL;
  guint status = 0;

  reply = rest (fx, "POST", "/v1/link/tickets", body, NULL, &status);
  g_assert_cmpuint (status, ==, 201);
  return json_object_ref (json_node_get_object (reply));
}

static guint
poll_status (Fixture *fx, const char *ticket, const char *secret, char **state)
{
  g_autofree char *path = g_strdup_printf ("/v1/link/tickets/%s/poll", ticket);
  g_autofree char *body = g_strdup_printf ("{\"poll_secret\": \"%s\"}", secret);
  g_autoptr (JsonNode) reply = NULL;
  guint status = 0;

  reply = rest (fx, "POST", path, body, NULL, &status);
  if (state)
    *state = status == 200
                 ? g_strdup (json_object_get_string_member (json_node_get_object (reply), "state"))
                 : NULL;
  return status;
}

static char *
access_token (GlobiSession *session)
{
  return globi_client_dup_access_token (globi_session_get_client (session));
}

/* Tests */

static void
test_flow (Fixture *fx, gconstpointer data)
{
  g_autofree char *bob_chat = globi_chat_id_for_user (globi_session_get_user_id (fx->bob.session));
  g_autofree char *alice_chat =
      globi_chat_id_for_user (globi_session_get_user_id (fx->alice.session));
  g_autoptr (GlobiSession) new_session = NULL;
  g_autoptr (GlobiDeviceLink) link = NULL;
  g_autoptr (JsonObject) ticket = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) synced = NULL;
  g_autofree char *uri = NULL;
  Client fresh = { 0 };

  core_reset_undecryptable ();
  send_flushed (&fx->alice, bob_chat, "one from alice");
  send_flushed (&fx->bob, alice_chat, "two from bob");
  g_clear_pointer (&synced, g_ptr_array_unref);
  synced = sync_client (&fx->alice);
  send_flushed (&fx->alice, bob_chat, "three from alice");
  send_file (fx, &fx->alice, bob_chat, "notes.txt", FILE_CONTENTS);

  link = new_link (fx, "alice-new", &new_session);
  uri = wait_uri (link);
  g_assert_true (g_str_has_prefix (uri, "globichat://link?t="));

  ticket = scan (fx->alice.session, uri, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (ticket, "device"), "name"), ==,
      "Alice's new laptop");
  g_assert_cmpstr (json_object_get_string_member (ticket, "state"), ==, "scanned");
  wait_state (link, GLOBI_DEVICE_LINK_STATE_SCANNED);
  g_assert_nonnull (globi_device_link_get_scanner (link));
  g_assert_cmpstr (globi_profile_get_id (globi_device_link_get_scanner (link)), ==,
                   globi_session_get_user_id (fx->alice.session));

  g_assert_true (approve (fx->alice.session, fx->alice.messenger, uri, &error));
  g_assert_no_error (error);
  wait_state (link, GLOBI_DEVICE_LINK_STATE_SIGNED_IN);

  /* The same account, a device of its own. */
  g_assert_cmpint (globi_session_get_state (new_session), ==, GLOBI_SESSION_STATE_SIGNED_IN);
  g_assert_cmpstr (globi_session_get_user_id (new_session), ==,
                   globi_session_get_user_id (fx->alice.session));
  g_assert_cmpstr (globi_session_get_device_id (new_session), !=,
                   globi_session_get_device_id (fx->alice.session));
  g_assert_cmpstr (globi_profile_get_username (globi_session_get_me (new_session)), ==, "alice");

  /* The history it received, decrypted into its own cache. */
  fresh.session = g_object_ref (new_session);
  start_messenger (&fresh);
  {
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (GPtrArray) history = NULL;
    GAsyncResult *pending = NULL;

    globi_cache_load_messages_before_async (globi_messenger_get_cache (fresh.messenger), bob_chat,
                                            NULL, 100, NULL, on_result_cb, &pending);
    result = wait_result (&pending);
    history = globi_cache_load_messages_before_finish (globi_messenger_get_cache (fresh.messenger),
                                                       result, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (history->len, ==, 4);
    g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (history, 0)), ==, "one from alice");
    g_assert_true (globi_message_get_outgoing (g_ptr_array_index (history, 0)));
    g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (history, 1)), ==, "two from bob");
    g_assert_false (globi_message_get_outgoing (g_ptr_array_index (history, 1)));
    g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (history, 2)), ==,
                     "three from alice");
    /* The file came with its key: the new device opens it. */
    g_assert_cmpstr (globi_message_get_attachment_name (g_ptr_array_index (history, 3)), ==,
                     "notes.txt");
    {
      g_autoptr (GAsyncResult) downloaded = NULL;
      g_autoptr (GBytes) bytes = NULL;

      globi_messenger_download_attachment_async (fresh.messenger, g_ptr_array_index (history, 3),
                                                 NULL, on_result_cb, &pending);
      downloaded = wait_result (&pending);
      bytes = globi_messenger_download_attachment_finish (fresh.messenger, downloaded, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), FILE_CONTENTS,
                       strlen (FILE_CONTENTS));
    }
  }

  /* It sends and receives like any device of the account, in any order: here Bob writes
   * to it and it writes to Bob before either has heard from the other, so both start a
   * session (X3DH) at once, and the replies after that still decrypt on both ends. */
  send_flushed (&fx->bob, alice_chat, "four to every device");
  send_flushed (&fresh, bob_chat, "five from the new laptop");
  g_clear_pointer (&synced, g_ptr_array_unref);
  synced = sync_client (&fx->bob);
  g_assert_true (core_messages_have_text (synced, "five from the new laptop"));
  g_clear_pointer (&synced, g_ptr_array_unref);
  synced = sync_client (&fresh);
  g_assert_true (core_messages_have_text (synced, "four to every device"));
  send_flushed (&fx->bob, alice_chat, "six to every device");
  send_flushed (&fresh, bob_chat, "seven from the new laptop");
  g_clear_pointer (&synced, g_ptr_array_unref);
  synced = sync_client (&fresh);
  g_assert_true (core_messages_have_text (synced, "six to every device"));
  g_clear_pointer (&synced, g_ptr_array_unref);
  synced = sync_client (&fx->bob);
  g_assert_true (core_messages_have_text (synced, "seven from the new laptop"));
  g_clear_pointer (&synced, g_ptr_array_unref);
  synced = sync_client (&fx->alice);
  g_assert_true (core_messages_have_text (synced, "six to every device"));
  g_assert_true (core_messages_have_text (synced, "seven from the new laptop"));
  /* Not one ciphertext in the whole flow failed to decrypt (the messages that crossed
   * at the start included). */
  g_assert_cmpint (core_undecryptable (), ==, 0);

  /* One use: the code is dead now. */
  g_assert_false (approve (fx->alice.session, fx->alice.messenger, uri, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
  client_clear (&fresh);
}

static void
test_decline (Fixture *fx, gconstpointer data)
{
  g_autoptr (GlobiSession) new_session = NULL;
  g_autoptr (GlobiDeviceLink) link = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;

  link = new_link (fx, "declined", &new_session);
  uri = wait_uri (link);
  g_assert_true (decline (fx->alice.session, uri, &error));
  g_assert_no_error (error);
  wait_state (link, GLOBI_DEVICE_LINK_STATE_DECLINED);
  g_assert_cmpint (globi_session_get_state (new_session), ==, GLOBI_SESSION_STATE_SIGNED_OUT);
  /* Declined for good: approving afterwards is refused. */
  g_assert_false (approve (fx->alice.session, NULL, uri, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
}

static void
test_expiry (Fixture *fx, gconstpointer data)
{
  g_autoptr (GlobiSession) new_session = NULL;
  g_autoptr (GlobiDeviceLink) link = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *second = NULL;

  link = new_link (fx, "expired", &new_session);
  uri = wait_uri (link);
  globi_server_set_clock_offset (fixture_server (fx), 61);
  wait_state (link, GLOBI_DEVICE_LINK_STATE_EXPIRED);
  g_assert_false (approve (fx->alice.session, NULL, uri, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Refresh: a new code with a new key works. */
  globi_device_link_start (link);
  while (g_strcmp0 (globi_device_link_get_uri (link), uri) == 0)
    g_main_context_iteration (NULL, TRUE);
  second = g_strdup (globi_device_link_get_uri (link));
  g_assert_cmpstr (strstr (second, "&k="), !=, strstr (uri, "&k="));
  g_assert_true (approve (fx->alice.session, NULL, second, &error));
  g_assert_no_error (error);
  wait_state (link, GLOBI_DEVICE_LINK_STATE_SIGNED_IN);
  g_assert_cmpstr (globi_session_get_user_id (new_session), ==,
                   globi_session_get_user_id (fx->alice.session));
}

static gboolean
uri_changed (GlobiDeviceLink *link, const char *first)
{
  return g_strcmp0 (globi_device_link_get_uri (link), first) != 0;
}

static void
test_refresh (Fixture *fx, gconstpointer data)
{
  g_autofree char *dir = core_fixture_profile (&fx->f, "refreshing");
  g_autoptr (GlobiSession) new_session = globi_session_new (dir);
  g_autoptr (GlobiDeviceLink) link = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;

  link = globi_device_link_new (new_session, fx->f.base_url, "Refreshing laptop");
  globi_device_link_set_max_refreshes (link, 1);
  globi_device_link_set_refresh_interval (link, 1);
  globi_device_link_start (link);
  first = wait_uri (link);
  /* A new code replaces the shown one; the same one-time key, a new ticket. */
  while (!uri_changed (link, first))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (strstr (globi_device_link_get_uri (link), "&k="), ==, strstr (first, "&k="));
  /* Someone scanned the code just before it changed: it still works. */
  g_assert_true (approve (fx->alice.session, NULL, first, &error));
  g_assert_no_error (error);
  wait_state (link, GLOBI_DEVICE_LINK_STATE_SIGNED_IN);
  g_assert_cmpstr (globi_session_get_user_id (new_session), ==,
                   globi_session_get_user_id (fx->alice.session));
}

static void
test_scanned_expires (Fixture *fx, gconstpointer data)
{
  g_autoptr (GlobiSession) new_session = NULL;
  g_autoptr (GlobiDeviceLink) link = NULL;
  g_autoptr (JsonObject) ticket = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;

  link = new_link (fx, "scanned", &new_session);
  uri = wait_uri (link);
  ticket = scan (fx->alice.session, uri, &error);
  g_assert_no_error (error);
  wait_state (link, GLOBI_DEVICE_LINK_STATE_SCANNED);
  /* Scanning gave two minutes to confirm: 61 s is not enough to expire it, 121 s is. */
  globi_server_set_clock_offset (fixture_server (fx), 61);
  g_clear_pointer (&ticket, json_object_unref);
  ticket = scan (fx->alice.session, uri, &error);
  g_assert_no_error (error);
  globi_server_set_clock_offset (fixture_server (fx), 61 + 121);
  wait_state (link, GLOBI_DEVICE_LINK_STATE_EXPIRED);
}

static void
test_replay_poll (Fixture *fx, gconstpointer data)
{
  g_autoptr (JsonObject) created = create_ticket (fx);
  const char *ticket = json_object_get_string_member (created, "ticket");
  const char *secret = json_object_get_string_member (created, "poll_secret");
  g_autofree char *uri = NULL;
  g_autofree char *state = NULL;
  g_autofree char *path = g_strdup_printf ("/v1/link/tickets/%s/poll", ticket);
  g_autofree char *body = g_strdup_printf ("{\"poll_secret\": \"%s\"}", secret);
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *obj;
  guint status = 0;

  g_assert_cmpuint (poll_status (fx, ticket, secret, &state), ==, 200);
  g_assert_cmpstr (state, ==, "waiting");
  g_assert_cmpint (json_object_get_int_member (created, "expires_at") -
                       json_object_get_int_member (created, "created_at"),
                   ==, 60000);

  /* A code with a malformed key never reaches the server. */
  uri = g_strdup_printf ("globichat://link?t=%s&k=%s", ticket, "AAAA");
  g_assert_false (approve (fx->alice.session, NULL, uri, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  {
    g_autofree char *other_key = valid_key ();
    g_autofree char *swapped = g_strdup_printf ("globichat://link?t=%s&k=%s", ticket, other_key);

    /* A code whose key is not the ticket's is refused before anything is sealed to it. */
    g_assert_false (approve (fx->alice.session, NULL, swapped, &error));
    g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
    g_clear_error (&error);
  }

  /* Approve with a raw payload, then the first poll gets the tokens, the second a 404. */
  {
    g_autofree char *token = access_token (fx->alice.session);
    g_autofree char *approve_path = g_strdup_printf ("/v1/link/tickets/%s/approve", ticket);
    g_autoptr (JsonNode) none =
        rest (fx, "POST", approve_path, "{\"payload\": \"AQID\"}", token, &status);

    g_assert_cmpuint (status, ==, 204);
  }
  reply = rest (fx, "POST", path, body, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  obj = json_node_get_object (reply);
  g_assert_cmpstr (json_object_get_string_member (obj, "state"), ==, "approved");
  g_assert_cmpstr (json_object_get_string_member (obj, "payload"), ==, "AQID");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (obj, "tokens"), "user_id"), ==,
      globi_session_get_user_id (fx->alice.session));
  g_assert_cmpuint (poll_status (fx, ticket, secret, NULL), ==, 404);
}

static void
test_guessed_and_wrong_secret (Fixture *fx, gconstpointer data)
{
  g_autoptr (JsonObject) created = create_ticket (fx);
  const char *ticket = json_object_get_string_member (created, "ticket");
  const char *secret = json_object_get_string_member (created, "poll_secret");
  g_autofree char *guess = random_token ();
  g_autofree char *wrong = random_token ();
  g_autofree char *key = valid_key ();
  g_autofree char *uri = g_strdup_printf ("globichat://link?t=%s&k=%s", guess, key);
  g_autofree char *state = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) none = NULL;

  /* A guessed ticket: the same 404 whoever asks. */
  none = scan (fx->alice.session, uri, &error);
  g_assert_null (none);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (poll_status (fx, guess, secret, NULL), ==, 404);
  /* The right ticket with a wrong secret looks exactly like an unknown ticket. */
  g_assert_cmpuint (poll_status (fx, ticket, wrong, NULL), ==, 404);
  g_assert_cmpuint (poll_status (fx, ticket, secret, &state), ==, 200);
  g_assert_cmpstr (state, ==, "waiting");
}

static void
test_other_account (Fixture *fx, gconstpointer data)
{
  g_autoptr (GlobiSession) new_session = NULL;
  g_autoptr (GlobiDeviceLink) link = NULL;
  g_autoptr (JsonObject) ticket = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;

  link = new_link (fx, "contested", &new_session);
  uri = wait_uri (link);
  ticket = scan (fx->bob.session, uri, &error);
  g_assert_no_error (error);
  /* Bob scanned first: Alice can neither approve nor decline it. */
  g_assert_false (approve (fx->alice.session, NULL, uri, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (decline (fx->alice.session, uri, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* Bob's approval puts the device in Bob's account, not Alice's. */
  g_assert_true (approve (fx->bob.session, fx->bob.messenger, uri, &error));
  g_assert_no_error (error);
  wait_state (link, GLOBI_DEVICE_LINK_STATE_SIGNED_IN);
  g_assert_cmpstr (globi_session_get_user_id (new_session), ==,
                   globi_session_get_user_id (fx->bob.session));
}

static void
test_signed_out (Fixture *fx, gconstpointer data)
{
  g_autoptr (JsonObject) created = create_ticket (fx);
  const char *ticket = json_object_get_string_member (created, "ticket");
  g_autofree char *key = valid_key ();
  g_autofree char *uri = g_strdup_printf ("globichat://link?t=%s&k=%s", ticket, key);
  g_autofree char *dir = core_fixture_profile (&fx->f, "nobody");
  g_autoptr (GlobiSession) nobody = globi_session_new (dir);
  g_autofree char *scan_path = g_strdup_printf ("/v1/link/tickets/%s/scan", ticket);
  g_autofree char *approve_path = g_strdup_printf ("/v1/link/tickets/%s/approve", ticket);
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;
  guint status = 0;

  g_assert_false (approve (nobody, NULL, uri, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED);
  reply = rest (fx, "POST", scan_path, NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 401);
  g_clear_pointer (&reply, json_node_unref);
  reply = rest (fx, "POST", approve_path, "{\"payload\": \"AQID\"}", "not.a.token", &status);
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpstr (error_code (reply), ==, "unauthorized");
}

static void
test_malformed (Fixture *fx, gconstpointer data)
{
  g_autoptr (JsonObject) created = create_ticket (fx);
  const char *ticket = json_object_get_string_member (created, "ticket");
  const char *secret = json_object_get_string_member (created, "poll_secret");
  g_autofree char *key = valid_key ();
  g_autofree char *token = access_token (fx->alice.session);
  g_autofree char *approve_path = g_strdup_printf ("/v1/link/tickets/%s/approve", ticket);
  g_autofree char *long_name = g_strnfill (65, 'x');
  g_autofree char *huge = g_strnfill (43692, 'A');
  g_autofree char *state = NULL;
  struct
  {
    const char *body_format;
    const char *code;
  } creates[] = {
    { "{\"public_key\": \"%s\"}", "invalid_field" },
    { "{\"public_key\": \"short\", \"device\": {\"name\": \"x\"}}", "invalid_field" },
    { "{\"public_key\": \"%s\", \"device\": {\"name\": \"%s\"}}", "invalid_field" },
    { "{\"public_key\": \"%s\", \"device\": {\"name\": \"x\"}, \"extra\": 1}", "invalid_field" },
    { "{\"public_key\": \"%s\", \"device\": {\"name\": \"   \"}}", "invalid_field" },
    { "[1, 2]", "bad_request" },
    { "{not json", "bad_request" },
  };
  const char *const bad_uris[] = {
    "globichat://link?t=abc&k=def",
    "globichat://add?t=x",
    "globichat://link?k=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "globichat://"
    "link?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&k="
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&x=1",
    "globichat://"
    "link?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&k="
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&s=%%%",
    "globichat://link?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "",
  };
  guint status = 0;

  for (guint i = 0; i < G_N_ELEMENTS (creates); i++)
    {
      g_autofree char *body = NULL;
      g_autoptr (JsonNode) reply = NULL;

      /* The table's formats take (key, long_name) and may ignore either. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      body = g_strdup_printf (creates[i].body_format, key, long_name);
#pragma GCC diagnostic pop
      reply = rest (fx, "POST", "/v1/link/tickets", body, NULL, &status);
      g_assert_cmpuint (status, ==, 400);
      g_assert_cmpstr (error_code (reply), ==, creates[i].code);
    }

  /* Payloads: empty, not base64url, over 32 KiB, missing. None changes the ticket. */
  {
    const char *payloads[] = { "{\"payload\": \"\"}", "{\"payload\": \"!!!!\"}", "{\"payload\": 5}",
                               "{}" };

    for (guint i = 0; i < G_N_ELEMENTS (payloads); i++)
      {
        g_autoptr (JsonNode) reply = rest (fx, "POST", approve_path, payloads[i], token, &status);

        g_assert_cmpuint (status, ==, 400);
      }
  }
  {
    g_autofree char *body = g_strdup_printf ("{\"payload\": \"%s\"}", huge);
    g_autoptr (JsonNode) reply = rest (fx, "POST", approve_path, body, token, &status);

    g_assert_cmpuint (status, ==, 400);
  }
  g_assert_cmpuint (poll_status (fx, ticket, secret, &state), ==, 200);
  g_assert_cmpstr (state, ==, "waiting");

  /* Malformed tickets and secrets in requests. */
  g_assert_cmpuint (poll_status (fx, "short", secret, NULL), ==, 404);
  g_assert_cmpuint (poll_status (fx, ticket, "short", NULL), ==, 400);

  for (guint i = 0; i < G_N_ELEMENTS (bad_uris); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiLinkCode) code = globi_link_code_parse (bad_uris[i], &error);

      g_assert_null (code);
      g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
    }
  {
    g_autofree char *too_long = g_strnfill (5000, 'a');
    g_autofree char *uri = g_strconcat ("globichat://link?t=", too_long, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (GlobiLinkCode) code = globi_link_code_parse (uri, &error);

    g_assert_null (code);
    g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
  }
  /* A code for another server is refused by the approver. */
  {
    g_autofree char *server = globi_base64url_encode ((const guint8 *) "http://elsewhere.example",
                                                      strlen ("http://elsewhere.example"));
    g_autofree char *uri = g_strdup_printf ("globichat://link?t=%s&k=%s&s=%s", ticket, key, server);
    g_autoptr (GError) error = NULL;

    g_assert_false (approve (fx->alice.session, NULL, uri, &error));
    g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
  }
}

static void
test_rate_limit (Fixture *fx, gconstpointer data)
{
  g_autofree char *key = valid_key ();
  g_autofree char *body =
      g_strdup_printf ("{\"public_key\": \"%s\", \"device\": {\"name\": \"x\"}}", key);
  guint status = 0;
  guint created = 0;

  for (guint i = 0; i < 61; i++)
    {
      g_autoptr (JsonNode) reply = rest (fx, "POST", "/v1/link/tickets", body, NULL, &status);

      if (status == 201)
        created++;
      else
        g_assert_cmpuint (status, ==, 429);
    }
  g_assert_cmpuint (created, ==, 60);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_test_init (&argc, &argv, NULL);
  core_watch_undecryptable ();

#define ADD(path, func) \
  g_test_add ("/globi/link/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("flow", test_flow);
  ADD ("decline", test_decline);
  ADD ("expiry", test_expiry);
  ADD ("refresh", test_refresh);
  ADD ("scanned-expires", test_scanned_expires);
  ADD ("replay", test_replay_poll);
  ADD ("guessed-ticket-and-wrong-secret", test_guessed_and_wrong_secret);
  ADD ("other-account", test_other_account);
  ADD ("signed-out", test_signed_out);
  ADD ("malformed", test_malformed);
  ADD ("rate-limit", test_rate_limit);
#undef ADD
  return g_test_run ();
}
