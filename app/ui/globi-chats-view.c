/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-chats-view"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "globi-chat-row.h"
#include "globi-chats-view.h"
#include "globi-forward-dialog.h"
#include "globi-group-dialog.h"
#include "globi-image-viewer.h"
#include "globi-message-row.h"
#include "globi-state-view.h"
#include "globi-ui-util.h"
#include "globi-window.h"
#if __has_include("globi-payment-card.h")
#include "globi-payment-card.h"
#endif

enum
{
  START_CHAT,
  N_SIGNALS
};

struct _GlobiChatsView
{
  GtkWidget parent_instance;

  AdwLeaflet *leaflet;
  GtkWidget *list_pane;
  GtkWidget *content_pane;
  GtkMenuButton *menu_button;
  GtkSearchEntry *search_entry;
  GlobiStateView *list_state;
  GtkListView *chat_list;
  GtkStack *content_stack;
  AdwWindowTitle *chat_title;
  GtkWidget *info_button;
  GtkWidget *chat_menu_button;
  GSimpleActionGroup *chat_actions;
  GtkScrolledWindow *message_scroller;
  GtkWidget *jump_to_end_button;
  GtkListView *message_list;
  GtkWidget *reply_bar;
  GtkLabel *announcement_bar;
  GtkLabel *reply_label;
  GlobiComposer *composer;

  GlobiMessenger *messenger;
  GtkFilterListModel *filtered;
  GtkCustomFilter *filter;
  GHashTable *search_hits; /* chat ids whose messages match the search (FTS5 in the cache) */
  GHashTable *thumbnails;  /* message id → GdkTexture (NULL while loading or failed) */
  GCancellable *search_cancellable;
  GlobiChat *chat;
  GCancellable *cancellable;
  char *reply_to;
  GlobiMessage *editing;
  gboolean stick_to_end;
  gboolean pinning; /* our own scroll, not the person's */
};

G_DEFINE_FINAL_TYPE (GlobiChatsView, globi_chats_view, GTK_TYPE_WIDGET)

static guint signals[N_SIGNALS];

static void
show_toast (GlobiChatsView *self, const char *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (GLOBI_IS_WINDOW (root))
    globi_window_add_toast (GLOBI_WINDOW (root), text);
}

static void
toast_failure (GlobiChatsView *self, const char *what, const GError *error)
{
  g_autofree char *text = globi_ui_describe_failure (what, error);

  if (text)
    show_toast (self, text);
}

/* "[Transfer]", "[Money request]", "[Red packet]": a card in a preview or a plain bubble. */
static const char *
card_label (GlobiMessage *message)
{
  const char *kind = globi_message_get_card_kind (message);

  if (g_strcmp0 (kind, "transfer") == 0)
    return _ ("[Transfer]");
  if (g_strcmp0 (kind, "request") == 0)
    return _ ("[Money request]");
  if (g_strcmp0 (kind, "red_packet") == 0)
    return _ ("[Red packet]");
  return _ ("[Payment]");
}

/* The widget a card message shows: the wallet's card once it is in the tree. */
static GtkWidget *
new_card_widget (GlobiMessage *message)
{
#if __has_include("globi-payment-card.h")
  return globi_payment_card_new (message);
#else
  GtkWidget *label = gtk_label_new (card_label (message));

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  return label;
#endif
}

/* The one line a chat row shows of a message. */
static char *
dup_preview (GlobiMessage *message)
{
  if (!message)
    return g_strdup ("");
  switch (globi_message_get_kind (message))
    {
      case GLOBI_MESSAGE_KIND_CARD:
        return g_strdup (card_label (message));
      case GLOBI_MESSAGE_KIND_IMAGE:
        return g_strdup (_ ("Photo"));
      case GLOBI_MESSAGE_KIND_FILE:
        return g_strdup_printf (_ ("File: %s"), globi_message_get_attachment_name (message)
                                                    ? globi_message_get_attachment_name (message)
                                                    : "");
      case GLOBI_MESSAGE_KIND_DELETED:
        return g_strdup (_ ("Message deleted"));
      case GLOBI_MESSAGE_KIND_TEXT:
      case GLOBI_MESSAGE_KIND_SYSTEM:
      default:
        return g_strdup (globi_message_get_text (message) ? globi_message_get_text (message) : "");
    }
}

/* "👍 2  ❤️ 1" from {"👍": [ids], "❤️": [ids]}. */
static char *
dup_reactions (GlobiMessage *message)
{
  const char *json = globi_message_get_reactions (message);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GString) text = NULL;
  JsonNode *root = NULL;
  JsonObjectIter iter;
  const char *emoji = NULL;
  JsonNode *users = NULL;

  if (!json || !*json)
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  text = g_string_new (NULL);
  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &emoji, &users))
    {
      guint n =
          JSON_NODE_HOLDS_ARRAY (users) ? json_array_get_length (json_node_get_array (users)) : 0;
      if (n == 0)
        continue;
      g_string_append_printf (text, "%s%s %u", text->len ? "  " : "", emoji, n);
    }
  return text->len ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static const char *
