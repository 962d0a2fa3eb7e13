/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-chat-open"

#include "config.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "bench-cache-fill.h"
#include "globi-chats-view.h"
#include "globi-message-list.h"
#include "globi-messenger.h"
#include "globi-window-private.h"
#include "ui-app-fixture.h"

/* Opens a chat whose cache holds 100,000 messages in the real window (signed in against
 * a real in-process server), the way a click in the chat list does, and prints the time
 * from the click to the first frame that shows the list's rows, to the first frame that
 * shows the newest messages at the bottom, and the process RSS with the chat open. A
 * 10-message chat is opened first for comparison. Needs a display (xvfb-run). Figures,
 * not a pass/fail test. */

static guint n_messages = 100000;

typedef struct
{
  GlobiChatsView *view;
  GlobiMessageList *list;
  gint64 start;
  gint64 first_rows; /* first frame with row widgets in the list */
  gint64 newest;     /* first frame showing the newest messages, scrolled to the end */
} Opening;

static gboolean
has_mapped_rows (GtkWidget *list_view)
{
  for (GtkWidget *child = gtk_widget_get_first_child (list_view); child;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_mapped (child) && gtk_widget_get_first_child (child))
      return TRUE;
  return FALSE;
}

static gboolean
shows_newest (Opening *o, GtkListView *list_view)
{
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list_view));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (o->list));
  double end = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  if (n == 0 || !globi_message_list_is_loaded (o->list, n - 1) ||
      !globi_message_list_is_loaded (o->list, n > 10 ? n - 10 : 0))
    return FALSE;
  return gtk_adjustment_get_value (adj) >= end - 1;
}

static void
on_after_paint_cb (GdkFrameClock *clock, gpointer user_data)
{
  Opening *o = user_data;
  GtkListView *list_view = globi_chats_view_get_message_list (o->view);
  gint64 now = g_get_monotonic_time ();

  if (g_getenv ("BENCH_DEBUG"))
    {
      GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list_view));
      guint n = g_list_model_get_n_items (G_LIST_MODEL (o->list));
      g_printerr ("paint %.1f ms: n=%u rows=%d value=%.0f upper=%.0f page=%.0f loaded=%d\n",
                  (now - o->start) / 1000.0, n, has_mapped_rows (GTK_WIDGET (list_view)),
                  gtk_adjustment_get_value (adj), gtk_adjustment_get_upper (adj),
                  gtk_adjustment_get_page_size (adj),
                  n ? globi_message_list_is_loaded (o->list, n - 1) : -1);
    }
  if (o->first_rows == 0 && has_mapped_rows (GTK_WIDGET (list_view)))
    o->first_rows = now;
  if (o->newest == 0 && o->first_rows != 0 && shows_newest (o, list_view))
    o->newest = now;
}

static gboolean
debug_tick_cb (gpointer data)
{
  Opening *o = data;

  g_printerr ("tick %.1f ms: ready=%d n=%u\n", (g_get_monotonic_time () - o->start) / 1000.0,
              globi_message_list_is_ready (o->list),
              g_list_model_get_n_items (G_LIST_MODEL (o->list)));
  return G_SOURCE_CONTINUE;
}

static gboolean
opened (gpointer data)
{
  Opening *o = data;

  return o->newest != 0;
}

static gboolean
on_settled_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Half a second of main loop: pending loads and transitions finish before a measurement. */
static void
settle (void)
{
  gboolean done = FALSE;

  g_timeout_add (500, on_settled_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
open_chat (GlobiWindow *window, const char *chat_id, const char *label)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  Opening o = { window->chats_view, NULL, 0, 0, 0 };
  gint64 rss_before = bench_rss_kib ();
  gulong handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint_cb), &o);
  GlobiChat *chat;
  guint tick = 0;

  o.start = g_get_monotonic_time ();
  globi_window_open_chat (window, chat_id);
  chat = globi_messenger_open_chat (window->messenger, chat_id);
  o.list = GLOBI_MESSAGE_LIST (globi_chat_get_messages (chat));
  /* BENCH_DEBUG=1: every frame's list state, and a main-loop heartbeat (a gap is a stall). */
  if (g_getenv ("BENCH_DEBUG"))
    tick = g_timeout_add (500, debug_tick_cb, &o);

  ui_wait_until (opened, &o, 60, "the chat to show its newest messages");
  if (tick)
    g_source_remove (tick);
  g_signal_handler_disconnect (clock, handler);
  printf ("%-22s first frame with rows %7.1f ms, newest messages shown %7.1f ms, "
          "RSS %" G_GINT64_FORMAT " KiB (%+" G_GINT64_FORMAT " KiB)\n",
          label, (o.first_rows - o.start) / 1000.0, (o.newest - o.start) / 1000.0, bench_rss_kib (),
          bench_rss_kib () - rss_before);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "messages", 0, 0, G_OPTION_ARG_INT, &n_messages, "Messages in the big chat", "N" }, { NULL }
  };
  UiServer server = { 0 };
  UiPerson person = { 0 };
  g_autofree char *small_id = NULL;
  g_autofree char *big_id = NULL;
  g_autofree char *label = NULL;
  GlobiCache *cache;
  gint64 start;

  if (sodium_init () < 0)
    return 1;
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  if (!ui_test_init (&argc, &argv))
    {
      printf ("bench-chat-open needs a display: run it under xvfb-run\n");
      return 0;
    }
  g_setenv ("GSK_RENDERER", "cairo", FALSE);

  ui_server_start (&server, "bench-chat-open-server-XXXXXX");
  ui_person_start (&person, server.base_url, "bench-chat-open-XXXXXX", NULL, 900, 700);
  ui_person_register (&person, server.base_url, "bench", "correct horse battery", "Bench");

  /* Chats with people who are not contacts: the list and its rows are what is measured. */
  small_id = g_strdup_printf ("u:%s", "00000000-0000-4000-8000-000000000001");
  big_id = g_strdup_printf ("u:%s", "00000000-0000-4000-8000-000000000002");
  cache = globi_messenger_get_cache (person.window->messenger);
  start = g_get_monotonic_time ();
  bench_cache_fill (cache, small_id, 10);
  bench_cache_fill (cache, big_id, n_messages);
  printf ("filled the cache with 10 + %u messages in %.2f s\n", n_messages,
          (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  /* The chats section, settled, as a person looking at the chat list sees it. */
  globi_window_show_section (person.window, "chats");
  settle ();
  open_chat (person.window, small_id, "10-message chat:");
  settle ();
  label = g_strdup_printf ("%u-message chat:", n_messages);
  open_chat (person.window, big_id, label);

  ui_destroy_windows ();
  ui_person_clear (&person);
  ui_server_stop (&server);
  return 0;
}
