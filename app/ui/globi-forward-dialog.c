/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-forward-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-forward-dialog.h"
#include "globi-ui-util.h"

enum
{
  FORWARDED,
  N_SIGNALS
};

struct _GlobiForwardDialog
{
  AdwWindow parent_instance;

  AdwToastOverlay *toasts;
  GtkSearchEntry *search;
  GtkListBox *list;
  GtkWidget *send_button;
  AdwWindowTitle *title;
  GHashTable *picked; /* chat id, set */
  GlobiMessenger *messenger;
  GlobiMessage *message;
  guint pending;
  guint failed;
};

G_DEFINE_FINAL_TYPE (GlobiForwardDialog, globi_forward_dialog, ADW_TYPE_WINDOW)

static guint signals[N_SIGNALS];

static void
update_send (GlobiForwardDialog *self)
{
  guint n = g_hash_table_size (self->picked);
  g_autofree char *subtitle = NULL;

  if (n > 0)
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u chat", "%u chats", n), n);
  adw_window_title_set_subtitle (self->title, subtitle);
  gtk_widget_set_sensitive (self->send_button, n > 0 && self->pending == 0);
}

static void
on_check_toggled_cb (GtkCheckButton *check, GlobiForwardDialog *self)
{
  const char *chat_id = g_object_get_data (G_OBJECT (check), "chat-id");

  if (gtk_check_button_get_active (check))
    g_hash_table_add (self->picked, g_strdup (chat_id));
  else
    g_hash_table_remove (self->picked, chat_id);
  update_send (self);
}

static gboolean
filter_cb (GtkListBoxRow *row, gpointer user_data)
{
  GlobiForwardDialog *self = user_data;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search));
  const char *title = g_object_get_data (G_OBJECT (row), "title");
  g_autofree char *haystack = NULL;
  g_autofree char *needle = NULL;

  if (!query || !*query)
    return TRUE;
  haystack = g_utf8_casefold (title ? title : "", -1);
  needle = g_utf8_casefold (query, -1);
  return strstr (haystack, needle) != NULL;
}

static void
build_rows (GlobiForwardDialog *self)
{
  GListModel *chats = globi_messenger_get_chats (self->messenger);

  for (guint i = 0; i < g_list_model_get_n_items (chats); i++)
    {
      g_autoptr (GlobiChat) chat = g_list_model_get_item (chats, i);
      const char *title = globi_chat_get_title (chat) ? globi_chat_get_title (chat) : "";
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      if (globi_chat_get_kind (chat) == GLOBI_CHAT_KIND_GROUP)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _ ("Group"));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), adw_avatar_new (32, title, TRUE));
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_object_set_data_full (G_OBJECT (check), "chat-id", g_strdup (globi_chat_get_id (chat)),
                              g_free);
      g_object_set_data_full (G_OBJECT (row), "title", g_strdup (title), g_free);
      g_object_set_data (G_OBJECT (row), "check", check);
      g_signal_connect_object (check, "toggled", G_CALLBACK (on_check_toggled_cb), self, 0);
      gtk_list_box_append (self->list, row);
    }
}

static void
on_forwarded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiForwardDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) sent = NULL;

  sent = globi_messenger_send_finish (GLOBI_MESSENGER (object), result, &error);
  if (!sent)
    {
      g_autofree char *text = globi_ui_describe_failure (_ ("Couldn’t forward"), error);
      self->failed++;
      if (text)
        adw_toast_overlay_add_toast (self->toasts, globi_ui_toast_new (text));
    }
  if (--self->pending > 0)
    return;
  update_send (self);
  if (self->failed == 0)
    {
      g_signal_emit (self, signals[FORWARDED], 0, g_hash_table_size (self->picked));
      gtk_window_close (GTK_WINDOW (self));
    }
}

static void
on_search_changed_cb (GlobiForwardDialog *self)
{
  gtk_list_box_invalidate_filter (self->list);
}