sender_name (GlobiChatsView *self, GlobiMessage *message)
{
  GlobiContact *contact = NULL;
  GlobiSession *session = globi_messenger_get_session (self->messenger);

  if (globi_message_get_outgoing (message))
    return globi_profile_get_display_name (globi_session_get_me (session));
  contact = globi_messenger_find_contact (self->messenger, globi_message_get_sender_id (message));
  if (contact)
    return globi_contact_get_name (contact);
  if (self->chat && globi_chat_get_kind (self->chat) == GLOBI_CHAT_KIND_DIRECT)
    return globi_chat_get_title (self->chat);
  return globi_message_get_sender_id (message);
}

/* The sender's picture (NULL: initials), as the chat list shows it. */
static const char *
sender_avatar_hash (GlobiChatsView *self, GlobiMessage *message)
{
  GlobiContact *contact = NULL;
  GlobiSession *session = globi_messenger_get_session (self->messenger);

  if (globi_message_get_outgoing (message))
    return globi_profile_get_avatar_hash (globi_session_get_me (session));
  contact = globi_messenger_find_contact (self->messenger, globi_message_get_sender_id (message));
  return contact ? globi_profile_get_avatar_hash (globi_contact_get_user (contact)) : NULL;
}

/* ---- the chat list ---- */

static void
sync_chat_row (GlobiChatRow *row, GlobiChat *chat)
{
  g_autofree char *preview = dup_preview (globi_chat_get_last_message (chat));
  const char *const *typing = globi_chat_get_typing (chat);

  globi_chat_row_set_title (row, globi_chat_get_title (chat));
  if (g_object_get_data (G_OBJECT (row), "session"))
    globi_chat_row_show_avatar (row, g_object_get_data (G_OBJECT (row), "session"),
                                globi_chat_get_avatar_hash (chat));
  globi_chat_row_set_preview (row, typing && typing[0] ? _ ("typing…") : preview);
  globi_chat_row_set_time (row, globi_chat_get_last_activity (chat));
  globi_chat_row_set_unread (row, globi_chat_get_unread_count (chat));
  globi_chat_row_set_muted (row, globi_chat_get_muted (chat));
  globi_chat_row_set_pinned (row, globi_chat_get_pinned (chat));
}

static void
on_chat_notify_cb (GlobiChat *chat, GParamSpec *pspec, GlobiChatRow *row)
{
  sync_chat_row (row, chat);
}

static void
setup_chat_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  gtk_list_item_set_child (item, globi_chat_row_new ());
}

static void
bind_chat_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GlobiChatsView *self = user_data;
  GlobiChat *chat = gtk_list_item_get_item (item);
  GtkWidget *row = gtk_list_item_get_child (item);
  gulong id = 0;

  /* Pictures come through the session's blob cache. */
  if (self->messenger)
    g_object_set_data_full (G_OBJECT (row), "session",
                            g_object_ref (globi_messenger_get_session (self->messenger)),
                            g_object_unref);
  sync_chat_row (GLOBI_CHAT_ROW (row), chat);
  id = g_signal_connect_object (chat, "notify", G_CALLBACK (on_chat_notify_cb), row, 0);
  g_object_set_data (G_OBJECT (item), "notify-id", GSIZE_TO_POINTER (id));
}

static void
unbind_list_item_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  gulong id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (item), "notify-id"));
  GObject *object = gtk_list_item_get_item (item);

  GtkWidget *child = gtk_list_item_get_child (item);

  if (id && object)
    g_signal_handler_disconnect (object, id);
  g_object_set_data (G_OBJECT (item), "notify-id", NULL);
  /* A recycled bubble must not act on the message it showed before. */
  if (child)
    {
      g_object_set_data (G_OBJECT (child), "message", NULL);
      g_object_set_data (G_OBJECT (child), "card-message", NULL);
    }
}

static gboolean
filter_chat_cb (gpointer item, gpointer user_data)
{
  GlobiChatsView *self = user_data;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *title = NULL;
  g_autofree char *needle = NULL;

  if (!query || !*query)
    return TRUE;
  if (self->search_hits && g_hash_table_contains (self->search_hits, globi_chat_get_id (item)))
    return TRUE;
  title = g_utf8_casefold (globi_chat_get_title (item) ? globi_chat_get_title (item) : "", -1);
  needle = g_utf8_casefold (query, -1);
  return strstr (title, needle) != NULL;
}

static void
update_list_state (GlobiChatsView *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (!self->messenger)
    {
      globi_state_view_show_loading (self->list_state);
      return;
    }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) > 0)
    globi_state_view_show_content (self->list_state);
  else if (query && *query)
    globi_state_view_show_empty (self->list_state, "system-search-symbolic", _ ("No chats found"),
                                 _ ("No chat’s name or messages match your search."), NULL);
  else
    globi_state_view_show_empty (self->list_state, "chat-message-new-symbolic", _ ("No chats yet"),
                                 _ ("Messages with your friends and groups appear here."),
                                 _ ("Start a Chat"));
}

