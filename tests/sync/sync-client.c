/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "globi-message-list.h"
#include "sync-client.h"


void
client_free (Client *c)
{
  g_clear_object (&c->messenger);
  g_clear_object (&c->session);
  g_free (c->profile_dir);
  g_free (c);
}

void
start_messenger (Client *c)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  c->messenger = globi_messenger_new (c->session);
  globi_messenger_start_async (c->messenger, FALSE, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_messenger_start_finish (c->messenger, result, &error));
  g_assert_no_error (error);
}

/* A new account, or (sign_in) a new device of an existing one. */
Client *
client_new (CoreFixture *f, const char *username, const char *profile, gboolean sign_in)
{
  Client *c = g_new0 (Client, 1);

  c->profile_dir = core_fixture_profile (f, profile);
  c->session = globi_session_new (c->profile_dir);
  if (sign_in)
    session_sign_in (c->session, f->base_url, username, PASSWORD);
  else
    session_register (c->session, f->base_url, username, PASSWORD);
  start_messenger (c);
  return c;
}

gboolean
wait_finish (Client *c, GAsyncResult **pending, GError **error)
{
  g_autoptr (GAsyncResult) result = wait_result (pending);

  return globi_messenger_finish (c->messenger, result, error);
}

void
befriend (Client *a, Client *b)
{
  GAsyncResult *pending = NULL;
  g_autoptr (GError) error = NULL;

  globi_messenger_request_friend_async (a->messenger, globi_session_get_user_id (b->session), "hi",
                                        NULL, on_result_cb, &pending);
  g_assert_true (wait_finish (a, &pending, &error));
  g_assert_no_error (error);
  globi_messenger_refresh_async (b->messenger, NULL, on_result_cb, &pending);
  g_assert_true (wait_finish (b, &pending, &error));
  g_assert_cmpuint (g_list_model_get_n_items (globi_messenger_get_requests (b->messenger)), ==, 1);
  globi_messenger_accept_friend_async (b->messenger, globi_session_get_user_id (a->session), NULL,
                                       on_result_cb, &pending);
  g_assert_true (wait_finish (b, &pending, &error));
  g_assert_no_error (error);
  globi_messenger_refresh_async (a->messenger, NULL, on_result_cb, &pending);
  g_assert_true (wait_finish (a, &pending, &error));
}

char *
chat_with (Client *other)
{
  return globi_chat_id_for_user (globi_session_get_user_id (other->session));
}

GlobiMessage *
send_text (Client *c, const char *chat_id, const char *text)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  GlobiMessage *m;

  globi_messenger_send_text_async (c->messenger, chat_id, text, NULL, NULL, NULL, on_result_cb,
                                   &pending);
  result = wait_result (&pending);
  m = globi_messenger_send_finish (c->messenger, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

void
flush (Client *c)
{
  GAsyncResult *pending = NULL;

  globi_messenger_flush_async (c->messenger, NULL, on_result_cb, &pending);
  wait_finish (c, &pending, NULL);
}

GPtrArray *
sync_client (Client *c)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  GPtrArray *messages;

  globi_messenger_sync_async (c->messenger, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  messages = globi_messenger_sync_finish (c->messenger, result, &error);
  g_assert_no_error (error);
  return messages;
}

GlobiMessage *
message_at (GPtrArray *messages, guint i)
{
  return g_ptr_array_index (messages, i);
}

GlobiMessage *
loaded_message_at (GListModel *messages, guint i)
{
  while (!globi_message_list_is_ready (GLOBI_MESSAGE_LIST (messages)))
    g_main_context_iteration (NULL, TRUE);
  while (!globi_message_list_is_loaded (GLOBI_MESSAGE_LIST (messages), i))
    {
      g_autoptr (GlobiMessage) placeholder = g_list_model_get_item (messages, i);
      g_main_context_iteration (NULL, TRUE);
    }
  return g_list_model_get_item (messages, i);
}

GlobiMessage *
find_live (Client *c, const char *chat_id, const char *id)
{
  GListModel *messages =
      globi_chat_get_messages (globi_messenger_open_chat (c->messenger, chat_id));

  while (!globi_message_list_is_ready (GLOBI_MESSAGE_LIST (messages)))
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr (GlobiMessage) m = loaded_message_at (messages, i);

      if (g_strcmp0 (globi_message_get_id (m), id) == 0)
        return m; /* the model keeps it */
    }
  return NULL;
}

JsonNode *
call (Client *c, const char *method, const char *path, const char *body_json, GError **error)
{
  g_autoptr (JsonNode) body = body_json ? json_from_string (body_json, NULL) : NULL;
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;
  GlobiClient *client = globi_session_get_client (c->session);

  globi_client_call_async (client, method, path, body, GLOBI_CALL_FLAGS_AUTH, NULL, on_result_cb,
                           &pending);
  result = wait_result (&pending);
  return globi_client_call_finish (client, result, error);
}

void
restart_server (CoreFixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = g_uri_parse (f->base_url, G_URI_FLAGS_NONE, &error);

  g_assert_no_error (error);
  core_fixture_stop (f);
  f->config->port = g_uri_get_port (uri);
  f->thread = globi_server_thread_new (f->config, &error);
  g_assert_no_error (error);
}

void
drop_messenger (Client *c)
{
  GlobiMessenger *messenger = c->messenger;

  g_object_add_weak_pointer (G_OBJECT (messenger), (gpointer *) &messenger);
  g_clear_object (&c->messenger);
  /* Its last jobs hold it a moment longer; its cache closes with it. */
  while (messenger != NULL)
    g_main_context_iteration (NULL, TRUE);
}

void
client_go_live (Client *c)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  globi_messenger_start_async (c->messenger, TRUE, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_messenger_start_finish (c->messenger, result, &error));
  g_assert_no_error (error);
  while (globi_messenger_get_stream_state (c->messenger) != GLOBI_STREAM_STATE_ONLINE)
    g_main_context_iteration (NULL, TRUE);
}

static void
on_collected_cb (GlobiMessenger *messenger, GlobiChat *chat, GlobiMessage *message, gpointer data)
{
  g_ptr_array_add (data, g_object_ref (message));
}

void
collect_received (Client *c, GPtrArray *received)
{
  g_signal_connect (c->messenger, "message-received", G_CALLBACK (on_collected_cb), received);
}

void
wait_received (GPtrArray *received, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (received->len < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (received->len, ==, n);
}

guint64
count_requests (CoreFixture *f, const char *method, const char *route, const char *status)
{
  g_autoptr (SoupSession) soup = soup_session_new ();
  g_autofree char *url = g_strconcat (f->base_url, "/metrics", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read (soup, msg, NULL, &error);
  g_autofree char *prefix = g_strdup_printf (
      "globichat_http_requests_total{method=\"%s\",route=\"%s\",status=\"", method, route);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  guint64 total = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *rest;
      const char *count;

      if (!g_str_has_prefix (lines[i], prefix))
        continue;
      rest = lines[i] + strlen (prefix);
      if (status != NULL &&
          !(g_str_has_prefix (rest, status) && g_str_has_prefix (rest + strlen (status), "\"}")))
        continue;
      count = strrchr (lines[i], ' ');
      g_assert_nonnull (count);
      total += g_ascii_strtoull (count + 1, NULL, 10);
    }
  return total;
}
