/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-metrics"

#include "config.h"

#include <string.h>

#include "globi-metrics.h"

/* Upper bounds of the latency histogram buckets, in seconds (+Inf is implicit). */
static const double duration_buckets[] = {
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
};
#define N_BUCKETS G_N_ELEMENTS (duration_buckets)

typedef struct
{
  guint64 counts[N_BUCKETS]; /* not cumulative; summed when rendered */
  guint64 count;
  double sum;
} Histogram;

typedef struct
{
  char *help;
  double value;
} Gauge;

struct _GlobiMetrics
{
  GObject parent_instance;

  GMutex mutex;
  GHashTable *requests;  /* "method\0route\0status" key as a printable triple -> guint64* */
  GHashTable *durations; /* route -> Histogram* */
  GHashTable *errors;    /* code -> guint64* */
  GHashTable *gauges;    /* name -> Gauge* */
  gint64 connections;
};

G_DEFINE_FINAL_TYPE (GlobiMetrics, globi_metrics, G_TYPE_OBJECT)

static void
gauge_free (gpointer data)
{
  Gauge *gauge = data;

  g_free (gauge->help);
  g_free (gauge);
}

static void
globi_metrics_finalize (GObject *object)
{
  GlobiMetrics *self = GLOBI_METRICS (object);

  g_clear_pointer (&self->requests, g_hash_table_unref);
  g_clear_pointer (&self->durations, g_hash_table_unref);
  g_clear_pointer (&self->errors, g_hash_table_unref);
  g_clear_pointer (&self->gauges, g_hash_table_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (globi_metrics_parent_class)->finalize (object);
}

static void
globi_metrics_class_init (GlobiMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = globi_metrics_finalize;
}

static void
globi_metrics_init (GlobiMetrics *self)
{
  g_mutex_init (&self->mutex);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->durations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->gauges = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, gauge_free);
}

/* Escapes a label value as the text format requires: backslash, double quote, newline. */
static void
append_label_value (GString *out, const char *value)
{
  g_string_append_c (out, '"');
  for (const char *p = value; *p; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\");
      else if (*p == '"')
        g_string_append (out, "\\\"");
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* Metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*; anything else is dropped, not rendered
 * broken, because a bad line makes Prometheus reject the whole scrape. */
static gboolean
metric_name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || g_ascii_isdigit (*name))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != ':')
      return FALSE;
  return TRUE;
}

/* HELP text escapes only backslash and newline. */
static void
append_help (GString *out, const char *name, const char *help, const char *type)
{
  g_string_append_printf (out, "# HELP %s ", name);
  for (const char *p = help; *p; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\");
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_printf (out, "\n# TYPE %s %s\n", name, type);
}

static void
append_double (GString *out, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* 15 digits: bucket bounds print as written ("0.0025", not "0.0025000000000000001"). */
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.15g", value));
}

static void
counter_add (GHashTable *table, const char *key)
{
  guint64 *count = g_hash_table_lookup (table, key);

  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (table, g_strdup (key), count);
    }
  (*count)++;
}

static int
compare_str_ptrs (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Sorted keys make the output stable, which helps both diffing scrapes and tests. */
static GPtrArray *
sorted_keys (GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);

  g_ptr_array_sort (keys, compare_str_ptrs);
  return keys;
}

GlobiMetrics *
globi_metrics_new (void)
{
  return g_object_new (GLOBI_TYPE_METRICS, NULL);
}

void
globi_metrics_observe_request (GlobiMetrics *self,
                               const char *method,
                               const char *route,
                               guint status,
                               double duration_seconds)
{
  g_autofree char *key = NULL;
  Histogram *histogram;

  g_return_if_fail (GLOBI_IS_METRICS (self));
  g_return_if_fail (method != NULL && route != NULL);

  /* A unit separator cannot occur in a method or route template, so the key splits back. */
  key = g_strdup_printf ("%s\x1f%s\x1f%u", method, route, status);

  g_mutex_lock (&self->mutex);
  counter_add (self->requests, key);

  histogram = g_hash_table_lookup (self->durations, route);
  if (histogram == NULL)
    {
      histogram = g_new0 (Histogram, 1);
      g_hash_table_insert (self->durations, g_strdup (route), histogram);
    }
  for (guint i = 0; i < N_BUCKETS; i++)
    if (duration_seconds <= duration_buckets[i])
      {
        histogram->counts[i]++;
        break;
      }
  histogram->count++;
  histogram->sum += duration_seconds;
  g_mutex_unlock (&self->mutex);
}

void
globi_metrics_connection_opened (GlobiMetrics *self)
{
  g_return_if_fail (GLOBI_IS_METRICS (self));

  g_mutex_lock (&self->mutex);
  self->connections++;
  g_mutex_unlock (&self->mutex);
}

void
globi_metrics_connection_closed (GlobiMetrics *self)
{
  g_return_if_fail (GLOBI_IS_METRICS (self));

  g_mutex_lock (&self->mutex);
  if (self->connections > 0)
    self->connections--;
  g_mutex_unlock (&self->mutex);
}

