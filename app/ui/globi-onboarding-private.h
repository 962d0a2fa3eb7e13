/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-device-link.h"
#include "globi-onboarding.h"

G_BEGIN_DECLS

/* Shared with tests/ui, which fill the real form fields. */
struct _GlobiOnboarding
{
  GtkWidget parent_instance;

  AdwWindowTitle *window_title;
  GtkButton *back_button;
  GtkMenuButton *menu_button;
  GtkStack *pages;
  AdwEntryRow *server_entry;
  GtkSwitch *host_switch;
  AdwActionRow *host_row;
  GtkLabel *welcome_error;
  AdwEntryRow *sign_in_username;
  AdwPasswordEntryRow *sign_in_password;
  GtkLabel *sign_in_error;
  GtkButton *sign_in_button;
  GtkSpinner *sign_in_spinner;
  AdwEntryRow *register_username;
  AdwEntryRow *register_display_name;
  AdwPasswordEntryRow *register_password;
  AdwPasswordEntryRow *register_confirm;
  GtkLabel *register_error;
  GtkButton *register_button;
  GtkSpinner *register_spinner;

  GtkButton *qr_login_button;
  GtkStack *qr_states;
  GtkStack *qr_code_stack;
  GtkSpinner *qr_spinner;
  GtkPicture *qr_picture;
  AdwStatusPage *qr_scanned_page;
  AdwAvatar *qr_scanner_avatar;
  GtkSpinner *qr_approved_spinner;
  AdwStatusPage *qr_ended_page;
  GlobiDeviceLink *link; /* while the QR page is shown */

  GCancellable *cancellable;
  gboolean busy;
};

G_END_DECLS
