/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-preferences-window-private.h"
#include "globi-window-private.h"
#include "ui-fixture.h"

/* The GSettings wiring: style, window size, and the Settings controls bound to the keys.
 * Its own executable: a registered GApplication cannot be made twice in one process. */

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
test_settings (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *profile = NULL;
  g_autoptr (GlobiApplication) app = NULL;
  AdwStyleManager *style = NULL;
  GSettings *settings = NULL;
  GlobiWindow *window = NULL;
  GlobiPreferencesWindow *prefs = NULL;
  int width = 0, height = 0;

  if (!ui_test_have_display ())
    return;
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  g_unsetenv ("GLOBICHAT_COLOR_SCHEME");
  profile = g_dir_make_tmp ("globi-ui-settings-XXXXXX", &error);
  g_assert_no_error (error);

  app = globi_application_new ();
  g_object_set (app, "profile-dir", profile, NULL);
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  settings = globi_application_get_settings (app);
  style = adw_style_manager_get_default ();

  /* The style follows the key, live. */
  g_settings_set_string (settings, "color-scheme", "dark");
  g_assert_cmpint (adw_style_manager_get_color_scheme (style), ==, ADW_COLOR_SCHEME_FORCE_DARK);
  g_settings_set_string (settings, "color-scheme", "light");
  g_assert_cmpint (adw_style_manager_get_color_scheme (style), ==, ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_settings_set_string (settings, "color-scheme", "system");
  g_assert_cmpint (adw_style_manager_get_color_scheme (style), ==, ADW_COLOR_SCHEME_DEFAULT);

  /* The window opens at the saved size and saves its size when closed. */
  g_settings_set_int (settings, "window-width", 900);
  g_settings_set_int (settings, "window-height", 650);
  window = globi_window_new (app);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 900);
  g_assert_cmpint (height, ==, 650);

  /* Settings' controls write the keys. */
  prefs = globi_preferences_window_new (window);
  g_object_add_weak_pointer (G_OBJECT (prefs), (gpointer *) &prefs);
  adw_combo_row_set_selected (prefs->appearance_row, 2);
  g_assert_cmpstr (g_settings_get_string (settings, "color-scheme"), ==, "dark");
  g_assert_cmpint (adw_style_manager_get_color_scheme (style), ==, ADW_COLOR_SCHEME_FORCE_DARK);
  adw_combo_row_set_selected (prefs->ui_language_row, 2);
  {
    g_autofree char *language = g_settings_get_string (settings, "ui-language");
    g_assert_cmpstr (language, ==, "zh_CN");
  }
  gtk_switch_set_active (prefs->previews_switch, FALSE);
  g_assert_false (g_settings_get_boolean (settings, "notification-previews"));
  gtk_window_destroy (GTK_WINDOW (prefs));
  ui_wait_until (is_null, &prefs, 10, "the settings window to go");

  gtk_window_set_default_size (GTK_WINDOW (window), 720, 480);
  gtk_window_present (GTK_WINDOW (window));
  gtk_window_close (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 720);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 480);

  globi_test_remove_tree (profile);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add_func ("/globi/ui/settings/keys", test_settings);
  return g_test_run ();
}
