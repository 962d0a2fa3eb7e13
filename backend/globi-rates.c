/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-rates"

#include "config.h"

#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "globi-backend-resources.h"
#include "globi-money.h"
#include "globi-rates.h"
#include "globi-server-private.h"
#include "globi-store-wallet.h"

#define SNAPSHOT_RESOURCE "/org/globichat/server/rates/eurofxref-snapshot.xml"
#define FETCH_TIMEOUT_S   30
#define READ_CHUNK        65536

static const char *const required_currencies[] = { "USD", "JPY", "GBP", "CHF", "CNY", NULL };

struct _GlobiRateSet
{
  gint ref_count;
  char *date;   /* YYYY-MM-DD */
  char *source; /* "ecb", "snapshot" */
  gint64 fetched_at;
  GHashTable *rates; /* code → decimal string; EUR included */
};

static GlobiRateSet *
rate_set_new (const char *date, const char *source, gint64 fetched_at)
{
  GlobiRateSet *set = g_new0 (GlobiRateSet, 1);

  set->ref_count = 1;
  set->date = g_strdup (date);
  set->source = g_strdup (source);
  set->fetched_at = fetched_at;
  set->rates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (set->rates, g_strdup ("EUR"), g_strdup ("1"));
  return set;
}

GlobiRateSet *
globi_rate_set_ref (GlobiRateSet *set)
{
  g_atomic_int_inc (&set->ref_count);
  return set;
}

void
globi_rate_set_unref (GlobiRateSet *set)
{
  if (!set || !g_atomic_int_dec_and_test (&set->ref_count))
    return;
  g_free (set->date);
  g_free (set->source);
  g_hash_table_unref (set->rates);
  g_free (set);
}

const char *
globi_rate_set_get_date (GlobiRateSet *set)
{
  return set->date;
}

const char *
globi_rate_set_get_source (GlobiRateSet *set)
{
  return set->source;
}

const char *
globi_rate_set_lookup (GlobiRateSet *set, const char *code)
{
  return code ? g_hash_table_lookup (set->rates, code) : NULL;
}

static int
compare_codes (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

JsonNode *
globi_rate_set_to_json (GlobiRateSet *set)
{
  g_autoptr (JsonObject) obj = json_object_new ();
  g_autoptr (JsonObject) rates = json_object_new ();
  g_autofree const char **codes = (const char **) g_hash_table_get_keys_as_array (set->rates, NULL);
  guint n = g_hash_table_size (set->rates);

  g_qsort_with_data (codes, n, sizeof *codes, compare_codes, NULL);
  for (guint i = 0; i < n; i++)
    json_object_set_string_member (rates, codes[i], g_hash_table_lookup (set->rates, codes[i]));
  json_object_set_string_member (obj, "base", "EUR");
  json_object_set_string_member (obj, "date", set->date);
  json_object_set_string_member (obj, "source", set->source);
  json_object_set_int_member (obj, "fetched_at", set->fetched_at);
  json_object_set_object_member (obj, "rates", g_steal_pointer (&rates));
  return json_node_init_object (json_node_alloc (), obj);
}

static gboolean
date_is_valid (const char *date)
{
  guint y, m, d;
  char tail;

  if (!date || strlen (date) != 10 || date[4] != '-' || date[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (date[i]))
      return FALSE;
  if (sscanf (date, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3)
    return FALSE;
  return g_date_valid_dmy (d, m, y);
}

static gboolean
check_required (GlobiRateSet *set, GError **error)
{
  g_autoptr (GString) missing = g_string_new (NULL);

  for (guint i = 0; required_currencies[i]; i++)
    if (!g_hash_table_contains (set->rates, required_currencies[i]))
      g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", required_currencies[i]);
  if (missing->len)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "missing currencies: %s",
                   missing->str);
      return FALSE;
    }
  return TRUE;
}

GlobiRateSet *
globi_rate_set_from_json (const char *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GlobiRateSet) set = NULL;
  JsonNode *root;
  JsonObject *obj, *rates;
  JsonObjectIter iter;
  const char *code;
  JsonNode *value;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  obj = json_node_get_object (root);
  if (!date_is_valid (json_object_get_string_member_with_default (obj, "date", NULL)) ||
      !json_object_has_member (obj, "rates") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "rates")))
    goto bad;
  set = rate_set_new (json_object_get_string_member (obj, "date"),
                      json_object_get_string_member_with_default (obj, "source", "stored"),
                      json_object_get_int_member_with_default (obj, "fetched_at", 0));
  rates = json_object_get_object_member (obj, "rates");
  json_object_iter_init (&iter, rates);
  while (json_object_iter_next (&iter, &code, &value))
    {
      const char *rate = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_string (value) : NULL;

      if (!globi_currency_is_known (code) || !globi_money_rate_is_valid (rate))
        goto bad;
      g_hash_table_replace (set->rates, g_strdup (code), g_strdup (rate));
    }
  if (!check_required (set, error))
    return NULL;
  return g_steal_pointer (&set);

