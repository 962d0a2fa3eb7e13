/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-code-dialogs"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "globi-code-dialogs.h"
#include "globi-error.h"
#include "globi-ui-util.h"

static gboolean
is_web_link (const char *text)
{
  return (g_str_has_prefix (text, "https://") || g_str_has_prefix (text, "http://")) &&
         g_uri_is_valid (text, G_URI_FLAGS_NONE, NULL) && !strpbrk (text, " \n\t");
}

static void
on_text_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  const char *text = g_object_get_data (G_OBJECT (dialog), "text");
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (dialog));

  if (g_str_equal (response, "copy"))
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (dialog)), text);
  else if (g_str_equal (response, "open"))
    gtk_show_uri (parent, text, GDK_CURRENT_TIME);
}

AdwMessageDialog *
globi_code_show_text (GtkWindow *parent, const char *text)
{
  AdwMessageDialog *dialog = NULL;
  GtkWidget *label = NULL;
  GtkWidget *scrolled = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      parent, _ ("QR Code Text"), _ ("This code is not a GlobiChat code. It says:")));
  /* Selectable and scrollable: a code holds up to a few thousand characters. */
  label = gtk_label_new (text);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "monospace");
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 240);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), label);
  adw_message_dialog_set_extra_child (dialog, scrolled);

  adw_message_dialog_add_responses (dialog, "close", _ ("_Close"), "copy", _ ("_Copy"), NULL);
  if (is_web_link (text))
    {
      adw_message_dialog_add_response (dialog, "open", _ ("_Open Link"));
      adw_message_dialog_set_response_appearance (dialog, "open", ADW_RESPONSE_SUGGESTED);
    }
  adw_message_dialog_set_close_response (dialog, "close");
  adw_message_dialog_set_default_response (dialog, "copy");
  g_object_set_data_full (G_OBJECT (dialog), "text", g_strdup (text), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_text_response_cb), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

typedef struct
{
  GtkWindow *parent;
  GlobiCodeJoinedFunc on_joined;
} JoinData;

static void
on_joined_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JoinData *data = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiGroup) group =
      globi_messenger_group_finish (GLOBI_MESSENGER (source), result, &error);

  if (group)
    {
      g_autofree char *chat_id = g_strdup_printf ("g:%s", globi_group_get_id (group));
      g_autofree char *message =
          g_strdup_printf (_ ("You joined “%s”"), globi_group_get_name (group));

      data->on_joined (data->parent, chat_id, message);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND))
        message = g_strdup (_ ("This group invite has expired or was revoked"));
      else if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_GROUP_FULL))
        message = g_strdup (_ ("This group is full"));
      else
        message = globi_ui_describe_failure (_ ("Couldn’t join"), error);
      data->on_joined (data->parent, NULL, message);
    }
  g_object_unref (data->parent);
  g_free (data);
}

static void
on_join_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  GlobiMessenger *messenger = g_object_get_data (G_OBJECT (dialog), "messenger");
  const char *token = g_object_get_data (G_OBJECT (dialog), "token");
  JoinData *data = NULL;

  if (!g_str_equal (response, "join"))
    return;
  data = g_new0 (JoinData, 1);
  data->parent = g_object_ref (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  data->on_joined = user_data;
  globi_messenger_join_group_async (messenger, token, NULL, on_joined_cb, data);
}

AdwMessageDialog *
globi_code_confirm_join (GtkWindow *parent,
                         GlobiMessenger *messenger,
                         const char *token,
                         GlobiCodeJoinedFunc on_joined)
{
  AdwMessageDialog *dialog = NULL;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (GLOBI_IS_MESSENGER (messenger), NULL);
  g_return_val_if_fail (token != NULL && on_joined != NULL, NULL);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      parent, _ ("Join This Group?"),
      _ ("You were invited with a QR code. The members will see that you joined and can "
         "message you in the group.")));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "join", _ ("_Join"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "join", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "join");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "messenger", g_object_ref (messenger), g_object_unref);
  g_object_set_data_full (G_OBJECT (dialog), "token", g_strdup (token), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_join_response_cb), on_joined);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}
