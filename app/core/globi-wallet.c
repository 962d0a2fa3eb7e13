/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-wallet"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "globi-client.h"
#include "globi-core-util.h"
#include "globi-emvco.h"
#include "globi-error.h"
#include "globi-id.h"
#include "globi-money.h"
#include "globi-wallet.h"

enum
{
  SIGNAL_CHANGED,
  SIGNAL_TRANSACTION_UPDATED,
  SIGNAL_RATES_CHANGED,
  N_SIGNALS
};

/* What a route's reply holds. */
typedef enum
{
  REPLY_NONE,
  REPLY_WALLET,
  REPLY_RATES,
  REPLY_TRANSACTION,
  REPLY_RED_PACKET,
  REPLY_LIST,
} ReplyKind;

struct _GlobiWallet
{
  GObject parent_instance;

  GlobiSession *session;
  gboolean loaded;
  GArray *balances; /* GlobiBalance */
  char *preferred_currency;
  gboolean pin_set;
  gint64 pin_locked_until;
  guint generation; /* bumped by every change this client makes (see Call) */

  JsonObject *rates; /* {"EUR": "1", "USD": "1.0866", ...} */
  char *rates_date;
  char *rates_source;

  GHashTable *transactions; /* id → GlobiTransaction */
};

G_DEFINE_FINAL_TYPE (GlobiWallet, globi_wallet, G_TYPE_OBJECT)

static guint signals[N_SIGNALS];

typedef struct
{
  GPtrArray *items;
  char *next;
} Page;

static void
page_free (Page *page)
{
  g_clear_pointer (&page->items, g_ptr_array_unref);
  g_free (page->next);
  g_free (page);
}

static void
globi_wallet_dispose (GObject *object)
{
  GlobiWallet *self = GLOBI_WALLET (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->transactions, g_hash_table_unref);
  G_OBJECT_CLASS (globi_wallet_parent_class)->dispose (object);
}

static void
globi_wallet_finalize (GObject *object)
{
  GlobiWallet *self = GLOBI_WALLET (object);

  g_clear_pointer (&self->balances, g_array_unref);
  g_clear_pointer (&self->preferred_currency, g_free);
  g_clear_pointer (&self->rates, json_object_unref);
  g_clear_pointer (&self->rates_date, g_free);
  g_clear_pointer (&self->rates_source, g_free);
  G_OBJECT_CLASS (globi_wallet_parent_class)->finalize (object);
}

