/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <sodium.h>

#include "globi-chat-row.h"
#include "globi-forward-dialog.h"
#include "globi-message-row.h"
#include "globi-server-thread.h"
#include "globi-window-private.h"
#include "ui-app-fixture.h"

#define PASSWORD "correct horse battery"

/* One person: an application with its own profile, session and window. */
typedef UiPerson Person;

/* Two people in one process against one real in-process server, driven through the
 * real widgets: they become friends and exchange messages. */
typedef struct
{
  UiServer srv;
  Person alice;
  Person bob;
} Fixture;

static gboolean
shows_contacts (gpointer data)
{
  Person *p = data;

  return g_strcmp0 (gtk_stack_get_visible_child_name (p->window->section_stack), "contacts") == 0;
}

/* uri (may be NULL): a link opened before signing in, which opens after. */
static void
person_start (Fixture *f,
              Person *p,
              const char *username,
              const char *display_name,
              const char *uri,
              const char *test_name)
{
  /* Each test's applications need names of their own on the session bus. */
  g_autofree char *app_id =
      g_strdup_printf ("org.globichat.GlobiChat.Test%s%s", display_name, test_name);

  ui_person_start (p, f->srv.base_url, "globi-ui-chat-XXXXXX", app_id, -1, -1);
  if (uri)
    {
      globi_window_open_uri (p->window, uri);
      /* Away from it while signing in: only the kept link brings it back. */
      globi_window_show_section (p->window, "me");
    }
  ui_person_register (p, f->srv.base_url, username, PASSWORD, display_name);
  if (uri)
    ui_wait_until (shows_contacts, p, 30, "the link opened before sign-in to open");
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!ui_test_have_display ())
    return;
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  ui_server_start (&f->srv, "globi-ui-chat-server-XXXXXX");
  person_start (f, &f->alice, "alice.chat", "Alice", "globichat://contacts", data);
  person_start (f, &f->bob, "bob.chat", "Bob", NULL, data);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  ui_destroy_windows ();
  ui_person_clear (&f->alice);
  ui_person_clear (&f->bob);
  ui_server_stop (&f->srv);
}

static GtkWidget *
first_row (GtkListBox *box)
{
  return GTK_WIDGET (gtk_list_box_get_row_at_index (box, 0));
}

static gboolean
has_row (gpointer data)
{
  return first_row (data) != NULL;
}

/* The chat list shows a row whose preview is the text (its widgets, not the model). */
typedef struct
{
  GlobiWindow *window;
  const char *text;
} Seek;

static gboolean
is_mapped_label (GtkWidget *widget, gpointer text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0 &&
         gtk_widget_get_mapped (widget);
}

static gboolean
widget_shows_text (GtkWidget *widget, const char *text)
{
  return ui_find_widget (widget, is_mapped_label, (gpointer) text) != NULL;
}

static gboolean
chat_list_shows (gpointer data)
{
  Seek *s = data;
  return widget_shows_text (GTK_WIDGET (globi_chats_view_get_chat_list (s->window->chats_view)),
                            s->text);
}

static gboolean
conversation_shows (gpointer data)
{
  Seek *s = data;
  return widget_shows_text (GTK_WIDGET (globi_chats_view_get_message_list (s->window->chats_view)),
                            s->text);
}

static gboolean
find_message_row_match (GtkWidget *widget, gpointer data)
{
  return GLOBI_IS_MESSAGE_ROW (widget) &&
         g_strcmp0 (globi_message_row_get_text (GLOBI_MESSAGE_ROW (widget)), data) == 0;
}

static GlobiMessageRow *
find_message_row (GtkWidget *widget, const char *text)
{
  return (GlobiMessageRow *) ui_find_widget (widget, find_message_row_match, (gpointer) text);
}

static gboolean
delivered (gpointer data)
{
  Seek *s = data;
  GlobiMessageRow *row = find_message_row (
      GTK_WIDGET (globi_chats_view_get_message_list (s->window->chats_view)), s->text);

  return row && globi_message_row_get_delivery (row) >= GLOBI_DELIVERY_DELIVERED &&
         globi_message_row_get_delivery (row) != GLOBI_DELIVERY_FAILED;
}

static gboolean
widget_visible (gpointer data)
{
  return gtk_widget_get_visible (data);
}

static gboolean
widget_sensitive (gpointer data)
{
  return gtk_widget_get_sensitive (data);
}

static gboolean
widget_hidden (gpointer data)
{
  return !gtk_widget_get_visible (data);
}

