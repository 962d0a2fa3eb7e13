/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-routes-accounts"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "globi-routes.h"
#include "globi-server-private.h"

#define REFRESH_TOKEN_BYTES 32

/* What an accounts flow carries from one callback to the next. */
typedef struct
{
  GlobiRequest *req;
  char *username;
  char *password;     /* wiped when freed */
  char *new_password; /* wiped when freed */
  char *display_name;
  char *device_name;
  char *device_platform;
  char *refresh_token; /* the new one, handed out once stored */
  char *device_id;
  char *user_id;
  char *stored_hash; /* the user's password hash, as read at sign-in */
} Flow;

static void
free_secret (char *secret)
{
  if (secret)
    {
      sodium_memzero (secret, strlen (secret));
      g_free (secret);
    }
}

static Flow *
flow_new (GlobiRequest *req)
{
  Flow *flow = g_new0 (Flow, 1);

  flow->req = globi_request_ref (req);
  return flow;
}

static void
flow_free (Flow *flow)
{
  g_clear_pointer (&flow->req, globi_request_unref);
  g_free (flow->username);
  free_secret (flow->password);
  free_secret (flow->new_password);
  g_free (flow->display_name);
  g_free (flow->device_name);
  g_free (flow->device_platform);
  free_secret (flow->refresh_token);
  g_free (flow->device_id);
  g_free (flow->user_id);
  free_secret (flow->stored_hash);
  g_free (flow);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Flow, flow_free)

static GlobiServer *
flow_server (Flow *flow)
{
  return globi_request_get_server (flow->req);
}

static const char *
check_username (const char *value)
{
  if (!g_ascii_isalpha (value[0]))
    return "must start with a letter";
  for (const char *p = value; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.')
      return "only letters, digits, '_' and '.'";
  return NULL;
}

static const GlobiField register_fields[] = {
  { "username", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 3, 32, check_username },
  { "password", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_COUNT_BYTES, 8, 1024 },
  { "display_name", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_NOT_BLANK, 1, 64 },
  { NULL },
};

static const GlobiField device_fields[] = {
  { "name", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_NOT_BLANK, 1, 64 },
  { "platform", GLOBI_FIELD_STRING, 0, 0, 32 },
  { NULL },
};

/* device_name is the scripts' flat spelling of device.name (the issue's contract). */
static const GlobiField sign_in_fields[] = {
  { "username", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 1, 64 },
  { "password", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_COUNT_BYTES, 1, 1024 },
  { "device", GLOBI_FIELD_OBJECT, 0, 0, 0, NULL, device_fields },
  { "device_name", GLOBI_FIELD_STRING, GLOBI_FIELD_NOT_BLANK, 1, 64 },
  { NULL },
};

static const GlobiField refresh_fields[] = {
  { "refresh_token", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_COUNT_BYTES, 1, 256 },
  { NULL },
};

static const GlobiField password_fields[] = {
  { "current_password", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_COUNT_BYTES, 1,
    1024 },
  { "new_password", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_COUNT_BYTES, 8, 1024 },
  { NULL },
};

static char *
new_refresh_token (void)
{
  guint8 raw[REFRESH_TOKEN_BYTES];
  char *token;

  randombytes_buf (raw, sizeof raw);
  token = globi_base64url_encode (raw, sizeof raw);
  sodium_memzero (raw, sizeof raw);
  return token;
}

static void
reply_tokens (GlobiRequest *req,
              const GlobiUserRow *user,
              const char *device_id,
              const char *refresh_token)
{
  GlobiServer *server = globi_request_get_server (req);
  gint64 now_s = globi_server_now_s (server);
  gint64 expires_at_s = now_s;
  g_autofree char *access = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  access = globi_token_signer_issue (globi_server_get_signer (server), user->id, device_id, now_s,
                                     &expires_at_s);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "access_token");
  json_builder_add_string_value (builder, access);
  json_builder_set_member_name (builder, "token_type");
  json_builder_add_string_value (builder, "Bearer");
  json_builder_set_member_name (builder, "expires_in");
  json_builder_add_int_value (builder, expires_at_s - now_s);
  json_builder_set_member_name (builder, "refresh_token");
  json_builder_add_string_value (builder, refresh_token);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, device_id);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, user->id);
  json_builder_set_member_name (builder, "user");
  json_builder_add_value (builder, globi_routes_user_to_json (user, TRUE));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  globi_request_reply_json (req, SOUP_STATUS_OK, node);
}

