/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-pin-dialog"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "globi-error.h"
#include "globi-money.h"
#include "globi-payment-confirmation.h"
#include "globi-pin-dialog.h"
#include "globi-ui-util.h"
#include "globi-wallet-style.h"

enum
{
  SIGNAL_SUBMIT,
  N_SIGNALS
};

struct _GlobiPinDialog
{
  AdwWindow parent_instance;

  GlobiWallet *wallet;
  GCancellable *cancellable;
  GtkStack *stack;
  GtkLabel *summary;
  GtkEditable *pin_entry;
  GtkLabel *pin_error;
  GtkEditable *new_pin;
  GtkEditable *repeat_pin;
  GtkLabel *setup_error;
  GtkWidget *setup_button;
  GlobiPaymentConfirmation *confirmation;
  AdwStatusPage *failure;
  GtkWidget *retry_button;
  char *pin;
  char *failure_title;
  char *failure_description;
  gboolean locked_failure;
};

G_DEFINE_FINAL_TYPE (GlobiPinDialog, globi_pin_dialog, ADW_TYPE_WINDOW)

static guint signals[N_SIGNALS];

static void
show_page (GlobiPinDialog *self, const char *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
  if (g_str_equal (name, "pin"))
    gtk_widget_grab_focus (GTK_WIDGET (self->pin_entry));
  else if (g_str_equal (name, "setup"))
    gtk_widget_grab_focus (GTK_WIDGET (self->new_pin));
}

static void
submit (GlobiPinDialog *self, const char *pin)
{
  globi_ui_set_str (&self->pin, pin);
  show_page (self, "busy");
  g_signal_emit (self, signals[SIGNAL_SUBMIT], 0, pin);
}

static gboolean
all_digits (const char *text)
{
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static void
on_pin_changed_cb (GtkEditable *editable, GlobiPinDialog *self)
{
  g_autofree char *pin = g_strdup (gtk_editable_get_text (editable));

  if (!all_digits (pin))
    {
      gtk_label_set_text (self->pin_error, _ ("The PIN is 6 digits"));
      gtk_widget_set_visible (GTK_WIDGET (self->pin_error), TRUE);
      return;
    }
  if (globi_wallet_pin_is_valid (pin))
    {
      gtk_editable_set_text (editable, "");
      submit (self, pin);
    }
}

static void
set_failure (GlobiPinDialog *self,
             const char *icon,
             const char *title,
             const char *description,
             gboolean retry)
{
  globi_ui_set_str (&self->failure_title, title);
  globi_ui_set_str (&self->failure_description, description);
  adw_status_page_set_icon_name (self->failure, icon);
  adw_status_page_set_title (self->failure, title);
  adw_status_page_set_description (self->failure, description);
  gtk_widget_set_visible (self->retry_button, retry);
  show_page (self, "failed");
}

static void
show_locked (GlobiPinDialog *self)
{
  gint64 until = globi_wallet_get_pin_locked_until (self->wallet);
  g_autofree char *when = until > 0 ? globi_ui_format_time (until) : NULL;
  g_autofree char *description = NULL;

  self->locked_failure = TRUE;
  if (when)
    /* TRANSLATORS: %s is a time, e.g. "14:35" */
    description = g_strdup_printf (
        _ ("Too many wrong PINs in a row. Payments are locked until %s; then try again."), when);
  else
    description = g_strdup (_ ("Too many wrong PINs in a row. Try again in 15 minutes."));
  set_failure (self, "system-lock-screen-symbolic", _ ("Payments are locked"), description, FALSE);
}

static void
on_wallet_changed_cb (GlobiWallet *wallet, GlobiPinDialog *self)
{
  /* The lock's end arrives with the wallet refresh that follows pin_locked. */
  if (self->locked_failure)
    show_locked (self);
  /* Opened before the wallet had loaded: without a PIN, setting one comes first. */
  else if (!globi_wallet_get_pin_set (wallet) &&
           g_str_equal (gtk_stack_get_visible_child_name (self->stack), "pin") &&
           !*gtk_editable_get_text (self->pin_entry))
    show_page (self, "setup");
}

static void
on_pin_set_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPinDialog) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_wallet_finish (GLOBI_WALLET (object), result, &error))
    {
      g_autofree char *text = globi_ui_describe_error (error);

      if (!text)
        return;
      show_page (self, "setup");
      gtk_label_set_text (self->setup_error, text);
      gtk_widget_set_visible (GTK_WIDGET (self->setup_error), TRUE);
      return;
    }
  /* The new PIN confirms the payment that asked for it. */
  submit (self, self->pin);
}

