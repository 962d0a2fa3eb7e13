/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-chats-view.h"
#include "globi-contacts-view.h"
#include "globi-me-view.h"
#include "globi-onboarding.h"
#include "globi-state-view.h"
#include "globi-window.h"

G_BEGIN_DECLS

/* Shared with tests/ui, which drive the real widgets. */
struct _GlobiWindow
{
  AdwApplicationWindow parent_instance;

  GlobiSession *session;
  GSettings *settings;
  GCancellable *cancellable;

  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  GlobiStateView *startup_state;
  GlobiOnboarding *onboarding;
  GtkBox *section_bar;
  GtkStack *section_stack;
  GlobiMeView *me_view;
  GMenuModel *primary_menu;
  GlobiChatsView *chats_view;
  GlobiContactsView *contacts_view;
  GtkLabel *chats_badge;
  GtkLabel *contacts_badge;

  /* While signed in. */
  GlobiMessenger *messenger;

  GHashTable *section_buttons; /* name -> GtkToggleButton */
  char *last_toast;            /* what tests check */
  char *demo_username;
  gboolean demo;
  gboolean embedded;
  gboolean started;
};

G_END_DECLS
