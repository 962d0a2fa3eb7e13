/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What a view that loads something is showing: the desktop counterpart of loading.tsx,
 * error.tsx and not-found.tsx. */
typedef enum
{
  GLOBI_STATE_VIEW_LOADING,
  GLOBI_STATE_VIEW_CONTENT,
  GLOBI_STATE_VIEW_EMPTY,
  GLOBI_STATE_VIEW_ERROR,
  GLOBI_STATE_VIEW_NOT_FOUND,
} GlobiStateViewState;

#define GLOBI_TYPE_STATE_VIEW (globi_state_view_get_type ())
G_DECLARE_FINAL_TYPE (GlobiStateView, globi_state_view, GLOBI, STATE_VIEW, GtkWidget)

GtkWidget           *globi_state_view_new                 (void);
GtkWidget           *globi_state_view_get_child           (GlobiStateView *self);
void                 globi_state_view_set_child           (GlobiStateView *self,
                                                           GtkWidget      *child);
GlobiStateViewState  globi_state_view_get_state           (GlobiStateView *self);
/* Whether the spinner is on screen: it only appears once loading lasted loading-delay ms,
 * so quick loads never flash. */
gboolean             globi_state_view_get_spinner_visible (GlobiStateView *self);
guint                globi_state_view_get_loading_delay   (GlobiStateView *self);
void                 globi_state_view_set_loading_delay   (GlobiStateView *self,
                                                           guint           delay_ms);
void                 globi_state_view_show_loading        (GlobiStateView *self);
void                 globi_state_view_show_content        (GlobiStateView *self);
void                 globi_state_view_show_empty          (GlobiStateView *self,
                                                           const char     *icon_name,
                                                           const char     *title,
                                                           const char     *description,
                                                           const char     *action_label);
void                 globi_state_view_show_error          (GlobiStateView *self,
                                                           const char     *message);
void                 globi_state_view_show_not_found      (GlobiStateView *self,
                                                           const char     *title,
                                                           const char     *description);

G_END_DECLS