static void
on_cancel_clicked_cb (GlobiForwardDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
build (GlobiForwardDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_ ("_Cancel"));
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  self->title = ADW_WINDOW_TITLE (adw_window_title_new (_ ("Forward To"), NULL));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (self->title));
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (on_cancel_clicked_cb), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->send_button = gtk_button_new_with_mnemonic (_ ("_Send"));
  gtk_widget_add_css_class (self->send_button, "suggested-action");
  g_signal_connect_swapped (self->send_button, "clicked", G_CALLBACK (globi_forward_dialog_send),
                            self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->send_button);
  gtk_box_append (GTK_BOX (box), header);

  self->search = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->search, "placeholder-text", _ ("Search chats"), NULL);
  g_signal_connect_swapped (self->search, "search-changed", G_CALLBACK (on_search_changed_cb),
                            self);
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->search));

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_list_box_set_filter_func (self->list, filter_cb, self, NULL);
  gtk_list_box_set_placeholder (self->list, gtk_label_new (_ ("No chats found")));
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->list));

  gtk_widget_set_margin_top (content, 12);
  gtk_widget_set_margin_bottom (content, 12);
  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);
  adw_clamp_set_child (ADW_CLAMP (clamp), content);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (box), scroller);
  adw_toast_overlay_set_child (self->toasts, box);
  adw_window_set_content (ADW_WINDOW (self), GTK_WIDGET (self->toasts));
  build_rows (self);
  update_send (self);
}

static void
globi_forward_dialog_dispose (GObject *object)
{
  GlobiForwardDialog *self = GLOBI_FORWARD_DIALOG (object);

  g_clear_object (&self->messenger);
  g_clear_object (&self->message);

  G_OBJECT_CLASS (globi_forward_dialog_parent_class)->dispose (object);
}

static void
globi_forward_dialog_finalize (GObject *object)
{
  GlobiForwardDialog *self = GLOBI_FORWARD_DIALOG (object);

  g_clear_pointer (&self->picked, g_hash_table_unref);

  G_OBJECT_CLASS (globi_forward_dialog_parent_class)->finalize (object);
}

static void
globi_forward_dialog_class_init (GlobiForwardDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_forward_dialog_dispose;
  object_class->finalize = globi_forward_dialog_finalize;

  signals[FORWARDED] = g_signal_new ("forwarded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
globi_forward_dialog_init (GlobiForwardDialog *self)
{
  self->picked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_window_set_default_size (GTK_WINDOW (self), 400, 560);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
}

GlobiForwardDialog *
globi_forward_dialog_new (GtkWindow *parent, GlobiMessenger *messenger, GlobiMessage *message)
{
  GlobiForwardDialog *self = NULL;

  g_return_val_if_fail (GLOBI_IS_MESSENGER (messenger), NULL);
  g_return_val_if_fail (GLOBI_IS_MESSAGE (message), NULL);

  self = g_object_new (GLOBI_TYPE_FORWARD_DIALOG, "transient-for", parent, NULL);
  self->messenger = g_object_ref (messenger);
  self->message = g_object_ref (message);
  build (self);
  return self;
}

gboolean
globi_forward_dialog_pick (GlobiForwardDialog *self, const char *chat_id)
{
  GtkWidget *row = NULL;

  g_return_val_if_fail (GLOBI_IS_FORWARD_DIALOG (self), FALSE);

  for (row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row;
       row = gtk_widget_get_next_sibling (row))
    {
      GtkCheckButton *check = g_object_get_data (G_OBJECT (row), "check");

      if (check && g_strcmp0 (g_object_get_data (G_OBJECT (check), "chat-id"), chat_id) == 0)
        {
          gtk_check_button_set_active (check, TRUE);
          return TRUE;
        }
    }
  return FALSE;
}

void
globi_forward_dialog_set_search (GlobiForwardDialog *self, const char *text)
{
  g_return_if_fail (GLOBI_IS_FORWARD_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->search), text ? text : "");
  /* At once, not after the entry's search delay. */
  gtk_list_box_invalidate_filter (self->list);
}

guint
globi_forward_dialog_get_n_shown (GlobiForwardDialog *self)
{
  GtkWidget *row = NULL;
  guint n = 0;

  g_return_val_if_fail (GLOBI_IS_FORWARD_DIALOG (self), 0);

  for (row = gtk_widget_get_first_child (GTK_WIDGET (self->list)); row;
       row = gtk_widget_get_next_sibling (row))
    if (GTK_IS_LIST_BOX_ROW (row) && filter_cb (GTK_LIST_BOX_ROW (row), self))
      n++;
  return n;
}

void
globi_forward_dialog_send (GlobiForwardDialog *self)
{
  GHashTableIter iter;
  gpointer chat_id;

  g_return_if_fail (GLOBI_IS_FORWARD_DIALOG (self));

  if (g_hash_table_size (self->picked) == 0 || self->pending > 0)
    return;
  self->failed = 0;
  g_hash_table_iter_init (&iter, self->picked);
  while (g_hash_table_iter_next (&iter, &chat_id, NULL))
    {
      self->pending++;
      globi_messenger_forward_async (self->messenger, self->message, chat_id, NULL, on_forwarded_cb,
                                     g_object_ref (self));
    }
  update_send (self);
}
