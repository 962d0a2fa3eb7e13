/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-friend-card-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-client.h"
#include "globi-friend-card-dialog.h"
#include "globi-friend-card.h"
#include "globi-qr-image.h"
#include "globi-ui-util.h"

/* A saved card is printable: about 1024 pixels wide. */
#define PNG_PX 1024

struct _GlobiFriendCardDialog
{
  AdwWindow parent_instance;

  GlobiSession *session;
  GCancellable *cancellable;
  GlobiQrCode *code;
  GdkPixbuf *avatar; /* for the PNG; NULL without an avatar */
  GtkFileChooserNative *chooser;
  gboolean resetting; /* the fetch under way makes a new card */

  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  AdwStatusPage *error_page;
  AdwAvatar *avatar_widget;
  GtkLabel *name_label;
  GtkLabel *username_label;
  GlobiQrImage *qr_image;
  GtkButton *save_button;
  GtkButton *reset_button;
};

G_DEFINE_FINAL_TYPE (GlobiFriendCardDialog, globi_friend_card_dialog, ADW_TYPE_WINDOW)

static void
toast (GlobiFriendCardDialog *self, const char *title)
{
  adw_toast_overlay_add_toast (self->toast_overlay, globi_ui_toast_new (title));
}

static void
on_avatar_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiFriendCardDialog *self = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = globi_client_fetch_blob_finish (GLOBI_CLIENT (source), result, &error);
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GdkPixbufLoader) loader = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GLOBI_FRIEND_CARD_DIALOG (user_data);
  /* Without its avatar the card still works: it only loses the picture. */
  if (!bytes || !(texture = gdk_texture_new_from_bytes (bytes, NULL)))
    return;
  globi_qr_image_set_centre (self->qr_image, GDK_PAINTABLE (texture));
  loader = gdk_pixbuf_loader_new ();
  if (gdk_pixbuf_loader_write_bytes (loader, bytes, NULL) && gdk_pixbuf_loader_close (loader, NULL))
    g_set_object (&self->avatar, gdk_pixbuf_loader_get_pixbuf (loader));
  else
    gdk_pixbuf_loader_close (loader, NULL);
}

static void
show_card (GlobiFriendCardDialog *self, const char *uri)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiQrCode) code = globi_qr_code_new (uri, GLOBI_QR_ECC_H, &error);
  GlobiProfile *me = globi_session_get_me (self->session);
  const char *hash = me ? globi_profile_get_avatar_hash (me) : NULL;

  if (!code)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  g_set_object (&self->code, code);
  globi_qr_image_set_code (self->qr_image, code);
  gtk_stack_set_visible_child_name (self->stack, "card");
  if (hash && !globi_qr_image_get_centre (self->qr_image))
    globi_client_fetch_blob_async (globi_session_get_client (self->session), hash,
                                   self->cancellable, on_avatar_cb, self);
}

static void
on_card_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiFriendCardDialog *self = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = globi_friend_card_fetch_finish (result, &error);
  gboolean reset;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GLOBI_FRIEND_CARD_DIALOG (user_data);
  reset = self->resetting;
  self->resetting = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->reset_button), TRUE);
  if (!uri)
    {
      g_autofree char *text = globi_ui_describe_error (error);

      if (reset && self->code)
        {
          g_autofree char *failure = globi_ui_describe_failure (_ ("Couldn’t reset"), error);

          toast (self, failure);
          return;
        }
      adw_status_page_set_description (self->error_page, text);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  show_card (self, uri);
  if (reset)
    toast (self, _ ("Your QR code was reset. Codes you shared before no longer work."));
}

static void
load (GlobiFriendCardDialog *self, gboolean reset)
{
  if (!reset || !self->code)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  self->resetting = reset;
  globi_friend_card_fetch_async (self->session, reset, self->cancellable, on_card_cb, self);
}

static void
on_retry_cb (GlobiFriendCardDialog *self)
{
  load (self, FALSE);
}

