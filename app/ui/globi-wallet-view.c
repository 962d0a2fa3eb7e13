/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-wallet-view"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-amount-entry.h"
#include "globi-emvco.h"
#include "globi-money.h"
#include "globi-payment-confirmation.h"
#include "globi-payment-dialog.h"
#include "globi-pin-dialog.h"
#include "globi-qr-code.h"
#include "globi-scan-dialog.h"
#include "globi-ui-util.h"
#include "globi-wallet-style.h"
#include "globi-wallet-view.h"
#include "globi-window.h"

#define RECENT_ROWS 5
#define PAGE_SIZE   50

struct _GlobiWalletView
{
  GtkWidget parent_instance;

  GlobiWallet *wallet;
  GlobiSession *session;
  GCancellable *cancellable;

  GtkWidget *box;
  GtkWidget *back;
  AdwWindowTitle *title;
  GtkMenuButton *menu_button;
  GtkStack *stack;

  /* main */
  GtkLabel *balance;
  GtkLabel *balance_caption;
  GtkLabel *other_balances;
  GtkListBox *recent;
  AdwActionRow *pin_row;
  GtkButton *pin_button;
  AdwActionRow *rates_row;

  /* history */
  GtkDropDown *kind_filter;
  GtkDropDown *currency_filter;
  GtkStringList *currency_names;
  GtkDropDown *date_filter;
  GtkListBox *history;
  GtkWidget *more;
  char *next;
  AdwStatusPage *history_empty;

  /* detail */
  GtkWidget *detail_box;
  GlobiTransaction *detail;
  guint reload_source;
};

G_DEFINE_FINAL_TYPE (GlobiWalletView, globi_wallet_view, GTK_TYPE_WIDGET)

/* Filters, in the order of the menus */
static const struct
{
  const char *kind;
  const char *label;  /* the filter's */
  const char *single; /* one transaction's */
} kind_filters[] = {
  { NULL, N_ ("All kinds"), NULL },
  { GLOBI_TRANSACTION_TRANSFER, N_ ("Transfers"), N_ ("Transfer") },
  { GLOBI_TRANSACTION_REQUEST, N_ ("Requests"), N_ ("Money request") },
  { GLOBI_TRANSACTION_PAYMENT, N_ ("QR payments"), N_ ("QR payment") },
  { GLOBI_TRANSACTION_RED_PACKET, N_ ("Red packets"), N_ ("Red packet") },
  { GLOBI_TRANSACTION_CLAIM, N_ ("Red packet shares"), N_ ("Red packet share") },
  { GLOBI_TRANSACTION_STARTER, N_ ("Welcome balance"), N_ ("Welcome balance") },
};

static const struct
{
  int days;
  const char *label;
} date_filters[] = {
  { 0, N_ ("Any time") },      { 1, N_ ("Today") },       { 7, N_ ("Last 7 days") },
  { 30, N_ ("Last 30 days") }, { 365, N_ ("Last year") },
};

static void reload_history (GlobiWalletView *self);
static void show_detail (GlobiWalletView *self, GlobiTransaction *transaction);

static GtkWidget *
window_of (GlobiWalletView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GLOBI_IS_WINDOW (root) ? GTK_WIDGET (root) : NULL;
}

static void
toast (GlobiWalletView *self, const char *text)
{
  GtkWidget *window = window_of (self);

  if (window && text)
    globi_window_add_toast (GLOBI_WINDOW (window), text);
}

static char *
format_money (gint64 minor, const char *currency)
{
  return globi_money_format (minor, currency, GLOBI_MONEY_FORMAT_SYMBOL);
}

static const char *
kind_label (const char *kind)
{
  for (guint i = 1; i < G_N_ELEMENTS (kind_filters); i++)
    if (g_strcmp0 (kind_filters[i].kind, kind) == 0)
      return _ (kind_filters[i].single);
  return kind;
}

static const char *
state_label (const char *state)
{
  if (g_strcmp0 (state, GLOBI_TRANSACTION_PENDING) == 0)
    return _ ("Pending");
  if (g_strcmp0 (state, GLOBI_TRANSACTION_COMPLETED) == 0)
    return _ ("Completed");
  if (g_strcmp0 (state, GLOBI_TRANSACTION_RETURNED) == 0)
    return _ ("Returned");
  if (g_strcmp0 (state, GLOBI_TRANSACTION_DECLINED) == 0)
    return _ ("Declined");
  if (g_strcmp0 (state, GLOBI_TRANSACTION_REFUNDED) == 0)
    return _ ("Refunded");
  return state;
}

/* "Bob", "GlobiPay" for the system, the kind when nobody yet. */
static const char *
counterpart (GlobiWalletView *self, GlobiTransaction *t)
{
  gboolean out = globi_transaction_is_outgoing (t, globi_wallet_get_user_id (self->wallet));
  const char *name = out ? globi_transaction_get_to_name (t) : globi_transaction_get_from_name (t);

  if (name)
    return name;
  if (g_strcmp0 (globi_transaction_get_kind (t), GLOBI_TRANSACTION_STARTER) == 0)
    return _ ("GlobiPay welcome balance");
  return kind_label (globi_transaction_get_kind (t));
}

static char *
signed_amount (GlobiWalletView *self, GlobiTransaction *t)
{
  gboolean out = globi_transaction_is_outgoing (t, globi_wallet_get_user_id (self->wallet));
  g_autofree char *money =
      format_money (globi_transaction_get_minor (t), globi_transaction_get_currency (t));

  /* A request asks; nothing has moved while it is pending. */
  if (g_strcmp0 (globi_transaction_get_kind (t), GLOBI_TRANSACTION_REQUEST) == 0 &&
      g_strcmp0 (globi_transaction_get_state (t), GLOBI_TRANSACTION_COMPLETED) != 0)
    return g_steal_pointer (&money);
  return g_strconcat (out ? "−" : "+", money, NULL);
}

static void
on_row_activated_cb (AdwActionRow *row, GlobiWalletView *self)
{
  show_detail (self, g_object_get_data (G_OBJECT (row), "transaction"));
}

static GtkWidget *
transaction_row (GlobiWalletView *self, GlobiTransaction *t)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *when = globi_ui_format_list_time (globi_transaction_get_created_at (t));
  g_autofree char *subtitle = NULL;
  g_autofree char *amount = signed_amount (self, t);
  GtkWidget *value = gtk_label_new (amount);
  const char *note = globi_transaction_get_note (t);

  subtitle =
      g_strdup_printf ("%s · %s · %s%s%s", when, kind_label (globi_transaction_get_kind (t)),
                       state_label (globi_transaction_get_state (t)), *note ? " · " : "", note);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), counterpart (self, t));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (value, "heading");
  if (amount[0] == '+')
    gtk_widget_add_css_class (value, "amount-in");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("go-next-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "transaction", g_object_ref (t), g_object_unref);
  g_signal_connect (row, "activated", G_CALLBACK (on_row_activated_cb), self);
  return row;
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))))
    gtk_list_box_remove (list, child);
}

static void
placeholder_row (GtkListBox *list, const char *text)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
  gtk_widget_add_css_class (row, "dim-label");
  gtk_list_box_append (list, row);
}

/* Main page */