bad:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed rate set");
  return NULL;
}

/* ECB XML */

typedef struct
{
  GlobiRateSet *set;
  gboolean seen_root;
  gboolean in_dated_cube;
  gboolean done; /* the first dated Cube is complete; later ones are older days */
  guint n_rates;
} EcbParse;

static void
ecb_start (GMarkupParseContext *context,
           const char *element,
           const char **names,
           const char **values,
           gpointer user_data,
           GError **error)
{
  EcbParse *p = user_data;
  const char *time = NULL, *currency = NULL, *rate = NULL;

  if (!p->seen_root)
    {
      if (!g_str_equal (element, "gesmes:Envelope"))
        g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                     "the root element is <%s>, not <gesmes:Envelope>", element);
      p->seen_root = TRUE;
      return;
    }
  if (!g_str_equal (element, "Cube") || p->done)
    return;
  for (guint i = 0; names[i]; i++)
    {
      if (g_str_equal (names[i], "time"))
        time = values[i];
      else if (g_str_equal (names[i], "currency"))
        currency = values[i];
      else if (g_str_equal (names[i], "rate"))
        rate = values[i];
    }
  if (time)
    {
      if (p->in_dated_cube || !date_is_valid (time))
        {
          g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "bad Cube time “%s”",
                       time);
          return;
        }
      p->in_dated_cube = TRUE;
      g_free (p->set->date);
      p->set->date = g_strdup (time);
      return;
    }
  if (!currency && !rate)
    return; /* the outer, attribute-less Cube */
  if (!p->in_dated_cube || !currency || !rate)
    {
      g_set_error_literal (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                           "a rate Cube needs both currency and rate inside a dated Cube");
      return;
    }
  if (!globi_money_rate_is_valid (rate))
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "bad rate “%s” for %s",
                   rate, currency);
      return;
    }
  if (!globi_currency_is_known (currency) || g_str_equal (currency, "EUR"))
    return;
  if (!g_hash_table_insert (p->set->rates, g_strdup (currency), g_strdup (rate)))
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "%s appears twice",
                   currency);
      return;
    }
  p->n_rates++;
}

static void
ecb_end (GMarkupParseContext *context, const char *element, gpointer user_data, GError **error)
{
  EcbParse *p = user_data;

  /* The dated Cube ends when the element stack is back at its level. */
  if (p->in_dated_cube && g_str_equal (element, "Cube"))
    {
      const GSList *stack = g_markup_parse_context_get_element_stack (context);
      gboolean inner = FALSE;

      /* stack->data is this element; a rate Cube has two Cubes above it. */
      if (stack && stack->next && stack->next->next && g_str_equal (stack->next->data, "Cube") &&
          g_str_equal (stack->next->next->data, "Cube"))
        inner = TRUE;
      if (!inner)
        {
          p->in_dated_cube = FALSE;
          p->done = TRUE;
        }
    }
}

