/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-add-friend-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-add-friend-dialog.h"
#include "globi-error.h"
#include "globi-friend-card.h"
#include "globi-ui-util.h"
#include "globi-window.h"

struct _GlobiAddFriendDialog
{
  AdwWindow parent_instance;

  GlobiSession *session;
  GCancellable *cancellable;
  char *user_id;
  char *card;

  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  AdwStatusPage *error_page;
  AdwAvatar *avatar;
  GtkLabel *name_label;
  GtkLabel *username_label;
  GtkLabel *bio_label;
  GtkEditable *greeting;
  GtkButton *add_button;
};

G_DEFINE_FINAL_TYPE (GlobiAddFriendDialog, globi_add_friend_dialog, ADW_TYPE_WINDOW)

static void
show_error (GlobiAddFriendDialog *self, const char *title, const char *description)
{
  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, description);
  gtk_stack_set_visible_child_name (self->stack, "error");
}

static void
on_requested_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiAddFriendDialog *self = NULL;
  g_autoptr (GError) error = NULL;
  gboolean friends = FALSE;
  GtkWindow *parent = NULL;

  if (!globi_friend_card_request_finish (result, &friends, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GLOBI_ADD_FRIEND_DIALOG (user_data);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), TRUE);
  if (error)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN))
        text = g_strdup (_ ("They don’t accept friend requests"));
      else if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT))
        text = g_strdup (_ ("You are friends already"));
      else
        text = globi_ui_describe_failure (_ ("Couldn’t send the request"), error);
      adw_toast_overlay_add_toast (self->toast_overlay, globi_ui_toast_new (text));
      return;
    }
  /* The result outlives this dialog: the window's toast says it. */
  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (parent)
    {
      g_autofree char *text = friends ? g_strdup_printf (_ ("You and %s are friends now"),
                                                         gtk_label_get_label (self->name_label))
                                      : g_strdup_printf (_ ("Friend request sent to %s"),
                                                         gtk_label_get_label (self->name_label));

      if (GLOBI_IS_WINDOW (parent))
        globi_window_add_toast (GLOBI_WINDOW (parent), text);
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_add_cb (GlobiAddFriendDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), FALSE);
  globi_friend_card_request_async (self->session, self->user_id, self->card,
                                   gtk_editable_get_text (self->greeting), self->cancellable,
                                   on_requested_cb, self);
}

static void
on_resolved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiAddFriendDialog *self = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiProfile) person = globi_friend_card_resolve_finish (result, &error);
  g_autofree char *handle = NULL;
  const char *bio = NULL;
  GlobiProfile *me = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = GLOBI_ADD_FRIEND_DIALOG (user_data);
  if (!person)
    {
      g_autofree char *text = globi_ui_describe_error (error);

      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND))
        show_error (self, _ ("QR Code No Longer Valid"),
                    _ ("Its owner has reset it. Ask them for their new QR code."));
      else
        show_error (self, _ ("Couldn’t Open This QR Code"), text);
      return;
    }
  me = globi_session_get_me (self->session);
  if (me && g_strcmp0 (globi_profile_get_id (me), globi_profile_get_id (person)) == 0)
    {
      show_error (self, _ ("This Is Your QR Code"),
                  _ ("Show it to someone so they can add you as a friend."));
      return;
    }
  handle = g_strdup_printf ("@%s", globi_profile_get_username (person));
  gtk_label_set_label (self->name_label, globi_profile_get_display_name (person));
  gtk_label_set_label (self->username_label, handle);
  bio = globi_profile_get_bio (person);
  gtk_label_set_label (self->bio_label, bio);
  gtk_widget_set_visible (GTK_WIDGET (self->bio_label), bio && *bio);
  adw_avatar_set_text (self->avatar, globi_profile_get_display_name (person));
  globi_ui_set_avatar_image (self->avatar, self->session,
                             globi_profile_get_thumbnail_hash (person));
  gtk_stack_set_visible_child_name (self->stack, "person");
  gtk_widget_grab_focus (GTK_WIDGET (self->add_button));
}