static void
update_balances (GlobiWalletView *self)
{
  GArray *balances = self->wallet ? globi_wallet_get_balances (self->wallet) : NULL;
  const char *preferred = self->wallet ? globi_wallet_get_preferred_currency (self->wallet) : NULL;
  g_autoptr (GString) others = g_string_new (NULL);
  g_autofree char *big = NULL;
  gint64 pin_locked;

  if (!self->wallet || !globi_wallet_get_loaded (self->wallet))
    {
      gtk_label_set_text (self->balance, "…");
      gtk_widget_set_visible (GTK_WIDGET (self->other_balances), FALSE);
      return;
    }
  if (!preferred && balances->len > 0)
    preferred = g_array_index (balances, GlobiBalance, 0).currency;
  big = preferred ? format_money (globi_wallet_get_balance (self->wallet, preferred), preferred)
                  : g_strdup ("0");
  gtk_label_set_text (self->balance, big);
  {
    /* TRANSLATORS: the caption of the big balance, e.g. "Balance in USD" */
    g_autofree char *caption = g_strdup_printf (_ ("Balance in %s"), preferred ? preferred : "");
    gtk_label_set_text (self->balance_caption, caption);
  }
  for (guint i = 0; i < balances->len; i++)
    {
      GlobiBalance *balance = &g_array_index (balances, GlobiBalance, i);
      g_autofree char *text = NULL;

      if (g_strcmp0 (balance->currency, preferred) == 0)
        continue;
      text = format_money (balance->minor, balance->currency);
      g_string_append_printf (others, "%s%s %s", others->len ? "   ·   " : "", text,
                              balance->currency);
    }
  gtk_label_set_text (self->other_balances, others->str);
  gtk_widget_set_visible (GTK_WIDGET (self->other_balances), others->len > 0);

  pin_locked = globi_wallet_get_pin_locked_until (self->wallet);
  if (pin_locked > g_get_real_time () / 1000)
    {
      g_autofree char *when = globi_ui_format_time (pin_locked);
      g_autofree char *subtitle = g_strdup_printf (_ ("Locked after wrong PINs until %s"), when);
      adw_action_row_set_subtitle (self->pin_row, subtitle);
    }
  else
    adw_action_row_set_subtitle (self->pin_row,
                                 globi_wallet_get_pin_set (self->wallet)
                                     ? _ ("Set · confirms every payment")
                                     : _ ("Not set yet · your first payment asks for one"));
  gtk_button_set_label (self->pin_button,
                        globi_wallet_get_pin_set (self->wallet) ? _ ("Change") : _ ("Set"));

  /* The currencies of the history's filter: the ones I hold or held. */
  while (g_list_model_get_n_items (G_LIST_MODEL (self->currency_names)) > 1)
    gtk_string_list_remove (self->currency_names, 1);
  for (guint i = 0; i < balances->len; i++)
    gtk_string_list_append (self->currency_names,
                            g_array_index (balances, GlobiBalance, i).currency);
}

static void
update_rates (GlobiWalletView *self)
{
  g_autofree char *subtitle = NULL;
  const char *source;

  if (!self->wallet || !globi_wallet_has_rates (self->wallet))
    {
      adw_action_row_set_subtitle (self->rates_row, _ ("Not loaded yet"));
      return;
    }
  source = globi_wallet_get_rates_source (self->wallet);
  /* TRANSLATORS: "European Central Bank reference rates of 2026-11-23" */
  subtitle =
      g_strdup_printf (_ ("%s of %s · amounts convert live as you type"),
                       g_strcmp0 (source, "ecb") == 0 ? _ ("European Central Bank reference rates")
                                                      : _ ("Built-in reference rates"),
                       globi_wallet_get_rates_date (self->wallet));
  adw_action_row_set_subtitle (self->rates_row, subtitle);
}

static void
on_recent_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWalletView) self = user_data;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GError) error = NULL;

  items = globi_wallet_list_finish (GLOBI_WALLET (object), result, NULL, &error);
  if (GLOBI_WALLET (object) != self->wallet)
    return;
  clear_list (self->recent);
  if (!items)
    {
      g_autofree char *text = globi_ui_describe_error (error);
      if (text)
        placeholder_row (self->recent, text);
      return;
    }
  for (guint i = 0; i < items->len; i++)
    gtk_list_box_append (self->recent, transaction_row (self, g_ptr_array_index (items, i)));
  if (items->len == 0)
    placeholder_row (self->recent, _ ("No transactions yet"));
}

static void
reload_recent (GlobiWalletView *self)
{
  if (self->wallet)
    globi_wallet_list_async (self->wallet, NULL, NULL, NULL, NULL, RECENT_ROWS, self->cancellable,
                             on_recent_loaded_cb, g_object_ref (self));
}

static void
on_refreshed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWalletView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_wallet_finish (GLOBI_WALLET (object), result, &error))
    {
      g_autofree char *text = globi_ui_describe_failure (_ ("Couldn't load the wallet"), error);
      if (GLOBI_WALLET (object) == self->wallet)
        toast (self, text);
    }
}

static gboolean
reload_soon_cb (gpointer user_data)
{
  GlobiWalletView *self = user_data;

  self->reload_source = 0;
  reload_recent (self);
  if (g_str_equal (gtk_stack_get_visible_child_name (self->stack), "history"))
    reload_history (self);
  return G_SOURCE_REMOVE;
}

static void
on_transaction_updated_cb (GlobiWallet *wallet, GlobiTransaction *t, GlobiWalletView *self)
{
  /* A burst of updates (a page of history) reloads once. */
  if (!self->reload_source && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->reload_source = g_timeout_add_full (G_PRIORITY_DEFAULT, 250, reload_soon_cb,
                                              g_object_ref (self), g_object_unref);
  if (self->detail == t)
    show_detail (self, t);
}

void
globi_wallet_view_sync (GlobiWalletView *self)
{
  GtkWidget *window = window_of (self);
  GlobiMessenger *messenger = window ? globi_window_get_messenger (GLOBI_WINDOW (window)) : NULL;
  GlobiWallet *wallet = messenger ? globi_wallet_get_for_messenger (messenger) : NULL;

  g_return_if_fail (GLOBI_IS_WALLET_VIEW (self));

  if (wallet != self->wallet)
    {
      if (self->wallet)
        g_signal_handlers_disconnect_by_data (self->wallet, self);
      g_cancellable_cancel (self->cancellable);
      g_object_unref (self->cancellable);
      self->cancellable = g_cancellable_new ();
      g_set_object (&self->wallet, wallet);
      g_clear_object (&self->detail);
      if (wallet)
        {
          g_signal_connect_swapped (wallet, "changed", G_CALLBACK (update_balances), self);
          g_signal_connect_swapped (wallet, "rates-changed", G_CALLBACK (update_rates), self);
          g_signal_connect (wallet, "transaction-updated", G_CALLBACK (on_transaction_updated_cb),
                            self);
        }
      globi_wallet_view_show_page (self, "main");
    }
  gtk_stack_set_visible_child_name (
      self->stack, wallet ? gtk_stack_get_visible_child_name (self->stack) : "signed-out");
  if (wallet && g_str_equal (gtk_stack_get_visible_child_name (self->stack), "signed-out"))
    globi_wallet_view_show_page (self, "main");
  update_balances (self);
  update_rates (self);
  if (!wallet)
    return;
  globi_wallet_refresh_async (wallet, self->cancellable, on_refreshed_cb, g_object_ref (self));
  if (!globi_wallet_has_rates (wallet))
    globi_wallet_load_rates_async (wallet, self->cancellable, NULL, NULL);
  reload_recent (self);
}

/* History page */

static void
on_history_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWalletView) self = user_data;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *next = NULL;
  guint days = date_filters[MIN (gtk_drop_down_get_selected (self->date_filter),
                                 G_N_ELEMENTS (date_filters) - 1)]
                   .days;
  gint64 since = days ? g_get_real_time () / 1000 - (gint64) days * 24 * 3600 * 1000 : 0;
  gboolean older_than_range = FALSE;
  guint shown = 0;

  items = globi_wallet_list_finish (GLOBI_WALLET (object), result, &next, &error);
  if (GLOBI_WALLET (object) != self->wallet)
    return;
  if (!items)
    {
      g_autofree char *text = globi_ui_describe_failure (_ ("Couldn't load the history"), error);
      toast (self, text);
      return;
    }
  /* The server pages newest first; the date range is cut here. */
  for (guint i = 0; i < items->len; i++)
    {
      GlobiTransaction *t = g_ptr_array_index (items, i);

      if (since && globi_transaction_get_created_at (t) < since)
        {
          older_than_range = TRUE;
          break;
        }
      gtk_list_box_append (self->history, transaction_row (self, t));
      shown++;
    }
  g_free (self->next);
  self->next = older_than_range ? NULL : g_steal_pointer (&next);
  gtk_widget_set_visible (self->more, self->next != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->history_empty),
                          gtk_widget_get_first_child (GTK_WIDGET (self->history)) == NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->history),
                          gtk_widget_get_first_child (GTK_WIDGET (self->history)) != NULL);
}

