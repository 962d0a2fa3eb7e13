/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-server"

#include "config.h"

#include <libsoup/soup.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "globi-error.h"
#include "globi-hub.h"
#include "globi-request.h"
#include "globi-routes.h"
#include "globi-server-private.h"
#include "globi-store-accounts.h"
#include "globi-store-messaging.h"

#define JWT_AUDIENCE      "globichat"
#define RATE_LIMIT_KEYS   100000
#define REGISTER_WINDOW_S 3600
#define SWEEP_INTERVAL_S  5
#define LISTEN_BACKLOG    1024

typedef enum
{
  ROUTE_AUTH = 1 << 0,
  ROUTE_AVATAR_BODY = 1 << 1,     /* body limit is max_avatar_bytes, not max_body_bytes */
  ROUTE_MESSAGE_BODY = 1 << 2,    /* body limit is globi_routes_message_body_limit () */
  ROUTE_ATTACHMENT_BODY = 1 << 3, /* body limit is max_attachment_bytes */
} RouteFlags;

typedef struct
{
  const char *method;
  const char *path;
  GlobiRouteHandler handler;
  RouteFlags flags;
} Route;

/* Order matters where templates overlap: /v1/users/lookup before /v1/users/{id}. */
static const Route routes[] = {
  { "GET", "/healthz", globi_routes_healthz, 0 },
  { "GET", "/metrics", globi_routes_metrics, 0 },
  { "GET", "/.well-known/jwks.json", globi_routes_jwks, 0 },
  { "POST", "/v1/accounts", globi_routes_register, 0 },
  { "POST", "/v1/sessions", globi_routes_sign_in, 0 },
  { "POST", "/v1/sessions/refresh", globi_routes_refresh, 0 },
  { "DELETE", "/v1/sessions/current", globi_routes_sign_out, ROUTE_AUTH },
  { "GET", "/v1/devices", globi_routes_list_devices, ROUTE_AUTH },
  { "DELETE", "/v1/devices/{id}", globi_routes_revoke_device, ROUTE_AUTH },
  { "POST", "/v1/account/password", globi_routes_change_password, ROUTE_AUTH },
  { "GET", "/v1/me", globi_routes_get_me, ROUTE_AUTH },
  { "PATCH", "/v1/me", globi_routes_patch_me, ROUTE_AUTH },
  { "PUT", "/v1/me/avatar", globi_routes_put_avatar, ROUTE_AUTH | ROUTE_AVATAR_BODY },
  { "DELETE", "/v1/me/avatar", globi_routes_delete_avatar, ROUTE_AUTH },
  { "GET", "/v1/blobs/{hash}", globi_routes_get_blob, ROUTE_AUTH },
  { "GET", "/v1/users/lookup", globi_routes_lookup_user, ROUTE_AUTH },
  { "GET", "/v1/users/{id}", globi_routes_get_user, ROUTE_AUTH },
  /* friends, blocks, groups (globi-routes-social.c, globi-routes-groups.c) */
  { "POST", "/v1/friends/requests", globi_routes_send_friend_request, ROUTE_AUTH },
  { "GET", "/v1/friends/requests", globi_routes_list_friend_requests, ROUTE_AUTH },
  { "POST", "/v1/friends/requests/{id}/accept", globi_routes_accept_friend_request, ROUTE_AUTH },
  { "POST", "/v1/friends/requests/{id}/decline", globi_routes_decline_friend_request, ROUTE_AUTH },
  { "GET", "/v1/friends", globi_routes_list_friends, ROUTE_AUTH },
  { "PATCH", "/v1/friends/{user_id}", globi_routes_patch_friend, ROUTE_AUTH },
  { "DELETE", "/v1/friends/{user_id}", globi_routes_delete_friend, ROUTE_AUTH },
  { "GET", "/v1/blocks", globi_routes_list_blocks, ROUTE_AUTH },
  { "PUT", "/v1/blocks/{user_id}", globi_routes_put_block, ROUTE_AUTH },
  { "DELETE", "/v1/blocks/{user_id}", globi_routes_delete_block, ROUTE_AUTH },
  { "POST", "/v1/groups", globi_routes_create_group, ROUTE_AUTH },
  { "GET", "/v1/groups", globi_routes_list_groups, ROUTE_AUTH },
  { "POST", "/v1/groups/join", globi_routes_join_group, ROUTE_AUTH },
  { "GET", "/v1/groups/{id}", globi_routes_get_group, ROUTE_AUTH },
  { "PATCH", "/v1/groups/{id}", globi_routes_patch_group, ROUTE_AUTH },
  { "PUT", "/v1/groups/{id}/avatar", globi_routes_put_group_avatar,
    ROUTE_AUTH | ROUTE_AVATAR_BODY },
  { "POST", "/v1/groups/{id}/members", globi_routes_add_group_members, ROUTE_AUTH },
  { "DELETE", "/v1/groups/{id}/members/{user_id}", globi_routes_remove_group_member, ROUTE_AUTH },
  { "PUT", "/v1/groups/{id}/admins/{user_id}", globi_routes_put_group_admin, ROUTE_AUTH },
  { "DELETE", "/v1/groups/{id}/admins/{user_id}", globi_routes_delete_group_admin, ROUTE_AUTH },
  { "POST", "/v1/groups/{id}/owner", globi_routes_transfer_group_owner, ROUTE_AUTH },
  { "POST", "/v1/groups/{id}/invites", globi_routes_create_group_invite, ROUTE_AUTH },
  { "DELETE", "/v1/groups/{id}/invites/{token}", globi_routes_revoke_group_invite, ROUTE_AUTH },
  /* end of social routes */
  /* prekeys, messages, events, attachments (globi-routes-messaging.c) */
  { "PUT", "/v1/keys", globi_routes_put_keys, ROUTE_AUTH },
  { "POST", "/v1/keys/one-time", globi_routes_add_prekeys, ROUTE_AUTH },
  { "GET", "/v1/keys/count", globi_routes_count_prekeys, ROUTE_AUTH },
  { "GET", "/v1/keys/{user_id}", globi_routes_fetch_keys, ROUTE_AUTH },
  { "POST", "/v1/messages", globi_routes_send_message, ROUTE_AUTH | ROUTE_MESSAGE_BODY },
  { "GET", "/v1/events", globi_routes_poll_events, ROUTE_AUTH },
  { "POST", "/v1/events/ack", globi_routes_ack_events, ROUTE_AUTH },
  { "POST", "/v1/attachments", globi_routes_put_attachment, ROUTE_AUTH | ROUTE_ATTACHMENT_BODY },
  { "GET", "/v1/attachments/{hash}", globi_routes_get_attachment, ROUTE_AUTH },
  /* end of messaging routes */
  /* friend cards (globi-routes-cards.c) */
  { "GET", "/v1/me/card", globi_routes_get_my_card, ROUTE_AUTH },
  { "POST", "/v1/me/card/reset", globi_routes_reset_my_card, ROUTE_AUTH },
  { "GET", "/v1/cards/{user_id}/{card}", globi_routes_resolve_card, ROUTE_AUTH },
  /* end of friend card routes */
  /* device linking (globi-routes-link.c) */
  { "POST", "/v1/link/tickets", globi_routes_link_create, 0 },
  { "POST", "/v1/link/tickets/{ticket}/poll", globi_routes_link_poll, 0 },
  { "POST", "/v1/link/tickets/{ticket}/scan", globi_routes_link_scan, ROUTE_AUTH },
  { "POST", "/v1/link/tickets/{ticket}/approve", globi_routes_link_approve, ROUTE_AUTH },
  { "POST", "/v1/link/tickets/{ticket}/decline", globi_routes_link_decline, ROUTE_AUTH },
  /* end of device linking routes */
  /* wallet, payments, rates (globi-routes-wallet.c) */
  { "GET", "/v1/wallet", globi_routes_get_wallet, ROUTE_AUTH },
  { "PUT", "/v1/wallet/pin", globi_routes_put_wallet_pin, ROUTE_AUTH },
  { "POST", "/v1/wallet/transfers", globi_routes_create_transfer, ROUTE_AUTH },
  { "POST", "/v1/wallet/transfers/{id}/accept", globi_routes_accept_transfer, ROUTE_AUTH },
  { "POST", "/v1/wallet/transfers/{id}/decline", globi_routes_decline_transfer, ROUTE_AUTH },
  { "POST", "/v1/wallet/requests", globi_routes_create_request, ROUTE_AUTH },
  { "POST", "/v1/wallet/requests/{id}/pay", globi_routes_pay_request, ROUTE_AUTH },
  { "POST", "/v1/wallet/requests/{id}/decline", globi_routes_decline_request, ROUTE_AUTH },
  { "POST", "/v1/wallet/red-packets", globi_routes_create_red_packet, ROUTE_AUTH },
  { "POST", "/v1/wallet/red-packets/{id}/claim", globi_routes_claim_red_packet, ROUTE_AUTH },
  { "GET", "/v1/wallet/red-packets/{id}", globi_routes_get_red_packet, ROUTE_AUTH },
  { "POST", "/v1/wallet/payments", globi_routes_create_payment, ROUTE_AUTH },
  { "POST", "/v1/wallet/payments/{id}/refund", globi_routes_refund_payment, ROUTE_AUTH },
  { "GET", "/v1/wallet/transactions", globi_routes_list_transactions, ROUTE_AUTH },
  { "GET", "/v1/wallet/transactions/{id}", globi_routes_get_transaction, ROUTE_AUTH },
  { "GET", "/v1/rates", globi_routes_get_rates, ROUTE_AUTH },
  /* end of wallet routes */
};

