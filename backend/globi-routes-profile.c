/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-routes-profile"

#include "config.h"

#include <string.h>

#include "globi-id.h"
#include "globi-money.h"
#include "globi-routes.h"
#include "globi-server-private.h"

#define THUMBNAIL_SIZE 256

gboolean
globi_routes_currency_is_known (const char *code)
{
  return globi_currency_is_known (code);
}

static const char *
check_currency (const char *value)
{
  return globi_routes_currency_is_known (value) ? NULL : "not an ISO 4217 code this server knows";
}

static const char *
check_language (const char *value)
{
  for (const char *p = value; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return "must be a BCP 47 tag";
  if (value[0] == '-')
    return "must be a BCP 47 tag";
  return NULL;
}

static const char *
check_who_can_add (const char *value)
{
  if (g_str_equal (value, "everyone") || g_str_equal (value, "friends_of_friends") ||
      g_str_equal (value, "nobody"))
    return NULL;
  return "must be everyone, friends_of_friends or nobody";
}

static const GlobiField privacy_fields[] = {
  { "discoverable", GLOBI_FIELD_BOOLEAN },
  { "who_can_add", GLOBI_FIELD_STRING, 0, 1, 32, check_who_can_add },
  { NULL },
};

static const GlobiField patch_fields[] = {
  { "display_name", GLOBI_FIELD_STRING, GLOBI_FIELD_NOT_BLANK, 1, 64 },
  { "bio", GLOBI_FIELD_STRING, GLOBI_FIELD_ALLOW_NEWLINE, 0, 200 },
  { "region", GLOBI_FIELD_STRING, 0, 0, 64 },
  { "preferred_currency", GLOBI_FIELD_STRING, 0, 3, 3, check_currency },
  { "language", GLOBI_FIELD_STRING, 0, 2, 35, check_language },
  { "privacy", GLOBI_FIELD_OBJECT, 0, 0, 0, NULL, privacy_fields },
  { NULL },
};

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value ? value : "");
}

JsonNode *
globi_routes_user_to_json (const GlobiUserRow *row, gboolean me)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "id", row->id);
  add_string (builder, "username", row->username);
  add_string (builder, "display_name", row->display_name);
  add_string (builder, "bio", row->bio);
  add_string (builder, "region", row->region);
  json_builder_set_member_name (builder, "avatar");
  if (row->avatar_hash)
    {
      g_autofree char *url = g_strconcat ("/v1/blobs/", row->avatar_hash, NULL);
      g_autofree char *thumb = g_strconcat ("/v1/blobs/", row->avatar_thumb_hash, NULL);

      json_builder_begin_object (builder);
      add_string (builder, "hash", row->avatar_hash);
      add_string (builder, "url", url);
      add_string (builder, "thumbnail_url", thumb);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  if (me)
    {
      add_string (builder, "preferred_currency", row->preferred_currency);
      add_string (builder, "language", row->language);
      json_builder_set_member_name (builder, "created_at");
      json_builder_add_int_value (builder, row->created_at);
      json_builder_set_member_name (builder, "privacy");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "discoverable");
      json_builder_add_boolean_value (builder, row->discoverable);
      add_string (builder, "who_can_add", row->who_can_add);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
globi_routes_reply_user (GlobiRequest *req, guint status, const GlobiUserRow *row, gboolean me)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) obj = json_object_new ();

  json_object_set_member (obj, "user", globi_routes_user_to_json (row, me));
  json_node_set_object (root, obj);
  globi_request_reply_json (req, status, root);
}

static void
on_me_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiUserRow) user = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (error)
    globi_request_reply_error (req, error);
  else
    globi_routes_reply_user (req, SOUP_STATUS_OK, user, TRUE);
}

static void
on_other_user_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiUserRow) user = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (error)
    globi_request_reply_error (req, error);
  else
    globi_routes_reply_user (req, SOUP_STATUS_OK, user, FALSE);
}

static GlobiAccountArgs *
args_for_me (GlobiRequest *req)
{
  GlobiAccountArgs *args = globi_account_args_new ();

  args->user_id = g_strdup (globi_request_get_user_id (req));
  args->now_ms = globi_server_now_ms (globi_request_get_server (req));
  return args;
}

static GlobiStore *
req_store (GlobiRequest *req)
{
  return globi_server_get_store (globi_request_get_server (req));
}

/* GET /v1/me */
void
globi_routes_get_me (GlobiRequest *req)
{
  globi_store_read_async (req_store (req), globi_store_accounts_get_by_id, args_for_me (req),
                          globi_account_args_free, globi_user_row_free, on_me_cb,
                          globi_request_ref (req));
}

