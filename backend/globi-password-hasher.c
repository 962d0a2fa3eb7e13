/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-password-hasher"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-error.h"
#include "globi-password-hasher.h"

#define ARGON2ID_PREFIX "$argon2id$"

typedef enum
{
  JOB_HASH,
  JOB_VERIFY,
} JobKind;

typedef struct
{
  JobKind kind;
  GTask *task;
  char *password; /* wiped before it is freed */
  char *hash;
} Job;

struct _GlobiPasswordHasher
{
  GObject parent_instance;

  GThreadPool *pool;
  int pending; /* atomic: pushed and not yet finished */
  guint64 opslimit;
  gsize memlimit;

  /* Verified against when the user does not exist, so that path costs the same. */
  GMutex dummy_mutex;
  char *dummy_hash;
};

G_DEFINE_FINAL_TYPE (GlobiPasswordHasher, globi_password_hasher, G_TYPE_OBJECT)

static void
free_secret (char *secret)
{
  if (secret != NULL)
    {
      sodium_memzero (secret, strlen (secret));
      g_free (secret);
    }
}

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_pointer (&job->password, free_secret);
  g_clear_pointer (&job->hash, g_free);
  g_free (job);
}

static char *
hash_password (GlobiPasswordHasher *self, const char *password, GError **error)
{
  char out[crypto_pwhash_STRBYTES];

  if (crypto_pwhash_str_alg (out, password, strlen (password), self->opslimit, self->memlimit,
                             crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      /* libsodium fails here only when it cannot get the memory. */
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL,
                           "Out of memory while hashing a password");
      return NULL;
    }
  return g_strdup (out);
}

static const char *
get_dummy_hash (GlobiPasswordHasher *self)
{
  const char *hash;

  g_mutex_lock (&self->dummy_mutex);
  if (self->dummy_hash == NULL)
    {
      guint8 random[16];
      char dummy_password[sizeof random * 2 + 1];

      randombytes_buf (random, sizeof random);
      sodium_bin2hex (dummy_password, sizeof dummy_password, random, sizeof random);
      self->dummy_hash = hash_password (self, dummy_password, NULL);
    }
  hash = self->dummy_hash;
  g_mutex_unlock (&self->dummy_mutex);

  return hash;
}

/* The work of one job; FALSE with error set only for a failure, not for a wrong password. */
static gboolean
do_job (GlobiPasswordHasher *self, Job *job, char **out_hash, gboolean *out_ok, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (job->task), error))
    return FALSE;

  if (job->kind == JOB_HASH)
    return (*out_hash = hash_password (self, job->password, error)) != NULL;

  if (job->hash == NULL)
    {
      const char *dummy = get_dummy_hash (self);

      if (dummy != NULL)
        {
          int ignored = crypto_pwhash_str_verify (dummy, job->password, strlen (job->password));

          (void) ignored;
        }
      *out_ok = FALSE;
      return TRUE;
    }

  if (!g_str_has_prefix (job->hash, "$argon2"))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL,
                           "Stored password hash is not an Argon2 hash");
      return FALSE;
    }

  /* libsodium returns -1 both for a mismatch and for a damaged hash string; both mean the
   * password is not accepted. */
  *out_ok = crypto_pwhash_str_verify (job->hash, job->password, strlen (job->password)) == 0;
  return TRUE;
}

static void
run_job (gpointer data, gpointer user_data)
{
  Job *job = data;
  GlobiPasswordHasher *self = user_data;
  g_autoptr (GError) error = NULL;
  char *hash = NULL;
  gboolean ok = FALSE;

  do_job (self, job, &hash, &ok, &error);

  /* Counted down before the result is handed over, so a caller seeing the result also
   * sees the job gone. */
  g_atomic_int_dec_and_test (&self->pending);

  if (error != NULL)
    g_task_return_error (job->task, g_steal_pointer (&error));
  else if (job->kind == JOB_HASH)
    g_task_return_pointer (job->task, hash, g_free);
  else
    g_task_return_boolean (job->task, ok);
  job_free (job);
}