static void
on_setup_clicked_cb (GtkButton *button, GlobiPinDialog *self)
{
  const char *pin = gtk_editable_get_text (self->new_pin);
  const char *repeat = gtk_editable_get_text (self->repeat_pin);

  if (!globi_wallet_pin_is_valid (pin))
    gtk_label_set_text (self->setup_error, _ ("The PIN is 6 digits"));
  else if (g_strcmp0 (pin, repeat) != 0)
    gtk_label_set_text (self->setup_error, _ ("The two PINs differ"));
  else
    {
      globi_ui_set_str (&self->pin, pin);
      show_page (self, "busy");
      globi_wallet_set_pin_async (self->wallet, pin, NULL, self->cancellable, on_pin_set_cb,
                                  g_object_ref (self));
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->setup_error), TRUE);
}

static void
on_retry_clicked_cb (GtkButton *button, GlobiPinDialog *self)
{
  g_autofree char *pin = g_strdup (self->pin);

  if (pin)
    submit (self, pin);
  else
    show_page (self, "pin");
}

static void
on_close_clicked_cb (GtkButton *button, GlobiPinDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
globi_pin_dialog_dispose (GObject *object)
{
  GlobiPinDialog *self = GLOBI_PIN_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->wallet)
    g_signal_handlers_disconnect_by_data (self->wallet, self);
  g_clear_object (&self->wallet);
  G_OBJECT_CLASS (globi_pin_dialog_parent_class)->dispose (object);
}

static void
globi_pin_dialog_finalize (GObject *object)
{
  GlobiPinDialog *self = GLOBI_PIN_DIALOG (object);

  if (self->pin)
    memset (self->pin, 0, strlen (self->pin));
  g_free (self->pin);
  g_free (self->failure_title);
  g_free (self->failure_description);
  G_OBJECT_CLASS (globi_pin_dialog_parent_class)->finalize (object);
}

