/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-error.h"
#include "globi-me-view-private.h"
#include "globi-onboarding-private.h"
#include "globi-preferences-window-private.h"
#include "globi-profile-editor-private.h"
#include "globi-server-thread.h"
#include "globi-window-private.h"
#include "ui-app-fixture.h"

#define USERNAME     "alice.smoke"
#define PASSWORD     "correct horse battery"
#define NEW_PASSWORD "staple battery horse"

/* A real server on a loopback ephemeral port, a real application and window on a temp
 * profile, the real session (GLOBICHAT_CREDENTIALS=file): the widgets are driven as a
 * person would, through their actions and fields. */
typedef struct
{
  char *profile_dir;
  char *other_profile_dir;
  UiServer srv;
  GlobiApplication *app;
  GlobiWindow *window;
  GlobiSession *session;
  GlobiSession *other; /* a second device of the same account */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!ui_test_have_display ())
    return;
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  ui_server_start (&f->srv, "globi-ui-server-XXXXXX");
  f->profile_dir = g_dir_make_tmp ("globi-ui-profile-XXXXXX", &error);
  g_assert_no_error (error);
  f->other_profile_dir = g_dir_make_tmp ("globi-ui-other-XXXXXX", &error);
  g_assert_no_error (error);

  f->app = ui_app_new (f->profile_dir, f->srv.base_url, NULL,
                       G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  f->session = globi_application_get_session (f->app);

  f->window = ui_window_open (f->app, -1, -1);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  ui_destroy_windows ();
  g_clear_object (&f->other);
  g_clear_object (&f->app);
  ui_server_stop (&f->srv);
  for (char **dir = (char *[]){ f->profile_dir, f->other_profile_dir, NULL }; *dir; dir++)
    globi_test_remove_tree (*dir);
  g_clear_pointer (&f->profile_dir, g_free);
  g_clear_pointer (&f->other_profile_dir, g_free);
}

static gboolean
on_page (GlobiWindow *window, const char *page)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (window->main_stack), page) == 0;
}

static gboolean
on_onboarding (gpointer data)
{
  return on_page (data, "onboarding");
}

static gboolean
on_main (gpointer data)
{
  Fixture *f = data;
  return on_page (f->window, "main") &&
         globi_session_get_state (f->session) == GLOBI_SESSION_STATE_SIGNED_IN;
}

static gboolean
label_visible (gpointer data)
{
  return gtk_widget_get_visible (data) && *gtk_label_get_text (data);
}

static void
set_text (gpointer editable, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (editable), text);
}

static void
activate (gpointer widget, const char *action)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (widget), action, NULL));
}

static void
fill_register (GlobiOnboarding *o, const char *username, const char *display_name)
{
  set_text (o->register_username, username);
  set_text (o->register_display_name, display_name);
  set_text (o->register_password, PASSWORD);
  set_text (o->register_confirm, PASSWORD);
}

typedef struct
{
  GlobiSession *session;
  gboolean done;
  gboolean ok;
} SignIn;

static void
on_other_signed_in_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  SignIn *s = data;
  g_autoptr (GError) error = NULL;

  s->ok = globi_session_sign_in_finish (GLOBI_SESSION (object), result, &error);
  g_assert_no_error (error);
  s->done = TRUE;
}

static gboolean
sign_in_done (gpointer data)
{
  return ((SignIn *) data)->done;
}

typedef struct
{
  gboolean done;
} Op;

static void
on_revoked_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Op *op = data;
  g_autoptr (GError) error = NULL;

  globi_session_revoke_device_finish (GLOBI_SESSION (object), result, &error);
  g_assert_no_error (error);
  op->done = TRUE;
}

static gboolean
op_done (gpointer data)
{
  return ((Op *) data)->done;
}