/* Returns FALSE (having replied 429) when key is over the limit. */
static gboolean
check_limited (GlobiRequest *req, GlobiLimit limit, const char *key)
{
  GlobiServer *server = globi_request_get_server (req);
  guint retry_after = 0;

  if (globi_rate_limiter_is_limited (globi_server_get_limiter (server, limit), key,
                                     globi_server_monotonic_us (server), &retry_after))
    {
      globi_routes_reply_limited (req, retry_after);
      return FALSE;
    }
  return TRUE;
}

static void
hit_limit (GlobiServer *server, GlobiLimit limit, const char *key)
{
  guint retry_after = 0;

  globi_rate_limiter_hit (globi_server_get_limiter (server, limit), key,
                          globi_server_monotonic_us (server), &retry_after);
}

/* POST /v1/accounts */

static void
on_registered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiUserRow) user = globi_store_finish (GLOBI_STORE (source), result, &error);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  if (error)
    {
      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT))
        globi_request_reply_error_code (flow->req, GLOBI_ERROR_CONFLICT, "username: already taken");
      else
        globi_request_reply_error (flow->req, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, user->id);
  json_builder_set_member_name (builder, "user");
  json_builder_add_value (builder, globi_routes_user_to_json (user, TRUE));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  globi_request_reply_json (flow->req, SOUP_STATUS_CREATED, node);
}

static void
on_register_hashed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = NULL;
  GlobiServer *server = flow_server (flow);
  GlobiAccountArgs *args;

  hash = globi_password_hasher_hash_finish (GLOBI_PASSWORD_HASHER (source), result, &error);
  if (!hash)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  args = globi_account_args_new ();
  args->user_id = globi_id_new ();
  args->username = g_strdup (flow->username);
  args->password_hash = g_steal_pointer (&hash);
  args->display_name = g_strdup (flow->display_name);
  args->now_ms = globi_server_now_ms (server);
  globi_store_write_async (globi_server_get_store (server), globi_store_accounts_create_user, args,
                           globi_account_args_free, globi_user_row_free, on_registered_cb,
                           g_steal_pointer (&flow));
}

void
globi_routes_register (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = globi_request_parse_json (req, register_fields, &error);
  g_autofree char *key = NULL;
  guint retry_after = 0;
  Flow *flow;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  /* Only well-formed attempts count: they are the ones that cost an Argon2 hash. */
  key = g_strconcat ("register:addr:", globi_request_get_remote_host (req), NULL);
  if (!globi_rate_limiter_hit (globi_server_get_limiter (server, GLOBI_LIMIT_REGISTER_ADDRESS), key,
                               globi_server_monotonic_us (server), &retry_after))
    {
      globi_routes_reply_limited (req, retry_after);
      return;
    }

  flow = flow_new (req);
  flow->username = g_ascii_strdown (json_object_get_string_member (body, "username"), -1);
  flow->display_name = g_strdup (json_object_get_string_member (body, "display_name"));
  globi_password_hasher_hash_async (globi_server_get_hasher (server),
                                    json_object_get_string_member (body, "password"), NULL,
                                    on_register_hashed_cb, flow);
}

/* POST /v1/sessions */

static void
on_session_created_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiUserRow) user = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (error)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  globi_server_device_activate (flow_server (flow), flow->device_id);
  reply_tokens (flow->req, user, flow->device_id, flow->refresh_token);
}

static char *
signin_key (const char *kind, const char *value)
{
  return g_strconcat ("signin:", kind, ":", value, NULL);
}

/* A hash made at an older Argon2 cost is upgraded while the password is at hand. It runs
 * after the reply and is best effort: it is tried again at the next sign-in. */

static void
on_rehash_written_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  globi_store_finish (GLOBI_STORE (source), result, &error);
  if (error)
    g_debug ("password hash upgrade not stored: %s", error->message);
}

typedef struct
{
  GlobiServer *server;
  GlobiAccountArgs *args;
} Rehash;

