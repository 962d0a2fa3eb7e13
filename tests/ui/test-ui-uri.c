/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-ui-util.h"
#include "globi-window-private.h"
#include "ui-fixture.h"

static void
test_classify (void)
{
  g_autofree char *section = NULL;

  g_assert_cmpint (globi_uri_classify ("globichat://contacts", &section), ==, GLOBI_URI_SECTION);
  g_assert_cmpstr (section, ==, "contacts");
  g_clear_pointer (&section, g_free);
  g_assert_cmpint (globi_uri_classify ("GlobiChat://me", &section), ==, GLOBI_URI_SECTION);
  g_assert_cmpstr (section, ==, "me");
  g_clear_pointer (&section, g_free);
  g_assert_cmpint (globi_uri_classify ("globichat://add?u=alice&k=abc", &section), ==,
                   GLOBI_URI_LATER);
  g_assert_null (section);
  g_assert_cmpint (globi_uri_classify ("globichat:link?token=x", NULL), ==, GLOBI_URI_LATER);
  g_assert_cmpint (globi_uri_classify ("https://example.org/me", NULL), ==, GLOBI_URI_INVALID);
  g_assert_cmpint (globi_uri_classify ("not a uri", NULL), ==, GLOBI_URI_INVALID);
  g_assert_cmpint (globi_uri_classify ("", NULL), ==, GLOBI_URI_INVALID);
  g_assert_cmpint (globi_uri_classify (NULL, NULL), ==, GLOBI_URI_INVALID);
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

  globi_window_open_uri (window, "globichat://add?u=alice");
  g_assert_cmpstr (window->last_toast, ==, "Links like this arrive in a later version");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->section_stack), ==, "contacts");

  globi_window_open_uri (window, "mailto:alice@example.org");
  g_assert_cmpstr (window->last_toast, ==, "This isn’t a GlobiChat link");

  /* The GApplication path that `globichat globichat://me` takes in the running instance. */
  {
    g_autoptr (GFile) file = g_file_new_for_uri ("globichat://me");
    g_application_open (G_APPLICATION (app), &file, 1, "");
  }
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->section_stack), ==, "me");

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  ui_remove_tree (profile);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add_func ("/globi/ui/uri/classify", test_classify);
  g_test_add_func ("/globi/ui/uri/window", test_window_opens_links);
  return g_test_run ();
}