GlobiRateSet *
globi_rates_parse_ecb (
    const char *data, gsize len, const char *source, gint64 fetched_at_ms, GError **error)
{
  static const GMarkupParser parser = { ecb_start, ecb_end, NULL, NULL, NULL };
  g_autoptr (GMarkupParseContext) context = NULL;
  g_autoptr (GlobiRateSet) set = rate_set_new (NULL, source, fetched_at_ms);
  g_autoptr (GError) local = NULL;
  EcbParse p = { 0 };

  if (len > GLOBI_RATES_MAX_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the rates document is over %u bytes", GLOBI_RATES_MAX_BYTES);
      return NULL;
    }
  if (data == NULL || len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the rates document is empty");
      return NULL;
    }
  p.set = set;
  context = g_markup_parse_context_new (&parser, G_MARKUP_PREFIX_ERROR_POSITION, &p, NULL);
  if (!g_markup_parse_context_parse (context, data, len, &local) ||
      !g_markup_parse_context_end_parse (context, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed rates document: %s",
                   local->message);
      return NULL;
    }
  if (!p.seen_root || !set->date || p.n_rates == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the rates document has no dated Cube with rates");
      return NULL;
    }
  if (!check_required (set, error))
    return NULL;
  return g_steal_pointer (&set);
}

GlobiRateSet *
globi_rates_load_snapshot (GError **error)
{
  /* Looked up in the resource itself: a static library's constructor may be dropped. */
  g_autoptr (GBytes) bytes =
      g_resource_lookup_data (globi_backend_get_resource (), SNAPSHOT_RESOURCE, 0, error);
  gsize len = 0;
  const char *data;

  if (!bytes)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  return globi_rates_parse_ecb (data, len, "snapshot", 0, error);
}

/* The ECB provider */

typedef struct
{
  GlobiRatesProvider parent;
  SoupSession *session;
  char *url;
} EcbProvider;

typedef struct
{
  GByteArray *body;
  GInputStream *stream;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_pointer (&fetch->body, g_byte_array_unref);
  g_clear_object (&fetch->stream);
  g_free (fetch);
}

static void
parse_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Fetch *fetch = task_data;
  GError *error = NULL;
  GlobiRateSet *set = globi_rates_parse_ecb ((const char *) fetch->body->data, fetch->body->len,
                                             "ecb", g_get_real_time () / 1000, &error);

  if (set)
    g_task_return_pointer (task, set, (GDestroyNotify) globi_rate_set_unref);
  else
    g_task_return_error (task, error);
}

static void on_read_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
read_more (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (fetch->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_read_cb, task);
}

