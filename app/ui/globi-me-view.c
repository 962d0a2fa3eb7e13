/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-me-view"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-friend-card-dialog.h"
#include "globi-me-view-private.h"
#include "globi-ui-util.h"

enum
{
  PROP_0,
  PROP_PRIMARY_MENU,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (GlobiMeView, globi_me_view, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static gboolean
username_to_handle (GBinding *binding, const GValue *from, GValue *to, gpointer user_data)
{
  const char *username = g_value_get_string (from);

  g_value_take_string (to, username ? g_strdup_printf ("@%s", username) : NULL);
  return TRUE;
}

static gboolean
empty_to_not_set (GBinding *binding, const GValue *from, GValue *to, gpointer user_data)
{
  const char *text = g_value_get_string (from);

  g_value_set_string (to, text && *text ? text : _ ("Not set"));
  return TRUE;
}

static gboolean
language_to_name (GBinding *binding, const GValue *from, GValue *to, gpointer user_data)
{
  const char *tag = g_value_get_string (from);

  g_value_set_string (to, tag && *tag ? globi_ui_language_name_for (tag) : _ ("Not set"));
  return TRUE;
}

static gboolean
string_to_visible (GBinding *binding, const GValue *from, GValue *to, gpointer user_data)
{
  const char *text = g_value_get_string (from);

  g_value_set_boolean (to, text && *text);
  return TRUE;
}

static void
update_avatar (GlobiMeView *self)
{
  GlobiProfile *me = globi_session_get_me (self->session);
  const char *hash = me ? globi_profile_get_avatar_hash (me) : NULL;

  globi_ui_set_avatar_image (self->big_avatar, self->session, hash);
  globi_ui_set_avatar_image (self->small_avatar, self->session,
                             me ? globi_profile_get_thumbnail_hash (me) : NULL);
}

static void
on_reload_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMeView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (globi_session_reload_me_finish (GLOBI_SESSION (object), result, &error))
    return;
  /* With a profile already shown, a failed refresh changes nothing visible. */
  if (!globi_session_get_me (self->session))
    {
      g_autofree char *message = globi_ui_describe_error (error);
      if (message)
        globi_state_view_show_error (self->profile_state, message);
    }
}

static void
reload (GlobiMeView *self)
{
  if (!self->session || globi_session_get_state (self->session) != GLOBI_SESSION_STATE_SIGNED_IN)
    return;
  if (!globi_session_get_me (self->session))
    globi_state_view_show_loading (self->profile_state);
  globi_session_reload_me_async (self->session, self->cancellable, on_reload_cb,
                                 g_object_ref (self));
}

static void
on_me_changed_cb (GlobiMeView *self)
{
  GlobiProfile *me = self->session ? globi_session_get_me (self->session) : NULL;

  g_binding_group_set_source (self->bindings, me);
  g_signal_group_set_target (self->profile_signals, me);
  if (me)
    {
      globi_state_view_show_content (self->profile_state);
      update_avatar (self);
    }
  else
    globi_state_view_show_loading (self->profile_state);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "me.edit", me != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "me.show-qr", me != NULL);
}

static void
on_retry_cb (GlobiMeView *self)
{
  reload (self);
}

static void
on_nav_row_activated_cb (GlobiMeView *self, GtkListBoxRow *row)
{
  /* Privacy and Devices carry their own action (a page of Settings). */
  if (row == GTK_LIST_BOX_ROW (self->settings_row))
    gtk_widget_activate_action (GTK_WIDGET (self), "app.preferences", NULL);
  else if (row == GTK_LIST_BOX_ROW (self->card_row))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
action_back (GtkWidget *widget, const char *action_name, GVariant *param)
{
  adw_leaflet_navigate (GLOBI_ME_VIEW (widget)->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
action_edit (GtkWidget *widget, const char *action_name, GVariant *param)
{
  globi_me_view_edit (GLOBI_ME_VIEW (widget));
}

static void
globi_me_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiMeView *self = GLOBI_ME_VIEW (object);

  switch (prop_id)
    {
      case PROP_PRIMARY_MENU:
        g_value_set_object (value, self->primary_menu);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_me_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GlobiMeView *self = GLOBI_ME_VIEW (object);

  switch (prop_id)
    {
      case PROP_PRIMARY_MENU:
        if (g_set_object (&self->primary_menu, g_value_get_object (value)))
          {
            gtk_menu_button_set_menu_model (self->menu_button, self->primary_menu);
            g_object_notify_by_pspec (object, pspec);
          }
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_me_view_dispose (GObject *object)
{
  GlobiMeView *self = GLOBI_ME_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->bindings)
    g_binding_group_set_source (self->bindings, NULL);
  g_clear_object (&self->bindings);
  g_clear_object (&self->profile_signals);
  g_clear_weak_pointer (&self->editor);
  g_clear_object (&self->session);
  g_clear_object (&self->primary_menu);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLOBI_TYPE_ME_VIEW);
  /* The template's top widget is not a bound child: unparent it too. */
  for (GtkWidget *child = NULL; (child = gtk_widget_get_first_child (GTK_WIDGET (self)));)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (globi_me_view_parent_class)->dispose (object);
}

static void
action_show_qr (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiMeView *self = GLOBI_ME_VIEW (widget);

  if (self->session && globi_session_get_state (self->session) == GLOBI_SESSION_STATE_SIGNED_IN)
    globi_friend_card_dialog_present (widget, self->session);
}

static void
globi_me_view_class_init (GlobiMeViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = globi_me_view_get_property;
  object_class->set_property = globi_me_view_set_property;
  object_class->dispose = globi_me_view_dispose;

  properties[PROP_PRIMARY_MENU] =
      g_param_spec_object ("primary-menu", NULL, NULL, G_TYPE_MENU_MODEL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GLOBI_TYPE_STATE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/globichat/GlobiChat/globi-me-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, leaflet);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, menu_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, card_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, settings_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, small_avatar);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, big_avatar);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, profile_state);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, display_name_label);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, username_label);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, bio_label);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, region_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, currency_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiMeView, language_row);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_nav_row_activated_cb);

  gtk_widget_class_install_action (widget_class, "me.back", NULL, action_back);
  gtk_widget_class_install_action (widget_class, "me.edit", NULL, action_edit);
  gtk_widget_class_install_action (widget_class, "me.show-qr", NULL, action_show_qr);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
