/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-routes-link"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "globi-routes.h"
#include "globi-server-private.h"
#include "globi-store-link.h"

/* docs/protocol.md, "Device linking". */

#define SECRET_BYTES      32
#define SECRET_CHARS      43 /* unpadded base64url of 32 bytes */
#define MAX_PAYLOAD_BYTES 32768
#define MAX_PAYLOAD_CHARS 43691
#define CREATE_LIMIT      60
#define CREATE_WINDOW_S   600
#define CREATE_LIMIT_KEYS 10000
#define LIMITER_DATA_KEY  "globi-link-limiter"

static const char *
check_secret (const char *value)
{
  if (strlen (value) != SECRET_CHARS)
    return "must be 43 base64url characters";
  for (const char *p = value; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return "must be 43 base64url characters";
  return NULL;
}

static const char *
check_public_key (const char *value)
{
  g_autoptr (GBytes) raw = NULL;

  if (check_secret (value))
    return "must be a base64url X25519 public key";
  raw = globi_base64url_decode (value, strlen (value), NULL);
  if (!raw || g_bytes_get_size (raw) != crypto_box_PUBLICKEYBYTES)
    return "must be a base64url X25519 public key";
  return NULL;
}

static const GlobiField device_fields[] = {
  { "name", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_NOT_BLANK, 1, 64 },
  { "platform", GLOBI_FIELD_STRING, 0, 0, 32 },
  { NULL },
};

static const GlobiField create_fields[] = {
  { "public_key", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_COUNT_BYTES, 43, 43,
    check_public_key },
  { "device", GLOBI_FIELD_OBJECT, GLOBI_FIELD_REQUIRED, 0, 0, NULL, device_fields },
  { NULL },
};

static const GlobiField poll_fields[] = {
  { "poll_secret", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_COUNT_BYTES, 43, 43,
    check_secret },
  { NULL },
};

static const GlobiField approve_fields[] = {
  { "payload", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED | GLOBI_FIELD_COUNT_BYTES, 2,
    MAX_PAYLOAD_CHARS },
  { NULL },
};

static char *
new_secret (void)
{
  guint8 raw[SECRET_BYTES];
  char *secret;

  randombytes_buf (raw, sizeof raw);
  secret = globi_base64url_encode (raw, sizeof raw);
  sodium_memzero (raw, sizeof raw);
  return secret;
}

/* The ticket-creation limiter lives with its server, made on first use. */
static GlobiRateLimiter *
create_limiter (GlobiServer *server)
{
  GlobiRateLimiter *limiter = g_object_get_data (G_OBJECT (server), LIMITER_DATA_KEY);

  if (!limiter)
    {
      limiter = globi_rate_limiter_new (CREATE_LIMIT, CREATE_WINDOW_S, CREATE_LIMIT_KEYS);
      g_object_set_data_full (G_OBJECT (server), LIMITER_DATA_KEY, limiter, g_object_unref);
    }
  return limiter;
}

/* The {ticket} path parameter, hashed into args; FALSE after replying 404. */
static gboolean
take_ticket (GlobiRequest *req, GlobiLinkArgs *args)
{
  const char *ticket = globi_request_get_param (req, 0);

  if (!ticket || check_secret (ticket))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_NOT_FOUND, "no such ticket");
      return FALSE;
    }
  globi_refresh_token_hash (ticket, args->ticket_hash);
  args->now_ms = globi_server_now_ms (globi_request_get_server (req));
  return TRUE;
}

static void
add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value ? value : "");
}

static GlobiStore *
req_store (GlobiRequest *req)
{
  return globi_server_get_store (globi_request_get_server (req));
}

/* POST /v1/link/tickets */

typedef struct
{
  GlobiRequest *req;
  char *ticket;
  char *secret;
} CreateFlow;

static void
create_flow_free (CreateFlow *flow)
{
  globi_request_unref (flow->req);
  g_free (flow->ticket);
  if (flow->secret)
    sodium_memzero (flow->secret, strlen (flow->secret));
  g_free (flow->secret);
  g_free (flow);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CreateFlow, create_flow_free)

static void
on_ticket_created_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (CreateFlow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiLinkTicketRow) row = globi_store_finish (GLOBI_STORE (source), result, &error);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  if (!row)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  json_builder_begin_object (builder);
  add_string (builder, "ticket", flow->ticket);
  add_string (builder, "poll_secret", flow->secret);
  add_int (builder, "created_at", row->created_at);
  add_int (builder, "expires_at", row->expires_at);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  globi_request_reply_json (flow->req, SOUP_STATUS_CREATED, node);
}

