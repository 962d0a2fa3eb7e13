/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-state-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "globi-state-view.h"
#include "globi-ui-enums.h"

#define DEFAULT_LOADING_DELAY_MS 300

enum
{
  PROP_0,
  PROP_CHILD,
  PROP_STATE,
  PROP_LOADING_DELAY,
  N_PROPS
};

enum
{
  RETRY,
  ACTION,
  N_SIGNALS
};

struct _GlobiStateView
{
  GtkWidget parent_instance;

  GtkStack *stack;
  GtkSpinner *spinner;
  AdwStatusPage *empty_page;
  GtkButton *empty_button;
  AdwStatusPage *error_page;
  AdwStatusPage *not_found_page;

  GtkWidget *child;
  GlobiStateViewState state;
  guint loading_delay;
  guint loading_source;
};

G_DEFINE_FINAL_TYPE (GlobiStateView, globi_state_view, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
clear_loading_timeout (GlobiStateView *self)
{
  g_clear_handle_id (&self->loading_source, g_source_remove);
  gtk_spinner_stop (self->spinner);
}

static void
set_state (GlobiStateView *self, GlobiStateViewState state, const char *page)
{
  if (state != GLOBI_STATE_VIEW_LOADING)
    clear_loading_timeout (self);
  gtk_stack_set_visible_child_name (self->stack, page);
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* The spinner spins only while it can be seen: a spinning GtkSpinner keeps the window's
 * frame clock ticking (a CSS animation) even on a hidden page, which costs a frame's work
 * 60 times a second on an idle app. */
static void
sync_spinning (GlobiStateView *self)
{
  gtk_spinner_set_spinning (self->spinner, self->state == GLOBI_STATE_VIEW_LOADING &&
                                               self->loading_source == 0 &&
                                               gtk_widget_get_mapped (GTK_WIDGET (self)));
}

static gboolean
on_loading_timeout_cb (gpointer user_data)
{
  GlobiStateView *self = user_data;

  self->loading_source = 0;
  sync_spinning (self);
  gtk_stack_set_visible_child_name (self->stack, "spinner");
  return G_SOURCE_REMOVE;
}

static void
globi_state_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (globi_state_view_parent_class)->map (widget);
  sync_spinning (GLOBI_STATE_VIEW (widget));
}

static void
globi_state_view_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (globi_state_view_parent_class)->unmap (widget);
  sync_spinning (GLOBI_STATE_VIEW (widget));
}

static void
on_retry_clicked_cb (GlobiStateView *self)
{
  g_signal_emit (self, signals[RETRY], 0);
}

static void
on_action_clicked_cb (GlobiStateView *self)
{
  g_signal_emit (self, signals[ACTION], 0);
}