static void
on_search_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiChatsView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) hits = NULL;

  hits = globi_messenger_search_finish (GLOBI_MESSENGER (object), result, &error);
  if (!hits || !self->filter)
    return;
  g_hash_table_remove_all (self->search_hits);
  for (guint i = 0; i < hits->len; i++)
    g_hash_table_add (self->search_hits, g_strdup (globi_message_get_chat_id (hits->pdata[i])));
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_list_state (self);
}

static void
on_search_changed_cb (GlobiChatsView *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (!self->filter)
    return;
  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_hash_table_remove_all (self->search_hits);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_list_state (self);
  /* Chats whose messages mention the words join those whose name matches. */
  if (query && *query)
    {
      self->search_cancellable = g_cancellable_new ();
      globi_messenger_search_async (self->messenger, NULL, query, self->search_cancellable,
                                    on_search_done_cb, g_object_ref (self));
    }
}

static void
on_start_chat_cb (GlobiChatsView *self)
{
  g_signal_emit (self, signals[START_CHAT], 0);
}

/* ---- the conversation ---- */

/* The conversation sticks to its newest message, as in every messenger: while it is
 * scrolled to the end it stays there as rows arrive or get measured (the list estimates
 * the height of rows it has not built, and corrects it as they are), and once the person
 * scrolls up to read it stays where they put it. Opening a chat and sending stick it
 * again. */
#define STICK_DISTANCE 48.0 /* px from the end that still count as "at the end" */

static void
pin_to_end (GlobiChatsView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->message_scroller);

  self->pinning = TRUE;
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                            gtk_adjustment_get_page_size (adjustment));
  self->pinning = FALSE;
}

/* Older messages are loaded when the view comes within a screen of the top (or the
 * ones loaded do not fill it): the model starts with the newest ones only. */
static void
maybe_load_older (GlobiChatsView *self, GtkAdjustment *adjustment)
{
  double page = gtk_adjustment_get_page_size (adjustment);

  if (!self->chat || page <= 0)
    return;
  if (gtk_adjustment_get_upper (adjustment) <= page ||
      (!self->stick_to_end && gtk_adjustment_get_value (adjustment) < page))
    globi_chat_load_older (self->chat);
}

static void
on_scroller_changed_cb (GtkAdjustment *adjustment, GlobiChatsView *self)
{

  if (self->stick_to_end)
    pin_to_end (self);
  maybe_load_older (self, adjustment);
}

static void
on_scroller_value_changed_cb (GtkAdjustment *adjustment, GlobiChatsView *self)
{
  double end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  if (!self->pinning)
    self->stick_to_end = gtk_adjustment_get_value (adjustment) >= end - STICK_DISTANCE;
  /* Scrolled up to read: a way back down, as every messenger has. */
  gtk_widget_set_visible (self->jump_to_end_button, !self->stick_to_end);
  maybe_load_older (self, adjustment);
}

static void
scroll_to_end (GlobiChatsView *self)
{
  self->stick_to_end = TRUE;
  gtk_widget_set_visible (self->jump_to_end_button, FALSE);
  pin_to_end (self);
}

static void
on_jump_to_end_clicked_cb (GlobiChatsView *self)
{
  scroll_to_end (self);
}

/* Image thumbnails: the decrypted file (fetched once into the profile) scaled to fit
 * THUMBNAIL_SIZE on a worker thread, kept per message while the view lives. */
#define THUMBNAIL_SIZE 240

static void
g_object_unref_safe (gpointer object)
{
  if (object)
    g_object_unref (object);
}

static void
scale_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  GdkPixbuf *pixbuf =
      gdk_pixbuf_new_from_file_at_scale (data, THUMBNAIL_SIZE, THUMBNAIL_SIZE, TRUE, &error);

  if (!pixbuf)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, pixbuf, g_object_unref);
}

static void
on_thumbnail_scaled_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiMessage) message = user_data;
  GlobiChatsView *self = GLOBI_CHATS_VIEW (object);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) pixbuf = g_task_propagate_pointer (G_TASK (result), &error);

  if (!pixbuf)
    {
      g_debug ("No thumbnail for an image: %s", error->message);
      return;
    }
  if (!self->thumbnails)
    return;
  g_hash_table_replace (self->thumbnails, g_strdup (globi_message_get_id (message)),
                        gdk_texture_new_for_pixbuf (pixbuf));
  /* Its bubble, if shown, updates from the message's notify. */
  g_object_notify (G_OBJECT (message), "attachment-progress");
}

static void use_attachment (GlobiChatsView *self, GlobiMessage *message, const char *what);

static GdkTexture *
thumbnail (GlobiChatsView *self, GlobiMessage *message)
{
  const char *id = globi_message_get_id (message);

  if (!id || !*id || !self->messenger)
    return NULL;
  if (!g_hash_table_contains (self->thumbnails, id))
    {
      /* Once per message; NULL marks it under way (or failed). */
      g_hash_table_insert (self->thumbnails, g_strdup (id), NULL);
      use_attachment (self, message, "thumbnail");
    }
  return g_hash_table_lookup (self->thumbnails, id);
}

