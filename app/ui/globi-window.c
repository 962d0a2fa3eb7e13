/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-window"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "globi-add-friend-dialog.h"
#include "globi-code-dialogs.h"
#include "globi-code.h"
#include "globi-link-approve-dialog.h"
#include "globi-scan-dialog.h"
#include "globi-ui-util.h"
#include "globi-wallet-view.h"
#include "globi-window-private.h"

G_DEFINE_FINAL_TYPE (GlobiWindow, globi_window, ADW_TYPE_APPLICATION_WINDOW)

typedef struct
{
  const char *name;
  const char *label;
  const char *icon_name;
  /* Sections not built yet say so on a status page. */
  const char *later_title;
  const char *later_description;
} Section;

static const Section sections[] = {
#if HAVE_MESSENGER
  { "chats", N_ ("Chats"), "chat-message-new-symbolic", NULL, NULL },
  { "contacts", N_ ("Contacts"), "x-office-address-book-symbolic", NULL, NULL },
#else
  { "chats", N_ ("Chats"), "chat-message-new-symbolic", N_ ("Chats arrive in the next version"),
    N_ ("Soon you can message friends and groups here, end-to-end encrypted.") },
  { "contacts", N_ ("Contacts"), "x-office-address-book-symbolic",
    N_ ("Contacts arrive in the next version"),
    N_ ("Soon you can find friends by their username and add them here.") },
#endif
  { "moments", N_ ("Moments"), "emblem-photos-symbolic", N_ ("Moments arrive in the next version"),
    N_ ("Soon you can share photos and thoughts with your friends here.") },
  { "wallet", N_ ("Wallet"), "auth-smartcard-symbolic", NULL, NULL },
  { "me", N_ ("Me"), "avatar-default-symbolic", NULL, NULL },
};

/* NULL once the window is destroyed: late async replies find nothing to update. */
static GlobiApplication *
get_application (GlobiWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  return GLOBI_IS_APPLICATION (app) ? GLOBI_APPLICATION (app) : NULL;
}

static gboolean
cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static GtkWidget *
build_later_page (GlobiWindow *self, const Section *section)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *menu_button = gtk_menu_button_new ();
  GtkWidget *status = adw_status_page_new ();

  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header),
                                   adw_window_title_new (_ (section->label), NULL));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "open-menu-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), self->primary_menu);
  gtk_menu_button_set_primary (GTK_MENU_BUTTON (menu_button), TRUE);
  gtk_widget_set_tooltip_text (menu_button, _ ("Main menu"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Main menu"), -1);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), menu_button);
  gtk_box_append (GTK_BOX (box), header);

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), section->icon_name);
  adw_status_page_set_title (ADW_STATUS_PAGE (status), _ (section->later_title));
  adw_status_page_set_description (ADW_STATUS_PAGE (status), _ (section->later_description));
  gtk_widget_set_vexpand (status, TRUE);
  gtk_box_append (GTK_BOX (box), status);
  return box;
}

static void
on_section_toggled_cb (GtkToggleButton *button, GlobiWindow *self)
{
  if (gtk_toggle_button_get_active (button))
    gtk_stack_set_visible_child_name (self->section_stack,
                                      g_object_get_data (G_OBJECT (button), "section"));
}

#if HAVE_MESSENGER
static void
on_start_chat_cb (GlobiWindow *self)
{
  globi_window_show_section (self, "contacts");
}

static void
set_badge (GtkLabel *badge, guint count)
{
  g_autofree char *text = count > 99 ? g_strdup ("99+") : g_strdup_printf ("%u", count);

  gtk_label_set_label (badge, text);
  gtk_widget_set_visible (GTK_WIDGET (badge), count > 0);
  gtk_widget_set_tooltip_text (GTK_WIDGET (badge), text);
}

