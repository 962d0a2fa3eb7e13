/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-group-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-group-dialog.h"
#include "globi-group-qr-dialog.h"
#include "globi-ui-util.h"

enum
{
  OPEN_CHAT,
  N_SIGNALS
};

struct _GlobiGroupDialog
{
  AdwWindow parent_instance;

  AdwToastOverlay *toasts;
  GtkEditable *name;
  GtkWidget *pick_group;
  GtkWidget *main_button;
  GPtrArray *checks; /* GtkCheckButton with "user-id" */
  GlobiMessenger *messenger;
  GlobiGroup *group;
  GCancellable *cancellable;
  guint rebuild_source;
};

G_DEFINE_FINAL_TYPE (GlobiGroupDialog, globi_group_dialog, ADW_TYPE_WINDOW)

static guint signals[N_SIGNALS];

static void
toast (GlobiGroupDialog *self, const char *text)
{
  adw_toast_overlay_add_toast (self->toasts, globi_ui_toast_new (text));
}

static gboolean
report (GlobiGroupDialog *self, const char *what, const GError *error)
{
  g_autofree char *text = NULL;

  if (!error)
    return FALSE;
  text = globi_ui_describe_failure (what, error);
  if (text)
    toast (self, text);
  return TRUE;
}

/* The user ids ticked in the friends list. */
static GStrv
dup_picked (GlobiGroupDialog *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < self->checks->len; i++)
    if (gtk_check_button_get_active (self->checks->pdata[i]))
      g_strv_builder_add (builder, g_object_get_data (self->checks->pdata[i], "user-id"));
  return g_strv_builder_end (builder);
}

static void
on_created_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiGroupDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiGroup) group = NULL;
  g_autofree char *chat_id = NULL;

  group = globi_messenger_group_finish (GLOBI_MESSENGER (object), result, &error);
  gtk_widget_set_sensitive (self->main_button, TRUE);
  if (report (self, _ ("Couldn’t create the group"), error))
    return;
  chat_id = globi_chat_id_for_group (globi_group_get_id (group));
  g_signal_emit (self, signals[OPEN_CHAT], 0, chat_id);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiGroupDialog) self = user_data;
  g_autoptr (GError) error = NULL;

  globi_messenger_finish (GLOBI_MESSENGER (object), result, &error);
  if (!report (self, _ ("Couldn’t change the group"), error))
    toast (self, _ ("Group updated"));
}

static void
on_left_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiGroupDialog) self = user_data;
  g_autoptr (GError) error = NULL;

  globi_messenger_finish (GLOBI_MESSENGER (object), result, &error);
  if (!report (self, _ ("Couldn’t leave the group"), error))
    gtk_window_close (GTK_WINDOW (self));
}

static void
on_main_clicked_cb (GlobiGroupDialog *self)
{
  g_auto (GStrv) picked = dup_picked (self);
  g_autofree char *name = g_strdup (gtk_editable_get_text (self->name));

  if (!self->group)
    {
      if (!*g_strstrip (name))
        {
          toast (self, _ ("Give the group a name"));
          return;
        }
      gtk_widget_set_sensitive (self->main_button, FALSE);
      globi_messenger_create_group_async (self->messenger, name, (const char *const *) picked,
                                          self->cancellable, on_created_cb, g_object_ref (self));
      return;
    }
  if (!picked[0])
    return;
  globi_messenger_add_members_async (self->messenger, globi_group_get_id (self->group),
                                     (const char *const *) picked, self->cancellable, on_done_cb,
                                     g_object_ref (self));
}

static void
on_member_remove_cb (GtkButton *button, GlobiGroupDialog *self)
{
  globi_messenger_remove_member_async (self->messenger, globi_group_get_id (self->group),
                                       g_object_get_data (G_OBJECT (button), "user-id"),
                                       self->cancellable, on_done_cb, g_object_ref (self));
}

static void
on_member_transfer_cb (GtkButton *button, GlobiGroupDialog *self)
{
  globi_messenger_transfer_group_async (self->messenger, globi_group_get_id (self->group),
                                        g_object_get_data (G_OBJECT (button), "user-id"),
                                        self->cancellable, on_done_cb, g_object_ref (self));
}