static char *
dup_member (JsonObject *obj, const char *name)
{
  return json_object_has_member (obj, name) ? g_strdup (json_object_get_string_member (obj, name))
                                            : NULL;
}

/* PATCH /v1/me */
void
globi_routes_patch_me (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = globi_request_parse_json (req, patch_fields, &error);
  GlobiAccountArgs *args;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  args = args_for_me (req);
  args->patch.display_name = dup_member (body, "display_name");
  args->patch.bio = dup_member (body, "bio");
  args->patch.region = dup_member (body, "region");
  args->patch.preferred_currency = dup_member (body, "preferred_currency");
  args->patch.language = dup_member (body, "language");
  if (json_object_has_member (body, "privacy"))
    {
      JsonObject *privacy = json_object_get_object_member (body, "privacy");

      args->patch.who_can_add = dup_member (privacy, "who_can_add");
      if (json_object_has_member (privacy, "discoverable"))
        args->patch.discoverable = json_object_get_boolean_member (privacy, "discoverable");
    }
  globi_store_write_async (req_store (req), globi_store_accounts_update_profile, args,
                           globi_account_args_free, globi_user_row_free, on_me_cb,
                           globi_request_ref (req));
}

/* Avatars (mine and groups'): the declared type must match the bytes; decoding, the
 * thumbnail and hashing run on a worker thread. */

typedef struct
{
  GBytes *image;
  guint max_side;
  char *hash;
  char *thumb_hash;
} AvatarJob;

static void
avatar_job_free (gpointer data)
{
  AvatarJob *job = data;

  g_clear_pointer (&job->image, g_bytes_unref);
  g_free (job->hash);
  g_free (job->thumb_hash);
  g_free (job);
}

static void
avatar_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GlobiBlobStore *blobs = source;
  AvatarJob *job = task_data;
  g_autoptr (GBytes) thumb = NULL;
  GError *error = NULL;

  thumb = globi_image_make_thumbnail (job->image, job->max_side, THUMBNAIL_SIZE, &error);
  if (!thumb || !(job->hash = globi_blob_store_put (blobs, job->image, &error)) ||
      !(job->thumb_hash = globi_blob_store_put (blobs, thumb, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

gboolean
globi_routes_check_avatar_body (GlobiRequest *req)
{
  SoupServerMessage *msg = globi_request_get_message (req);
  const char *declared =
      soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  g_autoptr (GBytes) image = globi_request_get_body (req);
  const char *sniffed;

  if (g_bytes_get_size (image) == 0)
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_BAD_REQUEST, "the body is empty");
      return FALSE;
    }
  sniffed = globi_image_sniff (image);
  if (!declared || !sniffed || g_ascii_strcasecmp (declared, sniffed) != 0)
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_UNSUPPORTED_MEDIA,
                                      "the avatar must be PNG, JPEG or WebP, declared as such");
      return FALSE;
    }
  return TRUE;
}

void
globi_routes_store_avatar_async (GlobiRequest *req,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  GlobiServer *server = globi_request_get_server (req);
  g_autoptr (GTask) task = NULL;
  AvatarJob *job;

  job = g_new0 (AvatarJob, 1);
  job->image = globi_request_get_body (req);
  job->max_side = globi_server_get_config (server)->max_image_side;
  task = g_task_new (globi_server_get_blobs (server), NULL, callback, user_data);
  g_task_set_source_tag (task, globi_routes_store_avatar_async);
  g_task_set_task_data (task, job, avatar_job_free);
  g_task_run_in_thread (task, avatar_thread);
}

gboolean
globi_routes_store_avatar_finish (GAsyncResult *result,
                                  char **out_hash,
                                  char **out_thumb_hash,
                                  GError **error)
{
  AvatarJob *job = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  *out_hash = g_steal_pointer (&job->hash);
  *out_thumb_hash = g_steal_pointer (&job->thumb_hash);
  return TRUE;
}

/* PUT /v1/me/avatar */

static void
on_avatar_stored_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  GlobiAccountArgs *args = args_for_me (req);
  GlobiStore *store;

  if (!globi_routes_store_avatar_finish (result, &args->avatar_hash, &args->avatar_thumb_hash,
                                         &error))
    {
      globi_account_args_free (args);
      globi_request_reply_error (req, error);
      return;
    }
  /* The store first: arguments are evaluated in no set order, and req is stolen. */
  store = req_store (req);
  globi_store_write_async (store, globi_store_accounts_set_avatar, args, globi_account_args_free,
                           globi_user_row_free, on_me_cb, g_steal_pointer (&req));
}

void
globi_routes_put_avatar (GlobiRequest *req)
{
  if (globi_routes_check_avatar_body (req))
    globi_routes_store_avatar_async (req, on_avatar_stored_cb, globi_request_ref (req));
}

