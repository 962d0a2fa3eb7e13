/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-window-private.h"
#include "ui-app-fixture.h"

void
ui_server_start (UiServer *server, const char *dir_template)
{
  g_autoptr (GError) error = NULL;

  server->dir = g_dir_make_tmp (dir_template, &error);
  g_assert_no_error (error);
  server->config = globi_server_config_new ();
  g_free (server->config->listen_address);
  server->config->listen_address = g_strdup ("127.0.0.1");
  server->config->port = 0;
  server->config->data_dir = g_strdup (server->dir);
  /* libsodium's minimum: the real code path at test speed. */
  server->config->argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  server->config->argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  server->thread = globi_server_thread_new (server->config, &error);
  g_assert_no_error (error);
  server->base_url = globi_server_thread_dup_base_url (server->thread);
}

void
ui_server_stop (UiServer *server)
{
  if (server->thread)
    globi_server_thread_stop (server->thread);
  g_clear_object (&server->thread);
  g_clear_pointer (&server->config, globi_server_config_free);
  g_clear_pointer (&server->base_url, g_free);
  if (server->dir)
    globi_test_remove_tree (server->dir);
  g_clear_pointer (&server->dir, g_free);
}

GlobiApplication *
ui_app_new (const char *profile_dir,
            const char *base_url,
            const char *app_id,
            GApplicationFlags flags)
{
  g_autoptr (GError) error = NULL;
  GlobiApplication *app = globi_application_new ();

  g_object_set (app, "profile-dir", profile_dir, "server-url", base_url, NULL);
  if (app_id)
    g_application_set_application_id (G_APPLICATION (app), app_id);
  g_application_set_flags (G_APPLICATION (app), flags);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  return app;
}

GlobiWindow *
ui_window_open (GlobiApplication *app, int width, int height)
{
  GlobiWindow *window = globi_window_new (app);

  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  globi_window_start (window, FALSE, FALSE);
  return window;
}

void
ui_person_start (UiPerson *p,
                 const char *base_url,
                 const char *dir_template,
                 const char *app_id,
                 int width,
                 int height)
{
  g_autoptr (GError) error = NULL;

  p->profile_dir = g_dir_make_tmp (dir_template, &error);
  g_assert_no_error (error);
  p->app = ui_app_new (p->profile_dir, base_url, app_id, G_APPLICATION_NON_UNIQUE);
  p->session = globi_application_get_session (p->app);
  /* No notification daemon under the test's D-Bus (GIO would warn, and warnings fail). */
  g_settings_set_boolean (globi_application_get_settings (p->app), "notifications", FALSE);
  p->window = ui_window_open (p->app, width, height);
}

static void
on_registered_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  UiPerson *p = data;
  g_autoptr (GError) error = NULL;

  globi_session_register_finish (GLOBI_SESSION (object), result, &error);
  g_assert_no_error (error);
  p->registered = TRUE;
}

static gboolean
signed_in (gpointer data)
{
  UiPerson *p = data;

  return p->registered &&
         g_strcmp0 (gtk_stack_get_visible_child_name (p->window->main_stack), "main") == 0 &&
         p->window->messenger != NULL;
}

void
ui_person_register (UiPerson *p,
                    const char *base_url,
                    const char *username,
                    const char *password,
                    const char *display_name)
{
  globi_session_register_async (p->session, base_url, username, password, display_name, NULL,
                                on_registered_cb, p);
  ui_wait_until (signed_in, p, 60, "a person to register and see the main page");
}

void
ui_person_clear (UiPerson *p)
{
  g_clear_object (&p->app);
  if (p->profile_dir)
    globi_test_remove_tree (p->profile_dir);
  g_clear_pointer (&p->profile_dir, g_free);
}
