/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-message-list"

#include "config.h"

#include "globi-message-list.h"

/* Rows are fetched in pages on the cache's worker, so opening a chat costs one COUNT and
 * one query for its newest pages whatever its length.
 *
 * The model is a window on the chat's history that ends at its newest message and grows
 * towards the past a page at a time when a view asks for one of its first rows (the
 * person scrolled up to them), as chat apps load history. A list view builds rows for a
 * stretch of the model around where it starts, and it starts at the top: over a model of
 * the whole history it would build (and measure) a few hundred rows of the oldest
 * messages before being scrolled to the end, and then as many again there. Over the
 * window it builds the newest rows only, all of them already loaded. */
#define PAGE_SIZE     8
#define INITIAL_PAGES 3 /* 17-24 rows: a screenful in a tall window */
#define GROW_PAGES    4 /* rows prepended at a time as the view scrolls up */
#define GROW_MARGIN   16

struct _GlobiMessageList
{
  GObject parent_instance;

  GlobiCache *cache;
  char *chat_id;
  GlobiMessageInternFunc intern;
  gpointer intern_data;
  GCancellable *cancellable;

  gboolean ready;
  guint total;   /* messages in the chat */
  guint base;    /* the chat position of the model's first row: a multiple of PAGE_SIZE */
  guint n_items; /* total - base */
  guint opening; /* pages still loading before the first rows are shown */
  gboolean growing;
  GHashTable *pages;   /* page index (chat position / PAGE_SIZE) → GPtrArray of GlobiMessage */
  GHashTable *loading; /* page index set */
  GPtrArray *pending;  /* appended before the count arrived */
};

static void globi_message_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GlobiMessageList,
                               globi_message_list,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      globi_message_list_model_init))

static void load_page (GlobiMessageList *self, guint page);

static GType
globi_message_list_get_item_type (GListModel *model)
{
  return GLOBI_TYPE_MESSAGE;
}

static guint
globi_message_list_get_n_items (GListModel *model)
{
  return GLOBI_MESSAGE_LIST (model)->n_items;
}

static gpointer
globi_message_list_get_item (GListModel *model, guint position)
{
  GlobiMessageList *self = GLOBI_MESSAGE_LIST (model);
  guint at = self->base + position;
  guint page = at / PAGE_SIZE;
  GPtrArray *rows;

  if (position >= self->n_items)
    return NULL;
  rows = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page));
  if (rows != NULL && at % PAGE_SIZE < rows->len)
    return g_object_ref (g_ptr_array_index (rows, at % PAGE_SIZE));
  load_page (self, page);
  /* One placeholder per position: a list view takes one object at two places for a bug. */
  return globi_message_new ("", self->chat_id, NULL, GLOBI_MESSAGE_KIND_TEXT, NULL, 0);
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
  g_clear_pointer (&self->pages, g_hash_table_unref);
  g_clear_pointer (&self->loading, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);

  G_OBJECT_CLASS (globi_message_list_parent_class)->dispose (object);
}

static void
globi_message_list_finalize (GObject *object)
{
  GlobiMessageList *self = GLOBI_MESSAGE_LIST (object);

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
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  self->loading = g_hash_table_new (NULL, NULL);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
}

typedef struct
{
  GlobiMessageList *self; /* weak: the list may go away first */
  guint page;
  guint n_pages; /* loaded in one query */
} PageLoad;

static void on_counted_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* Messages added while the count or the opening pages were on the worker may have been
 * inserted after the count: count again. */
static gboolean
recount_if_added (GlobiMessageList *self)
{
  if (self->pending->len == 0)
    return FALSE;
  /* The worker is serial: a count queued now runs after those messages' inserts. */
  g_ptr_array_set_size (self->pending, 0);
  globi_cache_count_messages_async (self->cache, self->chat_id, self->cancellable, on_counted_cb,
                                    self);
  return TRUE;
}

static void
show_window (GlobiMessageList *self)
{
  if (recount_if_added (self))
    return;
  self->ready = TRUE;
  self->n_items = self->total - self->base;
  if (self->n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, self->n_items);
}