static void
type_and_send (GlobiWindow *window, const char *text)
{
  GlobiComposer *composer = globi_chats_view_get_composer (window->chats_view);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (globi_composer_get_text_view (composer));
  GtkWidget *send = globi_composer_get_send_button (composer);

  g_assert_false (gtk_widget_get_sensitive (send));
  gtk_text_buffer_insert_at_cursor (buffer, text, -1);
  g_assert_true (gtk_widget_get_sensitive (send));
  g_signal_emit_by_name (send, "clicked");
}

typedef struct
{
  GlobiMessenger *messenger;
  const char *chat_id;
  const char *user_id;
} ChatSeek;

static gboolean
someone_typing (gpointer data)
{
  ChatSeek *seek = data;
  GlobiChat *chat = globi_messenger_open_chat (seek->messenger, seek->chat_id);
  const char *const *typing = globi_chat_get_typing (chat);

  return typing && g_strv_contains (typing, seek->user_id);
}

static gboolean
last_is_forwarded (gpointer data)
{
  ChatSeek *seek = data;
  GlobiChat *chat = globi_messenger_open_chat (seek->messenger, seek->chat_id);
  GlobiMessage *last = globi_chat_get_last_message (chat);

  return last && globi_message_get_forwarded (last) &&
         g_strcmp0 (globi_message_get_text (last), "Hi Alice") == 0;
}

static gboolean
find_image_row_match (GtkWidget *widget, gpointer data)
{
  return GLOBI_IS_MESSAGE_ROW (widget) && globi_message_row_get_image (GLOBI_MESSAGE_ROW (widget));
}

static GlobiMessageRow *
find_image_row (GtkWidget *widget)
{
  return (GlobiMessageRow *) ui_find_widget (widget, find_image_row_match, NULL);
}

static gboolean
shows_image (gpointer data)
{
  return find_image_row (data) != NULL;
}

static void
on_forwarded_cb (GlobiForwardDialog *dialog, guint n, guint *count)
{
  *count = n;
}

static gboolean
forwarded (gpointer data)
{
  return *(guint *) data > 0;
}