/* Per-message bookkeeping, attached to the SoupServerMessage. */
typedef struct
{
  gint64 started_us;
  const char *route;   /* a template from the table, or a fixed label */
  gsize limit;         /* body bytes this route accepts */
  gsize received;      /* chunked bodies: bytes so far */
  gboolean too_large;  /* over the limit: the rest of the body is discarded unkept */
  gboolean dispatched; /* counted in in_flight */
} MessageInfo;

struct _GlobiServer
{
  GObject parent_instance;

  GlobiServerConfig *config;
  GlobiStore *store;
  GlobiTokenSigner *signer;
  GlobiPasswordHasher *hasher;
  GlobiMetrics *metrics;
  GlobiBlobStore *blobs;
  GlobiRateLimiter *limiters[GLOBI_N_LIMITS];
  GlobiHub *hub;
  SoupServer *soup;
  char *base_url;
  guint port;

  GHashTable *active_devices; /* device id → itself */
  GHashTable *connections;    /* GSocket → Connection */
  GMainContext *context;      /* where the server runs (GlobiServerThread's own context) */
  guint sweep_id;
  gint clock_offset_s; /* atomic; seconds */

  gint in_flight; /* atomic: tests read it from their thread */
  gboolean shutting_down;
  gboolean closing_store;
  GTask *shutdown_task;
  guint shutdown_timeout_id;
};

