/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-routes-wallet"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-id.h"
#include "globi-money.h"
#include "globi-rates.h"
#include "globi-routes.h"
#include "globi-server-private.h"
#include "globi-store-wallet.h"

#define SWEEP_INTERVAL_S 60
#define PIN_DIGITS       6
#define NOTE_MAX         100

/* The wallet's per-server state: the rates service and the expiry sweep. Attached to the
 * server object, created on the server's context by globi_routes_wallet_start or the first
 * wallet route. */
typedef struct
{
  GlobiServer *server;
  GlobiRates *rates;
  GMainContext *context;
  guint sweep_id;
} Service;

static void
service_free (gpointer data)
{
  Service *service = data;
  GSource *source;

  if (service->sweep_id &&
      (source = g_main_context_find_source_by_id (service->context, service->sweep_id)))
    g_source_destroy (source);
  globi_rates_stop (service->rates);
  g_clear_object (&service->rates);
  g_main_context_unref (service->context);
  g_free (service);
}

static void
on_swept_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiServer) server = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiWalletResult) swept = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (!swept)
    {
      if (!g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_UNAVAILABLE))
        g_warning ("wallet sweep: %s", error->message);
      return;
    }
  if (swept->wake_devices->len > 0 && globi_server_get_hub (server))
    globi_hub_notify_devices (globi_server_get_hub (server), swept->wake_devices);
}

static gboolean
on_sweep_cb (gpointer user_data)
{
  Service *service = user_data;
  GlobiWalletArgs *args = globi_wallet_args_new ();

  args->now_ms = globi_server_now_ms (service->server);
  globi_store_write_async (globi_server_get_store (service->server), globi_store_wallet_sweep, args,
                           globi_wallet_args_free, globi_wallet_result_free, on_swept_cb,
                           g_object_ref (service->server));
  return G_SOURCE_CONTINUE;
}

static Service *
service_get (GlobiServer *server)
{
  Service *service = g_object_get_data (G_OBJECT (server), "globi-wallet-service");
  GSource *source;

  if (service)
    return service;
  service = g_new0 (Service, 1);
  service->server = server;
  service->context = g_main_context_ref_thread_default ();
  service->rates = globi_rates_new (server);
  source = g_timeout_source_new_seconds (SWEEP_INTERVAL_S);
  g_source_set_callback (source, on_sweep_cb, service, NULL);
  service->sweep_id = g_source_attach (source, service->context);
  g_source_unref (source);
  g_object_set_data_full (G_OBJECT (server), "globi-wallet-service", service, service_free);
  return service;
}

void
globi_routes_wallet_start (GlobiServer *server)
{
  service_get (server);
}

/* Parsing */

static const char *
check_id (const char *value)
{
  return globi_id_is_valid (value) ? NULL : "must be a UUID";
}

static const char *
check_pin (const char *value)
{
  if (strlen (value) != PIN_DIGITS)
    return "must be 6 digits";
  for (const char *p = value; *p; p++)
    if (!g_ascii_isdigit (*p))
      return "must be 6 digits";
  return NULL;
}

static const char *
check_currency (const char *value)
{
  return globi_currency_is_known (value) ? NULL : "not an ISO 4217 code this server knows";
}

static const char *
check_split (const char *value)
{
  return g_str_equal (value, "fixed") || g_str_equal (value, "random") ? NULL
                                                                       : "must be fixed or random";
}

static const GlobiField chat_fields[] = {
  { "user_id", GLOBI_FIELD_STRING, 0, 36, 36, check_id },
  { "group_id", GLOBI_FIELD_STRING, 0, 36, 36, check_id },
  { NULL },
};

static const GlobiField amount_fields[] = {
  { "currency", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 3, 3, check_currency },
  { NULL },
};

static const GlobiField pin_fields[] = {
  { "pin", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 6, 6, check_pin },
  { NULL },
};

static const GlobiField set_pin_fields[] = {
  { "pin", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 6, 6, check_pin },
  { "current_pin", GLOBI_FIELD_STRING, 0, 6, 6, check_pin },
  { NULL },
};

