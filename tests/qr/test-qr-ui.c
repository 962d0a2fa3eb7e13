/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-add-friend-dialog.h"
#include "globi-client.h"
#include "globi-code.h"
#include "globi-error.h"
#include "globi-friend-card-dialog.h"
#include "globi-friend-card.h"
#include "globi-group-qr-dialog.h"
#include "globi-qr-image.h"
#include "globi-qr-scanner.h"
#include "globi-scan-dialog.h"
#include "globi-server-thread.h"
#include "globi-window-private.h"
#include "ui-app-fixture.h"

#define PASSWORD "correct horse battery"

/* The QR screens on a real server, a real application and window: My QR Code shows a
 * code that decodes (from the rendered dialog, avatar in the middle), and a friend card
 * handed to the scan dialog opens the person with Add Friend and sends the request.
 * With GLOBI_QR_SCREENSHOTS=DIR the rendered dialogs are also saved there. */

typedef struct
{
  char *profile_dir;
  char *bob_dir;
  UiServer srv;
  GlobiApplication *app;
  GlobiWindow *window;
  GlobiSession *session;
  GlobiSession *bob;
  GAsyncResult *result;
} Fixture;

static void
on_result_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Fixture *f = data;

  f->result = g_object_ref (result);
}

static gboolean
have_result (gpointer data)
{
  return ((Fixture *) data)->result != NULL;
}

static GAsyncResult *
await (Fixture *f, const char *what)
{
  ui_wait_until (have_result, f, 30, what);
  return g_steal_pointer (&f->result);
}

static void
register_user (Fixture *f, GlobiSession *session, const char *username, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  globi_session_register_async (session, f->srv.base_url, username, PASSWORD, name, NULL,
                                on_result_cb, f);
  result = await (f, "registration");
  g_assert_true (globi_session_register_finish (session, result, &error));
  g_assert_no_error (error);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!ui_test_have_display ())
    return;
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  ui_server_start (&f->srv, "globi-qr-server-XXXXXX");
  f->profile_dir = g_dir_make_tmp ("globi-qr-profile-XXXXXX", &error);
  f->bob_dir = g_dir_make_tmp ("globi-qr-bob-XXXXXX", &error);
  g_assert_no_error (error);

  f->app = ui_app_new (f->profile_dir, f->srv.base_url, NULL,
                       G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  f->session = globi_application_get_session (f->app);
  f->window = ui_window_open (f->app, -1, -1);
  register_user (f, f->session, "alice.qr", "Alice QR");

  f->bob = globi_session_new (f->bob_dir);
  register_user (f, f->bob, "bob.qr", "Bob QR");
}

static void
teardown (Fixture *f, gconstpointer data)
{
  ui_destroy_windows ();
  g_clear_object (&f->bob);
  g_clear_object (&f->app);
  ui_server_stop (&f->srv);
  for (char **dir = (char *[]){ f->profile_dir, f->bob_dir, NULL }; *dir; dir++)
    globi_test_remove_tree (*dir);
  g_clear_pointer (&f->profile_dir, g_free);
  g_clear_pointer (&f->bob_dir, g_free);
}

/* The first toplevel of this type, or NULL. */
static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

static gboolean
signed_in_and_shown (gpointer data)
{
  Fixture *f = data;

  return g_strcmp0 (gtk_stack_get_visible_child_name (f->window->main_stack), "main") == 0 &&
         gtk_widget_is_sensitive (GTK_WIDGET (f->window)) &&
         globi_session_get_state (f->session) == GLOBI_SESSION_STATE_SIGNED_IN &&
         globi_session_get_me (f->session) != NULL;
}

static gboolean
find_child_match (GtkWidget *widget, gpointer data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

static GtkWidget *
find_child (GtkWidget *widget, GType type)
{
  return ui_find_widget (widget, find_child_match, GSIZE_TO_POINTER (type));
}

static gboolean
on_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  guint *frames = data;

  (*frames)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
any_transition (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget)))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    if (any_transition (child))
      return TRUE;
  return FALSE;
}

