/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-message-row"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "globi-message-row.h"
#include "globi-ui-util.h"

enum
{
  ACTIVATED,
  N_SIGNALS
};

struct _GlobiMessageRow
{
  GtkWidget parent_instance;

  GtkLabel *day;
  GtkLabel *notice;
  GtkWidget *line;
  AdwAvatar *avatar;
  GtkWidget *column;
  GtkLabel *sender;
  GtkWidget *bubble;
  GtkWidget *quote;
  GtkLabel *quote_sender;
  GtkLabel *quote_text;
  GtkLabel *body;
  GtkPicture *image;
  GtkWidget *file_card;
  GtkLabel *file_name;
  GtkLabel *file_size;
  GtkProgressBar *file_progress;
  GtkWidget *file_save;
  GtkLabel *edited;
  GtkLabel *time;
  GtkImage *mark;
  GtkImage *mark2; /* the second tick of delivered and read */
  GtkButton *retry;
  GtkLabel *reactions;
  GtkPopover *menu;
  GtkWidget *card_slot;

  char *text;
  gboolean mine;
  gboolean deleted;
  GlobiDelivery delivery;
  const char *delivery_label; /* untranslated, static */
  gint64 time_ms;
};

G_DEFINE_FINAL_TYPE (GlobiMessageRow, globi_message_row, GTK_TYPE_WIDGET)

static guint signals[N_SIGNALS];

static const char *const quick_reactions[] = { "👍", "❤️", "😂", "😮", "😢", "🙏" };

static GtkLabel *
new_label (GtkWidget *box, const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (css_class)
    gtk_widget_add_css_class (label, css_class);
  gtk_box_append (GTK_BOX (box), label);
  return GTK_LABEL (label);
}

static void
update_body (GlobiMessageRow *self)
{
  gtk_label_set_label (self->body, self->deleted ? _ ("Message deleted") : self->text);
  gtk_widget_set_visible (GTK_WIDGET (self->body), self->deleted || (self->text && *self->text));
  if (self->deleted)
    gtk_widget_add_css_class (GTK_WIDGET (self->body), "deleted");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->body), "deleted");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.copy", !self->deleted);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.edit", self->mine && !self->deleted);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.delete", self->mine && !self->deleted);
}

static void
update_side (GlobiMessageRow *self)
{
  gtk_widget_set_halign (self->line, self->mine ? GTK_ALIGN_END : GTK_ALIGN_START);
  gtk_widget_set_visible (GTK_WIDGET (self->avatar), !self->mine);
  if (self->mine)
    gtk_widget_add_css_class (self->bubble, "mine");
  else
    gtk_widget_remove_css_class (self->bubble, "mine");
  update_body (self);
}

static void
emit_activated (GlobiMessageRow *self, const char *what)
{
  g_signal_emit (self, signals[ACTIVATED], 0, what);
}

static void
action_simple (GtkWidget *widget, const char *action_name, GVariant *param)
{
  /* "message.reply" -> "reply" */
  emit_activated (GLOBI_MESSAGE_ROW (widget), strchr (action_name, '.') + 1);
}

static void
action_react (GtkWidget *widget, const char *action_name, GVariant *param)
{
  g_autofree char *what = g_strconcat ("react:", g_variant_get_string (param, NULL), NULL);

  emit_activated (GLOBI_MESSAGE_ROW (widget), what);
}

static void
action_copy (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiMessageRow *self = GLOBI_MESSAGE_ROW (widget);

  if (self->text)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->text);
}

static void
on_retry_clicked_cb (GlobiMessageRow *self)
{
  emit_activated (self, "retry");
}

static void
on_save_clicked_cb (GlobiMessageRow *self)
{
  emit_activated (self, "save");
}

static void
on_image_pressed_cb (
    GtkGestureClick *gesture, int n_press, double x, double y, GlobiMessageRow *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  emit_activated (self, "open-image");
}

static GMenuModel *
build_menu (void)
{
  GMenu *menu = g_menu_new ();
  g_autoptr (GMenu) react = g_menu_new ();
  g_autoptr (GMenu) actions = g_menu_new ();

  for (guint i = 0; i < G_N_ELEMENTS (quick_reactions); i++)
    {
      g_autoptr (GMenuItem) item = g_menu_item_new (quick_reactions[i], NULL);
      g_menu_item_set_action_and_target (item, "message.react", "s", quick_reactions[i]);
      g_menu_append_item (react, item);
    }
  g_menu_append_submenu (actions, _ ("React"), G_MENU_MODEL (react));
  g_menu_append (actions, _ ("_Reply"), "message.reply");
  g_menu_append (actions, _ ("_Forward"), "message.forward");
  g_menu_append (actions, _ ("_Copy Text"), "message.copy");
  g_menu_append (actions, _ ("_Edit"), "message.edit");
  g_menu_append (actions, _ ("_Delete for Everyone"), "message.delete");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (actions));
  return G_MENU_MODEL (menu);
}

