/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-session"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>

#include "globi-error.h"
#include "globi-core-enums.h"
#include "globi-core-util.h"
#include "globi-credential-store.h"
#include "globi-device.h"
#include "globi-session.h"

#define BLOB_CACHE_DIR "blob-cache"

enum
{
  PROP_0,
  PROP_PROFILE_DIR,
  PROP_STATE,
  PROP_ME,
  PROP_SERVER_URL,
  PROP_USER_ID,
  PROP_DEVICE_ID,
  PROP_CREDENTIAL_BACKEND,
  PROP_CLIENT,
  N_PROPS
};

enum
{
  SIGNED_OUT,
  N_SIGNALS
};

struct _GlobiSession
{
  GObject parent_instance;

  char *profile_dir;
  GlobiSessionState state;
  GlobiProfile *me;
  char *server_url;
  char *user_id;
  char *device_id;

  GlobiClient *client;
  GlobiCredentialStore *store;
};

G_DEFINE_FINAL_TYPE (GlobiSession, globi_session, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* What to do with a reply (or its error); it must return the task, which it borrows. */
typedef void (*ReplyHandler) (GlobiSession *self, GTask *task, JsonNode *reply, GError *error);

/* State */

static void
set_state (GlobiSession *self, GlobiSessionState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_string_prop (GlobiSession *self, char **field, const char *value, guint prop)
{
  if (globi_set_str (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static GlobiCredentials *
dup_credentials (GlobiSession *self)
{
  GlobiCredentials *creds = globi_credentials_new ();

  creds->server_url = g_strdup (self->server_url);
  creds->user_id = g_strdup (self->user_id);
  creds->username = g_strdup (self->me != NULL ? globi_profile_get_username (self->me) : NULL);
  creds->device_id = g_strdup (self->device_id);
  creds->refresh_token = globi_client_dup_refresh_token (self->client);
  return creds;
}

static void
on_background_save_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!globi_credential_store_save_finish (GLOBI_CREDENTIAL_STORE (object), result, &error))
    g_warning ("Could not keep the sign-in: %s", error->message);
}

static void
on_background_clear_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!globi_credential_store_clear_finish (GLOBI_CREDENTIAL_STORE (object), result, &error))
    g_warning ("Could not forget the sign-in: %s", error->message);
}

/* Replaces `me` with what the server said, in place. */
static gboolean
update_me (GlobiSession *self, JsonObject *user, GError **error)
{
  g_autoptr (GlobiProfile) fresh = NULL;

  fresh = globi_profile_new_from_json (user, error);
  if (fresh == NULL)
    return FALSE;

  if (self->me == NULL)
    {
      self->me = g_steal_pointer (&fresh);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ME]);
    }
  else
    globi_profile_assign (self->me, fresh);
  return TRUE;
}

/* Takes over a Tokens reply (sign-in or refresh). */
static gboolean
take_tokens (GlobiSession *self, const char *server_url, JsonNode *reply, GError **error)
{
  JsonObject *tokens;
  JsonObject *user;
  JsonNode *access;
  JsonNode *refresh;
  JsonNode *device;

  if ((user = globi_json_get_object_member (reply, "user", error)) == NULL)
    return FALSE;
  tokens = json_node_get_object (reply);
  access = json_object_get_member (tokens, "access_token");
  refresh = json_object_get_member (tokens, "refresh_token");
  device = json_object_get_member (tokens, "device_id");
  if (!globi_json_node_holds (access, G_TYPE_STRING) ||
      !globi_json_node_holds (refresh, G_TYPE_STRING) ||
      !globi_json_node_holds (device, G_TYPE_STRING))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                   _ ("The server's sign-in reply is incomplete"));
      return FALSE;
    }
  if (!update_me (self, user, error))
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  globi_client_set_tokens (self->client, json_node_get_string (access),
                           json_node_get_string (refresh));
  set_string_prop (self, &self->server_url, server_url, PROP_SERVER_URL);
  set_string_prop (self, &self->user_id, globi_profile_get_id (self->me), PROP_USER_ID);
  set_string_prop (self, &self->device_id, json_node_get_string (device), PROP_DEVICE_ID);
  set_state (self, GLOBI_SESSION_STATE_SIGNED_IN);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

