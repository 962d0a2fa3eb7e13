/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

#include "globi-metrics.h"

/* One sample line of the text format, parsed independently of the renderer. */
typedef struct
{
  char *name;
  GHashTable *labels; /* unescaped */
  double value;
} Sample;

static void
sample_free (Sample *sample)
{
  g_free (sample->name);
  g_hash_table_unref (sample->labels);
  g_free (sample);
}

static gboolean
is_name_char (char c, gboolean first)
{
  return g_ascii_isalpha (c) || c == '_' || c == ':' || (!first && g_ascii_isdigit (c));
}

/* Returns NULL when the line breaks the 0.0.4 grammar. */
static Sample *
parse_sample (const char *line)
{
  Sample *sample = g_new0 (Sample, 1);
  const char *p = line;
  char *end = NULL;

  sample->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while (*p && is_name_char (*p, p == line))
    p++;
  if (p == line)
    goto fail;
  sample->name = g_strndup (line, p - line);

  if (*p == '{')
    {
      p++;
      while (*p != '}')
        {
          const char *name_start = p;
          g_autofree char *label = NULL;
          GString *value = g_string_new (NULL);

          while (*p && is_name_char (*p, p == name_start))
            p++;
          if (p == name_start || p[0] != '=' || p[1] != '"')
            {
              g_string_free (value, TRUE);
              goto fail;
            }
          label = g_strndup (name_start, p - name_start);
          p += 2;
          while (*p && *p != '"')
            {
              if (*p == '\\')
                {
                  p++;
                  if (*p == 'n')
                    g_string_append_c (value, '\n');
                  else if (*p == '\\' || *p == '"')
                    g_string_append_c (value, *p);
                  else
                    {
                      g_string_free (value, TRUE);
                      goto fail;
                    }
                }
              else if (*p == '\n')
                {
                  g_string_free (value, TRUE);
                  goto fail;
                }
              else
                g_string_append_c (value, *p);
              p++;
            }
          if (*p != '"')
            {
              g_string_free (value, TRUE);
              goto fail;
            }
          p++;
          g_hash_table_insert (sample->labels, g_steal_pointer (&label),
                               g_string_free (value, FALSE));
          if (*p == ',')
            p++;
          else if (*p != '}')
            goto fail;
        }
      p++;
    }
  if (*p != ' ')
    goto fail;
  p++;
  if (strcmp (p, "+Inf") == 0)
    sample->value = INFINITY;
  else
    {
      sample->value = g_ascii_strtod (p, &end);
      if (end == p || *end != '\0')
        goto fail;
    }
  return sample;

fail:
  sample_free (sample);
  return NULL;
}

/* Parses the whole exposition, asserting every line is well formed and every sample
 * belongs to a family announced by HELP and TYPE lines before it. */
static GPtrArray *
parse_exposition (const char *text)
{
  g_autoptr (GHashTable) types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) helps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) lines = NULL;
  GPtrArray *samples = g_ptr_array_new_with_free_func ((GDestroyNotify) sample_free);

  g_assert_true (g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      Sample *sample;
      const char *family_type;
      g_autofree char *family = NULL;

      if (*line == '\0')
        {
          g_assert_null (lines[i + 1]); /* only the final newline */
          continue;
        }
      if (g_str_has_prefix (line, "# HELP "))
        {
          g_auto (GStrv) parts = g_strsplit (line + 7, " ", 2);

          g_assert_nonnull (parts[1]);
          g_hash_table_add (helps, g_strdup (parts[0]));
          continue;
        }
      if (g_str_has_prefix (line, "# TYPE "))
        {
          g_auto (GStrv) parts = g_strsplit (line + 7, " ", 2);

          g_assert_nonnull (parts[1]);
          g_assert_true (g_strv_contains (
              (const char *const[]){ "counter", "gauge", "histogram", NULL }, parts[1]));
          g_assert_false (g_hash_table_contains (types, parts[0])); /* one TYPE per family */
          g_hash_table_insert (types, g_strdup (parts[0]), g_strdup (parts[1]));
          continue;
        }

      sample = parse_sample (line);
      if (sample == NULL)
        g_error ("Malformed exposition line: %s", line);
      family = g_strdup (sample->name);
      family_type = g_hash_table_lookup (types, family);
      if (family_type == NULL)
        {
          const char *suffixes[] = { "_bucket", "_sum", "_count" };

          for (guint s = 0; s < G_N_ELEMENTS (suffixes) && family_type == NULL; s++)
            if (g_str_has_suffix (family, suffixes[s]))
              {
                family[strlen (family) - strlen (suffixes[s])] = '\0';
                family_type = g_hash_table_lookup (types, family);
                g_assert_cmpstr (family_type, ==, "histogram");
              }
        }
      g_assert_nonnull (family_type);
      g_assert_true (g_hash_table_contains (helps, family));
      g_ptr_array_add (samples, sample);
    }
  return samples;
}