static void
sync_message_row (GlobiChatsView *self, GlobiMessageRow *row, GlobiMessage *message, guint position)
{
  GListModel *messages = globi_chat_get_messages (self->chat);
  GlobiMessageKind kind = globi_message_get_kind (message);
  gboolean mine = globi_message_get_outgoing (message);
  gboolean group = globi_chat_get_kind (self->chat) == GLOBI_CHAT_KIND_GROUP;
  g_autofree char *reactions = dup_reactions (message);
  gint64 sent_at = globi_message_get_sent_at (message);
  gint64 day = 0;

  if (position != GTK_INVALID_LIST_POSITION && sent_at > 0)
    {
      g_autoptr (GlobiMessage) previous =
          position > 0 ? g_list_model_get_item (messages, position - 1) : NULL;
      if (!previous || !globi_ui_same_day (globi_message_get_sent_at (previous), sent_at))
        day = sent_at;
    }
  globi_message_row_set_day (row, day);
  globi_message_row_set_mine (row, mine);
  globi_message_row_set_sender (row, sender_name (self, message), group);
  globi_message_row_show_avatar (row, globi_messenger_get_session (self->messenger),
                                 sender_avatar_hash (self, message));
  globi_message_row_set_deleted (row, kind == GLOBI_MESSAGE_KIND_DELETED);
  globi_message_row_set_text (row, globi_message_get_text (message));
  globi_message_row_set_system (row, kind == GLOBI_MESSAGE_KIND_SYSTEM);
  globi_message_row_set_edited (row, globi_message_get_edited_at (message) > 0);
  globi_message_row_set_time (row, sent_at);
  globi_message_row_set_delivery (
      row, mine ? (GlobiDelivery) (globi_message_get_state (message) + 1) : GLOBI_DELIVERY_NONE);
  globi_message_row_set_reactions (row, reactions);
  globi_message_row_set_quote (
      row, NULL, globi_message_get_reply_to (message) ? _ ("In reply to a message") : NULL);
  if (kind == GLOBI_MESSAGE_KIND_IMAGE && thumbnail (self, message) != NULL)
    {
      globi_message_row_set_image (row, GDK_PAINTABLE (thumbnail (self, message)));
      globi_message_row_set_file (row, NULL, 0, -1);
    }
  else if (kind == GLOBI_MESSAGE_KIND_IMAGE || kind == GLOBI_MESSAGE_KIND_FILE)
    {
      double progress = globi_message_get_attachment_progress (message);

      globi_message_row_set_image (row, NULL);
      globi_message_row_set_file (row, globi_message_get_attachment_name (message),
                                  globi_message_get_attachment_size (message),
                                  progress < 1 ? progress : -1);
    }
  else
    {
      globi_message_row_set_image (row, NULL);
      globi_message_row_set_file (row, NULL, 0, -1);
    }
  /* A card widget is made once per message shown (it follows the message itself). */
  if (kind == GLOBI_MESSAGE_KIND_CARD)
    {
      if (g_object_get_data (G_OBJECT (row), "card-message") != message)
        {
          globi_message_row_set_card (row, new_card_widget (message));
          g_object_set_data (G_OBJECT (row), "card-message", message);
        }
    }
  else if (globi_message_row_get_card (row))
    {
      globi_message_row_set_card (row, NULL);
      g_object_set_data (G_OBJECT (row), "card-message", NULL);
    }
}

static void
on_message_notify_cb (GlobiMessage *message, GParamSpec *pspec, GtkListItem *item)
{
  GtkWidget *row = gtk_list_item_get_child (item);
  GlobiChatsView *self = NULL;

  if (!row)
    return;
  self = GLOBI_CHATS_VIEW (gtk_widget_get_ancestor (row, GLOBI_TYPE_CHATS_VIEW));
  if (self && self->chat)
    sync_message_row (self, GLOBI_MESSAGE_ROW (row), message, gtk_list_item_get_position (item));
}

static void on_message_activated_cb (GlobiMessageRow *row, const char *what, GlobiChatsView *self);

static void
setup_message_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, GlobiChatsView *self)
{
  GtkWidget *row = globi_message_row_new ();

  g_signal_connect (row, "activated", G_CALLBACK (on_message_activated_cb), self);
  gtk_list_item_set_child (item, row);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_message_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, GlobiChatsView *self)
{
  GlobiMessage *message = gtk_list_item_get_item (item);
  GtkWidget *row = gtk_list_item_get_child (item);
  gulong id = 0;

  if (!self->chat)
    return;
  g_object_set_data (G_OBJECT (row), "message", message);
  sync_message_row (self, GLOBI_MESSAGE_ROW (row), message, gtk_list_item_get_position (item));
  id = g_signal_connect_object (message, "notify", G_CALLBACK (on_message_notify_cb), item, 0);
  g_object_set_data (G_OBJECT (item), "notify-id", GSIZE_TO_POINTER (id));
}

static void
on_sent_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiChatsView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) message = NULL;

  message = globi_messenger_send_finish (GLOBI_MESSENGER (object), result, &error);
  if (!message)
    toast_failure (self, _ ("Couldn’t send"), error);
}

