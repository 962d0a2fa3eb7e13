/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-routes-meta"

#include "config.h"

#include <string.h>

#include "globi-routes.h"
#include "globi-server-private.h"

void
globi_routes_healthz (GlobiRequest *req)
{
  g_autoptr (JsonNode) node = json_from_string ("{\"status\": \"ok\"}", NULL);

  /* Shutting down is answered 503 before any route runs. */
  globi_request_reply_json (req, SOUP_STATUS_OK, node);
}

void
globi_routes_metrics (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  GlobiMetrics *metrics = globi_server_get_metrics (server);
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = NULL;

  globi_server_sweep_connections (server);
  globi_metrics_set_gauge (metrics, "globichat_store_queue_depth",
                           "Writes waiting for the store's writer thread",
                           globi_store_get_queue_depth (globi_server_get_store (server)));
  text = globi_metrics_render (metrics);
  bytes = g_bytes_new (text, strlen (text));
  globi_request_reply_bytes (req, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
                             bytes);
}

void
globi_routes_jwks (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  g_autoptr (JsonNode) jwks = globi_token_signer_dup_jwks (globi_server_get_signer (server));

  globi_request_reply_json (req, SOUP_STATUS_OK, jwks);
}

void
globi_routes_reply_limited (GlobiRequest *req, guint retry_after_s)
{
  SoupServerMessage *msg = globi_request_get_message (req);
  g_autofree char *seconds = g_strdup_printf ("%u", MAX (retry_after_s, 1));

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                seconds);
  globi_request_reply_error_code (req, GLOBI_ERROR_RATE_LIMITED,
                                  "too many attempts, try again later");
}
