/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-message-list"

#include "config.h"

#include "globi-message-list.h"

/* The model is a window on the chat's history that ends at its newest message and grows
 * towards the past when the view asks (the person scrolled up near its top:
 * globi_message_list_load_older), as chat apps load history. Rows come from the cache's
 * worker by keyset (the rows before the window's first message), so opening a chat and
 * each step back cost the same however long the chat is, and every row is loaded before
 * it appears.
 *
 * A list view builds rows for a stretch of the model around where it starts, and it
 * starts at the top: over a model of the whole history it would build (and measure) a
 * few hundred rows of the oldest messages before being scrolled to the end, and then as
 * many again there. Over the window it builds the newest rows only. */
#define INITIAL_ROWS 24 /* a screenful in a tall window */
#define GROW_ROWS    32 /* prepended at a time as the view scrolls up */

struct _GlobiMessageList
{
  GObject parent_instance;

  GlobiCache *cache;
  char *chat_id;
  GlobiMessageInternFunc intern;
  gpointer intern_data;
  GCancellable *cancellable;

  gboolean ready;
  gboolean growing;
  gboolean at_start;  /* the window starts at the chat's first message */
  GPtrArray *rows;    /* GlobiMessage, oldest first */
  GPtrArray *pending; /* appended before the first rows arrived */
};

static void globi_message_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GlobiMessageList,
                               globi_message_list,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      globi_message_list_model_init))

static GType
globi_message_list_get_item_type (GListModel *model)
{
  return GLOBI_TYPE_MESSAGE;
}

static guint
globi_message_list_get_n_items (GListModel *model)
{
  return GLOBI_MESSAGE_LIST (model)->rows->len;
}

static gpointer
globi_message_list_get_item (GListModel *model, guint position)
{
  GlobiMessageList *self = GLOBI_MESSAGE_LIST (model);

  if (position >= self->rows->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->rows, position));
}

static void
globi_message_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = globi_message_list_get_item_type;
  iface->get_n_items = globi_message_list_get_n_items;
  iface->get_item = globi_message_list_get_item;
}

static void
globi_message_list_dispose (GObject *object)
{
  GlobiMessageList *self = GLOBI_MESSAGE_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->cache);
  g_clear_pointer (&self->pending, g_ptr_array_unref);

  G_OBJECT_CLASS (globi_message_list_parent_class)->dispose (object);
}

static void
globi_message_list_finalize (GObject *object)
{
  GlobiMessageList *self = GLOBI_MESSAGE_LIST (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->chat_id, g_free);

  G_OBJECT_CLASS (globi_message_list_parent_class)->finalize (object);
}

static void
globi_message_list_class_init (GlobiMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_message_list_dispose;
  object_class->finalize = globi_message_list_finalize;
}

static void
globi_message_list_init (GlobiMessageList *self)
{
  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
}

/* The rows as loaded, each replaced by the canonical object for its message. */
static void
intern_rows (GlobiMessageList *self, GPtrArray *rows)
{
  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      GlobiMessage *row = g_ptr_array_index (rows, i);

      if (self->intern)
        {
          g_ptr_array_index (rows, i) = self->intern (row, self->intern_data);
          g_object_unref (row);
        }
    }
}

static gboolean
holds (GPtrArray *rows, GlobiMessage *message)
{
  for (guint i = rows->len; i > 0; i--)
    if (g_strcmp0 (globi_message_get_id (g_ptr_array_index (rows, i - 1)),
                   globi_message_get_id (message)) == 0)
      return TRUE;
  return FALSE;
}

static void
on_opened_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiMessageList *self = user_data; /* gone if cancelled: touched only after the check */
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows =
      globi_cache_load_messages_before_finish (GLOBI_CACHE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  intern_rows (self, rows);
  if (rows == NULL)
    {
      /* An empty chat rather than none: what arrives next still shows. */
      g_warning ("Could not load messages: %s", error->message);
      rows = g_ptr_array_new_with_free_func (g_object_unref);
    }
  self->at_start = rows->len < INITIAL_ROWS;
  g_ptr_array_extend_and_steal (self->rows, g_steal_pointer (&rows));
  /* Added while the rows were on the worker: their inserts may or may not have been
   * before the query. */
  for (guint i = 0; i < self->pending->len; i++)
    if (!holds (self->rows, g_ptr_array_index (self->pending, i)))
      g_ptr_array_add (self->rows, g_object_ref (g_ptr_array_index (self->pending, i)));
  g_ptr_array_set_size (self->pending, 0);
  self->ready = TRUE;
  if (self->rows->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, self->rows->len);
}

static void
on_older_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiMessageList *self = user_data; /* gone if cancelled: touched only after the check */
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows =
      globi_cache_load_messages_before_finish (GLOBI_CACHE (source), result, &error);
  guint n;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  intern_rows (self, rows);
  self->growing = FALSE;
  if (rows == NULL)
    {
      /* Asked again when the view next reaches the top. */
      g_warning ("Could not load older messages: %s", error->message);
      return;
    }
  n = rows->len;
  self->at_start = n < GROW_ROWS;
  if (n == 0)
    return;
  g_ptr_array_extend_and_steal (rows, g_steal_pointer (&self->rows));
  self->rows = g_steal_pointer (&rows);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, n);
}

GlobiMessageList *
globi_message_list_new (GlobiCache *cache,
                        const char *chat_id,
                        GlobiMessageInternFunc intern,
                        gpointer intern_data)
{
  GlobiMessageList *self = g_object_new (GLOBI_TYPE_MESSAGE_LIST, NULL);

  self->cache = g_object_ref (cache);
  self->chat_id = g_strdup (chat_id);
  self->intern = intern;
  self->intern_data = intern_data;
  /* The callbacks need no reference: the cancellable is cancelled on dispose. */
  globi_cache_load_messages_before_async (cache, chat_id, NULL, INITIAL_ROWS, self->cancellable,
                                          on_opened_cb, self);
  return self;
}

void
globi_message_list_append (GlobiMessageList *self, GlobiMessage *message)
{
  g_return_if_fail (GLOBI_IS_MESSAGE_LIST (self));

  if (!self->ready)
    {
      g_ptr_array_add (self->pending, g_object_ref (message));
      return;
    }
  g_ptr_array_add (self->rows, g_object_ref (message));
  g_list_model_items_changed (G_LIST_MODEL (self), self->rows->len - 1, 0, 1);
}

gboolean
globi_message_list_load_older (GlobiMessageList *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE_LIST (self), FALSE);

  if (!self->ready || self->at_start)
    return FALSE;
  if (!self->growing)
    {
      self->growing = TRUE;
      globi_cache_load_messages_before_async (
          self->cache, self->chat_id,
          self->rows->len > 0 ? globi_message_get_id (g_ptr_array_index (self->rows, 0)) : NULL,
          GROW_ROWS, self->cancellable, on_older_cb, self);
    }
  return TRUE;
}

gboolean
globi_message_list_is_loading_older (GlobiMessageList *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE_LIST (self), FALSE);
  return self->growing;
}

gboolean
globi_message_list_is_ready (GlobiMessageList *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE_LIST (self), FALSE);
  return self->ready;
}

gboolean
globi_message_list_is_loaded (GlobiMessageList *self, guint position)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE_LIST (self), FALSE);
  return position < self->rows->len;
}