/* What the server has, seen from another device (signed in afresh). */
static char *
server_display_name_with (Fixture *f, const char *password)
{
  SignIn s = { 0 };

  g_clear_object (&f->other);
  f->other = globi_session_new (f->other_profile_dir);
  s.session = f->other;
  globi_session_sign_in_async (f->other, f->srv.base_url, USERNAME, password, "Checker", NULL,
                               on_other_signed_in_cb, &s);
  ui_wait_until (sign_in_done, &s, 30, "the second device to sign in");
  g_assert_true (s.ok);
  return g_strdup (globi_profile_get_display_name (globi_session_get_me (f->other)));
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static gboolean
toast_is (gpointer data)
{
  Fixture *f = data;
  return g_strcmp0 (f->window->last_toast, "Profile saved") == 0;
}

static gboolean
toast_starts_couldnt_save (gpointer data)
{
  Fixture *f = data;
  return f->window->last_toast && g_str_has_prefix (f->window->last_toast, "Couldn’t save: ");
}

typedef struct
{
  GlobiSession *session;
  gboolean in_flight;
  gboolean not_found;
} Lookup;

static void
on_lookup_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Lookup *l = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiProfile) profile =
      globi_session_lookup_user_finish (GLOBI_SESSION (object), result, &error);

  l->in_flight = FALSE;
  l->not_found = g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
}

/* Asks the server again until the username search no longer finds the user. */
static gboolean
hidden_from_search (gpointer data)
{
  Lookup *l = data;

  if (!l->in_flight && !l->not_found)
    {
      l->in_flight = TRUE;
      globi_session_lookup_user_async (l->session, USERNAME, NULL, on_lookup_cb, l);
    }
  return l->not_found;
}

static gboolean
prefs_toast_is_password_changed (gpointer data)
{
  GlobiPreferencesWindow *prefs = data;
  return g_strcmp0 (prefs->last_toast, "Password changed. Your other devices were signed out.") ==
         0;
}

static gboolean
prefs_toast_is_revoked (gpointer data)
{
  GlobiPreferencesWindow *prefs = data;
  return g_strcmp0 (prefs->last_toast, "The device was signed out") == 0;
}

static gboolean
devices_loaded (gpointer data)
{
  GlobiPreferencesWindow *prefs = data;
  return globi_state_view_get_state (prefs->devices_state) == GLOBI_STATE_VIEW_CONTENT;
}

static AdwMessageDialog *
find_message_dialog (const char *heading)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)) &&
          g_strcmp0 (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (window)), heading) == 0)
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

/* A server that cannot be reached is said inline, and nothing else changes. */
static void
check_unreachable_server (Fixture *f)
{
  GlobiOnboarding *o = f->window->onboarding;
  g_autofree char *url = g_strdup (gtk_editable_get_text (GTK_EDITABLE (o->server_entry)));
  /* Port 1 on loopback: nothing listens there. */
  set_text (o->server_entry, "http://127.0.0.1:1");
  activate (o, "onboarding.show-sign-in");
  set_text (o->sign_in_username, USERNAME);
  set_text (o->sign_in_password, PASSWORD);
  activate (o, "onboarding.sign-in");
  ui_wait_until (label_visible, o->sign_in_error, 30, "the unreachable error");
  g_assert_cmpstr (gtk_label_get_text (o->sign_in_error), ==,
                   "Couldn’t reach the server. Check the address and your connection.");
  g_assert_true (on_page (f->window, "onboarding"));
  set_text (o->sign_in_password, "");
  activate (o, "onboarding.back");
  set_text (o->server_entry, url);
}

