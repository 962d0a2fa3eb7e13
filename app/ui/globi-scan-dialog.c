/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-scan-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-code.h"
#include "globi-qr-scanner.h"
#include "globi-scan-dialog.h"
#include "globi-ui-util.h"
#include "globi-window.h"

struct _GlobiScanDialog
{
  AdwWindow parent_instance;

  GlobiQrScanner *scanner;
  GCancellable *cancellable;
  GtkStringList *cameras;
  GtkFileChooserNative *chooser;
  gboolean done; /* a code went to the dispatcher */

  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  GtkDropDown *camera_dropdown;
  GtkPicture *preview;
  AdwStatusPage *failed_page;
};

G_DEFINE_FINAL_TYPE (GlobiScanDialog, globi_scan_dialog, ADW_TYPE_WINDOW)

static void
toast (GlobiScanDialog *self, const char *title)
{
  adw_toast_overlay_add_toast (self->toast_overlay, globi_ui_toast_new (title));
}

static void
show_failure (GlobiScanDialog *self, const GError *error)
{
  if (g_error_matches (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NO_CAMERA))
    gtk_stack_set_visible_child_name (self->stack, "no-camera");
  else if (g_error_matches (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_ACCESS_DENIED))
    gtk_stack_set_visible_child_name (self->stack, "denied");
  else
    {
      adw_status_page_set_description (self->failed_page, error ? error->message : NULL);
      gtk_stack_set_visible_child_name (self->stack, "failed");
    }
}

static void
play_selected (GlobiScanDialog *self)
{
  g_autoptr (GError) error = NULL;
  guint index = gtk_drop_down_get_selected (self->camera_dropdown);

  if (index == GTK_INVALID_LIST_POSITION || self->done)
    return;
  gtk_stack_set_visible_child_name (self->stack, "starting");
  if (!globi_qr_scanner_play (self->scanner, index, &error))
    show_failure (self, error);
}