static const GlobiField transfer_fields[] = {
  { "id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { "to_user_id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { "note", GLOBI_FIELD_STRING, 0, 0, NOTE_MAX },
  { "pin", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 6, 6, check_pin },
  { "chat", GLOBI_FIELD_OBJECT, 0, 0, 0, NULL, chat_fields },
  { NULL },
};

static const GlobiField request_fields[] = {
  { "id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { "from_user_id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { "note", GLOBI_FIELD_STRING, 0, 0, NOTE_MAX },
  { "chat", GLOBI_FIELD_OBJECT, 0, 0, 0, NULL, chat_fields },
  { NULL },
};

static const GlobiField red_packet_fields[] = {
  { "id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { "group_id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { "split", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 5, 6, check_split },
  { "note", GLOBI_FIELD_STRING, 0, 0, NOTE_MAX },
  { "pin", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 6, 6, check_pin },
  { NULL },
};

static const GlobiField payment_fields[] = {
  { "id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { "payee_id", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 36, 36, check_id },
  { "payee_currency", GLOBI_FIELD_STRING, 0, 3, 3, check_currency },
  { "note", GLOBI_FIELD_STRING, 0, 0, NOTE_MAX },
  { "pin", GLOBI_FIELD_STRING, GLOBI_FIELD_REQUIRED, 6, 6, check_pin },
  { NULL },
};

typedef struct
{
  const char *name;
  gboolean money; /* {currency, minor}; else an integer */
  gint64 min;
  gint64 max;
} NumberField;

static gboolean
invalid (GError **error, const char *name, const char *what)
{
  g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD, "%s: %s", name, what);
  return FALSE;
}

static gboolean
get_integer (JsonNode *node, const char *name, gint64 min, gint64 max, gint64 *out, GError **error)
{
  g_autofree char *range = NULL;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (error, name, "must be an integer");
  *out = json_node_get_int (node);
  if (*out < min || *out > max)
    {
      range = g_strdup_printf ("must be %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT, min, max);
      return invalid (error, name, range);
    }
  return TRUE;
}

/* Like globi_request_parse_json, plus integer members and Money objects ({currency,
 * minor}) the field table cannot describe. Numbers go to out_numbers in numbers' order;
 * a money member's currency stays in the returned object. */
static JsonObject *
parse_body (GlobiRequest *req,
            const GlobiField *fields,
            const NumberField *numbers,
            gint64 *out_numbers,
            GError **error)
{
  g_autoptr (GBytes) body = globi_request_get_body (req);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (JsonObject) rest = json_object_new ();
  gsize len = 0;
  const char *data = g_bytes_get_data (body, &len);
  JsonNode *root;
  JsonObject *obj;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (len == 0 || !json_parser_load_from_data (parser, data, len, NULL))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "malformed JSON");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                           "the body must be a JSON object");
      return NULL;
    }
  obj = json_node_get_object (root);
  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &name, &member))
    {
      gboolean is_number = FALSE;

      for (guint i = 0; numbers && numbers[i].name; i++)
        if (g_str_equal (numbers[i].name, name))
          is_number = TRUE;
      if (!is_number)
        json_object_set_member (rest, name, json_node_ref (member));
    }
  if (!globi_json_check_fields (rest, fields, NULL, error))
    return NULL;
  for (guint i = 0; numbers && numbers[i].name; i++)
    {
      JsonNode *node = json_object_get_member (obj, numbers[i].name);

      if (!node)
        {
          invalid (error, numbers[i].name, "required");
          return NULL;
        }
      if (numbers[i].money)
        {
          g_autofree char *prefix = g_strdup_printf ("%s.minor", numbers[i].name);
          g_autoptr (JsonObject) currency_only = NULL;
          JsonObject *money;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              invalid (error, numbers[i].name, "must be an object");
              return NULL;
            }
          money = json_node_get_object (node);
          if (!json_object_has_member (money, "minor"))
            {
              invalid (error, prefix, "required");
              return NULL;
            }
          if (!get_integer (json_object_get_member (money, "minor"), prefix, numbers[i].min,
                            numbers[i].max, &out_numbers[i], error))
            return NULL;
          currency_only = json_object_new ();
          json_object_iter_init (&iter, money);
          while (json_object_iter_next (&iter, &name, &member))
            if (!g_str_equal (name, "minor"))
              json_object_set_member (currency_only, name, json_node_ref (member));
          if (!globi_json_check_fields (currency_only, amount_fields, numbers[i].name, error))
            return NULL;
        }
      else if (!get_integer (node, numbers[i].name, numbers[i].min, numbers[i].max, &out_numbers[i],
                             error))
        return NULL;
    }
  return json_object_ref (obj);
}

static const char *
amount_currency (JsonObject *body, const char *name)
{
  return json_object_get_string_member (json_object_get_object_member (body, name), "currency");
}