void
globi_routes_link_create (GlobiRequest *req)
{
  GlobiServer *server = globi_request_get_server (req);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = globi_request_parse_json (req, create_fields, &error);
  g_autofree char *key = NULL;
  JsonObject *device;
  GlobiLinkArgs *args;
  CreateFlow *flow;
  guint retry_after = 0;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  key = g_strconcat ("link:addr:", globi_request_get_remote_host (req), NULL);
  if (!globi_rate_limiter_hit (create_limiter (server), key, globi_server_monotonic_us (server),
                               &retry_after))
    {
      globi_routes_reply_limited (req, retry_after);
      return;
    }

  flow = g_new0 (CreateFlow, 1);
  flow->req = globi_request_ref (req);
  flow->ticket = new_secret ();
  flow->secret = new_secret ();
  device = json_object_get_object_member (body, "device");
  args = globi_link_args_new ();
  globi_refresh_token_hash (flow->ticket, args->ticket_hash);
  globi_refresh_token_hash (flow->secret, args->secret_hash);
  args->public_key = g_strdup (json_object_get_string_member (body, "public_key"));
  args->device_name = g_strdup (json_object_get_string_member (device, "name"));
  args->device_platform =
      g_strdup (json_object_get_string_member_with_default (device, "platform", ""));
  args->address = g_strdup (globi_request_get_remote_host (req));
  args->now_ms = globi_server_now_ms (server);
  globi_store_write_async (req_store (req), globi_store_link_create, args, globi_link_args_free,
                           globi_link_ticket_row_free, on_ticket_created_cb, flow);
}

/* POST /v1/link/tickets/{ticket}/poll */

typedef struct
{
  GlobiRequest *req;
  guint8 ticket_hash[GLOBI_TOKEN_HASH_BYTES];
  guint8 secret_hash[GLOBI_TOKEN_HASH_BYTES];
  char *device_id;
  char *refresh_token;
} PollFlow;

static void
poll_flow_free (PollFlow *flow)
{
  globi_request_unref (flow->req);
  g_free (flow->device_id);
  if (flow->refresh_token)
    sodium_memzero (flow->refresh_token, strlen (flow->refresh_token));
  g_free (flow->refresh_token);
  g_free (flow);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PollFlow, poll_flow_free)

/* The Tokens object, as POST /v1/sessions answers it. */
static JsonNode *
tokens_to_json (GlobiServer *server,
                const GlobiUserRow *user,
                const char *device_id,
                const char *refresh_token)
{
  gint64 now_s = globi_server_now_s (server);
  gint64 expires_at_s = now_s;
  g_autofree char *access = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  access = globi_token_signer_issue (globi_server_get_signer (server), user->id, device_id, now_s,
                                     &expires_at_s);
  json_builder_begin_object (builder);
  add_string (builder, "access_token", access);
  add_string (builder, "token_type", "Bearer");
  add_int (builder, "expires_in", expires_at_s - now_s);
  add_string (builder, "refresh_token", refresh_token);
  add_string (builder, "device_id", device_id);
  add_string (builder, "user_id", user->id);
  json_builder_set_member_name (builder, "user");
  json_builder_add_value (builder, globi_routes_user_to_json (user, TRUE));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
reply_poll (PollFlow *flow, GlobiLinkTicketRow *row)
{
  GlobiServer *server = globi_request_get_server (flow->req);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (builder);
  add_string (builder, "state", globi_link_state_to_string (row->state));
  add_int (builder, "expires_at", row->expires_at);
  if (row->scanner)
    {
      json_builder_set_member_name (builder, "scanner");
      json_builder_add_value (builder, globi_routes_user_to_json (row->scanner, FALSE));
    }
  if (row->state == GLOBI_LINK_APPROVED && row->user)
    {
      g_autofree char *payload = NULL;

      globi_server_device_activate (server, flow->device_id);
      json_builder_set_member_name (builder, "tokens");
      json_builder_add_value (
          builder, tokens_to_json (server, row->user, flow->device_id, flow->refresh_token));
      if (row->payload)
        payload = globi_base64url_encode (g_bytes_get_data (row->payload, NULL),
                                          g_bytes_get_size (row->payload));
      add_string (builder, "payload", payload);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  globi_request_reply_json (flow->req, SOUP_STATUS_OK, node);
}

static GlobiLinkArgs *
poll_args (GlobiRequest *req, PollFlow *flow)
{
  GlobiLinkArgs *args = globi_link_args_new ();

  memcpy (args->ticket_hash, flow->ticket_hash, sizeof args->ticket_hash);
  memcpy (args->secret_hash, flow->secret_hash, sizeof args->secret_hash);
  args->now_ms = globi_server_now_ms (globi_request_get_server (req));
  return args;
}

static void
on_polled_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PollFlow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiLinkTicketRow) row = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (!row)
    globi_request_reply_error (flow->req, error);
  else
    reply_poll (flow, row);
}

