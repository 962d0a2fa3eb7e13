/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "bench-cache-fill.h"

static void
on_filled_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

void
bench_cache_fill (GlobiCache *cache, const char *chat_id, guint n)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  globi_cache_fill_async (cache, chat_id, n, NULL, on_filled_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!globi_cache_fill_finish (cache, result, &error))
    g_error ("fill: %s", error->message);
}

gint64
bench_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10);
}
