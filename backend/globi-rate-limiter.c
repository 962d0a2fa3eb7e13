/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-rate-limiter"

#include "config.h"

#include "globi-rate-limiter.h"

/* The last (up to) max_events event times of one key, oldest at head: an exact sliding
 * window. The ring grows with use, so the thousands of keys that see one event each cost
 * a few bytes, and only busy keys reach max_events slots. */
typedef struct
{
  char *key;
  GList link; /* in the limiter's lru queue; data points back here */
  guint head;
  guint count;
  guint capacity;
  gint64 *times; /* monotonic microseconds */
} Window;

struct _GlobiRateLimiter
{
  GObject parent_instance;

  GMutex mutex;
  GHashTable *windows; /* key -> Window* (owned) */
  GQueue lru;          /* Window links, most recently hit first */
  guint max_events;
  gint64 window_us;
  guint max_keys;
};

G_DEFINE_FINAL_TYPE (GlobiRateLimiter, globi_rate_limiter, G_TYPE_OBJECT)

static void
window_free (gpointer data)
{
  Window *window = data;

  g_free (window->times);
  g_free (window->key);
  g_free (window);
}

static void
globi_rate_limiter_finalize (GObject *object)
{
  GlobiRateLimiter *self = GLOBI_RATE_LIMITER (object);

  g_clear_pointer (&self->windows, g_hash_table_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (globi_rate_limiter_parent_class)->finalize (object);
}

static void
globi_rate_limiter_class_init (GlobiRateLimiterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = globi_rate_limiter_finalize;
}

static void
globi_rate_limiter_init (GlobiRateLimiter *self)
{
  g_mutex_init (&self->mutex);
  /* The Window owns its key string; the table borrows it. */
  self->windows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, window_free);
  g_queue_init (&self->lru);
}

/* Drops the events that have slid out of the window. */
static void
window_expire (GlobiRateLimiter *self, Window *window, gint64 now_us)
{
  while (window->count > 0 && window->times[window->head] <= now_us - self->window_us)
    {
      window->head = (window->head + 1) % window->capacity;
      window->count--;
    }
}

static void
window_push (GlobiRateLimiter *self, Window *window, gint64 now_us)
{
  if (window->count == window->capacity)
    {
      guint capacity = MIN (MAX (4, window->capacity * 2), self->max_events);
      gint64 *times = g_new (gint64, capacity);

      /* Unroll the ring so the oldest event is at 0 again. */
      for (guint i = 0; i < window->count; i++)
        times[i] = window->times[(window->head + i) % window->capacity];
      g_free (window->times);
      window->times = times;
      window->capacity = capacity;
      window->head = 0;
    }
  window->times[(window->head + window->count) % window->capacity] = now_us;
  window->count++;
}

/* Whole seconds until the oldest event leaves the window, at least 1. */
static guint
window_retry_after (GlobiRateLimiter *self, Window *window, gint64 now_us)
{
  gint64 wait_us = window->times[window->head] + self->window_us - now_us;

  return (guint) MAX (1, (wait_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

static void
remove_window (GlobiRateLimiter *self, Window *window)
{
  g_queue_unlink (&self->lru, &window->link);
  g_hash_table_remove (self->windows, window->key);
}

/* Makes room for a new key by forgetting the one hit least recently, in constant time.
 * That is the key whose window emptied first, if any has; a key under attack keeps being
 * hit (even refused hits count here), so a flood of fresh keys does not push it out. */
static void
make_room (GlobiRateLimiter *self)
{
  GList *tail = g_queue_peek_tail_link (&self->lru);

  if (tail != NULL)
    remove_window (self, tail->data);
}

GlobiRateLimiter *
globi_rate_limiter_new (guint max_events, guint window_seconds, guint max_keys)
{
  GlobiRateLimiter *self;

  g_return_val_if_fail (max_events > 0, NULL);
  g_return_val_if_fail (window_seconds > 0, NULL);
  g_return_val_if_fail (max_keys > 0, NULL);

  self = g_object_new (GLOBI_TYPE_RATE_LIMITER, NULL);
  self->max_events = max_events;
  self->window_us = (gint64) window_seconds * G_USEC_PER_SEC;
  self->max_keys = max_keys;
  return self;
}

gboolean
globi_rate_limiter_is_limited (GlobiRateLimiter *self,
                               const char *key,
                               gint64 now_us,
                               guint *retry_after_s)
{
  Window *window;
  gboolean limited = FALSE;

  g_return_val_if_fail (GLOBI_IS_RATE_LIMITER (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (retry_after_s != NULL)
    *retry_after_s = 0;

  g_mutex_lock (&self->mutex);
  window = g_hash_table_lookup (self->windows, key);
  if (window != NULL)
    {
      window_expire (self, window, now_us);
      if (window->count >= self->max_events)
        {
          limited = TRUE;
          if (retry_after_s != NULL)
            *retry_after_s = window_retry_after (self, window, now_us);
        }
    }
  g_mutex_unlock (&self->mutex);

  return limited;
}

gboolean
globi_rate_limiter_hit (GlobiRateLimiter *self,
                        const char *key,
                        gint64 now_us,
                        guint *retry_after_s)
{
  Window *window;
  gboolean allowed = TRUE;

  g_return_val_if_fail (GLOBI_IS_RATE_LIMITER (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (retry_after_s != NULL)
    *retry_after_s = 0;

  g_mutex_lock (&self->mutex);
  window = g_hash_table_lookup (self->windows, key);
  if (window == NULL)
    {
      if (g_hash_table_size (self->windows) >= self->max_keys)
        make_room (self);
      window = g_new0 (Window, 1);
      window->key = g_strdup (key);
      window->link.data = window;
      g_hash_table_insert (self->windows, window->key, window);
    }
  else
    g_queue_unlink (&self->lru, &window->link);
  g_queue_push_head_link (&self->lru, &window->link);

  window_expire (self, window, now_us);
  if (window->count >= self->max_events)
    {
      /* A refused event is not recorded: the window still empties on schedule, so a
       * client that keeps retrying is not locked out for ever. */
      allowed = FALSE;
      if (retry_after_s != NULL)
        *retry_after_s = window_retry_after (self, window, now_us);
    }
  else
    window_push (self, window, now_us);
  g_mutex_unlock (&self->mutex);

  return allowed;
}

void
globi_rate_limiter_reset (GlobiRateLimiter *self, const char *key)
{
  Window *window;

  g_return_if_fail (GLOBI_IS_RATE_LIMITER (self));
  g_return_if_fail (key != NULL);

  g_mutex_lock (&self->mutex);
  window = g_hash_table_lookup (self->windows, key);
  if (window != NULL)
    remove_window (self, window);
  g_mutex_unlock (&self->mutex);
}
