/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-payment-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-chats-view.h"
#include "globi-money.h"
#include "globi-payment-dialog.h"
#include "globi-pin-dialog.h"
#include "globi-ui-util.h"
#include "globi-wallet-style.h"
#include "globi-wallet.h"
#include "globi-window.h"

#define NOTE_MAX_CHARS 100

struct _GlobiPaymentDialog
{
  AdwWindow parent_instance;

  GlobiWindow *window;
  GlobiMessenger *messenger;
  GlobiWallet *wallet;
  char *kind;
  char *chat_id;
  char *operation_id; /* kept across a retry: the server pays it once */

  AdwWindowTitle *title;
  GtkDropDown *contacts;
  GListModel *contact_model;
  GlobiAmountEntry *amount;
  GtkEditable *note;
  GtkSpinButton *count;
  GtkSwitch *random_split;
  GtkWidget *send;
  GtkLabel *error;
};

G_DEFINE_FINAL_TYPE (GlobiPaymentDialog, globi_payment_dialog, ADW_TYPE_WINDOW)

static gboolean
is_kind (GlobiPaymentDialog *self, const char *kind)
{
  return g_strcmp0 (self->kind, kind) == 0;
}

/* The friend the money goes to or is asked from: the chat's, or the one picked. */
static const char *
peer_id (GlobiPaymentDialog *self)
{
  if (self->chat_id && g_str_has_prefix (self->chat_id, "u:"))
    return self->chat_id + 2;
  if (self->contacts && self->contact_model)
    {
      guint position = gtk_drop_down_get_selected (self->contacts);
      g_autoptr (GlobiContact) contact = position != GTK_INVALID_LIST_POSITION
                                             ? g_list_model_get_item (self->contact_model, position)
                                             : NULL;
      /* The contact list outlives the dialog: its id string stays valid. */
      return contact ? globi_contact_get_user_id (contact) : NULL;
    }
  return NULL;
}

static const char *
peer_name (GlobiPaymentDialog *self)
{
  GlobiContact *contact = self->messenger && peer_id (self)
                              ? globi_messenger_find_contact (self->messenger, peer_id (self))
                              : NULL;

  return contact ? globi_contact_get_name (contact) : "";
}

static void
update_sensitivity (GlobiPaymentDialog *self)
{
  gboolean ok = globi_amount_entry_get_valid (self->amount) && self->wallet &&
                (is_kind (self, "red_packet") || peer_id (self) != NULL) &&
                g_utf8_strlen (gtk_editable_get_text (self->note), -1) <= NOTE_MAX_CHARS;

  gtk_widget_set_sensitive (self->send, ok);
}

static void
show_error (GlobiPaymentDialog *self, const GError *error)
{
  g_autofree char *text = globi_ui_describe_error (error);

  if (!text)
    return;
  gtk_label_set_text (self->error, text);
  gtk_widget_set_visible (GTK_WIDGET (self->error), TRUE);
  gtk_widget_set_sensitive (self->send, TRUE);
}

/* Posting the card is best effort: the payment itself already happened. */
static void
on_card_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMessage) message = NULL;
  g_autoptr (GError) error = NULL;

  message = globi_messenger_send_finish (GLOBI_MESSENGER (object), result, &error);
  if (!message && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("The payment card was not posted: %s", error->message);
}

/* card is taken. */
static void
send_card (GlobiPaymentDialog *self, const char *chat_id, const char *kind, JsonObject *card)
{
  g_autoptr (JsonObject) owned = card;

  if (self->messenger && chat_id)
    globi_messenger_send_card_async (self->messenger, chat_id, kind, owned, NULL, on_card_sent_cb,
                                     NULL);
}

static char *
amount_text (GlobiPaymentDialog *self)
{
  return globi_money_format (globi_amount_entry_get_minor (self->amount),
                             globi_amount_entry_get_currency (self->amount),
                             GLOBI_MONEY_FORMAT_SYMBOL);
}

