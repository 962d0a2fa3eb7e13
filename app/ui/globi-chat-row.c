/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-chat-row"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "globi-chat-row.h"
#include "globi-ui-util.h"

struct _GlobiChatRow
{
  GtkWidget parent_instance;

  AdwAvatar *avatar;
  GtkLabel *title;
  GtkLabel *time;
  GtkLabel *preview;
  GtkImage *muted;
  GtkImage *pinned;
  GtkLabel *badge;

  guint unread;
  gboolean is_muted;
};

G_DEFINE_FINAL_TYPE (GlobiChatRow, globi_chat_row, GTK_TYPE_WIDGET)

static GtkLabel *
add_label (GtkWidget *box, const char *css_class, gboolean expand)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_widget_set_hexpand (label, expand);
  if (css_class)
    gtk_widget_add_css_class (label, css_class);
  gtk_box_append (GTK_BOX (box), label);
  return GTK_LABEL (label);
}

static GtkImage *
add_mark (GtkWidget *box, const char *icon_name, const char *tooltip)
{
  GtkWidget *image = gtk_image_new_from_icon_name (icon_name);

  gtk_widget_add_css_class (image, "dim-label");
  gtk_widget_set_tooltip_text (image, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
  gtk_widget_set_visible (image, FALSE);
  gtk_box_append (GTK_BOX (box), image);
  return GTK_IMAGE (image);
}

static void
update_badge (GlobiChatRow *self)
{
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->badge), self->unread > 0);
  if (self->unread == 0)
    return;
  text = self->unread > 99 ? g_strdup ("99+") : g_strdup_printf ("%u", self->unread);
  gtk_label_set_label (self->badge, text);
  /* A muted chat counts quietly, as in WeChat: a grey badge. */
  if (self->is_muted)
    gtk_widget_add_css_class (GTK_WIDGET (self->badge), "muted");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->badge), "muted");
}

static void
globi_chat_row_dispose (GObject *object)
{
  GtkWidget *child = NULL;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (globi_chat_row_parent_class)->dispose (object);
}

static void
globi_chat_row_class_init (GlobiChatRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_chat_row_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "chatrow");
}

static void
globi_chat_row_init (GlobiChatRow *self)
{
  GtkWidget *column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);

  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                              12);
  self->avatar = ADW_AVATAR (adw_avatar_new (44, NULL, TRUE));
  gtk_widget_set_parent (GTK_WIDGET (self->avatar), GTK_WIDGET (self));

  gtk_widget_set_hexpand (column, TRUE);
  gtk_widget_set_valign (column, GTK_ALIGN_CENTER);
  gtk_widget_set_parent (column, GTK_WIDGET (self));
  gtk_box_append (GTK_BOX (column), top);
  gtk_box_append (GTK_BOX (column), bottom);

  self->title = add_label (top, "heading", TRUE);
  self->pinned = add_mark (top, "view-pin-symbolic", _ ("Pinned"));
  self->time = add_label (top, "caption", FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->time), "dim-label");

  self->preview = add_label (bottom, "dim-label", TRUE);
  self->muted = add_mark (bottom, "audio-volume-muted-symbolic", _ ("Muted"));
  self->badge = add_label (bottom, "unread-badge", FALSE);
  gtk_widget_set_valign (GTK_WIDGET (self->badge), GTK_ALIGN_CENTER);
  gtk_widget_set_visible (GTK_WIDGET (self->badge), FALSE);
}

GtkWidget *
globi_chat_row_new (void)
{
  return g_object_new (GLOBI_TYPE_CHAT_ROW, NULL);
}

void
globi_chat_row_set_title (GlobiChatRow *self, const char *title)
{
  g_return_if_fail (GLOBI_IS_CHAT_ROW (self));

  gtk_label_set_label (self->title, title);
  adw_avatar_set_text (self->avatar, title);
}

const char *
globi_chat_row_get_title (GlobiChatRow *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT_ROW (self), NULL);

  return gtk_label_get_label (self->title);
}

void
globi_chat_row_set_avatar (GlobiChatRow *self, GdkPaintable *avatar)
{
  g_return_if_fail (GLOBI_IS_CHAT_ROW (self));

  adw_avatar_set_custom_image (self->avatar, avatar);
}

void
globi_chat_row_show_avatar (GlobiChatRow *self, GlobiSession *session, const char *hash)
{
  g_return_if_fail (GLOBI_IS_CHAT_ROW (self));

  /* The helper keeps the last request per avatar and clears a NULL hash to initials. */
  if (g_strcmp0 (g_object_get_data (G_OBJECT (self), "avatar-hash"), hash) == 0)
    return;
  g_object_set_data_full (G_OBJECT (self), "avatar-hash", g_strdup (hash), g_free);
  globi_ui_set_avatar_image (self->avatar, session, hash);
}

void
globi_chat_row_set_preview (GlobiChatRow *self, const char *preview)
{
  g_autofree char *line = NULL;

  g_return_if_fail (GLOBI_IS_CHAT_ROW (self));

  /* Only the first line of a multi-line message fits. */
  line = g_strdup (preview ? preview : "");
  g_strdelimit (line, "\n\r", ' ');
  gtk_label_set_label (self->preview, line);
}

void
globi_chat_row_set_time (GlobiChatRow *self, gint64 unix_ms)
{
  g_autofree char *text = NULL;

  g_return_if_fail (GLOBI_IS_CHAT_ROW (self));

  if (unix_ms > 0)
    text = globi_ui_format_list_time (unix_ms);
  gtk_label_set_label (self->time, text ? text : "");
}

void
globi_chat_row_set_unread (GlobiChatRow *self, guint unread)
{
  g_return_if_fail (GLOBI_IS_CHAT_ROW (self));

  self->unread = unread;
  update_badge (self);
}

guint
globi_chat_row_get_unread (GlobiChatRow *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT_ROW (self), 0);

  return self->unread;
}

void
globi_chat_row_set_muted (GlobiChatRow *self, gboolean muted)
{
  g_return_if_fail (GLOBI_IS_CHAT_ROW (self));

  self->is_muted = muted;
  gtk_widget_set_visible (GTK_WIDGET (self->muted), muted);
  update_badge (self);
}

void
globi_chat_row_set_pinned (GlobiChatRow *self, gboolean pinned)
{
  g_return_if_fail (GLOBI_IS_CHAT_ROW (self));

  gtk_widget_set_visible (GTK_WIDGET (self->pinned), pinned);
}
