/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-contacts-view"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-contacts-view.h"
#include "globi-error.h"
#include "globi-ui-util.h"
#include "globi-window.h"

enum
{
  OPEN_CHAT,
  N_SIGNALS
};

struct _GlobiContactsView
{
  GtkWidget parent_instance;

  AdwLeaflet *leaflet;
  GtkWidget *content_pane;
  GtkMenuButton *menu_button;
  GtkSearchEntry *search_entry;
  GtkLabel *requests_badge;
  GtkListBox *friends;
  GtkListBox *requests;
  GtkStack *content_stack;
  AdwWindowTitle *content_title;
  GtkEditable *add_username;
  GtkEditable *add_greeting;
  GtkWidget *add_button;
  GtkWidget *find_button;
  AdwActionRow *found_row;
  AdwAvatar *found_avatar;
  GlobiProfile *found;

  /* The friend's page. */
  AdwAvatar *contact_avatar;
  GtkLabel *contact_name;
  GtkLabel *contact_username;
  GtkEditable *contact_remark;
  GtkLabel *safety_number;
  GtkWidget *verify_button;
  GtkWidget *block_button;

  GlobiMessenger *messenger;
  GtkFilterListModel *filtered;
  GtkCustomFilter *filter;
  GlobiContact *contact;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (GlobiContactsView, globi_contacts_view, GTK_TYPE_WIDGET)

static guint signals[N_SIGNALS];

static void
show_toast (GlobiContactsView *self, const char *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (GLOBI_IS_WINDOW (root))
    globi_window_add_toast (GLOBI_WINDOW (root), text);
}

/* Every action here finishes the same way: a toast on failure, one on success. */
typedef struct
{
  GlobiContactsView *self;
  char *failure;
  char *success;
} Action;

static Action *
action_new (GlobiContactsView *self, const char *failure, const char *success)
{
  Action *action = g_new0 (Action, 1);

  action->self = g_object_ref (self);
  action->failure = g_strdup (failure);
  action->success = g_strdup (success);
  return action;
}

static void
on_action_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Action *action = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_messenger_finish (GLOBI_MESSENGER (object), result, &error))
    {
      g_autofree char *text = globi_ui_describe_failure (action->failure, error);
      if (text)
        show_toast (action->self, text);
    }
  else if (action->success)
    show_toast (action->self, action->success);
  g_object_unref (action->self);
  g_free (action->failure);
  g_free (action->success);
  g_free (action);
}

static GtkWidget *
new_button (const char *label, const char *css_class)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  if (css_class)
    gtk_widget_add_css_class (button, css_class);
  return button;
}

static GtkWidget *
new_header (GlobiContactsView *self, GtkWidget *title, gboolean content)
{
  GtkWidget *header = adw_header_bar_new ();

  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), title);
  g_object_bind_property (self->leaflet, "folded", header,
                          content ? "show-start-title-buttons" : "show-end-title-buttons",
                          G_BINDING_SYNC_CREATE);
  return header;
}

/* ---- lists ---- */

static gboolean
filter_contact_cb (gpointer item, gpointer user_data)
{
  GlobiContactsView *self = user_data;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *name = NULL;
  g_autofree char *username = NULL;
  g_autofree char *needle = NULL;

  if (!query || !*query)
    return TRUE;
  needle = g_utf8_casefold (query, -1);
  name = g_utf8_casefold (globi_contact_get_name (item), -1);
  username = g_utf8_casefold (globi_contact_get_username (item), -1);
  return strstr (name, needle) || strstr (username, needle);
}

static GtkWidget *
create_friend_row_cb (gpointer item, gpointer user_data)
{
  GlobiContact *contact = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *avatar = adw_avatar_new (36, globi_contact_get_name (contact), TRUE);
  g_autofree char *at = g_strdup_printf ("@%s", globi_contact_get_username (contact));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), globi_contact_get_name (contact));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), at);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), avatar);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "contact", g_object_ref (contact), g_object_unref);
  return row;
}