/* Back to SIGNED_OUT; forgets the stored sign-in when forget is set. reason < 0: no
 * signed-out signal (a restore that could not reach the server). */
static void
end_session (GlobiSession *self, int reason, gboolean forget)
{
  GlobiSessionState old_state = self->state;

  g_object_freeze_notify (G_OBJECT (self));
  globi_client_clear_tokens (self->client);
  if (self->me != NULL)
    {
      g_clear_object (&self->me);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ME]);
    }
  set_string_prop (self, &self->user_id, NULL, PROP_USER_ID);
  set_string_prop (self, &self->device_id, NULL, PROP_DEVICE_ID);
  set_state (self, GLOBI_SESSION_STATE_SIGNED_OUT);
  g_object_thaw_notify (G_OBJECT (self));

  if (forget)
    globi_credential_store_clear_async (self->store, NULL, on_background_clear_cb, NULL);

  if (old_state != GLOBI_SESSION_STATE_SIGNED_OUT && reason >= 0)
    g_signal_emit (self, signals[SIGNED_OUT], 0, reason);
}

static void
on_tokens_changed_cb (GlobiSession *self, GlobiClient *client)
{
  g_autoptr (GlobiCredentials) creds = NULL;

  if (self->state == GLOBI_SESSION_STATE_SIGNED_OUT)
    return;
  /* The old refresh token is dead now: only the new one restores the session. */
  creds = dup_credentials (self);
  globi_credential_store_save_async (self->store, creds, NULL, on_background_save_cb, NULL);
}

static void
on_session_ended_cb (GlobiSession *self, guint code, GlobiClient *client)
{
  g_info ("The server ended this session (%s)", globi_error_code_to_string (code));
  end_session (self,
               code == GLOBI_ERROR_UNAUTHORIZED || code == GLOBI_ERROR_TOKEN_REUSED
                   ? GLOBI_SIGN_OUT_REASON_REVOKED
                   : GLOBI_SIGN_OUT_REASON_EXPIRED,
               TRUE);
}

static void
on_store_backend_cb (GlobiSession *self, GParamSpec *pspec, GlobiCredentialStore *store)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREDENTIAL_BACKEND]);
}

/* Calls */

typedef struct
{
  GTask *task;
  ReplyHandler handler;
} PendingCall;

static void
on_call_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  PendingCall *call = user_data;
  g_autoptr (GTask) task = call->task;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;
  ReplyHandler handler = call->handler;

  g_free (call);
  reply = globi_client_call_finish (GLOBI_CLIENT (object), result, &error);
  handler (g_task_get_source_object (task), task, reply, error);
}

/* Takes the reference on task. */
static void
session_call (GlobiSession *self,
              GTask *task,
              const char *method,
              const char *path,
              JsonNode *body,
              GlobiCallFlags flags,
              ReplyHandler handler)
{
  PendingCall *call = g_new0 (PendingCall, 1);

  call->task = task;
  call->handler = handler;
  globi_client_call_async (self->client, method, path, body, flags, g_task_get_cancellable (task),
                           on_call_cb, call);
}

static GTask *
session_task_new (GlobiSession *self,
                  gpointer source_tag,
                  GCancellable *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  return task;
}

/* For the operations that need an account: FALSE (and the task returned) when there is
 * none. Takes the reference on task when it returns FALSE. */
static gboolean
require_signed_in (GlobiSession *self, GTask *task)
{
  if (self->state == GLOBI_SESSION_STATE_SIGNED_IN)
    return TRUE;
  g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, _ ("Not signed in"));
  g_object_unref (task);
  return FALSE;
}

