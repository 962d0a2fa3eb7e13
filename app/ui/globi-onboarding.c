/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-onboarding"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-application.h"
#include "globi-onboarding-private.h"
#include "globi-qr-code.h"
#include "globi-ui-util.h"

enum
{
  PROP_0,
  PROP_PRIMARY_MENU,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (GlobiOnboarding, globi_onboarding, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static GlobiApplication *
get_application (GlobiOnboarding *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkApplication *app =
      GTK_IS_WINDOW (root) ? gtk_window_get_application (GTK_WINDOW (root)) : NULL;

  return GLOBI_IS_APPLICATION (app) ? GLOBI_APPLICATION (app) : NULL;
}

static const char *
text_of (gpointer editable)
{
  return gtk_editable_get_text (GTK_EDITABLE (editable));
}

static gboolean
has_text (gpointer editable)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text_of (editable)));
  return *stripped != '\0';
}

static gboolean
server_chosen (GlobiOnboarding *self)
{
  return gtk_switch_get_active (self->host_switch) || has_text (self->server_entry);
}

static gboolean
passwords_mismatch (GlobiOnboarding *self)
{
  const char *confirm = text_of (self->register_confirm);
  return *confirm && g_strcmp0 (confirm, text_of (self->register_password)) != 0;
}

static void
show_error (GtkLabel *label, const char *message)
{
  gtk_label_set_text (label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL && *message);
}

static void
update_actions (GlobiOnboarding *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean chosen = server_chosen (self);
  gboolean mismatch = passwords_mismatch (self);

  gtk_widget_set_sensitive (GTK_WIDGET (self->server_entry),
                            !gtk_switch_get_active (self->host_switch));
  gtk_widget_action_set_enabled (widget, "onboarding.show-sign-in", chosen);
  gtk_widget_action_set_enabled (widget, "onboarding.show-register", chosen);
  gtk_widget_action_set_enabled (widget, "onboarding.sign-in",
                                 !self->busy && chosen && has_text (self->sign_in_username) &&
                                     *text_of (self->sign_in_password));
  gtk_widget_action_set_enabled (widget, "onboarding.register",
                                 !self->busy && chosen && has_text (self->register_username) &&
                                     has_text (self->register_display_name) &&
                                     *text_of (self->register_password) &&
                                     *text_of (self->register_confirm) && !mismatch);
  /* A server hosted here has no account yet to approve from. */
  gtk_widget_action_set_enabled (widget, "onboarding.show-qr",
                                 !self->busy && has_text (self->server_entry) &&
                                     !gtk_switch_get_active (self->host_switch));
  gtk_widget_action_set_enabled (widget, "onboarding.back", !self->busy);

  /* Said while typing, not after a click, so the button never looks broken. */
  if (mismatch)
    show_error (self->register_error, _ ("The passwords don’t match"));
  else if (!self->busy && g_strcmp0 (gtk_label_get_text (self->register_error),
                                     _ ("The passwords don’t match")) == 0)
    show_error (self->register_error, NULL);
}

static void
set_busy (GlobiOnboarding *self, gboolean busy)
{
  self->busy = busy;
  gtk_spinner_set_spinning (self->sign_in_spinner, busy);
  gtk_spinner_set_spinning (self->register_spinner, busy);
  update_actions (self);
}

static void
on_form_changed_cb (GlobiOnboarding *self)
{
  update_actions (self);
}

/* Log in with a QR code */

#define QR_LOGICAL_PX 280

static char *normalize_server_url (const char *text);

static void
stop_link (GlobiOnboarding *self)
{
  if (!self->link)
    return;
  g_signal_handlers_disconnect_by_data (self->link, self);
  globi_device_link_cancel (self->link);
  g_clear_object (&self->link);
  gtk_spinner_set_spinning (self->qr_spinner, FALSE);
  gtk_spinner_set_spinning (self->qr_approved_spinner, FALSE);
}

static void
on_link_uri_cb (GlobiOnboarding *self)
{
  const char *uri = globi_device_link_get_uri (self->link);
  g_autoptr (GlobiQrCode) code = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError) error = NULL;
  int factor = 1;
  guint module_px;

  if (!uri)
    return;
  /* M: the code is read off a screen, where damage is rare; a smaller code scans faster. */
  code = globi_qr_code_new (uri, GLOBI_QR_ECC_M, &error);
  /* Whole device pixels per module: drawn at the screen's scale, shown at logical size,
   * so the edges stay sharp on HiDPI too. */
  if (code)
    {
      factor = MAX (1, gtk_widget_get_scale_factor (GTK_WIDGET (self->qr_picture)));
      module_px = globi_qr_code_scale_for (code, QR_LOGICAL_PX) * factor;
      pixbuf = globi_qr_code_render (code, module_px, NULL, &error);
    }
  if (!pixbuf)
    {
      g_warning ("The login code could not be drawn: %s", error->message);
      return;
    }
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  gtk_widget_set_size_request (GTK_WIDGET (self->qr_picture),
                               gdk_pixbuf_get_width (pixbuf) / factor,
                               gdk_pixbuf_get_height (pixbuf) / factor);
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (texture));
  gtk_stack_set_visible_child_name (self->qr_code_stack, "code");
  gtk_spinner_set_spinning (self->qr_spinner, FALSE);
}