static char *
dup_initial (GtkListBoxRow *row)
{
  GlobiContact *contact = g_object_get_data (G_OBJECT (row), "contact");
  const char *name = contact ? globi_contact_get_name (contact) : NULL;
  gunichar c = name && *name ? g_unichar_toupper (g_utf8_get_char (name)) : '#';
  char buf[8] = { 0 };

  if (!g_unichar_isalpha (c))
    c = '#';
  g_unichar_to_utf8 (c, buf);
  return g_strdup (buf);
}

/* A letter heads each run of names with the same initial (A–Z sections). */
static void
friend_header_cb (GtkListBoxRow *row, GtkListBoxRow *before, gpointer user_data)
{
  g_autofree char *initial = dup_initial (row);
  g_autofree char *previous = before ? dup_initial (before) : NULL;
  GtkWidget *header = NULL;

  if (previous && g_str_equal (initial, previous))
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }
  header = gtk_label_new (initial);
  gtk_label_set_xalign (GTK_LABEL (header), 0);
  gtk_widget_add_css_class (header, "heading");
  gtk_widget_add_css_class (header, "dim-label");
  gtk_widget_set_margin_start (header, 12);
  gtk_widget_set_margin_top (header, 6);
  gtk_list_box_row_set_header (row, header);
}

static void
on_request_accept_cb (GtkButton *button, GlobiContactsView *self)
{
  GlobiFriendRequest *request = g_object_get_data (G_OBJECT (button), "request");

  globi_messenger_accept_friend_async (
      self->messenger, globi_friend_request_get_id (request), self->cancellable, on_action_done_cb,
      action_new (self, _ ("Couldn’t accept"), _ ("You are now friends")));
}

static void
on_request_decline_cb (GtkButton *button, GlobiContactsView *self)
{
  GlobiFriendRequest *request = g_object_get_data (G_OBJECT (button), "request");

  globi_messenger_decline_friend_async (self->messenger, globi_friend_request_get_id (request),
                                        self->cancellable, on_action_done_cb,
                                        action_new (self, _ ("Couldn’t decline"), NULL));
}

static GtkWidget *
create_request_row_cb (gpointer item, gpointer user_data)
{
  GlobiContactsView *self = user_data;
  GlobiFriendRequest *request = item;
  GlobiProfile *from = globi_friend_request_get_from (request);
  const char *greeting = globi_friend_request_get_greeting (request);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *accept = new_button (_ ("_Accept"), "suggested-action");
  GtkWidget *decline = new_button (_ ("_Decline"), NULL);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), globi_profile_get_display_name (from));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               greeting && *greeting ? greeting : _ ("Wants to be your friend"));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             adw_avatar_new (36, globi_profile_get_display_name (from), TRUE));
  g_object_set_data_full (G_OBJECT (accept), "request", g_object_ref (request), g_object_unref);
  g_object_set_data_full (G_OBJECT (decline), "request", g_object_ref (request), g_object_unref);
  g_signal_connect_object (accept, "clicked", G_CALLBACK (on_request_accept_cb), self, 0);
  g_signal_connect_object (decline, "clicked", G_CALLBACK (on_request_decline_cb), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), decline);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), accept);
  return row;
}

static void
update_badge (GlobiContactsView *self)
{
  guint n = self->messenger
                ? g_list_model_get_n_items (globi_messenger_get_requests (self->messenger))
                : 0;
  g_autofree char *text = g_strdup_printf ("%u", n);

  gtk_label_set_label (self->requests_badge, text);
  gtk_widget_set_visible (GTK_WIDGET (self->requests_badge), n > 0);
}

static void
on_search_changed_cb (GlobiContactsView *self)
{
  if (self->filter)
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* ---- content pages ---- */

static void
show_page (GlobiContactsView *self, const char *name, const char *title)
{
  adw_window_title_set_title (self->content_title, title);
  gtk_stack_set_visible_child_name (self->content_stack, name);
  adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
}

static void
on_friend_activated_cb (GlobiContactsView *self, GtkListBoxRow *row)
{
  GlobiContact *contact = g_object_get_data (G_OBJECT (row), "contact");

  if (contact)
    globi_contacts_view_show_contact (self, contact);
}

static void
on_new_friends_activated_cb (GlobiContactsView *self)
{
  globi_contacts_view_show_requests (self);
}

static void
show_found (GlobiContactsView *self, GlobiProfile *profile)
{
  g_autofree char *at = NULL;

  g_set_object (&self->found, profile);
  gtk_widget_set_visible (GTK_WIDGET (self->found_row), profile != NULL);
  gtk_widget_set_sensitive (self->add_button, profile != NULL);
  if (!profile)
    return;
  at = g_strdup_printf ("@%s", globi_profile_get_username (profile));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->found_row),
                                 globi_profile_get_display_name (profile));
  adw_action_row_set_subtitle (self->found_row, at);
  adw_avatar_set_text (self->found_avatar, globi_profile_get_display_name (profile));
  globi_ui_set_avatar_image (self->found_avatar, globi_messenger_get_session (self->messenger),
                             globi_profile_get_avatar_hash (profile));
}