static void
on_member_admin_cb (GtkButton *button, GlobiGroupDialog *self)
{
  const char *user_id = g_object_get_data (G_OBJECT (button), "user-id");
  gboolean admin = globi_group_get_member_role (self->group, user_id) != GLOBI_GROUP_ROLE_ADMIN;

  globi_messenger_set_admin_async (self->messenger, globi_group_get_id (self->group), user_id,
                                   admin, self->cancellable, on_done_cb, g_object_ref (self));
}

static void
on_name_applied_cb (AdwEntryRow *row, GlobiGroupDialog *self)
{
  g_autofree char *name = g_strdup (gtk_editable_get_text (GTK_EDITABLE (row)));

  if (!*g_strstrip (name))
    {
      toast (self, _ ("Give the group a name"));
      return;
    }
  globi_messenger_update_group_async (self->messenger, globi_group_get_id (self->group), name, NULL,
                                      self->cancellable, on_done_cb, g_object_ref (self));
}

static void
on_announcement_applied_cb (AdwEntryRow *row, GlobiGroupDialog *self)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (row)));

  globi_messenger_update_group_async (self->messenger, globi_group_get_id (self->group), NULL,
                                      g_strstrip (text), self->cancellable, on_done_cb,
                                      g_object_ref (self));
}

static void
on_leave_clicked_cb (GlobiGroupDialog *self)
{
  globi_messenger_remove_member_async (self->messenger, globi_group_get_id (self->group), NULL,
                                       self->cancellable, on_left_cb, g_object_ref (self));
}

static void
on_invite_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiGroupDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;

  uri = globi_messenger_create_invite_finish (GLOBI_MESSENGER (object), result, &error);
  if (report (self, _ ("Couldn’t create an invite link"), error))
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), uri);
  toast (self, _ ("Invite link copied"));
}

/* The same invite as a join QR code (app/ui/globi-group-qr-dialog.c). */
static void
on_invite_qr_clicked_cb (GlobiGroupDialog *self)
{
  globi_group_qr_dialog_present (GTK_WIDGET (self), self->messenger, self->group);
}

static void
on_invite_clicked_cb (GlobiGroupDialog *self)
{
  globi_messenger_create_invite_async (self->messenger, globi_group_get_id (self->group),
                                       self->cancellable, on_invite_cb, g_object_ref (self));
}

static const char *
role_label (GlobiGroupRole role)
{
  switch (role)
    {
      case GLOBI_GROUP_ROLE_OWNER:
        return _ ("Owner");
      case GLOBI_GROUP_ROLE_ADMIN:
        return _ ("Admin");
      case GLOBI_GROUP_ROLE_MEMBER:
      default:
        return _ ("Member");
    }
}

static GtkWidget *
new_icon_button (const char *icon_name, const char *tooltip, const char *user_id)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
  g_object_set_data_full (G_OBJECT (button), "user-id", g_strdup (user_id), g_free);
  return button;
}

static GtkWidget *
build_members (GlobiGroupDialog *self)
{
  GtkWidget *group = adw_preferences_group_new ();
  GListModel *members = globi_group_get_members (self->group);
  GlobiSession *session = globi_messenger_get_session (self->messenger);
  const char *me = globi_profile_get_id (globi_session_get_me (session));
  GlobiGroupRole my_role = globi_group_get_my_role (self->group);
  g_autofree char *title =
      g_strdup_printf (_ ("Members (%u)"), globi_group_get_member_count (self->group));

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr (GlobiProfile) member = g_list_model_get_item (members, i);
      const char *id = globi_profile_get_id (member);
      GlobiGroupRole role = globi_group_get_member_role (self->group, id);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     globi_profile_get_display_name (member));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), role_label (role));
      adw_action_row_add_prefix (
          ADW_ACTION_ROW (row), adw_avatar_new (32, globi_profile_get_display_name (member), TRUE));
      if (g_strcmp0 (id, me) != 0 && my_role > role)
        {
          GtkWidget *remove =
              new_icon_button ("list-remove-symbolic", _ ("Remove from the group"), id);
          g_signal_connect_object (remove, "clicked", G_CALLBACK (on_member_remove_cb), self, 0);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
        }
      if (g_strcmp0 (id, me) != 0 && my_role == GLOBI_GROUP_ROLE_OWNER)
        {
          GtkWidget *admin = new_icon_button (
              role == GLOBI_GROUP_ROLE_ADMIN ? "system-users-symbolic" : "avatar-default-symbolic",
              role == GLOBI_GROUP_ROLE_ADMIN ? _ ("Remove as admin") : _ ("Make admin"), id);
          g_signal_connect_object (admin, "clicked", G_CALLBACK (on_member_admin_cb), self, 0);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), admin);
        }
      if (g_strcmp0 (id, me) != 0 && my_role == GLOBI_GROUP_ROLE_OWNER)
        {
          GtkWidget *transfer =
              new_icon_button ("starred-symbolic", _ ("Make owner of the group"), id);
          g_signal_connect_object (transfer, "clicked", G_CALLBACK (on_member_transfer_cb), self,
                                   0);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), transfer);
        }
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  return group;
}

