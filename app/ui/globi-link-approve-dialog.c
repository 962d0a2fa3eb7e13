/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-link-approve-dialog"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "globi-application.h"
#include "globi-device-link.h"
#include "globi-link-approve-dialog.h"
#include "globi-ui-util.h"
#include "globi-window.h"

/* One modal window per scanned code: checking → ask (who, what, when) → sending → done,
 * or an error page. Built in code: it is small, and every state is one AdwStatusPage. */

typedef struct
{
  AdwWindow *window;
  AdwStatusPage *status;
  GtkLabel *details;
  GtkLabel *warning;
  GtkButton *approve;
  GtkButton *decline;
  GtkButton *close;
  GtkSpinner *spinner;
  GtkLabel *progress;
  GlobiSession *session;
  GlobiMessenger *messenger;
  GCancellable *cancellable;
  char *uri;
} Dialog;

static void
dialog_free (Dialog *d)
{
  g_cancellable_cancel (d->cancellable);
  g_clear_object (&d->cancellable);
  g_clear_object (&d->session);
  g_clear_object (&d->messenger);
  g_free (d->uri);
  g_free (d);
}

/* The window owns the Dialog; callbacks hold a window reference while they run. */
static Dialog *
dialog_of (AdwWindow *window)
{
  return g_object_get_data (G_OBJECT (window), "globi-link-dialog");
}

static void
show_buttons (Dialog *d, gboolean ask, gboolean busy)
{
  gtk_widget_set_visible (GTK_WIDGET (d->approve), ask);
  gtk_widget_set_visible (GTK_WIDGET (d->decline), ask);
  gtk_widget_set_visible (GTK_WIDGET (d->close), !ask && !busy);
  gtk_widget_set_visible (GTK_WIDGET (d->spinner), busy);
  gtk_spinner_set_spinning (d->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (d->progress), busy);
}

static void
show_state (Dialog *d, const char *icon, const char *title, const char *description)
{
  adw_status_page_set_icon_name (d->status, icon);
  adw_status_page_set_title (d->status, title);
  adw_status_page_set_description (d->status, description);
  gtk_widget_set_visible (GTK_WIDGET (d->details), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (d->warning), FALSE);
  show_buttons (d, FALSE, FALSE);
}

static void
show_error (Dialog *d, const char *title, const GError *error)
{
  g_autofree char *message = globi_ui_describe_error (error);

  show_state (d, "dialog-warning-symbolic", title, message ? message : error->message);
  gtk_widget_grab_focus (GTK_WIDGET (d->close));
}

/* "a few seconds ago", "3 minutes ago": when the code was made, as the new device asked. */
static char *
describe_age (gint64 created_at_ms)
{
  gint64 seconds = MAX (0, g_get_real_time () / G_USEC_PER_SEC - created_at_ms / 1000);

  if (seconds < 60)
    return g_strdup (_ ("just now"));
  return g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago", (gulong) (seconds / 60)),
      (int) (seconds / 60));
}

static void
on_scanned_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (AdwWindow) window = user_data;
  Dialog *d = dialog_of (window);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) ticket =
      globi_device_link_scan_finish (GLOBI_SESSION (source), result, &error);
  JsonObject *device;
  const char *name;
  const char *platform;
  g_autofree char *age = NULL;
  g_autofree char *details = NULL;
  g_autofree char *title = NULL;

  if (!d || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (!ticket)
    {
      show_error (d, _ ("Can’t use this code"), error);
      return;
    }
  device = json_object_get_object_member (ticket, "device");
  name = device ? json_object_get_string_member_with_default (device, "name", "") : "";
  platform = device ? json_object_get_string_member_with_default (device, "platform", "") : "";
  age = describe_age (json_object_get_int_member_with_default (ticket, "created_at", 0));
  title = g_strdup_printf (_ ("Log in on “%s”?"), name);
  /* TRANSLATORS: "Linux · code made just now · from 192.0.2.7" */
  details = g_strdup_printf (_ ("%s · code made %s · from %s"),
                             *platform ? platform : _ ("Unknown system"), age,
                             json_object_get_string_member_with_default (ticket, "address", "?"));
  adw_status_page_set_icon_name (d->status, "computer-symbolic");
  adw_status_page_set_title (d->status, title);
  adw_status_page_set_description (
      d->status, _ ("This device will be signed in to your account and receive your contacts and "
                    "recent chats."));
  gtk_label_set_text (d->details, details);
  gtk_widget_set_visible (GTK_WIDGET (d->details), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (d->warning), TRUE);
  show_buttons (d, TRUE, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (d->decline));
}

static void
on_approved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (AdwWindow) window = user_data;
  Dialog *d = dialog_of (window);
  g_autoptr (GError) error = NULL;

  if (!globi_device_link_approve_finish (GLOBI_SESSION (source), result, &error))
    {
      if (d && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (d, _ ("The device wasn’t approved"), error);
      return;
    }
  if (!d)
    return;
  show_state (d, "emblem-ok-symbolic", _ ("Device approved"),
              _ ("It signs in now. You can remove it any time in Preferences → Devices."));
  gtk_widget_grab_focus (GTK_WIDGET (d->close));
}