static void
on_pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, GlobiMessageRow *self)
{
  GdkRectangle rect = { (int) x, (int) y, 1, 1 };

  if (!gtk_widget_translate_coordinates (GTK_WIDGET (self), self->bubble, x, y, &x, &y))
    return;
  if (!gtk_widget_contains (self->bubble, x, y))
    return;
  /* Made on first use: a popover per row costs X11 round trips, and a chat shows dozens
   * of rows (and recycles them while scrolling) for every one menu opened. */
  if (!self->menu)
    {
      g_autoptr (GMenuModel) menu = build_menu ();

      self->menu = GTK_POPOVER (gtk_popover_menu_new_from_model (menu));
      gtk_popover_set_has_arrow (self->menu, FALSE);
      gtk_widget_set_parent (GTK_WIDGET (self->menu), GTK_WIDGET (self));
    }
  gtk_popover_set_pointing_to (self->menu, &rect);
  gtk_popover_popup (self->menu);
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* Tooltips are made when asked for: gtk_widget_set_tooltip_text on every bind costs a
 * pointer query to the display server per row, and rows are bound by the hundred when a
 * chat opens. */
static gboolean
on_query_tooltip_cb (
    GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, GlobiMessageRow *self)
{
  g_autofree char *full = NULL;

  /* Not over the row's own menu. */
  if (self->menu && gtk_widget_get_visible (GTK_WIDGET (self->menu)))
    return FALSE;
  if (widget == GTK_WIDGET (self->mark))
    {
      if (!self->delivery_label)
        return FALSE;
      gtk_tooltip_set_text (tooltip, _ (self->delivery_label));
      return TRUE;
    }
  if (self->time_ms <= 0)
    return FALSE;
  full = globi_ui_format_time (self->time_ms);
  gtk_tooltip_set_text (tooltip, full);
  return TRUE;
}

/* Built the first time the row shows a file: most rows never do. */
static void
build_file_card (GlobiMessageRow *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);

  self->file_card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_add_css_class (self->file_card, "file-card");
  gtk_box_append (GTK_BOX (row), gtk_image_new_from_icon_name ("text-x-generic-symbolic"));
  gtk_box_append (GTK_BOX (row), texts);
  self->file_name = new_label (texts, "heading");
  gtk_label_set_ellipsize (self->file_name, PANGO_ELLIPSIZE_MIDDLE);
  self->file_size = new_label (texts, "caption");
  gtk_widget_set_hexpand (texts, TRUE);
  self->file_save = gtk_button_new_from_icon_name ("document-save-symbolic");
  gtk_widget_set_valign (self->file_save, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->file_save, "flat");
  gtk_widget_set_tooltip_text (self->file_save, _ ("Save As…"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->file_save), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Save As…"), -1);
  g_signal_connect_swapped (self->file_save, "clicked", G_CALLBACK (on_save_clicked_cb), self);
  gtk_box_append (GTK_BOX (row), self->file_save);
  gtk_box_append (GTK_BOX (self->file_card), row);
  self->file_progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_box_append (GTK_BOX (self->file_card), GTK_WIDGET (self->file_progress));
  gtk_box_insert_child_after (GTK_BOX (self->bubble), self->file_card, GTK_WIDGET (self->image));
}

static void
build_footer (GlobiMessageRow *self, GtkWidget *content)
{
  GtkWidget *footer = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *ticks = NULL;

  gtk_widget_set_halign (footer, GTK_ALIGN_END);
  gtk_widget_add_css_class (footer, "bubble-footer");
  self->edited = new_label (footer, "caption");
  gtk_label_set_label (self->edited, _ ("edited"));
  gtk_widget_set_visible (GTK_WIDGET (self->edited), FALSE);
  self->time = new_label (footer, "caption");
  self->mark = GTK_IMAGE (gtk_image_new ());
  gtk_image_set_pixel_size (self->mark, 12);
  gtk_widget_set_visible (GTK_WIDGET (self->mark), FALSE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->mark), TRUE);
  g_signal_connect (self->mark, "query-tooltip", G_CALLBACK (on_query_tooltip_cb), self);
  /* The ticks sit close together: their own box without spacing. */
  ticks = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_box_append (GTK_BOX (ticks), GTK_WIDGET (self->mark));
  self->mark2 = GTK_IMAGE (gtk_image_new_from_icon_name ("object-select-symbolic"));
  gtk_image_set_pixel_size (self->mark2, 12);
  gtk_widget_set_visible (GTK_WIDGET (self->mark2), FALSE);
  gtk_box_append (GTK_BOX (ticks), GTK_WIDGET (self->mark2));
  gtk_box_append (GTK_BOX (footer), ticks);
  gtk_box_append (GTK_BOX (content), footer);
}