G_DEFINE_FINAL_TYPE (GlobiServer, globi_server, G_TYPE_OBJECT)

static GQuark message_info_quark;

static void maybe_finish_shutdown (GlobiServer *self);

/* Timers go on the server's context, not the global default one (g_timeout_add): another
 * thread iterating that (a test, the app embedding the server) would run them there. */
static guint
add_timeout_seconds (GlobiServer *self, guint seconds, GSourceFunc func)
{
  GSource *source = g_timeout_source_new_seconds (seconds);
  guint id;

  g_source_set_callback (source, func, self, NULL);
  id = g_source_attach (source, self->context);
  g_source_unref (source);
  return id;
}

static void
clear_timeout (GlobiServer *self, guint *id)
{
  GSource *source = *id ? g_main_context_find_source_by_id (self->context, *id) : NULL;

  if (source)
    g_source_destroy (source);
  *id = 0;
}
static void set_connection_busy (GlobiServer *self, SoupServerMessage *msg, gboolean busy);

static MessageInfo *
message_info (SoupServerMessage *msg)
{
  MessageInfo *info = g_object_get_qdata (G_OBJECT (msg), message_info_quark);

  if (!info)
    {
      info = g_new0 (MessageInfo, 1);
      info->started_us = g_get_monotonic_time ();
      info->route = "unmatched";
      g_object_set_qdata_full (G_OBJECT (msg), message_info_quark, info, g_free);
    }
  return info;
}

static const char *
segment_end (const char *s)
{
  while (*s && *s != '/')
    s++;
  return s;
}

/* Matches path against a template; on success appends the {params} to out_params. Walks
 * both segment by segment without allocating: it runs for every route on every request. */
static gboolean
route_matches (const char *template, const char *path, GPtrArray *out_params)
{
  const char *t = template, *p = path;
  guint added = 0;

  for (;;)
    {
      const char *t_end = segment_end (t);
      const char *p_end = segment_end (p);

      if (*t == '{')
        {
          if (p_end == p)
            break;
          if (out_params)
            {
              g_ptr_array_add (out_params, g_uri_unescape_segment (p, p_end, NULL));
              added++;
            }
        }
      else if (t_end - t != p_end - p || memcmp (t, p, t_end - t) != 0)
        break;
      if (*t_end == 0 || *p_end == 0)
        {
          if (*t_end == 0 && *p_end == 0)
            return TRUE;
          break;
        }
      t = t_end + 1;
      p = p_end + 1;
    }
  if (out_params && added > 0)
    g_ptr_array_remove_range (out_params, out_params->len - added, added);
  return FALSE;
}

/* The route for method + path; *path_known says whether some other method has it. */
static const Route *
find_route (const char *method, const char *path, GPtrArray *params, gboolean *path_known)
{
  *path_known = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!route_matches (routes[i].path, path, NULL))
        continue;
      *path_known = TRUE;
      /* libsoup leaves the body out of a HEAD reply: a GET route answers it. */
      if (g_str_equal (routes[i].method, method) ||
          (g_str_equal (method, "HEAD") && g_str_equal (routes[i].method, "GET")))
        {
          route_matches (routes[i].path, path, params);
          return &routes[i];
        }
    }
  return NULL;
}