static void
on_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) chunk =
      g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  if (!chunk)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      /* Parsing a megabyte is not for the main loop. The response stream is closed here
       * first: the task (and its data) may be freed on the worker thread, and libsoup
       * aborts when a response is finished on a context other than its own. */
      g_clear_object (&fetch->stream);
      g_task_run_in_thread (task, parse_thread);
      return;
    }
  g_byte_array_append (fetch->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  if (fetch->body->len > GLOBI_RATES_MAX_BYTES)
    {
      /* A huge answer is cut off here, not read to its end. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "the rates document is over %u bytes", GLOBI_RATES_MAX_BYTES);
      return;
    }
  read_more (g_steal_pointer (&task));
}

static void
on_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GInputStream) stream =
      soup_session_send_finish (SOUP_SESSION (source), result, &error);
  goffset length;

  if (!stream)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "the rates URL answered %u",
                               soup_message_get_status (msg));
      return;
    }
  length = soup_message_headers_get_content_length (soup_message_get_response_headers (msg));
  if (length > GLOBI_RATES_MAX_BYTES)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "the rates document is over %u bytes", GLOBI_RATES_MAX_BYTES);
      return;
    }
  fetch->stream = g_steal_pointer (&stream);
  read_more (g_steal_pointer (&task));
}

static void
ecb_fetch_async (GlobiRatesProvider *provider,
                 GCancellable *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer user_data)
{
  EcbProvider *self = (EcbProvider *) provider;
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", self->url);
  Fetch *fetch = g_new0 (Fetch, 1);

  g_task_set_source_tag (task, ecb_fetch_async);
  fetch->body = g_byte_array_new ();
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);
  if (!msg)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad rates URL “%s”",
                               self->url);
      return;
    }
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable, on_sent_cb,
                           g_steal_pointer (&task));
}

static GlobiRateSet *
ecb_fetch_finish (GlobiRatesProvider *provider, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
ecb_free (GlobiRatesProvider *provider)
{
  EcbProvider *self = (EcbProvider *) provider;

  g_clear_object (&self->session);
  g_free (self->url);
  g_free (self);
}

static const GlobiRatesProviderClass ecb_class = {
  "ecb",
  ecb_fetch_async,
  ecb_fetch_finish,
  ecb_free,
};

GlobiRatesProvider *
globi_rates_provider_ecb_new (const char *url)
{
  EcbProvider *self = g_new0 (EcbProvider, 1);

  self->parent.klass = &ecb_class;
  self->url = g_strdup (url);
  self->session = soup_session_new_with_options ("timeout", FETCH_TIMEOUT_S, "user-agent",
                                                 "globichat-server/" PACKAGE_VERSION, NULL);
  return &self->parent;
}

void
globi_rates_provider_free (GlobiRatesProvider *provider)
{
  if (provider)
    provider->klass->free (provider);
}

void
globi_rates_provider_fetch_async (GlobiRatesProvider *provider,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  provider->klass->fetch_async (provider, cancellable, callback, user_data);
}

GlobiRateSet *
globi_rates_provider_fetch_finish (GlobiRatesProvider *provider,
                                   GAsyncResult *result,
                                   GError **error)
{
  return provider->klass->fetch_finish (provider, result, error);
}

/* The service */

struct _GlobiRates
{
  GObject parent_instance;

  GlobiServer *server; /* not owned; NULL once stopped */
  GlobiRateSet *current;
  GlobiRatesProvider *provider;
  GCancellable *cancellable;
  GMainContext *context;
  guint timer_id;
  gboolean fetching;
};

G_DEFINE_FINAL_TYPE (GlobiRates, globi_rates, G_TYPE_OBJECT)

static void
globi_rates_dispose (GObject *object)
{
  GlobiRates *self = GLOBI_RATES (object);

  globi_rates_stop (self);
  G_OBJECT_CLASS (globi_rates_parent_class)->dispose (object);
}

static void
globi_rates_finalize (GObject *object)
{
  GlobiRates *self = GLOBI_RATES (object);

  g_clear_pointer (&self->current, globi_rate_set_unref);
  g_clear_pointer (&self->provider, globi_rates_provider_free);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (globi_rates_parent_class)->finalize (object);
}

static void
globi_rates_class_init (GlobiRatesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_rates_dispose;
  object_class->finalize = globi_rates_finalize;
}

static void
globi_rates_init (GlobiRates *self)
{
  self->cancellable = g_cancellable_new ();
}

static void
adopt (GlobiRates *self, GlobiRateSet *set)
{
  if (self->current && g_strcmp0 (set->date, self->current->date) <= 0)
    return;
  g_clear_pointer (&self->current, globi_rate_set_unref);
  self->current = globi_rate_set_ref (set);
  g_message ("rates of %s from %s", set->date, set->source);
}

typedef struct
{
  GlobiRates *self;
  GlobiRateSet *set;
} Saving;

static void
on_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Saving *saving = user_data;
  g_autoptr (GlobiRates) self = saving->self;
  g_autoptr (GlobiRateSet) set = saving->set;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiWalletResult) saved = globi_store_finish (GLOBI_STORE (source), result, &error);

  g_free (saving);
  if (!saved)
    {
      g_warning ("storing rates: %s", error->message);
      return;
    }
  /* In use only once stored and announced: whoever sees these rates can also find the
   * rates_updated event. */
  adopt (self, set);
  if (self->server && saved->wake_devices->len > 0)
    globi_hub_notify_devices (globi_server_get_hub (self->server), saved->wake_devices);
}