static void
test_two_people_chat (Fixture *f, gconstpointer data)
{
  GlobiWindow *a = f->alice.window;
  GlobiWindow *b = f->bob.window;
  GtkWidget *accept = NULL;
  GtkWidget *message = NULL;
  g_autofree char *alice_chat = NULL;
  Seek seek = { 0 };

  if (!a)
    return;

  /* Alice asks Bob by his username. */
  globi_window_show_section (a, "contacts");
  globi_contacts_view_show_add (a->contacts_view);
  gtk_editable_set_text (globi_contacts_view_get_add_entry (a->contacts_view), "bob.chat");
  /* Nothing is sent before the name was looked up. */
  g_assert_false (gtk_widget_get_sensitive (globi_contacts_view_get_add_button (a->contacts_view)));
  g_signal_emit_by_name (globi_contacts_view_get_find_button (a->contacts_view), "clicked");
  ui_wait_until (widget_sensitive, globi_contacts_view_get_add_button (a->contacts_view), 30,
                 "Alice's lookup of Bob");
  g_signal_emit_by_name (globi_contacts_view_get_add_button (a->contacts_view), "clicked");

  /* Bob sees the request under New friends and accepts it. */
  globi_window_show_section (b, "contacts");
  globi_contacts_view_show_requests (b->contacts_view);
  ui_wait_until (has_row, globi_contacts_view_get_requests (b->contacts_view), 30,
                 "Bob to see Alice's request");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (b->contacts_badge)));
  accept =
      ui_find_button (GTK_WIDGET (globi_contacts_view_get_requests (b->contacts_view)), "_Accept");
  g_assert_nonnull (accept);
  g_signal_emit_by_name (accept, "clicked");

  /* Both have the other among their friends. */
  ui_wait_until (has_row, globi_contacts_view_get_friends (b->contacts_view), 30,
                 "Alice among Bob's friends");
  ui_wait_until (has_row, globi_contacts_view_get_friends (a->contacts_view), 30,
                 "Bob among Alice's friends");

  /* Alice opens Bob's page and starts a chat with Send message. */
  g_signal_emit_by_name (globi_contacts_view_get_friends (a->contacts_view), "row-activated",
                         first_row (globi_contacts_view_get_friends (a->contacts_view)));
  message = ui_find_button (GTK_WIDGET (a->contacts_view), "Send _Message");
  g_assert_nonnull (message);
  g_signal_emit_by_name (message, "clicked");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (a->section_stack), ==, "chats");
  g_assert_nonnull (globi_chats_view_get_chat (a->chats_view));
  type_and_send (a, "Hello Bob");

  /* Bob's chat list shows it, with its preview. */
  globi_window_show_section (b, "chats");
  seek = (Seek){ b, "Hello Bob" };
  ui_wait_until (chat_list_shows, &seek, 30, "Bob's chat list to show Alice's message");

  /* Unread: the Chats section says so until Bob reads it. */
  ui_wait_until (widget_visible, b->chats_badge, 30, "the unread badge on Bob's Chats");

  /* Bob opens the chat as a notification would (app.open-chat), sees the message and
   * answers. */
  alice_chat =
      globi_chat_id_for_user (globi_profile_get_id (globi_session_get_me (f->alice.session)));
  g_action_group_activate_action (G_ACTION_GROUP (f->bob.app), "open-chat",
                                  g_variant_new_string (alice_chat));
  g_assert_cmpstr (globi_chat_get_id (globi_chats_view_get_chat (b->chats_view)), ==, alice_chat);
  ui_wait_until (conversation_shows, &seek, 30, "Bob's conversation to show the message");
  ui_wait_until (widget_hidden, b->chats_badge, 30, "Bob's unread badge to clear");
  type_and_send (b, "Hi Alice");

  seek = (Seek){ a, "Hi Alice" };
  ui_wait_until (conversation_shows, &seek, 30, "Alice to see Bob's answer");
  /* Alice's own message is marked delivered (or read) once Bob's device has it. */
  seek = (Seek){ a, "Hello Bob" };
  ui_wait_until (delivered, &seek, 30, "Alice's message to be marked delivered");

  /* Alice types: Bob sees it (the stream's typing frame). */
  {
    GlobiComposer *composer = globi_chats_view_get_composer (a->chats_view);
    GtkTextBuffer *buffer = gtk_text_view_get_buffer (globi_composer_get_text_view (composer));
    g_autofree char *bob_chat =
        globi_chat_id_for_user (globi_profile_get_id (globi_session_get_me (f->bob.session)));
    ChatSeek typing = { b->messenger, alice_chat,
                        globi_profile_get_id (globi_session_get_me (f->alice.session)) };
    ChatSeek fw = { a->messenger, bob_chat, NULL };
    GlobiMessageRow *row = NULL;
    GlobiMessage *hi = NULL;
    GlobiForwardDialog *dialog = NULL;
    guint count = 0;

    gtk_text_buffer_insert_at_cursor (buffer, "I am typ", -1);
    ui_wait_until (someone_typing, &typing, 30, "Bob to see Alice typing");
    gtk_text_buffer_set_text (buffer, "", -1);

    /* Bob forwards his message through the dialog, picking the chat by search. */
    row = find_message_row (GTK_WIDGET (b->chats_view), "Hi Alice");
    g_assert_nonnull (row);
    hi = g_object_get_data (G_OBJECT (row), "message");
    g_assert_nonnull (hi);
    dialog = globi_forward_dialog_new (GTK_WINDOW (b), b->messenger, hi);
    g_signal_connect (dialog, "forwarded", G_CALLBACK (on_forwarded_cb), &count);
    globi_forward_dialog_set_search (dialog, "nobody by this name");
    g_assert_cmpuint (globi_forward_dialog_get_n_shown (dialog), ==, 0);
    globi_forward_dialog_set_search (dialog, "alice");
    g_assert_cmpuint (globi_forward_dialog_get_n_shown (dialog), ==, 1);
    g_assert_true (globi_forward_dialog_pick (dialog, alice_chat));
    globi_forward_dialog_send (dialog);
    ui_wait_until (forwarded, &count, 30, "the forward to be queued");
    g_assert_cmpuint (count, ==, 1);
    ui_wait_until (last_is_forwarded, &fw, 30, "Alice to get the forwarded message");
  }

  /* Alice sends a picture: Bob's bubble shows it, decrypted and scaled to fit 240 px. */
  {
    g_autofree char *path = g_build_filename (f->alice.profile_dir, "dot.png", NULL);
    g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 480, 120);
    g_autoptr (GFile) file = g_file_new_for_path (path);
    g_autofree char *bob_chat =
        globi_chat_id_for_user (globi_profile_get_id (globi_session_get_me (f->bob.session)));
    GlobiMessageRow *row = NULL;
    GdkPaintable *image = NULL;

    gdk_pixbuf_fill (pixbuf, 0x3584e4ff);
    g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", NULL, NULL));
    globi_messenger_send_file_async (a->messenger, bob_chat, file, NULL, NULL, NULL);
    ui_wait_until (shows_image, b->chats_view, 30, "Bob to see Alice's picture");
    row = find_image_row (GTK_WIDGET (b->chats_view));
    image = globi_message_row_get_image (row);
    g_assert_cmpint (gdk_paintable_get_intrinsic_width (image), ==, 240);
    g_assert_cmpint (gdk_paintable_get_intrinsic_height (image), ==, 60);
  }
}