static void
globi_wallet_class_init (GlobiWalletClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = globi_wallet_dispose;
  object_class->finalize = globi_wallet_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_TRANSACTION_UPDATED] =
      g_signal_new ("transaction-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                    NULL, NULL, G_TYPE_NONE, 1, GLOBI_TYPE_TRANSACTION);
  signals[SIGNAL_RATES_CHANGED] =
      g_signal_new ("rates-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 0);
}

static void
globi_wallet_init (GlobiWallet *self)
{
  self->balances = g_array_new (FALSE, TRUE, sizeof (GlobiBalance));
  self->transactions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/* JSON helpers */

static const char *
string_member (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return globi_json_node_holds (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;
}

static JsonObject *
object_member (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

static JsonObject *
money_object (const char *currency, gint64 minor)
{
  JsonObject *money = json_object_new ();

  json_object_set_string_member (money, "currency", currency);
  json_object_set_int_member (money, "minor", minor);
  return money;
}

/* "u:ID" → {"user_id": ID}; "g:ID" → {"group_id": ID}. */
static JsonObject *
chat_object (const char *chat_id)
{
  JsonObject *chat;

  if (!chat_id || strlen (chat_id) < 3 || chat_id[1] != ':')
    return NULL;
  chat = json_object_new ();
  json_object_set_string_member (chat, chat_id[0] == 'g' ? "group_id" : "user_id", chat_id + 2);
  return chat;
}

/* State */

static GlobiTransaction *
intern_transaction (GlobiWallet *self, JsonObject *object, GError **error)
{
  const char *id = string_member (object, "id");
  GlobiTransaction *transaction = id ? g_hash_table_lookup (self->transactions, id) : NULL;

  if (transaction)
    {
      globi_transaction_update_from_json (transaction, object);
    }
  else
    {
      transaction = globi_transaction_new_from_json (object, error);
      if (!transaction)
        return NULL;
      g_hash_table_insert (self->transactions, g_strdup (id), transaction);
    }
  g_signal_emit (self, signals[SIGNAL_TRANSACTION_UPDATED], 0, transaction);
  return transaction;
}

static int
compare_balances (gconstpointer a, gconstpointer b)
{
  return strcmp (((const GlobiBalance *) a)->currency, ((const GlobiBalance *) b)->currency);
}

static gboolean
apply_wallet (GlobiWallet *self, JsonObject *wallet, GError **error)
{
  JsonNode *balances = json_object_get_member (wallet, "balances");
  JsonNode *locked = json_object_get_member (wallet, "pin_locked_until");
  JsonNode *pin_set = json_object_get_member (wallet, "pin_set");
  JsonArray *array;

  if (!balances || !JSON_NODE_HOLDS_ARRAY (balances))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                           "The server's wallet has no balances");
      return FALSE;
    }
  array = json_node_get_array (balances);
  g_array_set_size (self->balances, 0);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *money = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *currency = string_member (money, "currency");
      JsonNode *minor = money ? json_object_get_member (money, "minor") : NULL;
      GlobiBalance balance = { 0 };

      if (!currency || strlen (currency) != 3 || !globi_json_node_holds (minor, G_TYPE_INT64))
        continue;
      memcpy (balance.currency, currency, 4);
      balance.minor = json_node_get_int (minor);
      g_array_append_val (self->balances, balance);
    }
  g_array_sort (self->balances, compare_balances);
  globi_set_str (&self->preferred_currency, string_member (wallet, "preferred_currency"));
  self->pin_set =
      globi_json_node_holds (pin_set, G_TYPE_BOOLEAN) && json_node_get_boolean (pin_set);
  self->pin_locked_until =
      globi_json_node_holds (locked, G_TYPE_INT64) ? json_node_get_int (locked) : 0;
  self->loaded = TRUE;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

static gboolean
apply_rates (GlobiWallet *self, JsonObject *object, GError **error)
{
  JsonObject *rates = object_member (object, "rates");
  const char *date = string_member (object, "date");

  if (!rates || !date)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                           "The server's rates have no date or rates");
      return FALSE;
    }
  /* A live event may race an older GET reply: keep the newest set (ISO dates sort). */
  if (self->rates_date && strcmp (date, self->rates_date) < 0)
    return TRUE;
  g_clear_pointer (&self->rates, json_object_unref);
  self->rates = json_object_ref (rates);
  globi_set_str (&self->rates_date, date);
  if (string_member (object, "source"))
    globi_set_str (&self->rates_source, string_member (object, "source"));
  g_signal_emit (self, signals[SIGNAL_RATES_CHANGED], 0);
  return TRUE;
}

/* Route calls */

typedef struct
{
  ReplyKind kind;
  gboolean moves_money;
  guint generation; /* the wallet's generation when the call started */
} Call;

static void refresh_quietly (GlobiWallet *self);

static gboolean
apply_list (GlobiWallet *self, JsonNode *reply, Page *page, GError **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  JsonNode *items = object ? json_object_get_member (object, "transactions") : NULL;
  JsonArray *array;

  if (!items || !JSON_NODE_HOLDS_ARRAY (items))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                           "The server's reply has no transactions");
      return FALSE;
    }
  array = json_node_get_array (items);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      GlobiTransaction *transaction;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      transaction = intern_transaction (self, json_node_get_object (node), NULL);
      if (transaction)
        g_ptr_array_add (page->items, g_object_ref (transaction));
    }
  page->next = g_strdup (string_member (object, "next"));
  return TRUE;
}