void
globi_rates_offer (GlobiRates *self, GlobiRateSet *set)
{
  g_autoptr (JsonNode) json = NULL;
  GlobiWalletArgs *args;
  Saving *saving;

  g_return_if_fail (GLOBI_IS_RATES (self));

  if (self->current && g_strcmp0 (set->date, self->current->date) <= 0)
    return;
  if (!self->server || g_str_equal (set->source, "snapshot"))
    {
      adopt (self, set);
      return;
    }
  json = globi_rate_set_to_json (set);
  args = globi_wallet_args_new ();
  args->note = json_to_string (json, FALSE);
  args->rate_date = g_strdup (set->date);
  saving = g_new0 (Saving, 1);
  saving->self = g_object_ref (self);
  saving->set = globi_rate_set_ref (set);
  globi_store_write_async (globi_server_get_store (self->server), globi_store_wallet_save_rates,
                           args, globi_wallet_args_free, globi_wallet_result_free, on_saved_cb,
                           saving);
}

static void
on_fetched_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRates) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiRateSet) set = NULL;

  self->fetching = FALSE;
  if (!self->provider)
    return;
  set = globi_rates_provider_fetch_finish (self->provider, result, &error);
  if (!set)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        /* A message, not a warning: a flaky feed is the operator's business, and the
         * rates in use stay valid. */
        g_message ("fetching rates (%s): %s; keeping those of %s", self->provider->klass->name,
                   error->message, self->current->date);
      return;
    }
  globi_rates_offer (self, set);
}

static gboolean
on_refresh_cb (gpointer user_data)
{
  GlobiRates *self = user_data;

  if (!self->fetching && self->provider)
    {
      self->fetching = TRUE;
      globi_rates_provider_fetch_async (self->provider, self->cancellable, on_fetched_cb,
                                        g_object_ref (self));
    }
  return G_SOURCE_CONTINUE;
}

static void
on_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRates) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = globi_store_finish (GLOBI_STORE (source), result, &error);
  g_autoptr (GlobiRateSet) set = NULL;

  if (!json)
    {
      if (error)
        g_warning ("reading stored rates: %s", error->message);
      return;
    }
  if (!(set = globi_rate_set_from_json (json, &error)))
    {
      g_warning ("stored rates: %s", error->message);
      return;
    }
  /* Already stored: adopt without storing and announcing again. */
  if (g_strcmp0 (set->date, self->current->date) > 0)
    {
      g_clear_pointer (&self->current, globi_rate_set_unref);
      self->current = g_steal_pointer (&set);
    }
}

GlobiRates *
globi_rates_new (GlobiServer *server)
{
  GlobiRates *self = g_object_new (GLOBI_TYPE_RATES, NULL);
  const GlobiServerConfig *config = globi_server_get_config (server);
  g_autoptr (GError) error = NULL;

  self->server = server;
  self->context = g_main_context_ref_thread_default ();
  if (!(self->current = globi_rates_load_snapshot (&error)))
    {
      /* Never expected (the snapshot is compiled in); conversions then fail cleanly. */
      g_critical ("rates snapshot: %s", error->message);
      self->current = rate_set_new ("1999-01-04", "snapshot", 0);
    }
  globi_store_read_async (globi_server_get_store (server), globi_store_wallet_load_rates, NULL,
                          NULL, g_free, on_loaded_cb, g_object_ref (self));
  if (config->rates_url && *config->rates_url)
    {
      GSource *source = g_timeout_source_new_seconds (MAX (config->rates_refresh_minutes, 1) * 60);

      self->provider = globi_rates_provider_ecb_new (config->rates_url);
      g_source_set_callback (source, on_refresh_cb, self, NULL);
      self->timer_id = g_source_attach (source, self->context);
      g_source_unref (source);
      on_refresh_cb (self);
    }
  return self;
}

GlobiRateSet *
globi_rates_get_current (GlobiRates *self)
{
  g_return_val_if_fail (GLOBI_IS_RATES (self), NULL);

  return self->current;
}

void
globi_rates_stop (GlobiRates *self)
{
  GSource *source;

  g_return_if_fail (GLOBI_IS_RATES (self));

  g_cancellable_cancel (self->cancellable);
  if (self->timer_id && (source = g_main_context_find_source_by_id (self->context, self->timer_id)))
    g_source_destroy (source);
  self->timer_id = 0;
  self->server = NULL;
}