static void
update_badges (GlobiWindow *self)
{
  GListModel *chats = NULL;
  guint unread = 0;

  if (!self->messenger)
    {
      set_badge (self->chats_badge, 0);
      set_badge (self->contacts_badge, 0);
      return;
    }
  chats = globi_messenger_get_chats (self->messenger);
  for (guint i = 0; i < g_list_model_get_n_items (chats); i++)
    {
      g_autoptr (GlobiChat) chat = g_list_model_get_item (chats, i);
      /* Muted chats count quietly in their row, not in the section's badge. */
      if (!globi_chat_get_muted (chat))
        unread += globi_chat_get_unread_count (chat);
    }
  set_badge (self->chats_badge, unread);
  set_badge (self->contacts_badge,
             g_list_model_get_n_items (globi_messenger_get_requests (self->messenger)));
}

/* Each chat is watched once per window: the badge follows its unread count. */
static void
on_chats_changed_cb (GlobiWindow *self, guint position, guint removed, guint added)
{
  GListModel *chats = globi_messenger_get_chats (self->messenger);
  g_autofree char *key = g_strdup_printf ("globi-badge-%p", (void *) self);

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (GlobiChat) chat = g_list_model_get_item (chats, i);
      if (g_object_get_data (G_OBJECT (chat), key))
        continue;
      g_object_set_data (G_OBJECT (chat), key, GINT_TO_POINTER (TRUE));
      g_signal_connect_object (chat, "notify::unread-count", G_CALLBACK (update_badges), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (chat, "notify::muted", G_CALLBACK (update_badges), self,
                               G_CONNECT_SWAPPED);
    }
  update_badges (self);
}

static void
on_message_received_cb (GlobiWindow *self, GlobiChat *chat, GlobiMessage *message)
{
  GApplication *app = G_APPLICATION (get_application (self));
  g_autoptr (GNotification) notification = NULL;
  g_autofree char *chat_id = NULL;
  const char *body = NULL;

  /* Only when the user is elsewhere, for chats they listen to, if they want it. */
  if (!app || gtk_window_is_active (GTK_WINDOW (self)) || globi_chat_get_muted (chat) ||
      !g_settings_get_boolean (self->settings, "notifications"))
    return;
  if (g_settings_get_boolean (self->settings, "notification-previews") &&
      globi_message_get_kind (message) == GLOBI_MESSAGE_KIND_TEXT)
    body = globi_message_get_text (message);
  notification = g_notification_new (globi_chat_get_title (chat));
  g_notification_set_body (notification, body ? body : _ ("New message"));
  g_notification_set_default_action_and_target (notification, "app.open-chat", "s",
                                                globi_chat_get_id (chat));
  chat_id = g_strdup_printf ("chat-%s", globi_chat_get_id (chat));
  g_application_send_notification (app, chat_id, notification);
}

static void
on_demo_conversed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_demo_converse_finish (result, &error))
    {
      if (!cancelled (error))
        g_warning ("Could not start the demo conversations: %s", error->message);
      return;
    }
  if (g_getenv ("GLOBICHAT_DEMO_OPEN_CHAT"))
    {
      /* Screenshots: the conversation with that demo person's username open. */
      GlobiContact *contact =
          globi_messenger_find_contact (self->messenger, g_getenv ("GLOBICHAT_DEMO_OPEN_CHAT"));
      g_autofree char *chat_id =
          contact ? globi_chat_id_for_user (globi_contact_get_user_id (contact)) : NULL;

      if (chat_id)
        globi_window_open_chat (self, chat_id);
    }
}