static gsize
body_limit (GlobiServer *self, const Route *route)
{
  if (route && (route->flags & ROUTE_AVATAR_BODY))
    return self->config->max_avatar_bytes;
  if (route && (route->flags & ROUTE_MESSAGE_BODY))
    return globi_routes_message_body_limit (self->config);
  if (route && (route->flags & ROUTE_ATTACHMENT_BODY))
    return self->config->max_attachment_bytes;
  return self->config->max_body_bytes;
}

/* A chunked body has no length up front: stop keeping it once it passes the limit. */
static void
on_got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  MessageInfo *info = user_data;

  info->received += g_bytes_get_size (chunk);
  if (info->received > info->limit && !info->too_large)
    {
      info->too_large = TRUE;
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
    }
}

/* Runs once the headers are in: a body announced over the limit is read and thrown
 * away instead of buffered, and the handler answers 413. Reading it (rather than
 * closing) lets the client see the reply instead of a reset connection. */
static void
early_handler (SoupServer *server,
               SoupServerMessage *msg,
               const char *path,
               GHashTable *query,
               gpointer user_data)
{
  GlobiServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  MessageInfo *info = message_info (msg);
  gboolean path_known;
  const Route *route;

  info->started_us = g_get_monotonic_time ();
  route = find_route (soup_server_message_get_method (msg), path, NULL, &path_known);
  info->limit = body_limit (self, route);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > (goffset) info->limit)
    {
      info->too_large = TRUE;
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
    }
  else if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk_cb), info);
}

static void
handler (SoupServer *server,
         SoupServerMessage *msg,
         const char *path,
         GHashTable *query,
         gpointer user_data)
{
  GlobiServer *self = user_data;
  MessageInfo *info = message_info (msg);
  g_autoptr (GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GlobiRequest) req = NULL;
  g_autoptr (GError) error = NULL;
  const Route *route;
  gboolean path_known;

  info->dispatched = TRUE;
  g_atomic_int_inc (&self->in_flight);

  route = find_route (soup_server_message_get_method (msg), path, params, &path_known);
  if (route)
    info->route = route->path;
  req = globi_request_new (self, msg, info->route);
  for (guint i = 0; i < params->len; i++)
    globi_request_add_param (req, g_ptr_array_index (params, i));

  if (self->shutting_down)
    globi_request_reply_error_code (req, GLOBI_ERROR_UNAVAILABLE, "the server is shutting down");
  else if (g_hash_table_size (self->connections) > self->config->max_connections)
    globi_request_reply_error_code (req, GLOBI_ERROR_UNAVAILABLE, "too many connections");
  else if (!route && path_known)
    globi_request_reply_error_code (req, GLOBI_ERROR_METHOD_NOT_ALLOWED, "method not allowed");
  else if (!route)
    globi_request_reply_error_code (req, GLOBI_ERROR_NOT_FOUND, "no such route");
  else if (info->too_large ||
           soup_server_message_get_request_body (msg)->length > body_limit (self, route))
    globi_request_reply_error_code (req, GLOBI_ERROR_TOO_LARGE, "the body is over the limit");
  else if ((route->flags & ROUTE_AUTH) && !globi_request_authenticate (req, &error))
    globi_request_reply_error (req, error);
  else
    route->handler (req);

  globi_request_leave_dispatch (req);
}

static void
request_done (GlobiServer *self, SoupServerMessage *msg, gboolean aborted)
{
  MessageInfo *info = g_object_get_qdata (G_OBJECT (msg), message_info_quark);
  const char *method = soup_server_message_get_method (msg);
  guint status = aborted ? 0 : soup_server_message_get_status (msg);
  char status_text[16];
  char duration_text[G_ASCII_DTOSTR_BUF_SIZE];
  double duration;

  set_connection_busy (self, msg, FALSE);
  if (!info)
    return; /* no headers were read: nothing to count */

  duration = (g_get_monotonic_time () - info->started_us) / (double) G_USEC_PER_SEC;
  if (!aborted)
    globi_metrics_observe_request (self->metrics, method, info->route, status, duration);
  g_ascii_formatd (duration_text, sizeof duration_text, "%.1f", duration * 1000.0);
  /* Never the Authorization header, the query or a body: the route template only. */
  g_snprintf (status_text, sizeof status_text, "%u", status);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "HTTP_METHOD", method, "HTTP_ROUTE",
                    info->route, "HTTP_STATUS", aborted ? "aborted" : status_text,
                    "HTTP_DURATION_MS", duration_text, "MESSAGE", "%s %s %s %s ms", method,
                    info->route, aborted ? "aborted" : status_text, duration_text);

  if (info->dispatched)
    {
      info->dispatched = FALSE;
      g_assert (g_atomic_int_get (&self->in_flight) > 0);
      g_atomic_int_add (&self->in_flight, -1);
      maybe_finish_shutdown (self);
    }
}