static void
handle_void_reply (GlobiSession *self, GTask *task, JsonNode *reply, GError *error)
{
  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
}

/* {"user": Me} */
static void
handle_me_reply (GlobiSession *self, GTask *task, JsonNode *reply, GError *error)
{
  g_autoptr (GError) local_error = NULL;
  JsonObject *user;

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }
  if (self->state != GLOBI_SESSION_STATE_SIGNED_IN)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, _ ("Not signed in"));
      return;
    }
  if ((user = globi_json_get_object_member (reply, "user", &local_error)) == NULL ||
      !update_me (self, user, &local_error))
    {
      g_task_return_error (task, g_steal_pointer (&local_error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
globi_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiSession *self = GLOBI_SESSION (object);

  switch (prop_id)
    {
      case PROP_PROFILE_DIR:
        g_value_set_string (value, self->profile_dir);
        break;

      case PROP_STATE:
        g_value_set_enum (value, self->state);
        break;

      case PROP_ME:
        g_value_set_object (value, self->me);
        break;

      case PROP_SERVER_URL:
        g_value_set_string (value, self->server_url);
        break;

      case PROP_USER_ID:
        g_value_set_string (value, self->user_id);
        break;

      case PROP_DEVICE_ID:
        g_value_set_string (value, self->device_id);
        break;

      case PROP_CREDENTIAL_BACKEND:
        g_value_set_enum (value, globi_credential_store_get_backend (self->store));
        break;

      case PROP_CLIENT:
        g_value_set_object (value, self->client);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_session_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GlobiSession *self = GLOBI_SESSION (object);

  switch (prop_id)
    {
      case PROP_PROFILE_DIR:
        self->profile_dir = g_value_dup_string (value);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_session_constructed (GObject *object)
{
  GlobiSession *self = GLOBI_SESSION (object);
  g_autofree char *cache_dir = NULL;

  G_OBJECT_CLASS (globi_session_parent_class)->constructed (object);

  cache_dir = g_build_filename (self->profile_dir, BLOB_CACHE_DIR, NULL);
  self->client = globi_client_new (NULL, cache_dir);
  g_signal_connect_object (self->client, "tokens-changed", G_CALLBACK (on_tokens_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "session-ended", G_CALLBACK (on_session_ended_cb), self,
                           G_CONNECT_SWAPPED);

  self->store = globi_credential_store_new (self->profile_dir);
  g_signal_connect_object (self->store, "notify::backend", G_CALLBACK (on_store_backend_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
globi_session_dispose (GObject *object)
{
  GlobiSession *self = GLOBI_SESSION (object);

  g_clear_object (&self->me);
  g_clear_object (&self->client);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (globi_session_parent_class)->dispose (object);
}

static void
globi_session_finalize (GObject *object)
{
  GlobiSession *self = GLOBI_SESSION (object);

  g_clear_pointer (&self->profile_dir, g_free);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->user_id, g_free);
  g_clear_pointer (&self->device_id, g_free);

  G_OBJECT_CLASS (globi_session_parent_class)->finalize (object);
}

static void
globi_session_class_init (GlobiSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = globi_session_get_property;
  object_class->set_property = globi_session_set_property;
  object_class->constructed = globi_session_constructed;
  object_class->dispose = globi_session_dispose;
  object_class->finalize = globi_session_finalize;

  properties[PROP_PROFILE_DIR] =
      g_param_spec_string ("profile-dir", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, GLOBI_TYPE_SESSION_STATE,
                                              GLOBI_SESSION_STATE_SIGNED_OUT, ro);
  properties[PROP_ME] = g_param_spec_object ("me", NULL, NULL, GLOBI_TYPE_PROFILE, ro);
  properties[PROP_SERVER_URL] = g_param_spec_string ("server-url", NULL, NULL, NULL, ro);
  properties[PROP_USER_ID] = g_param_spec_string ("user-id", NULL, NULL, NULL, ro);
  properties[PROP_DEVICE_ID] = g_param_spec_string ("device-id", NULL, NULL, NULL, ro);
  properties[PROP_CREDENTIAL_BACKEND] =
      g_param_spec_enum ("credential-backend", NULL, NULL, GLOBI_TYPE_CREDENTIAL_BACKEND,
                         GLOBI_CREDENTIAL_BACKEND_SECRET_SERVICE, ro);
  properties[PROP_CLIENT] = g_param_spec_object ("client", NULL, NULL, GLOBI_TYPE_CLIENT, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNED_OUT] = g_signal_new ("signed-out", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 1, GLOBI_TYPE_SIGN_OUT_REASON);
}

static void
globi_session_init (GlobiSession *self)
{
  self->state = GLOBI_SESSION_STATE_SIGNED_OUT;
}

/* Public API */

GlobiSession *
globi_session_new (const char *profile_dir)
{
  g_return_val_if_fail (profile_dir != NULL, NULL);

  return g_object_new (GLOBI_TYPE_SESSION, "profile-dir", profile_dir, NULL);
}

const char *
globi_session_get_profile_dir (GlobiSession *self)
{
  g_return_val_if_fail (GLOBI_IS_SESSION (self), NULL);
  return self->profile_dir;
}

GlobiSessionState
globi_session_get_state (GlobiSession *self)
{
  g_return_val_if_fail (GLOBI_IS_SESSION (self), GLOBI_SESSION_STATE_SIGNED_OUT);
  return self->state;
}

GlobiProfile *
globi_session_get_me (GlobiSession *self)
{
  g_return_val_if_fail (GLOBI_IS_SESSION (self), NULL);
  return self->me;
}

const char *
globi_session_get_server_url (GlobiSession *self)
{
  g_return_val_if_fail (GLOBI_IS_SESSION (self), NULL);
  return self->server_url;
}

const char *
globi_session_get_user_id (GlobiSession *self)
{
  g_return_val_if_fail (GLOBI_IS_SESSION (self), NULL);
  return self->user_id;
}

const char *
globi_session_get_device_id (GlobiSession *self)
{
  g_return_val_if_fail (GLOBI_IS_SESSION (self), NULL);
  return self->device_id;
}

GlobiCredentialBackend
globi_session_get_credential_backend (GlobiSession *self)
{
  g_return_val_if_fail (GLOBI_IS_SESSION (self), GLOBI_CREDENTIAL_BACKEND_FILE);
  return globi_credential_store_get_backend (self->store);
}

GlobiClient *
globi_session_get_client (GlobiSession *self)
{
  g_return_val_if_fail (GLOBI_IS_SESSION (self), NULL);
  return self->client;
}

char *
globi_session_default_device_name (void)
{
  /* TRANSLATORS: the default name of this computer in the list of signed-in devices */
  return g_strdup_printf (_ ("GlobiChat on %s"), g_get_host_name ());
}

/* Saving a fresh sign-in, then finishing the operation. */
static void
on_signed_in_saved_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  /* The session works without a stored sign-in; it just will not survive a restart. */
  if (!globi_credential_store_save_finish (GLOBI_CREDENTIAL_STORE (object), result, &error))
    g_warning ("Could not keep the sign-in: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

static void
handle_tokens_reply (GlobiSession *self, GTask *task, JsonNode *reply, GError *error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GlobiCredentials) creds = NULL;
  const char *server_url = g_task_get_task_data (task);

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }
  if (!take_tokens (self, server_url, reply, &local_error))
    {
      g_task_return_error (task, g_steal_pointer (&local_error));
      return;
    }
  creds = dup_credentials (self);
  globi_credential_store_save_async (self->store, creds, NULL, on_signed_in_saved_cb,
                                     g_object_ref (task));
}

/* restore */

static void
on_restore_refreshed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiSession *self = g_task_get_source_object (task);
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply = globi_client_refresh_finish (GLOBI_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      /* A refused token already went through session-ended (which forgot it); on a
       * network error the stored sign-in stays for the next try. */
      end_session (self, -1, FALSE);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  handle_tokens_reply (self, task, reply, NULL);
}

static void
on_restore_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiSession *self = g_task_get_source_object (task);
  g_autoptr (GlobiCredentials) creds = NULL;
  g_autoptr (GError) error = NULL;

  creds = globi_credential_store_load_finish (GLOBI_CREDENTIAL_STORE (object), result, &error);
  if (creds == NULL)
    {
      set_state (self, GLOBI_SESSION_STATE_SIGNED_OUT);
      if (error != NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, FALSE);
      return;
    }

  g_object_freeze_notify (G_OBJECT (self));
  set_string_prop (self, &self->server_url, creds->server_url, PROP_SERVER_URL);
  set_string_prop (self, &self->user_id, creds->user_id, PROP_USER_ID);
  set_string_prop (self, &self->device_id, creds->device_id, PROP_DEVICE_ID);
  g_object_thaw_notify (G_OBJECT (self));

  g_task_set_task_data (task, g_strdup (creds->server_url), g_free);
  globi_client_set_base_url (self->client, creds->server_url);
  globi_client_set_tokens (self->client, NULL, creds->refresh_token);
  globi_client_refresh_async (self->client, g_task_get_cancellable (task), on_restore_refreshed_cb,
                              g_object_ref (task));
}

void
globi_session_restore_async (GlobiSession *self,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));

  task = session_task_new (self, globi_session_restore_async, cancellable, callback, user_data);
  if (self->state == GLOBI_SESSION_STATE_SIGNED_IN)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  set_state (self, GLOBI_SESSION_STATE_RESTORING);
  globi_credential_store_load_async (self->store, cancellable, on_restore_loaded_cb, task);
}

gboolean
globi_session_restore_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* sign_in and register */

static JsonNode *
build_sign_in_body (const char *username, const char *password, const char *device_name)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *default_name = NULL;

  if (device_name == NULL)
    device_name = default_name = globi_session_default_device_name ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_set_member_name (builder, "device");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, device_name);
  json_builder_set_member_name (builder, "platform");
  json_builder_add_string_value (builder, "Linux");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Takes the reference on task; task data is the server URL. */
static void
start_sign_in (GlobiSession *self,
               GTask *task,
               const char *username,
               const char *password,
               const char *device_name)
{
  g_autoptr (JsonNode) body = build_sign_in_body (username, password, device_name);

  session_call (self, task, "POST", "/v1/sessions", body, GLOBI_CALL_FLAGS_NONE,
                handle_tokens_reply);
}

static void
prepare_server (GlobiSession *self, GTask *task, const char *server_url)
{
  g_task_set_task_data (task, g_strdup (server_url), g_free);
  /* A new sign-in replaces whatever this profile had; the stored one is overwritten once
   * the new one succeeds. No signed-out signal: nobody was thrown out. */
  end_session (self, -1, FALSE);
  globi_client_set_base_url (self->client, server_url);
}

void
globi_session_sign_in_async (GlobiSession *self,
                             const char *server_url,
                             const char *username,
                             const char *password,
                             const char *device_name,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = session_task_new (self, globi_session_sign_in_async, cancellable, callback, user_data);
  prepare_server (self, task, server_url);
  start_sign_in (self, task, username, password, device_name);
}

gboolean
globi_session_sign_in_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  GTask *task;
  char *username;
  char *password;
} Registration;

static void
on_registered_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Registration *reg = user_data;
  GTask *task = reg->task;
  GlobiSession *self = g_task_get_source_object (task);
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply = globi_client_call_finish (GLOBI_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
    }
  else
    start_sign_in (self, task, reg->username, reg->password, NULL);

  g_free (reg->username);
  sodium_memzero (reg->password, strlen (reg->password));
  g_free (reg->password);
  g_free (reg);
}

void
globi_session_register_async (GlobiSession *self,
                              const char *server_url,
                              const char *username,
                              const char *password,
                              const char *display_name,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  Registration *reg;

  g_return_if_fail (GLOBI_IS_SESSION (self));
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);
  g_return_if_fail (display_name != NULL);

  reg = g_new0 (Registration, 1);
  reg->task =
      session_task_new (self, globi_session_register_async, cancellable, callback, user_data);
  reg->username = g_strdup (username);
  reg->password = g_strdup (password);
  prepare_server (self, reg->task, server_url);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_set_member_name (builder, "display_name");
  json_builder_add_string_value (builder, display_name);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  globi_client_call_async (self->client, "POST", "/v1/accounts", body, GLOBI_CALL_FLAGS_NONE,
                           cancellable, on_registered_cb, reg);
}