static gboolean
settled (gpointer data)
{
  GtkWidget *window = data;
  guint *frames = g_object_get_data (G_OBJECT (window), "frames");

  /* Two frames drawn, and no page change fading: what a person sees. */
  return *frames >= 2 && !any_transition (window);
}

/* Renders a window's content as the window draws it (the same GskRenderer) and encodes
 * a PNG. */
static GBytes *
screenshot (GtkWidget *window, const char *name)
{
  GtkWidget *widget = ADW_IS_WINDOW (window) ? adw_window_get_content (ADW_WINDOW (window))
                                             : gtk_window_get_child (GTK_WINDOW (window));
  guint frames = 0;
  guint tick = gtk_widget_add_tick_callback (window, on_tick_cb, &frames, NULL);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  const char *dir = g_getenv ("GLOBI_QR_SCREENSHOTS");
  GBytes *png = NULL;

  /* Drawn at least once since the last change: what the screen shows. */
  gtk_widget_queue_draw (window);
  g_object_set_data (G_OBJECT (window), "frames", &frames);
  ui_wait_until (settled, window, 30, "the window to draw");
  gtk_widget_remove_tick_callback (window, tick);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);
  gtk_snapshot_append_color (snapshot, &(GdkRGBA){ 1, 1, 1, 1 },
                             &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  png = gdk_texture_save_to_png_bytes (texture);
  if (dir)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s.png", dir, name);

      gdk_texture_save_to_png (texture, path);
    }
  return png;
}

static gboolean
card_shown (gpointer data)
{
  GlobiFriendCardDialog *dialog = data;

  return globi_friend_card_dialog_get_code (dialog) != NULL &&
         gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

static gboolean
centre_loaded (gpointer data)
{
  GtkWidget *image = find_child (GTK_WIDGET (data), GLOBI_TYPE_QR_IMAGE);

  return image && globi_qr_image_get_centre (GLOBI_QR_IMAGE (image)) != NULL;
}

static GBytes *
avatar_png (void)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 128, 128);
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  /* A dark face on a light background: the kind of picture that hides modules. */
  gdk_pixbuf_fill (pixbuf, 0x3070c0ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &data, &len, "png", &error, NULL));
  return g_bytes_new_take (data, len);
}

static void
test_my_card_decodes (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GBytes) avatar = avatar_png ();
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GlobiCode) code = NULL;
  g_autofree char *text = NULL;
  GlobiFriendCardDialog *dialog = NULL;

  if (!ui_test_have_display ())
    return;
  ui_wait_until (signed_in_and_shown, f, 30, "the signed-in window");
  globi_session_set_avatar_async (f->session, avatar, "image/png", NULL, on_result_cb, f);
  result = await (f, "the avatar upload");
  g_assert_true (globi_session_set_avatar_finish (f->session, result, &error));
  g_assert_no_error (error);

  globi_window_show_section (f->window, "me");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window->me_view), "me.show-qr", NULL));
  dialog = GLOBI_FRIEND_CARD_DIALOG (find_toplevel (GLOBI_TYPE_FRIEND_CARD_DIALOG));
  g_assert_nonnull (dialog);
  ui_wait_until (card_shown, dialog, 30, "my QR code");
  ui_wait_until (centre_loaded, dialog, 30, "the avatar in the middle of the code");

  png = screenshot (GTK_WIDGET (dialog), "my-qr-code");
  text = globi_qr_decode_bytes (png, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (globi_code_classify (text, &code, NULL), ==, GLOBI_CODE_ADD);
  g_assert_cmpstr (code->user_id, ==, globi_profile_get_id (globi_session_get_me (f->session)));
  g_assert_cmpstr (text, ==, globi_qr_code_get_text (globi_friend_card_dialog_get_code (dialog)));
}

static gboolean
scan_settled (gpointer data)
{
  const char *state = globi_scan_dialog_get_state (data);

  return g_strcmp0 (state, "starting") != 0;
}