static char *
dup_member (JsonObject *obj, const char *name)
{
  return json_object_has_member (obj, name) ? g_strdup (json_object_get_string_member (obj, name))
                                            : NULL;
}

/* "chat": exactly one of user_id and group_id. */
static gboolean
take_chat (JsonObject *body, GlobiWalletArgs *args, GError **error)
{
  JsonObject *chat;

  if (!json_object_has_member (body, "chat"))
    return TRUE;
  chat = json_object_get_object_member (body, "chat");
  if (json_object_get_size (chat) != 1)
    return invalid (error, "chat", "must have either user_id or group_id");
  args->chat_user = dup_member (chat, "user_id");
  args->chat_group = dup_member (chat, "group_id");
  return TRUE;
}

static GlobiWalletArgs *
args_new (GlobiRequest *req)
{
  GlobiWalletArgs *args = globi_wallet_args_new ();

  args->user_id = g_strdup (globi_request_get_user_id (req));
  args->now_ms = globi_server_now_ms (globi_request_get_server (req));
  return args;
}

/* Running jobs and replying */

static void
reply_refusal (GlobiRequest *req, const GlobiWalletResult *result)
{
  g_autoptr (JsonObject) error = json_object_new ();
  g_autoptr (JsonObject) root = json_object_new ();
  g_autoptr (JsonNode) node = NULL;
  const char *wire = globi_error_code_to_string (result->code);
  SoupServerMessage *msg = globi_request_get_message (req);

  json_object_set_string_member (error, "code", wire);
  json_object_set_string_member (error, "message", result->message ? result->message : wire);
  if (result->code == GLOBI_ERROR_WRONG_PIN)
    json_object_set_int_member (error, "attempts_left", result->attempts_left);
  if (result->code == GLOBI_ERROR_PIN_LOCKED)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, result->retry_after_s);

      json_object_set_int_member (error, "retry_after", result->retry_after_s);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                    seconds);
    }
  json_object_set_object_member (root, "error", g_steal_pointer (&error));
  node = json_node_init_object (json_node_alloc (), root);
  globi_metrics_count_error (globi_server_get_metrics (globi_request_get_server (req)), wire);
  globi_request_reply_json (req, globi_error_code_to_status (result->code), node);
}

static void
on_wallet_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GlobiRequest) req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiWalletResult) done = globi_store_finish (GLOBI_STORE (source), result, &error);

  if (!done)
    {
      globi_request_reply_error (req, error);
      return;
    }
  /* A refused PIN still committed its count, and expiries may have woken devices. */
  if (done->wake_devices->len > 0)
    globi_hub_notify_devices (globi_server_get_hub (globi_request_get_server (req)),
                              done->wake_devices);
  if (done->refused)
    reply_refusal (req, done);
  else if (done->reply)
    globi_request_reply_json (req, done->status, done->reply);
  else
    globi_request_reply_empty (req, done->status);
}

static void
run (GlobiRequest *req, GlobiStoreFunc func, GlobiWalletArgs *args)
{
  GlobiServer *server = globi_request_get_server (req);

  service_get (server);
  /* Every wallet job writes: it may return expired transfers or open a wallet first. */
  globi_store_write_async (globi_server_get_store (server), func, args, globi_wallet_args_free,
                           globi_wallet_result_free, on_wallet_done_cb, globi_request_ref (req));
}

/* A job that needs the payment PIN: read the hash, verify on the hasher's pool, then run
 * the job, which counts the attempt in its own transaction. */
typedef struct
{
  GlobiRequest *req;
  GlobiWalletArgs *args;
  GlobiStoreFunc func;
  char *pin;
  char *new_pin; /* PUT /v1/wallet/pin */
  gboolean had_pin;
} PinFlow;

static void
pin_flow_free (PinFlow *flow)
{
  g_clear_pointer (&flow->req, globi_request_unref);
  g_clear_pointer (&flow->args, globi_wallet_args_free);
  if (flow->pin)
    sodium_memzero (flow->pin, strlen (flow->pin));
  if (flow->new_pin)
    sodium_memzero (flow->new_pin, strlen (flow->new_pin));
  g_free (flow->pin);
  g_free (flow->new_pin);
  g_free (flow);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PinFlow, pin_flow_free)

static void
pin_flow_run (PinFlow *flow)
{
  run (flow->req, flow->func, g_steal_pointer (&flow->args));
}