gboolean
globi_session_register_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* sign_out */

static void
on_signed_out_cleared_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!globi_credential_store_clear_finish (GLOBI_CREDENTIAL_STORE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
handle_sign_out_reply (GlobiSession *self, GTask *task, JsonNode *reply, GError *error)
{
  /* Whatever the server said (or if it could not be reached), this device forgets the
   * account: the user asked to sign out. */
  if (error != NULL)
    g_info ("Signing out locally only: %s", error->message);
  end_session (self, GLOBI_SIGN_OUT_REASON_USER, FALSE);
  globi_credential_store_clear_async (self->store, NULL, on_signed_out_cleared_cb,
                                      g_object_ref (task));
}

void
globi_session_sign_out_async (GlobiSession *self,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));

  task = session_task_new (self, globi_session_sign_out_async, cancellable, callback, user_data);
  if (!globi_client_has_tokens (self->client))
    {
      handle_sign_out_reply (self, task, NULL, NULL);
      g_object_unref (task);
      return;
    }
  session_call (self, task, "DELETE", "/v1/sessions/current", NULL, GLOBI_CALL_FLAGS_AUTH,
                handle_sign_out_reply);
}

gboolean
globi_session_sign_out_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* reload_me */

void
globi_session_reload_me_async (GlobiSession *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));

  task = session_task_new (self, globi_session_reload_me_async, cancellable, callback, user_data);
  if (require_signed_in (self, task))
    session_call (self, task, "GET", "/v1/me", NULL, GLOBI_CALL_FLAGS_AUTH, handle_me_reply);
}

