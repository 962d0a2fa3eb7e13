/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-amount-entry"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "globi-amount-entry.h"
#include "globi-money.h"
#include "globi-ui-util.h"
#include "globi-wallet-style.h"

enum
{
  PROP_0,
  PROP_CURRENCY,
  PROP_CONVERT_TO,
  PROP_MINOR,
  PROP_VALID,
  N_PROPS
};

enum
{
  SIGNAL_ACTIVATE,
  N_SIGNALS
};

struct _GlobiAmountEntry
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkDropDown *currency_menu;
  GtkStringList *currencies;
  GtkEntry *entry;
  GtkLabel *hint; /* the conversion, or what is wrong */

  GlobiWallet *wallet;
  gulong rates_handler;
  char *currency;
  char *convert_to;
  gint64 minor;
  gboolean valid;
  char *converted_text;
  gboolean syncing;
};

G_DEFINE_FINAL_TYPE (GlobiAmountEntry, globi_amount_entry, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
update (GlobiAmountEntry *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  g_autoptr (GError) error = NULL;
  g_autofree char *hint = NULL;
  gint64 minor = 0;
  gboolean valid;

  valid = self->currency && *text && globi_money_parse (text, self->currency, &minor, &error) &&
          minor > 0;
  if (valid)
    gtk_widget_remove_css_class (GTK_WIDGET (self->entry), "error");
  else if (*text)
    gtk_widget_add_css_class (GTK_WIDGET (self->entry), "error");

  g_clear_pointer (&self->converted_text, g_free);
  if (error)
    hint = g_strdup (error->message);
  else if (*text && !valid)
    hint = g_strdup (_ ("Enter an amount above zero"));
  else if (valid && self->convert_to && self->wallet &&
           g_strcmp0 (self->convert_to, self->currency) != 0)
    {
      gint64 converted = 0;
      g_autoptr (GError) convert_error = NULL;

      if (globi_wallet_convert (self->wallet, minor, self->currency, self->convert_to, &converted,
                                &convert_error))
        {
          g_autofree char *money =
              globi_money_format (converted, self->convert_to, GLOBI_MONEY_FORMAT_SYMBOL);

          /* TRANSLATORS: "≈ €9.20 EUR · rates of 2026-11-23" */
          self->converted_text =
              g_strdup_printf (_ ("≈ %s %s · rates of %s"), money, self->convert_to,
                               globi_wallet_get_rates_date (self->wallet));
          hint = g_strdup (self->converted_text);
        }
      else
        hint = g_strdup (convert_error->message);
    }
  gtk_label_set_text (self->hint, hint ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hint), hint != NULL);
  if (error || (*text && !valid))
    gtk_widget_add_css_class (GTK_WIDGET (self->hint), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->hint), "error");

  if (!valid)
    minor = 0;
  if (minor != self->minor)
    {
      self->minor = minor;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MINOR]);
    }
  if (valid != self->valid)
    {
      self->valid = valid;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
    }
}

static void
on_changed_cb (GtkEditable *editable, GlobiAmountEntry *self)
{
  update (self);
}

static void
on_activate_cb (GtkEntry *entry, GlobiAmountEntry *self)
{
  if (self->valid)
    g_signal_emit (self, signals[SIGNAL_ACTIVATE], 0);
}

static void
on_currency_selected_cb (GtkDropDown *menu, GParamSpec *pspec, GlobiAmountEntry *self)
{
  guint position = gtk_drop_down_get_selected (menu);

  if (self->syncing || position == GTK_INVALID_LIST_POSITION)
    return;
  globi_amount_entry_set_currency (self, gtk_string_list_get_string (self->currencies, position));
}

static void
on_rates_changed_cb (GlobiWallet *wallet, GlobiAmountEntry *self)
{
  update (self);
}