static void
on_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiChatsView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!globi_messenger_finish (GLOBI_MESSENGER (object), result, &error))
    toast_failure (self, _ ("Couldn’t change the message"), error);
}

static void
set_reply (GlobiChatsView *self, GlobiMessage *message, gboolean editing)
{
  g_autofree char *preview = NULL;
  g_autofree char *label = NULL;

  g_clear_pointer (&self->reply_to, g_free);
  g_clear_object (&self->editing);
  gtk_widget_set_visible (self->reply_bar, message != NULL);
  if (!message)
    return;
  preview = dup_preview (message);
  if (editing)
    {
      self->editing = g_object_ref (message);
      label = g_strdup_printf (_ ("Editing: %s"), preview);
      globi_composer_set_text (self->composer, globi_message_get_text (message));
    }
  else
    {
      self->reply_to = g_strdup (globi_message_get_id (message));
      label = g_strdup_printf (_ ("Replying to %s: %s"), sender_name (self, message), preview);
    }
  gtk_label_set_label (self->reply_label, label);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

static void
on_reply_cancel_cb (GlobiChatsView *self)
{
  if (self->editing)
    globi_composer_set_text (self->composer, NULL);
  set_reply (self, NULL, FALSE);
}

static void on_forwarded_cb (GlobiChatsView *self, guint n);
static void on_attachment_ready_cb (GObject *object, GAsyncResult *result, gpointer user_data);

/* A message's file, wanted for the viewer, a Save As or a thumbnail. */
typedef struct
{
  GlobiChatsView *self;
  GlobiMessage *message;
  const char *what; /* "open-image", "save", "thumbnail" */
} AttachmentUse;

static void
attachment_use_free (AttachmentUse *use)
{
  g_object_unref (use->self);
  g_object_unref (use->message);
  g_free (use);
}

static void
use_attachment (GlobiChatsView *self, GlobiMessage *message, const char *what)
{
  AttachmentUse *use = g_new0 (AttachmentUse, 1);

  use->self = g_object_ref (self);
  use->message = g_object_ref (message);
  use->what = what;
  globi_messenger_fetch_attachment_async (self->messenger, message, self->cancellable,
                                          on_attachment_ready_cb, use);
}

static void
on_attachment_ready_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  AttachmentUse *use = user_data;
  GlobiChatsView *self = use->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file =
      globi_messenger_fetch_attachment_finish (GLOBI_MESSENGER (object), result, &error);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWindow *parent = GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
  const char *name = globi_message_get_attachment_name (use->message);

  if (!file)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_str_equal (use->what, "thumbnail"))
        toast_failure (self, _ ("Couldn’t download the file"), error);
    }
  else if (g_str_equal (use->what, "thumbnail"))
    {
      GTask *task =
          g_task_new (self, self->cancellable, on_thumbnail_scaled_cb, g_object_ref (use->message));

      g_task_set_task_data (task, g_file_get_path (file), g_free);
      g_task_run_in_thread (task, scale_thread);
      g_object_unref (task);
    }
  else if (g_str_equal (use->what, "open-image"))
    gtk_window_present (GTK_WINDOW (globi_image_viewer_new (parent, file, name)));
  else
    globi_attachment_save_as (parent, file, name);
  attachment_use_free (use);
}

static void
open_forward_dialog (GlobiChatsView *self, GlobiMessage *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GlobiForwardDialog *dialog = NULL;

  if (globi_message_get_kind (message) == GLOBI_MESSAGE_KIND_CARD ||
      globi_message_get_kind (message) == GLOBI_MESSAGE_KIND_DELETED)
    {
      show_toast (self, _ ("This message can’t be forwarded"));
      return;
    }
  dialog = globi_forward_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                     self->messenger, message);
  g_signal_connect_object (dialog, "forwarded", G_CALLBACK (on_forwarded_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_message_activated_cb (GlobiMessageRow *row, const char *what, GlobiChatsView *self)
{
  GlobiMessage *message = g_object_get_data (G_OBJECT (row), "message");

  if (!message || !self->messenger)
    return;
  if (g_str_equal (what, "retry"))
    globi_messenger_retry_message (self->messenger, message);
  else if (g_str_equal (what, "reply"))
    set_reply (self, message, FALSE);
  else if (g_str_equal (what, "edit"))
    set_reply (self, message, TRUE);
  else if (g_str_equal (what, "delete"))
    globi_messenger_delete_async (self->messenger, message, self->cancellable, on_done_cb,
                                  g_object_ref (self));
  else if (g_str_has_prefix (what, "react:"))
    globi_messenger_react_async (self->messenger, message, what + strlen ("react:"),
                                 self->cancellable, on_done_cb, g_object_ref (self));
  else if (g_str_equal (what, "forward"))
    open_forward_dialog (self, message);
  else if (g_str_equal (what, "open-image"))
    use_attachment (self, message, "open-image");
  else if (g_str_equal (what, "save"))
    use_attachment (self, message, "save");
}

static void
on_forwarded_cb (GlobiChatsView *self, guint n)
{
  g_autofree char *text = g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "Forwarded to %u chat", "Forwarded to %u chats", n), n);

  show_toast (self, text);
}