static void
on_messenger_started_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_messenger_start_finish (GLOBI_MESSENGER (object), result, &error) &&
      !cancelled (error) && GLOBI_MESSENGER (object) == self->messenger)
    {
      g_autofree char *text = globi_ui_describe_failure (_ ("Couldn’t load your chats"), error);
      if (text)
        globi_window_add_toast (self, text);
    }
  /* --demo: the demo people talk with the signed-in one (once per account). */
  else if (!error && self->demo && GLOBI_MESSENGER (object) == self->messenger)
    {
      /* The chats fill in as the demo people write. */
      globi_window_show_section (self, "chats");
      globi_demo_converse_async (self->messenger, self->cancellable, on_demo_conversed_cb,
                                 g_object_ref (self));
    }
  /* A link opened before sign-in. */
  if (GLOBI_MESSENGER (object) == self->messenger &&
      g_object_get_data (G_OBJECT (self), "pending-uri"))
    {
      g_autofree char *uri = g_strdup (g_object_get_data (G_OBJECT (self), "pending-uri"));

      g_object_set_data (G_OBJECT (self), "pending-uri", NULL);
      globi_window_open_uri (self, uri);
    }
}

static void
start_messenger (GlobiWindow *self)
{
  GListModel *chats = NULL;

  if (self->messenger)
    return;
  self->messenger = globi_messenger_new (self->session);
  chats = globi_messenger_get_chats (self->messenger);
  g_signal_connect_object (chats, "items-changed", G_CALLBACK (on_chats_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (globi_messenger_get_requests (self->messenger), "items-changed",
                           G_CALLBACK (update_badges), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->messenger, "message-received", G_CALLBACK (on_message_received_cb),
                           self, G_CONNECT_SWAPPED);
  on_chats_changed_cb (self, 0, 0, g_list_model_get_n_items (chats));
  globi_chats_view_set_messenger (self->chats_view, self->messenger);
  globi_contacts_view_set_messenger (self->contacts_view, self->messenger);
  globi_messenger_start_async (self->messenger, TRUE, self->cancellable, on_messenger_started_cb,
                               g_object_ref (self));
}

static void
stop_messenger (GlobiWindow *self)
{
  if (!self->messenger)
    return;
  globi_chats_view_set_messenger (self->chats_view, NULL);
  globi_contacts_view_set_messenger (self->contacts_view, NULL);
  g_signal_handlers_disconnect_by_data (globi_messenger_get_chats (self->messenger), self);
  g_signal_handlers_disconnect_by_data (globi_messenger_get_requests (self->messenger), self);
  g_signal_handlers_disconnect_by_data (self->messenger, self);
  globi_messenger_stop (self->messenger);
  g_clear_object (&self->messenger);
  update_badges (self);
}

#else
/* Until app/core builds the messenger, the sections say they are coming. */
static void
start_messenger (GlobiWindow *self)
{
}

static void
stop_messenger (GlobiWindow *self)
{
}
#endif

static void
build_sections (GlobiWindow *self)
{
  GtkToggleButton *group = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      const Section *section = &sections[i];
      GtkWidget *button = gtk_toggle_button_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *label = gtk_label_new (_ (section->label));
      GtkWidget *overlay = gtk_overlay_new ();
      GtkWidget *badge = gtk_label_new (NULL);

      gtk_overlay_set_child (GTK_OVERLAY (overlay),
                             gtk_image_new_from_icon_name (section->icon_name));
      gtk_widget_add_css_class (badge, "unread-badge");
      gtk_widget_add_css_class (badge, "section-badge");
      gtk_widget_set_halign (badge, GTK_ALIGN_END);
      gtk_widget_set_valign (badge, GTK_ALIGN_START);
      gtk_widget_set_visible (badge, FALSE);
      gtk_overlay_add_overlay (GTK_OVERLAY (overlay), badge);
      gtk_box_append (GTK_BOX (box), overlay);
      if (g_str_equal (section->name, "chats"))
        self->chats_badge = GTK_LABEL (badge);
      else if (g_str_equal (section->name, "contacts"))
        self->contacts_badge = GTK_LABEL (badge);
      gtk_widget_add_css_class (label, "caption");
      gtk_box_append (GTK_BOX (box), label);
      gtk_button_set_child (GTK_BUTTON (button), box);
      gtk_widget_set_tooltip_text (button, _ (section->label));
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_add_css_class (button, "section-button");
      g_object_set_data (G_OBJECT (button), "section", (gpointer) section->name);
      if (group)
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), group);
      else
        group = GTK_TOGGLE_BUTTON (button);
      g_signal_connect (button, "toggled", G_CALLBACK (on_section_toggled_cb), self);
      gtk_box_append (self->section_bar, button);
      g_hash_table_insert (self->section_buttons, (gpointer) section->name, button);

      if (section->later_title)
        gtk_stack_add_named (self->section_stack, build_later_page (self, section), section->name);
    }