static void
on_rehashed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Rehash *rehash = user_data;
  g_autoptr (GError) error = NULL;

  rehash->args->password_hash =
      globi_password_hasher_hash_finish (GLOBI_PASSWORD_HASHER (source), result, &error);
  if (rehash->args->password_hash)
    globi_store_write_async (globi_server_get_store (rehash->server), globi_store_accounts_rehash,
                             g_steal_pointer (&rehash->args), globi_account_args_free, NULL,
                             on_rehash_written_cb, NULL);
  g_clear_pointer (&rehash->args, globi_account_args_free);
  g_object_unref (rehash->server);
  g_free (rehash);
}

static void
start_rehash (Flow *flow)
{
  Rehash *rehash = g_new0 (Rehash, 1);

  rehash->server = g_object_ref (flow_server (flow));
  rehash->args = globi_account_args_new ();
  rehash->args->user_id = g_strdup (flow->user_id);
  globi_password_hasher_hash_async (globi_server_get_hasher (rehash->server), flow->password, NULL,
                                    on_rehashed_cb, rehash);
}

static void
on_sign_in_verified_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  GlobiServer *server = flow_server (flow);
  g_autofree char *account_key = signin_key ("user", flow->username);
  g_autofree char *address_key = signin_key ("addr", globi_request_get_remote_host (flow->req));
  GlobiAccountArgs *args;
  gboolean ok;

  ok = globi_password_hasher_verify_finish (GLOBI_PASSWORD_HASHER (source), result, &error);
  if (error)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  if (!ok || !flow->user_id)
    {
      hit_limit (server, GLOBI_LIMIT_SIGNIN_ACCOUNT, account_key);
      hit_limit (server, GLOBI_LIMIT_SIGNIN_ADDRESS, address_key);
      globi_request_reply_error_code (flow->req, GLOBI_ERROR_INVALID_CREDENTIALS,
                                      "wrong username or password");
      return;
    }
  globi_rate_limiter_reset (globi_server_get_limiter (server, GLOBI_LIMIT_SIGNIN_ACCOUNT),
                            account_key);
  if (globi_password_hasher_needs_rehash (GLOBI_PASSWORD_HASHER (source), flow->stored_hash))
    start_rehash (flow);

  flow->refresh_token = new_refresh_token ();
  args = globi_account_args_new ();
  args->user_id = g_strdup (flow->user_id);
  flow->device_id = globi_id_new ();
  args->device_id = g_strdup (flow->device_id);
  args->device_name = g_strdup (flow->device_name);
  args->device_platform = g_strdup (flow->device_platform);
  globi_refresh_token_hash (flow->refresh_token, args->token_hash);
  args->now_ms = globi_server_now_ms (server);
  globi_store_write_async (globi_server_get_store (server), globi_store_accounts_create_session,
                           args, globi_account_args_free, globi_user_row_free,
                           on_session_created_cb, g_steal_pointer (&flow));
}

static void
on_sign_in_user_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiUserRow) user = globi_store_finish (GLOBI_STORE (source), result, &error);
  GlobiServer *server = flow_server (flow);
  const char *password;

  if (error && !g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND))
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  if (user)
    {
      flow->user_id = g_strdup (user->id);
      flow->stored_hash = g_strdup (user->password_hash);
    }
  /* Read before the call: its arguments are evaluated in no set order, and one of them
   * steals flow. An unknown user still pays for a verification: timing must not tell who
   * exists. */
  password = flow->password;
  globi_password_hasher_verify_async (globi_server_get_hasher (server), password,
                                      user ? user->password_hash : NULL, NULL,
                                      on_sign_in_verified_cb, g_steal_pointer (&flow));
}