static void
on_new_pin_hashed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PinFlow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *hash =
      globi_password_hasher_hash_finish (GLOBI_PASSWORD_HASHER (source), result, &error);

  if (!hash)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  flow->args->pin_hash = g_steal_pointer (&hash);
  pin_flow_run (flow);
}

static void
on_pin_verified_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PinFlow) flow = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok =
      globi_password_hasher_verify_finish (GLOBI_PASSWORD_HASHER (source), result, &error);

  if (error)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  flow->args->pin_ok = ok;
  if (flow->new_pin && ok)
    {
      PinFlow *f = g_steal_pointer (&flow);

      /* Not flow->x and g_steal_pointer (&flow) in one call: argument order is unspecified. */
      globi_password_hasher_hash_async (GLOBI_PASSWORD_HASHER (source), f->new_pin, NULL,
                                        on_new_pin_hashed_cb, f);
      return;
    }
  pin_flow_run (flow);
}

static void
on_pin_state_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PinFlow) flow = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiWalletPinState) state = globi_store_finish (GLOBI_STORE (source), result, &error);
  GlobiServer *server = globi_request_get_server (flow->req);
  GlobiPasswordHasher *hasher = globi_server_get_hasher (server);
  gint64 now_ms = globi_server_now_ms (server);

  if (!state)
    {
      globi_request_reply_error (flow->req, error);
      return;
    }
  if (state->locked_until > now_ms)
    {
      GlobiWalletResult refusal = { 0 };

      refusal.code = GLOBI_ERROR_PIN_LOCKED;
      refusal.message = (char *) "too many wrong PINs; try again later";
      refusal.retry_after_s = (state->locked_until - now_ms + 999) / 1000;
      reply_refusal (flow->req, &refusal);
      return;
    }
  if (flow->new_pin)
    {
      flow->args->had_pin = state->hash != NULL;
      if (state->hash && !flow->pin)
        {
          globi_request_reply_error_code (flow->req, GLOBI_ERROR_INVALID_FIELD,
                                          "current_pin: required to change the PIN");
          return;
        }
      if (!state->hash)
        {
          PinFlow *f = g_steal_pointer (&flow);

          globi_password_hasher_hash_async (hasher, f->new_pin, NULL, on_new_pin_hashed_cb, f);
          return;
        }
    }
  else if (!state->hash)
    {
      globi_request_reply_error_code (flow->req, GLOBI_ERROR_PIN_REQUIRED,
                                      "set a payment PIN first");
      return;
    }
  {
    PinFlow *f = g_steal_pointer (&flow);

    globi_password_hasher_verify_async (hasher, f->pin, state->hash, NULL, on_pin_verified_cb, f);
  }
}

static void
run_with_pin (GlobiRequest *req,
              GlobiStoreFunc func,
              GlobiWalletArgs *args,
              const char *pin,
              const char *new_pin)
{
  GlobiServer *server = globi_request_get_server (req);
  PinFlow *flow = g_new0 (PinFlow, 1);
  GlobiWalletArgs *read_args = globi_wallet_args_new ();

  service_get (server);
  flow->req = globi_request_ref (req);
  flow->args = args;
  flow->func = func;
  flow->pin = g_strdup (pin);
  flow->new_pin = g_strdup (new_pin);
  read_args->user_id = g_strdup (args->user_id);
  globi_store_read_async (globi_server_get_store (server), globi_store_wallet_pin_state, read_args,
                          globi_wallet_args_free, globi_wallet_pin_state_free, on_pin_state_cb,
                          flow);
}

static const char *
id_param (GlobiRequest *req)
{
  const char *id = globi_request_get_param (req, 0);

  if (!globi_id_is_valid (id))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_NOT_FOUND, "not found");
      return NULL;
    }
  return id;
}

/* Routes */

void
globi_routes_get_wallet (GlobiRequest *req)
{
  run (req, globi_store_wallet_get, args_new (req));
}

void
globi_routes_put_wallet_pin (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = parse_body (req, set_pin_fields, NULL, NULL, &error);
  const char *current;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  current = json_object_has_member (body, "current_pin")
                ? json_object_get_string_member (body, "current_pin")
                : NULL;
  run_with_pin (req, globi_store_wallet_set_pin, args_new (req), current,
                json_object_get_string_member (body, "pin"));
}

static const NumberField amount_number[] = {
  { "amount", TRUE, 1, GLOBI_MONEY_MAX_MINOR },
  { NULL },
};

/* A transfer's and a request's body: an amount between me and the person named by
 * other_member. NULL when the error is already replied. */
