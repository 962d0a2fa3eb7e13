/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-wallet.h"

G_BEGIN_DECLS

/* Confirms a payment with the 6-digit PIN, then shows how it went: the animated
 * confirmation, or a failure that says what happened and what to do (wrong PIN and the
 * lock it leads to, locked until when, not enough money, offline with Retry). Without a
 * PIN yet it first asks for a new one (twice) and sets it.
 *
 * The owner listens to ::submit (const char *pin), runs the payment, and reports with
 * globi_pin_dialog_succeeded () or globi_pin_dialog_failed (). Retry emits ::submit again
 * with the same PIN: reuse the payment's id so nothing is paid twice. */
#define GLOBI_TYPE_PIN_DIALOG (globi_pin_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GlobiPinDialog, globi_pin_dialog, GLOBI, PIN_DIALOG, AdwWindow)

/* summary: what is being paid, e.g. "Send $12.00 to Bob". */
GlobiPinDialog *globi_pin_dialog_new       (GtkWidget      *parent,
                                            GlobiWallet    *wallet,
                                            const char     *summary);
void            globi_pin_dialog_succeeded (GlobiPinDialog *self,
                                            const char     *title,
                                            gint64          minor,
                                            const char     *currency,
                                            const char     *detail);
/* currency: the one paid in (for the balance an insufficient_funds failure shows). */
void            globi_pin_dialog_failed    (GlobiPinDialog *self,
                                            const GError   *error,
                                            const char     *currency);
/* "pin", "setup", "busy", "done" or "failed" (for tests). */
const char     *globi_pin_dialog_get_page  (GlobiPinDialog *self);
/* The failure's title and description as shown (for tests). */
const char     *globi_pin_dialog_get_failure_title (GlobiPinDialog *self);
const char     *globi_pin_dialog_get_failure_description (GlobiPinDialog *self);
/* Types a PIN as the user would (tests): the entry submits at six digits. */
void            globi_pin_dialog_enter     (GlobiPinDialog *self,
                                            const char     *pin);
GtkWidget      *globi_pin_dialog_get_confirmation (GlobiPinDialog *self);

G_END_DECLS