static gboolean
person_shown (gpointer data)
{
  GtkWindow *dialog = find_toplevel (g_type_from_name ("GlobiAddFriendDialog"));

  return dialog && ui_find_button (GTK_WIDGET (dialog), "_Add Friend") &&
         gtk_widget_get_mapped (ui_find_button (GTK_WIDGET (dialog), "_Add Friend")) &&
         gtk_widget_is_sensitive (ui_find_button (GTK_WIDGET (dialog), "_Add Friend"));
}

static gboolean
request_sent (gpointer data)
{
  Fixture *f = data;

  return g_strcmp0 (f->window->last_toast, "Friend request sent to Bob QR") == 0;
}

static void
test_scan_friend_card (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *uri = NULL;
  g_autoptr (GBytes) shot = NULL;
  GlobiScanDialog *scan = NULL;
  GtkWindow *person = NULL;
  const char *state = NULL;

  if (!ui_test_have_display ())
    return;
  ui_wait_until (signed_in_and_shown, f, 30, "the signed-in window");
  globi_friend_card_fetch_async (f->bob, FALSE, NULL, on_result_cb, f);
  result = await (f, "Bob's card");
  uri = globi_friend_card_fetch_finish (result, &error);
  g_assert_no_error (error);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "main.scan-code", NULL));
  scan = GLOBI_SCAN_DIALOG (find_toplevel (GLOBI_TYPE_SCAN_DIALOG));
  g_assert_nonnull (scan);
  ui_wait_until (scan_settled, scan, 30, "the camera to start or fail");
  state = globi_scan_dialog_get_state (scan);
  g_test_message ("scan dialog state: %s", state);
  /* No camera on CI; a machine with one shows it (or says why not). */
  g_assert_true (g_strv_contains (
      (const char *const[]){ "no-camera", "denied", "scanning", "failed", NULL }, state));
  shot = screenshot (GTK_WIDGET (scan), "scan-dialog");

  /* A damaged card keeps the dialog open with a word; the real one goes through. */
  globi_scan_dialog_take_text (scan, "globichat://add?u=nobody&c=x");
  g_assert_true (find_toplevel (GLOBI_TYPE_SCAN_DIALOG) != NULL);
  globi_scan_dialog_take_text (scan, uri);
  g_assert_null (find_toplevel (GLOBI_TYPE_SCAN_DIALOG));

  ui_wait_until (person_shown, f, 30, "Bob's card page");
  person = find_toplevel (g_type_from_name ("GlobiAddFriendDialog"));
  g_clear_pointer (&shot, g_bytes_unref);
  shot = screenshot (GTK_WIDGET (person), "add-friend");
  g_signal_emit_by_name (ui_find_button (GTK_WIDGET (person), "_Add Friend"), "clicked");
  ui_wait_until (request_sent, f, 30, "the friend request");
  g_assert_null (find_toplevel (g_type_from_name ("GlobiAddFriendDialog")));
}

static gboolean
not_loading (gpointer data)
{
  return g_strcmp0 (globi_add_friend_dialog_get_state (data), "loading") != 0;
}

static void
test_other_codes (Fixture *f, gconstpointer data)
{
  if (!ui_test_have_display ())
    return;
  ui_wait_until (signed_in_and_shown, f, 30, "the signed-in window");

  globi_window_open_code (f->window, "globichat://contacts");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (f->window->section_stack), ==, "contacts");

  globi_window_open_code (f->window, "globichat://join?group=nope&token=x");
  g_assert_true (g_str_has_prefix (f->window->last_toast, "This code can’t be used: "));

  /* Other text is shown as it is, with Copy. */
  globi_window_open_code (f->window, "WIFI:S:home;T:WPA;P:secret;;");
  g_assert_nonnull (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  gtk_window_destroy (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));

  /* My own card says so instead of offering to add myself. */
  {
    g_autoptr (GAsyncResult) result = NULL;
    g_autofree char *mine = NULL;
    GlobiAddFriendDialog *dialog = NULL;

    globi_friend_card_fetch_async (f->session, FALSE, NULL, on_result_cb, f);
    result = await (f, "my card");
    mine = globi_friend_card_fetch_finish (result, NULL);
    g_assert_nonnull (mine);
    globi_window_open_code (f->window, mine);
    dialog = GLOBI_ADD_FRIEND_DIALOG (find_toplevel (GLOBI_TYPE_ADD_FRIEND_DIALOG));
    g_assert_nonnull (dialog);
    ui_wait_until (not_loading, dialog, 30, "my own card");
    g_assert_cmpstr (globi_add_friend_dialog_get_state (dialog), ==, "error");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
}

