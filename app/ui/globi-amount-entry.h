/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "globi-wallet.h"

G_BEGIN_DECLS

/* An amount in one currency (a currency menu and the number), checked as it is typed
 * against the currency's minor unit (no cents for JPY, three decimals for BHD), with its
 * value in another currency below, converted live at the wallet's cached rates.
 *
 * Properties: currency (string), convert-to (string, NULL: no conversion line),
 * minor (gint64, read-only; 0 while invalid), valid (gboolean, read-only).
 * Signal activate (): Enter in a valid entry. */
#define GLOBI_TYPE_AMOUNT_ENTRY (globi_amount_entry_get_type ())
G_DECLARE_FINAL_TYPE (GlobiAmountEntry, globi_amount_entry, GLOBI, AMOUNT_ENTRY, GtkWidget)

GtkWidget  *globi_amount_entry_new            (void);
void        globi_amount_entry_set_wallet     (GlobiAmountEntry *self,
                                               GlobiWallet      *wallet);
void        globi_amount_entry_set_currency   (GlobiAmountEntry *self,
                                               const char       *currency);
const char *globi_amount_entry_get_currency   (GlobiAmountEntry *self);
/* Whether the currency menu is offered (FALSE: the currency is fixed, e.g. a code's). */
void        globi_amount_entry_set_currency_editable (GlobiAmountEntry *self,
                                                      gboolean          editable);
void        globi_amount_entry_set_convert_to (GlobiAmountEntry *self,
                                               const char       *currency);
void        globi_amount_entry_set_text       (GlobiAmountEntry *self,
                                               const char       *text);
gint64      globi_amount_entry_get_minor      (GlobiAmountEntry *self);
gboolean    globi_amount_entry_get_valid      (GlobiAmountEntry *self);
/* The converted line as shown ("≈ €9.20"), NULL when hidden. */
const char *globi_amount_entry_get_converted_text (GlobiAmountEntry *self);
GtkEditable *globi_amount_entry_get_editable  (GlobiAmountEntry *self);

G_END_DECLS