static void
load_history_page (GlobiWalletView *self, const char *before)
{
  guint kind = gtk_drop_down_get_selected (self->kind_filter);
  guint currency = gtk_drop_down_get_selected (self->currency_filter);

  if (!self->wallet)
    return;
  globi_wallet_list_async (
      self->wallet, kind < G_N_ELEMENTS (kind_filters) ? kind_filters[kind].kind : NULL,
      currency > 0 && currency != GTK_INVALID_LIST_POSITION
          ? gtk_string_list_get_string (self->currency_names, currency)
          : NULL,
      NULL, before, PAGE_SIZE, self->cancellable, on_history_loaded_cb, g_object_ref (self));
}

static void
reload_history (GlobiWalletView *self)
{
  clear_list (self->history);
  g_clear_pointer (&self->next, g_free);
  gtk_widget_set_visible (self->more, FALSE);
  load_history_page (self, NULL);
}

static void
on_more_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  g_autofree char *before = g_strdup (self->next);

  load_history_page (self, before);
}

/* Detail page */

static void
detail_row (GtkWidget *list, const char *title, const char *value)
{
  GtkWidget *row;

  if (!value || !*value)
    return;
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
}

static void
on_detail_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWalletView) self = user_data;
  g_autoptr (GlobiTransaction) t = NULL;
  g_autoptr (GError) error = NULL;

  t = globi_wallet_transaction_finish (GLOBI_WALLET (object), result, &error);
  if (!t)
    {
      g_autofree char *text = globi_ui_describe_failure (_ ("That did not work"), error);
      toast (self, text);
      return;
    }
  if (g_strcmp0 (globi_transaction_get_state (t), GLOBI_TRANSACTION_COMPLETED) == 0)
    globi_payment_confirmation_present (
        GTK_WIDGET (self), _ ("Received"), globi_transaction_get_minor (t),
        globi_transaction_get_currency (t), globi_transaction_get_from_name (t));
}

static void
on_accept_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  globi_wallet_accept_async (self->wallet, globi_transaction_get_id (self->detail),
                             self->cancellable, on_detail_done_cb, g_object_ref (self));
}

static void
on_decline_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  globi_wallet_decline_async (self->wallet, self->detail, self->cancellable, on_detail_done_cb,
                              g_object_ref (self));
}

static void
on_request_paid_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPinDialog) dialog = user_data;
  g_autoptr (GlobiTransaction) t = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;

  t = globi_wallet_transaction_finish (GLOBI_WALLET (object), result, &error);
  if (!t)
    {
      globi_pin_dialog_failed (dialog, error, g_object_get_data (G_OBJECT (dialog), "currency"));
      return;
    }
  title = g_strdup_printf (_ ("Paid to %s"), globi_transaction_get_to_name (t));
  globi_pin_dialog_succeeded (dialog, title, globi_transaction_get_minor (t),
                              globi_transaction_get_currency (t), globi_transaction_get_note (t));
}

static void
on_request_pin_cb (GlobiPinDialog *dialog, const char *pin, GlobiWalletView *self)
{
  globi_wallet_pay_request_async (self->wallet, g_object_get_data (G_OBJECT (dialog), "id"), pin,
                                  NULL, on_request_paid_cb, g_object_ref (dialog));
}

