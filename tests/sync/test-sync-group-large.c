/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-error.h"
#include "globi-id.h"
#include "core-fixture.h"

#define PASSWORD  "correct horse battery"
#define GROUP_MAX 500

static JsonNode *
call (GlobiSession *session, const char *method, const char *path, JsonNode *body, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;
  GlobiClient *client = globi_session_get_client (session);

  globi_client_call_async (client, method, path, body, GLOBI_CALL_FLAGS_AUTH, NULL, on_result_cb,
                           &pending);
  result = wait_result (&pending);
  return globi_client_call_finish (client, result, error);
}

/* A member as cheap as it gets: an account and a session, no messenger. */
static GlobiSession *
cheap_member (CoreFixture *f, GlobiSession *owner, guint i)
{
  g_autofree char *name = g_strdup_printf ("member%03u", i);
  g_autofree char *dir = core_fixture_profile (f, name);
  g_autofree char *id = globi_id_new ();
  g_autofree char *request = NULL;
  g_autofree char *accept = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (JsonNode) accepted = NULL;
  g_autoptr (GError) error = NULL;
  GlobiSession *session = globi_session_new (dir);

  session_register (session, f->base_url, name, PASSWORD);
  request = g_strdup_printf ("{\"id\":\"%s\",\"to\":\"%s\"}", id, name);
  {
    g_autoptr (JsonNode) body = json_from_string (request, NULL);
    reply = call (owner, "POST", "/v1/friends/requests", body, &error);
  }
  g_assert_no_error (error);
  accept = g_strdup_printf (
      "/v1/friends/requests/%s/accept",
      json_object_get_string_member (
          json_object_get_object_member (json_node_get_object (reply), "request"), "id"));
  accepted = call (session, "POST", accept, NULL, &error);
  g_assert_no_error (error);
  return session;
}

static void
test_group_of_500 (CoreFixture *f, gconstpointer data)
{
  g_autofree char *alice_dir = core_fixture_profile (f, "alice");
  g_autofree char *bob_dir = core_fixture_profile (f, "bob");
  g_autoptr (GlobiSession) alice = globi_session_new (alice_dir);
  g_autoptr (GlobiSession) bob = NULL;
  g_autoptr (GlobiMessenger) alice_m = NULL;
  g_autoptr (GlobiMessenger) bob_m = NULL;
  g_autoptr (GStrvBuilder) ids = g_strv_builder_new ();
  g_auto (GStrv) member_ids = NULL;
  g_autoptr (GlobiSession) extra = NULL;
  g_autoptr (GlobiGroup) group = NULL;
  g_autoptr (GlobiMessage) message = NULL;
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *chat_id = NULL;
  const char *one[2] = { NULL, NULL };
  GAsyncResult *pending = NULL;

  session_register (alice, f->base_url, "alice", PASSWORD);
  bob = cheap_member (f, alice, 0);
  g_strv_builder_add (ids, globi_session_get_user_id (bob));
  for (guint i = 1; i < GROUP_MAX - 1; i++)
    {
      /* Dropped at once: 500 idle keep-alive connections would only cost the server. */
      g_autoptr (GlobiSession) member = cheap_member (f, alice, i);
      g_strv_builder_add (ids, globi_session_get_user_id (member));
    }
  extra = cheap_member (f, alice, GROUP_MAX);
  member_ids = g_strv_builder_end (ids);
  g_assert_cmpuint (g_strv_length (member_ids), ==, GROUP_MAX - 1);

  alice_m = globi_messenger_new (alice);
  globi_messenger_start_async (alice_m, FALSE, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_messenger_start_finish (alice_m, result, &error));
  g_clear_object (&result);
  bob_m = globi_messenger_new (bob);
  globi_messenger_start_async (bob_m, FALSE, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_messenger_start_finish (bob_m, result, &error));
  g_clear_object (&result);

  globi_messenger_create_group_async (alice_m, "Five hundred", (const char *const *) member_ids,
                                      NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  group = globi_messenger_group_finish (alice_m, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (globi_group_get_member_count (group), ==, GROUP_MAX);
  g_clear_object (&result);

  /* The 501st is refused, and nobody of that call is added. */
  one[0] = globi_session_get_user_id (extra);
  globi_messenger_add_members_async (alice_m, globi_group_get_id (group), one, NULL, on_result_cb,
                                     &pending);
  result = wait_result (&pending);
  g_assert_false (globi_messenger_finish (alice_m, result, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_GROUP_FULL);
  g_clear_error (&error);
  g_clear_object (&result);

  /* Fan-out: one group ciphertext; the member with keys gets it and can read it. */
  chat_id = globi_chat_id_for_group (globi_group_get_id (group));
  globi_messenger_send_text_async (alice_m, chat_id, "hello 499 people", NULL, NULL, NULL,
                                   on_result_cb, &pending);
  result = wait_result (&pending);
  message = globi_messenger_send_finish (alice_m, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  globi_messenger_flush_async (alice_m, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_clear_object (&result);
  g_assert_cmpint (globi_message_get_state (message), ==, GLOBI_DELIVERY_STATE_SENT);

  globi_messenger_sync_async (bob_m, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  at_bob = globi_messenger_sync_finish (bob_m, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (at_bob->len, ==, 1);
  g_assert_cmpstr (globi_message_get_text (g_ptr_array_index (at_bob, 0)), ==, "hello 499 people");
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/globi/sync/group/five-hundred", CoreFixture, NULL, core_fixture_setup,
              test_group_of_500, core_fixture_teardown);
  return g_test_run ();
}
