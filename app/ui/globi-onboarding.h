/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The signed-out flow: choose a server (or host one), then sign in or register. It
 * drives the application's GlobiSession; the window follows the session's state. */
#define GLOBI_TYPE_ONBOARDING (globi_onboarding_get_type ())
G_DECLARE_FINAL_TYPE (GlobiOnboarding, globi_onboarding, GLOBI, ONBOARDING, GtkWidget)

/* Back to the welcome page with empty password fields; server_url prefills the address,
 * hosting turns on "Host a server on this computer". */
void globi_onboarding_reset (GlobiOnboarding *self,
                             const char      *server_url,
                             gboolean         hosting);

G_END_DECLS
