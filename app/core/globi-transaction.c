/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-transaction"

#include "config.h"

#include "globi-error.h"
#include "globi-core-util.h"
#include "globi-transaction.h"

enum
{
  PROP_0,
  PROP_STATE,
  PROP_UPDATED_AT,
  N_PROPS
};

struct _GlobiTransaction
{
  GObject parent_instance;

  JsonObject *json;
  char *id;
  char *state;
  gint64 updated_at;
  char *chat_id;
};

G_DEFINE_FINAL_TYPE (GlobiTransaction, globi_transaction, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static const char *
string_member (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return globi_json_node_holds (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;
}

static gint64
int_member (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return globi_json_node_holds (node, G_TYPE_INT64) ? json_node_get_int (node) : 0;
}

static JsonObject *
object_member (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
is_valid (JsonObject *object)
{
  JsonObject *amount = object_member (object, "amount");

  return string_member (object, "id") && string_member (object, "kind") &&
         string_member (object, "state") && string_member (amount, "currency") &&
         globi_json_node_holds (json_object_get_member (amount, "minor"), G_TYPE_INT64);
}

static void
globi_transaction_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiTransaction *self = GLOBI_TRANSACTION (object);

  switch (prop_id)
    {
      case PROP_STATE:
        g_value_set_string (value, self->state);
        break;

      case PROP_UPDATED_AT:
        g_value_set_int64 (value, self->updated_at);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_transaction_finalize (GObject *object)
{
  GlobiTransaction *self = GLOBI_TRANSACTION (object);

  g_clear_pointer (&self->json, json_object_unref);
  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->state, g_free);
  g_clear_pointer (&self->chat_id, g_free);
  G_OBJECT_CLASS (globi_transaction_parent_class)->finalize (object);
}

static void
globi_transaction_class_init (GlobiTransactionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = globi_transaction_get_property;
  object_class->finalize = globi_transaction_finalize;

  properties[PROP_STATE] =
      g_param_spec_string ("state", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPDATED_AT] = g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_transaction_init (GlobiTransaction *self)
{
}

/* The copy keeps the object independent of the reply it came in. */
static void
assign (GlobiTransaction *self, JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonNode) copy = NULL;
  JsonObject *chat;

  json_node_set_object (node, object);
  copy = json_node_copy (node);
  g_clear_pointer (&self->json, json_object_unref);
  self->json = json_object_ref (json_node_get_object (copy));

  g_clear_pointer (&self->chat_id, g_free);
  if ((chat = object_member (self->json, "chat")) != NULL)
    {
      if (string_member (chat, "user_id"))
        self->chat_id = g_strconcat ("u:", string_member (chat, "user_id"), NULL);
      else if (string_member (chat, "group_id"))
        self->chat_id = g_strconcat ("g:", string_member (chat, "group_id"), NULL);
    }
}

GlobiTransaction *
globi_transaction_new_from_json (JsonObject *object, GError **error)
{
  GlobiTransaction *self;

  g_return_val_if_fail (object != NULL, NULL);

  if (!is_valid (object))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                           "The server sent a transaction without id, kind, state or amount");
      return NULL;
    }
  self = g_object_new (GLOBI_TYPE_TRANSACTION, NULL);
  assign (self, object);
  self->id = g_strdup (string_member (object, "id"));
  self->state = g_strdup (string_member (object, "state"));
  self->updated_at = int_member (object, "updated_at");
  return self;
}

gboolean
globi_transaction_update_from_json (GlobiTransaction *self, JsonObject *object)
{
  gint64 updated_at;

  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), FALSE);

  if (!is_valid (object) || g_strcmp0 (string_member (object, "id"), self->id) != 0)
    return FALSE;
  updated_at = int_member (object, "updated_at");
  /* Replies and events can cross: never step back to an older state. */
  if (updated_at < self->updated_at)
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  assign (self, object);
  if (globi_set_str (&self->state, string_member (object, "state")))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (updated_at != self->updated_at)
    {
      self->updated_at = updated_at;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_AT]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

JsonObject *
globi_transaction_get_json (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return self->json;
}

const char *
globi_transaction_get_id (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return self->id;
}

const char *
globi_transaction_get_kind (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return string_member (self->json, "kind");
}

const char *
globi_transaction_get_state (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return self->state;
}

const char *
globi_transaction_get_currency (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return string_member (object_member (self->json, "amount"), "currency");
}

gint64
globi_transaction_get_minor (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), 0);
  return int_member (object_member (self->json, "amount"), "minor");
}

const char *
globi_transaction_get_amount_text (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return string_member (object_member (self->json, "amount"), "text");
}

const char *
globi_transaction_get_note (GlobiTransaction *self)
{
  const char *note;

  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  note = string_member (self->json, "note");
  return note ? note : "";
}

static const char *
user_name (JsonObject *user)
{
  const char *name = string_member (user, "display_name");

  return name && *name ? name : string_member (user, "username");
}

const char *
globi_transaction_get_from_id (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return string_member (object_member (self->json, "from"), "id");
}

const char *
globi_transaction_get_from_name (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return user_name (object_member (self->json, "from"));
}

const char *
globi_transaction_get_to_id (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return string_member (object_member (self->json, "to"), "id");
}

const char *
globi_transaction_get_to_name (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return user_name (object_member (self->json, "to"));
}

const char *
globi_transaction_get_chat_id (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return self->chat_id;
}

const char *
globi_transaction_get_red_packet_id (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), NULL);
  return string_member (self->json, "red_packet_id");
}

gint64
globi_transaction_get_created_at (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), 0);
  return int_member (self->json, "created_at");
}

gint64
globi_transaction_get_updated_at (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), 0);
  return self->updated_at;
}

gint64
globi_transaction_get_expires_at (GlobiTransaction *self)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), 0);
  return int_member (self->json, "expires_at");
}

gboolean
globi_transaction_get_converted (GlobiTransaction *self,
                                 const char **currency,
                                 gint64 *minor,
                                 const char **rate,
                                 const char **rate_date)
{
  JsonObject *converted;
  JsonObject *amount;

  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), FALSE);

  converted = object_member (self->json, "converted");
  amount = object_member (converted, "amount");
  if (!amount || !string_member (amount, "currency"))
    return FALSE;
  if (currency)
    *currency = string_member (amount, "currency");
  if (minor)
    *minor = int_member (amount, "minor");
  if (rate)
    *rate = string_member (converted, "rate");
  if (rate_date)
    *rate_date = string_member (converted, "rate_date");
  return TRUE;
}

gboolean
globi_transaction_is_outgoing (GlobiTransaction *self, const char *user_id)
{
  g_return_val_if_fail (GLOBI_IS_TRANSACTION (self), FALSE);
  return user_id && g_strcmp0 (globi_transaction_get_from_id (self), user_id) == 0;
}