static void
on_pay_request_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  GlobiTransaction *t = self->detail;
  g_autofree char *amount =
      format_money (globi_transaction_get_minor (t), globi_transaction_get_currency (t));
  g_autofree char *summary =
      g_strdup_printf (_ ("Pay %s to %s"), amount, globi_transaction_get_to_name (t));
  GlobiPinDialog *dialog = globi_pin_dialog_new (GTK_WIDGET (self), self->wallet, summary);

  g_object_set_data_full (G_OBJECT (dialog), "id", g_strdup (globi_transaction_get_id (t)), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "currency",
                          g_strdup (globi_transaction_get_currency (t)), g_free);
  g_signal_connect_object (dialog, "submit", G_CALLBACK (on_request_pin_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
pill (const char *label, const char *css_class, GCallback callback, GlobiWalletView *self)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_add_css_class (button, "pill");
  if (css_class)
    gtk_widget_add_css_class (button, css_class);
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

static void
show_detail (GlobiWalletView *self, GlobiTransaction *t)
{
  GtkWidget *child;
  GtkWidget *amount;
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  g_autofree char *money = signed_amount (self, t);
  g_autofree char *created = globi_ui_format_time (globi_transaction_get_created_at (t));
  g_autofree char *updated = globi_ui_format_time (globi_transaction_get_updated_at (t));
  g_autofree char *expires = NULL;
  g_autofree char *converted_text = NULL;
  g_autofree char *rate_text = NULL;
  const char *me = globi_wallet_get_user_id (self->wallet);
  const char *currency = NULL, *rate = NULL, *rate_date = NULL;
  gint64 converted = 0;
  gboolean pending = g_strcmp0 (globi_transaction_get_state (t), GLOBI_TRANSACTION_PENDING) == 0;
  gboolean request = g_strcmp0 (globi_transaction_get_kind (t), GLOBI_TRANSACTION_REQUEST) == 0;
  gboolean transfer = g_strcmp0 (globi_transaction_get_kind (t), GLOBI_TRANSACTION_TRANSFER) == 0;

  if (self->detail != t)
    g_set_object (&self->detail, t);
  while ((child = gtk_widget_get_first_child (self->detail_box)))
    gtk_box_remove (GTK_BOX (self->detail_box), child);

  amount = gtk_label_new (money);
  gtk_widget_add_css_class (amount, "wallet-balance");
  gtk_box_append (GTK_BOX (self->detail_box), amount);
  {
    g_autofree char *line = g_strdup_printf ("%s · %s", kind_label (globi_transaction_get_kind (t)),
                                             state_label (globi_transaction_get_state (t)));
    GtkWidget *label = gtk_label_new (line);
    gtk_widget_add_css_class (label, "dim-label");
    gtk_box_append (GTK_BOX (self->detail_box), label);
  }

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  detail_row (list, request ? _ ("Asked to pay") : _ ("From"),
              globi_transaction_get_from_name (t) ? globi_transaction_get_from_name (t)
                                                  : _ ("GlobiPay"));
  detail_row (list, request ? _ ("Asked by") : _ ("To"), globi_transaction_get_to_name (t));
  detail_row (list, _ ("Note"), globi_transaction_get_note (t));
  if (globi_transaction_get_converted (t, &currency, &converted, &rate, &rate_date))
    {
      converted_text = format_money (converted, currency);
      /* TRANSLATORS: "1 USD = 0.9203 EUR (rates of 2026-11-23)" */
      rate_text =
          g_strdup_printf (_ ("1 %s = %s %s (rates of %s)"), globi_transaction_get_currency (t),
                           rate ? rate : "?", currency, rate_date ? rate_date : "?");
      detail_row (list, _ ("Received by the payee"), converted_text);
      detail_row (list, _ ("Rate used"), rate_text);
    }
  detail_row (list, _ ("Created"), created);
  if (globi_transaction_get_updated_at (t) != globi_transaction_get_created_at (t))
    detail_row (list, _ ("Last change"), updated);
  if (pending && globi_transaction_get_expires_at (t) > 0)
    {
      expires = globi_ui_format_time (globi_transaction_get_expires_at (t));
      detail_row (list, _ ("Returned if not accepted by"), expires);
    }
  detail_row (list, _ ("Transaction ID"), globi_transaction_get_id (t));
  gtk_box_append (GTK_BOX (self->detail_box), list);

  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  if (pending && transfer && !globi_transaction_is_outgoing (t, me))
    {
      gtk_box_append (GTK_BOX (buttons),
                      pill (_ ("_Decline"), NULL, G_CALLBACK (on_decline_clicked_cb), self));
      gtk_box_append (GTK_BOX (buttons), pill (_ ("_Accept"), "suggested-action",
                                               G_CALLBACK (on_accept_clicked_cb), self));
    }
  else if (pending && request)
    {
      gtk_box_append (GTK_BOX (buttons),
                      pill (_ ("_Decline"), NULL, G_CALLBACK (on_decline_clicked_cb), self));
      if (globi_transaction_is_outgoing (t, me))
        gtk_box_append (GTK_BOX (buttons), pill (_ ("_Pay"), "suggested-action",
                                                 G_CALLBACK (on_pay_request_clicked_cb), self));
    }
  gtk_box_append (GTK_BOX (self->detail_box), buttons);
  globi_wallet_view_show_page (self, "detail");
}

/* Receive */

typedef struct
{
  GlobiWalletView *view;
  GlobiAmountEntry *amount;
  GtkSwitch *with_amount;
  GtkEditable *note;
  GtkPicture *picture;
  GtkLabel *text;
  GtkLabel *error;
  char *code;
} Receive;

static void
receive_free (Receive *r)
{
  g_clear_object (&r->view);
  g_free (r->code);
  g_free (r);
}

static void
update_receive (Receive *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiQrCode) qr = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  gboolean with_amount = gtk_switch_get_active (r->with_amount);
  const char *note = gtk_editable_get_text (r->note);

  gtk_widget_set_visible (GTK_WIDGET (r->amount), with_amount);
  g_clear_pointer (&r->code, g_free);
  if (with_amount && !globi_amount_entry_get_valid (r->amount))
    return;
  r->code = globi_wallet_dup_receive_code (
      r->view->wallet, with_amount ? globi_amount_entry_get_currency (r->amount) : NULL,
      with_amount ? globi_amount_entry_get_minor (r->amount) : 0, note, &error);
  if (r->code)
    qr = globi_qr_code_new (r->code, GLOBI_QR_ECC_M, &error);
  if (qr)
    pixbuf = globi_qr_code_render (qr, 8, NULL, &error);
  gtk_label_set_text (r->error, error ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (r->error), error != NULL);
  if (!pixbuf)
    return;
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  gtk_picture_set_paintable (r->picture, GDK_PAINTABLE (texture));
  gtk_label_set_text (r->text, r->code);
}

static void
on_png_chosen_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  Receive *r = user_data;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiQrCode) qr = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT && r->code &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) &&
      (path = g_file_get_path (file)))
    {
      if ((qr = globi_qr_code_new (r->code, GLOBI_QR_ECC_M, &error)) &&
          globi_qr_code_save_png (qr, path, globi_qr_code_scale_for (qr, 800), NULL, &error))
        toast (r->view, _ ("Receive code saved"));
      else
        {
          g_autofree char *text = globi_ui_describe_failure (_ ("Couldn't save"), error);
          toast (r->view, text);
        }
    }
  g_object_unref (chooser);
}

static void
on_save_png_clicked_cb (GtkButton *button, Receive *r)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (
      _ ("Save receive code"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
      GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Save"), _ ("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "globipay-code.png");
  g_signal_connect (chooser, "response", G_CALLBACK (on_png_chosen_cb), r);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

GtkWidget *
globi_wallet_view_show_receive (GlobiWalletView *self)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *scroll = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *row;
  GtkWidget *save = gtk_button_new_with_mnemonic (_ ("Save as _PNG"));
  const char *preferred;
  Receive *r;

  g_return_val_if_fail (GLOBI_IS_WALLET_VIEW (self), NULL);
  if (!self->wallet)
    return NULL;

  r = g_new0 (Receive, 1);
  r->view = g_object_ref (self);
  g_object_set_data_full (G_OBJECT (window), "receive", r, (GDestroyNotify) receive_free);
  preferred = globi_wallet_get_preferred_currency (self->wallet);

  gtk_window_set_title (GTK_WINDOW (window), _ ("Receive money"));
  gtk_window_set_default_size (GTK_WINDOW (window), 420, 680);
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  if (window_of (self))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (window_of (self)));
  gtk_box_append (GTK_BOX (outer), header);

  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  r->picture = GTK_PICTURE (gtk_picture_new ());
  gtk_picture_set_can_shrink (r->picture, TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (r->picture), 240, 240);
  gtk_accessible_update_property (GTK_ACCESSIBLE (r->picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("My receive code"), -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (r->picture));
  {
    GtkWidget *hint = gtk_label_new (_ ("Anyone with GlobiPay can scan this code to pay you."));
    gtk_widget_add_css_class (hint, "dim-label");
    gtk_label_set_wrap (GTK_LABEL (hint), TRUE);
    gtk_box_append (GTK_BOX (box), hint);
  }

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Ask for an amount"));
  r->with_amount = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (r->with_amount), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (r->with_amount));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), GTK_WIDGET (r->with_amount));
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Note (25 characters)"));
  r->note = GTK_EDITABLE (row);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  gtk_box_append (GTK_BOX (box), list);

  r->amount = GLOBI_AMOUNT_ENTRY (globi_amount_entry_new ());
  globi_amount_entry_set_wallet (r->amount, self->wallet);
  globi_amount_entry_set_currency (r->amount, preferred ? preferred : "USD");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (r->amount));

  r->error = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (r->error), "error");
  gtk_label_set_wrap (r->error, TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (r->error));

  gtk_widget_add_css_class (save, "pill");
  gtk_widget_set_halign (save, GTK_ALIGN_CENTER);
  g_signal_connect (save, "clicked", G_CALLBACK (on_save_png_clicked_cb), r);
  gtk_box_append (GTK_BOX (box), save);

  r->text = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_selectable (r->text, TRUE);
  gtk_label_set_wrap (r->text, TRUE);
  gtk_label_set_wrap_mode (r->text, PANGO_WRAP_CHAR);
  gtk_widget_add_css_class (GTK_WIDGET (r->text), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (r->text), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (r->text), "monospace");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (r->text));

  g_signal_connect_swapped (r->with_amount, "notify::active", G_CALLBACK (update_receive), r);
  g_signal_connect_swapped (r->note, "changed", G_CALLBACK (update_receive), r);
  g_signal_connect_swapped (r->amount, "notify::minor", G_CALLBACK (update_receive), r);
  g_signal_connect_swapped (r->amount, "notify::currency", G_CALLBACK (update_receive), r);

  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), clamp);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroll, TRUE);
  gtk_box_append (GTK_BOX (outer), scroll);
  adw_window_set_content (ADW_WINDOW (window), outer);
  update_receive (r);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