static GlobiWalletArgs *
person_amount_args (GlobiRequest *req,
                    const GlobiField *fields,
                    const char *other_member,
                    JsonObject **out_body)
{
  g_autoptr (GError) error = NULL;
  gint64 numbers[1] = { 0 };
  g_autoptr (JsonObject) body = parse_body (req, fields, amount_number, numbers, &error);
  g_autoptr (GlobiWalletArgs) args = args_new (req);

  if (!body || !take_chat (body, args, &error))
    {
      globi_request_reply_error (req, error);
      return NULL;
    }
  args->id = dup_member (body, "id");
  args->other_id = dup_member (body, other_member);
  args->currency = g_strdup (amount_currency (body, "amount"));
  args->minor = numbers[0];
  args->note = dup_member (body, "note");
  *out_body = g_steal_pointer (&body);
  return g_steal_pointer (&args);
}

void
globi_routes_create_transfer (GlobiRequest *req)
{
  g_autoptr (JsonObject) body = NULL;
  GlobiWalletArgs *args = person_amount_args (req, transfer_fields, "to_user_id", &body);

  if (args)
    run_with_pin (req, globi_store_wallet_transfer, args,
                  json_object_get_string_member (body, "pin"), NULL);
}

/* The args of a route on {id}: NULL when the id is missing (the error is replied). */
static GlobiWalletArgs *
id_args (GlobiRequest *req)
{
  const char *id = id_param (req);
  GlobiWalletArgs *args;

  if (!id)
    return NULL;
  args = args_new (req);
  args->id = g_strdup (id);
  return args;
}

static void
answer_transfer (GlobiRequest *req, gboolean accept)
{
  GlobiWalletArgs *args = id_args (req);

  if (!args)
    return;
  args->accept = accept;
  run (req, globi_store_wallet_answer_transfer, args);
}

void
globi_routes_accept_transfer (GlobiRequest *req)
{
  answer_transfer (req, TRUE);
}

void
globi_routes_decline_transfer (GlobiRequest *req)
{
  answer_transfer (req, FALSE);
}

void
globi_routes_create_request (GlobiRequest *req)
{
  g_autoptr (JsonObject) body = NULL;
  GlobiWalletArgs *args = person_amount_args (req, request_fields, "from_user_id", &body);

  if (args)
    run (req, globi_store_wallet_request, args);
}

/* A route on {id} whose body is just {pin}. */
static void
run_id_with_pin (GlobiRequest *req, GlobiStoreFunc func)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  const char *id = id_param (req);
  GlobiWalletArgs *args;

  if (!id)
    return;
  if (!(body = parse_body (req, pin_fields, NULL, NULL, &error)))
    {
      globi_request_reply_error (req, error);
      return;
    }
  args = args_new (req);
  args->id = g_strdup (id);
  run_with_pin (req, func, args, json_object_get_string_member (body, "pin"), NULL);
}

void
globi_routes_pay_request (GlobiRequest *req)
{
  run_id_with_pin (req, globi_store_wallet_pay_request);
}

void
globi_routes_decline_request (GlobiRequest *req)
{
  const char *id = id_param (req);
  GlobiWalletArgs *args;

  if (!id)
    return;
  args = args_new (req);
  args->id = g_strdup (id);
  run (req, globi_store_wallet_decline_request, args);
}

