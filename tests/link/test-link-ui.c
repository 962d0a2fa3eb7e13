/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>

#include "globi-device-link.h"
#include "globi-link-approve-dialog.h"
#include "globi-onboarding-private.h"
#include "globi-server-thread.h"
#include "globi-window-private.h"
#include "ui-app-fixture.h"

#define PASSWORD "correct horse battery"

/* The QR login page of a signed-out window shows a code that decodes (the window's own
 * rendering, read back by zbarimg) to the link URI; approving it from another signed-in
 * device signs the window in. Then the approval dialog of a signed-in window approves
 * another new device. */
typedef struct
{
  char *profile_dir;
  char *other_dir;
  UiServer srv;
  GlobiApplication *app;
  GlobiWindow *window;
  GlobiSession *session;
  GlobiSession *approver;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!ui_test_have_display ())
    return;
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  ui_server_start (&f->srv, "globi-link-ui-server-XXXXXX");
  f->profile_dir = g_dir_make_tmp ("globi-link-ui-profile-XXXXXX", &error);
  g_assert_no_error (error);
  f->other_dir = g_dir_make_tmp ("globi-link-ui-other-XXXXXX", &error);
  g_assert_no_error (error);

  f->app = ui_app_new (f->profile_dir, f->srv.base_url, NULL,
                       G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  f->session = globi_application_get_session (f->app);
  f->window = ui_window_open (f->app, 480, 720);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  ui_destroy_windows ();
  g_clear_object (&f->approver);
  g_clear_object (&f->app);
  ui_server_stop (&f->srv);
  for (char **dir = (char *[]){ f->profile_dir, f->other_dir, NULL }; *dir; dir++)
    if (*dir)
      globi_test_remove_tree (*dir);
  g_clear_pointer (&f->profile_dir, g_free);
  g_clear_pointer (&f->other_dir, g_free);
}

typedef struct
{
  gboolean done;
  gboolean ok;
} Op;

static gboolean
op_done (gpointer data)
{
  return ((Op *) data)->done;
}

static void
on_registered_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Op *op = data;
  g_autoptr (GError) error = NULL;

  op->ok = globi_session_register_finish (GLOBI_SESSION (object), result, &error);
  g_assert_no_error (error);
  op->done = TRUE;
}

static void
on_approved_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Op *op = data;
  g_autoptr (GError) error = NULL;

  op->ok = globi_device_link_approve_finish (GLOBI_SESSION (object), result, &error);
  g_assert_no_error (error);
  op->done = TRUE;
}

static void
register_approver (Fixture *f)
{
  Op op = { 0 };

  f->approver = globi_session_new (f->other_dir);
  globi_session_register_async (f->approver, f->srv.base_url, "alice", PASSWORD, "Alice Liu", NULL,
                                on_registered_cb, &op);
  ui_wait_until (op_done, &op, 30, "the approver to register");
  g_assert_true (op.ok);
}

static gboolean
on_onboarding (gpointer data)
{
  Fixture *f = data;
  return g_strcmp0 (gtk_stack_get_visible_child_name (f->window->main_stack), "onboarding") == 0;
}

static gboolean
on_main (gpointer data)
{
  Fixture *f = data;
  return g_strcmp0 (gtk_stack_get_visible_child_name (f->window->main_stack), "main") == 0 &&
         globi_session_get_state (f->session) == GLOBI_SESSION_STATE_SIGNED_IN;
}

static gboolean
find_onboarding_match (GtkWidget *widget, gpointer data)
{
  return GLOBI_IS_ONBOARDING (widget);
}

static GlobiOnboarding *
find_onboarding (GtkWidget *widget)
{
  return (GlobiOnboarding *) ui_find_widget (widget, find_onboarding_match, NULL);
}