static gboolean
is_member (GlobiGroup *group, const char *user_id)
{
  GListModel *members = globi_group_get_members (group);

  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr (GlobiProfile) member = g_list_model_get_item (members, i);
      if (g_strcmp0 (globi_profile_get_id (member), user_id) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Friends to pick, skipping those already in the group. */
static GtkWidget *
build_picker (GlobiGroupDialog *self)
{
  GtkWidget *group = adw_preferences_group_new ();
  GListModel *contacts = globi_messenger_get_contacts (self->messenger);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group),
                                   self->group ? _ ("Add friends") : _ ("Members"));
  for (guint i = 0; i < g_list_model_get_n_items (contacts); i++)
    {
      g_autoptr (GlobiContact) contact = g_list_model_get_item (contacts, i);
      const char *id = globi_contact_get_user_id (contact);
      GtkWidget *row = NULL;
      GtkWidget *check = NULL;

      if (self->group && is_member (self->group, id))
        continue;
      row = adw_action_row_new ();
      check = gtk_check_button_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), globi_contact_get_name (contact));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_object_set_data_full (G_OBJECT (check), "user-id", g_strdup (id), g_free);
      g_ptr_array_add (self->checks, check);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  if (self->checks->len == 0)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                           _ ("Friends you add appear here."));
  return group;
}

static void
build (GlobiGroupDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *top = adw_preferences_group_new ();
  GtkWidget *name = adw_entry_row_new ();

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  self->main_button = gtk_button_new_with_mnemonic (self->group ? _ ("_Add") : _ ("_Create"));
  gtk_widget_add_css_class (self->main_button, "suggested-action");
  g_signal_connect_swapped (self->main_button, "clicked", G_CALLBACK (on_main_clicked_cb), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->main_button);
  adw_header_bar_set_title_widget (
      ADW_HEADER_BAR (header),
      adw_window_title_new (self->group ? globi_group_get_name (self->group) : _ ("New group"),
                            NULL));
  gtk_box_append (GTK_BOX (box), header);

  self->name = GTK_EDITABLE (name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (name), _ ("Group name"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (top), name);
  if (self->group)
    {
      const char *text = globi_group_get_announcement (self->group);
      gboolean can_edit = globi_group_get_my_role (self->group) >= GLOBI_GROUP_ROLE_ADMIN;

      gtk_editable_set_text (self->name, globi_group_get_name (self->group));
      gtk_editable_set_editable (self->name, can_edit);
      if (can_edit)
        {
          /* Owner and admins rename and announce (applied with the row's ✓ button). */
          GtkWidget *announcement = adw_entry_row_new ();

          adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (name), TRUE);
          g_signal_connect_object (name, "apply", G_CALLBACK (on_name_applied_cb), self, 0);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (announcement), _ ("Announcement"));
          gtk_editable_set_text (GTK_EDITABLE (announcement), text ? text : "");
          gtk_editable_set_max_width_chars (GTK_EDITABLE (announcement), 2000);
          adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (announcement), TRUE);
          g_signal_connect_object (announcement, "apply", G_CALLBACK (on_announcement_applied_cb),
                                   self, 0);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (top), announcement);
        }
      else
        {
          GtkWidget *announcement = adw_action_row_new ();

          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (announcement), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (announcement), _ ("Announcement"));
          adw_action_row_set_subtitle (ADW_ACTION_ROW (announcement),
                                       text && *text ? text : _ ("None"));
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (top), announcement);
        }
    }
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (top));
  if (self->group)
    adw_preferences_page_add (ADW_PREFERENCES_PAGE (page),
                              ADW_PREFERENCES_GROUP (build_members (self)));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page),
                            ADW_PREFERENCES_GROUP (build_picker (self)));
  if (self->group)
    {
      GtkWidget *actions = adw_preferences_group_new ();
      GtkWidget *invite = gtk_button_new_with_mnemonic (_ ("Copy _Invite Link"));
      GtkWidget *invite_qr = gtk_button_new_with_mnemonic (_ ("Show Invite _QR Code"));
      GtkWidget *leave = gtk_button_new_with_mnemonic (_ ("_Leave Group"));

      gtk_widget_add_css_class (leave, "destructive-action");
      gtk_widget_set_halign (invite, GTK_ALIGN_CENTER);
      gtk_widget_set_halign (leave, GTK_ALIGN_CENTER);
      gtk_widget_set_margin_top (leave, 6);
      gtk_widget_set_halign (invite_qr, GTK_ALIGN_CENTER);
      gtk_widget_set_margin_top (invite_qr, 6);
      g_signal_connect_swapped (invite_qr, "clicked", G_CALLBACK (on_invite_qr_clicked_cb), self);
      g_signal_connect_swapped (invite, "clicked", G_CALLBACK (on_invite_clicked_cb), self);
      g_signal_connect_swapped (leave, "clicked", G_CALLBACK (on_leave_clicked_cb), self);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (actions), invite);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (actions), invite_qr);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (actions), leave);
      adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (actions));
    }
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_toast_overlay_set_child (self->toasts, box);
  adw_window_set_content (ADW_WINDOW (self), GTK_WIDGET (self->toasts));
}

