/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-routes-groups"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "globi-routes.h"
#include "globi-server-private.h"
#include "globi-store-social.h"

#define MAX_IDS_PER_CALL   499
#define INVITE_TOKEN_BYTES 32

static const char *
check_id (const char *value)
{
  return globi_id_is_valid (value) ? NULL : "must be a UUID";
}

static const GlobiField create_fields[] = {
  { "id", GLOBI_FIELD_STRING, 0, 36, 36, check_id },
  { "name", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_NOT_BLANK, 1, 64 },
  { "announcement", GLOBI_FIELD_STRING, GLOBI_FIELD_ALLOW_NEWLINE, 0, 2000 },
  { NULL },
};

static const char *const create_arrays[] = { "member_ids", NULL };

static const GlobiField patch_fields[] = {
  { "name", GLOBI_FIELD_STRING, GLOBI_FIELD_NOT_BLANK, 1, 64 },
  { "announcement", GLOBI_FIELD_STRING, GLOBI_FIELD_ALLOW_NEWLINE, 0, 2000 },
  { NULL },
};

static const GlobiField no_fields[] = {
  { NULL },
};

static const char *const members_arrays[] = { "user_ids", NULL };

static const GlobiField owner_fields[] = {
  { "user_id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { NULL },
};

static const GlobiField join_fields[] = {
  { "token", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_COUNT_BYTES, 1, 64 },
  { NULL },
};

static char *
dup_member (JsonObject *obj, const char *name)
{
  return json_object_has_member (obj, name) ? g_strdup (json_object_get_string_member (obj, name))
                                            : NULL;
}

/* Only the hash of an invite token is stored, as for refresh tokens. */
static void
hash_token (const char *token, guint8 out[32])
{
  crypto_generichash (out, 32, (const guint8 *) token, strlen (token), NULL, 0);
}

/* Args for a route on /v1/groups/{id}…; replies 404 and returns NULL on a malformed id. */
static GlobiSocialArgs *
group_args (GlobiRequest *req)
{
  const char *id = globi_routes_social_id_param (req, 0);
  GlobiSocialArgs *args;

  if (!id)
    return NULL;
  args = globi_routes_social_args (req);
  args->id = g_strdup (id);
  return args;
}

/* The same with a {user_id} second parameter. */
static GlobiSocialArgs *
group_user_args (GlobiRequest *req)
{
  GlobiSocialArgs *args;
  const char *user_id;

  if (!globi_routes_social_id_param (req, 0) || !(user_id = globi_routes_social_id_param (req, 1)))
    return NULL;
  args = group_args (req);
  args->other = g_strdup (user_id);
  return args;
}

/* POST /v1/groups */
void
globi_routes_create_group (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_auto (GStrv) members = NULL;
  GlobiSocialArgs *args;

  if (!(body = globi_routes_social_parse (req, create_fields, create_arrays, &error)) ||
      !json_object_has_member (body, "member_ids") ||
      !(members = globi_routes_social_string_list (body, "member_ids", MAX_IDS_PER_CALL, 36, 36,
                                                   TRUE, &error)))
    {
      if (!error)
        g_set_error_literal (&error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD,
                             "member_ids: required");
      globi_request_reply_error (req, error);
      return;
    }
  args = globi_routes_social_args (req);
  args->id = dup_member (body, "id");
  args->name = dup_member (body, "name");
  args->announcement = dup_member (body, "announcement");
  args->user_ids = g_steal_pointer (&members);
  globi_routes_social_run (req, globi_store_social_create_group, args, TRUE);
}

/* GET /v1/groups */
void
globi_routes_list_groups (GlobiRequest *req)
{
  globi_routes_social_run (req, globi_store_social_list_groups, globi_routes_social_args (req),
                           FALSE);
}

/* GET /v1/groups/{id} */
void
globi_routes_get_group (GlobiRequest *req)
{
  GlobiSocialArgs *args = group_args (req);

  if (args)
    globi_routes_social_run (req, globi_store_social_get_group, args, FALSE);
}

/* PATCH /v1/groups/{id} */
void
globi_routes_patch_group (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  GlobiSocialArgs *args;

  if (!globi_routes_social_id_param (req, 0))
    return;
  if (!(body = globi_request_parse_json (req, patch_fields, &error)))
    {
      globi_request_reply_error (req, error);
      return;
    }
  args = group_args (req);
  args->name = dup_member (body, "name");
  args->announcement = dup_member (body, "announcement");
  globi_routes_social_run (req, globi_store_social_update_group, args, TRUE);
}

/* POST /v1/groups/{id}/members */
void
globi_routes_add_group_members (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_auto (GStrv) users = NULL;
  GlobiSocialArgs *args;

  if (!globi_routes_social_id_param (req, 0))
    return;
  if (!(body = globi_routes_social_parse (req, no_fields, members_arrays, &error)) ||
      !(users = globi_routes_social_string_list (body, "user_ids", MAX_IDS_PER_CALL, 36, 36, TRUE,
                                                 &error)))
    {
      if (!error)
        g_set_error_literal (&error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "user_ids: required");
      globi_request_reply_error (req, error);
      return;
    }
  args = group_args (req);
  args->user_ids = g_steal_pointer (&users);
  globi_routes_social_run (req, globi_store_social_add_members, args, TRUE);
}

/* DELETE /v1/groups/{id}/members/{user_id} */
void
globi_routes_remove_group_member (GlobiRequest *req)
{
  GlobiSocialArgs *args = group_user_args (req);

  if (args)
    globi_routes_social_run (req, globi_store_social_remove_member, args, TRUE);
}

static void
set_admin (GlobiRequest *req, gboolean admin)
{
  GlobiSocialArgs *args = group_user_args (req);

  if (!args)
    return;
  args->flag = admin;
  globi_routes_social_run (req, globi_store_social_set_admin, args, TRUE);
}

/* PUT /v1/groups/{id}/admins/{user_id} */
void
globi_routes_put_group_admin (GlobiRequest *req)
{
  set_admin (req, TRUE);
}

/* DELETE /v1/groups/{id}/admins/{user_id} */
void
globi_routes_delete_group_admin (GlobiRequest *req)
{
  set_admin (req, FALSE);
}

/* POST /v1/groups/{id}/owner */
void
globi_routes_transfer_group_owner (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  GlobiSocialArgs *args;

  if (!globi_routes_social_id_param (req, 0))
    return;
  if (!(body = globi_request_parse_json (req, owner_fields, &error)))
    {
      globi_request_reply_error (req, error);
      return;
    }
  args = group_args (req);
  args->other = dup_member (body, "user_id");
  globi_routes_social_run (req, globi_store_social_transfer_owner, args, TRUE);
}

/* POST /v1/groups/{id}/invites: the token is made here and only its hash stored; the
 * reply adds token and uri to what the store answers. */

typedef struct
{
  GlobiRequest *req;
  char *token;
  char *group_id;
} InviteReply;

static void
invite_reply_free (InviteReply *reply)
{
  globi_request_unref (reply->req);
  g_free (reply->token);
  g_free (reply->group_id);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InviteReply, invite_reply_free)

static void
on_invite_created_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (InviteReply) reply = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiSocialResult) done = globi_store_finish (GLOBI_STORE (source), result, &error);
  g_autofree char *uri = NULL;
  JsonObject *obj;

  if (error)
    {
      globi_request_reply_error (reply->req, error);
      return;
    }
  uri = g_strdup_printf ("globichat://join?group=%s&token=%s", reply->group_id, reply->token);
  obj = json_node_get_object (done->reply);
  json_object_set_string_member (obj, "token", reply->token);
  json_object_set_string_member (obj, "uri", uri);
  globi_request_reply_json (reply->req, done->status, done->reply);
}