static void
on_call_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiWallet *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = NULL;
  JsonObject *object;

  reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  if (!reply)
    {
      /* The lock's end and the PIN state live in the wallet object. */
      if (g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_WRONG_PIN) ||
          g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_PIN_LOCKED) ||
          g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_PIN_REQUIRED))
        refresh_quietly (self);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (call->moves_money)
    {
      /* A wallet read that was in flight before this change is stale: drop its reply and
       * read again. */
      self->generation++;
      refresh_quietly (self);
    }
  /* The PIN is set now, whatever the refresh above says later. */
  if (g_task_get_source_tag (task) == globi_wallet_set_pin_async && !self->pin_set)
    {
      self->pin_set = TRUE;
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
    }

  switch (call->kind)
    {
      case REPLY_NONE:
        g_task_return_boolean (task, TRUE);
        break;

      case REPLY_WALLET:
      case REPLY_RATES:
        if (!JSON_NODE_HOLDS_OBJECT (reply))
          g_set_error_literal (&error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                               "The server's reply is not an object");
        else if (call->kind == REPLY_WALLET)
          {
            /* A stale read is dropped: the refresh the change started brings its state. */
            if (call->generation == self->generation)
              apply_wallet (self, json_node_get_object (reply), &error);
          }
        else
          apply_rates (self, json_node_get_object (reply), &error);
        if (error)
          g_task_return_error (task, g_steal_pointer (&error));
        else
          g_task_return_boolean (task, TRUE);
        break;

      case REPLY_TRANSACTION:
        {
          GlobiTransaction *transaction = NULL;

          if ((object = globi_json_get_object_member (reply, "transaction", &error)))
            transaction = intern_transaction (self, object, &error);
          if (transaction)
            g_task_return_pointer (task, g_object_ref (transaction), g_object_unref);
          else
            g_task_return_error (task, g_steal_pointer (&error));
        }
        break;

      case REPLY_RED_PACKET:
        if ((object = globi_json_get_object_member (reply, "red_packet", &error)))
          g_task_return_pointer (task, json_object_ref (object),
                                 (GDestroyNotify) json_object_unref);
        else
          g_task_return_error (task, g_steal_pointer (&error));
        break;

      case REPLY_LIST:
        {
          Page *page = g_new0 (Page, 1);

          page->items = g_ptr_array_new_with_free_func (g_object_unref);
          if (apply_list (self, reply, page, &error))
            g_task_return_pointer (task, page, (GDestroyNotify) page_free);
          else
            {
              page_free (page);
              g_task_return_error (task, g_steal_pointer (&error));
            }
        }
        break;
    }
}

/* body is taken. */
static void
call (GlobiWallet *self,
      gpointer source_tag,
      const char *method,
      const char *path,
      JsonObject *body,
      ReplyKind kind,
      gboolean moves_money,
      GCancellable *cancellable,
      GAsyncReadyCallback callback,
      gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (JsonNode) node = body ? object_node (body) : NULL;
  Call *data = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  data->kind = kind;
  data->moves_money = moves_money;
  data->generation = self->generation;
  g_task_set_task_data (task, data, g_free);
  globi_client_call_async (globi_session_get_client (self->session), method, path, node,
                           GLOBI_CALL_FLAGS_AUTH, cancellable, on_call_cb, task);
}

/* "/v1/wallet/transfers/ID/accept" with id escaped. */
static char *
path_for (const char *prefix, const char *id, const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);

  return g_strconcat (prefix, "/", escaped, suffix, NULL);
}

static void
refresh_quietly (GlobiWallet *self)
{
  globi_wallet_refresh_async (self, NULL, NULL, NULL);
}

/* Live updates */

static void
on_event_cb (GlobiMessenger *messenger, const char *kind, JsonObject *event, gpointer user_data)
{
  GlobiWallet *self = user_data;

  if (g_strcmp0 (kind, "wallet_updated") == 0)
    {
      JsonObject *transaction = object_member (event, "transaction");
      g_autoptr (GError) error = NULL;

      if (transaction && !intern_transaction (self, transaction, &error))
        g_warning ("Ignoring a wallet update: %s", error->message);
      refresh_quietly (self);
    }
  else if (g_strcmp0 (kind, "rates_updated") == 0)
    {
      g_autoptr (GError) error = NULL;

      if (!apply_rates (self, event, &error))
        g_warning ("Ignoring a rates update: %s", error->message);
    }
}

static void
on_caught_up_cb (GlobiMessenger *messenger, gpointer user_data)
{
  GlobiWallet *self = user_data;

  /* After a reconnect the balances may have moved while we were away. */
  if (self->loaded)
    refresh_quietly (self);
}

/* Public API */

GlobiWallet *
globi_wallet_new (GlobiSession *session)
{
  GlobiWallet *self;

  g_return_val_if_fail (GLOBI_IS_SESSION (session), NULL);

  self = g_object_new (GLOBI_TYPE_WALLET, NULL);
  self->session = g_object_ref (session);
  return self;
}

