/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-application"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#ifdef HAVE_EMBEDDED_SERVER
#include "globi-server-thread.h"
#endif

#include "globi-application.h"
#include "globi-ui-util.h"
#include "globi-preferences-window.h"
#include "globi-window.h"

enum
{
  PROP_0,
  PROP_PROFILE_DIR,
  PROP_SERVER_URL,
  N_PROPS
};

struct _GlobiApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  GlobiSession *session;
  char *profile_dir;
  char *server_url;
  gboolean embedded;
  gboolean demo;

  GObject *server_thread;
  char *embedded_url;
  /* start_server_async calls waiting for the worker thread */
  GPtrArray *server_waiters;
};

G_DEFINE_FINAL_TYPE (GlobiApplication, globi_application, ADW_TYPE_APPLICATION)

static GParamSpec *properties[N_PROPS];

static const GOptionEntry option_entries[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_ ("Server address, such as https://chat.example.org"), N_ ("URL") },
  { "profile", 'p', 0, G_OPTION_ARG_FILENAME, NULL,
    N_ ("Directory for this profile’s data (default: ~/.local/share/globichat/default)"),
    N_ ("DIR") },
  { "embedded", 'e', 0, G_OPTION_ARG_NONE, NULL, N_ ("Host a server on this computer"), NULL },
  { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_ ("Host a server with demo people and sign in as one of them"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_ ("Show the version and exit"), NULL },
  { NULL }
};

static void
apply_color_scheme (GlobiApplication *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  const char *override = g_getenv ("GLOBICHAT_COLOR_SCHEME");
  g_autofree char *scheme = NULL;

  /* The environment override lets screenshots and tests pick a style without touching
   * the user's settings. */
  if (override && *override)
    scheme = g_strdup (override);
  else
    scheme = g_settings_get_string (self->settings, "color-scheme");

  if (g_strcmp0 (scheme, "light") == 0)
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  else if (g_strcmp0 (scheme, "dark") == 0)
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  else
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
}

static GlobiWindow *
get_window (GlobiApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (GLOBI_IS_WINDOW (window))
    return GLOBI_WINDOW (window);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (GLOBI_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

static GlobiWindow *
ensure_window (GlobiApplication *self)
{
  GlobiWindow *window = get_window (self);

  if (!window)
    {
      window = globi_window_new (self);
      globi_window_start (window, self->demo, self->embedded);
    }
  return window;
}

static void
globi_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (ensure_window (GLOBI_APPLICATION (app))));
}

static void
globi_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  GlobiWindow *window = ensure_window (GLOBI_APPLICATION (app));

  gtk_window_present (GTK_WINDOW (window));
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      globi_window_open_uri (window, uri);
    }
}

static int
globi_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  GlobiApplication *self = GLOBI_APPLICATION (app);
  const char *server = NULL;
  const char *profile = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "server", "&s", &server))
    globi_ui_set_str (&self->server_url, server);
  if (g_variant_dict_lookup (options, "profile", "^&ay", &profile))
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (profile);
      g_free (self->profile_dir);
      self->profile_dir = g_file_get_path (file);
    }
  self->embedded = g_variant_dict_contains (options, "embedded");
  self->demo = g_variant_dict_contains (options, "demo");
  if ((self->embedded || self->demo) && !globi_application_can_host (self))
    {
      g_printerr ("%s\n", _ ("This build cannot host a server"));
      return 1;
    }
  return -1;
}

/* Preferences are about the account too: only while signed in. */
static void
on_session_state_cb (GlobiApplication *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "preferences");

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), globi_session_get_state (self->session) ==
                                                             GLOBI_SESSION_STATE_SIGNED_IN);
}

static void
globi_application_startup (GApplication *app)
{
  GlobiApplication *self = GLOBI_APPLICATION (app);

  G_APPLICATION_CLASS (globi_application_parent_class)->startup (app);

  if (!self->profile_dir)
    self->profile_dir = g_build_filename (g_get_user_data_dir (), "globichat", "default", NULL);
  if (g_mkdir_with_parents (self->profile_dir, 0700) != 0)
    g_warning ("Could not create %s: %s", self->profile_dir, g_strerror (errno));
  self->session = globi_session_new (self->profile_dir);
  g_signal_connect_object (self->session, "notify::state", G_CALLBACK (on_session_state_cb), self,
                           G_CONNECT_SWAPPED);
  on_session_state_cb (self);

  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed::color-scheme", G_CALLBACK (apply_color_scheme),
                           self, G_CONNECT_SWAPPED);
  apply_color_scheme (self);

  gtk_window_set_default_icon_name (APP_ID);
}

static void
globi_application_shutdown (GApplication *app)
{
  GlobiApplication *self = GLOBI_APPLICATION (app);

  globi_application_stop_server (self);
  G_APPLICATION_CLASS (globi_application_parent_class)->shutdown (app);
}