void
globi_routes_create_group_invite (GlobiRequest *req)
{
  GlobiSocialArgs *args = group_args (req);
  guint8 raw[INVITE_TOKEN_BYTES];
  InviteReply *reply;

  if (!args)
    return;
  randombytes_buf (raw, sizeof raw);
  reply = g_new0 (InviteReply, 1);
  reply->req = globi_request_ref (req);
  reply->token = globi_base64url_encode (raw, sizeof raw);
  reply->group_id = g_strdup (args->id);
  hash_token (reply->token, args->token_hash);
  globi_store_write_async (globi_server_get_store (globi_request_get_server (req)),
                           globi_store_social_create_invite, args, globi_social_args_free,
                           globi_social_result_free, on_invite_created_cb, reply);
}

/* DELETE /v1/groups/{id}/invites/{token} */
void
globi_routes_revoke_group_invite (GlobiRequest *req)
{
  GlobiSocialArgs *args = group_args (req);

  if (!args)
    return;
  hash_token (globi_request_get_param (req, 1), args->token_hash);
  globi_routes_social_run (req, globi_store_social_revoke_invite, args, TRUE);
}

/* POST /v1/groups/join */
void
globi_routes_join_group (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = globi_request_parse_json (req, join_fields, &error);
  GlobiSocialArgs *args;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  args = globi_routes_social_args (req);
  hash_token (json_object_get_string_member (body, "token"), args->token_hash);
  globi_routes_social_run (req, globi_store_social_join_group, args, TRUE);
}

/* PUT /v1/groups/{id}/avatar: the store checks the role first, then the image is decoded
 * and stored like mine (globi_routes_store_avatar_async), then the group records it. */

static void
on_group_avatar_stored_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  GlobiSocialArgs *args = group_args (req);

  if (!globi_routes_store_avatar_finish (result, &args->avatar_hash, &args->avatar_thumb_hash,
                                         &error))
    {
      globi_social_args_free (args);
      globi_request_reply_error (req, error);
      return;
    }
  globi_routes_social_run (req, globi_store_social_set_group_avatar, args, TRUE);
}

/* The role is checked before the image is decoded and stored, so only owners and admins
 * leave blobs behind. */
static void
on_avatar_allowed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiSocialResult) allowed = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (!allowed)
    {
      globi_request_reply_error (req, error);
      return;
    }
  globi_routes_store_avatar_async (req, on_group_avatar_stored_cb, globi_request_ref (req));
}

void
globi_routes_put_group_avatar (GlobiRequest *req)
{
  if (!globi_routes_social_id_param (req, 0) || !globi_routes_check_avatar_body (req))
    return;
  globi_store_read_async (globi_server_get_store (globi_request_get_server (req)),
                          globi_store_social_check_admin, group_args (req), globi_social_args_free,
                          globi_social_result_free, on_avatar_allowed_cb, globi_request_ref (req));
}
