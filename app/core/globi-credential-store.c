/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-credential-store"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "globi-error.h"
#include "globi-core-enums.h"
#include "globi-core-util.h"
#include "globi-credential-store.h"

#define CREDENTIALS_FILE "credentials.json"

enum
{
  PROP_0,
  PROP_PROFILE_DIR,
  PROP_BACKEND,
  N_PROPS
};

typedef enum
{
  OP_SAVE,
  OP_LOAD,
  OP_CLEAR,
  OP_FLUSH,
} OpKind;

typedef struct
{
  OpKind kind;
  GlobiCredentials *creds;
} Op;

struct _GlobiCredentialStore
{
  GObject parent_instance;

  char *profile_dir;
  char *file_path;
  GlobiCredentialBackend backend; /* what the main thread shows */

  /* Owned by whichever thread runs an operation (under op_lock). */
  GMutex op_lock;
  gboolean secret_probed;
  gboolean secret_failed;
  gboolean force_file;
  gboolean force_secret;
  GlobiCredentialBackend worker_backend;

  /* One worker, so operations happen in the order they were asked for. */
  GThreadPool *pool;
};

G_DEFINE_FINAL_TYPE (GlobiCredentialStore, globi_credential_store, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (GlobiCredentials,
                     globi_credentials,
                     globi_credentials_copy,
                     globi_credentials_free)

static GParamSpec *properties[N_PROPS];

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    APP_ID ".Credentials",
    SECRET_SCHEMA_NONE,
    {
        { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { NULL, 0 },
    },
  };
  return &schema;
}

static void
op_free (gpointer data)
{
  Op *op = data;

  g_clear_pointer (&op->creds, globi_credentials_free);
  g_free (op);
}

/* Serialisation, shared by the Secret Service payload and the fallback file. */

static const struct
{
  const char *member;
  gsize offset;
  gboolean required;
} credential_fields[] = {
  { "server_url", G_STRUCT_OFFSET (GlobiCredentials, server_url), TRUE },
  { "user_id", G_STRUCT_OFFSET (GlobiCredentials, user_id), FALSE },
  { "username", G_STRUCT_OFFSET (GlobiCredentials, username), FALSE },
  { "device_id", G_STRUCT_OFFSET (GlobiCredentials, device_id), FALSE },
  { "refresh_token", G_STRUCT_OFFSET (GlobiCredentials, refresh_token), TRUE },
};

#define FIELD(creds, i) (G_STRUCT_MEMBER (char *, (creds), credential_fields[i].offset))

static char *
credentials_to_json (const GlobiCredentials *creds)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (credential_fields); i++)
    if (FIELD (creds, i) != NULL)
      {
        json_builder_set_member_name (builder, credential_fields[i].member);
        json_builder_add_string_value (builder, FIELD (creds, i));
      }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, TRUE);
}

static GlobiCredentials *
credentials_from_json (const char *text, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GlobiCredentials) creds = globi_credentials_new ();
  JsonNode *root;
  JsonObject *object;

  if (!json_parser_load_from_data (parser, text, len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  object = json_node_get_object (root);

  for (guint i = 0; i < G_N_ELEMENTS (credential_fields); i++)
    {
      JsonNode *node = json_object_get_member (object, credential_fields[i].member);

      if (globi_json_node_holds (node, G_TYPE_STRING))
        FIELD (creds, i) = json_node_dup_string (node);
      else if (node != NULL || credential_fields[i].required)
        goto bad;
    }
  return g_steal_pointer (&creds);

bad:
  g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, _ ("The stored sign-in is damaged"));
  return NULL;
}

/* The file backend */

