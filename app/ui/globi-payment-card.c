/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-payment-card"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "globi-error.h"
#include "globi-money.h"
#include "globi-payment-card.h"
#include "globi-payment-confirmation.h"
#include "globi-pin-dialog.h"
#include "globi-ui-util.h"
#include "globi-wallet-style.h"
#include "globi-wallet.h"
#include "globi-window.h"

/* The card object a GlobiPay message carries is globi_wallet_card_for_transaction's or
 * globi_wallet_card_for_red_packet's (app/core/globi-wallet.h). The live state comes from
 * the wallet, never from the message. */

struct _GlobiPaymentCard
{
  GtkWidget parent_instance;

  GlobiMessage *message;
  GlobiWallet *wallet;
  GlobiTransaction *transaction;
  JsonObject *red_packet;
  GCancellable *cancellable;

  GtkWidget *box;
  GtkImage *icon;
  GtkLabel *amount;
  GtkLabel *note;
  GtkLabel *state;
  GtkButton *action;
};

G_DEFINE_FINAL_TYPE (GlobiPaymentCard, globi_payment_card, GTK_TYPE_WIDGET)

static const char *
card_string (GlobiPaymentCard *self, const char *member)
{
  JsonObject *card = globi_message_get_card (self->message);
  JsonNode *node = card ? json_object_get_member (card, member) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node)
             : NULL;
}

static gint64
object_int (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64
             ? json_node_get_int (node)
             : 0;
}

static JsonObject *
object_object (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
object_string (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node)
             : NULL;
}

static const char *
or_empty (const char *s)
{
  return s ? s : "";
}

static const char *
kind (GlobiPaymentCard *self)
{
  const char *k = globi_message_get_card_kind (self->message);

  return k ? k : "";
}

static gboolean
is_red_packet (GlobiPaymentCard *self)
{
  return g_str_equal (kind (self), "red_packet");
}

static char *
money_text (JsonObject *money)
{
  const char *currency = object_string (money, "currency");

  if (!currency || !globi_currency_is_known (currency))
    return g_strdup ("");
  return globi_money_format (object_int (money, "minor"), currency, GLOBI_MONEY_FORMAT_SYMBOL);
}

static const char *
me (GlobiPaymentCard *self)
{
  return self->wallet ? globi_wallet_get_user_id (self->wallet) : NULL;
}