static void
on_request_finished_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  request_done (user_data, msg, FALSE);
}

static void
on_request_aborted_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  request_done (user_data, msg, TRUE);
}

/* libsoup 3.2 has no connection signals, and it keeps an idle keep-alive connection open
 * after the client has gone (the descriptor leaks until shutdown). So the server tracks
 * connections itself, by socket, and closes idle ones whose peer has hung up. */
typedef struct
{
  GSocket *socket;
  gboolean busy; /* a request is being read or answered */
} Connection;

static void
connection_free (gpointer data)
{
  Connection *conn = data;

  g_clear_object (&conn->socket);
  g_free (conn);
}

static gboolean
peer_has_closed (GSocket *socket)
{
  g_autoptr (GError) error = NULL;
  GIOCondition cond = g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR);
  GInputVector vector;
  gint flags = G_SOCKET_MSG_PEEK;
  char byte;
  gssize n;

  if (cond & (G_IO_HUP | G_IO_ERR))
    return TRUE;
  if (!(cond & G_IO_IN))
    return FALSE;
  vector.buffer = &byte;
  vector.size = 1;
  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, &error);
  return n == 0 || (n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
}

static void
sweep_connections (GlobiServer *self)
{
  g_autoptr (GPtrArray) dead = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  Connection *conn;

  /* Closing a socket can run libsoup callbacks that add to the table, which would break
   * the iteration: decide and remove first, close afterwards. */
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    {
      if (!g_socket_is_closed (conn->socket) && (conn->busy || !peer_has_closed (conn->socket)))
        continue;
      g_ptr_array_add (dead, g_object_ref (conn->socket));
      g_hash_table_iter_remove (&iter);
      globi_metrics_connection_closed (self->metrics);
    }
  for (guint i = 0; i < dead->len; i++)
    if (!g_socket_is_closed (g_ptr_array_index (dead, i)))
      g_socket_close (g_ptr_array_index (dead, i), NULL);
}

static gboolean
on_sweep_cb (gpointer user_data)
{
  sweep_connections (user_data);
  return G_SOURCE_CONTINUE;
}

static void
set_connection_busy (GlobiServer *self, SoupServerMessage *msg, gboolean busy)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Connection *conn;

  if (!socket)
    return;
  conn = g_hash_table_lookup (self->connections, socket);
  if (!conn && busy)
    {
      conn = g_new0 (Connection, 1);
      conn->socket = g_object_ref (socket);
      g_hash_table_insert (self->connections, socket, conn);
      globi_metrics_connection_opened (self->metrics);
    }
  if (conn)
    conn->busy = busy;
}

static void
on_request_started_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  GlobiServer *self = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);

  /* A new connection is when old ones may have gone: sweep then (and on a timer), not on
   * every request of a busy keep-alive connection. */
  if (socket && !g_hash_table_contains (self->connections, socket))
    sweep_connections (self);
  set_connection_busy (self, msg, TRUE);
}

/* GET /v1/stream: authenticates before libsoup completes the WebSocket handshake (an
 * error status here stops the upgrade). */
typedef struct
{
  char *user_id;
  char *device_id;
  gint64 after;
} StreamAuth;

static void
stream_auth_free (gpointer data)
{
  StreamAuth *auth = data;

  g_free (auth->user_id);
  g_free (auth->device_id);
  g_free (auth);
}