static void
on_transferred_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPinDialog) dialog = user_data;
  GlobiPaymentDialog *self = g_object_get_data (G_OBJECT (dialog), "payment-dialog");
  g_autoptr (GlobiTransaction) transaction = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;

  transaction = globi_wallet_transaction_finish (GLOBI_WALLET (object), result, &error);
  if (!transaction)
    {
      globi_pin_dialog_failed (dialog, error,
                               self ? globi_amount_entry_get_currency (self->amount) : NULL);
      return;
    }
  if (self)
    {
      const char *kind = NULL;
      JsonObject *card = globi_wallet_card_for_transaction (transaction, &kind);

      send_card (self,
                 globi_transaction_get_chat_id (transaction)
                     ? globi_transaction_get_chat_id (transaction)
                     : self->chat_id,
                 kind, card);
      gtk_window_close (GTK_WINDOW (self));
    }
  title = g_strdup_printf (_ ("Sent to %s"), globi_transaction_get_to_name (transaction));
  globi_pin_dialog_succeeded (dialog, title, globi_transaction_get_minor (transaction),
                              globi_transaction_get_currency (transaction),
                              _ ("They have 24 hours to accept it"));
}

static void
on_red_packet_created_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPinDialog) dialog = user_data;
  GlobiPaymentDialog *self = g_object_get_data (G_OBJECT (dialog), "payment-dialog");
  g_autoptr (JsonObject) packet = NULL;
  g_autoptr (GError) error = NULL;

  packet = globi_wallet_red_packet_finish (GLOBI_WALLET (object), result, &error);
  if (!packet)
    {
      globi_pin_dialog_failed (dialog, error,
                               self ? globi_amount_entry_get_currency (self->amount) : NULL);
      return;
    }
  if (!self)
    return;
  send_card (self, self->chat_id, "red_packet", globi_wallet_card_for_red_packet (packet));
  globi_pin_dialog_succeeded (
      dialog, _ ("Red packet sent"), globi_amount_entry_get_minor (self->amount),
      globi_amount_entry_get_currency (self->amount), gtk_editable_get_text (self->note));
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_pin_submit_cb (GlobiPinDialog *dialog, const char *pin, gpointer user_data)
{
  GlobiPaymentDialog *self = user_data;
  const char *currency = globi_amount_entry_get_currency (self->amount);
  gint64 minor = globi_amount_entry_get_minor (self->amount);
  const char *note = gtk_editable_get_text (self->note);

  if (is_kind (self, "red_packet"))
    globi_wallet_create_red_packet_async (self->wallet, self->operation_id, self->chat_id + 2,
                                          currency, minor,
                                          (guint) gtk_spin_button_get_value_as_int (self->count),
                                          gtk_switch_get_active (self->random_split), note, pin,
                                          NULL, on_red_packet_created_cb, g_object_ref (dialog));
  else
    {
      g_autofree char *chat = g_strconcat ("u:", peer_id (self), NULL);

      globi_wallet_transfer_async (self->wallet, self->operation_id, peer_id (self), currency,
                                   minor, note, pin, chat, NULL, on_transferred_cb,
                                   g_object_ref (dialog));
    }
}