static void
on_opened_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiScanDialog *self = NULL;
  g_autoptr (GError) error = NULL;
  const char *const *names = NULL;

  if (!globi_qr_scanner_open_finish (GLOBI_QR_SCANNER (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GLOBI_SCAN_DIALOG (user_data);
  if (error)
    {
      show_failure (self, error);
      return;
    }
  names = globi_qr_scanner_get_cameras (self->scanner);
  gtk_string_list_splice (self->cameras, 0, g_list_model_get_n_items (G_LIST_MODEL (self->cameras)),
                          names);
  /* Selected while hidden, so that the choice does not start a second pipeline. */
  gtk_widget_set_visible (GTK_WIDGET (self->camera_dropdown), FALSE);
  gtk_drop_down_set_selected (self->camera_dropdown, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->camera_dropdown), g_strv_length ((GStrv) names) > 1);
  play_selected (self);
}

static void
start (GlobiScanDialog *self)
{
  gtk_stack_set_visible_child_name (self->stack, "starting");
  globi_qr_scanner_open_async (self->scanner, self->cancellable, on_opened_cb, self);
}

static void
on_retry_cb (GlobiScanDialog *self)
{
  start (self);
}

static void
on_camera_selected_cb (GlobiScanDialog *self)
{
  /* Only a person's choice: the dialog starts the first camera itself. */
  if (gtk_widget_get_visible (GTK_WIDGET (self->camera_dropdown)))
    play_selected (self);
}

static void
on_state_cb (GlobiScanDialog *self)
{
  switch (globi_qr_scanner_get_state (self->scanner))
    {
      case GLOBI_QR_SCANNER_SCANNING:
        if (!self->done)
          gtk_stack_set_visible_child_name (self->stack, "scanning");
        break;
      case GLOBI_QR_SCANNER_FAILED:
        show_failure (self, globi_qr_scanner_get_error (self->scanner));
        break;
      case GLOBI_QR_SCANNER_IDLE:
      case GLOBI_QR_SCANNER_STARTING:
      default:
        break;
    }
}

static void
on_frame_cb (GlobiScanDialog *self)
{
  guint width = 0, height = 0, stride = 0;
  g_autoptr (GBytes) frame = globi_qr_scanner_get_frame (self->scanner, &width, &height, &stride);
  g_autoptr (GdkTexture) texture = NULL;

  if (!frame)
    return;
  texture = gdk_memory_texture_new ((int) width, (int) height, GDK_MEMORY_R8G8B8, frame, stride);
  gtk_picture_set_paintable (self->preview, GDK_PAINTABLE (texture));
}

void
globi_scan_dialog_take_text (GlobiScanDialog *self, const char *text)
{
  g_autoptr (GError) error = NULL;
  GtkWindow *parent = NULL;

  g_return_if_fail (GLOBI_IS_SCAN_DIALOG (self));

  if (self->done)
    return;
  /* A damaged GlobiChat code is worth a word, not the end of the scan: the camera may
   * read the right one next. */
  if (globi_code_classify (text, NULL, &error) == GLOBI_CODE_INVALID)
    {
      g_autofree char *message =
          g_strdup_printf (_ ("This QR code can’t be used: %s"), error->message);

      toast (self, message);
      return;
    }
  self->done = TRUE;
  globi_qr_scanner_stop (self->scanner);
  gtk_stack_set_visible_child_name (self->stack, "found");
  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (GLOBI_IS_WINDOW (parent))
    globi_window_open_code (GLOBI_WINDOW (parent), text);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_code_found_cb (GlobiScanDialog *self, const char *text)
{
  globi_scan_dialog_take_text (self, text);
}

/* Images: files, drops and the clipboard all end as bytes for the decoder's thread. */
static void
on_decoded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiScanDialog *self = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = globi_qr_decode_bytes_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GLOBI_SCAN_DIALOG (user_data);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (!text)
    {
      toast (self, g_error_matches (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NOT_FOUND)
                       ? _ ("No QR code found in this image")
                       : error->message);
      return;
    }
  globi_scan_dialog_take_text (self, text);
}

static void
decode_bytes (GlobiScanDialog *self, GBytes *bytes)
{
  /* The callback holds a reference: the decoder's thread cannot be cancelled midway. */
  globi_qr_decode_bytes_async (bytes, self->cancellable, on_decoded_cb, self);
}

static void
decode_texture (GlobiScanDialog *self, GdkTexture *texture)
{
  g_autoptr (GBytes) png = gdk_texture_save_to_png_bytes (texture);

  decode_bytes (self, png);
}

static void
on_file_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiScanDialog *self = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GLOBI_SCAN_DIALOG (user_data);
  if (!bytes)
    {
      g_autofree char *message =
          g_strdup_printf (_ ("Couldn’t open the image: %s"), error->message);

      toast (self, message);
      return;
    }
  if (g_bytes_get_size (bytes) > GLOBI_QR_MAX_IMAGE_BYTES)
    {
      toast (self, _ ("The image is too large"));
      return;
    }
  decode_bytes (self, bytes);
}

static void
decode_file (GlobiScanDialog *self, GFile *file)
{
  g_file_load_bytes_async (file, self->cancellable, on_file_loaded_cb, self);
}

static void
on_open_response_cb (GlobiScanDialog *self, int response, GtkNativeDialog *chooser)
{
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))))
    decode_file (self, file);
  g_clear_object (&self->chooser);
}

static void
action_open_image (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  GlobiScanDialog *self = GLOBI_SCAN_DIALOG (widget);
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->chooser)
    return;
  self->chooser =
      gtk_file_chooser_native_new (_ ("Open an Image of a QR Code"), GTK_WINDOW (self),
                                   GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Open"), _ ("_Cancel"));
  gtk_file_filter_set_name (filter, _ ("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_open_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_clipboard_texture_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiScanDialog *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture =
      gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);

  if (!texture)
    toast (self, _ ("Couldn’t read the image on the clipboard"));
  else
    decode_texture (self, texture);
  g_object_unref (self);
}

static void
on_clipboard_text_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiScanDialog *self = user_data;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);

  if (!text)
    toast (self, _ ("Nothing to scan on the clipboard"));
  else
    globi_scan_dialog_take_text (self, text);
  g_object_unref (self);
}

