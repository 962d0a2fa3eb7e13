/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-cache.h"

G_BEGIN_DECLS

/* What the client benchmarks share: a cache filled with n generated messages in chat_id
 * (waits on the default main context), and this process's resident memory. */
void   bench_cache_fill (GlobiCache *cache,
                         const char *chat_id,
                         guint       n);
gint64 bench_rss_kib    (void);

G_END_DECLS
