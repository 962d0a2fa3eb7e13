/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* A sliding-window counter per key ("signin:user:alice", "signin:addr:10.0.0.7"): at most
 * max_events within window_seconds. Memory is bounded: at most max_keys keys are tracked,
 * expired ones pruned first. Thread-safe. */
#define GLOBI_TYPE_RATE_LIMITER (globi_rate_limiter_get_type ())
G_DECLARE_FINAL_TYPE (GlobiRateLimiter, globi_rate_limiter, GLOBI, RATE_LIMITER, GObject)

GlobiRateLimiter *globi_rate_limiter_new        (guint              max_events,
                                                 guint              window_seconds,
                                                 guint              max_keys);
/* Whether key is currently over its limit, without counting anything. now_us is
 * g_get_monotonic_time () or a test's clock; *retry_after_s says when to try again. */
gboolean          globi_rate_limiter_is_limited (GlobiRateLimiter  *self,
                                                 const char        *key,
                                                 gint64             now_us,
                                                 guint             *retry_after_s);
/* Counts one event; returns FALSE (and *retry_after_s) when that event is over the limit. */
gboolean          globi_rate_limiter_hit        (GlobiRateLimiter  *self,
                                                 const char        *key,
                                                 gint64             now_us,
                                                 guint             *retry_after_s);
void              globi_rate_limiter_reset      (GlobiRateLimiter  *self,
                                                 const char        *key);

G_END_DECLS