static void
on_lookup_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiContactsView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiProfile) profile = NULL;

  profile = globi_session_lookup_user_finish (GLOBI_SESSION (object), result, &error);
  gtk_widget_set_sensitive (self->find_button, TRUE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND))
    show_toast (self, _ ("No one has that username"));
  else if (error)
    {
      g_autofree char *text = globi_ui_describe_failure (_ ("Couldn’t look them up"), error);
      if (text)
        show_toast (self, text);
    }
  show_found (self, profile);
}

static char *
dup_typed_username (GlobiContactsView *self)
{
  g_autofree char *username = g_strdup (gtk_editable_get_text (self->add_username));

  g_strstrip (username);
  return g_strdup (username[0] == '@' ? username + 1 : username);
}

static void
on_find_clicked_cb (GlobiContactsView *self)
{
  g_autofree char *username = dup_typed_username (self);

  if (!self->messenger || !*username)
    return;
  gtk_widget_set_sensitive (self->find_button, FALSE);
  globi_session_lookup_user_async (globi_messenger_get_session (self->messenger), username,
                                   self->cancellable, on_lookup_cb, g_object_ref (self));
}

static void
on_add_clicked_cb (GlobiContactsView *self)
{
  const char *greeting = gtk_editable_get_text (self->add_greeting);
  g_autofree char *sent = NULL;

  if (!self->messenger || !self->found)
    return;
  sent = g_strdup_printf (_ ("Friend request sent to %s"),
                          globi_profile_get_display_name (self->found));
  globi_messenger_request_friend_async (self->messenger, globi_profile_get_username (self->found),
                                        greeting, self->cancellable, on_action_done_cb,
                                        action_new (self, _ ("Couldn’t send the request"), sent));
  gtk_editable_set_text (self->add_username, "");
}

static void
on_add_changed_cb (GlobiContactsView *self)
{
  g_autofree char *username = dup_typed_username (self);

  /* A new name needs a new lookup before anything is sent. */
  show_found (self, NULL);
  gtk_widget_set_sensitive (self->find_button, *username != '\0');
}

static void
on_message_clicked_cb (GlobiContactsView *self)
{
  g_autofree char *chat_id = NULL;

  if (!self->contact)
    return;
  chat_id = globi_chat_id_for_user (globi_contact_get_user_id (self->contact));
  g_signal_emit (self, signals[OPEN_CHAT], 0, chat_id);
}

static void
on_remark_apply_cb (GlobiContactsView *self)
{
  if (!self->contact)
    return;
  globi_messenger_update_friend_async (
      self->messenger, globi_contact_get_user_id (self->contact),
      gtk_editable_get_text (self->contact_remark), NULL, self->cancellable, on_action_done_cb,
      action_new (self, _ ("Couldn’t save the remark"), _ ("Remark saved")));
}

