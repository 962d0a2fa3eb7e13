/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The approving side of device linking (QR login): parent is any widget inside the
 * signed-in app's window (its GlobiApplication gives the session and messenger); uri is
 * a scanned "globichat://link?..." text. The dialog fetches the ticket, shows which
 * device asks (name, platform, approximate time) and lets the user approve or decline;
 * approving uploads the sealed bundle with a progress indicator. A malformed or expired
 * uri shows a clear message in the dialog. The dialog owns itself (closes on finish). */
void globi_link_approve_dialog_present (GtkWidget *parent, const char *uri);

G_END_DECLS