static void
action_paste (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  GlobiScanDialog *self = GLOBI_SCAN_DIALOG (widget);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  /* A screenshot first: copied images often carry a text form too. */
  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, NULL, on_clipboard_texture_cb,
                                      g_object_ref (self));
  else if (gdk_content_formats_contain_gtype (formats, G_TYPE_STRING) ||
           gdk_content_formats_contain_mime_type (formats, "text/plain;charset=utf-8"))
    gdk_clipboard_read_text_async (clipboard, NULL, on_clipboard_text_cb, g_object_ref (self));
  else
    toast (self, _ ("Nothing to scan on the clipboard"));
}

static gboolean
on_drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, gpointer user_data)
{
  GlobiScanDialog *self = user_data;

  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE))
    decode_texture (self, g_value_get_object (value));
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    decode_file (self, g_value_get_object (value));
  else if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST) && g_value_get_boxed (value))
    decode_file (self, ((GSList *) g_value_get_boxed (value))->data);
  else
    return FALSE;
  return TRUE;
}

static void
globi_scan_dialog_dispose (GObject *object)
{
  GlobiScanDialog *self = GLOBI_SCAN_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  if (self->scanner)
    {
      g_signal_handlers_disconnect_by_data (self->scanner, self);
      globi_qr_scanner_stop (self->scanner);
    }
  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->scanner);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (globi_scan_dialog_parent_class)->dispose (object);
}

static void
globi_scan_dialog_class_init (GlobiScanDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_scan_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/globichat/GlobiChat/globi-scan-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiScanDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GlobiScanDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, GlobiScanDialog, camera_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GlobiScanDialog, preview);
  gtk_widget_class_bind_template_child (widget_class, GlobiScanDialog, failed_page);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_cb);

  gtk_widget_class_install_action (widget_class, "scan.open-image", NULL, action_open_image);
  gtk_widget_class_install_action (widget_class, "scan.paste", NULL, action_paste);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "scan.open-image",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "scan.paste",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
globi_scan_dialog_init (GlobiScanDialog *self)
{
  GtkDropTarget *drop = NULL;
  GType types[] = { GDK_TYPE_TEXTURE, GDK_TYPE_FILE_LIST, G_TYPE_FILE };

  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cameras = gtk_string_list_new (NULL);
  gtk_drop_down_set_model (self->camera_dropdown, G_LIST_MODEL (self->cameras));
  g_object_unref (self->cameras);
  g_signal_connect_swapped (self->camera_dropdown, "notify::selected",
                            G_CALLBACK (on_camera_selected_cb), self);

  self->scanner = globi_qr_scanner_new ();
  g_signal_connect_swapped (self->scanner, "code-found", G_CALLBACK (on_code_found_cb), self);
  g_signal_connect_swapped (self->scanner, "frame", G_CALLBACK (on_frame_cb), self);
  g_signal_connect_swapped (self->scanner, "notify::state", G_CALLBACK (on_state_cb), self);

  drop = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (drop, types, G_N_ELEMENTS (types));
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}

GlobiScanDialog *
globi_scan_dialog_present (GtkWidget *parent)
{
  GlobiScanDialog *self = NULL;
  GtkRoot *root = NULL;

  g_return_val_if_fail (GTK_IS_WIDGET (parent), NULL);

  self = g_object_new (GLOBI_TYPE_SCAN_DIALOG, NULL);
  root = gtk_widget_get_root (parent);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  gtk_window_present (GTK_WINDOW (self));
  start (self);
  return self;
}

const char *
globi_scan_dialog_get_state (GlobiScanDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_SCAN_DIALOG (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}