static void
globi_pin_dialog_class_init (GlobiPinDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_pin_dialog_dispose;
  object_class->finalize = globi_pin_dialog_finalize;

  signals[SIGNAL_SUBMIT] = g_signal_new ("submit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static GtkWidget *
page_box (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_margin_start (box, 24);
  gtk_widget_set_margin_end (box, 24);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  return box;
}

static GtkLabel *
label (GtkWidget *box, const char *text, const char *css_class)
{
  GtkWidget *widget = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (widget), TRUE);
  gtk_label_set_justify (GTK_LABEL (widget), GTK_JUSTIFY_CENTER);
  if (css_class)
    gtk_widget_add_css_class (widget, css_class);
  gtk_box_append (GTK_BOX (box), widget);
  return GTK_LABEL (widget);
}

static GtkEditable *
pin_entry (GtkWidget *box, const char *accessible_name)
{
  GtkWidget *entry = gtk_password_entry_new ();

  gtk_editable_set_max_width_chars (GTK_EDITABLE (entry), 8);
  gtk_editable_set_width_chars (GTK_EDITABLE (entry), 8);
  gtk_widget_set_halign (entry, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (entry, "pin-entry");
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible_name, -1);
  gtk_box_append (GTK_BOX (box), entry);
  return GTK_EDITABLE (entry);
}

static GtkLabel *
error_label (GtkWidget *box)
{
  GtkLabel *result = label (box, NULL, "error");

  gtk_widget_set_visible (GTK_WIDGET (result), FALSE);
  return result;
}

static void
globi_pin_dialog_init (GlobiPinDialog *self)
{
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *box;
  GtkWidget *button;
  GtkWidget *buttons;
  GtkWidget *spinner;

  globi_wallet_style_ensure ();
  self->cancellable = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _ ("Confirm payment"));
  gtk_window_set_default_size (GTK_WINDOW (self), 380, 460);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_widget_add_css_class (header, "flat");
  gtk_box_append (GTK_BOX (outer), header);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_box_append (GTK_BOX (outer), GTK_WIDGET (self->stack));
  adw_window_set_content (ADW_WINDOW (self), outer);

  /* PIN */
  box = page_box ();
  gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name ("dialog-password-symbolic"));
  gtk_image_set_pixel_size (GTK_IMAGE (gtk_widget_get_first_child (box)), 48);
  self->summary = label (box, NULL, "title-2");
  label (box, _ ("Enter your 6-digit payment PIN"), "dim-label");
  self->pin_entry = pin_entry (box, _ ("Payment PIN"));
  g_signal_connect (self->pin_entry, "changed", G_CALLBACK (on_pin_changed_cb), self);
  self->pin_error = error_label (box);
  gtk_stack_add_named (self->stack, box, "pin");

  /* Setting the first PIN */
  box = page_box ();
  label (box, _ ("Set a payment PIN"), "title-2");
  label (box, _ ("Every payment is confirmed with these 6 digits. Keep them to yourself."),
         "dim-label");
  self->new_pin = pin_entry (box, _ ("New PIN"));
  self->repeat_pin = pin_entry (box, _ ("Repeat the PIN"));
  self->setup_error = error_label (box);
  self->setup_button = gtk_button_new_with_mnemonic (_ ("_Set PIN and pay"));
  gtk_widget_add_css_class (self->setup_button, "suggested-action");
  gtk_widget_add_css_class (self->setup_button, "pill");
  gtk_widget_set_halign (self->setup_button, GTK_ALIGN_CENTER);
  g_signal_connect (self->setup_button, "clicked", G_CALLBACK (on_setup_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), self->setup_button);
  gtk_stack_add_named (self->stack, box, "setup");

  /* Busy */
  box = page_box ();
  spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_box_append (GTK_BOX (box), spinner);
  label (box, _ ("Paying…"), "dim-label");
  gtk_stack_add_named (self->stack, box, "busy");

  /* Done */
  box = page_box ();
  self->confirmation = GLOBI_PAYMENT_CONFIRMATION (globi_payment_confirmation_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->confirmation));
  button = gtk_button_new_with_mnemonic (_ ("_Done"));
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_add_css_class (button, "pill");
  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  g_signal_connect (button, "clicked", G_CALLBACK (on_close_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), button);
  gtk_stack_add_named (self->stack, box, "done");

  /* Failed */
  self->failure = ADW_STATUS_PAGE (adw_status_page_new ());
  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  self->retry_button = gtk_button_new_with_mnemonic (_ ("_Retry"));
  gtk_widget_add_css_class (self->retry_button, "suggested-action");
  gtk_widget_add_css_class (self->retry_button, "pill");
  g_signal_connect (self->retry_button, "clicked", G_CALLBACK (on_retry_clicked_cb), self);
  button = gtk_button_new_with_mnemonic (_ ("_Close"));
  gtk_widget_add_css_class (button, "pill");
  g_signal_connect (button, "clicked", G_CALLBACK (on_close_clicked_cb), self);
  gtk_box_append (GTK_BOX (buttons), button);
  gtk_box_append (GTK_BOX (buttons), self->retry_button);
  adw_status_page_set_child (self->failure, buttons);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->failure), "failed");
}

GlobiPinDialog *
globi_pin_dialog_new (GtkWidget *parent, GlobiWallet *wallet, const char *summary)
{
  GlobiPinDialog *self;
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;

  g_return_val_if_fail (GLOBI_IS_WALLET (wallet), NULL);

  self = g_object_new (GLOBI_TYPE_PIN_DIALOG, NULL);
  self->wallet = g_object_ref (wallet);
  g_signal_connect (wallet, "changed", G_CALLBACK (on_wallet_changed_cb), self);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  if (globi_wallet_style_reduced_motion (parent))
    gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_NONE);

  gtk_label_set_text (self->summary, summary ? summary : "");

  if (globi_wallet_get_pin_locked_until (wallet) > g_get_real_time () / 1000)
    show_locked (self);
  else if (globi_wallet_get_loaded (wallet) && !globi_wallet_get_pin_set (wallet))
    show_page (self, "setup");
  else
    show_page (self, "pin");
  return self;
}

