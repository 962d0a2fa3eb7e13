/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sodium.h>

#include "globi-error.h"
#include "globi-core.h"

/* What a misbehaving server or a proxy in front of it may send: a loopback SoupServer
 * answers with exactly that, and the client must turn it into the right error. */

#define HASH "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae" /* "foo" */

typedef struct
{
  SoupServer *server;
  char *base_url;
  char *cache_dir;
  GlobiClient *client;
  guint refreshes;
} Fixture;

static void
reply (SoupServerMessage *msg, guint status, const char *type, const char *body, gsize len)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, len);
}

static void
handler (SoupServer *server,
         SoupServerMessage *msg,
         const char *path,
         GHashTable *query,
         gpointer user_data)
{
  Fixture *f = user_data;

  if (g_str_equal (path, "/big"))
    {
      gsize len = 2 * 1024 * 1024;
      g_autofree char *body = g_malloc (len);

      memset (body, ' ', len);
      body[0] = '{';
      body[len - 1] = '}';
      reply (msg, 200, "application/json", body, len);
    }
  else if (g_str_equal (path, "/proxy"))
    reply (msg, 502, "text/html", "<h1>Bad Gateway</h1>", 20);
  else if (g_str_equal (path, "/garbage"))
    reply (msg, 200, "application/json", "{\"a\":", 5);
  else if (g_str_equal (path, "/conflict"))
    {
      const char *body = "{\"error\":{\"code\":\"conflict\",\"message\":\"username: taken\"}}";
      reply (msg, 409, "application/json", body, strlen (body));
    }
  else if (g_str_equal (path, "/empty"))
    soup_server_message_set_status (msg, 204, NULL);
  else if (g_str_equal (path, "/v1/blobs/" HASH))
    reply (msg, 200, "application/octet-stream", "not foo", 7);
  else if (g_str_equal (path, "/v1/sessions/refresh"))
    {
      const char *body = "{\"error\":{\"code\":\"token_reused\",\"message\":\"reused\"}}";
      f->refreshes++;
      reply (msg, 401, "application/json", body, strlen (body));
    }
  else if (g_str_equal (path, "/v1/me"))
    {
      const char *body = "{\"error\":{\"code\":\"unauthorized\",\"message\":\"expired\"}}";
      reply (msg, 401, "application/json", body, strlen (body));
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GSList *uris;

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, handler, f, NULL);
  soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  f->base_url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  f->cache_dir = g_dir_make_tmp ("globi-core-client-XXXXXX", &error);
  g_assert_no_error (error);
  /* A trailing slash is forgiven. */
  {
    g_autofree char *with_slash = g_strconcat (f->base_url, "/", NULL);
    f->client = globi_client_new (with_slash, f->cache_dir);
  }
  g_assert_cmpstr (globi_client_get_base_url (f->client), ==, f->base_url);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_rmdir (f->cache_dir);
  g_free (f->cache_dir);
  g_free (f->base_url);
}

static void
on_result_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static JsonNode *
call (Fixture *f, const char *method, const char *path, GlobiCallFlags flags, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_client_call_async (f->client, method, path, NULL, flags, NULL, on_result_cb, &pending);
  while (pending == NULL)
    g_main_context_iteration (NULL, TRUE);
  result = pending;
  return globi_client_call_finish (f->client, result, error);
}

static void
test_reply_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;

  node = call (f, "GET", "/big", GLOBI_CALL_FLAGS_NONE, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE);
  g_clear_error (&error);

  node = call (f, "GET", "/proxy", GLOBI_CALL_FLAGS_NONE, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  node = call (f, "GET", "/garbage", GLOBI_CALL_FLAGS_NONE, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  node = call (f, "POST", "/conflict", GLOBI_CALL_FLAGS_NONE, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "username: taken");
  g_clear_error (&error);

  node = call (f, "GET", "/nowhere", GLOBI_CALL_FLAGS_NONE, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* No content is success, as an empty object. */
  node = call (f, "DELETE", "/empty", GLOBI_CALL_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (node)), ==, 0);
  g_clear_pointer (&node, json_node_unref);

  /* Authenticated without any token: refused locally. */
  node = call (f, "GET", "/v1/me", GLOBI_CALL_FLAGS_AUTH, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED);
}

static void
on_session_ended_cb (GlobiClient *client, guint code, gpointer user_data)
{
  *(guint *) user_data = code;
}

static void
test_refresh_refused_ends_session (Fixture *f, gconstpointer data)
{
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;
  guint ended = G_MAXUINT;
  guint tokens_changed = 0;

  globi_client_set_tokens (f->client, "access", "refresh");
  g_signal_connect (f->client, "session-ended", G_CALLBACK (on_session_ended_cb), &ended);
  g_signal_connect_swapped (f->client, "tokens-changed", G_CALLBACK (g_atomic_int_inc),
                            &tokens_changed);

  node = call (f, "GET", "/v1/me", GLOBI_CALL_FLAGS_AUTH, &error);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_TOKEN_REUSED);
  g_assert_cmpuint (f->refreshes, ==, 1);
  g_assert_cmpuint (ended, ==, GLOBI_ERROR_TOKEN_REUSED);
  g_assert_cmpuint (tokens_changed, ==, 0);
  g_assert_false (globi_client_has_tokens (f->client));
}

static void
test_blob_integrity (Fixture *f, gconstpointer data)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *cached = g_build_filename (f->cache_dir, HASH, NULL);
  GAsyncResult *pending = NULL;

  /* The server sends bytes that are not what the hash names: refused, and not cached. */
  globi_client_set_tokens (f->client, "access", "refresh");
  globi_client_fetch_blob_async (f->client, HASH, NULL, on_result_cb, &pending);
  while (pending == NULL)
    g_main_context_iteration (NULL, TRUE);
  result = pending;
  bytes = globi_client_fetch_blob_finish (f->client, result, &error);
  g_assert_null (bytes);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
  g_assert_false (g_file_test (cached, G_FILE_TEST_EXISTS));
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/globi/core/client/reply-errors", Fixture, NULL, fixture_setup, test_reply_errors,
              fixture_teardown);
  g_test_add ("/globi/core/client/refresh-refused", Fixture, NULL, fixture_setup,
              test_refresh_refused_ends_session, fixture_teardown);
  g_test_add ("/globi/core/client/blob-integrity", Fixture, NULL, fixture_setup,
              test_blob_integrity, fixture_teardown);

  return g_test_run ();
}