static void
on_declined_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (AdwWindow) window = user_data;
  Dialog *d = dialog_of (window);
  g_autoptr (GError) error = NULL;

  if (!globi_device_link_decline_finish (GLOBI_SESSION (source), result, &error))
    {
      if (d && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (d, _ ("Couldn’t decline"), error);
      return;
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
on_approve_clicked_cb (GtkButton *button, AdwWindow *window)
{
  Dialog *d = dialog_of (window);

  show_buttons (d, FALSE, TRUE);
  gtk_label_set_text (d->progress, _ ("Sending your recent chats…"));
  globi_device_link_approve_async (d->session, d->messenger, d->uri, d->cancellable, on_approved_cb,
                                   g_object_ref (window));
}

static void
on_decline_clicked_cb (GtkButton *button, AdwWindow *window)
{
  Dialog *d = dialog_of (window);

  show_buttons (d, FALSE, TRUE);
  gtk_label_set_text (d->progress, _ ("Declining…"));
  globi_device_link_decline_async (d->session, d->uri, d->cancellable, on_declined_cb,
                                   g_object_ref (window));
}

/* Nothing may touch the widgets once the window is gone: pending calls end cancelled. */
static void
on_destroy_cb (AdwWindow *window)
{
  g_cancellable_cancel (dialog_of (window)->cancellable);
}

static void
on_close_clicked_cb (GtkButton *button, AdwWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The signed-in window behind parent (itself, or what a dialog is transient for). */
static GlobiWindow *
find_main_window (GtkWidget *parent)
{
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;
  GtkWindow *window = GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;

  while (window && !GLOBI_IS_WINDOW (window))
    window = gtk_window_get_transient_for (window);
  return window ? GLOBI_WINDOW (window) : NULL;
}

static GtkButton *
pill (const char *label, const char *style)
{
  GtkButton *button = GTK_BUTTON (gtk_button_new_with_mnemonic (label));

  gtk_widget_add_css_class (GTK_WIDGET (button), "pill");
  if (style)
    gtk_widget_add_css_class (GTK_WIDGET (button), style);
  return button;
}

void
globi_link_approve_dialog_present (GtkWidget *parent, const char *uri)
{
  GlobiWindow *main_window = find_main_window (parent);
  GApplication *app = g_application_get_default ();
  GlobiSession *session =
      GLOBI_IS_APPLICATION (app) ? globi_application_get_session (GLOBI_APPLICATION (app)) : NULL;
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;
  Dialog *d = g_new0 (Dialog, 1);
  GtkWidget *box, *content, *buttons, *header, *progress_box;

  g_return_if_fail (uri != NULL);

  d->uri = g_strdup (uri);
  d->cancellable = g_cancellable_new ();
  d->session = session ? g_object_ref (session) : NULL;
  if (main_window && globi_window_get_messenger (main_window))
    d->messenger = g_object_ref (globi_window_get_messenger (main_window));

  d->window = ADW_WINDOW (adw_window_new ());
  gtk_window_set_title (GTK_WINDOW (d->window), _ ("Log in on a new device"));
  gtk_window_set_modal (GTK_WINDOW (d->window), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (d->window), 440, 580);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (d->window), GTK_WINDOW (root));
  g_object_set_data_full (G_OBJECT (d->window), "globi-link-dialog", d,
                          (GDestroyNotify) dialog_free);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  gtk_widget_add_css_class (header, "flat");
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), adw_window_title_new ("", NULL));
  gtk_box_append (GTK_BOX (box), header);

  d->status = ADW_STATUS_PAGE (adw_status_page_new ());
  gtk_widget_add_css_class (GTK_WIDGET (d->status), "compact");
  gtk_widget_set_vexpand (GTK_WIDGET (d->status), TRUE);
  content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  d->details = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (d->details, TRUE);
  gtk_label_set_justify (d->details, GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (d->details), "dim-label");
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (d->details));
  d->warning = GTK_LABEL (gtk_label_new (_ ("Only approve a device you are holding. Someone who "
                                            "sent you this code could read your chats.")));
  gtk_label_set_wrap (d->warning, TRUE);
  gtk_label_set_justify (d->warning, GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (d->warning), "warning");
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (d->warning));

  progress_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_halign (progress_box, GTK_ALIGN_CENTER);
  d->spinner = GTK_SPINNER (gtk_spinner_new ());
  d->progress = GTK_LABEL (gtk_label_new (_ ("Checking the code…")));
  gtk_box_append (GTK_BOX (progress_box), GTK_WIDGET (d->spinner));
  gtk_box_append (GTK_BOX (progress_box), GTK_WIDGET (d->progress));
  gtk_box_append (GTK_BOX (content), progress_box);

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  d->decline = pill (_ ("_Decline"), NULL);
  d->approve = pill (_ ("_Approve"), "suggested-action");
  d->close = pill (_ ("_Close"), NULL);
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (d->decline));
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (d->approve));
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (d->close));
  gtk_box_append (GTK_BOX (content), buttons);
  adw_status_page_set_child (d->status, content);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (d->status));
  adw_window_set_content (d->window, box);

  g_signal_connect (d->approve, "clicked", G_CALLBACK (on_approve_clicked_cb), d->window);
  g_signal_connect (d->decline, "clicked", G_CALLBACK (on_decline_clicked_cb), d->window);
  g_signal_connect (d->close, "clicked", G_CALLBACK (on_close_clicked_cb), d->window);
  g_signal_connect (d->window, "destroy", G_CALLBACK (on_destroy_cb), NULL);

  adw_status_page_set_icon_name (d->status, "computer-symbolic");
  adw_status_page_set_title (d->status, _ ("Log in on a new device"));
  gtk_widget_set_visible (GTK_WIDGET (d->details), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (d->warning), FALSE);
  show_buttons (d, FALSE, TRUE);
  gtk_window_present (GTK_WINDOW (d->window));

  if (!session || globi_session_get_state (session) != GLOBI_SESSION_STATE_SIGNED_IN)
    {
      show_state (d, "dialog-warning-symbolic", _ ("Sign in first"),
                  _ ("Only a signed-in device can approve a new one."));
      return;
    }
  globi_device_link_scan_async (session, uri, d->cancellable, on_scanned_cb,
                                g_object_ref (d->window));
}