static void
on_save_response_cb (GlobiFriendCardDialog *self, int response, GtkNativeDialog *chooser)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  if (response != GTK_RESPONSE_ACCEPT || !self->code)
    goto out;
  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  path = file ? g_file_get_path (file) : NULL;
  if (!path)
    {
      toast (self, _ ("Couldn’t save: choose a local folder"));
      goto out;
    }
  /* About 1024 pixels: a few milliseconds of work, fine on the main loop. */
  if (!globi_qr_code_save_png (self->code, path, globi_qr_code_scale_for (self->code, PNG_PX),
                               self->avatar, &error))
    {
      g_autofree char *text = g_strdup_printf (_ ("Couldn’t save: %s"), error->message);

      toast (self, text);
    }
  else
    toast (self, _ ("QR code saved"));
out:
  g_clear_object (&self->chooser);
}

static void
on_save_cb (GlobiFriendCardDialog *self)
{
  GlobiProfile *me = globi_session_get_me (self->session);
  g_autofree char *name = NULL;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (!self->code || self->chooser)
    return;
  self->chooser =
      gtk_file_chooser_native_new (_ ("Save QR Code"), GTK_WINDOW (self),
                                   GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Save"), _ ("_Cancel"));
  gtk_file_filter_set_name (filter, _ ("PNG images"));
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  name = g_strdup_printf ("%s-globichat-qr.png", me ? globi_profile_get_username (me) : "my");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (on_save_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_reset_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  GlobiFriendCardDialog *self = user_data;

  if (g_strcmp0 (response, "reset") != 0)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->reset_button), FALSE);
  load (self, TRUE);
}

static void
on_reset_cb (GlobiFriendCardDialog *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_WINDOW (self), _ ("Reset Your QR Code?"),
                              _ ("Codes you shared or saved before stop working. People need "
                                 "your new code to add you.")));

  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "reset", _ ("_Reset"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "reset", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_reset_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
globi_friend_card_dialog_dispose (GObject *object)
{
  GlobiFriendCardDialog *self = GLOBI_FRIEND_CARD_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->code);
  g_clear_object (&self->avatar);
  G_OBJECT_CLASS (globi_friend_card_dialog_parent_class)->dispose (object);
}

static void
globi_friend_card_dialog_class_init (GlobiFriendCardDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_friend_card_dialog_dispose;

  g_type_ensure (GLOBI_TYPE_QR_IMAGE);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/org/globichat/GlobiChat/globi-friend-card-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiFriendCardDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GlobiFriendCardDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, GlobiFriendCardDialog, error_page);
  gtk_widget_class_bind_template_child_full (
      widget_class, "avatar", FALSE, G_STRUCT_OFFSET (GlobiFriendCardDialog, avatar_widget));
  gtk_widget_class_bind_template_child (widget_class, GlobiFriendCardDialog, name_label);
  gtk_widget_class_bind_template_child (widget_class, GlobiFriendCardDialog, username_label);
  gtk_widget_class_bind_template_child (widget_class, GlobiFriendCardDialog, qr_image);
  gtk_widget_class_bind_template_child (widget_class, GlobiFriendCardDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiFriendCardDialog, reset_button);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_save_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_reset_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
globi_friend_card_dialog_init (GlobiFriendCardDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

GlobiFriendCardDialog *
globi_friend_card_dialog_present (GtkWidget *parent, GlobiSession *session)
{
  GlobiFriendCardDialog *self = NULL;
  GlobiProfile *me = NULL;
  GtkRoot *root = NULL;

  g_return_val_if_fail (GTK_IS_WIDGET (parent), NULL);
  g_return_val_if_fail (GLOBI_IS_SESSION (session), NULL);

  self = g_object_new (GLOBI_TYPE_FRIEND_CARD_DIALOG, NULL);
  self->session = g_object_ref (session);
  root = gtk_widget_get_root (parent);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  if ((me = globi_session_get_me (session)))
    {
      g_autofree char *handle = g_strdup_printf ("@%s", globi_profile_get_username (me));

      gtk_label_set_label (self->name_label, globi_profile_get_display_name (me));
      gtk_label_set_label (self->username_label, handle);
      adw_avatar_set_text (self->avatar_widget, globi_profile_get_display_name (me));
      globi_ui_set_avatar_image (self->avatar_widget, session, globi_profile_get_avatar_hash (me));
    }
  load (self, FALSE);
  gtk_window_present (GTK_WINDOW (self));
  return self;
}

GlobiQrCode *
globi_friend_card_dialog_get_code (GlobiFriendCardDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_FRIEND_CARD_DIALOG (self), NULL);
  return self->code;
}