static void
globi_state_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiStateView *self = GLOBI_STATE_VIEW (object);

  switch (prop_id)
    {
      case PROP_CHILD:
        g_value_set_object (value, self->child);
        break;
      case PROP_STATE:
        g_value_set_enum (value, self->state);
        break;
      case PROP_LOADING_DELAY:
        g_value_set_uint (value, self->loading_delay);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_state_view_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  GlobiStateView *self = GLOBI_STATE_VIEW (object);

  switch (prop_id)
    {
      case PROP_CHILD:
        globi_state_view_set_child (self, g_value_get_object (value));
        break;
      case PROP_LOADING_DELAY:
        globi_state_view_set_loading_delay (self, g_value_get_uint (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_state_view_dispose (GObject *object)
{
  GlobiStateView *self = GLOBI_STATE_VIEW (object);

  g_clear_handle_id (&self->loading_source, g_source_remove);
  self->child = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), GLOBI_TYPE_STATE_VIEW);
  /* The template's top widget is not a bound child: unparent it too. */
  for (GtkWidget *child = NULL; (child = gtk_widget_get_first_child (GTK_WIDGET (self)));)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (globi_state_view_parent_class)->dispose (object);
}

static void
globi_state_view_class_init (GlobiStateViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = globi_state_view_get_property;
  object_class->set_property = globi_state_view_set_property;
  object_class->dispose = globi_state_view_dispose;
  widget_class->map = globi_state_view_map;
  widget_class->unmap = globi_state_view_unmap;

  properties[PROP_CHILD] =
      g_param_spec_object ("child", NULL, NULL, GTK_TYPE_WIDGET,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
      g_param_spec_enum ("state", NULL, NULL, GLOBI_TYPE_STATE_VIEW_STATE, GLOBI_STATE_VIEW_CONTENT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING_DELAY] =
      g_param_spec_uint ("loading-delay", NULL, NULL, 0, G_MAXUINT, DEFAULT_LOADING_DELAY_MS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The Retry button of the error state. */
  signals[RETRY] = g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 0);
  /* The action button of the empty state ("Add a friend"). */
  signals[ACTION] = g_signal_new ("action", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/globichat/GlobiChat/globi-state-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiStateView, stack);
  gtk_widget_class_bind_template_child (widget_class, GlobiStateView, spinner);
  gtk_widget_class_bind_template_child (widget_class, GlobiStateView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, GlobiStateView, empty_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiStateView, error_page);
  gtk_widget_class_bind_template_child (widget_class, GlobiStateView, not_found_page);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_action_clicked_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "stateview");
}

static void
globi_state_view_init (GlobiStateView *self)
{
  self->loading_delay = DEFAULT_LOADING_DELAY_MS;
  self->state = GLOBI_STATE_VIEW_CONTENT;
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
globi_state_view_new (void)
{
  return g_object_new (GLOBI_TYPE_STATE_VIEW, NULL);
}

GtkWidget *
globi_state_view_get_child (GlobiStateView *self)
{
  g_return_val_if_fail (GLOBI_IS_STATE_VIEW (self), NULL);
  return self->child;
}

void
globi_state_view_set_child (GlobiStateView *self, GtkWidget *child)
{
  g_return_if_fail (GLOBI_IS_STATE_VIEW (self));
  g_return_if_fail (!child || GTK_IS_WIDGET (child));

  if (self->child == child)
    return;
  if (self->child)
    gtk_stack_remove (self->stack, self->child);
  self->child = child;
  if (child)
    gtk_stack_add_named (self->stack, child, "content");
  if (child && self->state == GLOBI_STATE_VIEW_CONTENT)
    gtk_stack_set_visible_child (self->stack, child);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHILD]);
}

GlobiStateViewState
globi_state_view_get_state (GlobiStateView *self)
{
  g_return_val_if_fail (GLOBI_IS_STATE_VIEW (self), GLOBI_STATE_VIEW_CONTENT);
  return self->state;
}

gboolean
globi_state_view_get_spinner_visible (GlobiStateView *self)
{
  g_return_val_if_fail (GLOBI_IS_STATE_VIEW (self), FALSE);
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "spinner") == 0;
}

guint
globi_state_view_get_loading_delay (GlobiStateView *self)
{
  g_return_val_if_fail (GLOBI_IS_STATE_VIEW (self), 0);
  return self->loading_delay;
}

void
globi_state_view_set_loading_delay (GlobiStateView *self, guint delay_ms)
{
  g_return_if_fail (GLOBI_IS_STATE_VIEW (self));

  if (self->loading_delay == delay_ms)
    return;
  self->loading_delay = delay_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING_DELAY]);
}

void
globi_state_view_show_loading (GlobiStateView *self)
{
  g_return_if_fail (GLOBI_IS_STATE_VIEW (self));

  if (self->state == GLOBI_STATE_VIEW_LOADING)
    return;
  /* A blank page first: the spinner only appears if loading takes long enough to notice. */
  set_state (self, GLOBI_STATE_VIEW_LOADING, "blank");
  clear_loading_timeout (self);
  self->loading_source = g_timeout_add (self->loading_delay, on_loading_timeout_cb, self);
}

void
globi_state_view_show_content (GlobiStateView *self)
{
  g_return_if_fail (GLOBI_IS_STATE_VIEW (self));
  set_state (self, GLOBI_STATE_VIEW_CONTENT, self->child ? "content" : "blank");
}

void
globi_state_view_show_empty (GlobiStateView *self,
                             const char *icon_name,
                             const char *title,
                             const char *description,
                             const char *action_label)
{
  g_return_if_fail (GLOBI_IS_STATE_VIEW (self));

  adw_status_page_set_icon_name (self->empty_page, icon_name);
  adw_status_page_set_title (self->empty_page, title ? title : "");
  adw_status_page_set_description (self->empty_page, description);
  gtk_button_set_label (self->empty_button, action_label ? action_label : "");
  gtk_widget_set_visible (GTK_WIDGET (self->empty_button), action_label != NULL);
  set_state (self, GLOBI_STATE_VIEW_EMPTY, "empty");
}

void
globi_state_view_show_error (GlobiStateView *self, const char *message)
{
  g_return_if_fail (GLOBI_IS_STATE_VIEW (self));

  adw_status_page_set_description (self->error_page, message);
  set_state (self, GLOBI_STATE_VIEW_ERROR, "error");
}

void
globi_state_view_show_not_found (GlobiStateView *self, const char *title, const char *description)
{
  g_return_if_fail (GLOBI_IS_STATE_VIEW (self));

  adw_status_page_set_title (self->not_found_page, title ? title : _ ("Not found"));
  adw_status_page_set_description (self->not_found_page, description);
  set_state (self, GLOBI_STATE_VIEW_NOT_FOUND, "not-found");
}