/* Moved to a screen of another scale: drawn again for it. */
static void
on_qr_scale_changed_cb (GlobiOnboarding *self)
{
  if (self->link)
    on_link_uri_cb (self);
}

static void
show_link_ended (GlobiOnboarding *self, const char *title, const char *description)
{
  adw_status_page_set_title (self->qr_ended_page, title);
  adw_status_page_set_description (self->qr_ended_page, description);
  gtk_stack_set_visible_child_name (self->qr_states, "ended");
}

static void
on_link_state_cb (GlobiOnboarding *self)
{
  GlobiDeviceLink *link = self->link;
  GlobiProfile *scanner = globi_device_link_get_scanner (link);
  GlobiApplication *app = get_application (self);

  gtk_spinner_set_spinning (self->qr_approved_spinner, FALSE);
  switch (globi_device_link_get_state (link))
    {
      case GLOBI_DEVICE_LINK_STATE_WAITING:
        gtk_stack_set_visible_child_name (self->qr_states, "code");
        break;
      case GLOBI_DEVICE_LINK_STATE_SCANNED:
        if (scanner)
          {
            adw_status_page_set_title (self->qr_scanned_page,
                                       globi_profile_get_display_name (scanner));
            adw_avatar_set_text (self->qr_scanner_avatar, globi_profile_get_display_name (scanner));
          }
        gtk_stack_set_visible_child_name (self->qr_states, "scanned");
        break;
      case GLOBI_DEVICE_LINK_STATE_APPROVED:
        gtk_spinner_set_spinning (self->qr_approved_spinner, TRUE);
        gtk_stack_set_visible_child_name (self->qr_states, "approved");
        break;
      case GLOBI_DEVICE_LINK_STATE_SIGNED_IN:
        /* The window follows the session from here; remember the server like a sign-in. */
        if (app)
          g_settings_set_string (
              globi_application_get_settings (app), "server-url",
              globi_session_get_server_url (globi_application_get_session (app)));
        break;
      case GLOBI_DEVICE_LINK_STATE_DECLINED:
        show_link_ended (self, _ ("Login declined"),
                         _ ("The other device said no. Show a new code to try again."));
        break;
      case GLOBI_DEVICE_LINK_STATE_EXPIRED:
        show_link_ended (self, _ ("The code expired"),
                         _ ("Nobody approved it in time. Show a new code to try again."));
        break;
      case GLOBI_DEVICE_LINK_STATE_FAILED:
        show_link_ended (self, _ ("Couldn’t show a login code"),
                         globi_device_link_get_error_message (link));
        break;
      case GLOBI_DEVICE_LINK_STATE_IDLE:
      default:
        break;
    }
}

static void
start_link (GlobiOnboarding *self)
{
  GlobiApplication *app = get_application (self);
  g_autofree char *url = normalize_server_url (text_of (self->server_entry));

  stop_link (self);
  if (!app)
    return;
  self->link = globi_device_link_new (globi_application_get_session (app), url, NULL);
  /* The app shows codes for as long as the page is open. */
  globi_device_link_set_max_refreshes (self->link, G_MAXUINT);
  g_signal_connect_swapped (self->link, "notify::uri", G_CALLBACK (on_link_uri_cb), self);
  g_signal_connect_swapped (self->link, "notify::state", G_CALLBACK (on_link_state_cb), self);
  gtk_stack_set_visible_child_name (self->qr_states, "code");
  gtk_stack_set_visible_child_name (self->qr_code_stack, "loading");
  gtk_spinner_set_spinning (self->qr_spinner, TRUE);
  globi_device_link_start (self->link);
}

static void
action_qr_refresh (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiOnboarding *self = GLOBI_ONBOARDING (widget);

  if (!self->link)
    {
      start_link (self);
      return;
    }
  gtk_stack_set_visible_child_name (self->qr_states, "code");
  gtk_stack_set_visible_child_name (self->qr_code_stack, "loading");
  gtk_spinner_set_spinning (self->qr_spinner, TRUE);
  globi_device_link_start (self->link);
}