static void
on_requested_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPaymentDialog) self = user_data;
  g_autoptr (GlobiTransaction) transaction = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *toast = NULL;
  g_autofree char *amount = NULL;

  transaction = globi_wallet_transaction_finish (GLOBI_WALLET (object), result, &error);
  if (!transaction)
    {
      show_error (self, error);
      return;
    }
  {
    const char *kind = NULL;
    JsonObject *card = globi_wallet_card_for_transaction (transaction, &kind);

    send_card (self, globi_transaction_get_chat_id (transaction), kind, card);
  }
  amount = amount_text (self);
  toast = g_strdup_printf (_ ("Asked %s for %s"), globi_transaction_get_from_name (transaction),
                           amount);
  if (self->window)
    globi_window_add_toast (self->window, toast);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_send_clicked_cb (GtkButton *button, GlobiPaymentDialog *self)
{
  g_autofree char *amount = amount_text (self);
  g_autofree char *summary = NULL;
  GlobiPinDialog *dialog;

  gtk_widget_set_visible (GTK_WIDGET (self->error), FALSE);
  if (!self->operation_id)
    self->operation_id = globi_wallet_new_operation_id ();
  if (is_kind (self, "request"))
    {
      g_autofree char *chat = g_strconcat ("u:", peer_id (self), NULL);

      gtk_widget_set_sensitive (self->send, FALSE);
      globi_wallet_request_async (self->wallet, self->operation_id, peer_id (self),
                                  globi_amount_entry_get_currency (self->amount),
                                  globi_amount_entry_get_minor (self->amount),
                                  gtk_editable_get_text (self->note), chat, NULL, on_requested_cb,
                                  g_object_ref (self));
      return;
    }
  if (is_kind (self, "red_packet"))
    summary = g_strdup_printf (_ ("Red packet of %s"), amount);
  else
    summary = g_strdup_printf (_ ("Send %s to %s"), amount, peer_name (self));
  dialog = globi_pin_dialog_new (
      GTK_WIDGET (self->window ? GTK_WIDGET (self->window) : GTK_WIDGET (self)), self->wallet,
      summary);
  g_object_set_data_full (G_OBJECT (dialog), "payment-dialog", g_object_ref (self), g_object_unref);
  g_signal_connect_object (dialog, "submit", G_CALLBACK (on_pin_submit_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
globi_payment_dialog_dispose (GObject *object)
{
  GlobiPaymentDialog *self = GLOBI_PAYMENT_DIALOG (object);

  g_clear_object (&self->wallet);
  g_clear_object (&self->messenger);
  g_clear_object (&self->contact_model);
  g_clear_weak_pointer (&self->window);
  G_OBJECT_CLASS (globi_payment_dialog_parent_class)->dispose (object);
}

static void
globi_payment_dialog_finalize (GObject *object)
{
  GlobiPaymentDialog *self = GLOBI_PAYMENT_DIALOG (object);

  g_free (self->kind);
  g_free (self->chat_id);
  g_free (self->operation_id);
  G_OBJECT_CLASS (globi_payment_dialog_parent_class)->finalize (object);
}

static void
globi_payment_dialog_class_init (GlobiPaymentDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_payment_dialog_dispose;
  object_class->finalize = globi_payment_dialog_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
globi_payment_dialog_init (GlobiPaymentDialog *self)
{
  globi_wallet_style_ensure ();
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 420, -1);
}

static GtkWidget *
row_with (const char *title, GtkWidget *suffix)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_widget_set_valign (suffix, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix);
  return row;
}

static void
build (GlobiPaymentDialog *self)
{
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_ ("_Cancel"));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *list = gtk_list_box_new ();
  const char *title;
  const char *action;
  const char *preferred = self->wallet ? globi_wallet_get_preferred_currency (self->wallet) : NULL;

  if (is_kind (self, "red_packet"))
    title = _ ("Red packet"), action = _ ("_Send");
  else if (is_kind (self, "request"))
    title = _ ("Request money"), action = _ ("_Request");
  else
    title = _ ("Transfer"), action = _ ("_Send");
  gtk_window_set_title (GTK_WINDOW (self), title);

  self->title = ADW_WINDOW_TITLE (adw_window_title_new (title, NULL));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (self->title));
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (gtk_window_close), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->send = gtk_button_new_with_mnemonic (action);
  gtk_widget_add_css_class (self->send, "suggested-action");
  g_signal_connect (self->send, "clicked", G_CALLBACK (on_send_clicked_cb), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->send);
  gtk_box_append (GTK_BOX (outer), header);

  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  /* Who */
  if (self->chat_id && g_str_has_prefix (self->chat_id, "u:"))
    adw_window_title_set_subtitle (self->title, peer_name (self));
  else if (self->chat_id && g_str_has_prefix (self->chat_id, "g:") && self->messenger)
    {
      GlobiGroup *group = globi_messenger_find_group (self->messenger, self->chat_id + 2);
      adw_window_title_set_subtitle (self->title, group ? globi_group_get_name (group) : NULL);
    }
  else if (self->messenger)
    {
      GtkExpression *name = gtk_cclosure_expression_new (
          G_TYPE_STRING, NULL, 0, NULL, G_CALLBACK (globi_contact_get_name), NULL, NULL);

      self->contact_model = g_object_ref (globi_messenger_get_contacts (self->messenger));
      self->contacts = GTK_DROP_DOWN (gtk_drop_down_new (self->contact_model, name));
      gtk_drop_down_set_enable_search (self->contacts, TRUE);
      g_signal_connect_swapped (self->contacts, "notify::selected", G_CALLBACK (update_sensitivity),
                                self);
      gtk_list_box_append (GTK_LIST_BOX (list),
                           row_with (is_kind (self, "request") ? _ ("From") : _ ("To"),
                                     GTK_WIDGET (self->contacts)));
    }

  self->amount = GLOBI_AMOUNT_ENTRY (globi_amount_entry_new ());
  globi_amount_entry_set_wallet (self->amount, self->wallet);
  globi_amount_entry_set_currency (self->amount, preferred ? preferred : "USD");
  globi_amount_entry_set_convert_to (self->amount, preferred);
  g_signal_connect_swapped (self->amount, "notify::valid", G_CALLBACK (update_sensitivity), self);
  g_signal_connect_swapped (self->amount, "notify::currency", G_CALLBACK (update_sensitivity),
                            self);
  g_signal_connect_swapped (self->amount, "activate", G_CALLBACK (gtk_widget_activate), self->send);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->amount));

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  if (is_kind (self, "red_packet"))
    {
      guint members = 100;
      GlobiGroup *group = self->messenger && self->chat_id
                              ? globi_messenger_find_group (self->messenger, self->chat_id + 2)
                              : NULL;

      if (group && globi_group_get_member_count (group) > 0)
        members = MIN (100, globi_group_get_member_count (group));
      self->count = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (1, members, 1));
      gtk_spin_button_set_value (self->count, MIN (members, 5));
      gtk_list_box_append (GTK_LIST_BOX (list),
                           row_with (_ ("Number of shares"), GTK_WIDGET (self->count)));
      self->random_split = GTK_SWITCH (gtk_switch_new ());
      gtk_switch_set_active (self->random_split, TRUE);
      gtk_list_box_append (GTK_LIST_BOX (list), row_with (_ ("Random amounts (luck of the draw)"),
                                                          GTK_WIDGET (self->random_split)));
    }
  {
    GtkWidget *note = adw_entry_row_new ();

    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (note),
                                   is_kind (self, "red_packet") ? _ ("Wishes") : _ ("Note"));
    self->note = GTK_EDITABLE (note);
    gtk_editable_set_max_width_chars (self->note, NOTE_MAX_CHARS);
    g_signal_connect_swapped (note, "changed", G_CALLBACK (update_sensitivity), self);
    gtk_list_box_append (GTK_LIST_BOX (list), note);
  }
  gtk_box_append (GTK_BOX (box), list);

  self->error = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->error), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error));

  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_box_append (GTK_BOX (outer), clamp);
  adw_window_set_content (ADW_WINDOW (self), outer);
  update_sensitivity (self);
}

