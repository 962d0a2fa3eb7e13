/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-state-view.h"
#include "ui-fixture.h"

typedef struct
{
  GtkWidget *window;
  GlobiStateView *view;
  GtkWidget *child;
  guint retries;
  guint actions;
} Fixture;

static void
on_retry_cb (GlobiStateView *view, Fixture *f)
{
  f->retries++;
}

static void
on_action_cb (GlobiStateView *view, Fixture *f)
{
  f->actions++;
}

static void
setup (Fixture *f, gconstpointer data)
{
  if (!ui_test_have_display ())
    return;
  f->window = gtk_window_new ();
  f->view = GLOBI_STATE_VIEW (globi_state_view_new ());
  f->child = gtk_label_new ("content");
  globi_state_view_set_child (f->view, f->child);
  g_signal_connect (f->view, "retry", G_CALLBACK (on_retry_cb), f);
  g_signal_connect (f->view, "action", G_CALLBACK (on_action_cb), f);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer ((GtkWindow **) &f->window, gtk_window_destroy);
}

/* Whether the content is the page on show (during a crossfade both are drawn). */
static gboolean
content_shown (Fixture *f)
{
  GtkStack *stack = GTK_STACK (gtk_widget_get_parent (f->child));
  return gtk_stack_get_visible_child (stack) == f->child;
}

static gboolean
spinner_visible (gpointer data)
{
  return globi_state_view_get_spinner_visible (data);
}

static void
test_loading (Fixture *f, gconstpointer data)
{
  if (!f->window)
    return;
  g_assert_cmpint (globi_state_view_get_state (f->view), ==, GLOBI_STATE_VIEW_CONTENT);
  g_assert_true (content_shown (f));

  globi_state_view_set_loading_delay (f->view, 50);
  globi_state_view_show_loading (f->view);
  g_assert_cmpint (globi_state_view_get_state (f->view), ==, GLOBI_STATE_VIEW_LOADING);
  /* A quick load never flashes a spinner... */
  g_assert_false (globi_state_view_get_spinner_visible (f->view));
  /* ...a slow one shows it once the delay passed. */
  ui_wait_until (spinner_visible, f->view, 10, "the spinner");
  g_assert_cmpint (globi_state_view_get_state (f->view), ==, GLOBI_STATE_VIEW_LOADING);

  globi_state_view_show_content (f->view);
  g_assert_cmpint (globi_state_view_get_state (f->view), ==, GLOBI_STATE_VIEW_CONTENT);
  g_assert_false (globi_state_view_get_spinner_visible (f->view));
}

static void
test_loading_then_content_skips_spinner (Fixture *f, gconstpointer data)
{
  if (!f->window)
    return;
  globi_state_view_set_loading_delay (f->view, 50);
  globi_state_view_show_loading (f->view);
  globi_state_view_show_content (f->view);
  /* The pending spinner timeout was cancelled: it must not take over the content later. */
  for (int i = 0; i < 20; i++)
    {
      g_usleep (10000);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_assert_false (globi_state_view_get_spinner_visible (f->view));
  g_assert_cmpint (globi_state_view_get_state (f->view), ==, GLOBI_STATE_VIEW_CONTENT);
}

static void
test_error_retry (Fixture *f, gconstpointer data)
{
  GtkWidget *retry = NULL;

  if (!f->window)
    return;
  globi_state_view_show_error (f->view, "The server is unreachable");
  g_assert_cmpint (globi_state_view_get_state (f->view), ==, GLOBI_STATE_VIEW_ERROR);
  retry = ui_find_button (GTK_WIDGET (f->view), "_Retry");
  g_assert_nonnull (retry);
  g_assert_true (gtk_widget_is_drawable (retry));
  g_signal_emit_by_name (retry, "clicked");
  g_assert_cmpuint (f->retries, ==, 1);
  g_assert_cmpuint (f->actions, ==, 0);
}

static void
test_empty_action (Fixture *f, gconstpointer data)
{
  GtkWidget *button = NULL;

  if (!f->window)
    return;
  globi_state_view_show_empty (f->view, "system-users-symbolic", "No friends yet",
                               "Friends you add appear here", "Add a friend");
  g_assert_cmpint (globi_state_view_get_state (f->view), ==, GLOBI_STATE_VIEW_EMPTY);
  button = ui_find_button (GTK_WIDGET (f->view), "Add a friend");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_drawable (button));
  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpuint (f->actions, ==, 1);

  /* Without an action there is no button to press. */
  globi_state_view_show_empty (f->view, "system-users-symbolic", "Nothing here", NULL, NULL);
  g_assert_false (gtk_widget_get_visible (button));
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  if (!f->window)
    return;
  globi_state_view_show_not_found (f->view, "This post was deleted", NULL);
  g_assert_cmpint (globi_state_view_get_state (f->view), ==, GLOBI_STATE_VIEW_NOT_FOUND);
  g_assert_false (content_shown (f));
  globi_state_view_show_content (f->view);
  g_assert_true (content_shown (f));
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add ("/globi/ui/state-view/loading", Fixture, NULL, setup, test_loading, teardown);
  g_test_add ("/globi/ui/state-view/loading-then-content", Fixture, NULL, setup,
              test_loading_then_content_skips_spinner, teardown);
  g_test_add ("/globi/ui/state-view/error-retry", Fixture, NULL, setup, test_error_retry, teardown);
  g_test_add ("/globi/ui/state-view/empty-action", Fixture, NULL, setup, test_empty_action,
              teardown);
  g_test_add ("/globi/ui/state-view/not-found", Fixture, NULL, setup, test_not_found, teardown);
  return g_test_run ();
}
