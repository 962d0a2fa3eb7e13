/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "globi-core.h"

G_BEGIN_DECLS

/* A GlobiPay card inside a chat bubble (a GLOBI_MESSAGE_KIND_CARD message of kind
 * "transfer", "request" or "red_packet"): the amount, the note and the state (pending,
 * accepted, returned, paid, claimed N of M), kept live from the wallet's updates, and the
 * action that fits (Accept for the receiver of a transfer, Pay for a request, Open for a
 * red packet with its claim list). The card finds the wallet through the window it is
 * shown in, so the message row only has to create it. */
#define GLOBI_TYPE_PAYMENT_CARD (globi_payment_card_get_type ())
G_DECLARE_FINAL_TYPE (GlobiPaymentCard, globi_payment_card, GLOBI, PAYMENT_CARD, GtkWidget)

GtkWidget    *globi_payment_card_new         (GlobiMessage     *message);
GlobiMessage *globi_payment_card_get_message (GlobiPaymentCard *self);
/* What the card says now ("Waiting for Bob to accept", "Accepted", "Claimed 2 of 5"). */
const char   *globi_payment_card_get_state_text (GlobiPaymentCard *self);
/* The action button (Accept, Pay, Open, Details) when one is offered, else NULL. */
GtkButton    *globi_payment_card_get_action  (GlobiPaymentCard *self);

G_END_DECLS