/* The state line and the action that fit what the wallet knows now. */
static void
update (GlobiPaymentCard *self)
{
  JsonObject *card = globi_message_get_card (self->message);
  g_autofree char *amount = NULL;
  g_autofree char *state_text = NULL;
  const char *note = object_string (card, "note");
  const char *action = NULL;
  gboolean done = FALSE;

  amount = money_text (object_object (card, is_red_packet (self) ? "total" : "amount"));
  gtk_label_set_text (self->amount, amount);

  if (is_red_packet (self))
    {
      JsonObject *packet = self->red_packet;
      gint64 count = packet ? object_int (packet, "count") : object_int (card, "count");
      gint64 left = object_int (packet, "remaining_count");
      const char *state = object_string (packet, "state");
      JsonObject *mine = object_object (packet, "my_claim");

      gtk_label_set_text (self->note, note && *note ? note : _ ("Best wishes"));
      if (!packet)
        state_text = g_strdup (_ ("Red packet"));
      else if (mine)
        {
          g_autofree char *got = money_text (object_object (mine, "amount"));
          /* TRANSLATORS: "You got ¥3.20 · claimed 3 of 5" */
          state_text = g_strdup_printf (_ ("You got %s · claimed %d of %d"), got,
                                        (int) (count - left), (int) count);
          done = TRUE;
        }
      else if (g_strcmp0 (state, "returned") == 0)
        {
          state_text = g_strdup (_ ("Expired · the rest went back to the sender"));
          done = TRUE;
        }
      else if (g_strcmp0 (state, "completed") == 0)
        {
          state_text = g_strdup_printf (_ ("All %d claimed"), (int) count);
          done = TRUE;
        }
      else
        state_text = g_strdup_printf (_ ("Claimed %d of %d"), (int) (count - left), (int) count);
      action = mine || g_strcmp0 (state, "pending") != 0 ? _ ("Details") : _ ("Open");
    }
  else
    {
      GlobiTransaction *t = self->transaction;
      const char *state = t ? globi_transaction_get_state (t) : NULL;
      gboolean request = g_str_equal (kind (self), "request");
      gboolean i_pay = t && globi_transaction_is_outgoing (t, me (self));
      const char *other =
          t ? (i_pay ? globi_transaction_get_to_name (t) : globi_transaction_get_from_name (t))
            : NULL;

      gtk_label_set_text (self->note, note && *note ? note
                                      : request     ? _ ("Money request")
                                                    : _ ("Transfer"));
      if (!t)
        state_text = g_strdup (request ? _ ("Money request") : _ ("Transfer"));
      else if (g_str_equal (state, GLOBI_TRANSACTION_PENDING))
        {
          if (request && i_pay)
            {
              state_text = g_strdup_printf (_ ("%s asks you to pay"), other ? other : "");
              action = _ ("Pay");
            }
          else if (request)
            state_text = g_strdup_printf (_ ("Waiting for %s to pay"), other ? other : "");
          else if (i_pay)
            state_text = g_strdup_printf (_ ("Waiting for %s to accept"), other ? other : "");
          else
            {
              state_text = g_strdup (_ ("Accept within 24 hours"));
              action = _ ("Accept");
            }
        }
      else
        {
          done = TRUE;
          if (g_str_equal (state, GLOBI_TRANSACTION_COMPLETED))
            state_text = g_strdup (request ? _ ("Paid") : _ ("Accepted"));
          else if (g_str_equal (state, GLOBI_TRANSACTION_RETURNED))
            state_text = g_strdup (_ ("Returned · not accepted within 24 hours"));
          else if (g_str_equal (state, GLOBI_TRANSACTION_DECLINED))
            state_text = g_strdup (_ ("Declined"));
          else
            state_text = g_strdup (state);
        }
    }

  gtk_label_set_text (self->state, state_text);
  gtk_widget_set_visible (GTK_WIDGET (self->action), action != NULL);
  if (action)
    gtk_button_set_label (self->action, action);
  if (done)
    gtk_widget_add_css_class (GTK_WIDGET (self), "done");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "done");
}

static void
set_transaction (GlobiPaymentCard *self, GlobiTransaction *transaction)
{
  if (self->transaction == transaction)
    return;
  if (self->transaction)
    g_signal_handlers_disconnect_by_data (self->transaction, self);
  g_set_object (&self->transaction, transaction);
  if (transaction)
    g_signal_connect_swapped (transaction, "notify::state", G_CALLBACK (update), self);
  update (self);
}

static void
set_red_packet (GlobiPaymentCard *self, JsonObject *packet)
{
  if (packet)
    json_object_ref (packet);
  g_clear_pointer (&self->red_packet, json_object_unref);
  self->red_packet = packet;
  update (self);
}

static void
on_transaction_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPaymentCard) self = user_data;
  g_autoptr (GlobiTransaction) transaction = NULL;
  g_autoptr (GError) error = NULL;

  transaction = globi_wallet_transaction_finish (GLOBI_WALLET (object), result, &error);
  if (transaction && self->wallet == GLOBI_WALLET (object))
    set_transaction (self, transaction);
}

static void
on_red_packet_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPaymentCard) self = user_data;
  g_autoptr (JsonObject) packet = NULL;
  g_autoptr (GError) error = NULL;

  packet = globi_wallet_red_packet_finish (GLOBI_WALLET (object), result, &error);
  if (packet && self->wallet == GLOBI_WALLET (object))
    set_red_packet (self, packet);
}

static void
load (GlobiPaymentCard *self)
{
  const char *id;

  if (!self->wallet)
    return;
  if (is_red_packet (self))
    {
      if ((id = card_string (self, "red_packet_id")))
        globi_wallet_get_red_packet_async (self->wallet, id, self->cancellable,
                                           on_red_packet_loaded_cb, g_object_ref (self));
      return;
    }
  if (!(id = card_string (self, "transaction_id")))
    return;
  if (globi_wallet_lookup_transaction (self->wallet, id))
    set_transaction (self, globi_wallet_lookup_transaction (self->wallet, id));
  else
    globi_wallet_get_transaction_async (self->wallet, id, self->cancellable,
                                        on_transaction_loaded_cb, g_object_ref (self));
}