GlobiWallet *
globi_wallet_get_for_messenger (GlobiMessenger *messenger)
{
  GlobiWallet *self;

  g_return_val_if_fail (GLOBI_IS_MESSENGER (messenger), NULL);

  self = g_object_get_data (G_OBJECT (messenger), "globi-wallet");
  if (self)
    return self;

  self = globi_wallet_new (globi_messenger_get_session (messenger));
  g_object_set_data_full (G_OBJECT (messenger), "globi-wallet", self, g_object_unref);
  if (g_signal_lookup ("event", GLOBI_TYPE_MESSENGER))
    g_signal_connect_object (messenger, "event", G_CALLBACK (on_event_cb), self, 0);
  g_signal_connect_object (messenger, "caught-up", G_CALLBACK (on_caught_up_cb), self, 0);
  return self;
}

GlobiSession *
globi_wallet_get_session (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), NULL);
  return self->session;
}

const char *
globi_wallet_get_user_id (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), NULL);
  return self->session ? globi_session_get_user_id (self->session) : NULL;
}

gboolean
globi_wallet_get_loaded (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), FALSE);
  return self->loaded;
}

GArray *
globi_wallet_get_balances (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), NULL);
  return self->balances;
}

gint64
globi_wallet_get_balance (GlobiWallet *self, const char *currency)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), 0);

  for (guint i = 0; currency && i < self->balances->len; i++)
    {
      GlobiBalance *balance = &g_array_index (self->balances, GlobiBalance, i);

      if (strcmp (balance->currency, currency) == 0)
        return balance->minor;
    }
  return 0;
}

const char *
globi_wallet_get_preferred_currency (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), NULL);
  return self->preferred_currency;
}

gboolean
globi_wallet_get_pin_set (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), FALSE);
  return self->pin_set;
}

gint64
globi_wallet_get_pin_locked_until (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), 0);
  return self->pin_locked_until;
}

void
globi_wallet_refresh_async (GlobiWallet *self,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_WALLET (self));
  call (self, globi_wallet_refresh_async, "GET", "/v1/wallet", NULL, REPLY_WALLET, FALSE,
        cancellable, callback, user_data);
}

void
globi_wallet_load_rates_async (GlobiWallet *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_WALLET (self));
  call (self, globi_wallet_load_rates_async, "GET", "/v1/rates", NULL, REPLY_RATES, FALSE,
        cancellable, callback, user_data);
}

gboolean
globi_wallet_has_rates (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), FALSE);
  return self->rates != NULL;
}

const char *
globi_wallet_get_rates_date (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), NULL);
  return self->rates_date;
}

const char *
globi_wallet_get_rates_source (GlobiWallet *self)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), NULL);
  return self->rates_source;
}

static const char *
rate_of (GlobiWallet *self, const char *currency, GError **error)
{
  const char *rate = currency ? string_member (self->rates, currency) : NULL;

  if (!self->rates)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                         _ ("Exchange rates are not loaded yet"));
  else if (!rate)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("There is no exchange rate for %s"),
                 currency ? currency : "?");
  return rate;
}

gboolean
globi_wallet_convert (GlobiWallet *self,
                      gint64 minor,
                      const char *from,
                      const char *to,
                      gint64 *out_minor,
                      GError **error)
{
  const char *from_rate;
  const char *to_rate;

  g_return_val_if_fail (GLOBI_IS_WALLET (self), FALSE);

  if (!(from_rate = rate_of (self, from, error)) || !(to_rate = rate_of (self, to, error)))
    return FALSE;
  return globi_money_convert (minor, from, from_rate, to, to_rate, out_minor, error);
}

char *
globi_wallet_dup_rate (GlobiWallet *self, const char *from, const char *to)
{
  const char *from_rate;
  const char *to_rate;

  g_return_val_if_fail (GLOBI_IS_WALLET (self), NULL);

  if (!(from_rate = rate_of (self, from, NULL)) || !(to_rate = rate_of (self, to, NULL)))
    return NULL;
  return globi_money_cross_rate (from_rate, to_rate);
}

GlobiTransaction *
globi_wallet_lookup_transaction (GlobiWallet *self, const char *id)
{
  g_return_val_if_fail (GLOBI_IS_WALLET (self), NULL);
  return id ? g_hash_table_lookup (self->transactions, id) : NULL;
}

