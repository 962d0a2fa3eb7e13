/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-profile-editor.h"

G_BEGIN_DECLS

/* Shared with tests/ui. */
struct _GlobiProfileEditor
{
  AdwWindow parent_instance;

  GlobiSession *session;
  GtkWindow *parent; /* weak: where the result toasts go */

  AdwAvatar *avatar;
  AdwEntryRow *display_name_row;
  AdwEntryRow *bio_row;
  AdwEntryRow *region_row;
  AdwComboRow *currency_row;
  AdwComboRow *language_row;
  GtkStringList *currency_model;
  GtkStringList *language_model;
  GtkButton *remove_avatar_button;
  GtkLabel *error_label;
  GtkFileChooserNative *chooser;
};

/* Applies the form as the Save button does. */
void globi_profile_editor_save (GlobiProfileEditor *self);

G_END_DECLS
