/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-window.h"

G_BEGIN_DECLS

/* Settings: appearance, interface language and notifications (this computer, GSettings);
 * privacy (the account, saved optimistically); devices, password and sign out. */
#define GLOBI_TYPE_PREFERENCES_WINDOW (globi_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (GlobiPreferencesWindow,
                      globi_preferences_window,
                      GLOBI,
                      PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

GlobiPreferencesWindow *globi_preferences_window_new (GlobiWindow *parent);

G_END_DECLS
