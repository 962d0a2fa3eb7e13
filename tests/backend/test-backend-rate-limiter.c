/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-rate-limiter.h"

#define SECOND G_USEC_PER_SEC
/* An arbitrary monotonic origin, far from 0 so that "now - window" stays positive. */
#define T0 ((gint64) 1000000 * SECOND)

static void
test_rate_limiter_window (void)
{
  g_autoptr (GlobiRateLimiter) limiter = globi_rate_limiter_new (3, 60, 100);
  guint retry = 0;

  g_assert_false (globi_rate_limiter_is_limited (limiter, "k", T0, &retry));
  g_assert_cmpuint (retry, ==, 0);

  g_assert_true (globi_rate_limiter_hit (limiter, "k", T0, &retry));
  g_assert_true (globi_rate_limiter_hit (limiter, "k", T0 + 10 * SECOND, &retry));
  g_assert_true (globi_rate_limiter_hit (limiter, "k", T0 + 20 * SECOND, &retry));
  g_assert_true (globi_rate_limiter_is_limited (limiter, "k", T0 + 20 * SECOND, &retry));
  g_assert_cmpuint (retry, ==, 40);

  /* The fourth event is refused and says when the oldest one slides out. */
  g_assert_false (globi_rate_limiter_hit (limiter, "k", T0 + 30 * SECOND, &retry));
  g_assert_cmpuint (retry, ==, 30);
  g_assert_false (globi_rate_limiter_hit (limiter, "k", T0 + 59 * SECOND + 1, &retry));
  g_assert_cmpuint (retry, ==, 1);

  /* Sliding, not fixed: at T0+60 only the first event has left the window. */
  g_assert_false (globi_rate_limiter_is_limited (limiter, "k", T0 + 60 * SECOND, &retry));
  g_assert_true (globi_rate_limiter_hit (limiter, "k", T0 + 60 * SECOND, &retry));
  g_assert_false (globi_rate_limiter_hit (limiter, "k", T0 + 61 * SECOND, &retry));
  g_assert_cmpuint (retry, ==, 9);
  g_assert_true (globi_rate_limiter_hit (limiter, "k", T0 + 70 * SECOND, &retry));

  /* Long after, the window is empty again. */
  g_assert_false (globi_rate_limiter_is_limited (limiter, "k", T0 + 1000 * SECOND, &retry));
}

static void
test_rate_limiter_many_events (void)
{
  /* More events than the first ring holds, then wrapping around in it. */
  g_autoptr (GlobiRateLimiter) limiter = globi_rate_limiter_new (50, 10, 100);
  const gint64 step = SECOND / 10;
  guint retry = 0;

  for (guint i = 0; i < 50; i++)
    g_assert_true (globi_rate_limiter_hit (limiter, "k", T0 + i * step, &retry));
  g_assert_false (globi_rate_limiter_hit (limiter, "k", T0 + 50 * step, &retry));
  g_assert_cmpuint (retry, ==, 5);

  /* At T0+10.25 s the events at 0, 0.1 and 0.2 s have left: three more fit. */
  for (guint i = 0; i < 3; i++)
    g_assert_true (globi_rate_limiter_hit (limiter, "k", T0 + 10 * SECOND + SECOND / 4, &retry));
  g_assert_false (globi_rate_limiter_hit (limiter, "k", T0 + 10 * SECOND + SECOND / 4, &retry));
  g_assert_cmpuint (retry, ==, 1);
  for (guint i = 0; i < 47; i++)
    g_assert_true (globi_rate_limiter_hit (limiter, "k", T0 + 15 * SECOND + i, &retry));
  g_assert_false (globi_rate_limiter_hit (limiter, "k", T0 + 15 * SECOND + 47, &retry));
  g_assert_cmpuint (retry, ==, 6);
}

static void
test_rate_limiter_keys_independent (void)
{
  g_autoptr (GlobiRateLimiter) limiter = globi_rate_limiter_new (1, 10, 100);

  g_assert_true (globi_rate_limiter_hit (limiter, "signin:user:alice", T0, NULL));
  g_assert_false (globi_rate_limiter_hit (limiter, "signin:user:alice", T0, NULL));
  g_assert_true (globi_rate_limiter_hit (limiter, "signin:user:bob", T0, NULL));
  g_assert_true (globi_rate_limiter_is_limited (limiter, "signin:user:bob", T0, NULL));
}