static void
globi_message_row_dispose (GObject *object)
{
  GtkWidget *child = NULL;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (globi_message_row_parent_class)->dispose (object);
}

static void
globi_message_row_finalize (GObject *object)
{
  GlobiMessageRow *self = GLOBI_MESSAGE_ROW (object);

  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (globi_message_row_parent_class)->finalize (object);
}

static void
globi_message_row_class_init (GlobiMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_message_row_dispose;
  object_class->finalize = globi_message_row_finalize;

  signals[ACTIVATED] = g_signal_new ("activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action (widget_class, "message.reply", NULL, action_simple);
  gtk_widget_class_install_action (widget_class, "message.edit", NULL, action_simple);
  gtk_widget_class_install_action (widget_class, "message.delete", NULL, action_simple);
  gtk_widget_class_install_action (widget_class, "message.forward", NULL, action_simple);
  gtk_widget_class_install_action (widget_class, "message.react", "s", action_react);
  gtk_widget_class_install_action (widget_class, "message.copy", NULL, action_copy);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagerow");
}

static void
globi_message_row_init (GlobiMessageRow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (widget)),
                                  GTK_ORIENTATION_VERTICAL);

  self->day = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->day), "day-separator");
  gtk_widget_set_halign (GTK_WIDGET (self->day), GTK_ALIGN_CENTER);
  gtk_widget_set_visible (GTK_WIDGET (self->day), FALSE);
  gtk_widget_set_parent (GTK_WIDGET (self->day), widget);

  /* System items ("safety number changed", "Bob joined") are centred notices. */
  self->notice = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->notice, TRUE);
  gtk_label_set_justify (self->notice, GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->notice), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->notice), "dim-label");
  gtk_widget_set_halign (GTK_WIDGET (self->notice), GTK_ALIGN_CENTER);
  gtk_widget_set_visible (GTK_WIDGET (self->notice), FALSE);
  gtk_widget_set_parent (GTK_WIDGET (self->notice), widget);

  self->line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_parent (self->line, widget);
  self->avatar = ADW_AVATAR (adw_avatar_new (32, NULL, TRUE));
  gtk_widget_set_valign (GTK_WIDGET (self->avatar), GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (self->line), GTK_WIDGET (self->avatar));

  self->column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_box_append (GTK_BOX (self->line), self->column);
  self->sender = new_label (self->column, "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->sender), "dim-label");
  gtk_widget_set_visible (GTK_WIDGET (self->sender), FALSE);

  self->bubble = content;
  gtk_widget_set_has_tooltip (content, TRUE);
  g_signal_connect (content, "query-tooltip", G_CALLBACK (on_query_tooltip_cb), self);
  gtk_widget_add_css_class (content, "bubble");
  gtk_box_append (GTK_BOX (self->column), content);

  self->quote = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (self->quote, "quote");
  self->quote_sender = new_label (self->quote, "caption-heading");
  self->quote_text = new_label (self->quote, "caption");
  gtk_label_set_ellipsize (self->quote_text, PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (self->quote_text, 40);
  gtk_widget_set_visible (self->quote, FALSE);
  gtk_box_append (GTK_BOX (content), self->quote);

  self->body = new_label (content, "body");
  gtk_label_set_wrap (self->body, TRUE);
  gtk_label_set_natural_wrap_mode (self->body, GTK_NATURAL_WRAP_NONE);
  gtk_label_set_wrap_mode (self->body, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (self->body, 48);

  self->image = GTK_PICTURE (gtk_picture_new ());
  gtk_widget_set_size_request (GTK_WIDGET (self->image), 200, 150);
  gtk_widget_set_visible (GTK_WIDGET (self->image), FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->image), "thumbnail");
  /* The rounded corners of style.css clip the picture. */
  gtk_widget_set_overflow (GTK_WIDGET (self->image), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self->image), "pointer");
  {
    GtkGesture *open = gtk_gesture_click_new ();

    gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (open), GDK_BUTTON_PRIMARY);
    g_signal_connect (open, "pressed", G_CALLBACK (on_image_pressed_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self->image), GTK_EVENT_CONTROLLER (open));
  }
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->image));
  self->card_slot = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_visible (self->card_slot, FALSE);
  gtk_box_append (GTK_BOX (content), self->card_slot);
  build_footer (self, content);

  self->retry = GTK_BUTTON (gtk_button_new_with_label (_ ("Retry")));
  gtk_widget_add_css_class (GTK_WIDGET (self->retry), "flat");
  gtk_widget_add_css_class (GTK_WIDGET (self->retry), "error");
  gtk_widget_set_halign (GTK_WIDGET (self->retry), GTK_ALIGN_END);
  gtk_widget_set_visible (GTK_WIDGET (self->retry), FALSE);
  g_signal_connect_swapped (self->retry, "clicked", G_CALLBACK (on_retry_clicked_cb), self);
  gtk_box_append (GTK_BOX (self->column), GTK_WIDGET (self->retry));

  self->reactions = new_label (self->column, "reactions");
  gtk_widget_set_visible (GTK_WIDGET (self->reactions), FALSE);

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (click));

  update_side (self);
}