static void
globi_amount_entry_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiAmountEntry *self = GLOBI_AMOUNT_ENTRY (object);

  switch (prop_id)
    {
      case PROP_CURRENCY:
        g_value_set_string (value, self->currency);
        break;

      case PROP_CONVERT_TO:
        g_value_set_string (value, self->convert_to);
        break;

      case PROP_MINOR:
        g_value_set_int64 (value, self->minor);
        break;

      case PROP_VALID:
        g_value_set_boolean (value, self->valid);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_amount_entry_set_property (GObject *object,
                                 guint prop_id,
                                 const GValue *value,
                                 GParamSpec *pspec)
{
  GlobiAmountEntry *self = GLOBI_AMOUNT_ENTRY (object);

  switch (prop_id)
    {
      case PROP_CURRENCY:
        globi_amount_entry_set_currency (self, g_value_get_string (value));
        break;

      case PROP_CONVERT_TO:
        globi_amount_entry_set_convert_to (self, g_value_get_string (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_amount_entry_dispose (GObject *object)
{
  GlobiAmountEntry *self = GLOBI_AMOUNT_ENTRY (object);

  if (self->wallet)
    g_clear_signal_handler (&self->rates_handler, self->wallet);
  g_clear_object (&self->wallet);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  G_OBJECT_CLASS (globi_amount_entry_parent_class)->dispose (object);
}

static void
globi_amount_entry_finalize (GObject *object)
{
  GlobiAmountEntry *self = GLOBI_AMOUNT_ENTRY (object);

  g_free (self->currency);
  g_free (self->convert_to);
  g_free (self->converted_text);
  G_OBJECT_CLASS (globi_amount_entry_parent_class)->finalize (object);
}

static gboolean
globi_amount_entry_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (GLOBI_AMOUNT_ENTRY (widget)->entry));
}

static void
globi_amount_entry_class_init (GlobiAmountEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = globi_amount_entry_get_property;
  object_class->set_property = globi_amount_entry_set_property;
  object_class->dispose = globi_amount_entry_dispose;
  object_class->finalize = globi_amount_entry_finalize;
  widget_class->grab_focus = globi_amount_entry_grab_focus;

  properties[PROP_CURRENCY] =
      g_param_spec_string ("currency", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONVERT_TO] =
      g_param_spec_string ("convert-to", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MINOR] = g_param_spec_int64 ("minor", NULL, NULL, 0, G_MAXINT64, 0,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALID] =
      g_param_spec_boolean ("valid", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_ACTIVATE] = g_signal_new ("activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "amount-entry");
}

static void
globi_amount_entry_init (GlobiAmountEntry *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  guint n = 0;
  const GlobiCurrency *all = globi_currency_get_all (&n);

  globi_wallet_style_ensure ();
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->currencies = gtk_string_list_new (NULL);
  for (guint i = 0; i < n; i++)
    gtk_string_list_append (self->currencies, all[i].code);
  self->currency_menu = GTK_DROP_DOWN (
      gtk_drop_down_new (G_LIST_MODEL (self->currencies),
                         gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string")));
  gtk_drop_down_set_enable_search (self->currency_menu, TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->currency_menu), _ ("Currency"));
  gtk_widget_set_valign (GTK_WIDGET (self->currency_menu), GTK_ALIGN_CENTER);
  g_signal_connect (self->currency_menu, "notify::selected", G_CALLBACK (on_currency_selected_cb),
                    self);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->currency_menu));

  self->entry = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_placeholder_text (self->entry, "0.00");
  gtk_entry_set_input_purpose (self->entry, GTK_INPUT_PURPOSE_NUMBER);
  gtk_entry_set_max_length (self->entry, 20);
  gtk_widget_set_hexpand (GTK_WIDGET (self->entry), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->entry), "amount-big");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Amount"), -1);
  g_signal_connect (self->entry, "changed", G_CALLBACK (on_changed_cb), self);
  g_signal_connect (self->entry, "activate", G_CALLBACK (on_activate_cb), self);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->entry));
  gtk_box_append (GTK_BOX (self->box), row);

  self->hint = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->hint, 0);
  gtk_label_set_wrap (self->hint, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->hint), "dim-label");
  gtk_widget_set_visible (GTK_WIDGET (self->hint), FALSE);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->hint));
}