static gboolean
scanning (gpointer data)
{
  return g_strcmp0 (globi_scan_dialog_get_state (data), "scanning") == 0;
}

static gboolean
add_dialog_shown (gpointer data)
{
  return find_toplevel (g_type_from_name ("GlobiAddFriendDialog")) != NULL;
}

/* The camera path end to end: a pipeline standing in for the webcam (the documented
 * GLOBICHAT_CAMERA_SOURCE) shows its frames in the preview, and a card held in front of
 * it opens that person. */
static void
test_camera_finds_card (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GlobiQrCode) code = NULL;
  g_autoptr (GBytes) shot = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *png = NULL;
  g_autofree char *source = NULL;
  GlobiScanDialog *scan = NULL;
  GtkWindow *person = NULL;

  if (!ui_test_have_display ())
    return;
  ui_wait_until (signed_in_and_shown, f, 30, "the signed-in window");

  g_setenv ("GLOBICHAT_CAMERA_SOURCE", "videotestsrc is-live=true pattern=ball", TRUE);
  scan = globi_scan_dialog_present (GTK_WIDGET (f->window));
  ui_wait_until (scanning, scan, 30, "the test camera's preview");
  shot = screenshot (GTK_WIDGET (scan), "scan-dialog-preview");
  gtk_window_destroy (GTK_WINDOW (scan));

  globi_friend_card_fetch_async (f->bob, FALSE, NULL, on_result_cb, f);
  result = await (f, "Bob's card");
  uri = globi_friend_card_fetch_finish (result, &error);
  g_assert_no_error (error);
  code = globi_qr_code_new (uri, GLOBI_QR_ECC_M, &error);
  png = g_build_filename (f->profile_dir, "bob-card.png", NULL);
  g_assert_true (globi_qr_code_save_png (code, png, 4, NULL, &error));
  g_assert_no_error (error);
  source = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! imagefreeze ! "
                            "video/x-raw,framerate=10/1 ! videoconvert",
                            png);
  g_setenv ("GLOBICHAT_CAMERA_SOURCE", source, TRUE);
  scan = globi_scan_dialog_present (GTK_WIDGET (f->window));
  ui_wait_until (add_dialog_shown, f, 30, "the card to be read from the camera");
  g_assert_null (find_toplevel (GLOBI_TYPE_SCAN_DIALOG));
  ui_wait_until (person_shown, f, 30, "Bob's card page");
  person = find_toplevel (g_type_from_name ("GlobiAddFriendDialog"));
  gtk_window_destroy (person);
  g_unsetenv ("GLOBICHAT_CAMERA_SOURCE");
}

static gboolean
code_changed (gpointer data)
{
  GlobiFriendCardDialog *dialog = data;
  const char *old = g_object_get_data (G_OBJECT (dialog), "old-text");
  GlobiQrCode *code = globi_friend_card_dialog_get_code (dialog);

  return code && g_strcmp0 (globi_qr_code_get_text (code), old) != 0;
}

