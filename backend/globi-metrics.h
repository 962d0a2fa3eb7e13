/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Counters, gauges and latency histograms rendered in the Prometheus text format (0.0.4).
 * Thread-safe. Label values are route templates ("/v1/devices/{id}"), never raw paths, so
 * the series count stays bounded. */
#define GLOBI_TYPE_METRICS (globi_metrics_get_type ())
G_DECLARE_FINAL_TYPE (GlobiMetrics, globi_metrics, GLOBI, METRICS, GObject)

GlobiMetrics *globi_metrics_new                (void);
void          globi_metrics_observe_request    (GlobiMetrics *self,
                                                const char   *method,
                                                const char   *route,
                                                guint         status,
                                                double        duration_seconds);
void          globi_metrics_connection_opened  (GlobiMetrics *self);
void          globi_metrics_connection_closed  (GlobiMetrics *self);
void          globi_metrics_count_error        (GlobiMetrics *self,
                                                const char   *code);
/* Any other named gauge ("globichat_store_queue_depth"), set to its latest value. */
void          globi_metrics_set_gauge          (GlobiMetrics *self,
                                                const char   *name,
                                                const char   *help,
                                                double        value);
char         *globi_metrics_render             (GlobiMetrics *self);

G_END_DECLS
