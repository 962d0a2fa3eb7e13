/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-onboarding-private.h"
#include "globi-window-private.h"
#include "ui-fixture.h"

/* "Host a server on this computer": the app starts the backend in-process (on a worker
 * thread, data under PROFILE/server) and the account lives there. Its own executable:
 * a registered GApplication cannot be made twice in one process. */

static gboolean
on_onboarding (gpointer data)
{
  GlobiWindow *window = data;
  return g_strcmp0 (gtk_stack_get_visible_child_name (window->main_stack), "onboarding") == 0;
}

static gboolean
signed_in (gpointer data)
{
  GlobiWindow *window = data;
  return globi_session_get_state (window->session) == GLOBI_SESSION_STATE_SIGNED_IN &&
         g_strcmp0 (gtk_stack_get_visible_child_name (window->main_stack), "main") == 0;
}

static void
test_host_and_register (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *port_file = NULL;
  g_autoptr (GlobiApplication) app = NULL;
  GlobiWindow *window = NULL;
  GlobiOnboarding *o = NULL;

  if (!ui_test_have_display ())
    return;
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  profile = g_dir_make_tmp ("globi-ui-host-XXXXXX", &error);
  g_assert_no_error (error);

  app = globi_application_new ();
  g_object_set (app, "profile-dir", profile, NULL);
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (globi_application_can_host (app));

  window = globi_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  globi_window_start (window, FALSE, FALSE);
  ui_wait_until (on_onboarding, window, 30, "the welcome page");
  o = window->onboarding;

  /* Nothing typed and nothing hosted: there is nowhere to sign in yet. */
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (o), "onboarding.show-register", NULL) &&
                  g_strcmp0 (gtk_stack_get_visible_child_name (o->pages), "register") == 0);

  gtk_switch_set_active (o->host_switch, TRUE);
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (o->server_entry)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (o), "onboarding.show-register", NULL));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (o->pages), ==, "register");
  gtk_editable_set_text (GTK_EDITABLE (o->register_username), "host.person");
  gtk_editable_set_text (GTK_EDITABLE (o->register_display_name), "Host Person");
  gtk_editable_set_text (GTK_EDITABLE (o->register_password), "a long enough password");
  gtk_editable_set_text (GTK_EDITABLE (o->register_confirm), "a long enough password");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (o), "onboarding.register", NULL));
  ui_wait_until (signed_in, window, 60, "signing in on the hosted server");

  g_assert_nonnull (globi_application_get_embedded_url (app));
  g_assert_cmpstr (globi_session_get_server_url (window->session), ==,
                   globi_application_get_embedded_url (app));
  g_assert_cmpstr (globi_profile_get_display_name (globi_session_get_me (window->session)), ==,
                   "Host Person");
  /* The port is remembered so the stored sign-in finds the server after a restart. */
  port_file = g_build_filename (profile, "server", "port", NULL);
  g_assert_true (g_file_test (port_file, G_FILE_TEST_IS_REGULAR));

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  globi_application_stop_server (app);
  g_assert_null (globi_application_get_embedded_url (app));
  globi_test_remove_tree (profile);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add_func ("/globi/ui/host/register", test_host_and_register);
  return g_test_run ();
}
