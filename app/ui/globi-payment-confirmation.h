/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What follows every payment: a check mark in a circle that springs in (a damped spring,
 * integrated per frame: libadwaita 1.2 has no AdwSpringAnimation), the amount counting up
 * to its value, a title and a detail line. Under reduced motion it shows the final state
 * at once. Signal finished (): the motion settled (at once under reduced motion). */
#define GLOBI_TYPE_PAYMENT_CONFIRMATION (globi_payment_confirmation_get_type ())
G_DECLARE_FINAL_TYPE (GlobiPaymentConfirmation, globi_payment_confirmation, GLOBI,
                      PAYMENT_CONFIRMATION, GtkWidget)

GtkWidget *globi_payment_confirmation_new          (void);
/* Starts over: title ("Sent to Bob"), the amount, an optional detail ("≈ €9.20"). */
void       globi_payment_confirmation_play         (GlobiPaymentConfirmation *self,
                                                    const char               *title,
                                                    gint64                    minor,
                                                    const char               *currency,
                                                    const char               *detail);
/* The spring's position (0 at rest before, 1 settled; above 1 while overshooting). */
double     globi_payment_confirmation_get_scale    (GlobiPaymentConfirmation *self);
/* The amount as shown now (counting up). */
const char *globi_payment_confirmation_get_amount_text (GlobiPaymentConfirmation *self);
gboolean   globi_payment_confirmation_get_finished (GlobiPaymentConfirmation *self);
/* Stops the clock at seconds after the start (screenshots and tests of mid-motion). */
void       globi_payment_confirmation_seek         (GlobiPaymentConfirmation *self,
                                                    double                    seconds);

/* A small window over parent's window with the confirmation and Done (for payments that
 * need no PIN: accepting a transfer, claiming a red packet). The window's "confirmation"
 * data is the GlobiPaymentConfirmation. */
GtkWidget *globi_payment_confirmation_present      (GtkWidget                *parent,
                                                    const char               *title,
                                                    gint64                    minor,
                                                    const char               *currency,
                                                    const char               *detail);

/* The spring itself: position after t seconds from 0 towards 1 (stiffness 170, damping
 * ratio 0.55, unit mass), for tests. */
double     globi_payment_confirmation_spring_at    (double                    t,
                                                    double                   *velocity);

G_END_DECLS
