/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-id.h"
#include "globi-rates.h"
#include "wallet-helpers.h"

/* The rates service: the ECB parser on fixture files, the ECB provider against a local
 * SoupServer (good, malformed, huge, missing currencies, errors), and a server that takes
 * its rates from that feed. */

static char *
read_fixture (const char *name, gsize *len)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "wallet", "rates", name, NULL);
  char *data = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &data, len, &error));
  g_assert_no_error (error);
  return data;
}

static GlobiRateSet *
parse_fixture (const char *name, GError **error)
{
  gsize len = 0;
  g_autofree char *data = read_fixture (name, &len);

  return globi_rates_parse_ecb (data, len, "test", 1, error);
}

static void
test_parse_good (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiRateSet) set = parse_fixture ("good.xml", &error);
  g_autoptr (GlobiRateSet) hist = parse_fixture ("hist.xml", &error);
  g_autoptr (GlobiRateSet) snapshot = globi_rates_load_snapshot (&error);
  g_autoptr (JsonNode) json = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GlobiRateSet) back = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (globi_rate_set_get_date (set), ==, "2026-11-23");
  g_assert_cmpstr (globi_rate_set_lookup (set, "USD"), ==, "1.0500");
  g_assert_cmpstr (globi_rate_set_lookup (set, "KRW"), ==, "1500.00");
  g_assert_cmpstr (globi_rate_set_lookup (set, "EUR"), ==, "1");
  /* Codes outside the ISO table (and retired ones) are skipped, not fatal. */
  g_assert_null (globi_rate_set_lookup (set, "XYZ"));
  g_assert_null (globi_rate_set_lookup (set, "HRK"));
  g_assert_null (globi_rate_set_lookup (set, "SEK"));

  /* The 90-day feed: the first day is the newest. */
  g_assert_cmpstr (globi_rate_set_get_date (hist), ==, "2026-11-23");
  g_assert_cmpstr (globi_rate_set_lookup (hist, "USD"), ==, "1.0500");

  /* The compiled-in snapshot has every currency the ECB publishes. */
  g_assert_cmpstr (globi_rate_set_get_source (snapshot), ==, "snapshot");
  g_assert_nonnull (globi_rate_set_lookup (snapshot, "ZAR"));
  g_assert_nonnull (globi_rate_set_lookup (snapshot, "ISK"));

  /* Stored as JSON and read back unchanged. */
  json = globi_rate_set_to_json (set);
  text = json_to_string (json, FALSE);
  back = globi_rate_set_from_json (text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_rate_set_lookup (back, "CNY"), ==, "7.5000");
  g_assert_cmpstr (globi_rate_set_get_date (back), ==, "2026-11-23");
}

static void
test_parse_bad (void)
{
  const struct
  {
    const char *file;
    const char *message;
  } cases[] = {
    { "missing.xml", "missing currencies: USD, CHF, CNY" },
    { "truncated.xml", "malformed" },
    { "bad-rate.xml", "bad rate" },
    { "negative-rate.xml", "bad rate" },
    { "duplicate.xml", "twice" },
    { "bad-date.xml", "bad Cube time" },
    { "no-cube.xml", "no dated Cube" },
    { "wrong-root.xml", "gesmes:Envelope" },
    { "rate-outside-day.xml", "inside a dated Cube" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiRateSet) set = parse_fixture (cases[i].file, &error);

      g_test_message ("%s: %s", cases[i].file, error ? error->message : "(parsed)");
      g_assert_null (set);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, cases[i].message));
    }

  {
    g_autoptr (GError) error = NULL;
    gsize len = 0;
    g_autofree char *good = read_fixture ("good.xml", &len);
    g_autoptr (GString) huge = g_string_new (good);

    /* Padding in a comment keeps it well-formed: the size alone refuses it. */
    g_string_append (huge, "<!--");
    while (huge->len <= GLOBI_RATES_MAX_BYTES)
      g_string_append (huge, "padding padding padding padding ");
    g_string_append (huge, "-->");
    g_assert_null (globi_rates_parse_ecb (huge->str, huge->len, "test", 0, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_null (globi_rates_parse_ecb ("", 0, "test", 0, NULL));
    g_assert_null (globi_rate_set_from_json ("{\"date\": \"2026-01-01\", \"rates\": {\"USD\": "
                                             "\"-1\"}}",
                                             NULL));
  }
}

/* A feed on its own thread and context: the test thread blocks in synchronous requests
 * to the GlobiChat server, which fetches from here meanwhile. */

typedef struct
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GMutex lock;
  GCond cond;
  char *base_url;
  guint hits;
} Feed;