static void
on_safety_number_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiContactsView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *number = NULL;

  number = globi_messenger_safety_number_finish (GLOBI_MESSENGER (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_label_set_label (self->safety_number,
                       number ? number : _ ("Available once you exchanged a message"));
  gtk_widget_set_sensitive (self->verify_button, number != NULL);
}

static void
on_verify_clicked_cb (GlobiContactsView *self)
{
  gboolean verified = FALSE;

  if (!self->contact)
    return;
  verified = !globi_contact_get_verified (self->contact);
  globi_messenger_set_verified (self->messenger, globi_contact_get_user_id (self->contact),
                                verified);
  gtk_button_set_label (GTK_BUTTON (self->verify_button),
                        verified ? _ ("Clear verification") : _ ("Mark as Verified"));
}

static void
on_block_clicked_cb (GlobiContactsView *self)
{
  gboolean blocked = FALSE;

  if (!self->contact)
    return;
  blocked = !globi_contact_get_blocked (self->contact);
  globi_messenger_block_async (self->messenger, globi_contact_get_user_id (self->contact), blocked,
                               self->cancellable, on_action_done_cb,
                               action_new (self, _ ("Couldn’t change the block"),
                                           blocked ? _ ("Blocked") : _ ("Unblocked")));
  gtk_button_set_label (GTK_BUTTON (self->block_button), blocked ? _ ("_Unblock") : _ ("_Block"));
}

static void
on_remove_response_cb (AdwMessageDialog *dialog, const char *response, GlobiContactsView *self)
{
  if (!g_str_equal (response, "remove") || !self->contact)
    return;
  globi_messenger_remove_friend_async (
      self->messenger, globi_contact_get_user_id (self->contact), self->cancellable,
      on_action_done_cb, action_new (self, _ ("Couldn’t remove the friend"), _ ("Friend removed")));
  gtk_stack_set_visible_child_name (self->content_stack, "none");
  g_clear_object (&self->contact);
}

static void
on_remove_clicked_cb (GlobiContactsView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog = NULL;

  if (!self->contact)
    return;
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _ ("Remove Friend?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _ ("%s will no longer be your friend. Your chat stays."),
                                  globi_contact_get_name (self->contact));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "remove",
                                    _ ("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_back_clicked_cb (GlobiContactsView *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* ---- building ---- */

static GtkWidget *
build_list_pane (GlobiContactsView *self)
{
  GtkWidget *pane = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = new_header (self, adw_window_title_new (_ ("Contacts"), NULL), FALSE);
  GtkWidget *add = gtk_button_new_from_icon_name ("contact-new-symbolic");
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *top = gtk_list_box_new ();
  GtkWidget *new_friends = adw_action_row_new ();

  gtk_widget_set_size_request (pane, 260, -1);
  gtk_widget_set_tooltip_text (add, _ ("Add a friend"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (add), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Add a friend"), -1);
  g_signal_connect_swapped (add, "clicked", G_CALLBACK (globi_contacts_view_show_add), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), add);
  self->menu_button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  gtk_menu_button_set_icon_name (self->menu_button, "open-menu-symbolic");
  gtk_menu_button_set_primary (self->menu_button, TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->menu_button), _ ("Main menu"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Main menu"), -1);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), GTK_WIDGET (self->menu_button));
  gtk_box_append (GTK_BOX (pane), header);

  self->search_entry = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->search_entry, "placeholder-text", _ ("Search contacts"), "margin-start", 8,
                "margin-end", 8, "margin-top", 4, "margin-bottom", 4, NULL);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (on_search_changed_cb),
                            self);
  gtk_box_append (GTK_BOX (pane), GTK_WIDGET (self->search_entry));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (new_friends), _ ("New friends"));
  adw_action_row_add_prefix (ADW_ACTION_ROW (new_friends),
                             gtk_image_new_from_icon_name ("contact-new-symbolic"));
  self->requests_badge = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->requests_badge), "unread-badge");
  gtk_widget_set_valign (GTK_WIDGET (self->requests_badge), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (new_friends), GTK_WIDGET (self->requests_badge));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (new_friends), TRUE);
  gtk_list_box_append (GTK_LIST_BOX (top), new_friends);
  gtk_widget_add_css_class (top, "navigation-sidebar");
  g_signal_connect_swapped (top, "row-activated", G_CALLBACK (on_new_friends_activated_cb), self);
  gtk_box_append (GTK_BOX (box), top);

  self->friends = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->friends), "navigation-sidebar");
  gtk_list_box_set_header_func (self->friends, friend_header_cb, NULL, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->friends), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Friends"), -1);
  g_signal_connect_swapped (self->friends, "row-activated", G_CALLBACK (on_friend_activated_cb),
                            self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->friends));

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), box);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (pane), scroller);
  return pane;
}

static GtkWidget *
new_entry_row (const char *title)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  return row;
}

