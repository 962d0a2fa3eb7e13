/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "ui-fixture.h"
#include "globi-test-util.h"

static gboolean have_display;

gboolean
ui_test_init (int *argc, char ***argv)
{
  g_test_init (argc, argv, NULL);
  if (!g_getenv ("DISPLAY") && !g_getenv ("WAYLAND_DISPLAY"))
    return have_display = FALSE;
  have_display = gtk_init_check ();
  if (have_display)
    {
      adw_init ();
      /* GTK 4.8 warns "unexpected blinking selection" when a blink tick lands while a test
       * sets text programmatically; fatal-warnings would turn that timing into a failure. */
      g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);
    }
  return have_display;
}

gboolean
ui_test_have_display (void)
{
  if (!have_display)
    g_test_skip ("No display (DISPLAY and WAYLAND_DISPLAY unset): run under xvfb-run");
  return have_display;
}

static gboolean
on_timeout_cb (gpointer data)
{
  gboolean *timed_out = data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
ui_wait_until (gboolean (*check) (gpointer data), gpointer data, guint timeout_s, const char *what)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add_seconds (timeout_s, on_timeout_cb, &timed_out);

  while (!check (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("Timed out waiting for %s", what);
  g_source_remove (source);
}

GtkWidget *
ui_find_widget (GtkWidget *widget,
                gboolean (*match) (GtkWidget *widget, gpointer data),
                gpointer data)
{
  if (match (widget, data))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ui_find_widget (child, match, data);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
is_button_labelled (GtkWidget *widget, gpointer label)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

GtkWidget *
ui_find_button (GtkWidget *widget, const char *label)
{
  return ui_find_widget (widget, is_button_labelled, (gpointer) label);
}

void
ui_destroy_windows (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  while (g_list_model_get_n_items (toplevels) > 0)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, 0);
      gtk_window_destroy (window);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}