static gboolean
code_shown (gpointer data)
{
  GlobiOnboarding *o = data;

  return o->link && globi_device_link_get_uri (o->link) &&
         gtk_picture_get_paintable (o->qr_picture) &&
         g_strcmp0 (gtk_stack_get_visible_child_name (o->qr_code_stack), "code") == 0 &&
         gtk_widget_get_mapped (GTK_WIDGET (o->qr_picture)) &&
         !gtk_stack_get_transition_running (o->pages) &&
         !gtk_stack_get_transition_running (o->qr_states) &&
         !gtk_stack_get_transition_running (o->qr_code_stack);
}

/* The window as it paints itself, saved as PNG once it has painted the code twice. Not
 * a grab of the X root window: UI tests run side by side on one display, and another
 * test's window may cover this one there. */
static void
on_after_paint_cb (GdkFrameClock *clock, guint *frames)
{
  /* An idle window paints no further frame of its own: ask for the second one. */
  if (++(*frames) < 2)
    gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
}

static gboolean
painted_twice (gpointer data)
{
  return *(guint *) data >= 2;
}

static gboolean
save_screen (GtkWidget *window, const char *path)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);
  guint frames = 0;
  gulong handler;

  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint_cb), &frames);
  gtk_widget_queue_draw (window);
  ui_wait_until (painted_twice, &frames, 30, "the window to paint");
  g_signal_handler_disconnect (clock, handler);
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  g_assert_cmpint (width, >, 0);
  gtk_snapshot_append_color (snapshot, &(GdkRGBA){ 1, 1, 1, 1 },
                             &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  return gdk_texture_save_to_png (texture, path);
}

/* For people looking at the screens: GLOBI_TEST_SCREENSHOT_DIR=DIR keeps each step. */
static void
keep_screen (Fixture *f, const char *name)
{
  const char *dir = g_getenv ("GLOBI_TEST_SCREENSHOT_DIR");
  g_autofree char *path = NULL;

  if (!dir)
    return;
  path = g_build_filename (dir, name, NULL);
  save_screen (GTK_WIDGET (f->window), path);
}

static char *
decode_png (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *argv[] = {
    "zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path, NULL
  };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_message ("zbarimg: %s", err);
      return NULL;
    }
  return g_strdup (g_strstrip (out));
}

static gboolean
page_settled (gpointer data)
{
  return !gtk_stack_get_transition_running (((GlobiOnboarding *) data)->pages);
}

static void
on_scanned_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Op *op = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) ticket =
      globi_device_link_scan_finish (GLOBI_SESSION (object), result, &error);

  g_assert_no_error (error);
  op->ok = ticket != NULL;
  op->done = TRUE;
}

static gboolean
scanned_shown (gpointer data)
{
  GlobiOnboarding *o = data;

  return g_strcmp0 (gtk_stack_get_visible_child_name (o->qr_states), "scanned") == 0 &&
         !gtk_stack_get_transition_running (o->qr_states);
}

static void approve_from_window (Fixture *f);