/* A long conversation (from the cache, as after years of chatting) opens at its newest
 * message without loading its whole history, loads older messages as the view is
 * scrolled up to them, and stays where the person scrolled while a message arrives. */
typedef struct
{
  GtkAdjustment *adjustment;
  GListModel *messages;
  guint n;
  double upper;
} LongChat;

static gboolean
laid_out_taller (gpointer data)
{
  LongChat *c = data;

  return gtk_adjustment_get_upper (c->adjustment) > c->upper;
}

static gboolean
at_end (gpointer data)
{
  LongChat *c = data;
  double end =
      gtk_adjustment_get_upper (c->adjustment) - gtk_adjustment_get_page_size (c->adjustment);

  return g_list_model_get_n_items (c->messages) > 0 &&
         gtk_adjustment_get_page_size (c->adjustment) > 0 &&
         gtk_adjustment_get_value (c->adjustment) >= end - 1;
}

static gboolean
grew (gpointer data)
{
  LongChat *c = data;

  return g_list_model_get_n_items (c->messages) > c->n;
}

static gboolean
has_tooltip (GtkWidget *widget, gpointer tooltip)
{
  return g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0;
}

static void
on_filled_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_long_chat (Fixture *f, gconstpointer data)
{
  GlobiWindow *window = f->alice.window;
  const char *chat_id = "u:00000000-0000-4000-8000-00000000abcd";
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GtkListView *list = NULL;
  LongChat c = { 0 };
  GtkWidget *jump = NULL;
  double top;

  if (!ui_test_have_display ())
    return;
  globi_cache_fill_async (globi_messenger_get_cache (window->messenger), chat_id, 2000, NULL,
                          on_filled_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (
      globi_cache_fill_finish (globi_messenger_get_cache (window->messenger), result, &error));
  globi_window_open_chat (window, chat_id);
  list = globi_chats_view_get_message_list (window->chats_view);
  c.adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list));
  c.messages = globi_chat_get_messages (globi_messenger_open_chat (window->messenger, chat_id));
  ui_wait_until (at_end, &c, 30, "the long chat to open at its newest message");
  /* A screenful or two, not 2 000 rows. */
  c.n = g_list_model_get_n_items (c.messages);
  g_assert_cmpuint (c.n, <, 100);

  /* Scrolled to the top: older messages come in above, and the rows on screen stay
   * where they are (the view moves down by what was added). */
  c.upper = gtk_adjustment_get_upper (c.adjustment);
  gtk_adjustment_set_value (c.adjustment, 0);
  ui_wait_until (grew, &c, 30, "older messages to load at the top");
  ui_wait_until (laid_out_taller, &c, 30, "the older messages to be laid out");
  g_assert_cmpfloat (gtk_adjustment_get_value (c.adjustment), >, 0);
  c.n = g_list_model_get_n_items (c.messages);

  /* Away from the end, a new message does not pull the view down. */
  top = gtk_adjustment_get_value (c.adjustment);
  c.upper = gtk_adjustment_get_upper (c.adjustment);
  g_assert_false (at_end (&c));
  globi_chat_append_message (globi_messenger_open_chat (window->messenger, chat_id),
                             globi_message_new ("appended-1", chat_id, "someone",
                                                GLOBI_MESSAGE_KIND_TEXT, "A new one", 1));
  ui_wait_until (laid_out_taller, &c, 30, "the new message to be laid out");
  g_assert_cmpfloat (fabs (gtk_adjustment_get_value (c.adjustment) - top), <=, 1);
  g_assert_false (at_end (&c));

  /* The way back down. */
  jump = ui_find_widget (GTK_WIDGET (window->chats_view), has_tooltip, (gpointer) "Jump to Newest");
  g_assert_nonnull (jump);
  g_assert_true (gtk_widget_get_visible (jump));
  gtk_widget_activate (jump);
  ui_wait_until (at_end, &c, 30, "the chat to scroll back to its newest message");
  g_assert_false (gtk_widget_get_visible (jump));
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add ("/globi/ui/chat/two-people", Fixture, "TwoPeople", setup, test_two_people_chat,
              teardown);
  g_test_add ("/globi/ui/chat/long-chat", Fixture, "LongChat", setup, test_long_chat, teardown);
  return g_test_run ();
}