static void
globi_password_hasher_finalize (GObject *object)
{
  GlobiPasswordHasher *self = GLOBI_PASSWORD_HASHER (object);

  /* Every queued job holds a reference on self through its task, so the pool is idle
   * here; not waiting keeps this safe even if the last unref runs on a pool thread. */
  g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, FALSE);
  g_clear_pointer (&self->dummy_hash, g_free);
  g_mutex_clear (&self->dummy_mutex);

  G_OBJECT_CLASS (globi_password_hasher_parent_class)->finalize (object);
}

static void
globi_password_hasher_class_init (GlobiPasswordHasherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = globi_password_hasher_finalize;
}

static void
globi_password_hasher_init (GlobiPasswordHasher *self)
{
  guint threads = CLAMP (g_get_num_processors (), 2, 4);

  g_mutex_init (&self->dummy_mutex);
  self->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  self->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  self->pool = g_thread_pool_new (run_job, self, threads, FALSE, NULL);
}

/* opslimit/memlimit: libsodium's Argon2id cost; values below its minimum are raised to it,
 * 0 picks the interactive level. */
GlobiPasswordHasher *
globi_password_hasher_new (guint64 opslimit, gsize memlimit)
{
  GlobiPasswordHasher *self = g_object_new (GLOBI_TYPE_PASSWORD_HASHER, NULL);

  if (opslimit != 0)
    self->opslimit = MAX (opslimit, crypto_pwhash_OPSLIMIT_MIN);
  if (memlimit != 0)
    self->memlimit = MAX (memlimit, crypto_pwhash_MEMLIMIT_MIN);
  return self;
}

static void
push_job (GlobiPasswordHasher *self,
          JobKind kind,
          const char *password,
          const char *hash,
          GCancellable *cancellable,
          GAsyncReadyCallback callback,
          gpointer user_data,
          gpointer source_tag)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  job->password = g_strdup (password);
  job->hash = g_strdup (hash);

  g_atomic_int_inc (&self->pending);
  g_thread_pool_push (self->pool, job, NULL);
}

void
globi_password_hasher_hash_async (GlobiPasswordHasher *self,
                                  const char *password,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_PASSWORD_HASHER (self));
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  push_job (self, JOB_HASH, password, NULL, cancellable, callback, user_data,
            globi_password_hasher_hash_async);
}

char *
globi_password_hasher_hash_finish (GlobiPasswordHasher *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (GLOBI_IS_PASSWORD_HASHER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == globi_password_hasher_hash_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
globi_password_hasher_verify_async (GlobiPasswordHasher *self,
                                    const char *password,
                                    const char *hash,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_PASSWORD_HASHER (self));
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  push_job (self, JOB_VERIFY, password, hash, cancellable, callback, user_data,
            globi_password_hasher_verify_async);
}

gboolean
globi_password_hasher_verify_finish (GlobiPasswordHasher *self,
                                     GAsyncResult *result,
                                     GError **error)
{
  g_return_val_if_fail (GLOBI_IS_PASSWORD_HASHER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (
      g_task_get_source_tag (G_TASK (result)) == globi_password_hasher_verify_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* TRUE when hash was made with another algorithm or cost than the current one (or is not
 * a valid hash at all), so the caller should store a fresh hash after a good sign-in. */
gboolean
globi_password_hasher_needs_rehash (GlobiPasswordHasher *self, const char *hash)
{
  g_return_val_if_fail (GLOBI_IS_PASSWORD_HASHER (self), TRUE);
  g_return_val_if_fail (hash != NULL, TRUE);

  if (!g_str_has_prefix (hash, ARGON2ID_PREFIX))
    return TRUE;
  return crypto_pwhash_str_needs_rehash (hash, self->opslimit, self->memlimit) != 0;
}

guint
globi_password_hasher_get_pending (GlobiPasswordHasher *self)
{
  g_return_val_if_fail (GLOBI_IS_PASSWORD_HASHER (self), 0);

  return (guint) g_atomic_int_get (&self->pending);
}