/* Paying a scanned code */

typedef struct
{
  GlobiWalletView *view;
  GlobiEmvcoCode *code;
  GlobiAmountEntry *amount;
  GtkDropDown *pay_with;
  GtkStringList *pay_with_names;
  GtkLabel *summary;
  GtkWidget *pay;
  char *code_currency;
  char *operation_id;
  gint64 pay_minor;
  char *pay_currency;
} ScanPay;

static void
scan_pay_free (ScanPay *s)
{
  if (s->view->wallet)
    g_signal_handlers_disconnect_by_data (s->view->wallet, s);
  g_clear_object (&s->view);
  g_clear_pointer (&s->code, globi_emvco_code_free);
  g_free (s->code_currency);
  g_free (s->operation_id);
  g_free (s->pay_currency);
  g_free (s);
}

/* What I pay: the code's currency when I hold enough of it, else the one picked, at the
 * live rate; the payee always receives the code's currency. */
static void
update_scan_pay (ScanPay *s)
{
  GlobiWallet *wallet = s->view->wallet;
  guint position = gtk_drop_down_get_selected (s->pay_with);
  const char *pay_currency = position != GTK_INVALID_LIST_POSITION
                                 ? gtk_string_list_get_string (s->pay_with_names, position)
                                 : s->code_currency;
  gint64 minor = globi_amount_entry_get_minor (s->amount);
  g_autoptr (GError) error = NULL;
  g_autofree char *receive = NULL;
  g_autofree char *text = NULL;
  gint64 pay_minor = minor;

  g_free (s->pay_currency);
  s->pay_currency = g_strdup (pay_currency);
  s->pay_minor = 0;
  if (!globi_amount_entry_get_valid (s->amount))
    {
      gtk_label_set_text (s->summary, "");
      gtk_widget_set_sensitive (s->pay, FALSE);
      return;
    }
  if (g_strcmp0 (pay_currency, s->code_currency) != 0 &&
      !globi_wallet_convert (wallet, minor, s->code_currency, pay_currency, &pay_minor, &error))
    {
      gtk_label_set_text (s->summary, error->message);
      gtk_widget_set_sensitive (s->pay, FALSE);
      return;
    }
  s->pay_minor = pay_minor;
  receive = format_money (minor, s->code_currency);
  {
    g_autofree char *pay = format_money (pay_minor, pay_currency);
    g_autofree char *balance =
        format_money (globi_wallet_get_balance (wallet, pay_currency), pay_currency);

    if (g_strcmp0 (pay_currency, s->code_currency) == 0)
      /* TRANSLATORS: "You pay $10.00 · your balance $1,000.00" */
      text = g_strdup_printf (_ ("You pay %s · your balance %s"), pay, balance);
    else
      /* TRANSLATORS: "You pay ≈ $10.87 · they receive €10.00 · your balance $1,000.00" */
      text = g_strdup_printf (_ ("You pay ≈ %s · they receive %s · your balance %s"), pay, receive,
                              balance);
  }
  gtk_label_set_text (s->summary, text);
  gtk_widget_set_sensitive (s->pay, pay_minor > 0);
}

static void
on_scan_paid_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPinDialog) dialog = user_data;
  ScanPay *s = g_object_get_data (G_OBJECT (dialog), "scan-pay");
  g_autoptr (GlobiTransaction) t = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;
  const char *currency = NULL;
  gint64 converted = 0;

  t = globi_wallet_transaction_finish (GLOBI_WALLET (object), result, &error);
  if (!t)
    {
      globi_pin_dialog_failed (dialog, error, s ? s->pay_currency : NULL);
      return;
    }
  title = g_strdup_printf (_ ("Paid to %s"), globi_transaction_get_to_name (t)
                                                 ? globi_transaction_get_to_name (t)
                                                 : s->code->payee_name);
  if (globi_transaction_get_converted (t, &currency, &converted, NULL, NULL))
    {
      g_autofree char *money = format_money (converted, currency);
      detail = g_strdup_printf (_ ("They received %s"), money);
    }
  globi_pin_dialog_succeeded (dialog, title, globi_transaction_get_minor (t),
                              globi_transaction_get_currency (t), detail);
  gtk_window_close (GTK_WINDOW (g_object_get_data (G_OBJECT (dialog), "scan-window")));
}

static void
on_scan_pin_cb (GlobiPinDialog *dialog, const char *pin, gpointer user_data)
{
  ScanPay *s = g_object_get_data (G_OBJECT (dialog), "scan-pay");

  globi_wallet_pay_async (s->view->wallet, s->operation_id, s->code->payee_id, s->pay_currency,
                          s->pay_minor, s->code_currency, s->code->note, pin, NULL, on_scan_paid_cb,
                          g_object_ref (dialog));
}