static GtkWidget *
build_add_page (GlobiContactsView *self)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *username = new_entry_row (_ ("Username"));
  GtkWidget *greeting = new_entry_row (_ ("Greeting"));

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _ ("Add a friend"));
  adw_preferences_group_set_description (
      ADW_PREFERENCES_GROUP (group),
      _ ("Ask them for their username. They see your greeting with the request."));
  self->add_username = GTK_EDITABLE (username);
  self->add_greeting = GTK_EDITABLE (greeting);
  gtk_editable_set_text (self->add_greeting, _ ("Hi, it’s me!"));
  g_signal_connect_swapped (username, "changed", G_CALLBACK (on_add_changed_cb), self);
  g_signal_connect_swapped (username, "entry-activated", G_CALLBACK (on_find_clicked_cb), self);
  self->find_button = gtk_button_new_from_icon_name ("system-search-symbolic");
  gtk_widget_set_valign (self->find_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->find_button, "flat");
  gtk_widget_set_tooltip_text (self->find_button, _ ("Find"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->find_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Find"), -1);
  gtk_widget_set_sensitive (self->find_button, FALSE);
  g_signal_connect_swapped (self->find_button, "clicked", G_CALLBACK (on_find_clicked_cb), self);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (username), self->find_button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), username);
  self->found_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->found_row), FALSE);
  self->found_avatar = ADW_AVATAR (adw_avatar_new (36, NULL, TRUE));
  adw_action_row_add_prefix (self->found_row, GTK_WIDGET (self->found_avatar));
  gtk_widget_set_visible (GTK_WIDGET (self->found_row), FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->found_row));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), greeting);
  self->add_button = new_button (_ ("_Send Friend Request"), "suggested-action");
  gtk_widget_add_css_class (self->add_button, "pill");
  gtk_widget_set_halign (self->add_button, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (self->add_button, 18);
  gtk_widget_set_sensitive (self->add_button, FALSE);
  g_signal_connect_swapped (self->add_button, "clicked", G_CALLBACK (on_add_clicked_cb), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), self->add_button);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
  return page;
}

static GtkWidget *
build_requests_page (GlobiContactsView *self)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _ ("Friend requests"));
  self->requests = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->requests, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->requests), "boxed-list");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->requests));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
  return page;
}

static GtkWidget *
build_contact_page (GlobiContactsView *self)
{
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *top = adw_preferences_group_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *message = new_button (_ ("Send _Message"), "suggested-action");
  GtkWidget *details = adw_preferences_group_new ();
  GtkWidget *remark = new_entry_row (_ ("Remark"));
  GtkWidget *safety = adw_preferences_group_new ();
  GtkWidget *danger = adw_preferences_group_new ();
  GtkWidget *remove = new_button (_ ("_Remove Friend"), "destructive-action");

  self->contact_avatar = ADW_AVATAR (adw_avatar_new (96, NULL, TRUE));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->contact_avatar));
  self->contact_name = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->contact_name), "title-2");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->contact_name));
  self->contact_username = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->contact_username), "dim-label");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->contact_username));
  gtk_widget_add_css_class (message, "pill");
  gtk_widget_set_halign (message, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (message, 12);
  g_signal_connect_swapped (message, "clicked", G_CALLBACK (on_message_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), message);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (top), box);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (top));

  self->contact_remark = GTK_EDITABLE (remark);
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (remark), TRUE);
  g_signal_connect_swapped (remark, "apply", G_CALLBACK (on_remark_apply_cb), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (details), remark);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (details));

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (safety), _ ("Safety number"));
  adw_preferences_group_set_description (
      ADW_PREFERENCES_GROUP (safety),
      _ ("Compare it with your friend’s, in person or on a call: when they match, nobody is "
         "listening in."));
  self->safety_number = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->safety_number, TRUE);
  gtk_label_set_selectable (self->safety_number, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->safety_number), "monospace");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (safety), GTK_WIDGET (self->safety_number));
  self->verify_button = new_button (_ ("Mark as Verified"), NULL);
  gtk_widget_set_halign (self->verify_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->verify_button, "clicked", G_CALLBACK (on_verify_clicked_cb),
                            self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (safety), self->verify_button);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (safety));

  self->block_button = new_button (_ ("_Block"), NULL);
  g_signal_connect_swapped (self->block_button, "clicked", G_CALLBACK (on_block_clicked_cb), self);
  g_signal_connect_swapped (remove, "clicked", G_CALLBACK (on_remove_clicked_cb), self);
  gtk_widget_set_halign (self->block_button, GTK_ALIGN_CENTER);
  gtk_widget_set_halign (remove, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (remove, 6);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (danger), self->block_button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (danger), remove);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (danger));
  return page;
}