void
globi_pin_dialog_succeeded (
    GlobiPinDialog *self, const char *title, gint64 minor, const char *currency, const char *detail)
{
  g_return_if_fail (GLOBI_IS_PIN_DIALOG (self));

  self->locked_failure = FALSE;
  show_page (self, "done");
  globi_payment_confirmation_play (self->confirmation, title, minor, currency, detail);
}

void
globi_pin_dialog_failed (GlobiPinDialog *self, const GError *error, const char *currency)
{
  g_return_if_fail (GLOBI_IS_PIN_DIALOG (self));
  g_return_if_fail (error != NULL);

  self->locked_failure = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_WRONG_PIN))
    {
      int left = globi_error_get_attempts_left (error);
      g_autofree char *text = NULL;

      g_clear_pointer (&self->pin, g_free);
      if (left > 0)
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Wrong PIN. %d more wrong PIN locks payments for 15 "
                                             "minutes.",
                                             "Wrong PIN. %d more wrong PINs lock payments for 15 "
                                             "minutes.",
                                             left),
                                left);
      else
        text = g_strdup (_ ("Wrong PIN. After 5 wrong PINs in a row, payments lock for 15 "
                            "minutes."));
      gtk_label_set_text (self->pin_error, text);
      gtk_widget_set_visible (GTK_WIDGET (self->pin_error), TRUE);
      show_page (self, "pin");
    }
  else if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_PIN_LOCKED))
    show_locked (self);
  else if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_PIN_REQUIRED))
    show_page (self, "setup");
  else if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_INSUFFICIENT_FUNDS))
    {
      g_autofree char *balance = globi_money_format (
          globi_wallet_get_balance (self->wallet, currency), currency, GLOBI_MONEY_FORMAT_SYMBOL);
      g_autofree char *description = g_strdup_printf (
          _ ("Your %s balance is %s. GlobiPay is play money, so there is no top up: pay a "
             "smaller amount, or ask a friend to send you some."),
          currency, balance);

      set_failure (self, "dialog-warning-symbolic", _ ("Not enough money"), description, FALSE);
    }
  else if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NETWORK))
    set_failure (self, "network-offline-symbolic", _ ("You're offline"),
                 _ ("Nothing was paid. Check the connection, then retry: a retry never pays "
                    "twice."),
                 TRUE);
  else
    {
      g_autofree char *text = globi_ui_describe_error (error);

      set_failure (self, "dialog-error-symbolic", _ ("The payment did not go through"), text,
                   FALSE);
    }
}

const char *
globi_pin_dialog_get_page (GlobiPinDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_PIN_DIALOG (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
globi_pin_dialog_get_failure_title (GlobiPinDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_PIN_DIALOG (self), NULL);
  return self->failure_title;
}

const char *
globi_pin_dialog_get_failure_description (GlobiPinDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_PIN_DIALOG (self), NULL);
  return self->failure_description;
}

void
globi_pin_dialog_enter (GlobiPinDialog *self, const char *pin)
{
  g_return_if_fail (GLOBI_IS_PIN_DIALOG (self));

  if (g_str_equal (gtk_stack_get_visible_child_name (self->stack), "setup"))
    {
      gtk_editable_set_text (self->new_pin, pin);
      gtk_editable_set_text (self->repeat_pin, pin);
      gtk_widget_activate (self->setup_button);
      return;
    }
  gtk_editable_set_text (self->pin_entry, pin);
}

GtkWidget *
globi_pin_dialog_get_confirmation (GlobiPinDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_PIN_DIALOG (self), NULL);
  return GTK_WIDGET (self->confirmation);
}
