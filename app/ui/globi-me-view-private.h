/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-me-view.h"
#include "globi-profile-editor.h"
#include "globi-state-view.h"

G_BEGIN_DECLS

/* Shared with tests/ui. */
struct _GlobiMeView
{
  GtkWidget parent_instance;

  GlobiSession *session;
  GBindingGroup *bindings;
  GSignalGroup *profile_signals;
  GCancellable *cancellable;
  GMenuModel *primary_menu;
  GlobiProfileEditor *editor; /* weak: the open editor */

  AdwLeaflet *leaflet;
  GtkMenuButton *menu_button;
  AdwActionRow *card_row;
  AdwActionRow *settings_row;
  AdwAvatar *small_avatar;
  AdwAvatar *big_avatar;
  GlobiStateView *profile_state;
  GtkLabel *display_name_label;
  GtkLabel *username_label;
  GtkLabel *bio_label;
  AdwActionRow *region_row;
  AdwActionRow *currency_row;
  AdwActionRow *language_row;
};

G_END_DECLS