static void
on_transaction_updated_cb (GlobiWallet *wallet, GlobiTransaction *transaction, gpointer user_data)
{
  GlobiPaymentCard *self = user_data;

  if (is_red_packet (self))
    {
      /* A claim or the packet's return: the packet itself tells the new count. */
      if (g_strcmp0 (globi_transaction_get_red_packet_id (transaction),
                     card_string (self, "red_packet_id")) == 0 ||
          g_strcmp0 (globi_transaction_get_id (transaction), card_string (self, "red_packet_id")) ==
              0)
        load (self);
      return;
    }
  if (g_strcmp0 (globi_transaction_get_id (transaction), card_string (self, "transaction_id")) == 0)
    set_transaction (self, transaction);
}

static GtkWidget *
toast_target (GlobiPaymentCard *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GLOBI_IS_WINDOW (root) ? GTK_WIDGET (root) : NULL;
}

static void
toast (GlobiPaymentCard *self, const char *text)
{
  GtkWidget *window = toast_target (self);

  if (window && text)
    globi_window_add_toast (GLOBI_WINDOW (window), text);
}

static void
on_accepted_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPaymentCard) self = user_data;
  g_autoptr (GlobiTransaction) transaction = NULL;
  g_autoptr (GError) error = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->action), TRUE);
  transaction = globi_wallet_transaction_finish (GLOBI_WALLET (object), result, &error);
  if (!transaction)
    {
      g_autofree char *text = globi_ui_describe_failure (_ ("Couldn't accept"), error);
      toast (self, text);
      return;
    }
  set_transaction (self, transaction);
  globi_payment_confirmation_present (
      GTK_WIDGET (self), _ ("Received"), globi_transaction_get_minor (transaction),
      globi_transaction_get_currency (transaction), globi_transaction_get_from_name (transaction));
}

static void
on_request_paid_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPinDialog) dialog = user_data;
  g_autoptr (GlobiTransaction) transaction = NULL;
  g_autoptr (GError) error = NULL;
  GlobiPaymentCard *self = g_object_get_data (G_OBJECT (dialog), "card");

  transaction = globi_wallet_transaction_finish (GLOBI_WALLET (object), result, &error);
  if (!transaction)
    {
      globi_pin_dialog_failed (
          dialog, error,
          self && self->transaction ? globi_transaction_get_currency (self->transaction) : NULL);
      return;
    }
  /* TRANSLATORS: "Paid to Alice" */
  {
    g_autofree char *title =
        g_strdup_printf (_ ("Paid to %s"), globi_transaction_get_to_name (transaction));
    globi_pin_dialog_succeeded (dialog, title, globi_transaction_get_minor (transaction),
                                globi_transaction_get_currency (transaction),
                                globi_transaction_get_note (transaction));
  }
}

static void
on_pay_submit_cb (GlobiPinDialog *dialog, const char *pin, gpointer user_data)
{
  GlobiPaymentCard *self = user_data;

  globi_wallet_pay_request_async (self->wallet, globi_transaction_get_id (self->transaction), pin,
                                  NULL, on_request_paid_cb, g_object_ref (dialog));
}