static void
stream_refuse (SoupServerMessage *msg, GlobiErrorCode code, const char *message)
{
  g_autofree char *body = g_strdup_printf ("{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                                           globi_error_code_to_string (code), message);

  soup_server_message_set_status (msg, globi_error_code_to_status (code), NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static void
stream_handler (SoupServer *server,
                SoupServerMessage *msg,
                const char *path,
                GHashTable *query,
                gpointer user_data)
{
  GlobiServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");
  const char *after_text = query ? g_hash_table_lookup (query, "after") : NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *device_id = NULL;
  StreamAuth *stream_auth;
  guint64 after = 0;

  message_info (msg)->route = "/v1/stream";
  if (self->shutting_down)
    stream_refuse (msg, GLOBI_ERROR_UNAVAILABLE, "the server is shutting down");
  else if (g_strcmp0 (soup_server_message_get_method (msg), "GET") != 0)
    stream_refuse (msg, GLOBI_ERROR_METHOD_NOT_ALLOWED, "method not allowed");
  else if (after_text && !g_ascii_string_to_unsigned (after_text, 10, 0, G_MAXINT64, &after, NULL))
    stream_refuse (msg, GLOBI_ERROR_INVALID_FIELD, "after: must be a sequence number");
  else if (!auth || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0 ||
           !globi_token_signer_verify (self->signer, auth + 7, globi_server_now_s (self), &user_id,
                                       &device_id, NULL) ||
           !globi_server_device_is_active (self, device_id))
    stream_refuse (msg, GLOBI_ERROR_UNAUTHORIZED, "invalid or expired token");
  if (soup_server_message_get_status (msg) != 0)
    return;

  stream_auth = g_new0 (StreamAuth, 1);
  stream_auth->user_id = g_steal_pointer (&user_id);
  stream_auth->device_id = g_steal_pointer (&device_id);
  stream_auth->after = (gint64) after;
  g_object_set_data_full (G_OBJECT (msg), "globi-stream-auth", stream_auth, stream_auth_free);
}

static void
on_stream_cb (SoupServer *server,
              SoupServerMessage *msg,
              const char *path,
              SoupWebsocketConnection *conn,
              gpointer user_data)
{
  GlobiServer *self = user_data;
  StreamAuth *auth = g_object_get_data (G_OBJECT (msg), "globi-stream-auth");

  if (!auth || self->shutting_down)
    {
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      return;
    }
  globi_hub_add_stream (self->hub, conn, auth->user_id, auth->device_id, auth->after);
}

static void
globi_server_dispose (GObject *object)
{
  GlobiServer *self = GLOBI_SERVER (object);

  clear_timeout (self, &self->shutdown_timeout_id);
  clear_timeout (self, &self->sweep_id);
  if (self->soup)
    {
      g_signal_handlers_disconnect_by_data (self->soup, self);
      soup_server_disconnect (self->soup);
    }
  g_hash_table_remove_all (self->connections);
  g_clear_object (&self->hub);
  g_clear_object (&self->soup);
  g_clear_object (&self->store);
  g_clear_object (&self->signer);
  g_clear_object (&self->hasher);
  g_clear_object (&self->metrics);
  g_clear_object (&self->blobs);
  for (guint i = 0; i < GLOBI_N_LIMITS; i++)
    g_clear_object (&self->limiters[i]);

  G_OBJECT_CLASS (globi_server_parent_class)->dispose (object);
}

static void
globi_server_finalize (GObject *object)
{
  GlobiServer *self = GLOBI_SERVER (object);

  g_clear_pointer (&self->config, globi_server_config_free);
  g_clear_pointer (&self->active_devices, g_hash_table_unref);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->base_url, g_free);

  G_OBJECT_CLASS (globi_server_parent_class)->finalize (object);
}

static void
globi_server_class_init (GlobiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_server_dispose;
  object_class->finalize = globi_server_finalize;

  message_info_quark = g_quark_from_static_string ("globi-server-message-info");
}

static void
globi_server_init (GlobiServer *self)
{
  self->active_devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->connections = g_hash_table_new_full (NULL, NULL, NULL, connection_free);
  self->context = g_main_context_ref_thread_default ();
}

static gboolean
load_signer (GlobiServer *self, const char *issuer, GError **error)
{
  g_autofree char *key_dir = g_build_filename (self->config->data_dir, "keys", NULL);

  self->signer = globi_token_signer_new (issuer, JWT_AUDIENCE, self->config->access_token_lifetime);
  return globi_token_signer_load_keys (self->signer, key_dir, error);
}

GlobiServer *
globi_server_new (const GlobiServerConfig *config, GError **error)
{
  g_autoptr (GlobiServer) self = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *blob_dir = NULL;
  const GlobiServerConfig *c;

  g_return_val_if_fail (config != NULL, NULL);

  if (!globi_server_config_validate (config, error))
    return NULL;

  self = g_object_new (GLOBI_TYPE_SERVER, NULL);
  self->config = globi_server_config_copy (config);
  c = self->config;

  if (g_mkdir_with_parents (c->data_dir, 0700) != 0)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL, "cannot create %s: %s", c->data_dir,
                   g_strerror (errno));
      return NULL;
    }
  db_path = g_build_filename (c->data_dir, "globichat.db", NULL);
  if (!(self->store = globi_store_new (db_path, error)))
    return NULL;
  blob_dir = g_build_filename (c->data_dir, "blobs", NULL);
  if (!(self->blobs = globi_blob_store_new (blob_dir, error)))
    return NULL;
  /* Without a configured issuer it is the base URL, known once start() has listened. */
  if (c->issuer && !load_signer (self, c->issuer, error))
    return NULL;

  self->hub = globi_hub_new (self);
  self->hasher = globi_password_hasher_new (c->argon2_opslimit, c->argon2_memlimit);
  self->metrics = globi_metrics_new ();
  self->limiters[GLOBI_LIMIT_SIGNIN_ACCOUNT] = globi_rate_limiter_new (
      c->signin_failures_per_account, c->signin_window_seconds, RATE_LIMIT_KEYS);
  self->limiters[GLOBI_LIMIT_SIGNIN_ADDRESS] = globi_rate_limiter_new (
      c->signin_failures_per_address, c->signin_window_seconds, RATE_LIMIT_KEYS);
  self->limiters[GLOBI_LIMIT_REGISTER_ADDRESS] =
      globi_rate_limiter_new (c->registrations_per_address, REGISTER_WINDOW_S, RATE_LIMIT_KEYS);

  devices = globi_store_read_sync (self->store, globi_store_accounts_active_devices, NULL, error);
  if (!devices)
    return NULL;
  for (guint i = 0; i < devices->len; i++)
    globi_server_device_activate (self, g_ptr_array_index (devices, i));

  return g_steal_pointer (&self);
}