static void
test_qr_login_page (Fixture *f, gconstpointer data)
{
  g_autofree char *png = NULL;
  g_autofree char *decoded = NULL;
  g_autofree char *uri = NULL;
  GlobiOnboarding *o;
  Op op = { 0 };
  Op scanned = { 0 };

  if (!ui_test_have_display ())
    {
      g_test_skip ("no display");
      return;
    }
  if (!g_find_program_in_path ("zbarimg"))
    {
      g_test_skip ("zbarimg is not installed");
      return;
    }
  register_approver (f);
  ui_wait_until (on_onboarding, f, 30, "the onboarding page");
  o = find_onboarding (GTK_WIDGET (f->window));
  g_assert_nonnull (o);
  gtk_editable_set_text (GTK_EDITABLE (o->server_entry), f->srv.base_url);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (o), "onboarding.show-sign-in", NULL));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (o->qr_login_button)));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (o->qr_login_button)));
  ui_wait_until (page_settled, o, 30, "the sign-in page");
  keep_screen (f, "link-0-sign-in.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (o), "onboarding.show-qr", NULL));
  ui_wait_until (code_shown, o, 30, "the login code");
  uri = g_strdup (globi_device_link_get_uri (o->link));
  g_assert_true (g_str_has_prefix (uri, "globichat://link?"));

  /* What is on screen decodes to the code. */
  png = g_build_filename (f->profile_dir, "qr-login.png", NULL);
  g_assert_true (save_screen (GTK_WIDGET (f->window), png));
  decoded = decode_png (png);
  g_assert_cmpstr (decoded, ==, uri);
  keep_screen (f, "link-1-code.png");

  /* Scanned: the page shows who, and asks to confirm over there. */
  globi_device_link_scan_async (f->approver, uri, NULL, on_scanned_cb, &scanned);
  ui_wait_until (op_done, &scanned, 30, "the scan");
  ui_wait_until (scanned_shown, o, 30, "the scanned state");
  g_assert_cmpstr (adw_status_page_get_title (o->qr_scanned_page), ==, "Alice Liu");
  keep_screen (f, "link-2-scanned.png");

  /* Approved from the other device: the window signs in as that account. */
  globi_device_link_approve_async (f->approver, NULL, uri, NULL, on_approved_cb, &op);
  ui_wait_until (op_done, &op, 30, "the approval");
  ui_wait_until (on_main, f, 30, "the window to sign in");
  g_assert_cmpstr (globi_session_get_user_id (f->session), ==,
                   globi_session_get_user_id (f->approver));

  approve_from_window (f);
}

static gboolean
link_signed_in (gpointer data)
{
  return globi_device_link_get_state (data) == GLOBI_DEVICE_LINK_STATE_SIGNED_IN;
}

static gboolean
has_uri (gpointer data)
{
  return globi_device_link_get_uri (data) != NULL;
}

/* The approval dialog: the window, transient for ours, that has an Approve button. */
static GtkWindow *
find_dialog (Fixture *f)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (gtk_window_get_transient_for (window) == GTK_WINDOW (f->window) &&
          ui_find_button (GTK_WIDGET (window), "_Approve"))
        return window;
    }
  return NULL;
}

static gboolean
approve_button_visible (gpointer data)
{
  Fixture *f = data;
  GtkWindow *dialog = find_dialog (f);
  GtkWidget *button = dialog ? ui_find_button (GTK_WIDGET (dialog), "_Approve") : NULL;

  return button && gtk_widget_get_visible (button);
}

/* The signed-in window approves another new device through its dialog. */
static void
approve_from_window (Fixture *f)
{
  g_autoptr (GlobiSession) newcomer = NULL;
  g_autoptr (GlobiDeviceLink) link = NULL;
  g_autofree char *dir = g_build_filename (f->other_dir, "newcomer", NULL);
  GtkWindow *dialog;

  newcomer = globi_session_new (dir);
  link = globi_device_link_new (newcomer, f->srv.base_url, "Alice's tablet");
  globi_device_link_start (link);
  ui_wait_until (has_uri, link, 30, "the newcomer's code");

  globi_link_approve_dialog_present (GTK_WIDGET (f->window), globi_device_link_get_uri (link));
  ui_wait_until (approve_button_visible, f, 30, "the approval question");
  dialog = find_dialog (f);
  keep_screen (f, "link-3-approve-dialog.png");
  gtk_widget_activate (ui_find_button (GTK_WIDGET (dialog), "_Approve"));
  ui_wait_until (link_signed_in, link, 30, "the newcomer to sign in");
  g_assert_cmpstr (globi_session_get_user_id (newcomer), ==,
                   globi_session_get_user_id (f->session));
  globi_device_link_cancel (link);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add ("/globi/link/ui/qr-login-then-approve", Fixture, NULL, setup, test_qr_login_page,
              teardown);
  return g_test_run ();
}
