/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-application.h"
#include "globi-error.h"
#include "globi-preferences-window-private.h"
#include "globi-ui-util.h"

G_DEFINE_FINAL_TYPE (GlobiPreferencesWindow, globi_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *const color_schemes[] = { "system", "light", "dark" };

/* The interface languages with a translation; named in themselves. */
static const struct
{
  const char *locale;
  const char *autonym;
} ui_languages[] = {
  { "", NULL }, /* follow the system: its label is translated */
  { "en", "English" },
  { "zh_CN", "中文（简体）" },
  { "es", "Español" },
};

static void
add_toast (GlobiPreferencesWindow *self, const char *title)
{
  globi_ui_set_str (&self->last_toast, title);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), globi_ui_toast_new (title));
}

static void
toast_error (GlobiPreferencesWindow *self, const char *what, const GError *error)
{
  g_autofree char *title = globi_ui_describe_failure (what, error);

  if (title)
    add_toast (self, title);
}

static gboolean
scheme_to_selected (GValue *value, GVariant *variant, gpointer user_data)
{
  const char *scheme = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (color_schemes); i++)
    if (g_str_equal (scheme, color_schemes[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
selected_to_scheme (const GValue *value, const GVariantType *type, gpointer user_data)
{
  guint i = g_value_get_uint (value);

  return g_variant_new_string (color_schemes[i < G_N_ELEMENTS (color_schemes) ? i : 0]);
}

static gboolean
locale_to_selected (GValue *value, GVariant *variant, gpointer user_data)
{
  const char *locale = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (ui_languages); i++)
    if (g_str_equal (locale, ui_languages[i].locale))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
selected_to_locale (const GValue *value, const GVariantType *type, gpointer user_data)
{
  guint i = g_value_get_uint (value);

  return g_variant_new_string (ui_languages[i < G_N_ELEMENTS (ui_languages) ? i : 0].locale);
}

static gboolean
who_can_add_to_selected (GBinding *binding, const GValue *from, GValue *to, gpointer user_data)
{
  g_value_set_uint (to, (guint) g_value_get_enum (from));
  return TRUE;
}

static void
on_privacy_saved_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (self->disposed)
    return;

  /* On failure the session rolls `me` back, and the bindings move the controls back. */
  if (!globi_session_update_profile_finish (GLOBI_SESSION (object), result, &error))
    toast_error (self, _ ("Couldn’t save"), error);
}

static void
save_privacy (GlobiPreferencesWindow *self, const char *field, JsonNode *value)
{
  g_autoptr (JsonObject) patch = json_object_new ();
  JsonObject *privacy = json_object_new ();

  json_object_set_member (privacy, field, value);
  json_object_set_object_member (patch, "privacy", privacy);
  globi_session_update_profile_async (self->session, patch, NULL, on_privacy_saved_cb,
                                      g_object_ref (self));
}

static void
on_discoverable_changed_cb (GlobiPreferencesWindow *self)
{
  GlobiProfile *me = self->session ? globi_session_get_me (self->session) : NULL;
  gboolean active = gtk_switch_get_active (self->discoverable_switch);
  JsonNode *node = NULL;

  /* Only what the user changed: the binding from `me` lands here too. */
  if (!me || globi_profile_get_discoverable (me) == active)
    return;
  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_boolean (node, active);
  save_privacy (self, "discoverable", node);
}

static void
on_who_can_add_changed_cb (GlobiPreferencesWindow *self)
{
  GlobiProfile *me = self->session ? globi_session_get_me (self->session) : NULL;
  guint selected = adw_combo_row_get_selected (self->who_can_add_row);
  JsonNode *node = NULL;

  if (!me || selected > GLOBI_WHO_CAN_ADD_NOBODY ||
      (guint) globi_profile_get_who_can_add (me) == selected)
    return;
  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (node, globi_who_can_add_to_string ((GlobiWhoCanAdd) selected));
  save_privacy (self, "who_can_add", node);
}

static void
update_password_action (GlobiPreferencesWindow *self, gboolean *mismatch)
{
  const char *current = gtk_editable_get_text (GTK_EDITABLE (self->current_password_row));
  const char *new_password = gtk_editable_get_text (GTK_EDITABLE (self->new_password_row));
  const char *confirm = gtk_editable_get_text (GTK_EDITABLE (self->confirm_password_row));

  *mismatch = *confirm && g_strcmp0 (new_password, confirm) != 0;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.change-password",
                                 *current && *new_password && *confirm && !*mismatch);
}

static void
on_password_changed_cb (GlobiPreferencesWindow *self)
{
  gboolean mismatch = FALSE;

  /* Typing replaces whatever the last attempt said. */
  update_password_action (self, &mismatch);
  gtk_label_set_text (self->password_error, mismatch ? _ ("The new passwords don’t match") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->password_error), mismatch);
}