/* soup_server_listen would leave GLib's backlog of 10: a burst of new connections (64
 * clients at once) would then wait a second for SYN retries. */
static gboolean
listen_on (GlobiServer *self,
           GSocketAddress *address,
           SoupServerListenOptions options,
           GError **error)
{
  g_autoptr (GSocket) socket = NULL;

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (!socket)
    return FALSE;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  return soup_server_listen_socket (self->soup, socket, options, error);
}

/* Every client holds a descriptor, and the usual soft limit (1024) would cap the server
 * far below what its memory allows: raise it to the hard limit the operator set
 * (systemd's LimitNOFILE=). GLib polls, it never select()s, so large numbers are fine. */
static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_debug ("cannot raise the descriptor limit: %s", g_strerror (errno));
}

gboolean
globi_server_start (GlobiServer *self, GError **error)
{
  const GlobiServerConfig *c;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  SoupServerListenOptions options = 0;
  GSList *listeners;

  g_return_val_if_fail (GLOBI_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  c = self->config;
  self->soup = soup_server_new ("server-header", "globichat/" PACKAGE_VERSION " ", NULL);
  if (c->tls_certificate && c->tls_key)
    {
      certificate = g_tls_certificate_new_from_files (c->tls_certificate, c->tls_key, error);
      if (!certificate)
        return FALSE;
      soup_server_set_tls_certificate (self->soup, certificate);
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }

  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, "/v1/stream", stream_handler, self, NULL);
  soup_server_add_websocket_handler (self->soup, "/v1/stream", NULL, NULL, on_stream_cb, self,
                                     NULL);
  soup_server_add_handler (self->soup, NULL, handler, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (on_request_started_cb), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (on_request_finished_cb), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (on_request_aborted_cb), self);

  address = g_inet_socket_address_new_from_string (c->listen_address, c->port);
  if (!address)
    {
      /* A host name ("localhost"): resolved once, at startup, where blocking is fine. */
      g_autoptr (GResolver) resolver = g_resolver_get_default ();
      GList *found = g_resolver_lookup_by_name (resolver, c->listen_address, NULL, error);

      if (!found)
        return FALSE;
      address = g_inet_socket_address_new (found->data, c->port);
      g_resolver_free_addresses (found);
    }
  raise_fd_limit ();
  if (!listen_on (self, address, options, error))
    return FALSE;

  /* The bound port, from the listening socket (port 0 asked for any). */
  listeners = soup_server_get_listeners (self->soup);
  self->port = c->port;
  if (listeners)
    {
      g_autoptr (GSocketAddress) bound = g_socket_get_local_address (listeners->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (bound))
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    }
  g_slist_free (listeners);
  self->base_url = g_strdup_printf ("%s://%s%s%s:%u", certificate ? "https" : "http",
                                    strchr (c->listen_address, ':') ? "[" : "", c->listen_address,
                                    strchr (c->listen_address, ':') ? "]" : "", self->port);

  if (!self->signer && !load_signer (self, self->base_url, error))
    return FALSE;

  self->sweep_id = add_timeout_seconds (self, SWEEP_INTERVAL_S, on_sweep_cb);

  g_message ("listening on %s", self->base_url);
  return TRUE;
}

guint
globi_server_get_port (GlobiServer *self)
{
  g_return_val_if_fail (GLOBI_IS_SERVER (self), 0);

  return self->port;
}

char *
globi_server_dup_base_url (GlobiServer *self)
{
  g_return_val_if_fail (GLOBI_IS_SERVER (self), NULL);

  return g_strdup (self->base_url);
}

