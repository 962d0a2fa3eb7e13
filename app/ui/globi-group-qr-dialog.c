/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-group-qr-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-client.h"
#include "globi-code.h"
#include "globi-error.h"
#include "globi-group-qr-dialog.h"
#include "globi-qr-image.h"
#include "globi-ui-util.h"

/* docs/protocol.md "Groups": invites live 7 days. */
#define INVITE_TTL_DAYS 7

struct _GlobiGroupQrDialog
{
  AdwWindow parent_instance;

  GlobiMessenger *messenger;
  GlobiGroup *group;
  GCancellable *cancellable;
  char *uri;

  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  AdwStatusPage *error_page;
  GlobiQrImage *qr_image;
  GtkLabel *expiry_label;
  GtkButton *revoke_button;
};

G_DEFINE_FINAL_TYPE (GlobiGroupQrDialog, globi_group_qr_dialog, ADW_TYPE_WINDOW)

static void
on_invite_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiGroupQrDialog *self = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri =
      globi_messenger_create_invite_finish (GLOBI_MESSENGER (source), result, &error);
  g_autoptr (GlobiQrCode) code = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) expires = NULL;
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GLOBI_GROUP_QR_DIALOG (user_data);
  if (uri)
    code = globi_qr_code_new (uri, GLOBI_QR_ECC_Q, &error);
  if (!code)
    {
      g_autofree char *message = globi_ui_describe_error (error);

      adw_status_page_set_description (self->error_page, message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  self->uri = g_steal_pointer (&uri);
  globi_qr_image_set_code (self->qr_image, code);
  /* The server's clock decides; ours is within a minute of it. */
  expires = g_date_time_add_days (now, INVITE_TTL_DAYS);
  when = globi_ui_format_time (g_date_time_to_unix (expires) * 1000);
  text = g_strdup_printf (_ ("Anyone with this code can join until %s"), when);
  gtk_label_set_label (self->expiry_label, text);
  gtk_stack_set_visible_child_name (self->stack, "code");
}

static void
on_revoked_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiGroupQrDialog *self = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GLOBI_GROUP_QR_DIALOG (user_data);
  gtk_widget_set_sensitive (GTK_WIDGET (self->revoke_button), TRUE);
  /* Already gone (expired, or revoked elsewhere) is what was asked for. */
  if (!reply && !g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND))
    {
      g_autofree char *text = globi_ui_describe_failure (_ ("Couldn’t revoke"), error);

      adw_toast_overlay_add_toast (self->toast_overlay, globi_ui_toast_new (text));
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "revoked");
}

static void
on_revoke_cb (GlobiGroupQrDialog *self)
{
  g_autoptr (GlobiCode) code = NULL;
  g_autoptr (GlobiSession) session = NULL;
  g_autofree char *path = NULL;

  if (!self->uri || globi_code_classify (self->uri, &code, NULL) != GLOBI_CODE_JOIN)
    return;
  g_object_get (self->messenger, "session", &session, NULL);
  path = g_strdup_printf ("/v1/groups/%s/invites/%s", code->group_id, code->token);
  gtk_widget_set_sensitive (GTK_WIDGET (self->revoke_button), FALSE);
  globi_client_call_async (globi_session_get_client (session), "DELETE", path, NULL,
                           GLOBI_CALL_FLAGS_AUTH, self->cancellable, on_revoked_cb, self);
}

static void
on_copy_cb (GlobiGroupQrDialog *self)
{
  if (!self->uri)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->uri);
  adw_toast_overlay_add_toast (self->toast_overlay, globi_ui_toast_new (_ ("Invite link copied")));
}

static GtkWidget *
pill (const char *label, const char *style, GCallback callback, gpointer self)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_add_css_class (button, "pill");
  if (style)
    gtk_widget_add_css_class (button, style);
  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", callback, self);
  return button;
}