gboolean
globi_session_reload_me_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* update_profile */

/* The current values of the fields patch touches: undoing only those keeps other edits
 * made meanwhile (each switch in the settings page is its own update). */
static JsonObject *
build_undo (GlobiProfile *me, JsonObject *patch)
{
  g_autoptr (JsonNode) current = globi_profile_to_json (me);
  JsonObject *now = json_node_get_object (current);
  JsonObject *undo = json_object_new ();
  g_autoptr (GList) members = json_object_get_members (patch);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (now, name);
      JsonNode *wanted = json_object_get_member (patch, name);

      if (value == NULL)
        continue;
      if (g_str_equal (name, "privacy") && JSON_NODE_HOLDS_OBJECT (wanted))
        {
          JsonObject *privacy = json_object_new ();
          g_autoptr (GList) keys = json_object_get_members (json_node_get_object (wanted));

          for (GList *k = keys; k != NULL; k = k->next)
            {
              JsonNode *old = json_object_get_member (json_node_get_object (value), k->data);

              if (old != NULL)
                json_object_set_member (privacy, k->data, json_node_copy (old));
            }
          json_object_set_object_member (undo, name, privacy);
        }
      else
        json_object_set_member (undo, name, json_node_copy (value));
    }
  return undo;
}

static void
handle_update_reply (GlobiSession *self, GTask *task, JsonNode *reply, GError *error)
{
  JsonObject *undo = g_task_get_task_data (task);

  if (error != NULL && self->me != NULL && !globi_profile_update_from_json (self->me, undo, NULL))
    g_warning ("Could not roll back a refused profile change");
  handle_me_reply (self, task, reply, error);
}