void
globi_wallet_list_async (GlobiWallet *self,
                         const char *kind,
                         const char *currency,
                         const char *state,
                         const char *before,
                         guint limit,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_autoptr (GString) path = g_string_new ("/v1/wallet/transactions");
  const char *names[] = { "kind", "currency", "state", "before" };
  const char *values[] = { kind, currency, state, before };
  char sep = '?';

  g_return_if_fail (GLOBI_IS_WALLET (self));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *escaped = NULL;

      if (!values[i] || !*values[i])
        continue;
      escaped = g_uri_escape_string (values[i], NULL, FALSE);
      g_string_append_printf (path, "%c%s=%s", sep, names[i], escaped);
      sep = '&';
    }
  if (limit > 0)
    g_string_append_printf (path, "%climit=%u", sep, MIN (limit, 100));
  call (self, globi_wallet_list_async, "GET", path->str, NULL, REPLY_LIST, FALSE, cancellable,
        callback, user_data);
}

GPtrArray *
globi_wallet_list_finish (GlobiWallet *self, GAsyncResult *result, char **next, GError **error)
{
  Page *page;
  GPtrArray *items;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  page = g_task_propagate_pointer (G_TASK (result), error);
  if (next)
    *next = page ? g_steal_pointer (&page->next) : NULL;
  if (!page)
    return NULL;
  items = g_steal_pointer (&page->items);
  page_free (page);
  return items;
}