GtkWidget *
globi_message_row_new (void)
{
  return g_object_new (GLOBI_TYPE_MESSAGE_ROW, NULL);
}

void
globi_message_row_set_mine (GlobiMessageRow *self, gboolean mine)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  self->mine = mine;
  update_side (self);
}

void
globi_message_row_set_sender (GlobiMessageRow *self, const char *sender, gboolean show_name)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  adw_avatar_set_text (self->avatar, sender);
  gtk_label_set_label (self->sender, sender ? sender : "");
  gtk_widget_set_visible (GTK_WIDGET (self->sender), show_name && sender && !self->mine);
}

void
globi_message_row_show_avatar (GlobiMessageRow *self, GlobiSession *session, const char *hash)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  globi_ui_set_avatar_image (self->avatar, session, hash);
}

void
globi_message_row_set_text (GlobiMessageRow *self, const char *text)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  globi_ui_set_str (&self->text, text);
  update_body (self);
}

const char *
globi_message_row_get_text (GlobiMessageRow *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE_ROW (self), NULL);

  return self->text;
}

void
globi_message_row_set_deleted (GlobiMessageRow *self, gboolean deleted)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  self->deleted = deleted;
  update_body (self);
}

void
globi_message_row_set_system (GlobiMessageRow *self, gboolean system)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  gtk_label_set_label (self->notice, system && self->text ? self->text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->notice), system);
  gtk_widget_set_visible (self->line, !system);
}

void
globi_message_row_set_edited (GlobiMessageRow *self, gboolean edited)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  gtk_widget_set_visible (GTK_WIDGET (self->edited), edited);
}

void
globi_message_row_set_time (GlobiMessageRow *self, gint64 unix_ms)
{
  g_autofree char *clock = NULL;

  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  clock = globi_ui_format_clock (unix_ms);
  gtk_label_set_label (self->time, clock);
  /* The full date and time on hover (see on_query_tooltip_cb). */
  self->time_ms = unix_ms;
}

void
globi_message_row_set_day (GlobiMessageRow *self, gint64 day_ms)
{
  g_autofree char *day = NULL;

  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  if (day_ms > 0)
    day = globi_ui_format_day (day_ms);
  gtk_label_set_label (self->day, day ? day : "");
  gtk_widget_set_visible (GTK_WIDGET (self->day), day != NULL);
}