void
globi_session_update_profile_async (GlobiSession *self,
                                    JsonObject *patch,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autoptr (JsonNode) body = NULL;
  GError *error = NULL;
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));
  g_return_if_fail (patch != NULL);

  task =
      session_task_new (self, globi_session_update_profile_async, cancellable, callback, user_data);
  if (!require_signed_in (self, task))
    return;

  /* Optimistic: show the change now, keep what to roll back to. */
  g_task_set_task_data (task, build_undo (self->me, patch), (GDestroyNotify) json_object_unref);
  if (!globi_profile_update_from_json (self->me, patch, &error))
    {
      error->code = GLOBI_ERROR_INVALID_FIELD;
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  body = json_node_init_object (json_node_alloc (), patch);
  session_call (self, task, "PATCH", "/v1/me", body, GLOBI_CALL_FLAGS_AUTH, handle_update_reply);
}

gboolean
globi_session_update_profile_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* avatar */

static void
on_avatar_uploaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply = globi_client_upload_finish (GLOBI_CLIENT (object), result, &error);
  handle_me_reply (g_task_get_source_object (task), task, reply, error);
}

void
globi_session_set_avatar_async (GlobiSession *self,
                                GBytes *image,
                                const char *content_type,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));
  g_return_if_fail (image != NULL);

  task = session_task_new (self, globi_session_set_avatar_async, cancellable, callback, user_data);
  if (!require_signed_in (self, task))
    return;
  globi_client_upload_async (self->client, "/v1/me/avatar", image,
                             content_type != NULL ? content_type : "image/png", cancellable,
                             on_avatar_uploaded_cb, task);
}