/* Most polls find nothing new: they only read. An approved ticket is then used up by a
 * write that checks everything again. */
static void
on_peeked_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PollFlow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiLinkTicketRow) row = globi_store_finish (GLOBI_STORE (source), result, &error);
  GlobiLinkArgs *args;

  if (!row)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  if (row->state != GLOBI_LINK_APPROVED)
    {
      reply_poll (flow, row);
      return;
    }
  flow->device_id = globi_id_new ();
  flow->refresh_token = new_secret ();
  args = poll_args (flow->req, flow);
  args->session = globi_account_args_new ();
  args->session->device_id = g_strdup (flow->device_id);
  globi_refresh_token_hash (flow->refresh_token, args->session->token_hash);
  globi_store_write_async (GLOBI_STORE (source), globi_store_link_poll, args, globi_link_args_free,
                           globi_link_ticket_row_free, on_polled_cb, g_steal_pointer (&flow));
}

void
globi_routes_link_poll (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GlobiLinkArgs) args = globi_link_args_new ();
  PollFlow *flow;

  if (!take_ticket (req, args))
    return;
  body = globi_request_parse_json (req, poll_fields, &error);
  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  flow = g_new0 (PollFlow, 1);
  flow->req = globi_request_ref (req);
  memcpy (flow->ticket_hash, args->ticket_hash, sizeof flow->ticket_hash);
  globi_refresh_token_hash (json_object_get_string_member (body, "poll_secret"), flow->secret_hash);
  globi_store_read_async (req_store (req), globi_store_link_poll, poll_args (req, flow),
                          globi_link_args_free, globi_link_ticket_row_free, on_peeked_cb, flow);
}

/* POST /v1/link/tickets/{ticket}/scan */

static void
on_scanned_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiLinkTicketRow) row = globi_store_finish (GLOBI_STORE (source), result, &error);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  if (!row)
    {
      globi_request_reply_error (req, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ticket");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device");
  json_builder_begin_object (builder);
  add_string (builder, "name", row->device_name);
  add_string (builder, "platform", row->device_platform);
  json_builder_end_object (builder);
  add_string (builder, "public_key", row->public_key);
  add_string (builder, "state", globi_link_state_to_string (row->state));
  add_int (builder, "created_at", row->created_at);
  add_int (builder, "expires_at", row->expires_at);
  add_string (builder, "address", row->address);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  globi_request_reply_json (req, SOUP_STATUS_OK, node);
}

static GlobiLinkArgs *
approver_args (GlobiRequest *req)
{
  g_autoptr (GlobiLinkArgs) args = globi_link_args_new ();

  if (!take_ticket (req, args))
    return NULL;
  args->user_id = g_strdup (globi_request_get_user_id (req));
  args->device_id = g_strdup (globi_request_get_device_id (req));
  return g_steal_pointer (&args);
}

void
globi_routes_link_scan (GlobiRequest *req)
{
  GlobiLinkArgs *args = approver_args (req);

  if (!args)
    return;
  globi_store_write_async (req_store (req), globi_store_link_scan, args, globi_link_args_free,
                           globi_link_ticket_row_free, on_scanned_cb, globi_request_ref (req));
}

/* POST /v1/link/tickets/{ticket}/approve and …/decline */

static void
on_resolved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;

  globi_store_finish (GLOBI_STORE (source), result, &error);
  if (error)
    globi_request_reply_error (req, error);
  else
    globi_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
}

static void
resolve (GlobiRequest *req, GlobiLinkArgs *args)
{
  globi_store_write_async (req_store (req), globi_store_link_resolve, args, globi_link_args_free,
                           NULL, on_resolved_cb, globi_request_ref (req));
}

void
globi_routes_link_approve (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (GlobiLinkArgs) args = approver_args (req);
  const char *payload;

  if (!args)
    return;
  body = globi_request_parse_json (req, approve_fields, &error);
  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  payload = json_object_get_string_member (body, "payload");
  args->payload = globi_base64url_decode (payload, strlen (payload), NULL);
  if (!args->payload || g_bytes_get_size (args->payload) == 0 ||
      g_bytes_get_size (args->payload) > MAX_PAYLOAD_BYTES)
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_INVALID_FIELD,
                                      "payload: must be base64url, 1–32768 bytes");
      return;
    }
  args->approve = TRUE;
  resolve (req, g_steal_pointer (&args));
}

void
globi_routes_link_decline (GlobiRequest *req)
{
  GlobiLinkArgs *args = approver_args (req);

  if (args)
    resolve (req, args);
}