GlobiPaymentDialog *
globi_payment_dialog_new (GtkWidget *parent, const char *chat_id, const char *kind)
{
  GlobiPaymentDialog *self;
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;

  g_return_val_if_fail (kind != NULL, NULL);

  self = g_object_new (GLOBI_TYPE_PAYMENT_DIALOG, NULL);
  self->kind = g_strdup (kind);
  self->chat_id = g_strdup (chat_id);
  if (GLOBI_IS_WINDOW (root))
    {
      g_set_weak_pointer (&self->window, GLOBI_WINDOW (root));
      gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
      self->messenger = globi_window_get_messenger (self->window);
      if (self->messenger)
        {
          g_object_ref (self->messenger);
          self->wallet = g_object_ref (globi_wallet_get_for_messenger (self->messenger));
          if (!globi_wallet_get_loaded (self->wallet))
            globi_wallet_refresh_async (self->wallet, NULL, NULL, NULL);
          if (!globi_wallet_has_rates (self->wallet))
            globi_wallet_load_rates_async (self->wallet, NULL, NULL, NULL);
        }
    }
  build (self);
  return self;
}

void
globi_payment_dialog_present (GtkWidget *parent, const char *chat_id, const char *kind)
{
  gtk_window_present (GTK_WINDOW (globi_payment_dialog_new (parent, chat_id, kind)));
}