static GtkWidget *
build_person_page (GlobiAddFriendDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *row = adw_entry_row_new ();

  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_margin_start (box, 24);
  gtk_widget_set_margin_end (box, 24);

  self->avatar = ADW_AVATAR (adw_avatar_new (96, NULL, TRUE));
  gtk_widget_set_halign (GTK_WIDGET (self->avatar), GTK_ALIGN_CENTER);
  self->name_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->name_label), "title-2");
  gtk_label_set_ellipsize (self->name_label, PANGO_ELLIPSIZE_END);
  self->username_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->username_label), "dim-label");
  self->bio_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->bio_label, TRUE);
  gtk_label_set_justify (self->bio_label, GTK_JUSTIFY_CENTER);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Greeting"));
  self->greeting = GTK_EDITABLE (row);
  gtk_editable_set_text (self->greeting, _ ("Hi, I scanned your QR code!"));
  /* The server's limit for greetings. */
  gtk_editable_set_max_width_chars (self->greeting, 100);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  gtk_widget_set_margin_top (group, 12);

  self->add_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_ ("_Add Friend")));
  gtk_widget_add_css_class (GTK_WIDGET (self->add_button), "pill");
  gtk_widget_add_css_class (GTK_WIDGET (self->add_button), "suggested-action");
  gtk_widget_set_halign (GTK_WIDGET (self->add_button), GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (GTK_WIDGET (self->add_button), 12);
  g_signal_connect_swapped (self->add_button, "clicked", G_CALLBACK (on_add_cb), self);

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->avatar));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->name_label));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->username_label));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->bio_label));
  gtk_box_append (GTK_BOX (box), group);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->add_button));
  return box;
}

static void
globi_add_friend_dialog_dispose (GObject *object)
{
  GlobiAddFriendDialog *self = GLOBI_ADD_FRIEND_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_pointer (&self->user_id, g_free);
  g_clear_pointer (&self->card, g_free);
  G_OBJECT_CLASS (globi_add_friend_dialog_parent_class)->dispose (object);
}

static void
globi_add_friend_dialog_class_init (GlobiAddFriendDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = globi_add_friend_dialog_dispose;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close",
                                       NULL);
}

static void
globi_add_friend_dialog_init (GlobiAddFriendDialog *self)
{
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  self->cancellable = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _ ("Add Friend"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 400, 520);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (spinner, GTK_ALIGN_CENTER);
  gtk_stack_add_named (self->stack, spinner, "loading");
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), build_person_page (self));
  gtk_stack_add_named (self->stack, scrolled, "person");
  self->error_page = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->error_page, "dialog-warning-symbolic");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->error_page), "error");

  gtk_box_append (GTK_BOX (content), header);
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->stack));
  self->toast_overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toast_overlay, content);
  adw_window_set_content (ADW_WINDOW (self), GTK_WIDGET (self->toast_overlay));
}

GlobiAddFriendDialog *
globi_add_friend_dialog_present (GtkWidget *parent,
                                 GlobiSession *session,
                                 const char *user_id,
                                 const char *card)
{
  GlobiAddFriendDialog *self = NULL;
  GtkRoot *root = NULL;

  g_return_val_if_fail (GTK_IS_WIDGET (parent), NULL);
  g_return_val_if_fail (GLOBI_IS_SESSION (session), NULL);
  g_return_val_if_fail (user_id != NULL && card != NULL, NULL);

  self = g_object_new (GLOBI_TYPE_ADD_FRIEND_DIALOG, NULL);
  self->session = g_object_ref (session);
  self->user_id = g_strdup (user_id);
  self->card = g_strdup (card);
  root = gtk_widget_get_root (parent);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  gtk_stack_set_visible_child_name (self->stack, "loading");
  globi_friend_card_resolve_async (session, user_id, card, self->cancellable, on_resolved_cb, self);
  gtk_window_present (GTK_WINDOW (self));
  return self;
}

const char *
globi_add_friend_dialog_get_state (GlobiAddFriendDialog *self)
{
  g_return_val_if_fail (GLOBI_IS_ADD_FRIEND_DIALOG (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}