static void
present_claims (GlobiPaymentCard *self)
{
  JsonObject *packet = self->red_packet;
  JsonNode *claims_node = packet ? json_object_get_member (packet, "claims") : NULL;
  JsonArray *claims =
      claims_node && JSON_NODE_HOLDS_ARRAY (claims_node) ? json_node_get_array (claims_node) : NULL;
  JsonObject *from = object_object (packet, "from");
  g_autofree char *total = money_text (object_object (packet, "total"));
  g_autofree char *heading =
      g_strdup_printf (_ ("Red packet from %s"), object_string (from, "display_name")
                                                     ? object_string (from, "display_name")
                                                     : or_empty (object_string (from, "username")));
  GtkWidget *dialog;
  GtkWidget *list = gtk_list_box_new ();
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; claims && i < json_array_get_length (claims); i++)
    {
      JsonNode *node = json_array_get_element (claims, i);
      JsonObject *claim = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *user = object_object (claim, "user");
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *amount = money_text (object_object (claim, "amount"));
      g_autofree char *when = globi_ui_format_time (object_int (claim, "claimed_at"));
      const char *name = object_string (user, "display_name");
      GtkWidget *value = gtk_label_new (amount);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     name && *name ? name
                                                   : or_empty (object_string (user, "username")));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), when);
      gtk_widget_add_css_class (value, "heading");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  if (!claims || json_array_get_length (claims) == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Nobody has claimed yet"));
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, NULL);
  {
    gint64 count = object_int (packet, "count");
    gint64 left = object_int (packet, "remaining_count");
    g_autofree char *body = g_strdup_printf (
        /* TRANSLATORS: "¥20.00 in 5 shares · claimed 3 of 5" */
        _ ("%s in %d shares · claimed %d of %d"), total, (int) count, (int) (count - left),
        (int) count);
    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), body);
  }
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_claimed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPaymentCard) self = user_data;
  g_autoptr (JsonObject) packet = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *mine;

  gtk_widget_set_sensitive (GTK_WIDGET (self->action), TRUE);
  packet = globi_wallet_red_packet_finish (GLOBI_WALLET (object), result, &error);
  if (!packet)
    {
      g_autofree char *text = NULL;

      /* "All claimed" and "expired" arrive as conflicts: show the packet as it is. */
      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT))
        {
          load (self);
          text = g_strdup (error->message);
        }
      else
        text = globi_ui_describe_failure (_ ("Couldn't open the red packet"), error);
      toast (self, text);
      return;
    }
  set_red_packet (self, packet);
  mine = object_object (packet, "my_claim");
  if (mine)
    {
      JsonObject *amount = object_object (mine, "amount");
      JsonObject *from = object_object (packet, "from");

      globi_payment_confirmation_present (
          GTK_WIDGET (self), _ ("You got a share"), object_int (amount, "minor"),
          object_string (amount, "currency"), object_string (from, "display_name"));
    }
}

static void
on_action_clicked_cb (GtkButton *button, GlobiPaymentCard *self)
{
  if (!self->wallet)
    return;
  if (is_red_packet (self))
    {
      if (self->red_packet && !object_object (self->red_packet, "my_claim") &&
          g_strcmp0 (object_string (self->red_packet, "state"), "pending") == 0)
        {
          gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
          globi_wallet_claim_red_packet_async (self->wallet, card_string (self, "red_packet_id"),
                                               self->cancellable, on_claimed_cb,
                                               g_object_ref (self));
        }
      else
        present_claims (self);
      return;
    }
  if (!self->transaction)
    return;
  if (g_str_equal (kind (self), "request"))
    {
      g_autofree char *amount = globi_money_format (
          globi_transaction_get_minor (self->transaction),
          globi_transaction_get_currency (self->transaction), GLOBI_MONEY_FORMAT_SYMBOL);
      g_autofree char *summary = g_strdup_printf (
          _ ("Pay %s to %s"), amount, globi_transaction_get_to_name (self->transaction));
      GlobiPinDialog *dialog = globi_pin_dialog_new (GTK_WIDGET (self), self->wallet, summary);

      g_object_set_data_full (G_OBJECT (dialog), "card", g_object_ref (self), g_object_unref);
      g_signal_connect_object (dialog, "submit", G_CALLBACK (on_pay_submit_cb), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  globi_wallet_accept_async (self->wallet, globi_transaction_get_id (self->transaction),
                             self->cancellable, on_accepted_cb, g_object_ref (self));
}

static void
attach_wallet (GlobiPaymentCard *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GlobiMessenger *messenger =
      GLOBI_IS_WINDOW (root) ? globi_window_get_messenger (GLOBI_WINDOW (root)) : NULL;
  GlobiWallet *wallet = messenger ? globi_wallet_get_for_messenger (messenger) : NULL;

  if (wallet == self->wallet)
    return;
  if (self->wallet)
    g_signal_handlers_disconnect_by_data (self->wallet, self);
  g_set_object (&self->wallet, wallet);
  if (wallet)
    {
      g_signal_connect (wallet, "transaction-updated", G_CALLBACK (on_transaction_updated_cb),
                        self);
      load (self);
    }
}

static void
globi_payment_card_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (globi_payment_card_parent_class)->root (widget);
  attach_wallet (GLOBI_PAYMENT_CARD (widget));
}

static void
globi_payment_card_dispose (GObject *object)
{
  GlobiPaymentCard *self = GLOBI_PAYMENT_CARD (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->wallet)
    g_signal_handlers_disconnect_by_data (self->wallet, self);
  g_clear_object (&self->wallet);
  if (self->transaction)
    g_signal_handlers_disconnect_by_data (self->transaction, self);
  g_clear_object (&self->transaction);
  g_clear_pointer (&self->red_packet, json_object_unref);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->message);
  G_OBJECT_CLASS (globi_payment_card_parent_class)->dispose (object);
}