static void
feed_handler (SoupServer *server,
              SoupServerMessage *msg,
              const char *path,
              GHashTable *query,
              gpointer user_data)
{
  Feed *feed = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  g_mutex_lock (&feed->lock);
  feed->hits++;
  g_cond_broadcast (&feed->cond);
  g_mutex_unlock (&feed->lock);

  if (g_str_equal (path, "/huge") || g_str_equal (path, "/huge-chunked"))
    {
      gsize size = 4 * GLOBI_RATES_MAX_BYTES;
      char *junk = g_malloc (size);

      memset (junk, ' ', size);
      if (g_str_equal (path, "/huge-chunked"))
        soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (headers, "text/xml", NULL);
      soup_message_body_append_take (soup_server_message_get_response_body (msg), (guchar *) junk,
                                     size);
      return;
    }
  if (g_str_has_suffix (path, ".xml"))
    {
      g_autofree char *name = g_path_get_basename (path);
      g_autofree char *file = g_test_build_filename (G_TEST_DIST, "wallet", "rates", name, NULL);
      char *data = NULL;
      gsize len = 0;

      if (g_file_get_contents (file, &data, &len, NULL))
        {
          soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
          soup_message_headers_set_content_type (headers, "text/xml", NULL);
          soup_message_body_append_take (soup_server_message_get_response_body (msg),
                                         (guchar *) data, len);
          return;
        }
    }
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static gpointer
feed_thread (gpointer data)
{
  Feed *feed = data;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (feed->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, feed_handler, feed, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  g_mutex_lock (&feed->lock);
  feed->base_url = g_uri_to_string_partial (uris->data, G_URI_HIDE_PASSWORD);
  /* "http://127.0.0.1:PORT/" → without the slash. */
  if (g_str_has_suffix (feed->base_url, "/"))
    feed->base_url[strlen (feed->base_url) - 1] = '\0';
  g_cond_broadcast (&feed->cond);
  g_mutex_unlock (&feed->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (feed->loop);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (feed->context);
  return NULL;
}

static void
feed_start (Feed *feed)
{
  memset (feed, 0, sizeof *feed);
  g_mutex_init (&feed->lock);
  g_cond_init (&feed->cond);
  feed->context = g_main_context_new ();
  feed->loop = g_main_loop_new (feed->context, FALSE);
  feed->thread = g_thread_new ("feed", feed_thread, feed);
  g_mutex_lock (&feed->lock);
  while (!feed->base_url)
    g_cond_wait (&feed->cond, &feed->lock);
  g_mutex_unlock (&feed->lock);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
feed_stop (Feed *feed)
{
  g_main_context_invoke (feed->context, quit_cb, feed->loop);
  g_thread_join (feed->thread);
  g_main_loop_unref (feed->loop);
  g_main_context_unref (feed->context);
  g_free (feed->base_url);
  g_mutex_clear (&feed->lock);
  g_cond_clear (&feed->cond);
}

static void
on_fetched_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GlobiRateSet *
fetch (Feed *feed, const char *path, GError **error)
{
  g_autofree char *url = g_strconcat (feed->base_url, path, NULL);
  GlobiRatesProvider *provider = globi_rates_provider_ecb_new (url);
  g_autoptr (GAsyncResult) result = NULL;
  GlobiRateSet *set;

  globi_rates_provider_fetch_async (provider, NULL, on_fetched_cb, &result);
  while (!result)
    g_main_context_iteration (NULL, TRUE);
  set = globi_rates_provider_fetch_finish (provider, result, error);
  globi_rates_provider_free (provider);
  return set;
}

static void
test_provider (void)
{
  Feed feed;
  const struct
  {
    const char *path;
    GQuark domain;
    int code;
  } bad[] = {
    { "/missing.xml", G_IO_ERROR, G_IO_ERROR_INVALID_DATA },
    { "/truncated.xml", G_IO_ERROR, G_IO_ERROR_INVALID_DATA },
    { "/wrong-root.xml", G_IO_ERROR, G_IO_ERROR_INVALID_DATA },
    { "/huge", G_IO_ERROR, G_IO_ERROR_INVALID_DATA },
    { "/huge-chunked", G_IO_ERROR, G_IO_ERROR_INVALID_DATA },
    { "/nothing-here", G_IO_ERROR, G_IO_ERROR_FAILED },
  };

  feed_start (&feed);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GlobiRateSet) set = fetch (&feed, "/good.xml", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (globi_rate_set_get_source (set), ==, "ecb");
    g_assert_cmpstr (globi_rate_set_lookup (set, "JPY"), ==, "160.00");
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiRateSet) set = fetch (&feed, bad[i].path, &error);

      g_test_message ("%s: %s", bad[i].path, error ? error->message : "(parsed)");
      g_assert_null (set);
      g_assert_error (error, bad[i].domain, bad[i].code);
    }
  feed_stop (&feed);
}

/* Polls the server until its rates have this date; each round is a real request. */
static JsonObject *
wait_for_rates (Fixture *f, const Person *who, const char *date)
{
  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr (Reply) reply = social_request (f, "GET", who, NULL, "/v1/rates");

      g_assert_cmpuint (reply->status, ==, 200);
      if (g_str_equal (json_object_get_string_member (reply_object (reply), "date"), date))
        return json_object_ref (reply_object (reply));
      g_usleep (5000);
    }
  g_assert_not_reached ();
  return NULL;
}

static void
test_server_feed (void)
{
  Fixture f;
  Feed feed;
  Person alice, bob;
  g_autoptr (JsonObject) rates = NULL;
  g_autoptr (JsonObject) stored = NULL;
  g_autoptr (Reply) wallet = NULL;
  g_autoptr (Reply) paid = NULL;
  g_autofree char *id = globi_id_new ();
  g_autofree char *body = NULL;
  JsonObject *converted;

  feed_start (&feed);
  fixture_init (&f);
  f.config->rates_url = g_strconcat (feed.base_url, "/good.xml", NULL);
  fixture_start (&f);
  person_sign_up (&f, "alice", &alice);
  person_sign_up (&f, "bob", &bob);

  /* Until the feed answers, the snapshot (2026-11-20); then the feed's set. */
  rates = wait_for_rates (&f, &alice, "2026-11-23");
  g_assert_cmpstr (json_object_get_string_member (rates, "source"), ==, "ecb");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (rates, "rates"), "USD"), ==,
      "1.0500");
  /* Every device heard of it (stored in the transaction that stored the set). */
  g_assert_cmpuint (social_count_events (&f, &alice, "rates_updated"), ==, 1);
  g_assert_cmpuint (social_count_events (&f, &bob, "rates_updated"), ==, 1);

  /* A payment now uses these rates: 10.00 USD → 10 / 1.05 * 7.5 = 71.428… → 71.43 CNY. */
  wallet_set_pin (&f, &alice, WALLET_PIN);
  body = g_strdup_printf ("{\"id\": \"%s\", \"payee_id\": \"%s\", \"amount\": {\"currency\": "
                          "\"USD\", \"minor\": 1000}, \"payee_currency\": \"CNY\", \"pin\": "
                          "\"" WALLET_PIN "\"}",
                          id, bob.id);
  paid = social_request (&f, "POST", &alice, body, "/v1/wallet/payments");
  g_assert_cmpuint (paid->status, ==, 201);
  converted = json_object_get_object_member (wallet_tx (paid), "converted");
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (converted, "amount"), "minor"), ==,
      7143);
  g_assert_cmpstr (json_object_get_string_member (converted, "rate"), ==, "7.1428571429");
  g_assert_cmpstr (json_object_get_string_member (converted, "rate_date"), ==, "2026-11-23");

  /* After a restart without a feed the stored set, newer than the snapshot, comes back. */
  fixture_stop (&f);
  g_clear_pointer (&f.config->rates_url, g_free);
  fixture_start (&f);
  person_refresh (&f, &alice);
  stored = wait_for_rates (&f, &alice, "2026-11-23");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (stored, "rates"), "CNY"), ==,
      "7.5000");
  wallet = social_request (&f, "GET", &alice, NULL, "/v1/wallet");
  g_assert_cmpuint (wallet->status, ==, 200);
  g_assert_cmpint (wallet_audit (&f, NULL), ==, 0);

  person_clear (&alice);
  person_clear (&bob);
  fixture_clear (&f);
  feed_stop (&feed);
}