/* The value of the one sample with this name and these label pairs (NULL-terminated). */
static double
find_value (GPtrArray *samples, const char *name, ...)
{
  va_list args;
  g_autoptr (GPtrArray) pairs = g_ptr_array_new ();
  const char *arg;
  double found = NAN;
  guint matches = 0;

  va_start (args, name);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (pairs, (gpointer) arg);
  va_end (args);
  g_assert_cmpuint (pairs->len % 2, ==, 0);

  for (guint i = 0; i < samples->len; i++)
    {
      Sample *sample = g_ptr_array_index (samples, i);
      gboolean match =
          strcmp (sample->name, name) == 0 && g_hash_table_size (sample->labels) == pairs->len / 2;

      for (guint p = 0; match && p < pairs->len; p += 2)
        match = g_strcmp0 (g_hash_table_lookup (sample->labels, pairs->pdata[p]),
                           pairs->pdata[p + 1]) == 0;
      if (match)
        {
          found = sample->value;
          matches++;
        }
    }
  g_assert_cmpuint (matches, ==, 1);
  return found;
}

static void
test_metrics_empty (void)
{
  g_autoptr (GlobiMetrics) metrics = globi_metrics_new ();
  g_autofree char *text = globi_metrics_render (metrics);
  g_autoptr (GPtrArray) samples = parse_exposition (text);

  g_assert_cmpfloat (find_value (samples, "globichat_http_connections", NULL), ==, 0);
  g_assert_nonnull (strstr (text, "# TYPE globichat_http_requests_total counter\n"));
  g_assert_nonnull (strstr (text, "# TYPE globichat_http_request_duration_seconds histogram\n"));
  g_assert_nonnull (strstr (text, "# TYPE globichat_errors_total counter\n"));
}

static void
test_metrics_requests_and_histogram (void)
{
  g_autoptr (GlobiMetrics) metrics = globi_metrics_new ();
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) samples = NULL;
  const char *les[] = { "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                        "0.25",  "0.5",    "1",     "2.5",  "5",     "10",   "+Inf" };
  double previous = 0;

  globi_metrics_observe_request (metrics, "GET", "/healthz", 200, 0.0004);
  globi_metrics_observe_request (metrics, "GET", "/healthz", 200, 0.003);
  globi_metrics_observe_request (metrics, "GET", "/healthz", 503, 0.2);
  globi_metrics_observe_request (metrics, "POST", "/v1/sessions", 201, 0.08);
  globi_metrics_observe_request (metrics, "POST", "/v1/sessions", 201, 42.0);

  text = globi_metrics_render (metrics);
  samples = parse_exposition (text);

  g_assert_cmpfloat (find_value (samples, "globichat_http_requests_total", "method", "GET", "route",
                                 "/healthz", "status", "200", NULL),
                     ==, 2);
  g_assert_cmpfloat (find_value (samples, "globichat_http_requests_total", "method", "GET", "route",
                                 "/healthz", "status", "503", NULL),
                     ==, 1);
  g_assert_cmpfloat (find_value (samples, "globichat_http_requests_total", "method", "POST",
                                 "route", "/v1/sessions", "status", "201", NULL),
                     ==, 2);

  /* Buckets are cumulative and end with +Inf equal to the count. */
  for (guint i = 0; i < G_N_ELEMENTS (les); i++)
    {
      double value = find_value (samples, "globichat_http_request_duration_seconds_bucket", "route",
                                 "/healthz", "le", les[i], NULL);

      g_assert_cmpfloat (value, >=, previous);
      previous = value;
    }
  g_assert_cmpfloat (find_value (samples, "globichat_http_request_duration_seconds_bucket", "route",
                                 "/healthz", "le", "0.001", NULL),
                     ==, 1);
  g_assert_cmpfloat (find_value (samples, "globichat_http_request_duration_seconds_bucket", "route",
                                 "/healthz", "le", "0.005", NULL),
                     ==, 2);
  g_assert_cmpfloat (find_value (samples, "globichat_http_request_duration_seconds_bucket", "route",
                                 "/healthz", "le", "0.1", NULL),
                     ==, 2);
  g_assert_cmpfloat (previous, ==, 3);
  g_assert_cmpfloat (find_value (samples, "globichat_http_request_duration_seconds_count", "route",
                                 "/healthz", NULL),
                     ==, 3);
  g_assert_cmpfloat_with_epsilon (find_value (samples,
                                              "globichat_http_request_duration_seconds_sum",
                                              "route", "/healthz", NULL),
                                  0.2034, 1e-9);
  /* Slower than the last bucket: only in +Inf. */
  g_assert_cmpfloat (find_value (samples, "globichat_http_request_duration_seconds_bucket", "route",
                                 "/v1/sessions", "le", "10", NULL),
                     ==, 1);
  g_assert_cmpfloat (find_value (samples, "globichat_http_request_duration_seconds_bucket", "route",
                                 "/v1/sessions", "le", "+Inf", NULL),
                     ==, 2);
}