static GtkWidget *
build_content_pane (GlobiContactsView *self)
{
  GtkWidget *pane = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = NULL;
  GtkWidget *back = gtk_button_new_from_icon_name ("go-previous-symbolic");
  GtkWidget *none = adw_status_page_new ();
  GtkWidget *add = new_button (_ ("_Add a friend"), "suggested-action");

  self->content_title = ADW_WINDOW_TITLE (adw_window_title_new ("", NULL));
  header = new_header (self, GTK_WIDGET (self->content_title), TRUE);
  gtk_widget_set_tooltip_text (back, _ ("Back"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (back), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Back"),
                                  -1);
  g_object_bind_property (self->leaflet, "folded", back, "visible", G_BINDING_SYNC_CREATE);
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (on_back_clicked_cb), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), back);
  gtk_box_append (GTK_BOX (pane), header);

  self->content_stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->content_stack), TRUE);
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (none), "system-users-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (none), _ ("Your friends"));
  adw_status_page_set_description (ADW_STATUS_PAGE (none),
                                   _ ("Pick a friend on the left, or add one by their username."));
  gtk_widget_add_css_class (add, "pill");
  gtk_widget_set_halign (add, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (add, "clicked", G_CALLBACK (globi_contacts_view_show_add), self);
  adw_status_page_set_child (ADW_STATUS_PAGE (none), add);
  gtk_stack_add_named (self->content_stack, none, "none");
  gtk_stack_add_named (self->content_stack, build_add_page (self), "add");
  gtk_stack_add_named (self->content_stack, build_requests_page (self), "requests");
  gtk_stack_add_named (self->content_stack, build_contact_page (self), "contact");
  gtk_box_append (GTK_BOX (pane), GTK_WIDGET (self->content_stack));
  gtk_widget_set_hexpand (pane, TRUE);
  gtk_widget_set_size_request (pane, 280, -1);
  return pane;
}

static void
globi_contacts_view_dispose (GObject *object)
{
  GlobiContactsView *self = GLOBI_CONTACTS_VIEW (object);
  GtkWidget *child = NULL;

  g_cancellable_cancel (self->cancellable);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->contact);
  g_clear_object (&self->found);
  g_clear_object (&self->messenger);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (globi_contacts_view_parent_class)->dispose (object);
}

