/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "server-fixture.h"
#include "globi-test-util.h"

void
fixture_init (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  memset (f, 0, sizeof *f);
  f->data_dir = g_dir_make_tmp ("globi-server-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->config = globi_server_config_new ();
  g_free (f->config->listen_address);
  f->config->listen_address = g_strdup ("127.0.0.1");
  f->config->port = 0;
  f->config->data_dir = g_strdup (f->data_dir);
  /* libsodium's minimum: tests stay fast, the code path is the real one. */
  f->config->argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  f->config->argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  f->config->registrations_per_address = 1000;
  f->config->signin_failures_per_address = 1000;
}

void
fixture_start (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  f->thread = globi_server_thread_new (f->config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->thread);
  g_free (f->base_url);
  f->base_url = globi_server_thread_dup_base_url (f->thread);
  if (!f->session)
    f->session = soup_session_new_with_options ("max-conns-per-host", 16, "timeout", 30, NULL);
}

void
fixture_stop (Fixture *f)
{
  if (f->thread)
    globi_server_thread_stop (f->thread);
  g_clear_object (&f->thread);
}

void
fixture_clear (Fixture *f)
{
  fixture_stop (f);
  g_clear_object (&f->session);
  g_clear_pointer (&f->config, globi_server_config_free);
  g_clear_pointer (&f->base_url, g_free);
  if (f->data_dir)
    globi_test_remove_tree (f->data_dir);
  g_clear_pointer (&f->data_dir, g_free);
}

void
fixture_setup (Fixture *f, gconstpointer data)
{
  fixture_init (f);
  fixture_start (f);
}

void
fixture_teardown (Fixture *f, gconstpointer data)
{
  fixture_clear (f);
}

GlobiServer *
fixture_server (Fixture *f)
{
  return globi_server_thread_get_server (f->thread);
}

SoupMessage *
fixture_message (Fixture *f,
                 const char *method,
                 const char *path,
                 const char *token,
                 const char *content_type,
                 GBytes *body)
{
  g_autofree char *url = g_strconcat (f->base_url, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (token)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body)
    soup_message_set_request_body_from_bytes (msg, content_type, body);
  return msg;
}

Reply *
fixture_send (Fixture *f, SoupMessage *msg)
{
  g_autoptr (GError) error = NULL;
  Reply *reply = g_new0 (Reply, 1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *type;
  gsize len = 0;
  const char *data;

  reply->body = soup_session_send_and_read (f->session, msg, NULL, &error);
  g_assert_no_error (error);
  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  type = soup_message_headers_get_content_type (reply->headers, NULL);
  data = g_bytes_get_data (reply->body, &len);
  if (g_strcmp0 (type, "application/json") == 0 && len > 0)
    {
      g_assert_true (json_parser_load_from_data (parser, data, len, &error));
      g_assert_no_error (error);
      reply->json = json_node_copy (json_parser_get_root (parser));
    }
  return reply;
}

Reply *
fixture_request (
    Fixture *f, const char *method, const char *path, const char *token, const char *body)
{
  g_autoptr (GBytes) bytes = body ? g_bytes_new (body, strlen (body)) : NULL;
  g_autoptr (SoupMessage) msg = fixture_message (f, method, path, token, "application/json", bytes);

  return fixture_send (f, msg);
}

void
reply_free (Reply *reply)
{
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_free (reply);
}

JsonObject *
reply_object (Reply *reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

void
assert_error (Reply *reply, guint status, const char *code)
{
  JsonObject *error;

  g_assert_cmpuint (reply->status, ==, status);
  error = json_object_get_object_member (reply_object (reply), "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (error, "message"));
}

char *
fixture_register (Fixture *f, const char *username, const char *password)
{
  g_autofree char *body =
      g_strdup_printf ("{\"username\": \"%s\", \"password\": \"%s\", \"display_name\": \"%s\"}",
                       username, password, username);
  g_autoptr (Reply) reply = fixture_request (f, "POST", "/v1/accounts", NULL, body);
  JsonObject *user;

  g_assert_cmpuint (reply->status, ==, 201);
  user = json_object_get_object_member (reply_object (reply), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "id"), ==,
                   json_object_get_string_member (reply_object (reply), "user_id"));
  return g_strdup (json_object_get_string_member (user, "id"));
}

void
fixture_sign_in (Fixture *f,
                 const char *username,
                 const char *password,
                 char **out_access,
                 char **out_refresh,
                 char **out_device_id)
{
  g_autofree char *body = g_strdup_printf (
      "{\"username\": \"%s\", \"password\": \"%s\", \"device\": {\"name\": \"Test\", "
      "\"platform\": \"Linux\"}}",
      username, password);
  g_autoptr (Reply) reply = fixture_request (f, "POST", "/v1/sessions", NULL, body);
  JsonObject *obj;

  g_assert_cmpuint (reply->status, ==, 200);
  obj = reply_object (reply);
  g_assert_cmpstr (json_object_get_string_member (obj, "token_type"), ==, "Bearer");
  if (out_access)
    *out_access = g_strdup (json_object_get_string_member (obj, "access_token"));
  if (out_refresh)
    *out_refresh = g_strdup (json_object_get_string_member (obj, "refresh_token"));
  if (out_device_id)
    *out_device_id = g_strdup (json_object_get_string_member (obj, "device_id"));
}
