/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "globi-core.h"

G_BEGIN_DECLS

/* The Me section: my card and links on the left, my profile on the right. */
#define GLOBI_TYPE_ME_VIEW (globi_me_view_get_type ())
G_DECLARE_FINAL_TYPE (GlobiMeView, globi_me_view, GLOBI, ME_VIEW, GtkWidget)

void globi_me_view_set_session (GlobiMeView  *self,
                                GlobiSession *session);
/* Opens the profile editor, as the Edit button does. */
void globi_me_view_edit        (GlobiMeView  *self);

G_END_DECLS