static void
on_composer_send_cb (GlobiChatsView *self, const char *text)
{
  if (!self->chat || !self->messenger)
    return;
  if (self->editing)
    globi_messenger_edit_async (self->messenger, self->editing, text, self->cancellable, on_done_cb,
                                g_object_ref (self));
  else
    globi_messenger_send_text_async (self->messenger, globi_chat_get_id (self->chat), text,
                                     self->reply_to, NULL, self->cancellable, on_sent_cb,
                                     g_object_ref (self));
  globi_messenger_set_typing (self->messenger, self->chat, FALSE);
  set_reply (self, NULL, FALSE);
  scroll_to_end (self);
}

static void
on_composer_attach_cb (GlobiChatsView *self, GListModel *files)
{
  if (!self->chat || !self->messenger)
    return;
  for (guint i = 0; i < g_list_model_get_n_items (files); i++)
    {
      g_autoptr (GFile) file = g_list_model_get_item (files, i);
      globi_messenger_send_file_async (self->messenger, globi_chat_get_id (self->chat), file,
                                       self->cancellable, on_sent_cb, g_object_ref (self));
    }
  scroll_to_end (self);
}

static void
on_typing_changed_cb (GlobiChatsView *self)
{
  g_autofree char *text = NULL;

  if (!self->chat || !self->messenger)
    return;
  text = globi_composer_dup_text (self->composer);
  globi_messenger_set_typing (self->messenger, self->chat, text[0] != '\0');
}

static void
on_pin_change_state_cb (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  GlobiChatsView *self = user_data;

  if (self->chat && self->messenger)
    globi_messenger_set_pinned (self->messenger, self->chat, g_variant_get_boolean (state));
  g_simple_action_set_state (action, state);
}

static void
on_mute_change_state_cb (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  GlobiChatsView *self = user_data;

  if (self->chat && self->messenger)
    globi_messenger_set_muted (self->messenger, self->chat, g_variant_get_boolean (state));
  g_simple_action_set_state (action, state);
}

static const GActionEntry chat_action_entries[] = {
  { "pin", NULL, NULL, "false", on_pin_change_state_cb },
  { "mute", NULL, NULL, "false", on_mute_change_state_cb },
};

static void
sync_chat_actions (GlobiChatsView *self)
{
  GAction *pin = g_action_map_lookup_action (G_ACTION_MAP (self->chat_actions), "pin");
  GAction *mute = g_action_map_lookup_action (G_ACTION_MAP (self->chat_actions), "mute");

  g_simple_action_set_state (G_SIMPLE_ACTION (pin),
                             g_variant_new_boolean (globi_chat_get_pinned (self->chat)));
  g_simple_action_set_state (G_SIMPLE_ACTION (mute),
                             g_variant_new_boolean (globi_chat_get_muted (self->chat)));
}

static void
sync_chat_title (GlobiChatsView *self)
{
  const char *const *typing = NULL;

  if (!self->chat)
    return;
  gtk_widget_set_visible (self->chat_menu_button, TRUE);
  sync_chat_actions (self);
  typing = globi_chat_get_typing (self->chat);
  adw_window_title_set_title (self->chat_title, globi_chat_get_title (self->chat));
  gtk_widget_set_visible (self->info_button,
                          globi_chat_get_kind (self->chat) == GLOBI_CHAT_KIND_GROUP);
  if (!typing || !typing[0])
    adw_window_title_set_subtitle (self->chat_title, NULL);
  else if (globi_chat_get_kind (self->chat) == GLOBI_CHAT_KIND_DIRECT)
    adw_window_title_set_subtitle (self->chat_title, _ ("typing…"));
  else if (typing[1])
    adw_window_title_set_subtitle (self->chat_title, _ ("Several people are typing…"));
  else
    {
      /* In a group, who. */
      GlobiContact *contact = globi_messenger_find_contact (self->messenger, typing[0]);
      const char *name = contact ? globi_contact_get_name (contact)
                                 : globi_messenger_lookup_username (self->messenger, typing[0]);
      g_autofree char *label = g_strdup_printf (_ ("%s is typing…"), name ? name : _ ("Someone"));

      adw_window_title_set_subtitle (self->chat_title, label);
    }
}

/* A group's announcement stays at the top of its chat, as in WeChat. */
static void
sync_announcement (GlobiChatsView *self)
{
  GlobiGroup *group = self->chat ? globi_chat_get_group (self->chat) : NULL;
  const char *text = group ? globi_group_get_announcement (group) : NULL;
  g_autofree char *label = NULL;

  if (text && *text)
    label = g_strdup_printf (_ ("Announcement: %s"), text);
  gtk_label_set_label (self->announcement_bar, label ? label : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->announcement_bar), text);
  gtk_widget_set_visible (GTK_WIDGET (self->announcement_bar), label != NULL);
}