static void
on_preferences_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GlobiApplication *self = user_data;
  GlobiWindow *window = get_window (self);
  GtkWindow *prefs = NULL;

  if (!window || globi_session_get_state (self->session) != GLOBI_SESSION_STATE_SIGNED_IN)
    return;
  prefs = GTK_WINDOW (globi_preferences_window_new (window));
  /* app.preferences-page('privacy') opens a page directly. */
  if (param)
    adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (prefs),
                                                  g_variant_get_string (param, NULL));
  gtk_window_present (prefs);
}

static void
on_about_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GlobiApplication *self = user_data;
  const char *developers[] = { "The GlobiChat developers", NULL };

  adw_show_about_window (GTK_WINDOW (get_window (self)), "application-name", _ ("GlobiChat"),
                         "application-icon", APP_ID, "version", PACKAGE_VERSION, "comments",
                         _ ("Chat, call and share with the people you care about"),
                         "developer-name", _ ("The GlobiChat developers"), "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0, "translator-credits",
                         _ ("translator-credits"), NULL);
}

static void
on_quit_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GlobiApplication *self = user_data;
  GlobiWindow *window = get_window (self);

  /* Closing the window (not just quitting) saves its size. */
  if (window)
    gtk_window_close (GTK_WINDOW (window));
  g_application_quit (G_APPLICATION (self));
}

/* A notification's default action: the chat it is about. */
static void
on_open_chat_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GlobiWindow *window = ensure_window (GLOBI_APPLICATION (user_data));

  gtk_window_present (GTK_WINDOW (window));
  globi_window_open_chat (window, g_variant_get_string (param, NULL));
}

static const GActionEntry app_actions[] = {
  { "preferences", on_preferences_action_cb },
  { "preferences-page", on_preferences_action_cb, "s" },
  { "about", on_about_action_cb },
  { "quit", on_quit_action_cb },
  { "open-chat", on_open_chat_action_cb, "s" },
};

static void
globi_application_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiApplication *self = GLOBI_APPLICATION (object);

  switch (prop_id)
    {
      case PROP_PROFILE_DIR:
        g_value_set_string (value, self->profile_dir);
        break;
      case PROP_SERVER_URL:
        g_value_set_string (value, self->server_url);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_application_set_property (GObject *object,
                                guint prop_id,
                                const GValue *value,
                                GParamSpec *pspec)
{
  GlobiApplication *self = GLOBI_APPLICATION (object);

  switch (prop_id)
    {
      case PROP_PROFILE_DIR:
        globi_ui_set_str (&self->profile_dir, g_value_get_string (value));
        break;
      case PROP_SERVER_URL:
        globi_ui_set_str (&self->server_url, g_value_get_string (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_application_dispose (GObject *object)
{
  GlobiApplication *self = GLOBI_APPLICATION (object);

  g_clear_object (&self->server_thread);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (globi_application_parent_class)->dispose (object);
}

static void
globi_application_finalize (GObject *object)
{
  GlobiApplication *self = GLOBI_APPLICATION (object);

  g_clear_pointer (&self->server_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->profile_dir, g_free);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->embedded_url, g_free);

  G_OBJECT_CLASS (globi_application_parent_class)->finalize (object);
}

static void
globi_application_class_init (GlobiApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->get_property = globi_application_get_property;
  object_class->set_property = globi_application_set_property;
  object_class->dispose = globi_application_dispose;
  object_class->finalize = globi_application_finalize;

  app_class->activate = globi_application_activate;
  app_class->open = globi_application_open;
  app_class->startup = globi_application_startup;
  app_class->shutdown = globi_application_shutdown;
  app_class->handle_local_options = globi_application_handle_local_options;

  /* Set by --profile and --server, or directly by tests. */
  properties[PROP_PROFILE_DIR] =
      g_param_spec_string ("profile-dir", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER_URL] =
      g_param_spec_string ("server-url", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_application_init (GlobiApplication *self)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };

  self->server_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _ ("GlobiChat: chat, calls, Moments and a wallet"));
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
}

GlobiApplication *
globi_application_new (void)
{
  /* A fixed resource path: a .Devel app id must still find style.css and the shortcuts. */
  return g_object_new (GLOBI_TYPE_APPLICATION, "application-id", APP_ID, "flags",
                       G_APPLICATION_HANDLES_OPEN, "resource-base-path", "/org/globichat/GlobiChat",
                       NULL);
}

GlobiSession *
globi_application_get_session (GlobiApplication *self)
{
  g_return_val_if_fail (GLOBI_IS_APPLICATION (self), NULL);
  return self->session;
}

GSettings *
globi_application_get_settings (GlobiApplication *self)
{
  g_return_val_if_fail (GLOBI_IS_APPLICATION (self), NULL);
  return self->settings;
}

const char *
globi_application_get_profile_dir (GlobiApplication *self)
{
  g_return_val_if_fail (GLOBI_IS_APPLICATION (self), NULL);
  return self->profile_dir;
}

char *
globi_application_dup_suggested_server_url (GlobiApplication *self)
{
  g_autofree char *last = NULL;

  g_return_val_if_fail (GLOBI_IS_APPLICATION (self), NULL);

  if (self->server_url)
    return g_strdup (self->server_url);
  last = g_settings_get_string (self->settings, "server-url");
  if (last && *last)
    return g_steal_pointer (&last);
  return NULL;
}

gboolean
globi_application_can_host (GlobiApplication *self)
{
#ifdef HAVE_EMBEDDED_SERVER
  return TRUE;
#else
  return FALSE;
#endif
}

const char *
globi_application_get_embedded_url (GlobiApplication *self)
{
  g_return_val_if_fail (GLOBI_IS_APPLICATION (self), NULL);
  return self->embedded_url;
}

#ifdef HAVE_EMBEDDED_SERVER
/* The port is remembered so that stored sign-ins (which name the server URL) still work
 * after a restart. */
static guint
read_remembered_port (const char *port_file)
{
  g_autofree char *text = NULL;
  guint64 port = 0;

  if (!g_file_get_contents (port_file, &text, NULL, NULL))
    return 0;
  if (!g_ascii_string_to_unsigned (g_strstrip (text), 10, 1, 65535, &port, NULL))
    return 0;
  return (guint) port;
}

static void
start_server_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  const char *data_dir = task_data;
  g_autofree char *port_file = g_build_filename (data_dir, "port", NULL);
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GlobiServerThread) thread = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *port_text = NULL;
  guint port = 0;

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s",
                               data_dir, g_strerror (saved_errno));
      return;
    }

  port = read_remembered_port (port_file);
  globi_ui_set_str (&config->listen_address, "127.0.0.1");
  globi_ui_set_str (&config->data_dir, data_dir);
  config->port = port;
  thread = globi_server_thread_new (config, &error);
  if (!thread && port != 0)
    {
      /* The remembered port is taken: any free one is better than no server. */
      g_clear_error (&error);
      config->port = 0;
      thread = globi_server_thread_new (config, &error);
    }
  if (!thread)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  port_text =
      g_strdup_printf ("%u\n", globi_server_get_port (globi_server_thread_get_server (thread)));
  if (!g_file_set_contents_full (port_file, port_text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &error))
    g_warning ("Could not remember the server port: %s", error->message);
  g_task_return_pointer (task, g_steal_pointer (&thread), g_object_unref);
}
#endif