void
globi_routes_sign_in (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = globi_request_parse_json (req, sign_in_fields, &error);
  g_autofree char *account_key = NULL;
  g_autofree char *address_key = NULL;
  GlobiAccountArgs *args;
  Flow *flow;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  if (!json_object_has_member (body, "device") && !json_object_has_member (body, "device_name"))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_INVALID_FIELD, "device: required");
      return;
    }

  flow = flow_new (req);
  flow->username = g_ascii_strdown (json_object_get_string_member (body, "username"), -1);
  flow->password = g_strdup (json_object_get_string_member (body, "password"));
  if (json_object_has_member (body, "device"))
    {
      JsonObject *device = json_object_get_object_member (body, "device");

      flow->device_name = g_strdup (json_object_get_string_member (device, "name"));
      flow->device_platform =
          g_strdup (json_object_get_string_member_with_default (device, "platform", ""));
    }
  else
    {
      flow->device_name = g_strdup (json_object_get_string_member (body, "device_name"));
      flow->device_platform = g_strdup ("");
    }

  account_key = signin_key ("user", flow->username);
  address_key = signin_key ("addr", globi_request_get_remote_host (req));
  if (!check_limited (req, GLOBI_LIMIT_SIGNIN_ACCOUNT, account_key) ||
      !check_limited (req, GLOBI_LIMIT_SIGNIN_ADDRESS, address_key))
    {
      flow_free (flow);
      return;
    }

  args = globi_account_args_new ();
  args->username = g_strdup (flow->username);
  globi_store_read_async (globi_server_get_store (server), globi_store_accounts_get_by_username,
                          args, globi_account_args_free, globi_user_row_free, on_sign_in_user_cb,
                          flow);
}

/* POST /v1/sessions/refresh */

static void
on_refreshed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiRefreshResult) refreshed = NULL;

  refreshed = globi_store_finish (GLOBI_STORE (source), result, &error);
  if (error)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  if (refreshed->reused)
    {
      globi_server_device_revoke (flow_server (flow), refreshed->device_id);
      g_message ("refresh token reused: device revoked");
      globi_request_reply_error_code (flow->req, GLOBI_ERROR_TOKEN_REUSED,
                                      "refresh token already used; the device is signed out");
      return;
    }
  reply_tokens (flow->req, refreshed->user, refreshed->device_id, flow->refresh_token);
}

void
globi_routes_refresh (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = globi_request_parse_json (req, refresh_fields, &error);
  GlobiAccountArgs *args;
  Flow *flow;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  flow = flow_new (req);
  flow->refresh_token = new_refresh_token ();
  args = globi_account_args_new ();
  globi_refresh_token_hash (json_object_get_string_member (body, "refresh_token"),
                            args->token_hash);
  globi_refresh_token_hash (flow->refresh_token, args->new_token_hash);
  args->now_ms = globi_server_now_ms (server);
  globi_store_write_async (globi_server_get_store (server), globi_store_accounts_refresh, args,
                           globi_account_args_free, globi_refresh_result_free, on_refreshed_cb,
                           flow);
}

/* DELETE /v1/sessions/current and DELETE /v1/devices/{id} */

static void
on_device_revoked_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;

  globi_store_finish (GLOBI_STORE (source), result, &error);
  if (error)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  globi_server_device_revoke (flow_server (flow), flow->device_id);
  globi_request_reply_empty (flow->req, SOUP_STATUS_NO_CONTENT);
}

static void
revoke_device (GlobiRequest *req, const char *device_id)
{
  GlobiServer *server = globi_request_get_server (req);
  GlobiAccountArgs *args = globi_account_args_new ();
  Flow *flow = flow_new (req);

  flow->device_id = g_strdup (device_id);
  args->user_id = g_strdup (globi_request_get_user_id (req));
  args->device_id = g_strdup (device_id);
  args->now_ms = globi_server_now_ms (server);
  globi_store_write_async (globi_server_get_store (server), globi_store_accounts_revoke_device,
                           args, globi_account_args_free, NULL, on_device_revoked_cb, flow);
}

void
globi_routes_sign_out (GlobiRequest *req)
{
  revoke_device (req, globi_request_get_device_id (req));
}

void
globi_routes_revoke_device (GlobiRequest *req)
{
  const char *id = globi_request_get_param (req, 0);

  if (!globi_id_is_valid (id))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_NOT_FOUND, "no such device");
      return;
    }
  revoke_device (req, id);
}

/* GET /v1/devices */

