/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-rate-limiter"

#include "config.h"

#include "globi-rate-limiter.h"

/* The last max_events event times of one key, oldest at head: an exact sliding window
 * whose memory per key is fixed by the limit, whatever the event rate. */
typedef struct
{
  guint head;
  guint count;
  gint64 times[]; /* max_events slots, monotonic microseconds */
} Window;

struct _GlobiRateLimiter
{
  GObject parent_instance;

  GMutex mutex;
  GHashTable *windows; /* key -> Window* */
  guint max_events;
  gint64 window_us;
  guint max_keys;
};

G_DEFINE_FINAL_TYPE (GlobiRateLimiter, globi_rate_limiter, G_TYPE_OBJECT)

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
  self->windows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static gint64
window_newest (GlobiRateLimiter *self, Window *window)
{
  return window->times[(window->head + window->count - 1) % self->max_events];
}

/* Drops the events that have slid out of the window. */
static void
window_expire (GlobiRateLimiter *self, Window *window, gint64 now_us)
{
  while (window->count > 0 && window->times[window->head] <= now_us - self->window_us)
    {
      window->head = (window->head + 1) % self->max_events;
      window->count--;
    }
}

/* Whole seconds until the oldest event leaves the window, at least 1. */
static guint
window_retry_after (GlobiRateLimiter *self, Window *window, gint64 now_us)
{
  gint64 wait_us = window->times[window->head] + self->window_us - now_us;

  return (guint) MAX (1, (wait_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

/* Makes room for a new key: first forget keys with nothing left in their window, then, if
 * still full, the key that has been quiet the longest. */
static void
make_room (GlobiRateLimiter *self, gint64 now_us)
{
  GHashTableIter iter;
  gpointer key, value;
  const char *quietest = NULL;
  gint64 quietest_time = G_MAXINT64;

  g_hash_table_iter_init (&iter, self->windows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Window *window = value;

      window_expire (self, window, now_us);
      if (window->count == 0)
        g_hash_table_iter_remove (&iter);
    }

  if (g_hash_table_size (self->windows) < self->max_keys)
    return;

  g_hash_table_iter_init (&iter, self->windows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 newest = window_newest (self, value);

      if (newest < quietest_time)
        {
          quietest_time = newest;
          quietest = key;
        }
    }
  if (quietest != NULL)
    g_hash_table_remove (self->windows, quietest);
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
        make_room (self, now_us);
      window = g_malloc0 (sizeof (Window) + self->max_events * sizeof (gint64));
      g_hash_table_insert (self->windows, g_strdup (key), window);
    }

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
    {
      window->times[(window->head + window->count) % self->max_events] = now_us;
      window->count++;
    }
  g_mutex_unlock (&self->mutex);

  return allowed;
}

void
globi_rate_limiter_reset (GlobiRateLimiter *self, const char *key)
{
  g_return_if_fail (GLOBI_IS_RATE_LIMITER (self));
  g_return_if_fail (key != NULL);

  g_mutex_lock (&self->mutex);
  g_hash_table_remove (self->windows, key);
  g_mutex_unlock (&self->mutex);
}
