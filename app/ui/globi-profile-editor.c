/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-profile-editor"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-avatar-cropper.h"
#include "globi-profile-editor-private.h"
#include "globi-ui-util.h"
#include "globi-window.h"

G_DEFINE_FINAL_TYPE (GlobiProfileEditor, globi_profile_editor, ADW_TYPE_WINDOW)

static const char *const currencies[] = {
  "USD", "EUR", "CNY", "JPY", "GBP", "KRW", "INR", "BRL", "MXN", "CAD", "AUD", "CHF", "HKD",
  "SGD", "SEK", "NOK", "DKK", "PLN", "TRY", "ZAR", "AED", "THB", "IDR", "NZD", NULL,
};

static GtkWindow *
get_result_window (GlobiProfileEditor *self)
{
  return self->parent;
}

static void
toast (GtkWindow *window, const char *title)
{
  if (GLOBI_IS_WINDOW (window))
    globi_window_add_toast (GLOBI_WINDOW (window), title);
}

static void
toast_error (GtkWindow *window, const GError *error)
{
  g_autofree char *title = globi_ui_describe_failure (_ ("Couldn’t save"), error);

  if (title)
    toast (window, title);
}

static void
on_changed_cb (GlobiProfileEditor *self)
{
  g_autofree char *name =
      g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->display_name_row))));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", *name != '\0');
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
}

static guint
select_code (GtkStringList *model, const char *const *codes, guint n_codes, const char *value)
{
  for (guint i = 0; i < n_codes; i++)
    if (g_strcmp0 (codes[i], value) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

static const char *
selected_language (GlobiProfileEditor *self)
{
  guint pos = adw_combo_row_get_selected (self->language_row);

  if (pos < globi_ui_n_languages ())
    return globi_ui_language_tag (pos);
  /* A tag the list does not know, appended when the form was filled. */
  return pos == GTK_INVALID_LIST_POSITION ? NULL
                                          : gtk_string_list_get_string (self->language_model, pos);
}

static const char *
selected_currency (GlobiProfileEditor *self)
{
  guint pos = adw_combo_row_get_selected (self->currency_row);

  return pos == GTK_INVALID_LIST_POSITION ? NULL
                                          : gtk_string_list_get_string (self->currency_model, pos);
}

static void
fill_form (GlobiProfileEditor *self)
{
  GlobiProfile *me = globi_session_get_me (self->session);
  const char *currency = globi_profile_get_preferred_currency (me);
  const char *language = globi_profile_get_language (me);
  guint pos = 0;

  gtk_editable_set_text (GTK_EDITABLE (self->display_name_row),
                         globi_profile_get_display_name (me));
  gtk_editable_set_text (GTK_EDITABLE (self->bio_row), globi_profile_get_bio (me) ?: "");
  gtk_editable_set_text (GTK_EDITABLE (self->region_row), globi_profile_get_region (me) ?: "");

  gtk_string_list_splice (self->currency_model, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->currency_model)),
                          (const char *const *) currencies);
  pos = select_code (self->currency_model, currencies, g_strv_length ((char **) currencies),
                     currency);
  if (pos == GTK_INVALID_LIST_POSITION && currency && *currency)
    {
      gtk_string_list_append (self->currency_model, currency);
      pos = g_list_model_get_n_items (G_LIST_MODEL (self->currency_model)) - 1;
    }
  adw_combo_row_set_selected (self->currency_row, pos == GTK_INVALID_LIST_POSITION ? 0 : pos);

  gtk_string_list_splice (self->language_model, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->language_model)), NULL);
  pos = GTK_INVALID_LIST_POSITION;
  for (guint i = 0; i < globi_ui_n_languages (); i++)
    {
      gtk_string_list_append (self->language_model, globi_ui_language_name (i));
      if (g_strcmp0 (globi_ui_language_tag (i), language) == 0)
        pos = i;
    }
  if (pos == GTK_INVALID_LIST_POSITION && language && *language)
    {
      gtk_string_list_append (self->language_model, language);
      pos = globi_ui_n_languages ();
    }
  adw_combo_row_set_selected (self->language_row, pos == GTK_INVALID_LIST_POSITION ? 0 : pos);

  globi_ui_set_avatar_image (self->avatar, self->session, globi_profile_get_avatar_hash (me));
  gtk_widget_set_visible (GTK_WIDGET (self->remove_avatar_button),
                          globi_profile_get_avatar_hash (me) != NULL);
}

static void
add_if_changed (JsonObject *patch, const char *field, const char *old_value, const char *new_value)
{
  if (new_value && g_strcmp0 (old_value ? old_value : "", new_value) != 0)
    json_object_set_string_member (patch, field, new_value);
}

static void
on_profile_saved_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GWeakRef *window_ref = user_data;
  g_autoptr (GtkWindow) window = g_weak_ref_get (window_ref);
  g_autoptr (GError) error = NULL;

  g_weak_ref_clear (window_ref);
  g_free (window_ref);
  if (!globi_session_update_profile_finish (GLOBI_SESSION (object), result, &error))
    toast_error (window, error);
  else
    toast (window, _ ("Profile saved"));
}

static GWeakRef *
weak_ref_new (gpointer object)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, object);
  return ref;
}

static void
action_save (GtkWidget *widget, const char *action_name, GVariant *param)
{
  globi_profile_editor_save (GLOBI_PROFILE_EDITOR (widget));
}

static void
on_avatar_uploaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GWeakRef *window_ref = user_data;
  g_autoptr (GtkWindow) window = g_weak_ref_get (window_ref);
  g_autoptr (GError) error = NULL;

  g_weak_ref_clear (window_ref);
  g_free (window_ref);
  if (!globi_session_set_avatar_finish (GLOBI_SESSION (object), result, &error))
    toast_error (window, error);
  else
    toast (window, _ ("Photo updated"));
}

