/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-core.h"

G_BEGIN_DECLS

/* Edits my profile: avatar (picked, then cropped or fitted), display name, bio, region,
 * preferred currency and language. Saving is optimistic: the dialog closes at once and
 * the parent window shows a toast when the server has answered. */
#define GLOBI_TYPE_PROFILE_EDITOR (globi_profile_editor_get_type ())
G_DECLARE_FINAL_TYPE (GlobiProfileEditor, globi_profile_editor, GLOBI, PROFILE_EDITOR, AdwWindow)

GlobiProfileEditor *globi_profile_editor_new        (GtkWindow    *parent,
                                                     GlobiSession *session);
/* Common ISO 4217 codes offered in the currency list (NULL-terminated). */
const char *const  *globi_profile_editor_currencies (void);

G_END_DECLS