static void
test_rate_limiter_reset (void)
{
  g_autoptr (GlobiRateLimiter) limiter = globi_rate_limiter_new (2, 10, 100);

  g_assert_true (globi_rate_limiter_hit (limiter, "k", T0, NULL));
  g_assert_true (globi_rate_limiter_hit (limiter, "k", T0, NULL));
  g_assert_true (globi_rate_limiter_is_limited (limiter, "k", T0, NULL));
  globi_rate_limiter_reset (limiter, "k");
  g_assert_false (globi_rate_limiter_is_limited (limiter, "k", T0, NULL));
  g_assert_true (globi_rate_limiter_hit (limiter, "k", T0, NULL));
  globi_rate_limiter_reset (limiter, "never-seen");
}

static void
test_rate_limiter_key_bound (void)
{
  g_autoptr (GlobiRateLimiter) limiter = globi_rate_limiter_new (1, 10, 4);

  /* Fill the table with live keys; the fifth evicts the quietest (key-0). */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *key = g_strdup_printf ("key-%u", i);

      g_assert_true (globi_rate_limiter_hit (limiter, key, T0 + i * SECOND, NULL));
    }
  g_assert_true (globi_rate_limiter_hit (limiter, "key-4", T0 + 5 * SECOND, NULL));
  g_assert_false (globi_rate_limiter_is_limited (limiter, "key-0", T0 + 5 * SECOND, NULL));
  for (guint i = 1; i <= 4; i++)
    {
      g_autofree char *key = g_strdup_printf ("key-%u", i);

      g_assert_true (globi_rate_limiter_is_limited (limiter, key, T0 + 5 * SECOND, NULL));
    }

  /* Once their windows have passed, expired keys make room before any live one goes. */
  g_assert_true (globi_rate_limiter_hit (limiter, "late-0", T0 + 13 * SECOND, NULL));
  g_assert_true (globi_rate_limiter_hit (limiter, "late-1", T0 + 13 * SECOND, NULL));
  g_assert_true (globi_rate_limiter_hit (limiter, "late-2", T0 + 13 * SECOND, NULL));
  g_assert_true (globi_rate_limiter_is_limited (limiter, "key-4", T0 + 13 * SECOND, NULL));
  g_assert_true (globi_rate_limiter_is_limited (limiter, "late-0", T0 + 13 * SECOND, NULL));

  /* A flood of distinct keys never grows memory past the bound. */
  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *key = g_strdup_printf ("flood-%u", i);

      g_assert_true (globi_rate_limiter_hit (limiter, key, T0 + 14 * SECOND, NULL));
    }
  g_assert_true (globi_rate_limiter_is_limited (limiter, "flood-9999", T0 + 14 * SECOND, NULL));
  /* The quietest live key was the first to go. */
  g_assert_false (globi_rate_limiter_is_limited (limiter, "key-4", T0 + 14 * SECOND, NULL));
}

typedef struct
{
  GlobiRateLimiter *limiter;
  guint allowed;
} HitterData;

static gpointer
hit_many (gpointer data)
{
  HitterData *hitter = data;

  for (guint i = 0; i < 1000; i++)
    if (globi_rate_limiter_hit (hitter->limiter, "shared", T0, NULL))
      hitter->allowed++;
  return NULL;
}

static void
test_rate_limiter_threads (void)
{
  g_autoptr (GlobiRateLimiter) limiter = globi_rate_limiter_new (100, 60, 10);
  HitterData hitters[4] = { { 0 } };
  GThread *threads[4];
  guint total = 0;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      hitters[i].limiter = limiter;
      threads[i] = g_thread_new ("hitter", hit_many, &hitters[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      total += hitters[i].allowed;
    }
  /* Exactly the limit gets through, however the threads interleave. */
  g_assert_cmpuint (total, ==, 100);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/globi/backend/rate-limiter/window", test_rate_limiter_window);
  g_test_add_func ("/globi/backend/rate-limiter/many-events", test_rate_limiter_many_events);
  g_test_add_func ("/globi/backend/rate-limiter/keys-independent",
                   test_rate_limiter_keys_independent);
  g_test_add_func ("/globi/backend/rate-limiter/reset", test_rate_limiter_reset);
  g_test_add_func ("/globi/backend/rate-limiter/key-bound", test_rate_limiter_key_bound);
  g_test_add_func ("/globi/backend/rate-limiter/threads", test_rate_limiter_threads);
  return g_test_run ();
}