static void
globi_payment_card_class_init (GlobiPaymentCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_payment_card_dispose;
  widget_class->root = globi_payment_card_root;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "payment-card");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
globi_payment_card_init (GlobiPaymentCard *self)
{
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  globi_wallet_style_ensure ();
  self->cancellable = g_cancellable_new ();
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  gtk_widget_add_css_class (top, "card-top");
  self->icon = GTK_IMAGE (gtk_image_new ());
  gtk_image_set_pixel_size (self->icon, 32);
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (self->icon));
  self->amount = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->amount, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->amount), "card-amount");
  gtk_box_append (GTK_BOX (texts), GTK_WIDGET (self->amount));
  self->note = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->note, 0);
  gtk_label_set_ellipsize (self->note, PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (self->note, 28);
  gtk_box_append (GTK_BOX (texts), GTK_WIDGET (self->note));
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (top), texts);
  gtk_box_append (GTK_BOX (self->box), top);

  gtk_widget_add_css_class (bottom, "card-bottom");
  self->state = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->state, 0);
  gtk_label_set_wrap (self->state, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->state), TRUE);
  gtk_box_append (GTK_BOX (bottom), GTK_WIDGET (self->state));
  self->action = GTK_BUTTON (gtk_button_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->action), "pill");
  gtk_widget_add_css_class (GTK_WIDGET (self->action), "small");
  gtk_widget_set_valign (GTK_WIDGET (self->action), GTK_ALIGN_CENTER);
  gtk_widget_set_visible (GTK_WIDGET (self->action), FALSE);
  g_signal_connect (self->action, "clicked", G_CALLBACK (on_action_clicked_cb), self);
  gtk_box_append (GTK_BOX (bottom), GTK_WIDGET (self->action));
  gtk_box_append (GTK_BOX (self->box), bottom);
}

GtkWidget *
globi_payment_card_new (GlobiMessage *message)
{
  GlobiPaymentCard *self;
  const char *k;

  g_return_val_if_fail (GLOBI_IS_MESSAGE (message), NULL);

  self = g_object_new (GLOBI_TYPE_PAYMENT_CARD, NULL);
  self->message = g_object_ref (message);
  k = kind (self);
  if (g_str_equal (k, "red_packet"))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "red-packet");
      gtk_image_set_from_icon_name (self->icon, "starred-symbolic");
    }
  else if (g_str_equal (k, "request"))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "request");
      gtk_image_set_from_icon_name (self->icon, "mail-message-new-symbolic");
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "transfer");
      gtk_image_set_from_icon_name (self->icon, "send-to-symbolic");
    }
  update (self);
  return GTK_WIDGET (self);
}

GlobiMessage *
globi_payment_card_get_message (GlobiPaymentCard *self)
{
  g_return_val_if_fail (GLOBI_IS_PAYMENT_CARD (self), NULL);
  return self->message;
}

const char *
globi_payment_card_get_state_text (GlobiPaymentCard *self)
{
  g_return_val_if_fail (GLOBI_IS_PAYMENT_CARD (self), NULL);
  return gtk_label_get_text (self->state);
}

GtkButton *
globi_payment_card_get_action (GlobiPaymentCard *self)
{
  g_return_val_if_fail (GLOBI_IS_PAYMENT_CARD (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->action)) ? self->action : NULL;
}