static void
test_register_edit_sign_out_sign_in (Fixture *f, gconstpointer data)
{
  GlobiOnboarding *o = NULL;
  GlobiMeView *me = NULL;
  GlobiProfileEditor *editor = NULL;
  GlobiPreferencesWindow *prefs = NULL;
  AdwMessageDialog *dialog = NULL;
  g_autofree char *name = NULL;

  if (!f->window)
    return;
  o = f->window->onboarding;
  me = f->window->me_view;

  /* Signed out: the welcome page, with the server from --server filled in. */
  ui_wait_until (on_onboarding, f->window, 30, "the welcome page");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (o->server_entry)), ==, f->srv.base_url);
  check_unreachable_server (f);

  /* Register through the form. */
  activate (o, "onboarding.show-register");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (o->pages), ==, "register");
  fill_register (o, USERNAME, "Alice Smoke");
  set_text (o->register_confirm, "something else");
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (o->register_button)));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (o->register_error)));
  set_text (o->register_confirm, PASSWORD);
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (o->register_button)));
  gtk_widget_activate (GTK_WIDGET (o->register_button));
  ui_wait_until (on_main, f, 30, "the main window after registering");

  /* The file credential backend is announced once. */
  g_assert_cmpint (globi_session_get_credential_backend (f->session), ==,
                   GLOBI_CREDENTIAL_BACKEND_FILE);
  g_assert_cmpstr (f->window->last_toast, ==,
                   "No keyring found; your sign-in is kept in a private file");

  /* Me shows the profile. */
  globi_window_show_section (f->window, "me");
  g_assert_cmpstr (gtk_label_get_text (me->display_name_label), ==, "Alice Smoke");
  g_assert_cmpstr (gtk_label_get_text (me->username_label), ==, "@" USERNAME);

  /* Edit the display name and save. */
  activate (me, "me.edit");
  editor = me->editor;
  g_assert_nonnull (editor);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (editor->display_name_row)), ==,
                   "Alice Smoke");
  set_text (editor->display_name_row, "Alice Renamed");
  set_text (editor->region_row, "Lisbon");
  activate (editor, "editor.save");
  /* Optimistic: the label changes before the server has answered. */
  g_assert_cmpstr (gtk_label_get_text (me->display_name_label), ==, "Alice Renamed");
  ui_wait_until (toast_is, f, 30, "the saved toast");
  g_assert_cmpstr (gtk_label_get_text (me->display_name_label), ==, "Alice Renamed");
  g_assert_cmpstr (adw_action_row_get_subtitle (me->region_row), ==, "Lisbon");
  name = server_display_name_with (f, PASSWORD);
  g_assert_cmpstr (name, ==, "Alice Renamed");

  /* A name the server refuses: shown at once, rolled back, and the toast says why. */
  activate (me, "me.edit");
  editor = me->editor;
  set_text (editor->display_name_row,
            "An extremely long display name that is well over the limit of 64 characters");
  activate (editor, "editor.save");
  g_assert_cmpstr (gtk_label_get_text (me->display_name_label), ==,
                   "An extremely long display name that is well over the limit of 64 characters");
  ui_wait_until (toast_starts_couldnt_save, f, 30, "the failure toast");
  g_assert_cmpstr (gtk_label_get_text (me->display_name_label), ==, "Alice Renamed");
  g_assert_nonnull (strstr (f->window->last_toast, "Display name"));

  /* Settings list both devices; sign out with the confirmation. */
  prefs = globi_preferences_window_new (f->window);
  gtk_window_present (GTK_WINDOW (prefs));
  ui_wait_until (devices_loaded, prefs, 30, "the devices list");
  g_assert_nonnull (gtk_list_box_get_row_at_index (prefs->devices_list, 1));

  /* Privacy is saved to the account: the other device stops finding me by username. */
  g_assert_true (gtk_switch_get_active (prefs->discoverable_switch));
  gtk_switch_set_active (prefs->discoverable_switch, FALSE);
  {
    Lookup l = { f->other, FALSE, FALSE };
    ui_wait_until (hidden_from_search, &l, 30, "the username to be hidden from search");
    /* Nothing may still be in flight when l goes out of scope. */
    while (l.in_flight)
      g_main_context_iteration (NULL, TRUE);
  }

  /* Revoke the other device (newest first: it is the first row) after the confirmation. */
  {
    GtkListBoxRow *row = gtk_list_box_get_row_at_index (prefs->devices_list, 0);
    g_autofree char *label = g_strdup_printf ("Sign out “%s”", "Checker");
    GtkWidget *revoke = NULL;

    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Checker");
    /* The current device has no revoke button. */
    g_assert_null (
        ui_find_button (GTK_WIDGET (gtk_list_box_get_row_at_index (prefs->devices_list, 1)), NULL));
    revoke = ui_find_button (GTK_WIDGET (row), NULL);
    g_assert_nonnull (revoke);
    g_assert_cmpstr (gtk_widget_get_tooltip_text (revoke), ==, label);
    g_signal_emit_by_name (revoke, "clicked");
    dialog = find_message_dialog ("Sign out this device?");
    g_assert_nonnull (dialog);
    adw_message_dialog_response (dialog, "revoke");
    ui_wait_until (prefs_toast_is_revoked, prefs, 30, "the revoked toast");
  }

  /* Change the password: a wrong current one is said inline, then it works. */
  set_text (prefs->current_password_row, "not my password");
  set_text (prefs->new_password_row, NEW_PASSWORD);
  set_text (prefs->confirm_password_row, NEW_PASSWORD "?");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (prefs->password_error)));
  set_text (prefs->confirm_password_row, NEW_PASSWORD);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (prefs->password_error)));
  activate (prefs, "prefs.change-password");
  ui_wait_until (label_visible, prefs->password_error, 30, "the wrong password error");
  g_assert_cmpstr (gtk_label_get_text (prefs->password_error), ==, "The current password is wrong");
  set_text (prefs->current_password_row, PASSWORD);
  activate (prefs, "prefs.change-password");
  ui_wait_until (prefs_toast_is_password_changed, prefs, 30, "the password toast");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (prefs->new_password_row)), ==, "");
  activate (prefs, "prefs.sign-out");
  dialog = find_message_dialog ("Sign out?");
  g_assert_nonnull (dialog);
  g_object_add_weak_pointer (G_OBJECT (prefs), (gpointer *) &prefs);
  adw_message_dialog_response (dialog, "sign-out");
  ui_wait_until (on_onboarding, f->window, 30, "the welcome page after signing out");
  /* Settings of an account that is gone close with it. */
  ui_wait_until (is_null, &prefs, 30, "the settings window to close");
  g_assert_cmpint (globi_session_get_state (f->session), ==, GLOBI_SESSION_STATE_SIGNED_OUT);

  /* The taken username is said inline. */
  activate (o, "onboarding.show-register");
  fill_register (o, USERNAME, "Someone Else");
  activate (o, "onboarding.register");
  ui_wait_until (label_visible, o->register_error, 30, "the register error");
  g_assert_cmpstr (gtk_label_get_text (o->register_error), ==,
                   "This username is taken. Try another one.");

  /* A wrong password, then the right one. */
  activate (o, "onboarding.back");
  activate (o, "onboarding.show-sign-in");
  set_text (o->sign_in_username, USERNAME);
  set_text (o->sign_in_password, "wrong password!");
  activate (o, "onboarding.sign-in");
  ui_wait_until (label_visible, o->sign_in_error, 30, "the sign-in error");
  g_assert_cmpstr (gtk_label_get_text (o->sign_in_error), ==, "Wrong username or password");
  set_text (o->sign_in_password, NEW_PASSWORD);
  g_signal_emit_by_name (o->sign_in_password, "entry-activated");
  ui_wait_until (on_main, f, 30, "the main window after signing in");
  g_assert_cmpstr (gtk_label_get_text (me->display_name_label), ==, "Alice Renamed");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (o->sign_in_error)) &&
                  gtk_widget_get_mapped (GTK_WIDGET (o->sign_in_error)));

  /* Another device revokes this one: the app notices on its next call and says so. */
  {
    Op op = { 0 };

    g_free (server_display_name_with (f, NEW_PASSWORD));
    globi_session_revoke_device_async (f->other, globi_session_get_device_id (f->session), NULL,
                                       on_revoked_cb, &op);
    ui_wait_until (op_done, &op, 30, "the other device to revoke this one");
    globi_session_reload_me_async (f->session, NULL, NULL, NULL);
    ui_wait_until (on_onboarding, f->window, 30, "the welcome page after being revoked");
    g_assert_cmpstr (f->window->last_toast, ==, "This device was signed out from another device");
  }
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add ("/globi/ui/smoke/register-edit-sign-out-sign-in", Fixture, NULL, setup,
              test_register_edit_sign_out_sign_in, teardown);
  return g_test_run ();
}
