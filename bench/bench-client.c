/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-client"

#include "config.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "bench-cache-fill.h"
#include "globi-cache.h"
#include "globi-message-list.h"

/* Opens a chat whose cache holds 100,000 messages (and one with 10, for comparison) the
 * way the chat page does: the paging GListModel. Prints the time to the first page (the
 * row count and the newest page of rows loaded) and the process RSS with the chat open.
 * Figures, not a pass/fail test. */

static guint n_messages = 100000;

/* Seconds from creating the model to its newest row being loaded. */
static double
open_chat (GlobiCache *cache, const char *chat_id, GlobiMessageList **out)
{
  gint64 start = g_get_monotonic_time ();
  GlobiMessageList *list = globi_message_list_new (cache, chat_id, NULL, NULL);
  guint n;

  while (!globi_message_list_is_ready (list))
    g_main_context_iteration (NULL, TRUE);
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  while (n > 0 && !globi_message_list_is_loaded (list, n - 1))
    g_main_context_iteration (NULL, TRUE);
  *out = list;
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GlobiCache) cache = NULL;
  g_autoptr (GlobiMessageList) small = NULL;
  g_autoptr (GlobiMessageList) big = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  GOptionEntry entries[] = {
    { "messages", 0, 0, G_OPTION_ARG_INT, &n_messages, "Messages in the big chat", "N" }, { NULL }
  };
  gint64 rss_before;
  double t_small, t_big;
  gint64 start;

  if (sodium_init () < 0)
    return 1;
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);

  dir = g_dir_make_tmp ("bench-client-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "cache.sqlite3", NULL);
  cache = globi_cache_new (path);
  start = g_get_monotonic_time ();
  bench_cache_fill (cache, "u:big", n_messages);
  bench_cache_fill (cache, "u:small", 10);
  printf ("filled the cache with %u + 10 messages in %.2f s\n", n_messages,
          (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  rss_before = bench_rss_kib ();
  t_small = open_chat (cache, "u:small", &small);
  t_big = open_chat (cache, "u:big", &big);
  printf ("first page, 10-message chat:      %.2f ms\n", t_small * 1000);
  printf ("first page, %u-message chat: %.2f ms (%u rows in the model)\n", n_messages, t_big * 1000,
          g_list_model_get_n_items (G_LIST_MODEL (big)));
  printf ("RSS with both chats open:          %" G_GINT64_FORMAT " KiB (%+" G_GINT64_FORMAT
          " KiB for opening them)\n",
          bench_rss_kib (), bench_rss_kib () - rss_before);

  g_clear_object (&small);
  g_clear_object (&big);
  globi_cache_close (cache);
  {
    const char *suffixes[] = { "", "-wal", "-shm" };
    for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
      {
        g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
        g_remove (file);
      }
    g_rmdir (dir);
  }
  return 0;
}