/* The server reports a refused feed in its log: the test waits for that line. */
static GMutex log_lock;
static GCond log_cond;
static guint refused_feeds;

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        g_str_has_prefix (fields[i].value, "fetching rates (ecb): "))
      {
        g_mutex_lock (&log_lock);
        refused_feeds++;
        g_cond_broadcast (&log_cond);
        g_mutex_unlock (&log_lock);
      }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
test_server_bad_feed (void)
{
  Fixture f;
  Feed feed;
  Person alice;
  g_autoptr (Reply) first = NULL;
  g_autoptr (Reply) later = NULL;

  feed_start (&feed);
  fixture_init (&f);
  f.config->rates_url = g_strconcat (feed.base_url, "/missing.xml", NULL);
  fixture_start (&f);
  person_sign_up (&f, "alice", &alice);
  first = social_request (&f, "GET", &alice, NULL, "/v1/rates");
  g_assert_cmpuint (first->status, ==, 200);
  /* The feed was asked and its answer refused; the server keeps the snapshot. */
  g_mutex_lock (&log_lock);
  while (refused_feeds == 0)
    g_assert_true (g_cond_wait_until (&log_cond, &log_lock,
                                      g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND));
  g_mutex_unlock (&log_lock);
  g_assert_cmpuint (feed.hits, ==, 1);
  later = social_request (&f, "GET", &alice, NULL, "/v1/rates");
  g_assert_cmpstr (json_object_get_string_member (reply_object (later), "date"), ==, "2026-11-20");
  g_assert_cmpstr (json_object_get_string_member (reply_object (later), "source"), ==, "snapshot");
  g_assert_cmpuint (social_count_events (&f, &alice, "rates_updated"), ==, 0);

  person_clear (&alice);
  fixture_clear (&f);
  feed_stop (&feed);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_test_add_func ("/globi/wallet/rates/parse-good", test_parse_good);
  g_test_add_func ("/globi/wallet/rates/parse-bad", test_parse_bad);
  g_test_add_func ("/globi/wallet/rates/provider", test_provider);
  g_test_add_func ("/globi/wallet/rates/server-feed", test_server_feed);
  g_test_add_func ("/globi/wallet/rates/server-bad-feed", test_server_bad_feed);
  return g_test_run ();
}