static gboolean
rebuild_cb (gpointer user_data)
{
  GlobiGroupDialog *self = user_data;

  self->rebuild_source = 0;
  g_ptr_array_set_size (self->checks, 0);
  build (self);
  return G_SOURCE_REMOVE;
}

/* Members, roles and texts follow the group (once per burst of changes). */
static void
on_group_changed_cb (GlobiGroupDialog *self)
{
  if (!self->rebuild_source)
    self->rebuild_source = g_idle_add (rebuild_cb, self);
}

static void
globi_group_dialog_dispose (GObject *object)
{
  GlobiGroupDialog *self = GLOBI_GROUP_DIALOG (object);

  g_clear_handle_id (&self->rebuild_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->messenger);
  g_clear_object (&self->group);

  G_OBJECT_CLASS (globi_group_dialog_parent_class)->dispose (object);
}

static void
globi_group_dialog_finalize (GObject *object)
{
  GlobiGroupDialog *self = GLOBI_GROUP_DIALOG (object);

  g_clear_pointer (&self->checks, g_ptr_array_unref);

  G_OBJECT_CLASS (globi_group_dialog_parent_class)->finalize (object);
}

static void
globi_group_dialog_class_init (GlobiGroupDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_group_dialog_dispose;
  object_class->finalize = globi_group_dialog_finalize;

  signals[OPEN_CHAT] = g_signal_new ("open-chat", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
globi_group_dialog_init (GlobiGroupDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->checks = g_ptr_array_new ();
  gtk_window_set_default_size (GTK_WINDOW (self), 420, 560);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);
}

GlobiGroupDialog *
globi_group_dialog_new (GtkWindow *parent, GlobiMessenger *messenger, GlobiGroup *group)
{
  GlobiGroupDialog *self = NULL;

  g_return_val_if_fail (GLOBI_IS_MESSENGER (messenger), NULL);

  self = g_object_new (GLOBI_TYPE_GROUP_DIALOG, "transient-for", parent, NULL);
  self->messenger = g_object_ref (messenger);
  self->group = group ? g_object_ref (group) : NULL;
  build (self);
  if (group)
    {
      g_signal_connect_object (group, "notify", G_CALLBACK (on_group_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (globi_group_get_members (group), "items-changed",
                               G_CALLBACK (on_group_changed_cb), self, G_CONNECT_SWAPPED);
    }
  return self;
}