GtkWidget *
globi_amount_entry_new (void)
{
  return g_object_new (GLOBI_TYPE_AMOUNT_ENTRY, NULL);
}

void
globi_amount_entry_set_wallet (GlobiAmountEntry *self, GlobiWallet *wallet)
{
  g_return_if_fail (GLOBI_IS_AMOUNT_ENTRY (self));

  if (self->wallet == wallet)
    return;
  if (self->wallet)
    g_clear_signal_handler (&self->rates_handler, self->wallet);
  g_set_object (&self->wallet, wallet);
  if (wallet)
    self->rates_handler =
        g_signal_connect (wallet, "rates-changed", G_CALLBACK (on_rates_changed_cb), self);
  update (self);
}

void
globi_amount_entry_set_currency (GlobiAmountEntry *self, const char *currency)
{
  const GlobiCurrency *info;

  g_return_if_fail (GLOBI_IS_AMOUNT_ENTRY (self));

  if (g_strcmp0 (self->currency, currency) == 0)
    return;
  g_free (self->currency);
  self->currency = g_strdup (currency);

  self->syncing = TRUE;
  for (guint i = 0; currency && i < g_list_model_get_n_items (G_LIST_MODEL (self->currencies)); i++)
    if (g_str_equal (gtk_string_list_get_string (self->currencies, i), currency))
      gtk_drop_down_set_selected (self->currency_menu, i);
  self->syncing = FALSE;

  /* The placeholder shows how many decimals the currency takes. */
  info = currency ? globi_currency_lookup (currency) : NULL;
  if (info)
    {
      g_autofree char *zero = globi_money_format (0, currency, GLOBI_MONEY_FORMAT_NO_GROUPING);
      gtk_entry_set_placeholder_text (self->entry, zero);
    }
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENCY]);
}

const char *
globi_amount_entry_get_currency (GlobiAmountEntry *self)
{
  g_return_val_if_fail (GLOBI_IS_AMOUNT_ENTRY (self), NULL);
  return self->currency;
}

void
globi_amount_entry_set_currency_editable (GlobiAmountEntry *self, gboolean editable)
{
  g_return_if_fail (GLOBI_IS_AMOUNT_ENTRY (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->currency_menu), editable);
}

void
globi_amount_entry_set_convert_to (GlobiAmountEntry *self, const char *currency)
{
  g_return_if_fail (GLOBI_IS_AMOUNT_ENTRY (self));

  if (!globi_ui_set_str (&self->convert_to, currency))
    return;
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERT_TO]);
}

void
globi_amount_entry_set_text (GlobiAmountEntry *self, const char *text)
{
  g_return_if_fail (GLOBI_IS_AMOUNT_ENTRY (self));
  gtk_editable_set_text (GTK_EDITABLE (self->entry), text ? text : "");
}

gint64
globi_amount_entry_get_minor (GlobiAmountEntry *self)
{
  g_return_val_if_fail (GLOBI_IS_AMOUNT_ENTRY (self), 0);
  return self->minor;
}

gboolean
globi_amount_entry_get_valid (GlobiAmountEntry *self)
{
  g_return_val_if_fail (GLOBI_IS_AMOUNT_ENTRY (self), FALSE);
  return self->valid;
}

const char *
globi_amount_entry_get_converted_text (GlobiAmountEntry *self)
{
  g_return_val_if_fail (GLOBI_IS_AMOUNT_ENTRY (self), NULL);
  return self->converted_text;
}

GtkEditable *
globi_amount_entry_get_editable (GlobiAmountEntry *self)
{
  g_return_val_if_fail (GLOBI_IS_AMOUNT_ENTRY (self), NULL);
  return GTK_EDITABLE (self->entry);
}
