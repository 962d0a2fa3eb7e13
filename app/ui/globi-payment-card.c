/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-payment-card"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "globi-payment-card.h"

struct _GlobiPaymentCard
{
  GtkWidget parent_instance;

  GlobiMessage *message;
  GtkWidget *box;
  GtkLabel *title;
};

G_DEFINE_FINAL_TYPE (GlobiPaymentCard, globi_payment_card, GTK_TYPE_WIDGET)

static void
globi_payment_card_dispose (GObject *object)
{
  GlobiPaymentCard *self = GLOBI_PAYMENT_CARD (object);

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
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "payment-card");
}

static void
globi_payment_card_init (GlobiPaymentCard *self)
{
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  self->title = GTK_LABEL (gtk_label_new (_ ("GlobiPay")));
  gtk_label_set_xalign (self->title, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->title), "heading");
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->title));
}

GtkWidget *
globi_payment_card_new (GlobiMessage *message)
{
  GlobiPaymentCard *self;

  g_return_val_if_fail (GLOBI_IS_MESSAGE (message), NULL);

  self = g_object_new (GLOBI_TYPE_PAYMENT_CARD, NULL);
  self->message = g_object_ref (message);
  return GTK_WIDGET (self);
}

GlobiMessage *
globi_payment_card_get_message (GlobiPaymentCard *self)
{
  g_return_val_if_fail (GLOBI_IS_PAYMENT_CARD (self), NULL);

  return self->message;
}