static void
on_password_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean mismatch = FALSE;

  if (self->disposed)
    return;

  if (!globi_session_change_password_finish (GLOBI_SESSION (object), result, &error))
    {
      g_autofree char *message = globi_ui_describe_error (error);
      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_CREDENTIALS))
        globi_ui_set_str (&message, _ ("The current password is wrong"));
      gtk_label_set_text (self->password_error, message ? message : "");
      gtk_widget_set_visible (GTK_WIDGET (self->password_error), message != NULL);
      update_password_action (self, &mismatch);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->current_password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->new_password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->confirm_password_row), "");
  add_toast (self, _ ("Password changed. Your other devices were signed out."));
  globi_preferences_window_reload_devices (self);
}

static void
action_change_password (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiPreferencesWindow *self = GLOBI_PREFERENCES_WINDOW (widget);

  gtk_widget_action_set_enabled (widget, "prefs.change-password", FALSE);
  globi_session_change_password_async (
      self->session, gtk_editable_get_text (GTK_EDITABLE (self->current_password_row)),
      gtk_editable_get_text (GTK_EDITABLE (self->new_password_row)), self->cancellable,
      on_password_done_cb, g_object_ref (self));
}

static void
on_signed_out_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPreferencesWindow) self = user_data;

  /* Never fails for the user: offline, it still signs out here. The state change closes
   * this window. */
  globi_session_sign_out_finish (GLOBI_SESSION (object), result, NULL);
}

static void
on_sign_out_response_cb (AdwMessageDialog *dialog,
                         const char *response,
                         GlobiPreferencesWindow *self)
{
  if (g_strcmp0 (response, "sign-out") == 0)
    globi_session_sign_out_async (self->session, NULL, on_signed_out_cb, g_object_ref (self));
}

static void
action_sign_out (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiPreferencesWindow *self = GLOBI_PREFERENCES_WINDOW (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _ ("Sign out?"),
                                              _ ("You can sign in again with your username and "
                                                 "password."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"),
                                    "sign-out", _ ("_Sign out"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_sign_out_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_device_revoked_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (self->disposed)
    return;

  if (!globi_session_revoke_device_finish (GLOBI_SESSION (object), result, &error))
    toast_error (self, _ ("Couldn’t sign out the device"), error);
  else
    add_toast (self, _ ("The device was signed out"));
  globi_preferences_window_reload_devices (self);
}

static void
on_revoke_response_cb (AdwMessageDialog *dialog, const char *response, GlobiPreferencesWindow *self)
{
  GlobiDevice *device = g_object_get_data (G_OBJECT (dialog), "device");

  if (g_strcmp0 (response, "revoke") == 0)
    globi_session_revoke_device_async (self->session, globi_device_get_id (device),
                                       self->cancellable, on_device_revoked_cb,
                                       g_object_ref (self));
}

static void
on_revoke_clicked_cb (GtkButton *button, GlobiPreferencesWindow *self)
{
  GlobiDevice *device = g_object_get_data (G_OBJECT (button), "device");
  GtkWidget *dialog = NULL;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _ ("Sign out this device?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _ ("“%s” will need to sign in again to use your account."),
                                  globi_device_get_name (device));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "revoke",
                                    _ ("_Sign out"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "revoke",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "device", g_object_ref (device), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_revoke_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
create_device_row (gpointer item, gpointer user_data)
{
  GlobiPreferencesWindow *self = user_data;
  GlobiDevice *device = item;
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *seen = globi_ui_format_time (globi_device_get_last_seen_at (device));
  g_autofree char *subtitle = NULL;
  const char *platform = globi_device_get_platform (device);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), globi_device_get_name (device));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("computer-symbolic"));
  if (globi_device_get_current (device))
    subtitle = g_strdup (_ ("This device"));
  else if (platform && *platform)
    subtitle = g_strdup_printf (_ ("%s · Last active %s"), platform, seen);
  else
    subtitle = g_strdup_printf (_ ("Last active %s"), seen);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  if (!globi_device_get_current (device))
    {
      GtkWidget *button = gtk_button_new_from_icon_name ("edit-delete-symbolic");
      g_autofree char *label =
          g_strdup_printf (_ ("Sign out “%s”"), globi_device_get_name (device));

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                      -1);
      g_object_set_data_full (G_OBJECT (button), "device", g_object_ref (device), g_object_unref);
      g_signal_connect_object (button, "clicked", G_CALLBACK (on_revoke_clicked_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
  return row;
}

static void
on_devices_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) devices =
      globi_session_list_devices_finish (GLOBI_SESSION (object), result, &error);
  if (self->disposed)
    return;

  if (!devices)
    {
      g_autofree char *message = globi_ui_describe_error (error);
      if (message)
        globi_state_view_show_error (self->devices_state, message);
      return;
    }
  gtk_list_box_bind_model (self->devices_list, devices, create_device_row, self, NULL);
  if (g_list_model_get_n_items (devices) == 0)
    globi_state_view_show_empty (self->devices_state, "computer-symbolic", _ ("No devices"), NULL,
                                 NULL);
  else
    globi_state_view_show_content (self->devices_state);
}

static void
on_devices_retry_cb (GlobiPreferencesWindow *self)
{
  globi_preferences_window_reload_devices (self);
}

static void
globi_preferences_window_dispose (GObject *object)
{
  GlobiPreferencesWindow *self = GLOBI_PREFERENCES_WINDOW (object);

  self->disposed = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->privacy_bindings)
    g_binding_group_set_source (self->privacy_bindings, NULL);
  g_clear_object (&self->privacy_bindings);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLOBI_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (globi_preferences_window_parent_class)->dispose (object);
}

static void
globi_preferences_window_finalize (GObject *object)
{
  GlobiPreferencesWindow *self = GLOBI_PREFERENCES_WINDOW (object);

  g_clear_pointer (&self->last_toast, g_free);
  G_OBJECT_CLASS (globi_preferences_window_parent_class)->finalize (object);
}

static void
globi_preferences_window_class_init (GlobiPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_preferences_window_dispose;
  object_class->finalize = globi_preferences_window_finalize;

  g_type_ensure (GLOBI_TYPE_STATE_VIEW);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/org/globichat/GlobiChat/globi-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, appearance_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, ui_language_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, ui_language_model);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, previews_switch);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, discoverable_switch);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, who_can_add_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, account_page);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, devices_state);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, devices_list);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, current_password_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, new_password_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, confirm_password_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiPreferencesWindow, password_error);
  gtk_widget_class_bind_template_callback (widget_class, on_discoverable_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_who_can_add_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_password_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_devices_retry_cb);

  gtk_widget_class_install_action (widget_class, "prefs.change-password", NULL,
                                   action_change_password);
  gtk_widget_class_install_action (widget_class, "prefs.sign-out", NULL, action_sign_out);
}