static void
on_scan_pay_clicked_cb (GtkButton *button, GtkWidget *window)
{
  ScanPay *s = g_object_get_data (G_OBJECT (window), "scan-pay");
  g_autofree char *amount = format_money (s->pay_minor, s->pay_currency);
  g_autofree char *summary = g_strdup_printf (_ ("Pay %s to %s"), amount, s->code->payee_name);
  GlobiPinDialog *dialog;

  if (!s->operation_id)
    s->operation_id = globi_wallet_new_operation_id ();
  dialog = globi_pin_dialog_new (window_of (s->view) ? window_of (s->view) : window,
                                 s->view->wallet, summary);
  /* The window holds the state; the PIN dialog keeps the window alive while it works. */
  g_object_set_data_full (G_OBJECT (dialog), "scan-window", g_object_ref (window), g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "scan-pay", s);
  g_signal_connect (dialog, "submit", G_CALLBACK (on_scan_pin_cb), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
scan_window (GlobiWalletView *self, const char *title)
{
  GtkWidget *window = adw_window_new ();

  gtk_window_set_title (GTK_WINDOW (window), title);
  gtk_window_set_default_size (GTK_WINDOW (window), 420, -1);
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  if (window_of (self))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (window_of (self)));
  return window;
}

static GtkWidget *
foreign_code_window (GlobiWalletView *self, GlobiEmvcoCode *code)
{
  GtkWidget *window = scan_window (self, _ ("Payment code"));
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *status = adw_status_page_new ();
  g_autofree char *description = NULL;
  const char *currency = code->currency ? globi_emvco_currency_from_numeric (code->currency) : NULL;

  gtk_box_append (GTK_BOX (outer), adw_header_bar_new ());
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), "dialog-information-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (status), _ ("Not payable with GlobiPay"));
  if (code->amount)
    /* TRANSLATORS: "A br.gov.bcb.pix code for Fulano de Tal, 12.50 BRL. Pay it with …" */
    description =
        g_strdup_printf (_ ("A %s code for %s, %s %s. Pay it with an app of that payment scheme."),
                         code->scheme ? code->scheme : _ ("foreign"),
                         code->payee_name ? code->payee_name : _ ("an unnamed payee"), code->amount,
                         currency ? currency : (code->currency ? code->currency : ""));
  else
    description =
        g_strdup_printf (_ ("A %s code for %s. Pay it with an app of that payment scheme."),
                         code->scheme ? code->scheme : _ ("foreign"),
                         code->payee_name ? code->payee_name : _ ("an unnamed payee"));
  adw_status_page_set_description (ADW_STATUS_PAGE (status), description);
  gtk_widget_set_vexpand (status, TRUE);
  gtk_box_append (GTK_BOX (outer), status);
  adw_window_set_content (ADW_WINDOW (window), outer);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

GtkWidget *
globi_wallet_view_open_payment_code (GlobiWalletView *self, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiEmvcoCode) code = NULL;
  GtkWidget *window, *outer, *header, *box, *list, *row, *label;
  const char *preferred;
  ScanPay *s;
  guint selected = 0;

  g_return_val_if_fail (GLOBI_IS_WALLET_VIEW (self), NULL);

  globi_wallet_view_sync (self);
  if (!(code = globi_emvco_decode (text, &error)))
    {
      g_autofree char *msg =
          g_strdup_printf (_ ("That payment code is damaged: %s"), error->message);
      toast (self, msg);
      return NULL;
    }
  if (!code->globipay)
    return foreign_code_window (self, code);
  if (!self->wallet)
    {
      toast (self, _ ("Sign in to pay"));
      return NULL;
    }

  s = g_new0 (ScanPay, 1);
  s->view = g_object_ref (self);
  s->code_currency =
      g_strdup (code->currency ? globi_emvco_currency_from_numeric (code->currency) : NULL);
  preferred = globi_wallet_get_preferred_currency (self->wallet);
  if (!s->code_currency || !globi_currency_is_known (s->code_currency))
    {
      g_free (s->code_currency);
      s->code_currency = g_strdup (preferred ? preferred : "USD");
    }
  s->code = g_steal_pointer (&code);

  window = scan_window (self, _ ("Pay"));
  g_object_set_data_full (G_OBJECT (window), "scan-pay", s, (GDestroyNotify) scan_pay_free);
  outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  s->pay = gtk_button_new_with_mnemonic (_ ("_Pay"));
  gtk_widget_add_css_class (s->pay, "suggested-action");
  g_signal_connect (s->pay, "clicked", G_CALLBACK (on_scan_pay_clicked_cb), window);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), s->pay);
  gtk_box_append (GTK_BOX (outer), header);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  label = gtk_label_new (s->code->payee_name);
  gtk_widget_add_css_class (label, "title-1");
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_box_append (GTK_BOX (box), label);
  if (s->code->server)
    {
      g_autofree char *where = g_strdup_printf (_ ("GlobiPay account on %s"), s->code->server);
      label = gtk_label_new (where);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (box), label);
    }

  s->amount = GLOBI_AMOUNT_ENTRY (globi_amount_entry_new ());
  globi_amount_entry_set_wallet (s->amount, self->wallet);
  globi_amount_entry_set_currency (s->amount, s->code_currency);
  globi_amount_entry_set_convert_to (s->amount, preferred);
  /* A code with an amount is a bill: its amount and currency are not mine to change. */
  if (s->code->amount)
    {
      globi_amount_entry_set_text (s->amount, s->code->amount);
      globi_amount_entry_set_currency_editable (s->amount, FALSE);
      gtk_editable_set_editable (globi_amount_entry_get_editable (s->amount), FALSE);
    }
  else
    globi_amount_entry_set_currency_editable (s->amount, FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (s->amount));

  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  s->pay_with_names = gtk_string_list_new (NULL);
  gtk_string_list_append (s->pay_with_names, s->code_currency);
  {
    GArray *balances = globi_wallet_get_balances (self->wallet);
    for (guint i = 0; i < balances->len; i++)
      {
        const char *c = g_array_index (balances, GlobiBalance, i).currency;
        if (g_strcmp0 (c, s->code_currency) != 0)
          gtk_string_list_append (s->pay_with_names, c);
        /* Without enough of the code's currency, start with my preferred one. */
        if (g_strcmp0 (c, preferred) == 0 && g_strcmp0 (c, s->code_currency) != 0)
          selected = g_list_model_get_n_items (G_LIST_MODEL (s->pay_with_names)) - 1;
      }
  }
  s->pay_with = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (s->pay_with_names), NULL));
  if (s->code->amount && s->code_currency)
    {
      gint64 wanted = 0;
      if (globi_money_parse (s->code->amount, s->code_currency, &wanted, NULL) &&
          globi_wallet_get_balance (self->wallet, s->code_currency) >= wanted)
        selected = 0;
    }
  gtk_drop_down_set_selected (s->pay_with, selected);
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Pay with"));
  gtk_widget_set_valign (GTK_WIDGET (s->pay_with), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (s->pay_with));
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  if (s->code->note)
    {
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Note"));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), s->code->note);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  gtk_box_append (GTK_BOX (box), list);
  s->summary = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (s->summary, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (s->summary), "dim-label");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (s->summary));

  g_signal_connect_swapped (s->amount, "notify::minor", G_CALLBACK (update_scan_pay), s);
  g_signal_connect_swapped (s->pay_with, "notify::selected", G_CALLBACK (update_scan_pay), s);
  g_signal_connect_swapped (self->wallet, "rates-changed", G_CALLBACK (update_scan_pay), s);
  gtk_box_append (GTK_BOX (outer), box);
  adw_window_set_content (ADW_WINDOW (window), outer);
  update_scan_pay (s);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

/* Scan to pay: the QR code dialog (camera or image) hands what it reads to the window's
 * dispatcher, which brings payment codes back to globi_wallet_view_open_payment_code. */
static void
on_scan_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  globi_scan_dialog_present (GTK_WIDGET (self));
}

static void
on_receive_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  globi_wallet_view_show_receive (self);
}

static void
on_transfer_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  globi_payment_dialog_present (GTK_WIDGET (self), NULL, "transfer");
}

static void
on_request_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  globi_payment_dialog_present (GTK_WIDGET (self), NULL, "request");
}

static void
on_history_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  globi_wallet_view_show_page (self, "history");
}

static void
on_back_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  gboolean detail = g_str_equal (gtk_stack_get_visible_child_name (self->stack), "detail");

  globi_wallet_view_show_page (self, detail ? "history" : "main");
}

/* PIN settings */