static gboolean
file_save (GlobiCredentialStore *self, const GlobiCredentials *creds, GError **error)
{
  g_autofree char *text = credentials_to_json (creds);

  if (g_mkdir_with_parents (self->profile_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _ ("Could not create %s: %s"), self->profile_dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* Written to a 0600 temporary file and renamed: never readable by others, never torn. */
  return g_file_set_contents_full (self->file_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   error);
}

static GlobiCredentials *
file_load (GlobiCredentialStore *self, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) local_error = NULL;

  if (!g_file_get_contents (self->file_path, &text, &len, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return credentials_from_json (text, len, error);
}

static gboolean
file_clear (GlobiCredentialStore *self, GError **error)
{
  if (g_unlink (self->file_path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _ ("Could not remove %s: %s"), self->file_path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* The Secret Service backend; a failure here means "no keyring", so the caller falls
 * back to the file (unless GLOBICHAT_CREDENTIALS=secret asked for the keyring only). */

static gboolean
use_secret_service (GlobiCredentialStore *self)
{
  return !self->force_file && !self->secret_failed;
}

static gboolean
secret_failed (GlobiCredentialStore *self, GError **secret_error, GError **error)
{
  if (self->force_secret)
    {
      g_propagate_error (error, g_steal_pointer (secret_error));
      return TRUE;
    }
  g_info ("No Secret Service (%s); keeping the sign-in in %s", (*secret_error)->message,
          self->file_path);
  g_clear_error (secret_error);
  self->secret_failed = TRUE;
  self->worker_backend = GLOBI_CREDENTIAL_BACKEND_FILE;
  return FALSE;
}

/* Without a default keyring, storing would ask the user to create one through a system
 * prompt; on a headless session (CI under Xvfb) nobody answers it and the call hangs. Such
 * a setup has no keyring worth the name: use the file. A locked keyring still prompts,
 * as on any desktop. */
static gboolean
secret_probe (GError **error)
{
  g_autoptr (SecretService) service = NULL;
  g_autoptr (SecretCollection) collection = NULL;

  service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, error);
  if (service == NULL)
    return FALSE;
  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, error);
  if (collection == NULL && error != NULL && *error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no default keyring");
  return collection != NULL;
}

typedef enum
{
  USE_SECRET,
  USE_FILE,
  USE_NONE, /* GLOBICHAT_CREDENTIALS=secret and no Secret Service: error set */
} Backend;

static Backend
secret_ready (GlobiCredentialStore *self, GError **error)
{
  g_autoptr (GError) secret_error = NULL;

  if (!use_secret_service (self))
    return USE_FILE;
  if (self->secret_probed)
    return USE_SECRET;
  if (!secret_probe (&secret_error))
    return secret_failed (self, &secret_error, error) ? USE_NONE : USE_FILE;
  self->secret_probed = TRUE;
  return USE_SECRET;
}

static gboolean
store_save_locked (GlobiCredentialStore *self, const GlobiCredentials *creds, GError **error)
{
  Backend backend = secret_ready (self, error);

  if (backend == USE_NONE)
    return FALSE;
  if (backend == USE_SECRET)
    {
      g_autofree char *text = credentials_to_json (creds);
      g_autofree char *label =
          g_strdup_printf (_ ("GlobiChat sign-in (%s)"), creds->username ? creds->username : "");
      g_autoptr (GError) secret_error = NULL;

      if (secret_password_store_sync (get_schema (), SECRET_COLLECTION_DEFAULT, label, text, NULL,
                                      &secret_error, "profile", self->profile_dir, NULL))
        /* An older fallback file must not keep a stale token around. */
        return file_clear (self, error);
      if (secret_failed (self, &secret_error, error))
        return FALSE;
    }
  return file_save (self, creds, error);
}

static GlobiCredentials *
store_load_locked (GlobiCredentialStore *self, GError **error)
{
  Backend backend = secret_ready (self, error);

  if (backend == USE_NONE)
    return NULL;
  if (backend == USE_SECRET)
    {
      g_autoptr (GError) secret_error = NULL;
      char *text = secret_password_lookup_sync (get_schema (), NULL, &secret_error, "profile",
                                                self->profile_dir, NULL);

      if (text != NULL)
        {
          GlobiCredentials *creds = credentials_from_json (text, strlen (text), error);

          secret_password_free (text);
          return creds;
        }
      if (secret_error != NULL && secret_failed (self, &secret_error, error))
        return NULL;
      /* Nothing in the keyring: a sign-in from a time without one may be in the file. */
    }
  return file_load (self, error);
}

static gboolean
store_clear_locked (GlobiCredentialStore *self, GError **error)
{
  Backend backend = secret_ready (self, error);

  if (backend == USE_NONE)
    return FALSE;
  if (backend == USE_SECRET)
    {
      g_autoptr (GError) secret_error = NULL;

      if (!secret_password_clear_sync (get_schema (), NULL, &secret_error, "profile",
                                       self->profile_dir, NULL) &&
          secret_error != NULL && secret_failed (self, &secret_error, error))
        return FALSE;
    }
  return file_clear (self, error);
}

static void
op_run (GlobiCredentialStore *self, GTask *task, Op *op)
{
  g_autoptr (GError) error = NULL;
  GlobiCredentials *creds = NULL;

  g_mutex_lock (&self->op_lock);
  switch (op->kind)
    {
      case OP_SAVE:
        store_save_locked (self, op->creds, &error);
        break;

      case OP_LOAD:
        creds = store_load_locked (self, &error);
        break;

      case OP_CLEAR:
        store_clear_locked (self, &error);
        break;

      case OP_FLUSH:
      default:
        break;
    }
  g_mutex_unlock (&self->op_lock);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (op->kind == OP_LOAD)
    g_task_return_pointer (task, creds, (GDestroyNotify) globi_credentials_free);
  else
    g_task_return_boolean (task, TRUE);
}

static void
pool_func (gpointer data, gpointer user_data)
{
  g_autoptr (GTask) task = data;

  op_run (user_data, task, g_task_get_task_data (task));
}

static void
update_backend (GlobiCredentialStore *self)
{
  GlobiCredentialBackend backend;

  g_mutex_lock (&self->op_lock);
  backend = self->worker_backend;
  g_mutex_unlock (&self->op_lock);

  if (backend != self->backend)
    {
      self->backend = backend;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKEND]);
    }
}

/* Runs on the caller's main context once the worker is done: the backend property may
 * change only there. */
static void
on_op_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GlobiCredentialStore *self = GLOBI_CREDENTIAL_STORE (object);
  g_autoptr (GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;

  update_backend (self);

  if (op->kind == OP_LOAD)
    {
      GlobiCredentials *creds = g_task_propagate_pointer (G_TASK (result), &error);

      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, creds, (GDestroyNotify) globi_credentials_free);
    }
  else if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
op_queue (GlobiCredentialStore *self,
          OpKind kind,
          const GlobiCredentials *creds,
          gpointer source_tag,
          GCancellable *cancellable,
          GAsyncReadyCallback callback,
          gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GTask *inner;
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->creds = creds != NULL ? globi_credentials_copy (creds) : NULL;
  g_task_set_task_data (task, op, op_free);
  g_task_set_source_tag (task, source_tag);

  /* The worker runs even when the caller cancels: a half-done save is worse. */
  inner = g_task_new (self, NULL, on_op_done_cb, task);
  g_task_set_task_data (inner, op, NULL);
  g_thread_pool_push (self->pool, inner, NULL);
}

static void
globi_credential_store_get_property (GObject *object,
                                     guint prop_id,
                                     GValue *value,
                                     GParamSpec *pspec)
{
  GlobiCredentialStore *self = GLOBI_CREDENTIAL_STORE (object);

  switch (prop_id)
    {
      case PROP_PROFILE_DIR:
        g_value_set_string (value, self->profile_dir);
        break;

      case PROP_BACKEND:
        g_value_set_enum (value, self->backend);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_credential_store_set_property (GObject *object,
                                     guint prop_id,
                                     const GValue *value,
                                     GParamSpec *pspec)
{
  GlobiCredentialStore *self = GLOBI_CREDENTIAL_STORE (object);

  switch (prop_id)
    {
      case PROP_PROFILE_DIR:
        self->profile_dir = g_value_dup_string (value);
        self->file_path = g_build_filename (self->profile_dir, CREDENTIALS_FILE, NULL);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_credential_store_finalize (GObject *object)
{
  GlobiCredentialStore *self = GLOBI_CREDENTIAL_STORE (object);

  /* Every queued task holds a reference on self, so the pool is idle here. */
  g_thread_pool_free (self->pool, FALSE, TRUE);
  g_mutex_clear (&self->op_lock);
  g_clear_pointer (&self->profile_dir, g_free);
  g_clear_pointer (&self->file_path, g_free);

  G_OBJECT_CLASS (globi_credential_store_parent_class)->finalize (object);
}

static void
globi_credential_store_class_init (GlobiCredentialStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = globi_credential_store_get_property;
  object_class->set_property = globi_credential_store_set_property;
  object_class->finalize = globi_credential_store_finalize;

  properties[PROP_PROFILE_DIR] =
      g_param_spec_string ("profile-dir", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BACKEND] = g_param_spec_enum (
      "backend", NULL, NULL, GLOBI_TYPE_CREDENTIAL_BACKEND, GLOBI_CREDENTIAL_BACKEND_SECRET_SERVICE,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_credential_store_init (GlobiCredentialStore *self)
{
  const char *mode = g_getenv ("GLOBICHAT_CREDENTIALS");

  g_mutex_init (&self->op_lock);
  self->force_file = g_strcmp0 (mode, "file") == 0;
  self->force_secret = g_strcmp0 (mode, "secret") == 0;
  self->backend =
      self->force_file ? GLOBI_CREDENTIAL_BACKEND_FILE : GLOBI_CREDENTIAL_BACKEND_SECRET_SERVICE;
  self->worker_backend = self->backend;
  self->pool = g_thread_pool_new (pool_func, self, 1, FALSE, NULL);
}

/* Public API */

GlobiCredentials *
globi_credentials_new (void)
{
  return g_new0 (GlobiCredentials, 1);
}

GlobiCredentials *
globi_credentials_copy (const GlobiCredentials *creds)
{
  GlobiCredentials *copy;

  g_return_val_if_fail (creds != NULL, NULL);

  copy = globi_credentials_new ();
  for (guint i = 0; i < G_N_ELEMENTS (credential_fields); i++)
    FIELD (copy, i) = g_strdup (FIELD (creds, i));
  return copy;
}

void
globi_credentials_free (GlobiCredentials *creds)
{
  if (creds == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (credential_fields); i++)
    g_free (FIELD (creds, i));
  g_free (creds);
}

GlobiCredentialStore *
globi_credential_store_new (const char *profile_dir)
{
  g_return_val_if_fail (profile_dir != NULL, NULL);

  return g_object_new (GLOBI_TYPE_CREDENTIAL_STORE, "profile-dir", profile_dir, NULL);
}

const char *
globi_credential_store_get_profile_dir (GlobiCredentialStore *self)
{
  g_return_val_if_fail (GLOBI_IS_CREDENTIAL_STORE (self), NULL);
  return self->profile_dir;
}

GlobiCredentialBackend
globi_credential_store_get_backend (GlobiCredentialStore *self)
{
  g_return_val_if_fail (GLOBI_IS_CREDENTIAL_STORE (self), GLOBI_CREDENTIAL_BACKEND_FILE);
  return self->backend;
}

void
globi_credential_store_save_async (GlobiCredentialStore *self,
                                   const GlobiCredentials *creds,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CREDENTIAL_STORE (self));
  g_return_if_fail (creds != NULL);

  op_queue (self, OP_SAVE, creds, globi_credential_store_save_async, cancellable, callback,
            user_data);
}

gboolean
globi_credential_store_save_finish (GlobiCredentialStore *self,
                                    GAsyncResult *result,
                                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
globi_credential_store_load_async (GlobiCredentialStore *self,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CREDENTIAL_STORE (self));

  op_queue (self, OP_LOAD, NULL, globi_credential_store_load_async, cancellable, callback,
            user_data);
}

GlobiCredentials *
globi_credential_store_load_finish (GlobiCredentialStore *self,
                                    GAsyncResult *result,
                                    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
globi_credential_store_clear_async (GlobiCredentialStore *self,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CREDENTIAL_STORE (self));

  op_queue (self, OP_CLEAR, NULL, globi_credential_store_clear_async, cancellable, callback,
            user_data);
}

gboolean
globi_credential_store_clear_finish (GlobiCredentialStore *self,
                                     GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
globi_credential_store_flush_async (GlobiCredentialStore *self,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_CREDENTIAL_STORE (self));

  op_queue (self, OP_FLUSH, NULL, globi_credential_store_flush_async, cancellable, callback,
            user_data);
}

gboolean
globi_credential_store_flush_finish (GlobiCredentialStore *self,
                                     GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
globi_credential_store_save_sync (GlobiCredentialStore *self,
                                  const GlobiCredentials *creds,
                                  GError **error)
{
  gboolean ret;

  g_return_val_if_fail (GLOBI_IS_CREDENTIAL_STORE (self), FALSE);
  g_return_val_if_fail (creds != NULL, FALSE);

  g_mutex_lock (&self->op_lock);
  ret = store_save_locked (self, creds, error);
  g_mutex_unlock (&self->op_lock);
  update_backend (self);
  return ret;
}

GlobiCredentials *
globi_credential_store_load_sync (GlobiCredentialStore *self, GError **error)
{
  GlobiCredentials *creds;

  g_return_val_if_fail (GLOBI_IS_CREDENTIAL_STORE (self), NULL);

  g_mutex_lock (&self->op_lock);
  creds = store_load_locked (self, error);
  g_mutex_unlock (&self->op_lock);
  update_backend (self);
  return creds;
}

gboolean
globi_credential_store_clear_sync (GlobiCredentialStore *self, GError **error)
{
  gboolean ret;

  g_return_val_if_fail (GLOBI_IS_CREDENTIAL_STORE (self), FALSE);

  g_mutex_lock (&self->op_lock);
  ret = store_clear_locked (self, error);
  g_mutex_unlock (&self->op_lock);
  update_backend (self);
  return ret;
}
