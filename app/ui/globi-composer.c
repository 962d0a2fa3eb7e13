/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-composer"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-composer.h"
#include "globi-payment-dialog.h"

enum
{
  SEND,
  ATTACH,
  N_SIGNALS
};

struct _GlobiComposer
{
  GtkWidget parent_instance;

  GtkMenuButton *emoji_button;
  GtkEmojiChooser *emoji_chooser;
  GtkButton *attach_button;
  GtkTextView *text_view;
  GtkButton *send_button;

  GtkFileChooserNative *chooser;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (GlobiComposer, globi_composer, GTK_TYPE_WIDGET)

static guint signals[N_SIGNALS];

static char *
dup_trimmed_text (GlobiComposer *self)
{
  g_autofree char *text = globi_composer_dup_text (self);

  return g_strdup (g_strstrip (text));
}

static void
on_buffer_changed_cb (GlobiComposer *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->send_button), globi_composer_can_send (self));
}

static void
on_emoji_picked_cb (GlobiComposer *self, const char *emoji)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);

  gtk_text_buffer_insert_at_cursor (buffer, emoji, -1);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
on_send_clicked_cb (GlobiComposer *self)
{
  globi_composer_send (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
emit_attach (GlobiComposer *self, GListModel *files)
{
  if (g_list_model_get_n_items (files) > 0)
    g_signal_emit (self, signals[ATTACH], 0, files);
}

static void
on_chooser_response_cb (GtkNativeDialog *dialog, int response, GlobiComposer *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      emit_attach (self, files);
    }
  g_clear_object (&self->chooser);
}

static void
on_attach_clicked_cb (GlobiComposer *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->chooser)
    return;
  self->chooser = gtk_file_chooser_native_new (_ ("Attach a Photo or File"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Attach"), NULL);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* Enter sends; Shift+Enter (and Ctrl+Enter) fall through to the text view as a new line. */
static gboolean
on_key_pressed_cb (GtkEventControllerKey *controller,
                   guint keyval,
                   guint keycode,
                   GdkModifierType state,
                   GlobiComposer *self)
{
  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;
  if (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK))
    return GDK_EVENT_PROPAGATE;
  globi_composer_send (self);
  return GDK_EVENT_STOP;
}

static gboolean
on_drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, GlobiComposer *self)
{
  g_autoptr (GListStore) files = g_list_store_new (G_TYPE_FILE);
  GSList *list = NULL;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  list = g_value_get_boxed (value);
  for (GSList *l = list; l; l = l->next)
    g_list_store_append (files, l->data);
  emit_attach (self, G_LIST_MODEL (files));
  return TRUE;
}

static void
on_pasted_image_written_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiComposer) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListStore) files = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not keep the pasted image: %s", error->message);
      return;
    }
  files = g_list_store_new (G_TYPE_FILE);
  g_list_store_append (files, object);
  emit_attach (self, G_LIST_MODEL (files));
}

static void
on_texture_read_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiComposer) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GFile) file = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (object), result, &error);
  if (!texture)
    return;
  /* The pasted image becomes a file like any other attachment. */
  dir = g_dir_make_tmp ("globichat-paste-XXXXXX", &error);
  if (!dir)
    {
      g_warning ("Could not keep the pasted image: %s", error->message);
      return;
    }
  path = g_build_filename (dir, "pasted-image.png", NULL);
  file = g_file_new_for_path (path);
  png = gdk_texture_save_to_png_bytes (texture);
  g_file_replace_contents_bytes_async (file, png, NULL, FALSE, G_FILE_CREATE_PRIVATE,
                                       self->cancellable, on_pasted_image_written_cb,
                                       g_object_ref (self));
}

static void
on_paste_clipboard_cb (GtkTextView *text_view, GlobiComposer *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (text_view));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (!gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE) ||
      gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    return;
  g_signal_stop_emission_by_name (text_view, "paste-clipboard");
  gdk_clipboard_read_texture_async (clipboard, self->cancellable, on_texture_read_cb,
                                    g_object_ref (self));
}

static void
globi_composer_dispose (GObject *object)
{
  GlobiComposer *self = GLOBI_COMPOSER (object);
  GtkWidget *child = NULL;

  g_cancellable_cancel (self->cancellable);
  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLOBI_TYPE_COMPOSER);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (globi_composer_parent_class)->dispose (object);
}

static gboolean
globi_composer_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (GLOBI_COMPOSER (widget)->text_view));
}

static void
globi_composer_class_init (GlobiComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_composer_dispose;
  widget_class->grab_focus = globi_composer_grab_focus;

  /* The text, trimmed and never empty. */
  signals[SEND] = g_signal_new ("send", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* A GListModel of GFile: picked, dropped or pasted. */
  signals[ATTACH] = g_signal_new ("attach", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_LIST_MODEL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/globichat/GlobiChat/globi-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiComposer, emoji_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiComposer, emoji_chooser);
  gtk_widget_class_bind_template_child (widget_class, GlobiComposer, attach_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, GlobiComposer, send_button);
  gtk_widget_class_bind_template_callback (widget_class, on_emoji_picked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_send_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_attach_clicked_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "composer");
}

static void
globi_composer_init (GlobiComposer *self)
{
  GtkEventController *keys = NULL;
  GtkDropTarget *drop = NULL;
  GtkLayoutManager *layout = NULL;

  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);
  /* GlobiPay's "+": transfer, request, red packet (app/ui/globi-payment-dialog.c). */
  gtk_widget_insert_after (globi_payment_dialog_new_menu_button (), GTK_WIDGET (self),
                           GTK_WIDGET (self->attach_button));

  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (on_buffer_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect (self->text_view, "paste-clipboard", G_CALLBACK (on_paste_clipboard_cb), self);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), keys);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}

GtkWidget *
globi_composer_new (void)
{
  return g_object_new (GLOBI_TYPE_COMPOSER, NULL);
}

char *
globi_composer_dup_text (GlobiComposer *self)
{
  GtkTextBuffer *buffer = NULL;
  GtkTextIter start, end;

  g_return_val_if_fail (GLOBI_IS_COMPOSER (self), NULL);

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

void
globi_composer_set_text (GlobiComposer *self, const char *text)
{
  g_return_if_fail (GLOBI_IS_COMPOSER (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text ? text : "", -1);
}

gboolean
globi_composer_can_send (GlobiComposer *self)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (GLOBI_IS_COMPOSER (self), FALSE);

  text = dup_trimmed_text (self);
  return text[0] != '\0';
}

gboolean
globi_composer_send (GlobiComposer *self)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (GLOBI_IS_COMPOSER (self), FALSE);

  text = dup_trimmed_text (self);
  if (text[0] == '\0')
    return FALSE;
  globi_composer_set_text (self, NULL);
  g_signal_emit (self, signals[SEND], 0, text);
  return TRUE;
}

GtkTextView *
globi_composer_get_text_view (GlobiComposer *self)
{
  g_return_val_if_fail (GLOBI_IS_COMPOSER (self), NULL);

  return self->text_view;
}

GtkWidget *
globi_composer_get_send_button (GlobiComposer *self)
{
  g_return_val_if_fail (GLOBI_IS_COMPOSER (self), NULL);

  return GTK_WIDGET (self->send_button);
}
