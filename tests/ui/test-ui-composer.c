/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-chat-row.h"
#include "globi-composer.h"
#include "globi-message-row.h"
#include "ui-fixture.h"

typedef struct
{
  GtkWidget *window;
  GlobiComposer *composer;
  GPtrArray *sent;
  char *activated;
} Fixture;

static void
on_send_cb (GlobiComposer *composer, const char *text, Fixture *f)
{
  g_ptr_array_add (f->sent, g_strdup (text));
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->sent = g_ptr_array_new_with_free_func (g_free);
  if (!ui_test_have_display ())
    return;
  f->window = gtk_window_new ();
  f->composer = GLOBI_COMPOSER (globi_composer_new ());
  g_signal_connect (f->composer, "send", G_CALLBACK (on_send_cb), f);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->composer));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer ((GtkWindow **) &f->window, gtk_window_destroy);
  g_clear_pointer (&f->sent, g_ptr_array_unref);
  g_clear_pointer (&f->activated, g_free);
}

static void
type_text (Fixture *f, const char *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (globi_composer_get_text_view (f->composer));

  /* As typing does: at the cursor, through the buffer the view shows. */
  gtk_text_buffer_insert_at_cursor (buffer, text, -1);
}

/* The key controller the composer put on its text view, as a key press reaches it. */
static gboolean
press_key (Fixture *f, guint keyval, GdkModifierType state)
{
  GtkWidget *view = GTK_WIDGET (globi_composer_get_text_view (f->composer));
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (view);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_EVENT_CONTROLLER_KEY (controller) &&
          gtk_event_controller_get_propagation_phase (controller) == GTK_PHASE_CAPTURE)
        {
          g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
          return handled;
        }
    }
  g_assert_not_reached ();
}

static void
test_send_sensitivity (Fixture *f, gconstpointer data)
{
  GtkWidget *send = NULL;

  if (!f->window)
    return;
  send = globi_composer_get_send_button (f->composer);
  g_assert_false (gtk_widget_get_sensitive (send));
  /* Blank space is not content. */
  type_text (f, "  \n ");
  g_assert_false (gtk_widget_get_sensitive (send));
  type_text (f, "hi");
  g_assert_true (gtk_widget_get_sensitive (send));

  g_signal_emit_by_name (send, "clicked");
  g_assert_cmpuint (f->sent->len, ==, 1);
  g_assert_cmpstr (f->sent->pdata[0], ==, "hi");
  /* Sent: the entry is empty again and so the button is off. */
  g_assert_false (gtk_widget_get_sensitive (send));
  g_assert_false (globi_composer_send (f->composer));
  g_assert_cmpuint (f->sent->len, ==, 1);
}

static void
test_enter_sends (Fixture *f, gconstpointer data)
{
  g_autofree char *left = NULL;

  if (!f->window)
    return;
  type_text (f, "first line");
  /* Shift+Enter is left to the text view (a new line), nothing is sent. */
  g_assert_false (press_key (f, GDK_KEY_Return, GDK_SHIFT_MASK));
  g_assert_cmpuint (f->sent->len, ==, 0);
  type_text (f, "\nsecond line");

  /* Enter sends both lines as one message. */
  g_assert_true (press_key (f, GDK_KEY_Return, 0));
  g_assert_cmpuint (f->sent->len, ==, 1);
  g_assert_cmpstr (f->sent->pdata[0], ==, "first line\nsecond line");
  left = globi_composer_dup_text (f->composer);
  g_assert_cmpstr (left, ==, "");

  /* Enter on an empty composer sends nothing but still is no new line. */
  g_assert_true (press_key (f, GDK_KEY_KP_Enter, 0));
  g_assert_cmpuint (f->sent->len, ==, 1);
  /* Other keys are typing. */
  g_assert_false (press_key (f, GDK_KEY_a, 0));
}

static void
test_emoji (Fixture *f, gconstpointer data)
{
  g_autofree char *text = NULL;
  GtkWidget *chooser = NULL;

  if (!f->window)
    return;
  type_text (f, "great ");
  /* The emoji chooser is the emoji button's popover. */
  for (GtkWidget *w = gtk_widget_get_first_child (GTK_WIDGET (f->composer)); w;
       w = gtk_widget_get_next_sibling (w))
    if (GTK_IS_MENU_BUTTON (w))
      chooser = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (w)));
  g_assert_true (GTK_IS_EMOJI_CHOOSER (chooser));
  g_signal_emit_by_name (chooser, "emoji-picked", "🎉");
  text = globi_composer_dup_text (f->composer);
  g_assert_cmpstr (text, ==, "great 🎉");
  g_assert_true (gtk_widget_get_sensitive (globi_composer_get_send_button (f->composer)));
}

static void
on_activated_cb (GlobiMessageRow *row, const char *what, Fixture *f)
{
  g_free (f->activated);
  f->activated = g_strdup (what);
}

static void
test_message_row (Fixture *f, gconstpointer data)
{
  GlobiMessageRow *row = NULL;
  GtkWidget *retry = NULL;

  if (!f->window)
    return;
  row = GLOBI_MESSAGE_ROW (globi_message_row_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (row));
  g_signal_connect (row, "activated", G_CALLBACK (on_activated_cb), f);
  globi_message_row_set_mine (row, TRUE);
  globi_message_row_set_text (row, "hello");
  globi_message_row_set_delivery (row, GLOBI_DELIVERY_FAILED);
  retry = ui_find_button (GTK_WIDGET (row), "Retry");
  g_assert_nonnull (retry);
  g_assert_true (gtk_widget_get_visible (retry));
  g_signal_emit_by_name (retry, "clicked");
  g_assert_cmpstr (f->activated, ==, "retry");

  globi_message_row_set_delivery (row, GLOBI_DELIVERY_READ);
  g_assert_false (gtk_widget_get_visible (retry));
  /* The context menu's actions come back as what they ask for. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.reply", NULL));
  g_assert_cmpstr (f->activated, ==, "reply");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.react", "s", "👍"));
  g_assert_cmpstr (f->activated, ==, "react:👍");
  /* A deleted message can be neither edited nor deleted again. */
  g_clear_pointer (&f->activated, g_free);
  globi_message_row_set_deleted (row, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (row), "message.edit", NULL);
  g_assert_null (f->activated);
}

static void
test_chat_row (Fixture *f, gconstpointer data)
{
  GlobiChatRow *row = NULL;

  if (!f->window)
    return;
  row = GLOBI_CHAT_ROW (globi_chat_row_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (row));
  globi_chat_row_set_title (row, "Alice");
  globi_chat_row_set_unread (row, 3);
  globi_chat_row_set_preview (row, "two\nlines");
  g_assert_cmpstr (globi_chat_row_get_title (row), ==, "Alice");
  g_assert_cmpuint (globi_chat_row_get_unread (row), ==, 3);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add ("/globi/ui/composer/send-sensitivity", Fixture, NULL, setup, test_send_sensitivity,
              teardown);
  g_test_add ("/globi/ui/composer/enter-sends", Fixture, NULL, setup, test_enter_sends, teardown);
  g_test_add ("/globi/ui/composer/emoji", Fixture, NULL, setup, test_emoji, teardown);
  g_test_add ("/globi/ui/composer/message-row", Fixture, NULL, setup, test_message_row, teardown);
  g_test_add ("/globi/ui/composer/chat-row", Fixture, NULL, setup, test_chat_row, teardown);
  return g_test_run ();
}