void
globi_message_row_set_delivery (GlobiMessageRow *self, GlobiDelivery delivery)
{
  static const struct
  {
    const char *icon_name;
    const char *label;
  } marks[] = {
    [GLOBI_DELIVERY_NONE] = { NULL, NULL },
    [GLOBI_DELIVERY_PENDING] = { "document-open-recent-symbolic", N_ ("Sending") },
    [GLOBI_DELIVERY_SENT] = { "object-select-symbolic", N_ ("Sent") },
    [GLOBI_DELIVERY_DELIVERED] = { "object-select-symbolic", N_ ("Delivered") },
    [GLOBI_DELIVERY_READ] = { "object-select-symbolic", N_ ("Read") },
    [GLOBI_DELIVERY_FAILED] = { "dialog-error-symbolic", N_ ("Not sent") },
  };
  GtkWidget *mark = GTK_WIDGET (self->mark);
  GtkWidget *mark2 = GTK_WIDGET (self->mark2);

  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));
  g_return_if_fail (delivery <= GLOBI_DELIVERY_FAILED);

  self->delivery = delivery;
  gtk_widget_set_visible (mark, marks[delivery].icon_name != NULL);
  /* Two ticks once a recipient's device has it, as elsewhere; coloured once read. */
  gtk_widget_set_visible (mark2,
                          delivery == GLOBI_DELIVERY_DELIVERED || delivery == GLOBI_DELIVERY_READ);
  gtk_widget_set_visible (GTK_WIDGET (self->retry), delivery == GLOBI_DELIVERY_FAILED);
  if (!marks[delivery].icon_name)
    return;
  gtk_image_set_from_icon_name (self->mark, marks[delivery].icon_name);
  self->delivery_label = marks[delivery].label;
  gtk_accessible_update_property (GTK_ACCESSIBLE (mark), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ (marks[delivery].label), -1);
  if (delivery == GLOBI_DELIVERY_READ)
    {
      gtk_widget_add_css_class (mark, "read");
      gtk_widget_add_css_class (mark2, "read");
    }
  else
    {
      gtk_widget_remove_css_class (mark, "read");
      gtk_widget_remove_css_class (mark2, "read");
    }
  if (delivery == GLOBI_DELIVERY_SENT)
    gtk_widget_add_css_class (mark, "dim-label");
  else
    gtk_widget_remove_css_class (mark, "dim-label");
}

GlobiDelivery
globi_message_row_get_delivery (GlobiMessageRow *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE_ROW (self), GLOBI_DELIVERY_NONE);

  return self->delivery;
}

void
globi_message_row_set_reactions (GlobiMessageRow *self, const char *reactions)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  gtk_label_set_label (self->reactions, reactions ? reactions : "");
  gtk_widget_set_visible (GTK_WIDGET (self->reactions), reactions && *reactions);
}

void
globi_message_row_set_quote (GlobiMessageRow *self, const char *sender, const char *text)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  gtk_label_set_label (self->quote_sender, sender ? sender : "");
  gtk_label_set_label (self->quote_text, text ? text : "");
  gtk_widget_set_visible (self->quote, text != NULL);
}

void
globi_message_row_set_image (GlobiMessageRow *self, GdkPaintable *image)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  gtk_picture_set_paintable (self->image, image);
  gtk_widget_set_visible (GTK_WIDGET (self->image), image != NULL);
  /* A thumbnail shows at its own size (the caller scaled it to fit). */
  if (image)
    gtk_widget_set_size_request (GTK_WIDGET (self->image),
                                 gdk_paintable_get_intrinsic_width (image),
                                 gdk_paintable_get_intrinsic_height (image));
}

void
globi_message_row_set_file (GlobiMessageRow *self, const char *name, goffset size, double progress)
{
  g_autofree char *size_text = NULL;

  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  if (!name)
    {
      if (self->file_card)
        gtk_widget_set_visible (self->file_card, FALSE);
      return;
    }
  if (!self->file_card)
    build_file_card (self);
  gtk_widget_set_visible (self->file_card, TRUE);
  size_text = g_format_size (size);
  gtk_label_set_label (self->file_name, name);
  gtk_label_set_label (self->file_size, size_text);
  gtk_widget_set_visible (GTK_WIDGET (self->file_progress), progress >= 0 && progress < 1);
  gtk_widget_set_sensitive (self->file_save, progress < 0 || progress >= 1);
  if (progress >= 0)
    gtk_progress_bar_set_fraction (self->file_progress, progress);
}

void
globi_message_row_set_card (GlobiMessageRow *self, GtkWidget *card)
{
  GtkWidget *child = NULL;

  g_return_if_fail (GLOBI_IS_MESSAGE_ROW (self));

  if ((child = gtk_widget_get_first_child (self->card_slot)) == card && card)
    return;
  if (child)
    gtk_box_remove (GTK_BOX (self->card_slot), child);
  if (card)
    gtk_box_append (GTK_BOX (self->card_slot), card);
  gtk_widget_set_visible (self->card_slot, card != NULL);
}

GtkWidget *
globi_message_row_get_card (GlobiMessageRow *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE_ROW (self), NULL);

  return gtk_widget_get_first_child (self->card_slot);
}

GdkPaintable *
globi_message_row_get_image (GlobiMessageRow *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE_ROW (self), NULL);

  return gtk_widget_get_visible (GTK_WIDGET (self->image)) ? gtk_picture_get_paintable (self->image)
                                                           : NULL;
}