/* Reset QR Code asks first, then shows a new card; the old one no longer resolves. */
static void
test_reset_card (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GlobiCode) old = NULL;
  g_autoptr (GlobiProfile) nobody = NULL;
  GlobiFriendCardDialog *dialog = NULL;
  AdwMessageDialog *confirm = NULL;

  if (!ui_test_have_display ())
    return;
  ui_wait_until (signed_in_and_shown, f, 30, "the signed-in window");
  dialog = globi_friend_card_dialog_present (GTK_WIDGET (f->window), f->session);
  ui_wait_until (card_shown, dialog, 30, "my QR code");
  g_assert_cmpint (
      globi_code_classify (globi_qr_code_get_text (globi_friend_card_dialog_get_code (dialog)),
                           &old, NULL),
      ==, GLOBI_CODE_ADD);
  g_object_set_data_full (G_OBJECT (dialog), "old-text", g_strdup (old->text), g_free);

  g_signal_emit_by_name (ui_find_button (GTK_WIDGET (dialog), "_Reset QR Code…"), "clicked");
  confirm = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (confirm);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (confirm)) == GTK_WINDOW (dialog));
  adw_message_dialog_response (confirm, "reset");
  ui_wait_until (code_changed, dialog, 30, "the new card");

  globi_friend_card_resolve_async (f->bob, old->user_id, old->card, NULL, on_result_cb, f);
  result = await (f, "the old card");
  nobody = globi_friend_card_resolve_finish (result, &error);
  g_assert_null (nobody);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* A screenshot of a code on the clipboard, pasted into the scan dialog. */
static void
test_paste_image (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GlobiQrCode) code = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *uri = NULL;
  GlobiScanDialog *scan = NULL;

  if (!ui_test_have_display ())
    return;
  ui_wait_until (signed_in_and_shown, f, 30, "the signed-in window");
  globi_friend_card_fetch_async (f->bob, FALSE, NULL, on_result_cb, f);
  result = await (f, "Bob's card");
  uri = globi_friend_card_fetch_finish (result, &error);
  g_assert_no_error (error);
  code = globi_qr_code_new (uri, GLOBI_QR_ECC_M, NULL);
  pixbuf = globi_qr_code_render (code, 3, NULL, NULL);
  texture = gdk_texture_new_for_pixbuf (pixbuf);

  scan = globi_scan_dialog_present (GTK_WIDGET (f->window));
  ui_wait_until (scan_settled, scan, 30, "the camera to start or fail");
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (scan)), texture);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (scan), "scan.paste", NULL));
  ui_wait_until (person_shown, f, 30, "the pasted card's page");
  g_assert_null (find_toplevel (GLOBI_TYPE_SCAN_DIALOG));
  gtk_window_destroy (find_toplevel (g_type_from_name ("GlobiAddFriendDialog")));
}

/* Modules are whole pixels: every pixel of the drawn code is pure black or pure white,
 * at sizes that do not divide evenly. */
static void
test_crisp (Fixture *f, gconstpointer data)
{
  static const int sizes[] = { 173, 240, 301 };

  if (!ui_test_have_display ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiQrCode) code =
          globi_qr_code_new ("globichat://moments", GLOBI_QR_ECC_L, NULL);
      g_autoptr (GBytes) png = NULL;
      g_autoptr (GdkTexture) texture = NULL;
      g_autofree guchar *pixels = NULL;
      g_autofree char *text = NULL;
      GtkWidget *window = gtk_window_new ();
      GtkWidget *image = globi_qr_image_new ();
      int width, height;
      guint grey = 0;

      globi_qr_image_set_code (GLOBI_QR_IMAGE (image), code);
      gtk_widget_set_size_request (image, sizes[i], sizes[i]);
      gtk_window_set_child (GTK_WINDOW (window), image);
      gtk_window_present (GTK_WINDOW (window));
      png = screenshot (window, "crisp");
      texture = gdk_texture_new_from_bytes (png, &error);
      g_assert_no_error (error);
      width = gdk_texture_get_width (texture);
      height = gdk_texture_get_height (texture);
      pixels = g_malloc ((gsize) width * height * 4);
      gdk_texture_download (texture, pixels, (gsize) width * 4);
      for (gsize p = 0; p < (gsize) width * height * 4; p++)
        if ((p % 4) != 3 && pixels[p] != 0 && pixels[p] != 255)
          grey++;
      g_assert_cmpuint (grey, ==, 0);
      text = globi_qr_decode_bytes (png, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, "globichat://moments");
      gtk_window_destroy (GTK_WINDOW (window));
    }
}

