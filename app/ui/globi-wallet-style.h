/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The wallet's own style (payment cards in red and orange, the big balance, the
 * confirmation's check mark): loaded once for the display on first use. */
void     globi_wallet_style_ensure         (void);

/* Whether motion should be shortened: GtkSettings:gtk-enable-animations, which GTK keeps
 * in step with the desktop's enable-animations (through the settings portal in a
 * sandbox). GLOBICHAT_REDUCED_MOTION=1 forces it (tests, screenshots). */
gboolean globi_wallet_style_reduced_motion (GtkWidget *widget);

G_END_DECLS