#if HAVE_MESSENGER
  self->chats_view = GLOBI_CHATS_VIEW (globi_chats_view_new ());
  globi_chats_view_set_menu (self->chats_view, self->primary_menu);
  g_signal_connect_object (self->chats_view, "start-chat", G_CALLBACK (on_start_chat_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_stack_add_named (self->section_stack, GTK_WIDGET (self->chats_view), "chats");
  self->contacts_view = GLOBI_CONTACTS_VIEW (globi_contacts_view_new ());
  globi_contacts_view_set_menu (self->contacts_view, self->primary_menu);
  g_signal_connect_object (self->contacts_view, "open-chat", G_CALLBACK (globi_window_open_chat),
                           self, G_CONNECT_SWAPPED);
  gtk_stack_add_named (self->section_stack, GTK_WIDGET (self->contacts_view), "contacts");
#endif
  gtk_stack_add_named (self->section_stack, globi_wallet_view_new (self->primary_menu), "wallet");
}

static void
show_signed_out (GlobiWindow *self)
{
  GlobiApplication *app = get_application (self);
  g_autofree char *url = globi_application_dup_suggested_server_url (app);
  gboolean hosting = globi_application_get_embedded_url (app) != NULL;

  globi_onboarding_reset (self->onboarding, url, hosting && !url);
  gtk_stack_set_visible_child_name (self->main_stack, "onboarding");
}

/* A notice shown once per profile: where the sign-in is kept is worth knowing once. */
static void
maybe_show_credential_notice (GlobiWindow *self)
{
  GlobiApplication *app = get_application (self);
  g_autofree char *marker = NULL;

  if (globi_session_get_credential_backend (self->session) != GLOBI_CREDENTIAL_BACKEND_FILE)
    return;
  marker = g_build_filename (globi_application_get_profile_dir (app), "file-notice-shown", NULL);
  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    return;
  g_file_set_contents (marker, "", 0, NULL);
  globi_window_add_toast (self, _ ("No keyring found; your sign-in is kept in a private file"));
}

static void
sync_to_session (GlobiWindow *self)
{
  if (!self->started || !get_application (self))
    return;
  switch (globi_session_get_state (self->session))
    {
      case GLOBI_SESSION_STATE_SIGNED_IN:
        start_messenger (self);
        gtk_stack_set_visible_child_name (self->main_stack, "main");
        maybe_show_credential_notice (self);
        break;
      case GLOBI_SESSION_STATE_SIGNED_OUT:
        stop_messenger (self);
        show_signed_out (self);
        break;
      case GLOBI_SESSION_STATE_RESTORING:
      default:
        break;
    }
}

static void
on_session_state_cb (GlobiWindow *self)
{
  sync_to_session (self);
}

static void
on_signed_out_cb (GlobiWindow *self, GlobiSignOutReason reason)
{
  if (reason == GLOBI_SIGN_OUT_REASON_REVOKED)
    globi_window_add_toast (self, _ ("This device was signed out from another device"));
  else if (reason == GLOBI_SIGN_OUT_REASON_EXPIRED)
    globi_window_add_toast (self, _ ("Your sign-in expired. Sign in again."));
}

static void
finish_start (GlobiWindow *self, const GError *error)
{
  self->started = TRUE;
  sync_to_session (self);
  if (error)
    {
      g_autofree char *message = globi_ui_describe_error (error);
      if (message)
        {
          g_autofree char *toast =
              g_strdup_printf (_ ("Couldn’t restore your sign-in: %s"), message);
          globi_window_add_toast (self, toast);
        }
    }
}

static void
on_demo_sign_in_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_session_sign_in_finish (GLOBI_SESSION (object), result, &error) && cancelled (error))
    return;
  if (!error)
    {
      GlobiProfile *me = globi_session_get_me (GLOBI_SESSION (object));
      g_autofree char *title = g_strdup_printf (_ ("You are %s, one of the demo people"),
                                                globi_profile_get_display_name (me));
      globi_window_add_toast (self, title);
    }
  finish_start (self, error);
}

