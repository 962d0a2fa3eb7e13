/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-preferences-window.h"
#include "globi-state-view.h"

G_BEGIN_DECLS

/* Shared with tests/ui. */
struct _GlobiPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GlobiSession *session;
  GSettings *settings;
  GCancellable *cancellable;
  GBindingGroup *privacy_bindings;
  char *last_toast;
  gboolean disposed; /* replies that arrive after closing find nothing to update */

  AdwComboRow *appearance_row;
  AdwComboRow *ui_language_row;
  GtkStringList *ui_language_model;
  GtkSwitch *notifications_switch;
  GtkSwitch *previews_switch;
  GtkSwitch *discoverable_switch;
  AdwComboRow *who_can_add_row;
  AdwPreferencesPage *account_page;
  GlobiStateView *devices_state;
  GtkListBox *devices_list;
  AdwPasswordEntryRow *current_password_row;
  AdwPasswordEntryRow *new_password_row;
  AdwPasswordEntryRow *confirm_password_row;
  GtkLabel *password_error;
};

/* Loads the devices list again (done when the window opens). */
void globi_preferences_window_reload_devices (GlobiPreferencesWindow *self);

G_END_DECLS