GlobiAmountEntry *
globi_payment_dialog_get_amount_entry (GlobiPaymentDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_PAYMENT_DIALOG (self), NULL);
  return self->amount;
}

void
globi_payment_dialog_set_note (GlobiPaymentDialog *self, const char *note)
{
  g_return_if_fail (GLOBI_IS_PAYMENT_DIALOG (self));
  gtk_editable_set_text (self->note, note ? note : "");
}

void
globi_payment_dialog_set_count (GlobiPaymentDialog *self, guint count)
{
  g_return_if_fail (GLOBI_IS_PAYMENT_DIALOG (self));
  if (self->count)
    gtk_spin_button_set_value (self->count, count);
}

GtkWidget *
globi_payment_dialog_get_send_button (GlobiPaymentDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_PAYMENT_DIALOG (self), NULL);
  return self->send;
}

/* The composer's "+" menu */

static const char *
open_chat_id (GtkWidget *widget)
{
  GtkWidget *view = gtk_widget_get_ancestor (widget, GLOBI_TYPE_CHATS_VIEW);
  GlobiChat *chat = view ? globi_chats_view_get_chat (GLOBI_CHATS_VIEW (view)) : NULL;

  return chat ? globi_chat_get_id (chat) : NULL;
}

static void
on_menu_item_clicked_cb (GtkButton *item, GtkWidget *button)
{
  const char *chat_id = open_chat_id (button);

  gtk_popover_popdown (GTK_POPOVER (g_object_get_data (G_OBJECT (button), "popover")));
  if (chat_id)
    globi_payment_dialog_present (button, chat_id, g_object_get_data (G_OBJECT (item), "kind"));
}

static void
on_menu_clicked_cb (GtkButton *button, GtkPopover *popover)
{
  const char *chat_id = open_chat_id (GTK_WIDGET (button));
  gboolean group = chat_id && g_str_has_prefix (chat_id, "g:");

  /* Red packets are for groups; transfers and requests for a friend. */
  for (GtkWidget *item = gtk_widget_get_first_child (gtk_popover_get_child (popover)); item;
       item = gtk_widget_get_next_sibling (item))
    gtk_widget_set_visible (
        item,
        g_str_equal (g_object_get_data (G_OBJECT (item), "kind"), "red_packet") ? group : !group);
  gtk_popover_popup (popover);
}

static void
on_menu_destroy_cb (GtkWidget *button, GtkWidget *popover)
{
  gtk_widget_unparent (popover);
}

/* A button with its own popover, not a GtkMenuButton: the composer's one menu button is
 * the emoji chooser's. */
GtkWidget *
globi_payment_dialog_new_menu_button (void)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("list-add-symbolic");
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  const struct
  {
    const char *kind;
    const char *label;
  } items[] = {
    { "transfer", N_ ("_Transfer") },
    { "request", N_ ("Request _money") },
    { "red_packet", N_ ("_Red packet") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      GtkWidget *item = gtk_button_new_with_mnemonic (_ (items[i].label));

      gtk_widget_add_css_class (item, "flat");
      gtk_label_set_xalign (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (item))), 0);
      g_object_set_data (G_OBJECT (item), "kind", (gpointer) items[i].kind);
      g_signal_connect (item, "clicked", G_CALLBACK (on_menu_item_clicked_cb), button);
      gtk_box_append (GTK_BOX (box), item);
    }
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_widget_set_parent (popover, button);
  g_object_set_data (G_OBJECT (button), "popover", popover);
  g_signal_connect (button, "clicked", G_CALLBACK (on_menu_clicked_cb), popover);
  g_signal_connect (button, "destroy", G_CALLBACK (on_menu_destroy_cb), popover);
  gtk_widget_set_valign (button, GTK_ALIGN_END);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  gtk_widget_set_tooltip_text (button, _ ("Send money"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Send money"), -1);
  return button;
}