static void
on_page_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree PageLoad *load = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  GlobiMessageList *self = load->self;
  guint start = load->page * PAGE_SIZE;
  guint end;

  rows = globi_cache_load_messages_finish (GLOBI_CACHE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (rows == NULL)
    g_warning ("Could not load messages: %s", error->message);
  end = start + (rows != NULL ? rows->len : 0);
  for (guint k = 0; k < load->n_pages; k++)
    {
      GPtrArray *page = g_ptr_array_new_with_free_func (g_object_unref);

      g_hash_table_remove (self->loading, GUINT_TO_POINTER (load->page + k));
      for (guint i = k * PAGE_SIZE; rows != NULL && i < MIN ((k + 1) * PAGE_SIZE, rows->len); i++)
        {
          GlobiMessage *row = g_ptr_array_index (rows, i);

          g_ptr_array_add (page, self->intern ? self->intern (row, self->intern_data)
                                              : g_object_ref (row));
        }
      if (rows != NULL)
        g_hash_table_insert (self->pages, GUINT_TO_POINTER (load->page + k), page);
      else
        g_ptr_array_unref (page);
    }
  if (self->opening > 0)
    {
      /* A page that failed shows as placeholders, loaded again when a view asks. */
      if (--self->opening == 0)
        show_window (self);
      return;
    }
  if (self->growing && start + load->n_pages * PAGE_SIZE == self->base)
    {
      /* The pages before the window become its first rows (failed ones are asked for
       * again when a view next reaches the top). */
      self->growing = FALSE;
      if (end != self->base)
        return;
      self->base = start;
      self->n_items += end - start;
      g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, end - start);
      return;
    }
  /* A page a view asked for while it was loading: its placeholders become the rows. */
  start = MAX (start, self->base);
  end = MIN (end, self->total);
  if (self->ready && end > start)
    g_list_model_items_changed (G_LIST_MODEL (self), start - self->base, end - start, end - start);
}

/* Pages [page, page + n_pages) in one query: the cache pages by OFFSET, which walks the
 * rows before it, so near the end of a long chat one query for several pages costs what
 * one page does. */
static void
load_pages (GlobiMessageList *self, guint page, guint n_pages)
{
  PageLoad *load;

  for (guint k = 0; k < n_pages; k++)
    if (g_hash_table_contains (self->loading, GUINT_TO_POINTER (page + k)))
      return;
  for (guint k = 0; k < n_pages; k++)
    g_hash_table_add (self->loading, GUINT_TO_POINTER (page + k));
  load = g_new0 (PageLoad, 1);
  load->self = self;
  load->page = page;
  load->n_pages = n_pages;
  globi_cache_load_messages_async (self->cache, self->chat_id, page * PAGE_SIZE,
                                   n_pages * PAGE_SIZE, self->cancellable, on_page_loaded_cb, load);
}

static void
load_page (GlobiMessageList *self, guint page)
{
  load_pages (self, page, 1);
}

static void
on_counted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlobiMessageList *self = user_data;
  g_autoptr (GError) error = NULL;
  guint n;

  n = globi_cache_count_messages_finish (GLOBI_CACHE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    g_warning ("Could not count messages: %s", error->message);
  if (recount_if_added (self))
    return;
  self->total = n;
  if (n == 0)
    {
      show_window (self);
      return;
    }
  /* The newest pages, loaded before any row is shown: a chat opens at its end. */
  self->base = (n - 1) / PAGE_SIZE >= INITIAL_PAGES
                   ? ((n - 1) / PAGE_SIZE - (INITIAL_PAGES - 1)) * PAGE_SIZE
                   : 0;
  self->opening = 1;
  load_pages (self, self->base / PAGE_SIZE, (n - 1) / PAGE_SIZE - self->base / PAGE_SIZE + 1);
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
  globi_cache_count_messages_async (cache, chat_id, self->cancellable, on_counted_cb, self);
  return self;
}

void
globi_message_list_append (GlobiMessageList *self, GlobiMessage *message)
{
  guint position;
  guint page;
  GPtrArray *rows;

  g_return_if_fail (GLOBI_IS_MESSAGE_LIST (self));
  if (!self->ready)
    {
      /* The count may have been queued before this message's insert: count again. */
      g_ptr_array_add (self->pending, g_object_ref (message));
      return;
    }
  position = self->total++;
  self->n_items++;
  page = position / PAGE_SIZE;
  rows = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page));
  if (rows == NULL && position % PAGE_SIZE == 0)
    {
      rows = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->pages, GUINT_TO_POINTER (page), rows);
    }
  if (rows != NULL && rows->len == position % PAGE_SIZE)
    g_ptr_array_add (rows, g_object_ref (message));
  g_list_model_items_changed (G_LIST_MODEL (self), position - self->base, 0, 1);
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
  GPtrArray *rows;

  g_return_val_if_fail (GLOBI_IS_MESSAGE_LIST (self), FALSE);
  position += self->base;
  rows = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (position / PAGE_SIZE));
  return rows != NULL && position % PAGE_SIZE < rows->len;
}

gboolean
globi_message_list_load_older (GlobiMessageList *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE_LIST (self), FALSE);

  if (!self->ready || self->base == 0)
    return FALSE;
  if (!self->growing)
    {
      guint n_pages = MIN (GROW_PAGES, self->base / PAGE_SIZE);

      self->growing = TRUE;
      load_pages (self, self->base / PAGE_SIZE - n_pages, n_pages);
    }
  return TRUE;
}
