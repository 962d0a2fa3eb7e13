/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-code.h"
#include "globi-error.h"
#include "globi-ui-util.h"
#include "globi-window-private.h"
#include "ui-fixture.h"

/* Links the desktop hands over go through the QR dispatcher (tests/qr has its table). */
static void
test_classify (void)
{
  g_autoptr (GlobiCode) code = NULL;

  g_assert_cmpint (globi_code_classify ("globichat://contacts", &code, NULL), ==,
                   GLOBI_CODE_SECTION);
  g_assert_cmpstr (code->section, ==, "contacts");
  g_clear_pointer (&code, globi_code_free);
  g_assert_cmpint (globi_code_classify ("GlobiChat://me", &code, NULL), ==, GLOBI_CODE_SECTION);
  g_assert_cmpstr (code->section, ==, "me");
  g_assert_cmpint (globi_code_classify ("globichat://add?u=alice&k=abc", NULL, NULL), ==,
                   GLOBI_CODE_INVALID);
  g_assert_cmpint (globi_code_classify ("globichat:link?token=x", NULL, NULL), ==, GLOBI_CODE_LINK);
  g_assert_cmpint (globi_code_classify ("https://example.org/me", NULL, NULL), ==,
                   GLOBI_CODE_UNKNOWN);
  g_assert_cmpint (globi_code_classify ("", NULL, NULL), ==, GLOBI_CODE_INVALID);
  g_assert_cmpint (globi_code_classify (NULL, NULL, NULL), ==, GLOBI_CODE_INVALID);
}

/* The window a globichat:// link opens in: a real application and window, signed out. */
static void
test_window_opens_links (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *profile = NULL;
  g_autoptr (GlobiApplication) app = NULL;
  GlobiWindow *window = NULL;

  if (!ui_test_have_display ())
    return;
  profile = g_dir_make_tmp ("globi-ui-uri-XXXXXX", &error);
  g_assert_no_error (error);
  app = globi_application_new ();
  g_object_set (app, "profile-dir", profile, NULL);
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  window = globi_window_new (app);
  gtk_window_present (GTK_WINDOW (window));

  globi_window_open_uri (window, "globichat://contacts");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->section_stack), ==, "contacts");
  g_assert_cmpstr (window->last_toast, ==, "Sign in to open this link");

  /* A friend card without a valid user id and card (app/core/globi-code.c). */
  globi_window_open_uri (window, "globichat://add?u=alice");
  g_assert_cmpstr (window->last_toast, ==,
                   "This code can’t be used: this friend card names no valid user");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->section_stack), ==, "contacts");

  globi_window_open_uri (window, "mailto:alice@example.org");
  g_assert_cmpstr (window->last_toast, ==, "This isn’t a GlobiChat link");

  /* The GApplication path that `globichat globichat://me` takes in the running instance. */
  {
    g_autoptr (GFile) file = g_file_new_for_uri ("globichat://me");
    g_application_open (G_APPLICATION (app), &file, 1, "");
  }
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->section_stack), ==, "me");

  /* Alt+4's action: the section column follows. */
  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (window), "main.show-section", "s", "wallet"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->section_stack), ==, "wallet");
  g_assert_true (
      gtk_toggle_button_get_active (g_hash_table_lookup (window->section_buttons, "wallet")));

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  globi_test_remove_tree (profile);
}

static void
test_describe_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  error = g_error_new_literal (GLOBI_ERROR, GLOBI_ERROR_RATE_LIMITED,
                               "too many attempts, try again in 840 seconds");
  text = globi_ui_describe_error (error);
  g_assert_cmpstr (text, ==, "Too many attempts. Try again in 14 minutes.");
  g_clear_error (&error);
  g_clear_pointer (&text, g_free);

  error = g_error_new_literal (GLOBI_ERROR, GLOBI_ERROR_RATE_LIMITED, "too many attempts");
  text = globi_ui_describe_error (error);
  g_assert_cmpstr (text, ==, "Too many attempts. Wait a few minutes, then try again.");
  g_clear_error (&error);
  g_clear_pointer (&text, g_free);

  /* The field's name from the form, not the wire name. */
  error = g_error_new_literal (GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD,
                               "display_name: at most 64 characters");
  text = globi_ui_describe_error (error);
  g_assert_cmpstr (text, ==, "Display name: at most 64 characters");
  g_clear_error (&error);
  g_clear_pointer (&text, g_free);

  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  g_assert_null (globi_ui_describe_error (error));
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add_func ("/globi/ui/uri/classify", test_classify);
  g_test_add_func ("/globi/ui/uri/window", test_window_opens_links);
  g_test_add_func ("/globi/ui/errors/describe", test_describe_errors);
  return g_test_run ();
}