static void
on_restore_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  GlobiApplication *app = get_application (self);
  gboolean restored = globi_session_restore_finish (GLOBI_SESSION (object), result, &error);

  if (cancelled (error) || !app)
    return;
  if (!restored && self->demo_username && globi_application_get_embedded_url (app))
    {
      /* A newcomer with --demo sees a living app: sign in as a demo person. */
      globi_session_sign_in_async (self->session, globi_application_get_embedded_url (app),
                                   self->demo_username, GLOBI_DEMO_PASSWORD, NULL,
                                   self->cancellable, on_demo_sign_in_cb, g_object_ref (self));
      return;
    }
  finish_start (self, error);
}

static void
restore (GlobiWindow *self)
{
  globi_session_restore_async (self->session, self->cancellable, on_restore_cb,
                               g_object_ref (self));
}

static void
on_demo_seeded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) usernames = globi_demo_seed_finish (result, &error);

  if (cancelled (error))
    return;
  if (!usernames)
    {
      g_warning ("Could not create the demo people: %s", error->message);
      globi_window_add_toast (self, _ ("Couldn’t create the demo people"));
    }
  else if (usernames[0])
    globi_ui_set_str (&self->demo_username, usernames[0]);
  restore (self);
}

static void
on_server_started_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  url = globi_application_start_server_finish (GLOBI_APPLICATION (object), result, &error);
  if (cancelled (error))
    return;
  if (!url)
    {
      g_autofree char *message =
          g_strdup_printf (_ ("Couldn’t start the server on this computer: %s"), error->message);
      globi_state_view_show_error (self->startup_state, message);
      return;
    }
  if (self->demo)
    globi_demo_seed_async (url, self->cancellable, on_demo_seeded_cb, g_object_ref (self));
  else
    restore (self);
}

static void
boot (GlobiWindow *self)
{
  GlobiApplication *app = get_application (self);
  g_autofree char *port_file = NULL;
  gboolean host = self->demo || self->embedded;

  gtk_stack_set_visible_child_name (self->main_stack, "starting");
  globi_state_view_show_loading (self->startup_state);

  /* A profile that hosted a server before hosts it again: its sign-in points there. */
  port_file = g_build_filename (globi_application_get_profile_dir (app), "server", "port", NULL);
  if (globi_application_can_host (app) && g_file_test (port_file, G_FILE_TEST_EXISTS))
    host = TRUE;

  if (host)
    globi_application_start_server_async (app, self->cancellable, on_server_started_cb,
                                          g_object_ref (self));
  else
    restore (self);
}

