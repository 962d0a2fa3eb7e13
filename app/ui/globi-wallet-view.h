/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-wallet.h"

G_BEGIN_DECLS

/* The Wallet section: the balance per currency (preferred first, big), the actions
 * Receive (my receive code as a QR, optional amount and note, Save PNG), Scan to pay (an
 * image of a code), Transfer, Request and History (filters by kind, currency and date; a
 * detail page per transaction with the rate used), the payment PIN and the rates' date.
 * It follows the signed-in account of the window it is in. */
#define GLOBI_TYPE_WALLET_VIEW (globi_wallet_view_get_type ())
G_DECLARE_FINAL_TYPE (GlobiWalletView, globi_wallet_view, GLOBI, WALLET_VIEW, GtkWidget)

GtkWidget   *globi_wallet_view_new               (GMenuModel      *menu);
/* The wallet shown (NULL while signed out). */
GlobiWallet *globi_wallet_view_get_wallet        (GlobiWalletView *self);
/* Rebinds to the window's current account (done on map; tests call it). */
void         globi_wallet_view_sync              (GlobiWalletView *self);
/* An EMVCo payment code read by a scanner: shows the payee, the amount and its
 * conversion, then pays; a foreign code is shown as not payable with its payee. Returns
 * the window it opened (NULL when the text is not a code at all: a toast says so). */
GtkWidget   *globi_wallet_view_open_payment_code (GlobiWalletView *self,
                                                  const char      *text);
/* The Receive window (my code). */
GtkWidget   *globi_wallet_view_show_receive      (GlobiWalletView *self);
/* "main", "history" or "detail" */
void         globi_wallet_view_show_page         (GlobiWalletView *self,
                                                  const char      *page);
const char  *globi_wallet_view_get_page          (GlobiWalletView *self);
/* The big balance as shown (tests). */
const char  *globi_wallet_view_get_balance_text  (GlobiWalletView *self);

G_END_DECLS