static void
on_open_chat_notify_cb (GlobiChatsView *self)
{
  sync_chat_title (self);
  sync_announcement (self);
}

static void
on_messages_changed_cb (GlobiChatsView *self, guint position, guint removed, guint added)
{
  GtkWidget *window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));

  if (added == 0 || !self->chat)
    return;
  if (self->stick_to_end)
    pin_to_end (self);
  /* What arrives while the chat is on screen is read. */
  if (window && gtk_window_is_active (GTK_WINDOW (window)) &&
      gtk_widget_get_mapped (GTK_WIDGET (self)))
    globi_messenger_mark_read (self->messenger, self->chat);
}

static void
close_chat (GlobiChatsView *self)
{
  g_autofree char *draft = NULL;

  if (!self->chat)
    return;
  draft = globi_composer_dup_text (self->composer);
  globi_chat_set_draft (self->chat, draft);
  /* Leaving the chat ends my typing there (a no-op unless I was). */
  if (self->messenger)
    globi_messenger_set_typing (self->messenger, self->chat, FALSE);
  g_signal_handlers_disconnect_by_data (self->chat, self);
  g_signal_handlers_disconnect_by_data (globi_chat_get_messages (self->chat), self);
  if (globi_chat_get_group (self->chat))
    g_signal_handlers_disconnect_by_data (globi_chat_get_group (self->chat), self);
  g_clear_object (&self->chat);
  gtk_widget_set_visible (self->chat_menu_button, FALSE);
  gtk_widget_set_visible (self->info_button, FALSE);
  set_reply (self, NULL, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->announcement_bar), FALSE);
  gtk_list_view_set_model (self->message_list, NULL);
  /* Thumbnails are per open chat (made again from the local files when it reopens). */
  g_hash_table_remove_all (self->thumbnails);
}

static void
show_chat (GlobiChatsView *self, GlobiChat *chat)
{
  g_autoptr (GtkNoSelection) selection = NULL;
  GListModel *messages = NULL;

  if (chat == self->chat)
    {
      adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
      return;
    }
  close_chat (self);
  self->chat = g_object_ref (chat);
  messages = globi_chat_get_messages (chat);
  selection = gtk_no_selection_new (g_object_ref (messages));
  gtk_list_view_set_model (self->message_list, GTK_SELECTION_MODEL (selection));
  g_signal_connect_object (chat, "notify::typing", G_CALLBACK (on_open_chat_notify_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (chat, "notify::title", G_CALLBACK (on_open_chat_notify_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (chat, "notify::pinned", G_CALLBACK (on_open_chat_notify_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (chat, "notify::muted", G_CALLBACK (on_open_chat_notify_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (messages, "items-changed", G_CALLBACK (on_messages_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (chat, "notify::group", G_CALLBACK (on_open_chat_notify_cb), self,
                           G_CONNECT_SWAPPED);
  if (globi_chat_get_group (chat))
    g_signal_connect_object (globi_chat_get_group (chat), "notify::announcement",
                             G_CALLBACK (on_open_chat_notify_cb), self, G_CONNECT_SWAPPED);
  sync_chat_title (self);
  sync_announcement (self);
  globi_composer_set_text (self->composer, globi_chat_get_draft (chat));
  gtk_stack_set_visible_child_name (self->content_stack, "chat");
  adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
  globi_messenger_mark_read (self->messenger, chat);
  scroll_to_end (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

static void
on_chat_activated_cb (GlobiChatsView *self, guint position)
{
  g_autoptr (GlobiChat) chat = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (chat)
    show_chat (self, chat);
}

static void
on_back_clicked_cb (GlobiChatsView *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
open_group_dialog (GlobiChatsView *self, GlobiGroup *group)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GlobiGroupDialog *dialog = NULL;

  if (!self->messenger)
    return;
  dialog = globi_group_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->messenger,
                                   group);
  g_signal_connect_object (dialog, "open-chat", G_CALLBACK (globi_chats_view_open_chat), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_new_group_clicked_cb (GlobiChatsView *self)
{
  open_group_dialog (self, NULL);
}

static void
on_info_clicked_cb (GlobiChatsView *self)
{
  if (self->chat && globi_chat_get_group (self->chat))
    open_group_dialog (self, globi_chat_get_group (self->chat));
}

static void
on_chats_changed_cb (GlobiChatsView *self)
{
  update_list_state (self);
}

static void
globi_chats_view_dispose (GObject *object)
{
  GlobiChatsView *self = GLOBI_CHATS_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  close_chat (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLOBI_TYPE_CHATS_VIEW);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->messenger);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->editing);
  g_clear_object (&self->chat_actions);

  G_OBJECT_CLASS (globi_chats_view_parent_class)->dispose (object);
}

static void
globi_chats_view_finalize (GObject *object)
{
  GlobiChatsView *self = GLOBI_CHATS_VIEW (object);

  g_clear_pointer (&self->reply_to, g_free);
  g_clear_pointer (&self->search_hits, g_hash_table_unref);
  g_clear_pointer (&self->thumbnails, g_hash_table_unref);

  G_OBJECT_CLASS (globi_chats_view_parent_class)->finalize (object);
}

static void
globi_chats_view_class_init (GlobiChatsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_chats_view_dispose;
  object_class->finalize = globi_chats_view_finalize;

  signals[START_CHAT] = g_signal_new ("start-chat", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (GLOBI_TYPE_STATE_VIEW);
  g_type_ensure (GLOBI_TYPE_COMPOSER);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/globichat/GlobiChat/globi-chats-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, leaflet);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, list_pane);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, content_pane);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, menu_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, list_state);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, chat_list);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, chat_title);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, info_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, chat_menu_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, message_scroller);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, jump_to_end_button);
  gtk_widget_class_bind_template_callback (widget_class, on_jump_to_end_clicked_cb);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, message_list);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, reply_bar);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, announcement_bar);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, reply_label);
  gtk_widget_class_bind_template_child (widget_class, GlobiChatsView, composer);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_start_chat_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_chat_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_new_group_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_info_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_reply_cancel_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_composer_send_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_composer_attach_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
globi_chats_view_init (GlobiChatsView *self)
{
  GtkListItemFactory *factory = NULL;

  self->cancellable = g_cancellable_new ();
  self->search_hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->thumbnails = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref_safe);
  self->chat_actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->chat_actions), chat_action_entries,
                                   G_N_ELEMENTS (chat_action_entries), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "chat", G_ACTION_GROUP (self->chat_actions));
  gtk_widget_init_template (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_chat_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_chat_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_list_item_cb), self);
  gtk_list_view_set_factory (self->chat_list, factory);
  g_object_unref (factory);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_message_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_message_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_list_item_cb), self);
  gtk_list_view_set_factory (self->message_list, factory);
  g_object_unref (factory);

  g_signal_connect_object (gtk_text_view_get_buffer (globi_composer_get_text_view (self->composer)),
                           "changed", G_CALLBACK (on_typing_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->message_scroller), "changed",
                           G_CALLBACK (on_scroller_changed_cb), self, 0);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->message_scroller),
                           "value-changed", G_CALLBACK (on_scroller_value_changed_cb), self, 0);
  update_list_state (self);
}