static void
globi_preferences_window_init (GlobiPreferencesWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (ui_languages); i++)
    gtk_string_list_append (self->ui_language_model, ui_languages[i].autonym
                                                         ? ui_languages[i].autonym
                                                         : _ ("Follow system"));
  on_password_changed_cb (self);
}

/* Signed out (here or from another device): nothing here applies any more. */
static void
on_session_state_cb (GlobiPreferencesWindow *self)
{
  if (globi_session_get_state (self->session) != GLOBI_SESSION_STATE_SIGNED_IN)
    gtk_window_close (GTK_WINDOW (self));
}

GlobiPreferencesWindow *
globi_preferences_window_new (GlobiWindow *parent)
{
  GlobiPreferencesWindow *self = NULL;
  GlobiApplication *app = NULL;

  g_return_val_if_fail (GLOBI_IS_WINDOW (parent), NULL);

  app = GLOBI_APPLICATION (gtk_window_get_application (GTK_WINDOW (parent)));
  self = g_object_new (GLOBI_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  self->session = g_object_ref (globi_application_get_session (app));
  self->settings = g_object_ref (globi_application_get_settings (app));
  g_signal_connect_object (self->session, "notify::state", G_CALLBACK (on_session_state_cb), self,
                           G_CONNECT_SWAPPED);

  g_settings_bind_with_mapping (self->settings, "color-scheme", self->appearance_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, scheme_to_selected, selected_to_scheme,
                                NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "ui-language", self->ui_language_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, locale_to_selected, selected_to_locale,
                                NULL, NULL);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notification-previews", self->previews_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  self->privacy_bindings = g_binding_group_new ();
  g_binding_group_bind (self->privacy_bindings, "discoverable", self->discoverable_switch, "active",
                        G_BINDING_SYNC_CREATE);
  g_binding_group_bind_full (self->privacy_bindings, "who-can-add", self->who_can_add_row,
                             "selected", G_BINDING_SYNC_CREATE, who_can_add_to_selected, NULL, NULL,
                             NULL);
  g_binding_group_set_source (self->privacy_bindings, globi_session_get_me (self->session));

  globi_preferences_window_reload_devices (self);
  return self;
}

void
globi_preferences_window_reload_devices (GlobiPreferencesWindow *self)
{
  g_return_if_fail (GLOBI_IS_PREFERENCES_WINDOW (self));

  globi_state_view_show_loading (self->devices_state);
  globi_session_list_devices_async (self->session, self->cancellable, on_devices_cb,
                                    g_object_ref (self));
}
