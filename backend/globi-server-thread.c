/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-server-thread"

#include "config.h"

#include "globi-server-thread.h"

struct _GlobiServerThread
{
  GObject parent_instance;

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GlobiServer *server;
  GlobiServerConfig *config;

  /* Start-up handshake: the creator waits until the thread listens or fails. */
  GMutex mutex;
  GCond cond;
  gboolean started;
  GError *start_error;
};

G_DEFINE_FINAL_TYPE (GlobiServerThread, globi_server_thread, G_TYPE_OBJECT)

static gpointer
server_thread (gpointer user_data)
{
  GlobiServerThread *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiServer) server = NULL;

  g_main_context_push_thread_default (self->context);

  server = globi_server_new (self->config, &error);
  if (server && !globi_server_start (server, &error))
    g_clear_object (&server);

  g_mutex_lock (&self->mutex);
  self->server = server ? g_object_ref (server) : NULL;
  self->start_error = g_steal_pointer (&error);
  self->started = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (server)
    g_main_loop_run (self->loop);

  /* The last reference goes here, on the server's own thread and context (still the
   * thread's default while it is disposed). */
  g_clear_object (&self->server);
  g_clear_object (&server);

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static void
on_shutdown_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiServerThread *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_server_shutdown_finish (GLOBI_SERVER (source), result, &error))
    g_warning ("embedded server shutdown: %s", error->message);
  g_main_loop_quit (self->loop);
}

static gboolean
shutdown_in_thread_cb (gpointer user_data)
{
  GlobiServerThread *self = user_data;

  globi_server_shutdown_async (self->server, NULL, on_shutdown_cb, self);
  return G_SOURCE_REMOVE;
}

static void
globi_server_thread_dispose (GObject *object)
{
  GlobiServerThread *self = GLOBI_SERVER_THREAD (object);

  globi_server_thread_stop (self);

  G_OBJECT_CLASS (globi_server_thread_parent_class)->dispose (object);
}

static void
globi_server_thread_finalize (GObject *object)
{
  GlobiServerThread *self = GLOBI_SERVER_THREAD (object);

  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->config, globi_server_config_free);
  g_clear_error (&self->start_error);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (globi_server_thread_parent_class)->finalize (object);
}

static void
globi_server_thread_class_init (GlobiServerThreadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_server_thread_dispose;
  object_class->finalize = globi_server_thread_finalize;
}

static void
globi_server_thread_init (GlobiServerThread *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
}

GlobiServerThread *
globi_server_thread_new (const GlobiServerConfig *config, GError **error)
{
  g_autoptr (GlobiServerThread) self = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (GLOBI_TYPE_SERVER_THREAD, NULL);
  self->config = globi_server_config_copy (config);
  self->thread = g_thread_new ("globi-server", server_thread, self);

  g_mutex_lock (&self->mutex);
  while (!self->started)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  if (!self->server)
    {
      g_thread_join (g_steal_pointer (&self->thread));
      g_propagate_error (error, g_steal_pointer (&self->start_error));
      return NULL;
    }
  return g_steal_pointer (&self);
}

char *
globi_server_thread_dup_base_url (GlobiServerThread *self)
{
  g_return_val_if_fail (GLOBI_IS_SERVER_THREAD (self), NULL);

  return self->server ? globi_server_dup_base_url (self->server) : NULL;
}

GlobiServer *
globi_server_thread_get_server (GlobiServerThread *self)
{
  g_return_val_if_fail (GLOBI_IS_SERVER_THREAD (self), NULL);

  return self->server;
}

void
globi_server_thread_stop (GlobiServerThread *self)
{
  g_return_if_fail (GLOBI_IS_SERVER_THREAD (self));

  if (!self->thread)
    return;
  g_main_context_invoke (self->context, shutdown_in_thread_cb, self);
  g_thread_join (g_steal_pointer (&self->thread));
}