/* DELETE /v1/me/avatar: the blobs stay (content-addressed, maybe shared). */
void
globi_routes_delete_avatar (GlobiRequest *req)
{
  globi_store_write_async (req_store (req), globi_store_accounts_set_avatar, args_for_me (req),
                           globi_account_args_free, globi_user_row_free, on_me_cb,
                           globi_request_ref (req));
}

/* GET /v1/blobs/{sha256} */

static void
set_cache_headers (SoupServerMessage *msg, const char *hash)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *etag = g_strdup_printf ("\"%s\"", hash);

  soup_message_headers_replace (headers, "ETag", etag);
  soup_message_headers_replace (headers, "Cache-Control", "private, max-age=31536000, immutable");
}

static void
blob_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GBytes *bytes = globi_blob_store_get (source, task_data, &error);

  if (bytes)
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_error (task, error);
}

static void
on_blob_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_task_propagate_pointer (G_TASK (result), &error);
  const char *type;

  if (!bytes)
    {
      globi_request_reply_error (req, error);
      return;
    }
  type = globi_image_sniff (bytes);
  set_cache_headers (globi_request_get_message (req), globi_request_get_param (req, 0));
  globi_request_reply_bytes (req, SOUP_STATUS_OK, type ? type : "application/octet-stream", bytes);
}

/* Whether an If-None-Match list names etag (or is "*"). */
static gboolean
etag_matches (const char *if_none_match, const char *etag)
{
  g_auto (GStrv) tags = NULL;

  if (!if_none_match)
    return FALSE;
  tags = g_strsplit (if_none_match, ",", -1);
  for (guint i = 0; tags[i]; i++)
    {
      const char *tag = g_strstrip (tags[i]);

      if (g_str_has_prefix (tag, "W/"))
        tag += 2;
      if (g_str_equal (tag, "*") || g_str_equal (tag, etag))
        return TRUE;
    }
  return FALSE;
}

void
globi_routes_get_blob (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  SoupServerMessage *msg = globi_request_get_message (req);
  const char *hash = globi_request_get_param (req, 0);
  g_autofree char *etag = NULL;
  g_autoptr (GTask) task = NULL;

  if (!globi_blob_hash_is_valid (hash))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_NOT_FOUND, "no such blob");
      return;
    }
  /* Content addressing makes the hash a perfect validator: no disk access needed. */
  etag = g_strdup_printf ("\"%s\"", hash);
  if (etag_matches (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                  "If-None-Match"),
                    etag) &&
      globi_blob_store_has (globi_server_get_blobs (server), hash))
    {
      set_cache_headers (msg, hash);
      globi_request_reply_empty (req, SOUP_STATUS_NOT_MODIFIED);
      return;
    }
  task =
      g_task_new (globi_server_get_blobs (server), NULL, on_blob_read_cb, globi_request_ref (req));
  g_task_set_source_tag (task, globi_routes_get_blob);
  g_task_set_task_data (task, g_strdup (hash), g_free);
  g_task_run_in_thread (task, blob_thread);
}

/* GET /v1/users/{id} */
void
globi_routes_get_user (GlobiRequest *req)
{
  const char *id = globi_request_get_param (req, 0);
  GlobiAccountArgs *args;

  if (!globi_id_is_valid (id))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_NOT_FOUND, "no such user");
      return;
    }
  args = globi_account_args_new ();
  args->user_id = g_strdup (id);
  globi_store_read_async (req_store (req), globi_store_accounts_get_by_id, args,
                          globi_account_args_free, globi_user_row_free, on_other_user_cb,
                          globi_request_ref (req));
}

/* GET /v1/users/lookup?q= */
void
globi_routes_lookup_user (GlobiRequest *req)
{
  GUri *uri = soup_server_message_get_uri (globi_request_get_message (req));
  const char *query = g_uri_get_query (uri);
  g_autoptr (GHashTable) params = NULL;
  const char *q = NULL;
  GlobiAccountArgs *args;

  if (query)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params)
    q = g_hash_table_lookup (params, "q");
  if (!q || !*q || strlen (q) > 64 || !g_utf8_validate (q, -1, NULL))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_BAD_REQUEST, "q: a username or user id");
      return;
    }
  args = globi_account_args_new ();
  if (globi_id_is_valid (q))
    args->user_id = g_strdup (q);
  else
    args->username = g_ascii_strdown (q, -1);
  globi_store_read_async (req_store (req), globi_store_accounts_lookup, args,
                          globi_account_args_free, globi_user_row_free, on_other_user_cb,
                          globi_request_ref (req));
}