static void
test_metrics_connections_errors_gauges (void)
{
  g_autoptr (GlobiMetrics) metrics = globi_metrics_new ();
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) samples = NULL;

  globi_metrics_connection_opened (metrics);
  globi_metrics_connection_opened (metrics);
  globi_metrics_connection_opened (metrics);
  globi_metrics_connection_closed (metrics);
  globi_metrics_count_error (metrics, "rate_limited");
  globi_metrics_count_error (metrics, "rate_limited");
  globi_metrics_count_error (metrics, "conflict");
  globi_metrics_set_gauge (metrics, "globichat_store_queue_depth", "Jobs waiting.", 4);
  globi_metrics_set_gauge (metrics, "globichat_store_queue_depth", "Jobs waiting.", 7.5);

  text = globi_metrics_render (metrics);
  samples = parse_exposition (text);

  g_assert_cmpfloat (find_value (samples, "globichat_http_connections", NULL), ==, 2);
  g_assert_cmpfloat (find_value (samples, "globichat_errors_total", "code", "rate_limited", NULL),
                     ==, 2);
  g_assert_cmpfloat (find_value (samples, "globichat_errors_total", "code", "conflict", NULL), ==,
                     1);
  g_assert_cmpfloat (find_value (samples, "globichat_store_queue_depth", NULL), ==, 7.5);
  g_assert_nonnull (strstr (text, "# HELP globichat_store_queue_depth Jobs waiting.\n"));
}

static void
test_metrics_escaping (void)
{
  g_autoptr (GlobiMetrics) metrics = globi_metrics_new ();
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) samples = NULL;
  const char *route = "/v1/\"odd\"\\route\nnext";

  globi_metrics_observe_request (metrics, "GET", route, 404, 0.01);
  text = globi_metrics_render (metrics);
  samples = parse_exposition (text);

  g_assert_nonnull (strstr (text, "route=\"/v1/\\\"odd\\\"\\\\route\\nnext\""));
  g_assert_cmpfloat (find_value (samples, "globichat_http_requests_total", "method", "GET", "route",
                                 route, "status", "404", NULL),
                     ==, 1);
}

static gpointer
observe_many (gpointer data)
{
  GlobiMetrics *metrics = data;

  for (guint i = 0; i < 10000; i++)
    {
      globi_metrics_observe_request (metrics, "GET", "/healthz", 200, 0.002);
      globi_metrics_connection_opened (metrics);
      globi_metrics_connection_closed (metrics);
    }
  return NULL;
}

static void
test_metrics_threads (void)
{
  g_autoptr (GlobiMetrics) metrics = globi_metrics_new ();
  GThread *threads[4];
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) samples = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("observer", observe_many, metrics);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  text = globi_metrics_render (metrics);
  samples = parse_exposition (text);
  g_assert_cmpfloat (find_value (samples, "globichat_http_requests_total", "method", "GET", "route",
                                 "/healthz", "status", "200", NULL),
                     ==, 40000);
  g_assert_cmpfloat (find_value (samples, "globichat_http_connections", NULL), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/globi/backend/metrics/empty", test_metrics_empty);
  g_test_add_func ("/globi/backend/metrics/requests-and-histogram",
                   test_metrics_requests_and_histogram);
  g_test_add_func ("/globi/backend/metrics/connections-errors-gauges",
                   test_metrics_connections_errors_gauges);
  g_test_add_func ("/globi/backend/metrics/escaping", test_metrics_escaping);
  g_test_add_func ("/globi/backend/metrics/threads", test_metrics_threads);
  return g_test_run ();
}
