/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-image-viewer"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-image-viewer.h"
#include "globi-ui-util.h"

struct _GlobiImageViewer
{
  AdwWindow parent_instance;

  GFile *file;
  char *name;
};

G_DEFINE_FINAL_TYPE (GlobiImageViewer, globi_image_viewer, ADW_TYPE_WINDOW)

typedef struct
{
  GtkWindow *parent;
  GFile *source;
} SaveAs;

static void
save_as_free (SaveAs *s)
{
  g_clear_object (&s->parent);
  g_clear_object (&s->source);
  g_free (s);
}

static void
on_copied_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GtkWindow) parent = user_data;
  g_autoptr (GError) error = NULL;

  if (g_file_copy_finish (G_FILE (object), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  {
    GtkWidget *dialog =
        adw_message_dialog_new (parent, _ ("Couldn’t save the file"), error->message);

    adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
    gtk_window_present (GTK_WINDOW (dialog));
  }
}

static void
on_save_response_cb (GtkNativeDialog *chooser, int response, gpointer user_data)
{
  SaveAs *s = user_data;
  g_autoptr (GFile) target = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    target = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (target != NULL)
    g_file_copy_async (s->source, target, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT, NULL, NULL,
                       NULL, on_copied_cb, s->parent ? g_object_ref (s->parent) : NULL);
  save_as_free (s);
  g_object_unref (chooser);
}

void
globi_attachment_save_as (GtkWindow *parent, GFile *file, const char *name)
{
  GtkFileChooserNative *chooser = NULL;
  SaveAs *s = NULL;

  g_return_if_fail (G_IS_FILE (file));

  chooser = gtk_file_chooser_native_new (_ ("Save File"), parent, GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _ ("_Save"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (name && *name)
    {
      /* A name from the sender: its last component only. */
      g_autofree char *base = g_path_get_basename (name);
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), base);
    }
  s = g_new0 (SaveAs, 1);
  s->parent = parent ? g_object_ref (parent) : NULL;
  s->source = g_object_ref (file);
  g_signal_connect (chooser, "response", G_CALLBACK (on_save_response_cb), s);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_save_clicked_cb (GlobiImageViewer *self)
{
  globi_attachment_save_as (GTK_WINDOW (self), self->file, self->name);
}

static void
globi_image_viewer_dispose (GObject *object)
{
  GlobiImageViewer *self = GLOBI_IMAGE_VIEWER (object);

  g_clear_object (&self->file);

  G_OBJECT_CLASS (globi_image_viewer_parent_class)->dispose (object);
}

static void
globi_image_viewer_finalize (GObject *object)
{
  GlobiImageViewer *self = GLOBI_IMAGE_VIEWER (object);

  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (globi_image_viewer_parent_class)->finalize (object);
}

static void
globi_image_viewer_class_init (GlobiImageViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_image_viewer_dispose;
  object_class->finalize = globi_image_viewer_finalize;
}

static void
globi_image_viewer_init (GlobiImageViewer *self)
{
  gtk_window_set_default_size (GTK_WINDOW (self), 720, 560);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
}

GlobiImageViewer *
globi_image_viewer_new (GtkWindow *parent, GFile *file, const char *name)
{
  GlobiImageViewer *self = NULL;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *save = gtk_button_new_with_mnemonic (_ ("_Save"));
  GtkWidget *picture = NULL;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (GLOBI_TYPE_IMAGE_VIEWER, "transient-for", parent, NULL);
  self->file = g_object_ref (file);
  self->name = g_strdup (name);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header),
                                   adw_window_title_new (name ? name : _ ("Image"), NULL));
  g_signal_connect_swapped (save, "clicked", G_CALLBACK (on_save_clicked_cb), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), save);
  gtk_box_append (GTK_BOX (box), header);
  picture = gtk_picture_new_for_file (file);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_set_vexpand (picture, TRUE);
  gtk_widget_add_css_class (picture, "image-viewer");
  gtk_box_append (GTK_BOX (box), picture);
  adw_window_set_content (ADW_WINDOW (self), box);
  return self;
}
