/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-routes-social"

#include "config.h"

#include <string.h>

#include "globi-id.h"
#include "globi-routes.h"
#include "globi-server-private.h"
#include "globi-store-social.h"

#define MAX_TAGS 20

static const char *
check_id (const char *value)
{
  return globi_id_is_valid (value) ? NULL : "must be a UUID";
}

static const GlobiField request_fields[] = {
  { "id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { "to", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 1, 64 },
  { "greeting", GLOBI_FIELD_STRING, 0, 0, 100 },
  { "card", GLOBI_FIELD_STRING, 0, 22, 64 },
  { NULL },
};

static const GlobiField friend_fields[] = {
  { "remark", GLOBI_FIELD_STRING, 0, 0, 64 },
  { NULL },
};

static const char *const friend_arrays[] = { "tags", NULL };

GlobiSocialArgs *
globi_routes_social_args (GlobiRequest *req)
{
  GlobiSocialArgs *args = globi_social_args_new ();

  args->user_id = g_strdup (globi_request_get_user_id (req));
  args->device_id = g_strdup (globi_request_get_device_id (req));
  args->now_ms = globi_server_now_ms (globi_request_get_server (req));
  return args;
}

JsonObject *
globi_routes_social_parse (GlobiRequest *req,
                           const GlobiField *fields,
                           const char *const *arrays,
                           GError **error)
{
  g_autoptr (GBytes) body = globi_request_get_body (req);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (JsonObject) rest = json_object_new ();
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);
  JsonNode *root;
  JsonObject *obj;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (len == 0 || !json_parser_load_from_data (parser, data, len, NULL))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "malformed JSON");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                           "the body must be a JSON object");
      return NULL;
    }
  obj = json_node_get_object (root);
  /* The field table knows strings, booleans and objects: arrays are held back here and
   * checked element by element by their route. */
  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (arrays && g_strv_contains (arrays, name))
        {
          if (!JSON_NODE_HOLDS_ARRAY (member))
            {
              g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: must be an array",
                           name);
              return NULL;
            }
          continue;
        }
      json_object_set_member (rest, name, json_node_ref (member));
    }
  if (!globi_json_check_fields (rest, fields, NULL, error))
    return NULL;
  return json_object_ref (obj);
}

char **
globi_routes_social_string_list (JsonObject *obj,
                                 const char *name,
                                 guint max_items,
                                 guint min_chars,
                                 guint max_chars,
                                 gboolean ids,
                                 GError **error)
{
  JsonArray *array;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const GlobiField one[] = {
    { name, GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, min_chars, max_chars, ids ? check_id : NULL },
    { NULL },
  };
  guint n;

  if (!json_object_has_member (obj, name))
    return NULL;
  array = json_object_get_array_member (obj, name);
  n = json_array_get_length (array);
  if (n > max_items)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: at most %u items", name,
                   max_items);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr (JsonObject) single = json_object_new ();
      const char *value;

      /* Each element goes through the field rules (type, UTF-8, control characters,
       * length) as if it were a member of its own. */
      json_object_set_member (single, name, json_node_ref (element));
      if (!globi_json_check_fields (single, one, NULL, error))
        return NULL;
      value = json_node_get_string (element);
      if (!g_hash_table_add (seen, (gpointer) value))
        {
          if (ids)
            continue;
          g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: no duplicates", name);
          return NULL;
        }
      g_strv_builder_add (builder, value);
    }
  return g_strv_builder_end (builder);
}

static void
on_social_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiSocialResult) done = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (error)
    {
      globi_request_reply_error (req, error);
      return;
    }
  if (done->wake_devices->len > 0)
    globi_hub_notify_devices (globi_server_get_hub (globi_request_get_server (req)),
                              done->wake_devices);
  if (done->reply)
    globi_request_reply_json (req, done->status, done->reply);
  else
    globi_request_reply_empty (req, done->status);
}

void
globi_routes_social_run (GlobiRequest *req,
                         GlobiStoreFunc func,
                         GlobiSocialArgs *args,
                         gboolean write)
{
  GlobiStore *store = globi_server_get_store (globi_request_get_server (req));

  if (write)
    globi_store_write_async (store, func, args, globi_social_args_free, globi_social_result_free,
                             on_social_done_cb, globi_request_ref (req));
  else
    globi_store_read_async (store, func, args, globi_social_args_free, globi_social_result_free,
                            on_social_done_cb, globi_request_ref (req));
}