static void
on_page_changed_cb (GlobiOnboarding *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->pages);
  gboolean welcome = g_strcmp0 (page, "welcome") == 0;

  gtk_widget_set_visible (GTK_WIDGET (self->back_button), !welcome);
  if (g_strcmp0 (page, "qr") != 0)
    stop_link (self);
  if (g_strcmp0 (page, "sign-in") == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->sign_in_username));
  else if (g_strcmp0 (page, "register") == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->register_username));
}

/* "chat.example.org" means https://chat.example.org; an explicit scheme is kept. */
static char *
normalize_server_url (const char *text)
{
  g_autofree char *url = g_strstrip (g_strdup (text));

  while (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  if (strstr (url, "://"))
    return g_steal_pointer (&url);
  return g_strconcat ("https://", url, NULL);
}

static void
on_session_done (GlobiOnboarding *self,
                 gboolean ok,
                 GError *error,
                 GtkLabel *error_label,
                 const char *server_url)
{
  GlobiApplication *app = get_application (self);
  g_autofree char *message = NULL;

  /* Cancelled: the widget is going away. */
  if (!ok && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (!ok)
    {
      message = globi_ui_describe_error (error);
      if (message)
        show_error (error_label, message);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->sign_in_password), "");
  gtk_editable_set_text (GTK_EDITABLE (self->register_password), "");
  gtk_editable_set_text (GTK_EDITABLE (self->register_confirm), "");
  if (app && !gtk_switch_get_active (self->host_switch))
    g_settings_set_string (globi_application_get_settings (app), "server-url", server_url);
}

static void
on_sign_in_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiOnboarding) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = globi_session_sign_in_finish (GLOBI_SESSION (object), result, &error);

  on_session_done (self, ok, error, self->sign_in_error,
                   globi_session_get_server_url (GLOBI_SESSION (object)));
}

static void
on_register_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiOnboarding) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = globi_session_register_finish (GLOBI_SESSION (object), result, &error);

  on_session_done (self, ok, error, self->register_error,
                   globi_session_get_server_url (GLOBI_SESSION (object)));
}

static void
submit (GlobiOnboarding *self, const char *server_url)
{
  GlobiApplication *app = get_application (self);
  GlobiSession *session = app ? globi_application_get_session (app) : NULL;
  g_autofree char *username = NULL;

  g_return_if_fail (session != NULL);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->pages), "register") == 0)
    {
      g_autofree char *display_name = g_strstrip (g_strdup (text_of (self->register_display_name)));

      username = g_strstrip (g_strdup (text_of (self->register_username)));
      globi_session_register_async (session, server_url, username,
                                    text_of (self->register_password), display_name,
                                    self->cancellable, on_register_cb, g_object_ref (self));
    }
  else
    {
      username = g_strstrip (g_strdup (text_of (self->sign_in_username)));
      globi_session_sign_in_async (session, server_url, username, text_of (self->sign_in_password),
                                   NULL, self->cancellable, on_sign_in_cb, g_object_ref (self));
    }
}

static GtkLabel *
current_error_label (GlobiOnboarding *self)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->pages), "register") == 0)
    return self->register_error;
  return self->sign_in_error;
}

static void
on_server_started_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiOnboarding) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  url = globi_application_start_server_finish (GLOBI_APPLICATION (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (!url)
    {
      g_autofree char *message =
          g_strdup_printf (_ ("Couldn’t start a server on this computer: %s"), error->message);
      set_busy (self, FALSE);
      show_error (current_error_label (self), message);
      return;
    }
  submit (self, url);
}

static void
start (GlobiOnboarding *self)
{
  GlobiApplication *app = get_application (self);
  g_autofree char *url = NULL;

  if (!app)
    return;
  show_error (current_error_label (self), NULL);
  set_busy (self, TRUE);
  if (gtk_switch_get_active (self->host_switch))
    {
      globi_application_start_server_async (app, self->cancellable, on_server_started_cb,
                                            g_object_ref (self));
      return;
    }
  url = normalize_server_url (text_of (self->server_entry));
  submit (self, url);
}

static void
on_sign_in_entry_activated_cb (GlobiOnboarding *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "onboarding.sign-in", NULL);
}

static void
on_register_entry_activated_cb (GlobiOnboarding *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "onboarding.register", NULL);
}

static void
show_page (GlobiOnboarding *self, const char *name, const char *title)
{
  show_error (self->welcome_error, NULL);
  adw_window_title_set_title (self->window_title, title);
  gtk_stack_set_visible_child_name (self->pages, name);
}

static void
action_back (GtkWidget *widget, const char *action_name, GVariant *param)
{
  show_page (GLOBI_ONBOARDING (widget), "welcome", _ ("GlobiChat"));
}

static void
action_show_sign_in (GtkWidget *widget, const char *action_name, GVariant *param)
{
  show_page (GLOBI_ONBOARDING (widget), "sign-in", _ ("Sign in"));
}

