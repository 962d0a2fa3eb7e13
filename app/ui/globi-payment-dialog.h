/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-amount-entry.h"

G_BEGIN_DECLS

/* Starting a payment: a transfer or a money request to a friend ("u:USER_ID"), or a red
 * packet in a group ("g:GROUP_ID"). chat_id NULL lets the user pick a friend (the Wallet's
 * Transfer and Request). A transfer or red packet is confirmed with the PIN; each posts
 * its card in the chat when done. parent is any widget inside the GlobiWindow. */
#define GLOBI_TYPE_PAYMENT_DIALOG (globi_payment_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GlobiPaymentDialog, globi_payment_dialog, GLOBI, PAYMENT_DIALOG, AdwWindow)

/* kind: "transfer", "request" or "red_packet". */
void              globi_payment_dialog_present          (GtkWidget          *parent,
                                                         const char         *chat_id,
                                                         const char         *kind);
GlobiPaymentDialog *globi_payment_dialog_new            (GtkWidget          *parent,
                                                         const char         *chat_id,
                                                         const char         *kind);
GlobiAmountEntry *globi_payment_dialog_get_amount_entry (GlobiPaymentDialog *self);
/* Fills the note and count (tests, or a prefilled request). */
void              globi_payment_dialog_set_note         (GlobiPaymentDialog *self,
                                                         const char         *note);
void              globi_payment_dialog_set_count        (GlobiPaymentDialog *self,
                                                         guint               count);
/* The composer's "+" menu: Transfer and Request money in a chat with a friend, Red packet
 * in a group; it finds the open chat through the GlobiChatsView it sits in. */
GtkWidget        *globi_payment_dialog_new_menu_button  (void);
/* The main button, as the user would click it. */
GtkWidget        *globi_payment_dialog_get_send_button  (GlobiPaymentDialog *self);

G_END_DECLS
