/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-ingest"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "messaging-fixture.h"

/* 1:1 ingest: POST /v1/messages from several senders to their friends, with `in_flight`
 * requests outstanding; a message counts once its 201 is back, which the server sends
 * only after the transaction holding it committed (acknowledged durability). Figures,
 * not a pass/fail test. */

static int pairs = 16;
static int in_flight = 64;
static double seconds = 5.0;

typedef struct
{
  Fixture f;
  GPtrArray *senders;    /* Device */
  GPtrArray *recipients; /* Device */
  SoupSession *async;
  guint pending;
  guint64 done;
  guint64 failed;
} Bench;

static void
on_posted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Bench *b = user_data;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  if (body && soup_message_get_status (msg) == 201)
    b->done++;
  else
    b->failed++;
  b->pending--;
}

static void
post_one (Bench *b, guint pair)
{
  Device *from = b->senders->pdata[pair];
  Device *to = b->recipients->pdata[pair];
  g_autofree char *id = globi_id_new ();
  g_autofree char *url = g_strconcat (b->f.base_url, "/v1/messages", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", from->token, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *ciphertext = NULL;
  char *body;
  guint8 raw[200];

  randombytes_buf (raw, sizeof raw); /* a 200-byte ciphertext stand-in */
  ciphertext = globi_base64url_encode (raw, sizeof raw);
  body = g_strdup_printf ("{\"id\": \"%s\", \"to\": {\"user_id\": \"%s\"}, \"envelopes\": "
                          "[{\"device_id\": \"%s\", \"type\": \"message\", \"ciphertext\": "
                          "\"%s\"}]}",
                          id, to->user_id, to->device_id, ciphertext);
  bytes = g_bytes_new_take (body, strlen (body));
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  b->pending++;
  soup_session_send_and_read_async (b->async, msg, G_PRIORITY_DEFAULT, NULL, on_posted_cb, b);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("- 1:1 message ingest benchmark");
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "pairs", 0, 0, G_OPTION_ARG_INT, &pairs, "Sender/recipient pairs (16)", "N" },
    { "in-flight", 0, 0, G_OPTION_ARG_INT, &in_flight, "Concurrent POSTs (64)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Length of the run (5)", "S" },
    { NULL },
  };
  Bench b = { 0 };
  gint64 start, end;
  guint next = 0;
  double t;

  g_assert_cmpint (sodium_init (), >=, 0);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  fixture_init (&b.f);
  fixture_start (&b.f);
  b.senders = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  b.recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  for (int i = 0; i < pairs; i++)
    {
      g_autofree char *a = g_strdup_printf ("sender%03d", i);
      g_autofree char *r = g_strdup_printf ("recipient%03d", i);
      Device *from = device_new_user (&b.f, a, TRUE);
      Device *to = device_new_user (&b.f, r, TRUE);

      befriend (&b.f, from, to);
      g_ptr_array_add (b.senders, from);
      g_ptr_array_add (b.recipients, to);
    }
  b.async =
      soup_session_new_with_options ("max-conns", in_flight, "max-conns-per-host", in_flight, NULL);

  start = g_get_monotonic_time ();
  end = start + seconds * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      while (b.pending < (guint) in_flight)
        post_one (&b, next++ % pairs);
      g_main_context_iteration (NULL, TRUE);
    }
  while (b.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  t = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_print ("1:1 ingest: %10.0f acknowledged messages/s  (%" G_GUINT64_FORMAT " in %.2f s, %d "
           "pairs, %d in flight, %" G_GUINT64_FORMAT " failed)\n",
           b.done / t, b.done, t, pairs, in_flight, b.failed);
  g_clear_object (&b.async);
  g_clear_pointer (&b.senders, g_ptr_array_unref);
  g_clear_pointer (&b.recipients, g_ptr_array_unref);
  fixture_clear (&b.f);
  return 0;
}