static GtkWidget *
build_code_page (GlobiGroupQrDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *name = gtk_label_new (globi_group_get_name (self->group));

  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_margin_start (box, 24);
  gtk_widget_set_margin_end (box, 24);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (name, "title-2");
  self->qr_image = GLOBI_QR_IMAGE (globi_qr_image_new ());
  gtk_widget_set_size_request (GTK_WIDGET (self->qr_image), 260, 260);
  gtk_widget_set_halign (GTK_WIDGET (self->qr_image), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->qr_image), "card");
  self->expiry_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->expiry_label, TRUE);
  gtk_label_set_justify (self->expiry_label, GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->expiry_label), "dim-label");
  self->revoke_button =
      GTK_BUTTON (pill (_ ("_Revoke"), "destructive-action", G_CALLBACK (on_revoke_cb), self));

  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->qr_image));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->expiry_label));
  gtk_box_append (GTK_BOX (box),
                  pill (_ ("_Copy Invite Link"), NULL, G_CALLBACK (on_copy_cb), self));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->revoke_button));
  return box;
}

static void
globi_group_qr_dialog_dispose (GObject *object)
{
  GlobiGroupQrDialog *self = GLOBI_GROUP_QR_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->messenger);
  g_clear_object (&self->group);
  g_clear_pointer (&self->uri, g_free);
  G_OBJECT_CLASS (globi_group_qr_dialog_parent_class)->dispose (object);
}

static void
globi_group_qr_dialog_class_init (GlobiGroupQrDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = globi_group_qr_dialog_dispose;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close",
                                       NULL);
}

static void
globi_group_qr_dialog_init (GlobiGroupQrDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _ ("Group QR Code"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 380, 560);
}

/* Built once the group is known: the page shows its name. */
static void
build (GlobiGroupQrDialog *self)
{
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *revoked = adw_status_page_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (spinner, GTK_ALIGN_CENTER);
  gtk_stack_add_named (self->stack, spinner, "loading");
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), build_code_page (self));
  gtk_stack_add_named (self->stack, scrolled, "code");
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (revoked), "emblem-ok-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (revoked), _ ("Invite Revoked"));
  adw_status_page_set_description (ADW_STATUS_PAGE (revoked),
                                   _ ("The code no longer lets anyone join."));
  gtk_stack_add_named (self->stack, revoked, "revoked");
  self->error_page = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->error_page, "dialog-error-symbolic");
  adw_status_page_set_title (self->error_page, _ ("Couldn’t Create an Invite"));
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->error_page), "error");

  gtk_box_append (GTK_BOX (content), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->stack));
  self->toast_overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toast_overlay, content);
  adw_window_set_content (ADW_WINDOW (self), GTK_WIDGET (self->toast_overlay));
}

GlobiGroupQrDialog *
globi_group_qr_dialog_present (GtkWidget *parent, GlobiMessenger *messenger, GlobiGroup *group)
{
  GlobiGroupQrDialog *self = NULL;
  GtkRoot *root = NULL;

  g_return_val_if_fail (GTK_IS_WIDGET (parent), NULL);
  g_return_val_if_fail (GLOBI_IS_MESSENGER (messenger), NULL);
  g_return_val_if_fail (GLOBI_IS_GROUP (group), NULL);

  self = g_object_new (GLOBI_TYPE_GROUP_QR_DIALOG, NULL);
  self->messenger = g_object_ref (messenger);
  self->group = g_object_ref (group);
  build (self);
  root = gtk_widget_get_root (parent);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  gtk_stack_set_visible_child_name (self->stack, "loading");
  globi_messenger_create_invite_async (messenger, globi_group_get_id (group), self->cancellable,
                                       on_invite_cb, self);
  gtk_window_present (GTK_WINDOW (self));
  return self;
}

const char *
globi_group_qr_dialog_get_state (GlobiGroupQrDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP_QR_DIALOG (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
globi_group_qr_dialog_get_uri (GlobiGroupQrDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP_QR_DIALOG (self), NULL);
  return self->uri;
}