static void
on_pin_changed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWalletView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (globi_wallet_finish (GLOBI_WALLET (object), result, &error))
    toast (self, _ ("Payment PIN changed"));
  else
    {
      g_autofree char *text = globi_ui_describe_failure (_ ("Couldn't change the PIN"), error);
      toast (self, text);
    }
}

static void
on_change_pin_response_cb (AdwMessageDialog *dialog, const char *response, GlobiWalletView *self)
{
  GtkWidget *box = adw_message_dialog_get_extra_child (dialog);
  GtkEditable *current = GTK_EDITABLE (gtk_widget_get_first_child (box));
  GtkEditable *fresh = GTK_EDITABLE (gtk_widget_get_next_sibling (GTK_WIDGET (current)));

  if (!g_str_equal (response, "change") || !self->wallet)
    return;
  if (!globi_wallet_pin_is_valid (gtk_editable_get_text (fresh)))
    {
      toast (self, _ ("The PIN is 6 digits"));
      return;
    }
  globi_wallet_set_pin_async (self->wallet, gtk_editable_get_text (fresh),
                              gtk_editable_get_text (current), self->cancellable, on_pin_changed_cb,
                              g_object_ref (self));
}

static void
on_pin_clicked_cb (GtkButton *button, GlobiWalletView *self)
{
  GtkWidget *dialog;
  GtkWidget *box;
  GtkWidget *current = gtk_password_entry_new ();
  GtkWidget *fresh = gtk_password_entry_new ();

  if (!self->wallet)
    return;
  if (!globi_wallet_get_pin_set (self->wallet))
    {
      /* Setting the first PIN is the PIN dialog's setup page. */
      GlobiPinDialog *pin = globi_pin_dialog_new (GTK_WIDGET (self), self->wallet, NULL);

      g_signal_connect (pin, "submit", G_CALLBACK (gtk_window_close), NULL);
      gtk_window_present (GTK_WINDOW (pin));
      return;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (window_of (self)), _ ("Change payment PIN"),
                                   _ ("Enter the current PIN, then the new 6 digits."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (current), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (current), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Current PIN"), -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (fresh), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("New PIN"), -1);
  g_object_set (current, "placeholder-text", _ ("Current PIN"), NULL);
  g_object_set (fresh, "placeholder-text", _ ("New PIN"), NULL);
  gtk_box_append (GTK_BOX (box), current);
  gtk_box_append (GTK_BOX (box), fresh);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "change",
                                    _ ("_Change"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "change",
                                              ADW_RESPONSE_SUGGESTED);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_change_pin_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Building */

static GtkWidget *
action_button (const char *icon, const char *label, GCallback callback, GlobiWalletView *self)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *text = gtk_label_new_with_mnemonic (label);

  gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name (icon));
  gtk_box_append (GTK_BOX (box), text);
  gtk_label_set_mnemonic_widget (GTK_LABEL (text), button);
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "wallet-action");
  gtk_widget_set_hexpand (button, TRUE);
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

static GtkWidget *
scrolled_page (GtkWidget *child)
{
  GtkWidget *scroll = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();

  gtk_widget_set_margin_top (child, 18);
  gtk_widget_set_margin_bottom (child, 24);
  gtk_widget_set_margin_start (child, 12);
  gtk_widget_set_margin_end (child, 12);
  adw_clamp_set_child (ADW_CLAMP (clamp), child);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 640);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), clamp);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (scroll, TRUE);
  return scroll;
}

static GtkWidget *
group_title (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  return label;
}

static void
build_main (GlobiWalletView *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *hero = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *actions = gtk_flow_box_new ();
  GtkWidget *list;

  gtk_widget_add_css_class (hero, "wallet-hero");
  self->balance_caption = GTK_LABEL (gtk_label_new (_ ("Balance")));
  gtk_widget_add_css_class (GTK_WIDGET (self->balance_caption), "dim-label");
  gtk_label_set_xalign (self->balance_caption, 0);
  gtk_box_append (GTK_BOX (hero), GTK_WIDGET (self->balance_caption));
  self->balance = GTK_LABEL (gtk_label_new ("…"));
  gtk_widget_add_css_class (GTK_WIDGET (self->balance), "wallet-balance");
  gtk_label_set_xalign (self->balance, 0);
  gtk_label_set_selectable (self->balance, TRUE);
  gtk_box_append (GTK_BOX (hero), GTK_WIDGET (self->balance));
  self->other_balances = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->other_balances, 0);
  gtk_label_set_wrap (self->other_balances, TRUE);
  gtk_box_append (GTK_BOX (hero), GTK_WIDGET (self->other_balances));
  {
    GtkWidget *play = gtk_label_new (_ ("Play money: for trying GlobiPay with friends"));
    gtk_widget_add_css_class (play, "dim-label");
    gtk_widget_add_css_class (play, "caption");
    gtk_label_set_xalign (GTK_LABEL (play), 0);
    gtk_box_append (GTK_BOX (hero), play);
  }
  gtk_box_append (GTK_BOX (box), hero);

  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (actions), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (actions), TRUE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (actions), 5);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (actions), 3);
  gtk_flow_box_append (GTK_FLOW_BOX (actions),
                       action_button ("view-grid-symbolic", _ ("_Receive"),
                                      G_CALLBACK (on_receive_clicked_cb), self));
  gtk_flow_box_append (GTK_FLOW_BOX (actions),
                       action_button ("camera-photo-symbolic", _ ("_Scan to pay"),
                                      G_CALLBACK (on_scan_clicked_cb), self));
  gtk_flow_box_append (GTK_FLOW_BOX (actions),
                       action_button ("send-to-symbolic", _ ("_Transfer"),
                                      G_CALLBACK (on_transfer_clicked_cb), self));
  gtk_flow_box_append (GTK_FLOW_BOX (actions),
                       action_button ("mail-message-new-symbolic", _ ("Re_quest"),
                                      G_CALLBACK (on_request_clicked_cb), self));
  gtk_flow_box_append (GTK_FLOW_BOX (actions),
                       action_button ("document-open-recent-symbolic", _ ("_History"),
                                      G_CALLBACK (on_history_clicked_cb), self));
  gtk_box_append (GTK_BOX (box), actions);

  gtk_box_append (GTK_BOX (box), group_title (_ ("Recent")));
  self->recent = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->recent, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->recent), "boxed-list");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->recent));

  gtk_box_append (GTK_BOX (box), group_title (_ ("Settings")));
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  self->pin_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->pin_row), _ ("Payment PIN"));
  self->pin_button = GTK_BUTTON (gtk_button_new_with_label (_ ("Set")));
  gtk_widget_set_valign (GTK_WIDGET (self->pin_button), GTK_ALIGN_CENTER);
  g_signal_connect (self->pin_button, "clicked", G_CALLBACK (on_pin_clicked_cb), self);
  adw_action_row_add_suffix (self->pin_row, GTK_WIDGET (self->pin_button));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->pin_row));
  self->rates_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->rates_row), _ ("Exchange rates"));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->rates_row));
  gtk_box_append (GTK_BOX (box), list);

  gtk_stack_add_named (self->stack, scrolled_page (box), "main");
}

static GtkDropDown *
filter_menu (GtkWidget *bar, const char *const *labels, guint n, GtkStringList **model)
{
  GtkStringList *list = gtk_string_list_new (NULL);
  GtkDropDown *menu;

  for (guint i = 0; i < n; i++)
    gtk_string_list_append (list, labels[i]);
  menu = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (list), NULL));
  if (model)
    *model = list;
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (menu));
  return menu;
}