static gboolean
group_code_state (gpointer data)
{
  const char *state = globi_group_qr_dialog_get_state (data);

  return g_strcmp0 (state, "code") == 0 || g_strcmp0 (state, "error") == 0;
}

static gboolean
group_revoked (gpointer data)
{
  return g_strcmp0 (globi_group_qr_dialog_get_state (data), "revoked") == 0;
}

/* A group's join code decodes to its invite; after Revoke the token no longer joins. */
static void
test_group_code (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GlobiGroup) group = NULL;
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GlobiCode) code = NULL;
  g_autoptr (JsonNode) joined = NULL;
  g_autofree char *text = NULL;
  g_autofree char *body = NULL;
  GlobiGroupQrDialog *dialog = NULL;
  GlobiMessenger *messenger = NULL;
  GtkWidget *revoke = NULL;

  if (!ui_test_have_display ())
    return;
  ui_wait_until (signed_in_and_shown, f, 30, "the signed-in window");
  messenger = globi_window_get_messenger (f->window);
  g_assert_nonnull (messenger);
  globi_messenger_create_group_async (messenger, "QR club", (const char *const[]){ NULL }, NULL,
                                      on_result_cb, f);
  result = await (f, "the new group");
  group = globi_messenger_group_finish (messenger, result, &error);
  g_assert_no_error (error);

  dialog = globi_group_qr_dialog_present (GTK_WIDGET (f->window), messenger, group);
  ui_wait_until (group_code_state, dialog, 30, "the group's code");
  g_assert_cmpstr (globi_group_qr_dialog_get_state (dialog), ==, "code");
  png = screenshot (GTK_WIDGET (dialog), "group-qr-code");
  text = globi_qr_decode_bytes (png, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, globi_group_qr_dialog_get_uri (dialog));
  g_assert_cmpint (globi_code_classify (text, &code, NULL), ==, GLOBI_CODE_JOIN);
  g_assert_cmpstr (code->group_id, ==, globi_group_get_id (group));

  revoke = ui_find_button (GTK_WIDGET (dialog), "_Revoke");
  g_assert_nonnull (revoke);
  g_signal_emit_by_name (revoke, "clicked");
  ui_wait_until (group_revoked, dialog, 30, "the invite to be revoked");

  body = g_strdup_printf ("{\"token\": \"%s\"}", code->token);
  {
    g_autoptr (JsonParser) parser = json_parser_new ();

    g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
    g_clear_object (&result);
    globi_client_call_async (globi_session_get_client (f->bob), "POST", "/v1/groups/join",
                             json_parser_get_root (parser), GLOBI_CALL_FLAGS_AUTH, NULL,
                             on_result_cb, f);
    result = await (f, "Bob's join attempt");
  }
  joined = globi_client_call_finish (globi_session_get_client (f->bob), result, &error);
  g_assert_null (joined);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

int
main (int argc, char *argv[])
{
  static Fixture fixture;
  int status;

  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  /* One application for the whole run: its D-Bus object outlives a test's teardown. */
  if (ui_test_have_display ())
    setup (&fixture, NULL);
#define ADD(path, func) g_test_add_data_func ("/globi/qr/ui/" path, &fixture, (GTestDataFunc) func)
  ADD ("my-card-decodes", test_my_card_decodes);
  ADD ("scan-friend-card", test_scan_friend_card);
  ADD ("other-codes", test_other_codes);
  ADD ("group-code", test_group_code);
  ADD ("camera-finds-card", test_camera_finds_card);
  ADD ("reset-card", test_reset_card);
  ADD ("paste-image", test_paste_image);
  ADD ("crisp", test_crisp);
#undef ADD
  status = g_test_run ();
  if (fixture.app)
    teardown (&fixture, NULL);
  return status;
}