globi_me_view_init (GlobiMeView *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The session keeps one GlobiProfile while signed in and updates it in place, so these
   * bindings follow every edit, optimistic or rolled back. */
  self->bindings = g_binding_group_new ();
  g_binding_group_bind (self->bindings, "display-name", self->display_name_label, "label",
                        G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->bindings, "display-name", self->card_row, "title",
                        G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->bindings, "display-name", self->big_avatar, "text",
                        G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->bindings, "display-name", self->small_avatar, "text",
                        G_BINDING_SYNC_CREATE);
  g_binding_group_bind_full (self->bindings, "username", self->username_label, "label",
                             G_BINDING_SYNC_CREATE, username_to_handle, NULL, NULL, NULL);
  g_binding_group_bind_full (self->bindings, "username", self->card_row, "subtitle",
                             G_BINDING_SYNC_CREATE, username_to_handle, NULL, NULL, NULL);
  g_binding_group_bind (self->bindings, "bio", self->bio_label, "label", G_BINDING_SYNC_CREATE);
  g_binding_group_bind_full (self->bindings, "bio", self->bio_label, "visible",
                             G_BINDING_SYNC_CREATE, string_to_visible, NULL, NULL, NULL);
  g_binding_group_bind_full (self->bindings, "region", self->region_row, "subtitle",
                             G_BINDING_SYNC_CREATE, empty_to_not_set, NULL, NULL, NULL);
  g_binding_group_bind_full (self->bindings, "preferred-currency", self->currency_row, "subtitle",
                             G_BINDING_SYNC_CREATE, empty_to_not_set, NULL, NULL, NULL);
  g_binding_group_bind_full (self->bindings, "language", self->language_row, "subtitle",
                             G_BINDING_SYNC_CREATE, language_to_name, NULL, NULL, NULL);

  self->profile_signals = g_signal_group_new (GLOBI_TYPE_PROFILE);
  g_signal_group_connect_swapped (self->profile_signals, "notify::avatar-hash",
                                  G_CALLBACK (update_avatar), self);
  g_signal_group_connect_swapped (self->profile_signals, "notify::thumbnail-hash",
                                  G_CALLBACK (update_avatar), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "me.edit", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "me.show-qr", FALSE);
}

void
globi_me_view_set_session (GlobiMeView *self, GlobiSession *session)
{
  g_return_if_fail (GLOBI_IS_ME_VIEW (self));
  g_return_if_fail (GLOBI_IS_SESSION (session));

  if (!g_set_object (&self->session, session))
    return;
  g_signal_connect_object (session, "notify::me", G_CALLBACK (on_me_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::state", G_CALLBACK (reload), self, G_CONNECT_SWAPPED);
  on_me_changed_cb (self);
}

void
globi_me_view_edit (GlobiMeView *self)
{
  GtkRoot *root = NULL;

  g_return_if_fail (GLOBI_IS_ME_VIEW (self));

  if (!self->session || !globi_session_get_me (self->session))
    return;
  if (self->editor)
    {
      gtk_window_present (GTK_WINDOW (self->editor));
      return;
    }
  root = gtk_widget_get_root (GTK_WIDGET (self));
  g_set_weak_pointer (&self->editor, globi_profile_editor_new (GTK_WINDOW (root), self->session));
  gtk_window_present (GTK_WINDOW (self->editor));
}