static void
on_avatar_removed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GWeakRef *window_ref = user_data;
  g_autoptr (GtkWindow) window = g_weak_ref_get (window_ref);
  g_autoptr (GError) error = NULL;

  g_weak_ref_clear (window_ref);
  g_free (window_ref);
  if (!globi_session_remove_avatar_finish (GLOBI_SESSION (object), result, &error))
    toast_error (window, error);
  else
    toast (window, _ ("Photo removed"));
}

static void
on_cropped_cb (GlobiProfileEditor *self, GBytes *png)
{
  g_autoptr (GdkTexture) preview = gdk_texture_new_from_bytes (png, NULL);

  /* Shown at once; the window's toast says when the server has it. */
  if (preview)
    adw_avatar_set_custom_image (self->avatar, GDK_PAINTABLE (preview));
  gtk_widget_set_visible (GTK_WIDGET (self->remove_avatar_button), TRUE);
  globi_session_set_avatar_async (self->session, png, "image/png", NULL, on_avatar_uploaded_cb,
                                  weak_ref_new (get_result_window (self)));
}

static void
on_chooser_response_cb (GlobiProfileEditor *self, int response, GtkNativeDialog *chooser)
{
  g_autoptr (GFile) file = NULL;
  GlobiAvatarCropper *cropper = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (!file)
    return;

  cropper = globi_avatar_cropper_new (GTK_WINDOW (self), file);
  g_signal_connect_object (cropper, "cropped", G_CALLBACK (on_cropped_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (cropper));
}

static void
action_choose_avatar (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiProfileEditor *self = GLOBI_PROFILE_EDITOR (widget);
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->chooser)
    return;
  self->chooser =
      gtk_file_chooser_native_new (_ ("Choose a photo"), GTK_WINDOW (self),
                                   GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Open"), _ ("_Cancel"));
  gtk_file_filter_set_name (filter, _ ("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
action_remove_avatar (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiProfileEditor *self = GLOBI_PROFILE_EDITOR (widget);

  adw_avatar_set_custom_image (self->avatar, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->remove_avatar_button), FALSE);
  globi_session_remove_avatar_async (self->session, NULL, on_avatar_removed_cb,
                                     weak_ref_new (get_result_window (self)));
}

static void
globi_profile_editor_dispose (GObject *object)
{
  GlobiProfileEditor *self = GLOBI_PROFILE_EDITOR (object);

  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLOBI_TYPE_PROFILE_EDITOR);
  g_clear_object (&self->session);
  g_clear_weak_pointer (&self->parent);

  G_OBJECT_CLASS (globi_profile_editor_parent_class)->dispose (object);
}

static void
globi_profile_editor_class_init (GlobiProfileEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_profile_editor_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/globichat/GlobiChat/globi-profile-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, avatar);
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, display_name_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, bio_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, region_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, currency_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, language_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, currency_model);
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, language_model);
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, remove_avatar_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiProfileEditor, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_changed_cb);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, action_save);
  gtk_widget_class_install_action (widget_class, "editor.choose-avatar", NULL,
                                   action_choose_avatar);
  gtk_widget_class_install_action (widget_class, "editor.remove-avatar", NULL,
                                   action_remove_avatar);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "editor.save",
                                       NULL);
}

static void
globi_profile_editor_init (GlobiProfileEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Signed out (here or from another device): there is no profile to edit any more. */
static void
on_session_state_cb (GlobiProfileEditor *self)
{
  if (globi_session_get_state (self->session) != GLOBI_SESSION_STATE_SIGNED_IN)
    gtk_window_close (GTK_WINDOW (self));
}

GlobiProfileEditor *
globi_profile_editor_new (GtkWindow *parent, GlobiSession *session)
{
  GlobiProfileEditor *self = NULL;

  g_return_val_if_fail (GLOBI_IS_SESSION (session), NULL);
  g_return_val_if_fail (globi_session_get_me (session) != NULL, NULL);

  self = g_object_new (GLOBI_TYPE_PROFILE_EDITOR, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  g_set_weak_pointer (&self->parent, parent);
  g_signal_connect_object (session, "notify::state", G_CALLBACK (on_session_state_cb), self,
                           G_CONNECT_SWAPPED);
  fill_form (self);
  on_changed_cb (self);
  return self;
}

const char *const *
globi_profile_editor_currencies (void)
{
  return currencies;
}

void
globi_profile_editor_save (GlobiProfileEditor *self)
{
  GlobiProfile *me = NULL;
  g_autoptr (JsonObject) patch = json_object_new ();
  g_autofree char *name = NULL;
  g_autofree char *region = NULL;

  g_return_if_fail (GLOBI_IS_PROFILE_EDITOR (self));

  me = globi_session_get_me (self->session);
  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->display_name_row))));
  region = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->region_row))));
  add_if_changed (patch, "display_name", globi_profile_get_display_name (me), name);
  add_if_changed (patch, "bio", globi_profile_get_bio (me),
                  gtk_editable_get_text (GTK_EDITABLE (self->bio_row)));
  add_if_changed (patch, "region", globi_profile_get_region (me), region);
  add_if_changed (patch, "preferred_currency", globi_profile_get_preferred_currency (me),
                  selected_currency (self));
  add_if_changed (patch, "language", globi_profile_get_language (me), selected_language (self));

  if (json_object_get_size (patch) > 0)
    globi_session_update_profile_async (self->session, patch, NULL, on_profile_saved_cb,
                                        weak_ref_new (get_result_window (self)));
  gtk_window_close (GTK_WINDOW (self));
}