static void
on_store_closed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiServer) self = user_data;
  g_autoptr (GTask) task = g_steal_pointer (&self->shutdown_task);
  g_autoptr (GError) error = NULL;

  if (!globi_store_close_finish (GLOBI_STORE (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    {
      g_message ("shut down");
      g_task_return_boolean (task, TRUE);
    }
}

static void
finish_shutdown (GlobiServer *self)
{
  if (self->closing_store)
    return;
  self->closing_store = TRUE;
  clear_timeout (self, &self->shutdown_timeout_id);
  clear_timeout (self, &self->sweep_id);
  if (self->in_flight > 0)
    g_warning ("shutdown timeout: %d requests still in flight", self->in_flight);
  if (self->soup)
    soup_server_disconnect (self->soup);
  globi_store_close_async (self->store, on_store_closed_cb, g_object_ref (self));
}

static void
maybe_finish_shutdown (GlobiServer *self)
{
  if (self->shutting_down && g_atomic_int_get (&self->in_flight) == 0)
    finish_shutdown (self);
}

static gboolean
on_shutdown_timeout_cb (gpointer user_data)
{
  GlobiServer *self = user_data;

  self->shutdown_timeout_id = 0;
  finish_shutdown (self);
  return G_SOURCE_REMOVE;
}

void
globi_server_shutdown_async (GlobiServer *self,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (GLOBI_IS_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, globi_server_shutdown_async);
  if (self->shutting_down)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "already shutting down");
      return;
    }
  g_message ("shutting down: %d requests in flight", self->in_flight);
  self->shutting_down = TRUE;
  globi_hub_close_all (self->hub);
  self->shutdown_task = g_steal_pointer (&task);
  self->shutdown_timeout_id = add_timeout_seconds (
      self, MAX (self->config->shutdown_timeout_seconds, 1), on_shutdown_timeout_cb);
  maybe_finish_shutdown (self);
}

gboolean
globi_server_shutdown_finish (GlobiServer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
globi_server_set_clock_offset (GlobiServer *self, gint64 offset_seconds)
{
  g_return_if_fail (GLOBI_IS_SERVER (self));

  g_atomic_int_set (&self->clock_offset_s, (gint) CLAMP (offset_seconds, G_MININT, G_MAXINT));
}

/* Private API for the route files. */

const GlobiServerConfig *
globi_server_get_config (GlobiServer *self)
{
  return self->config;
}

GlobiStore *
globi_server_get_store (GlobiServer *self)
{
  return self->store;
}

GlobiTokenSigner *
globi_server_get_signer (GlobiServer *self)
{
  return self->signer;
}

GlobiPasswordHasher *
globi_server_get_hasher (GlobiServer *self)
{
  return self->hasher;
}

GlobiMetrics *
globi_server_get_metrics (GlobiServer *self)
{
  return self->metrics;
}

GlobiBlobStore *
globi_server_get_blobs (GlobiServer *self)
{
  return self->blobs;
}

GlobiRateLimiter *
globi_server_get_limiter (GlobiServer *self, GlobiLimit limit)
{
  g_return_val_if_fail (limit < GLOBI_N_LIMITS, NULL);

  return self->limiters[limit];
}

static gint64
clock_offset_s (GlobiServer *self)
{
  return g_atomic_int_get (&self->clock_offset_s);
}

gint64
globi_server_now_ms (GlobiServer *self)
{
  return g_get_real_time () / 1000 + clock_offset_s (self) * 1000;
}

gint64
globi_server_now_s (GlobiServer *self)
{
  return g_get_real_time () / G_USEC_PER_SEC + clock_offset_s (self);
}

gint64
globi_server_monotonic_us (GlobiServer *self)
{
  return g_get_monotonic_time () + clock_offset_s (self) * G_USEC_PER_SEC;
}

void
globi_server_sweep_connections (GlobiServer *self)
{
  sweep_connections (self);
}

guint
globi_server_get_in_flight (GlobiServer *self)
{
  return g_atomic_int_get (&self->in_flight);
}

gboolean
globi_server_device_is_active (GlobiServer *self, const char *device_id)
{
  return device_id && g_hash_table_contains (self->active_devices, device_id);
}

void
globi_server_device_activate (GlobiServer *self, const char *device_id)
{
  g_hash_table_add (self->active_devices, g_strdup (device_id));
}

static void
on_revoke_announced_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiServer) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) woken = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (!woken)
    g_warning ("devices_changed after a revocation: %s", error->message);
  else if (self->hub)
    globi_hub_notify_devices (self->hub, woken);
}

void
globi_server_device_revoke (GlobiServer *self, const char *device_id)
{
  GlobiMessagingArgs *args;

  g_hash_table_remove (self->active_devices, device_id);
  globi_hub_disconnect_device (self->hub, device_id);
  if (self->closing_store)
    return;
  /* Its contacts must stop encrypting to it: tell them (after the revocation committed). */
  args = globi_messaging_args_new ();
  args->device_id = g_strdup (device_id);
  globi_store_write_async (self->store, globi_store_messaging_device_revoked, args,
                           globi_messaging_args_free, (GDestroyNotify) g_ptr_array_unref,
                           on_revoke_announced_cb, g_object_ref (self));
}

GlobiHub *
globi_server_get_hub (GlobiServer *self)
{
  return self->hub;
}