static void
on_server_started_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GlobiApplication *self = GLOBI_APPLICATION (object);
  g_autoptr (GPtrArray) waiters = g_steal_pointer (&self->server_waiters);
  g_autoptr (GError) error = NULL;
  g_autoptr (GObject) thread = g_task_propagate_pointer (G_TASK (result), &error);

  self->server_waiters = g_ptr_array_new_with_free_func (g_object_unref);
#ifdef HAVE_EMBEDDED_SERVER
  if (thread)
    {
      g_set_object (&self->server_thread, thread);
      g_free (self->embedded_url);
      self->embedded_url = globi_server_thread_dup_base_url (GLOBI_SERVER_THREAD (thread));
    }
#endif
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);
      if (self->embedded_url)
        g_task_return_pointer (task, g_strdup (self->embedded_url), g_free);
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

void
globi_application_start_server_async (GlobiApplication *self,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (GLOBI_IS_APPLICATION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, globi_application_start_server_async);

  if (self->embedded_url)
    {
      g_task_return_pointer (task, g_strdup (self->embedded_url), g_free);
      return;
    }
#ifdef HAVE_EMBEDDED_SERVER
  /* Single flight: a second caller waits for the thread the first one started. */
  g_ptr_array_add (self->server_waiters, g_steal_pointer (&task));
  if (self->server_waiters->len == 1)
    {
      g_autoptr (GTask) start = g_task_new (self, NULL, on_server_started_cb, NULL);
      g_task_set_source_tag (start, start_server_thread);
      g_task_set_task_data (start, g_build_filename (self->profile_dir, "server", NULL), g_free);
      g_task_run_in_thread (start, start_server_thread);
    }
#else
  (void) on_server_started_cb;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _ ("This build cannot host a server"));
#endif
}

char *
globi_application_start_server_finish (GlobiApplication *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
globi_application_stop_server (GlobiApplication *self)
{
  g_return_if_fail (GLOBI_IS_APPLICATION (self));

#ifdef HAVE_EMBEDDED_SERVER
  if (self->server_thread)
    globi_server_thread_stop (GLOBI_SERVER_THREAD (self->server_thread));
#endif
  g_clear_object (&self->server_thread);
  g_clear_pointer (&self->embedded_url, g_free);
}