void
globi_routes_create_red_packet (GlobiRequest *req)
{
  static const NumberField numbers_fields[] = {
    { "total", TRUE, 1, GLOBI_MONEY_MAX_MINOR },
    { "count", FALSE, 1, GLOBI_WALLET_MAX_RED_PACKET },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  gint64 numbers[2] = { 0 };
  g_autoptr (JsonObject) body =
      parse_body (req, red_packet_fields, numbers_fields, numbers, &error);
  g_autoptr (GlobiWalletArgs) args = args_new (req);

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  args->id = dup_member (body, "id");
  args->other_id = dup_member (body, "group_id");
  args->currency = g_strdup (amount_currency (body, "total"));
  args->minor = numbers[0];
  args->count = (guint) numbers[1];
  args->random_split = g_str_equal (json_object_get_string_member (body, "split"), "random");
  args->note = dup_member (body, "note");
  run_with_pin (req, globi_store_wallet_red_packet, g_steal_pointer (&args),
                json_object_get_string_member (body, "pin"), NULL);
}

static void
run_on_id (GlobiRequest *req, GlobiStoreFunc func)
{
  GlobiWalletArgs *args = id_args (req);

  if (args)
    run (req, func, args);
}

void
globi_routes_claim_red_packet (GlobiRequest *req)
{
  run_on_id (req, globi_store_wallet_claim);
}

void
globi_routes_get_red_packet (GlobiRequest *req)
{
  run_on_id (req, globi_store_wallet_get_red_packet);
}

void
globi_routes_create_payment (GlobiRequest *req)
{
  g_autoptr (GError) error = NULL;
  gint64 numbers[1] = { 0 };
  g_autoptr (JsonObject) body = parse_body (req, payment_fields, amount_number, numbers, &error);
  g_autoptr (GlobiWalletArgs) args = args_new (req);
  GlobiRateSet *rates;

  if (!body)
    {
      globi_request_reply_error (req, error);
      return;
    }
  args->id = dup_member (body, "id");
  args->other_id = dup_member (body, "payee_id");
  args->currency = g_strdup (amount_currency (body, "amount"));
  args->minor = numbers[0];
  args->to_currency = dup_member (body, "payee_currency");
  args->note = dup_member (body, "note");
  if (args->to_currency && !g_str_equal (args->to_currency, args->currency))
    {
      /* The rates of this moment go into the job: what the payer saw is what is recorded. */
      rates = globi_rates_get_current (service_get (globi_request_get_server (req))->rates);
      args->from_rate = g_strdup (globi_rate_set_lookup (rates, args->currency));
      args->to_rate = g_strdup (globi_rate_set_lookup (rates, args->to_currency));
      args->rate_date = g_strdup (globi_rate_set_get_date (rates));
      if (!args->from_rate || !args->to_rate)
        {
          globi_request_reply_error_code (req, GLOBI_ERROR_INVALID_FIELD,
                                          "payee_currency: no rate for this pair of currencies");
          return;
        }
    }
  run_with_pin (req, globi_store_wallet_payment, g_steal_pointer (&args),
                json_object_get_string_member (body, "pin"), NULL);
}

void
globi_routes_refund_payment (GlobiRequest *req)
{
  run_id_with_pin (req, globi_store_wallet_refund);
}

static gboolean
one_of (const char *value, const char *const *allowed)
{
  return value && g_strv_contains (allowed, value);
}

void
globi_routes_list_transactions (GlobiRequest *req)
{
  static const char *const kinds[] = { "starter",    "transfer", "request", "payment",
                                       "red_packet", "claim",    NULL };
  static const char *const states[] = { "pending",  "completed", "returned",
                                        "declined", "refunded",  NULL };
  GUri *uri = soup_server_message_get_uri (globi_request_get_message (req));
  const char *query = g_uri_get_query (uri);
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GlobiWalletArgs) args = args_new (req);
  GHashTableIter iter;
  const char *key, *value;

  args->limit = 50;
  if (query && !(params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL)))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_BAD_REQUEST, "bad query string");
      return;
    }
  if (params)
    {
      g_hash_table_iter_init (&iter, params);
      while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &value))
        {
          char *end = NULL;
          gint64 number;

          if (g_str_equal (key, "kind") && one_of (value, kinds))
            args->kind = g_strdup (value);
          else if (g_str_equal (key, "state") && one_of (value, states))
            args->state = g_strdup (value);
          else if (g_str_equal (key, "currency") && globi_currency_is_known (value))
            args->currency = g_strdup (value);
          else if ((g_str_equal (key, "before") || g_str_equal (key, "limit")) &&
                   g_ascii_isdigit (value[0]) && strlen (value) <= 18 &&
                   (number = g_ascii_strtoll (value, &end, 10)) > 0 && *end == '\0' &&
                   (g_str_equal (key, "before") || number <= GLOBI_WALLET_MAX_PAGE))
            {
              if (g_str_equal (key, "before"))
                args->before = number;
              else
                args->limit = (guint) number;
            }
          else
            {
              g_autofree char *message = g_strdup_printf ("bad query parameter %s", key);

              globi_request_reply_error_code (req, GLOBI_ERROR_BAD_REQUEST, message);
              return;
            }
        }
    }
  run (req, globi_store_wallet_list, g_steal_pointer (&args));
}

void
globi_routes_get_transaction (GlobiRequest *req)
{
  run_on_id (req, globi_store_wallet_get_transaction);
}

void
globi_routes_get_rates (GlobiRequest *req)
{
  Service *service = service_get (globi_request_get_server (req));
  g_autoptr (JsonNode) node = globi_rate_set_to_json (globi_rates_get_current (service->rates));

  globi_request_reply_json (req, 200, node);
}