static void
on_devices_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = globi_store_finish (GLOBI_STORE (source), result, &error);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  const char *current = globi_request_get_device_id (req);

  if (error)
    {
      globi_request_reply_error (req, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < devices->len; i++)
    {
      GlobiDeviceRow *row = g_ptr_array_index (devices, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, row->id);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, row->name);
      json_builder_set_member_name (builder, "platform");
      json_builder_add_string_value (builder, row->platform);
      json_builder_set_member_name (builder, "created_at");
      json_builder_add_int_value (builder, row->created_at);
      json_builder_set_member_name (builder, "last_seen_at");
      json_builder_add_int_value (builder, row->last_seen_at);
      json_builder_set_member_name (builder, "current");
      json_builder_add_boolean_value (builder, g_strcmp0 (row->id, current) == 0);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  globi_request_reply_json (req, SOUP_STATUS_OK, node);
}

void
globi_routes_list_devices (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  GlobiAccountArgs *args = globi_account_args_new ();

  args->user_id = g_strdup (globi_request_get_user_id (req));
  globi_store_read_async (globi_server_get_store (server), globi_store_accounts_list_devices, args,
                          globi_account_args_free, (GDestroyNotify) g_ptr_array_unref,
                          on_devices_listed_cb, globi_request_ref (req));
}

/* POST /v1/account/password */

static void
on_password_changed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) revoked = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (error)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  for (guint i = 0; i < revoked->len; i++)
    globi_server_device_revoke (flow_server (flow), g_ptr_array_index (revoked, i));
  globi_request_reply_empty (flow->req, SOUP_STATUS_NO_CONTENT);
}

static void
on_new_password_hashed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = NULL;
  GlobiServer *server = flow_server (flow);
  GlobiAccountArgs *args;

  hash = globi_password_hasher_hash_finish (GLOBI_PASSWORD_HASHER (source), result, &error);
  if (!hash)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  args = globi_account_args_new ();
  args->user_id = g_strdup (globi_request_get_user_id (flow->req));
  args->device_id = g_strdup (globi_request_get_device_id (flow->req));
  args->password_hash = g_steal_pointer (&hash);
  args->now_ms = globi_server_now_ms (server);
  globi_store_write_async (globi_server_get_store (server), globi_store_accounts_change_password,
                           args, globi_account_args_free, (GDestroyNotify) g_ptr_array_unref,
                           on_password_changed_cb, g_steal_pointer (&flow));
}

static void
on_current_password_verified_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  GlobiServer *server = flow_server (flow);
  gboolean ok;
  const char *new_password;

  ok = globi_password_hasher_verify_finish (GLOBI_PASSWORD_HASHER (source), result, &error);
  if (error)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  if (!ok)
    {
      g_autofree char *key = signin_key ("user", flow->username);

      hit_limit (server, GLOBI_LIMIT_SIGNIN_ACCOUNT, key);
      globi_request_reply_error_code (flow->req, GLOBI_ERROR_INVALID_CREDENTIALS,
                                      "current_password: wrong password");
      return;
    }
  new_password = flow->new_password;
  globi_password_hasher_hash_async (GLOBI_PASSWORD_HASHER (source), new_password, NULL,
                                    on_new_password_hashed_cb, g_steal_pointer (&flow));
}

static void
on_password_user_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Flow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiUserRow) user = globi_store_finish (GLOBI_STORE (source), result, &error);
  GlobiServer *server = flow_server (flow);
  g_autofree char *key = NULL;
  const char *password;

  if (error)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  /* Guessing the current password is a sign-in attempt by other means. */
  flow->username = g_strdup (user->username);
  key = signin_key ("user", flow->username);
  if (!check_limited (flow->req, GLOBI_LIMIT_SIGNIN_ACCOUNT, key))
    return;
  password = flow->password;
  globi_password_hasher_verify_async (globi_server_get_hasher (server), password,
                                      user->password_hash, NULL, on_current_password_verified_cb,
                                      g_steal_pointer (&flow));
}

void
globi_routes_change_password (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = globi_request_parse_json (req, password_fields, &error);
  GlobiAccountArgs *args;
  Flow *flow;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  flow = flow_new (req);
  flow->password = g_strdup (json_object_get_string_member (body, "current_password"));
  flow->new_password = g_strdup (json_object_get_string_member (body, "new_password"));
  args = globi_account_args_new ();
  args->user_id = g_strdup (globi_request_get_user_id (req));
  globi_store_read_async (globi_server_get_store (server), globi_store_accounts_get_by_id, args,
                          globi_account_args_free, globi_user_row_free, on_password_user_cb, flow);
}