/* A {user_id} path parameter; replies 404 and returns NULL when malformed. */
const char *
globi_routes_social_id_param (GlobiRequest *req, guint index)
{
  const char *id = globi_request_get_param (req, index);

  if (!globi_id_is_valid (id))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_NOT_FOUND, "not found");
      return NULL;
    }
  return id;
}

static char *
dup_member (JsonObject *obj, const char *name)
{
  return json_object_has_member (obj, name) ? g_strdup (json_object_get_string_member (obj, name))
                                            : NULL;
}

/* POST /v1/friends/requests */
void
globi_routes_send_friend_request (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = globi_request_parse_json (req, request_fields, &error);
  GlobiSocialArgs *args;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  args = globi_routes_social_args (req);
  args->id = dup_member (body, "id");
  args->other = dup_member (body, "to");
  args->greeting = dup_member (body, "greeting");
  args->card = dup_member (body, "card");
  if (args->card &&
      (!globi_routes_card_is_well_formed (args->card) || !globi_id_is_valid (args->other)))
    {
      globi_social_args_free (args);
      globi_request_reply_error_code (req, GLOBI_ERROR_INVALID_FIELD,
                                      "card: must be a friend card, with \"to\" its user id");
      return;
    }
  globi_routes_social_run (req, globi_store_social_send_request, args, TRUE);
}

/* GET /v1/friends/requests */
void
globi_routes_list_friend_requests (GlobiRequest *req)
{
  globi_routes_social_run (req, globi_store_social_list_requests, globi_routes_social_args (req),
                           FALSE);
}

static void
answer_request (GlobiRequest *req, gboolean accept)
{
  const char *id = globi_routes_social_id_param (req, 0);
  GlobiSocialArgs *args;

  if (!id)
    return;
  args = globi_routes_social_args (req);
  args->id = g_strdup (id);
  args->flag = accept;
  globi_routes_social_run (req, globi_store_social_answer_request, args, TRUE);
}

/* POST /v1/friends/requests/{id}/accept */
void
globi_routes_accept_friend_request (GlobiRequest *req)
{
  answer_request (req, TRUE);
}

/* POST /v1/friends/requests/{id}/decline */
void
globi_routes_decline_friend_request (GlobiRequest *req)
{
  answer_request (req, FALSE);
}

/* GET /v1/friends */
void
globi_routes_list_friends (GlobiRequest *req)
{
  globi_routes_social_run (req, globi_store_social_list_friends, globi_routes_social_args (req),
                           FALSE);
}

/* PATCH /v1/friends/{user_id} */
void
globi_routes_patch_friend (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  const char *id = globi_routes_social_id_param (req, 0);
  g_autoptr (JsonObject) body = NULL;
  g_auto (GStrv) tags = NULL;
  GlobiSocialArgs *args;

  if (!id)
    return;
  if (!(body = globi_routes_social_parse (req, friend_fields, friend_arrays, &error)) ||
      (!(tags = globi_routes_social_string_list (body, "tags", MAX_TAGS, 1, 32, FALSE, &error)) &&
       error))
    {
      globi_request_reply_error (req, error);
      return;
    }
  args = globi_routes_social_args (req);
  args->other = g_strdup (id);
  args->remark = dup_member (body, "remark");
  args->tags = g_steal_pointer (&tags);
  globi_routes_social_run (req, globi_store_social_update_friend, args, TRUE);
}

static void
run_on_user (GlobiRequest *req, GlobiStoreFunc func, gboolean flag)
{
  const char *id = globi_routes_social_id_param (req, 0);
  GlobiSocialArgs *args;

  if (!id)
    return;
  args = globi_routes_social_args (req);
  args->other = g_strdup (id);
  args->flag = flag;
  globi_routes_social_run (req, func, args, TRUE);
}

/* DELETE /v1/friends/{user_id} */
void
globi_routes_delete_friend (GlobiRequest *req)
{
  run_on_user (req, globi_store_social_remove_friend, FALSE);
}

/* PUT /v1/blocks/{user_id} */
void
globi_routes_put_block (GlobiRequest *req)
{
  run_on_user (req, globi_store_social_set_block, TRUE);
}

/* DELETE /v1/blocks/{user_id} */
void
globi_routes_delete_block (GlobiRequest *req)
{
  run_on_user (req, globi_store_social_set_block, FALSE);
}

/* GET /v1/blocks */
void
globi_routes_list_blocks (GlobiRequest *req)
{
  globi_routes_social_run (req, globi_store_social_list_blocks, globi_routes_social_args (req),
                           FALSE);
}