GlobiTransaction *
globi_wallet_transaction_finish (GlobiWallet *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
globi_wallet_get_transaction_async (GlobiWallet *self,
                                    const char *id,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (GLOBI_IS_WALLET (self) && id);

  path = path_for ("/v1/wallet/transactions", id, "");
  call (self, globi_wallet_get_transaction_async, "GET", path, NULL, REPLY_TRANSACTION, FALSE,
        cancellable, callback, user_data);
}

char *
globi_wallet_new_operation_id (void)
{
  return globi_id_new ();
}

/* The members every money-moving body shares: the operation's id, note and PIN, whom it
 * goes to or comes from (who_member: who) and its amount (amount_member). */
static JsonObject *
operation_body (const char *id,
                const char *note,
                const char *pin,
                const char *who_member,
                const char *who,
                const char *amount_member,
                const char *currency,
                gint64 minor)
{
  JsonObject *body = json_object_new ();
  g_autofree char *fresh = id ? NULL : globi_id_new ();

  json_object_set_string_member (body, "id", id ? id : fresh);
  if (note && *note)
    json_object_set_string_member (body, "note", note);
  if (pin)
    json_object_set_string_member (body, "pin", pin);
  json_object_set_string_member (body, who_member, who);
  json_object_set_object_member (body, amount_member, money_object (currency, minor));
  return body;
}

void
globi_wallet_transfer_async (GlobiWallet *self,
                             const char *id,
                             const char *to_user_id,
                             const char *currency,
                             gint64 minor,
                             const char *note,
                             const char *pin,
                             const char *chat_id,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  JsonObject *body;
  JsonObject *chat;

  g_return_if_fail (GLOBI_IS_WALLET (self) && to_user_id && currency);

  body = operation_body (id, note, pin, "to_user_id", to_user_id, "amount", currency, minor);
  if ((chat = chat_object (chat_id)))
    json_object_set_object_member (body, "chat", chat);
  call (self, globi_wallet_transfer_async, "POST", "/v1/wallet/transfers", body, REPLY_TRANSACTION,
        TRUE, cancellable, callback, user_data);
}

void
globi_wallet_accept_async (GlobiWallet *self,
                           const char *transfer_id,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (GLOBI_IS_WALLET (self) && transfer_id);

  path = path_for ("/v1/wallet/transfers", transfer_id, "/accept");
  call (self, globi_wallet_accept_async, "POST", path, NULL, REPLY_TRANSACTION, TRUE, cancellable,
        callback, user_data);
}

void
globi_wallet_decline_async (GlobiWallet *self,
                            GlobiTransaction *transaction,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autofree char *path = NULL;
  gboolean request;

  g_return_if_fail (GLOBI_IS_WALLET (self) && GLOBI_IS_TRANSACTION (transaction));

  request = g_strcmp0 (globi_transaction_get_kind (transaction), GLOBI_TRANSACTION_REQUEST) == 0;
  path = path_for (request ? "/v1/wallet/requests" : "/v1/wallet/transfers",
                   globi_transaction_get_id (transaction), "/decline");
  call (self, globi_wallet_decline_async, "POST", path, NULL, REPLY_TRANSACTION, TRUE, cancellable,
        callback, user_data);
}

void
globi_wallet_request_async (GlobiWallet *self,
                            const char *id,
                            const char *from_user_id,
                            const char *currency,
                            gint64 minor,
                            const char *note,
                            const char *chat_id,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  JsonObject *body;
  JsonObject *chat;

  g_return_if_fail (GLOBI_IS_WALLET (self) && from_user_id && currency);

  body = operation_body (id, note, NULL, "from_user_id", from_user_id, "amount", currency, minor);
  if ((chat = chat_object (chat_id)))
    json_object_set_object_member (body, "chat", chat);
  call (self, globi_wallet_request_async, "POST", "/v1/wallet/requests", body, REPLY_TRANSACTION,
        FALSE, cancellable, callback, user_data);
}

void
globi_wallet_pay_request_async (GlobiWallet *self,
                                const char *request_id,
                                const char *pin,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autofree char *path = NULL;
  JsonObject *body = json_object_new ();

  g_return_if_fail (GLOBI_IS_WALLET (self) && request_id);

  json_object_set_string_member (body, "pin", pin ? pin : "");
  path = path_for ("/v1/wallet/requests", request_id, "/pay");
  call (self, globi_wallet_pay_request_async, "POST", path, body, REPLY_TRANSACTION, TRUE,
        cancellable, callback, user_data);
}

void
globi_wallet_pay_async (GlobiWallet *self,
                        const char *id,
                        const char *payee_id,
                        const char *currency,
                        gint64 minor,
                        const char *payee_currency,
                        const char *note,
                        const char *pin,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
  JsonObject *body;

  g_return_if_fail (GLOBI_IS_WALLET (self) && payee_id && currency);

  body = operation_body (id, note, pin, "payee_id", payee_id, "amount", currency, minor);
  if (payee_currency && g_strcmp0 (payee_currency, currency) != 0)
    json_object_set_string_member (body, "payee_currency", payee_currency);
  call (self, globi_wallet_pay_async, "POST", "/v1/wallet/payments", body, REPLY_TRANSACTION, TRUE,
        cancellable, callback, user_data);
}

void
globi_wallet_create_red_packet_async (GlobiWallet *self,
                                      const char *id,
                                      const char *group_id,
                                      const char *currency,
                                      gint64 total_minor,
                                      guint count,
                                      gboolean random_split,
                                      const char *note,
                                      const char *pin,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  JsonObject *body;

  g_return_if_fail (GLOBI_IS_WALLET (self) && group_id && currency);

  body = operation_body (id, note, pin, "group_id", group_id, "total", currency, total_minor);
  json_object_set_int_member (body, "count", count);
  json_object_set_string_member (body, "split", random_split ? "random" : "fixed");
  call (self, globi_wallet_create_red_packet_async, "POST", "/v1/wallet/red-packets", body,
        REPLY_RED_PACKET, TRUE, cancellable, callback, user_data);
}

void
globi_wallet_claim_red_packet_async (GlobiWallet *self,
                                     const char *red_packet_id,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (GLOBI_IS_WALLET (self) && red_packet_id);

  path = path_for ("/v1/wallet/red-packets", red_packet_id, "/claim");
  call (self, globi_wallet_claim_red_packet_async, "POST", path, NULL, REPLY_RED_PACKET, TRUE,
        cancellable, callback, user_data);
}

void
globi_wallet_get_red_packet_async (GlobiWallet *self,
                                   const char *red_packet_id,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (GLOBI_IS_WALLET (self) && red_packet_id);

  path = path_for ("/v1/wallet/red-packets", red_packet_id, "");
  call (self, globi_wallet_get_red_packet_async, "GET", path, NULL, REPLY_RED_PACKET, FALSE,
        cancellable, callback, user_data);
}

JsonObject *
globi_wallet_red_packet_finish (GlobiWallet *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
globi_wallet_set_pin_async (GlobiWallet *self,
                            const char *pin,
                            const char *current_pin,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  JsonObject *body = json_object_new ();

  g_return_if_fail (GLOBI_IS_WALLET (self) && pin);

  json_object_set_string_member (body, "pin", pin);
  if (current_pin)
    json_object_set_string_member (body, "current_pin", current_pin);
  /* moves_money: not money, but pin_set changes and the wallet says so. */
  call (self, globi_wallet_set_pin_async, "PUT", "/v1/wallet/pin", body, REPLY_NONE, TRUE,
        cancellable, callback, user_data);
}

gboolean
globi_wallet_finish (GlobiWallet *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static JsonObject *
copy_money (JsonObject *money)
{
  JsonObject *copy = json_object_new ();
  JsonNode *minor = money ? json_object_get_member (money, "minor") : NULL;

  json_object_set_string_member (copy, "currency", string_member (money, "currency"));
  json_object_set_int_member (
      copy, "minor", globi_json_node_holds (minor, G_TYPE_INT64) ? json_node_get_int (minor) : 0);
  return copy;
}

JsonObject *
globi_wallet_card_for_transaction (GlobiTransaction *transaction, const char **kind_out)
{
  JsonObject *card;
  const char *kind;

  g_return_val_if_fail (GLOBI_IS_TRANSACTION (transaction), NULL);

  kind = g_strcmp0 (globi_transaction_get_kind (transaction), GLOBI_TRANSACTION_REQUEST) == 0
             ? "request"
             : "transfer";
  card = json_object_new ();
  json_object_set_string_member (card, "transaction_id", globi_transaction_get_id (transaction));
  json_object_set_object_member (
      card, "amount",
      copy_money (object_member (globi_transaction_get_json (transaction), "amount")));
  json_object_set_string_member (card, "note", globi_transaction_get_note (transaction));
  if (kind_out)
    *kind_out = kind;
  return card;
}

JsonObject *
globi_wallet_card_for_red_packet (JsonObject *red_packet)
{
  JsonObject *card;
  JsonNode *count;

  g_return_val_if_fail (red_packet != NULL, NULL);

  card = json_object_new ();
  count = json_object_get_member (red_packet, "count");
  json_object_set_string_member (card, "red_packet_id", string_member (red_packet, "id"));
  json_object_set_object_member (card, "total", copy_money (object_member (red_packet, "total")));
  json_object_set_int_member (
      card, "count", globi_json_node_holds (count, G_TYPE_INT64) ? json_node_get_int (count) : 0);
  json_object_set_string_member (card, "split", string_member (red_packet, "split"));
  json_object_set_string_member (
      card, "note", string_member (red_packet, "note") ? string_member (red_packet, "note") : "");
  return card;
}

gboolean
globi_wallet_pin_is_valid (const char *pin)
{
  if (!pin || strlen (pin) != 6)
    return FALSE;
  for (int i = 0; i < 6; i++)
    if (!g_ascii_isdigit (pin[i]))
      return FALSE;
  return TRUE;
}

/* "http://host:port/..." → "host:port" */
static char *
server_host (const char *url)
{
  g_autoptr (GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  if (!uri || !g_uri_get_host (uri))
    return NULL;
  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
  return g_strdup (g_uri_get_host (uri));
}

char *
globi_wallet_dup_receive_code (
    GlobiWallet *self, const char *currency, gint64 amount_minor, const char *note, GError **error)
{
  GlobiProfile *me;
  g_autofree char *host = NULL;
  g_autofree char *amount = NULL;
  GlobiEmvcoPayment payment = { 0 };
  const char *name;

  g_return_val_if_fail (GLOBI_IS_WALLET (self), NULL);

  me = globi_session_get_me (self->session);
  if (!me)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, _ ("Not signed in"));
      return NULL;
    }
  if (currency && !globi_emvco_currency_to_numeric (currency))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INVALID_FIELD,
                   _ ("%s cannot be put in a payment code"), currency);
      return NULL;
    }
  if (amount_minor > 0 && currency)
    amount = globi_money_format (amount_minor, currency, GLOBI_MONEY_FORMAT_NO_GROUPING);
  name = globi_profile_get_display_name (me);
  host = server_host (globi_session_get_server_url (self->session));

  payment.payee_id = globi_profile_get_id (me);
  payment.server = host;
  payment.payee_name = name && *name ? name : globi_profile_get_username (me);
  payment.city = globi_profile_get_region (me);
  payment.currency = currency ? globi_emvco_currency_to_numeric (currency) : NULL;
  payment.amount = amount;
  payment.note = note && *note ? note : NULL;
  return globi_emvco_encode_payment (&payment, error);
}