static void
action_show_section (GtkWidget *widget, const char *action_name, GVariant *param)
{
  globi_window_show_section (GLOBI_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
action_scan_code (GtkWidget *widget, const char *action_name, GVariant *param)
{
  globi_scan_dialog_present (widget);
}

static void
on_startup_retry_cb (GlobiWindow *self)
{
  boot (self);
}

static gboolean
globi_window_close_request (GtkWindow *window)
{
  GlobiWindow *self = GLOBI_WINDOW (window);
  int width = 0;
  int height = 0;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_apply (self->settings);

  return GTK_WINDOW_CLASS (globi_window_parent_class)->close_request (window);
}

/* GtkWindow:application is set after constructed(), hence not done there. */
static void
setup (GlobiWindow *self, GlobiApplication *app)
{
  self->settings = g_object_ref (globi_application_get_settings (app));
  self->session = g_object_ref (globi_application_get_session (app));
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect_object (self->session, "notify::state", G_CALLBACK (on_session_state_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "signed-out", G_CALLBACK (on_signed_out_cb), self,
                           G_CONNECT_SWAPPED);
  globi_me_view_set_session (self->me_view, self->session);
}

static void
globi_window_dispose (GObject *object)
{
  GlobiWindow *self = GLOBI_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  stop_messenger (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLOBI_TYPE_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (globi_window_parent_class)->dispose (object);
}

static void
globi_window_finalize (GObject *object)
{
  GlobiWindow *self = GLOBI_WINDOW (object);

  g_clear_pointer (&self->section_buttons, g_hash_table_unref);
  g_clear_pointer (&self->last_toast, g_free);
  g_clear_pointer (&self->demo_username, g_free);

  G_OBJECT_CLASS (globi_window_parent_class)->finalize (object);
}

static void
globi_window_class_init (GlobiWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = globi_window_dispose;
  object_class->finalize = globi_window_finalize;
  window_class->close_request = globi_window_close_request;

  g_type_ensure (GLOBI_TYPE_STATE_VIEW);
  g_type_ensure (GLOBI_TYPE_ONBOARDING);
  g_type_ensure (GLOBI_TYPE_ME_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/globichat/GlobiChat/globi-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GlobiWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, GlobiWindow, startup_state);
  gtk_widget_class_bind_template_child (widget_class, GlobiWindow, onboarding);
  gtk_widget_class_bind_template_child (widget_class, GlobiWindow, section_bar);
  gtk_widget_class_bind_template_child (widget_class, GlobiWindow, section_stack);
  gtk_widget_class_bind_template_child (widget_class, GlobiWindow, me_view);
  gtk_widget_class_bind_template_child (widget_class, GlobiWindow, primary_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_startup_retry_cb);

  gtk_widget_class_install_action (widget_class, "main.show-section", "s", action_show_section);
  gtk_widget_class_install_action (widget_class, "main.scan-code", NULL, action_scan_code);
  /* Alt+1 to Alt+5 follow the order of the section column. */
  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "main.show-section", "s", sections[i].name);
}

static void
globi_window_init (GlobiWindow *self)
{
  self->cancellable = g_cancellable_new ();
  self->section_buttons = g_hash_table_new (g_str_hash, g_str_equal);
  gtk_widget_init_template (GTK_WIDGET (self));
  build_sections (self);
  globi_window_show_section (self, "me");
#if DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
}

GlobiWindow *
globi_window_new (GlobiApplication *application)
{
  GlobiWindow *self = NULL;

  g_return_val_if_fail (GLOBI_IS_APPLICATION (application), NULL);

  self = g_object_new (GLOBI_TYPE_WINDOW, "application", application, NULL);
  setup (self, application);
  return self;
}

void
globi_window_start (GlobiWindow *self, gboolean demo, gboolean embedded)
{
  g_return_if_fail (GLOBI_IS_WINDOW (self));

  self->demo = demo;
  self->embedded = embedded;
  boot (self);
}

void
globi_window_show_section (GlobiWindow *self, const char *name)
{
  GtkToggleButton *button = NULL;

  g_return_if_fail (GLOBI_IS_WINDOW (self));

  button = g_hash_table_lookup (self->section_buttons, name);
  g_return_if_fail (button != NULL);
  gtk_toggle_button_set_active (button, TRUE);
  gtk_stack_set_visible_child_name (self->section_stack, name);
}

void
globi_window_open_uri (GlobiWindow *self, const char *uri)
{
  g_return_if_fail (GLOBI_IS_WINDOW (self));

  /* Links from outside (the desktop's URI handler) are ours or nothing: other text is
   * only shown when it was scanned or pasted. */
  if (!uri || g_ascii_strncasecmp (uri, "globichat:", strlen ("globichat:")) != 0)
    {
      globi_window_add_toast (self, _ ("This isn’t a GlobiChat link"));
      return;
    }
  /* Before sign-in (or while chats load) a usable link is also kept, and opened again
   * once they are there. */
  if (globi_session_get_state (self->session) != GLOBI_SESSION_STATE_SIGNED_IN || !self->messenger)
    {
      g_autoptr (GlobiCode) code = NULL;
      GlobiCodeKind kind = globi_code_classify (uri, &code, NULL);

      if (kind != GLOBI_CODE_INVALID && kind != GLOBI_CODE_UNKNOWN)
        g_object_set_data_full (G_OBJECT (self), "pending-uri", g_strdup (uri), g_free);
    }
  globi_window_open_code (self, uri);
}

static void
on_group_joined_cb (GtkWindow *parent, const char *chat_id, const char *message)
{
  globi_window_add_toast (GLOBI_WINDOW (parent), message);
  if (chat_id)
    globi_window_open_chat (GLOBI_WINDOW (parent), chat_id);
}

/* The one place a scanned, pasted or opened text turns into a screen (globi_code_classify
 * decides what it is). */
void
globi_window_open_code (GlobiWindow *self, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiCode) code = NULL;
  gboolean signed_in;

  g_return_if_fail (GLOBI_IS_WINDOW (self));

  signed_in = globi_session_get_state (self->session) == GLOBI_SESSION_STATE_SIGNED_IN;
  switch (globi_code_classify (text, &code, &error))
    {
      case GLOBI_CODE_SECTION:
        globi_window_show_section (self, code->section);
        if (!signed_in)
          globi_window_add_toast (self, _ ("Sign in to open this link"));
        break;
      case GLOBI_CODE_ADD:
        if (!signed_in)
          globi_window_add_toast (self, _ ("Sign in to add friends from a QR code"));
        else
          globi_add_friend_dialog_present (GTK_WIDGET (self), self->session, code->user_id,
                                           code->card);
        break;
      case GLOBI_CODE_JOIN:
        if (!self->messenger)
          globi_window_add_toast (self, _ ("Sign in to join groups from a QR code"));
        else
          globi_code_confirm_join (GTK_WINDOW (self), self->messenger, code->token,
                                   on_group_joined_cb);
        break;
      case GLOBI_CODE_LINK:
        /* The code of a device waiting to be linked: only a signed-in device approves. */
        if (!signed_in)
          globi_window_add_toast (self, _ ("Scan this code with a device that is signed in"));
        else
          globi_link_approve_dialog_present (GTK_WIDGET (self), code->text);
        break;
      case GLOBI_CODE_PAYMENT:
        globi_window_show_section (self, "wallet");
        globi_wallet_view_open_payment_code (
            GLOBI_WALLET_VIEW (gtk_stack_get_child_by_name (self->section_stack, "wallet")), text);
        break;
      case GLOBI_CODE_UNKNOWN:
        globi_code_show_text (GTK_WINDOW (self), code->text);
        break;
      case GLOBI_CODE_INVALID:
      default:
        {
          g_autofree char *message =
              g_strdup_printf (_ ("This code can’t be used: %s"), error->message);

          globi_window_add_toast (self, message);
        }
        break;
    }
}

void
globi_window_add_toast (GlobiWindow *self, const char *title)
{
  g_return_if_fail (GLOBI_IS_WINDOW (self));
  g_return_if_fail (title != NULL);

  globi_ui_set_str (&self->last_toast, title);
  adw_toast_overlay_add_toast (self->toast_overlay, globi_ui_toast_new (title));
}

void
globi_window_open_chat (GlobiWindow *self, const char *chat_id)
{
  g_return_if_fail (GLOBI_IS_WINDOW (self));
  g_return_if_fail (chat_id != NULL);

  globi_window_show_section (self, "chats");
#if HAVE_MESSENGER
  globi_chats_view_open_chat (self->chats_view, chat_id);
#endif
}

GlobiMessenger *
globi_window_get_messenger (GlobiWindow *self)
{
  g_return_val_if_fail (GLOBI_IS_WINDOW (self), NULL);

  return self->messenger;
}