static void
action_show_register (GtkWidget *widget, const char *action_name, GVariant *param)
{
  show_page (GLOBI_ONBOARDING (widget), "register", _ ("Create an account"));
}

static void
action_show_qr (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiOnboarding *self = GLOBI_ONBOARDING (widget);

  show_page (self, "qr", _ ("Log in with QR code"));
  start_link (self);
}

static void
action_submit (GtkWidget *widget, const char *action_name, GVariant *param)
{
  start (GLOBI_ONBOARDING (widget));
}

static void
globi_onboarding_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiOnboarding *self = GLOBI_ONBOARDING (object);

  switch (prop_id)
    {
      case PROP_PRIMARY_MENU:
        g_value_set_object (value, gtk_menu_button_get_menu_model (self->menu_button));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_onboarding_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  GlobiOnboarding *self = GLOBI_ONBOARDING (object);

  switch (prop_id)
    {
      case PROP_PRIMARY_MENU:
        if (gtk_menu_button_get_menu_model (self->menu_button) != g_value_get_object (value))
          {
            gtk_menu_button_set_menu_model (self->menu_button, g_value_get_object (value));
            g_object_notify_by_pspec (object, pspec);
          }
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_onboarding_dispose (GObject *object)
{
  GlobiOnboarding *self = GLOBI_ONBOARDING (object);

  stop_link (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLOBI_TYPE_ONBOARDING);
  /* The template's top widget is not a bound child: unparent it too. */
  for (GtkWidget *child = NULL; (child = gtk_widget_get_first_child (GTK_WIDGET (self)));)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (globi_onboarding_parent_class)->dispose (object);
}

static void
globi_onboarding_class_init (GlobiOnboardingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = globi_onboarding_get_property;
  object_class->set_property = globi_onboarding_set_property;
  object_class->dispose = globi_onboarding_dispose;

  properties[PROP_PRIMARY_MENU] =
      g_param_spec_object ("primary-menu", NULL, NULL, G_TYPE_MENU_MODEL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/globichat/GlobiChat/globi-onboarding.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, window_title);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, back_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, menu_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, pages);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, server_entry);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, host_switch);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, host_row);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, welcome_error);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, sign_in_username);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, sign_in_password);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, sign_in_error);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, sign_in_spinner);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, register_username);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, register_display_name);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, register_password);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, register_confirm);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, register_error);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, register_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, register_spinner);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, qr_login_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, qr_states);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, qr_code_stack);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, qr_spinner);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, qr_scanned_page);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, qr_scanner_avatar);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, qr_approved_spinner);
  gtk_widget_class_bind_template_child (widget_class, GlobiOnboarding, qr_ended_page);
  gtk_widget_class_bind_template_callback (widget_class, on_form_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_page_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in_entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_register_entry_activated_cb);

  gtk_widget_class_install_action (widget_class, "onboarding.back", NULL, action_back);
  gtk_widget_class_install_action (widget_class, "onboarding.show-sign-in", NULL,
                                   action_show_sign_in);
  gtk_widget_class_install_action (widget_class, "onboarding.show-register", NULL,
                                   action_show_register);
  gtk_widget_class_install_action (widget_class, "onboarding.show-qr", NULL, action_show_qr);
  gtk_widget_class_install_action (widget_class, "onboarding.qr-refresh", NULL, action_qr_refresh);
  gtk_widget_class_install_action (widget_class, "onboarding.sign-in", NULL, action_submit);
  gtk_widget_class_install_action (widget_class, "onboarding.register", NULL, action_submit);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "onboarding.back", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
globi_onboarding_init (GlobiOnboarding *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->qr_picture, "notify::scale-factor",
                            G_CALLBACK (on_qr_scale_changed_cb), self);
  update_actions (self);
}

void
globi_onboarding_reset (GlobiOnboarding *self, const char *server_url, gboolean hosting)
{
  GlobiApplication *app = get_application (self);

  g_return_if_fail (GLOBI_IS_ONBOARDING (self));

  gtk_widget_set_visible (GTK_WIDGET (self->host_row), app && globi_application_can_host (app));
  gtk_switch_set_active (self->host_switch, hosting);
  set_busy (self, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->sign_in_password), "");
  gtk_editable_set_text (GTK_EDITABLE (self->register_password), "");
  gtk_editable_set_text (GTK_EDITABLE (self->register_confirm), "");
  show_error (self->sign_in_error, NULL);
  show_error (self->register_error, NULL);
  if (server_url && *server_url)
    gtk_editable_set_text (GTK_EDITABLE (self->server_entry), server_url);
  show_page (self, "welcome", _ ("GlobiChat"));
  update_actions (self);
}