static void
globi_contacts_view_class_init (GlobiContactsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_contacts_view_dispose;

  signals[OPEN_CHAT] = g_signal_new ("open-chat", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
globi_contacts_view_init (GlobiContactsView *self)
{
  GtkWidget *list_pane = NULL;
  AdwLeafletPage *page = NULL;

  self->cancellable = g_cancellable_new ();
  self->leaflet = ADW_LEAFLET (adw_leaflet_new ());
  adw_leaflet_set_can_navigate_back (self->leaflet, TRUE);
  gtk_widget_set_parent (GTK_WIDGET (self->leaflet), GTK_WIDGET (self));
  list_pane = build_list_pane (self);
  adw_leaflet_append (self->leaflet, list_pane);
  page = adw_leaflet_append (self->leaflet, gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  adw_leaflet_page_set_navigatable (page, FALSE);
  self->content_pane = build_content_pane (self);
  adw_leaflet_append (self->leaflet, self->content_pane);
  gtk_stack_set_visible_child_name (self->content_stack, "none");
  update_badge (self);
}

GtkWidget *
globi_contacts_view_new (void)
{
  return g_object_new (GLOBI_TYPE_CONTACTS_VIEW, NULL);
}

void
globi_contacts_view_set_messenger (GlobiContactsView *self, GlobiMessenger *messenger)
{
  GListModel *requests = NULL;

  g_return_if_fail (GLOBI_IS_CONTACTS_VIEW (self));

  if (self->messenger == messenger)
    return;
  if (self->messenger)
    g_signal_handlers_disconnect_by_data (globi_messenger_get_requests (self->messenger), self);
  gtk_list_box_bind_model (self->friends, NULL, NULL, NULL, NULL);
  gtk_list_box_bind_model (self->requests, NULL, NULL, NULL, NULL);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->contact);
  g_set_object (&self->messenger, messenger);
  gtk_stack_set_visible_child_name (self->content_stack, "none");
  if (messenger)
    {
      self->filter = gtk_custom_filter_new (filter_contact_cb, self, NULL);
      self->filtered =
          gtk_filter_list_model_new (g_object_ref (globi_messenger_get_contacts (messenger)),
                                     GTK_FILTER (g_object_ref (self->filter)));
      gtk_list_box_bind_model (self->friends, G_LIST_MODEL (self->filtered), create_friend_row_cb,
                               self, NULL);
      requests = globi_messenger_get_requests (messenger);
      gtk_list_box_bind_model (self->requests, requests, create_request_row_cb, self, NULL);
      g_signal_connect_object (requests, "items-changed", G_CALLBACK (update_badge), self,
                               G_CONNECT_SWAPPED);
    }
  update_badge (self);
}

void
globi_contacts_view_set_menu (GlobiContactsView *self, GMenuModel *menu)
{
  g_return_if_fail (GLOBI_IS_CONTACTS_VIEW (self));

  gtk_menu_button_set_menu_model (self->menu_button, menu);
}

void
globi_contacts_view_show_requests (GlobiContactsView *self)
{
  g_return_if_fail (GLOBI_IS_CONTACTS_VIEW (self));

  show_page (self, "requests", _ ("New friends"));
}

void
globi_contacts_view_show_add (GlobiContactsView *self)
{
  g_return_if_fail (GLOBI_IS_CONTACTS_VIEW (self));

  show_page (self, "add", _ ("Add a friend"));
  gtk_widget_grab_focus (GTK_WIDGET (self->add_username));
}

void
globi_contacts_view_show_contact (GlobiContactsView *self, GlobiContact *contact)
{
  g_autofree char *at = NULL;

  g_return_if_fail (GLOBI_IS_CONTACTS_VIEW (self));
  g_return_if_fail (GLOBI_IS_CONTACT (contact));

  g_set_object (&self->contact, contact);
  at = g_strdup_printf ("@%s", globi_contact_get_username (contact));
  adw_avatar_set_text (self->contact_avatar, globi_contact_get_name (contact));
  gtk_label_set_label (self->contact_name, globi_contact_get_name (contact));
  gtk_label_set_label (self->contact_username, at);
  gtk_editable_set_text (self->contact_remark, globi_contact_get_remark (contact)
                                                   ? globi_contact_get_remark (contact)
                                                   : "");
  gtk_button_set_label (GTK_BUTTON (self->verify_button), globi_contact_get_verified (contact)
                                                              ? _ ("Clear verification")
                                                              : _ ("Mark as Verified"));
  gtk_button_set_label (GTK_BUTTON (self->block_button),
                        globi_contact_get_blocked (contact) ? _ ("_Unblock") : _ ("_Block"));
  gtk_label_set_label (self->safety_number, "…");
  gtk_widget_set_sensitive (self->verify_button, FALSE);
  globi_messenger_safety_number_async (self->messenger, globi_contact_get_user_id (contact),
                                       self->cancellable, on_safety_number_cb, g_object_ref (self));
  show_page (self, "contact", globi_contact_get_name (contact));
}

GtkListBox *
globi_contacts_view_get_friends (GlobiContactsView *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACTS_VIEW (self), NULL);

  return self->friends;
}

GtkListBox *
globi_contacts_view_get_requests (GlobiContactsView *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACTS_VIEW (self), NULL);

  return self->requests;
}

GtkEditable *
globi_contacts_view_get_add_entry (GlobiContactsView *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACTS_VIEW (self), NULL);

  return self->add_username;
}

GtkWidget *
globi_contacts_view_get_find_button (GlobiContactsView *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACTS_VIEW (self), NULL);

  return self->find_button;
}

GtkWidget *
globi_contacts_view_get_add_button (GlobiContactsView *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACTS_VIEW (self), NULL);

  return self->add_button;
}