void
globi_metrics_count_error (GlobiMetrics *self, const char *code)
{
  g_return_if_fail (GLOBI_IS_METRICS (self));
  g_return_if_fail (code != NULL);

  g_mutex_lock (&self->mutex);
  counter_add (self->errors, code);
  g_mutex_unlock (&self->mutex);
}

void
globi_metrics_set_gauge (GlobiMetrics *self, const char *name, const char *help, double value)
{
  Gauge *gauge;

  g_return_if_fail (GLOBI_IS_METRICS (self));
  g_return_if_fail (metric_name_is_valid (name));

  g_mutex_lock (&self->mutex);
  gauge = g_hash_table_lookup (self->gauges, name);
  if (gauge == NULL)
    {
      gauge = g_new0 (Gauge, 1);
      g_hash_table_insert (self->gauges, g_strdup (name), gauge);
    }
  if (g_strcmp0 (gauge->help, help) != 0)
    {
      g_free (gauge->help);
      gauge->help = g_strdup (help ? help : name);
    }
  gauge->value = value;
  g_mutex_unlock (&self->mutex);
}

char *
globi_metrics_render (GlobiMetrics *self)
{
  GString *out = g_string_new (NULL);
  g_autoptr (GPtrArray) keys = NULL;

  g_return_val_if_fail (GLOBI_IS_METRICS (self), NULL);

  g_mutex_lock (&self->mutex);

  append_help (out, "globichat_http_requests_total", "HTTP requests handled, by route template.",
               "counter");
  keys = sorted_keys (self->requests);
  for (guint i = 0; i < keys->len; i++)
    {
      const char *key = g_ptr_array_index (keys, i);
      g_auto (GStrv) parts = g_strsplit (key, "\x1f", 3);
      guint64 *count = g_hash_table_lookup (self->requests, key);

      g_string_append (out, "globichat_http_requests_total{method=");
      append_label_value (out, parts[0]);
      g_string_append (out, ",route=");
      append_label_value (out, parts[1]);
      g_string_append (out, ",status=");
      append_label_value (out, parts[2]);
      g_string_append_printf (out, "} %" G_GUINT64_FORMAT "\n", *count);
    }
  g_clear_pointer (&keys, g_ptr_array_unref);

  append_help (out, "globichat_http_request_duration_seconds",
               "Time from request to response, by route template.", "histogram");
  keys = sorted_keys (self->durations);
  for (guint i = 0; i < keys->len; i++)
    {
      const char *route = g_ptr_array_index (keys, i);
      Histogram *histogram = g_hash_table_lookup (self->durations, route);
      guint64 cumulative = 0;

      for (guint b = 0; b <= N_BUCKETS; b++)
        {
          g_string_append (out, "globichat_http_request_duration_seconds_bucket{route=");
          append_label_value (out, route);
          g_string_append (out, ",le=\"");
          if (b < N_BUCKETS)
            {
              cumulative += histogram->counts[b];
              append_double (out, duration_buckets[b]);
            }
          else
            {
              cumulative = histogram->count;
              g_string_append (out, "+Inf");
            }
          g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", cumulative);
        }
      g_string_append (out, "globichat_http_request_duration_seconds_sum{route=");
      append_label_value (out, route);
      g_string_append (out, "} ");
      append_double (out, histogram->sum);
      g_string_append (out, "\nglobichat_http_request_duration_seconds_count{route=");
      append_label_value (out, route);
      g_string_append_printf (out, "} %" G_GUINT64_FORMAT "\n", histogram->count);
    }
  g_clear_pointer (&keys, g_ptr_array_unref);

  append_help (out, "globichat_http_connections", "Open client connections.", "gauge");
  g_string_append_printf (out, "globichat_http_connections %" G_GINT64_FORMAT "\n",
                          self->connections);

  append_help (out, "globichat_errors_total", "Error replies, by wire error code.", "counter");
  keys = sorted_keys (self->errors);
  for (guint i = 0; i < keys->len; i++)
    {
      const char *code = g_ptr_array_index (keys, i);
      guint64 *count = g_hash_table_lookup (self->errors, code);

      g_string_append (out, "globichat_errors_total{code=");
      append_label_value (out, code);
      g_string_append_printf (out, "} %" G_GUINT64_FORMAT "\n", *count);
    }
  g_clear_pointer (&keys, g_ptr_array_unref);

  keys = sorted_keys (self->gauges);
  for (guint i = 0; i < keys->len; i++)
    {
      const char *name = g_ptr_array_index (keys, i);
      Gauge *gauge = g_hash_table_lookup (self->gauges, name);

      append_help (out, name, gauge->help, "gauge");
      g_string_append_printf (out, "%s ", name);
      append_double (out, gauge->value);
      g_string_append_c (out, '\n');
    }

  g_mutex_unlock (&self->mutex);

  return g_string_free (out, FALSE);
}