GtkWidget *
globi_chats_view_new (void)
{
  return g_object_new (GLOBI_TYPE_CHATS_VIEW, NULL);
}

void
globi_chats_view_set_messenger (GlobiChatsView *self, GlobiMessenger *messenger)
{
  g_autoptr (GtkSingleSelection) selection = NULL;

  g_return_if_fail (GLOBI_IS_CHATS_VIEW (self));

  if (self->messenger == messenger)
    return;
  close_chat (self);
  gtk_stack_set_visible_child_name (self->content_stack, "none");
  gtk_list_view_set_model (self->chat_list, NULL);
  if (self->filtered)
    g_signal_handlers_disconnect_by_data (self->filtered, self);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_set_object (&self->messenger, messenger);
  if (messenger)
    {
      self->filter = gtk_custom_filter_new (filter_chat_cb, self, NULL);
      self->filtered =
          gtk_filter_list_model_new (g_object_ref (globi_messenger_get_chats (messenger)),
                                     GTK_FILTER (g_object_ref (self->filter)));
      selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->filtered)));
      gtk_single_selection_set_autoselect (selection, FALSE);
      gtk_single_selection_set_can_unselect (selection, TRUE);
      gtk_list_view_set_model (self->chat_list, GTK_SELECTION_MODEL (selection));
      g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (on_chats_changed_cb),
                               self, G_CONNECT_SWAPPED);
    }
  update_list_state (self);
}

void
globi_chats_view_set_menu (GlobiChatsView *self, GMenuModel *menu)
{
  g_return_if_fail (GLOBI_IS_CHATS_VIEW (self));

  gtk_menu_button_set_menu_model (self->menu_button, menu);
}

void
globi_chats_view_open_chat (GlobiChatsView *self, const char *chat_id)
{
  GlobiChat *chat = NULL;

  g_return_if_fail (GLOBI_IS_CHATS_VIEW (self));
  g_return_if_fail (chat_id != NULL);

  if (!self->messenger)
    return;
  chat = globi_messenger_open_chat (self->messenger, chat_id);
  if (chat)
    show_chat (self, chat);
}

GlobiChat *
globi_chats_view_get_chat (GlobiChatsView *self)
{
  g_return_val_if_fail (GLOBI_IS_CHATS_VIEW (self), NULL);

  return self->chat;
}

GlobiComposer *
globi_chats_view_get_composer (GlobiChatsView *self)
{
  g_return_val_if_fail (GLOBI_IS_CHATS_VIEW (self), NULL);

  return self->composer;
}

GtkListView *
globi_chats_view_get_chat_list (GlobiChatsView *self)
{
  g_return_val_if_fail (GLOBI_IS_CHATS_VIEW (self), NULL);

  return self->chat_list;
}

GtkListView *
globi_chats_view_get_message_list (GlobiChatsView *self)
{
  g_return_val_if_fail (GLOBI_IS_CHATS_VIEW (self), NULL);

  return self->message_list;
}