gboolean
globi_session_set_avatar_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
globi_session_remove_avatar_async (GlobiSession *self,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));

  task =
      session_task_new (self, globi_session_remove_avatar_async, cancellable, callback, user_data);
  if (require_signed_in (self, task))
    session_call (self, task, "DELETE", "/v1/me/avatar", NULL, GLOBI_CALL_FLAGS_AUTH,
                  handle_me_reply);
}

gboolean
globi_session_remove_avatar_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* devices */

static void
handle_devices_reply (GlobiSession *self, GTask *task, JsonNode *reply, GError *error)
{
  g_autoptr (GListStore) store = NULL;
  JsonNode *devices;
  JsonArray *array;

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }
  devices = JSON_NODE_HOLDS_OBJECT (reply)
                ? json_object_get_member (json_node_get_object (reply), "devices")
                : NULL;
  if (devices == NULL || !JSON_NODE_HOLDS_ARRAY (devices))
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                               _ ("The server's reply has no device list"));
      return;
    }

  store = g_list_store_new (GLOBI_TYPE_DEVICE);
  array = json_node_get_array (devices);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr (GlobiDevice) device = NULL;
      g_autoptr (GError) local_error = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (element) ||
          (device = globi_device_new_from_json (json_node_get_object (element), &local_error)) ==
              NULL)
        {
          g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                                   _ ("The server sent a malformed device"));
          return;
        }
      g_list_store_append (store, device);
    }
  g_task_return_pointer (task, g_steal_pointer (&store), g_object_unref);
}

void
globi_session_list_devices_async (GlobiSession *self,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));

  task =
      session_task_new (self, globi_session_list_devices_async, cancellable, callback, user_data);
  if (require_signed_in (self, task))
    session_call (self, task, "GET", "/v1/devices", NULL, GLOBI_CALL_FLAGS_AUTH,
                  handle_devices_reply);
}