static void
on_filter_changed_cb (GtkDropDown *menu, GParamSpec *pspec, GlobiWalletView *self)
{
  if (self->wallet)
    reload_history (self);
}

static void
build_history (GlobiWalletView *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  const char *kinds[G_N_ELEMENTS (kind_filters)];
  const char *dates[G_N_ELEMENTS (date_filters)];
  const char *currencies[] = { _ ("All currencies") };

  for (guint i = 0; i < G_N_ELEMENTS (kind_filters); i++)
    kinds[i] = _ (kind_filters[i].label);
  for (guint i = 0; i < G_N_ELEMENTS (date_filters); i++)
    dates[i] = _ (date_filters[i].label);
  gtk_widget_set_halign (bar, GTK_ALIGN_CENTER);
  self->kind_filter = filter_menu (bar, kinds, G_N_ELEMENTS (kinds), NULL);
  self->currency_filter = filter_menu (bar, currencies, 1, &self->currency_names);
  self->date_filter = filter_menu (bar, dates, G_N_ELEMENTS (dates), NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->kind_filter), _ ("Kind"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->currency_filter), _ ("Currency"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->date_filter), _ ("Date"));
  g_signal_connect (self->kind_filter, "notify::selected", G_CALLBACK (on_filter_changed_cb), self);
  g_signal_connect (self->currency_filter, "notify::selected", G_CALLBACK (on_filter_changed_cb),
                    self);
  g_signal_connect (self->date_filter, "notify::selected", G_CALLBACK (on_filter_changed_cb), self);
  gtk_box_append (GTK_BOX (box), bar);

  self->history = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->history, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->history), "boxed-list");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->history));
  self->history_empty = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->history_empty, "document-open-recent-symbolic");
  adw_status_page_set_title (self->history_empty, _ ("Nothing here"));
  adw_status_page_set_description (self->history_empty, _ ("No transactions match these filters."));
  gtk_widget_set_visible (GTK_WIDGET (self->history_empty), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->history_empty));
  self->more = gtk_button_new_with_mnemonic (_ ("_Load more"));
  gtk_widget_add_css_class (self->more, "pill");
  gtk_widget_set_halign (self->more, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->more, FALSE);
  g_signal_connect (self->more, "clicked", G_CALLBACK (on_more_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), self->more);
  gtk_stack_add_named (self->stack, scrolled_page (box), "history");

  self->detail_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_stack_add_named (self->stack, scrolled_page (self->detail_box), "detail");
}

static gboolean
sync_idle_cb (gpointer user_data)
{
  globi_wallet_view_sync (user_data);
  return G_SOURCE_REMOVE;
}

/* The window starts the new account's messenger in its own handler of the same signal:
 * look once that has run. */
static void
on_session_state_cb (GlobiWalletView *self)
{
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, sync_idle_cb, g_object_ref (self), g_object_unref);
}

static void
on_map_cb (GtkWidget *widget, gpointer user_data)
{
  GlobiWalletView *self = GLOBI_WALLET_VIEW (widget);
  GtkWindow *window = GTK_WINDOW (window_of (self));
  GtkApplication *app = window ? gtk_window_get_application (window) : NULL;

  if (!self->session && GLOBI_IS_APPLICATION (app))
    {
      self->session = g_object_ref (globi_application_get_session (GLOBI_APPLICATION (app)));
      g_signal_connect_object (self->session, "notify::state", G_CALLBACK (on_session_state_cb),
                               self, G_CONNECT_SWAPPED);
    }
  globi_wallet_view_sync (self);
}

static void
globi_wallet_view_dispose (GObject *object)
{
  GlobiWalletView *self = GLOBI_WALLET_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->reload_source, g_source_remove);
  if (self->wallet)
    g_signal_handlers_disconnect_by_data (self->wallet, self);
  g_clear_object (&self->wallet);
  g_clear_object (&self->session);
  g_clear_object (&self->detail);
  g_clear_pointer (&self->next, g_free);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  G_OBJECT_CLASS (globi_wallet_view_parent_class)->dispose (object);
}

static void
globi_wallet_view_class_init (GlobiWalletViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_wallet_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "wallet-view");
}

static void
globi_wallet_view_init (GlobiWalletView *self)
{
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *signed_out = adw_status_page_new ();

  globi_wallet_style_ensure ();
  self->cancellable = g_cancellable_new ();
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->title = ADW_WINDOW_TITLE (adw_window_title_new (_ ("Wallet"), NULL));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (self->title));
  self->back = gtk_button_new_from_icon_name ("go-previous-symbolic");
  gtk_widget_set_tooltip_text (self->back, _ ("Back"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->back), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Back"), -1);
  gtk_widget_set_visible (self->back, FALSE);
  g_signal_connect (self->back, "clicked", G_CALLBACK (on_back_clicked_cb), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), self->back);
  self->menu_button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  gtk_menu_button_set_icon_name (self->menu_button, "open-menu-symbolic");
  gtk_menu_button_set_primary (self->menu_button, TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->menu_button), _ ("Main menu"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Main menu"), -1);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), GTK_WIDGET (self->menu_button));
  gtk_box_append (GTK_BOX (self->box), header);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_SLIDE_LEFT_RIGHT);
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->stack));
  build_main (self);
  build_history (self);
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (signed_out), "auth-smartcard-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (signed_out), _ ("Wallet"));
  adw_status_page_set_description (ADW_STATUS_PAGE (signed_out),
                                   _ ("Sign in to send play money to friends and split bills."));
  gtk_stack_add_named (self->stack, signed_out, "signed-out");
  gtk_stack_set_visible_child_name (self->stack, "signed-out");
  g_signal_connect (self, "map", G_CALLBACK (on_map_cb), NULL);
}

GtkWidget *
globi_wallet_view_new (GMenuModel *menu)
{
  GlobiWalletView *self = g_object_new (GLOBI_TYPE_WALLET_VIEW, NULL);

  gtk_menu_button_set_menu_model (self->menu_button, menu);
  return GTK_WIDGET (self);
}

GlobiWallet *
globi_wallet_view_get_wallet (GlobiWalletView *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET_VIEW (self), NULL);
  return self->wallet;
}

void
globi_wallet_view_show_page (GlobiWalletView *self, const char *page)
{
  g_return_if_fail (GLOBI_IS_WALLET_VIEW (self));

  /* Coming from the main page the history starts over; back from a detail it stays. */
  if (g_str_equal (page, "history") &&
      g_str_equal (gtk_stack_get_visible_child_name (self->stack), "main"))
    reload_history (self);
  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_widget_set_visible (self->back,
                          !g_str_equal (page, "main") && !g_str_equal (page, "signed-out"));
  if (g_str_equal (page, "history"))
    adw_window_title_set_title (self->title, _ ("History"));
  else if (g_str_equal (page, "detail"))
    adw_window_title_set_title (self->title, _ ("Transaction"));
  else
    adw_window_title_set_title (self->title, _ ("Wallet"));
}

const char *
globi_wallet_view_get_page (GlobiWalletView *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET_VIEW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
globi_wallet_view_get_balance_text (GlobiWalletView *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET_VIEW (self), NULL);
  return gtk_label_get_text (self->balance);
}