GListModel *
globi_session_list_devices_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
handle_revoke_reply (GlobiSession *self, GTask *task, JsonNode *reply, GError *error)
{
  const char *device_id = g_task_get_task_data (task);

  /* Revoking this very device is signing out. */
  if (error == NULL && g_strcmp0 (device_id, self->device_id) == 0)
    end_session (self, GLOBI_SIGN_OUT_REASON_USER, TRUE);
  handle_void_reply (self, task, reply, error);
}

void
globi_session_revoke_device_async (GlobiSession *self,
                                   const char *device_id,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));
  g_return_if_fail (device_id != NULL);

  task =
      session_task_new (self, globi_session_revoke_device_async, cancellable, callback, user_data);
  if (!require_signed_in (self, task))
    return;
  g_task_set_task_data (task, g_strdup (device_id), g_free);
  escaped = g_uri_escape_string (device_id, NULL, FALSE);
  path = g_strconcat ("/v1/devices/", escaped, NULL);
  session_call (self, task, "DELETE", path, NULL, GLOBI_CALL_FLAGS_AUTH, handle_revoke_reply);
}

gboolean
globi_session_revoke_device_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* change_password */

void
globi_session_change_password_async (GlobiSession *self,
                                     const char *current_password,
                                     const char *new_password,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));
  g_return_if_fail (current_password != NULL);
  g_return_if_fail (new_password != NULL);

  task = session_task_new (self, globi_session_change_password_async, cancellable, callback,
                           user_data);
  if (!require_signed_in (self, task))
    return;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "current_password");
  json_builder_add_string_value (builder, current_password);
  json_builder_set_member_name (builder, "new_password");
  json_builder_add_string_value (builder, new_password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  session_call (self, task, "POST", "/v1/account/password", body, GLOBI_CALL_FLAGS_AUTH,
                handle_void_reply);
}

gboolean
globi_session_change_password_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* lookup_user */

static void
handle_lookup_reply (GlobiSession *self, GTask *task, JsonNode *reply, GError *error)
{
  g_autoptr (GError) local_error = NULL;
  GlobiProfile *profile;
  JsonObject *user;

  if (error != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      return;
    }
  if ((user = globi_json_get_object_member (reply, "user", &local_error)) == NULL ||
      (profile = globi_profile_new_from_json (user, &local_error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&local_error));
      return;
    }
  g_task_return_pointer (task, profile, g_object_unref);
}

void
globi_session_lookup_user_async (GlobiSession *self,
                                 const char *query,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));
  g_return_if_fail (query != NULL);

  task = session_task_new (self, globi_session_lookup_user_async, cancellable, callback, user_data);
  if (!require_signed_in (self, task))
    return;
  escaped = g_uri_escape_string (query, NULL, FALSE);
  path = g_strconcat ("/v1/users/lookup?q=", escaped, NULL);
  session_call (self, task, "GET", path, NULL, GLOBI_CALL_FLAGS_AUTH, handle_lookup_reply);
}

GlobiProfile *
globi_session_lookup_user_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* flush */

static void
on_flushed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!globi_credential_store_flush_finish (GLOBI_CREDENTIAL_STORE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
globi_session_flush_async (GlobiSession *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GLOBI_IS_SESSION (self));

  task = session_task_new (self, globi_session_flush_async, cancellable, callback, user_data);
  globi_credential_store_flush_async (self->store, cancellable, on_flushed_cb, task);
}

gboolean
globi_session_flush_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* A sign-in whose Tokens reply came another way (device linking, globi-device-link.c):
 * the session takes and stores them exactly as after a password sign-in. */
void
globi_session_adopt_tokens_async (GlobiSession *self,
                                  const char *server_url,
                                  JsonNode *tokens,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (GLOBI_IS_SESSION (self));
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (tokens != NULL);

  task =
      session_task_new (self, globi_session_adopt_tokens_async, cancellable, callback, user_data);
  prepare_server (self, task, server_url);
  handle_tokens_reply (self, task, tokens, NULL);
}

gboolean
globi_session_adopt_tokens_finish (GlobiSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
