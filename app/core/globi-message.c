/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-message"

#include "config.h"

#include "globi-core-enums.h"
#include "globi-core-util.h"
#include "globi-message.h"

#include <string.h>

enum
{
  PROP_0,
  PROP_ID,
  PROP_CHAT_ID,
  PROP_SENDER_ID,
  PROP_SENDER_DEVICE_ID,
  PROP_KIND,
  PROP_TEXT,
  PROP_SENT_AT,
  PROP_EDITED_AT,
  PROP_STATE,
  PROP_OUTGOING,
  PROP_REPLY_TO,
  PROP_MENTIONS,
  PROP_REACTIONS,
  PROP_ATTACHMENT_NAME,
  PROP_ATTACHMENT_TYPE,
  PROP_ATTACHMENT_SIZE,
  PROP_ATTACHMENT_PROGRESS,
  PROP_FORWARDED,
  PROP_CARD_KIND,
  N_PROPS
};

struct _GlobiMessage
{
  GObject parent_instance;

  char *id;
  char *chat_id;
  char *sender_id;
  char *sender_device_id;
  GlobiMessageKind kind;
  char *text;
  gint64 sent_at;
  gint64 edited_at;
  GlobiDeliveryState state;
  gboolean outgoing;
  char *reply_to;
  GStrv mentions;
  char *reactions;
  char *attachment_name;
  char *attachment_type;
  gint64 attachment_size;
  double attachment_progress;
  gboolean forwarded;
  char *card_json;  /* as stored and sent; the cache's worker reads only this */
  JsonObject *card; /* parsed on first use, on the caller's thread */
};

G_DEFINE_FINAL_TYPE (GlobiMessage, globi_message, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
globi_message_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiMessage *self = GLOBI_MESSAGE (object);

  switch (prop_id)
    {
      case PROP_ID:
        g_value_set_string (value, self->id);
        break;

      case PROP_CHAT_ID:
        g_value_set_string (value, self->chat_id);
        break;

      case PROP_SENDER_ID:
        g_value_set_string (value, self->sender_id);
        break;

      case PROP_SENDER_DEVICE_ID:
        g_value_set_string (value, self->sender_device_id);
        break;

      case PROP_KIND:
        g_value_set_enum (value, self->kind);
        break;

      case PROP_TEXT:
        g_value_set_string (value, self->text);
        break;

      case PROP_SENT_AT:
        g_value_set_int64 (value, self->sent_at);
        break;

      case PROP_EDITED_AT:
        g_value_set_int64 (value, self->edited_at);
        break;

      case PROP_STATE:
        g_value_set_enum (value, self->state);
        break;

      case PROP_OUTGOING:
        g_value_set_boolean (value, self->outgoing);
        break;

      case PROP_REPLY_TO:
        g_value_set_string (value, self->reply_to);
        break;

      case PROP_MENTIONS:
        g_value_set_boxed (value, self->mentions);
        break;

      case PROP_REACTIONS:
        g_value_set_string (value, self->reactions);
        break;

      case PROP_ATTACHMENT_NAME:
        g_value_set_string (value, self->attachment_name);
        break;

      case PROP_ATTACHMENT_TYPE:
        g_value_set_string (value, self->attachment_type);
        break;

      case PROP_ATTACHMENT_SIZE:
        g_value_set_int64 (value, self->attachment_size);
        break;

      case PROP_ATTACHMENT_PROGRESS:
        g_value_set_double (value, self->attachment_progress);
        break;

      case PROP_FORWARDED:
        g_value_set_boolean (value, self->forwarded);
        break;

      case PROP_CARD_KIND:
        g_value_set_string (value, globi_message_get_card_kind (self));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_message_finalize (GObject *object)
{
  GlobiMessage *self = GLOBI_MESSAGE (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->chat_id, g_free);
  g_clear_pointer (&self->sender_id, g_free);
  g_clear_pointer (&self->sender_device_id, g_free);
  g_clear_pointer (&self->text, g_free);
  g_clear_pointer (&self->reply_to, g_free);
  g_clear_pointer (&self->mentions, g_strfreev);
  g_clear_pointer (&self->reactions, g_free);
  g_clear_pointer (&self->attachment_name, g_free);
  g_clear_pointer (&self->attachment_type, g_free);
  g_clear_pointer (&self->card, json_object_unref);
  g_clear_pointer (&self->card_json, g_free);

  G_OBJECT_CLASS (globi_message_parent_class)->finalize (object);
}

static void
globi_message_class_init (GlobiMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = globi_message_get_property;
  object_class->finalize = globi_message_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_CHAT_ID] = g_param_spec_string ("chat-id", NULL, NULL, NULL, flags);
  properties[PROP_SENDER_ID] = g_param_spec_string ("sender-id", NULL, NULL, NULL, flags);
  properties[PROP_SENDER_DEVICE_ID] =
      g_param_spec_string ("sender-device-id", NULL, NULL, NULL, flags);
  properties[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, GLOBI_TYPE_MESSAGE_KIND,
                                             GLOBI_MESSAGE_KIND_TEXT, flags);
  properties[PROP_TEXT] = g_param_spec_string ("text", NULL, NULL, NULL, flags);
  properties[PROP_SENT_AT] = g_param_spec_int64 ("sent-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_EDITED_AT] =
      g_param_spec_int64 ("edited-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, GLOBI_TYPE_DELIVERY_STATE,
                                              GLOBI_DELIVERY_STATE_PENDING, flags);
  properties[PROP_OUTGOING] = g_param_spec_boolean ("outgoing", NULL, NULL, FALSE, flags);
  properties[PROP_REPLY_TO] = g_param_spec_string ("reply-to", NULL, NULL, NULL, flags);
  properties[PROP_MENTIONS] = g_param_spec_boxed ("mentions", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_REACTIONS] = g_param_spec_string ("reactions", NULL, NULL, NULL, flags);
  properties[PROP_ATTACHMENT_NAME] =
      g_param_spec_string ("attachment-name", NULL, NULL, NULL, flags);
  properties[PROP_ATTACHMENT_TYPE] =
      g_param_spec_string ("attachment-type", NULL, NULL, NULL, flags);
  properties[PROP_ATTACHMENT_SIZE] =
      g_param_spec_int64 ("attachment-size", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_ATTACHMENT_PROGRESS] =
      g_param_spec_double ("attachment-progress", NULL, NULL, 0, 1, 1, flags);
  properties[PROP_FORWARDED] = g_param_spec_boolean ("forwarded", NULL, NULL, FALSE, flags);
  properties[PROP_CARD_KIND] = g_param_spec_string ("card-kind", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_message_init (GlobiMessage *self)
{
  self->attachment_progress = 1;
}

GlobiMessage *
globi_message_new (const char *id,
                   const char *chat_id,
                   const char *sender_id,
                   GlobiMessageKind kind,
                   const char *text,
                   gint64 sent_at)
{
  GlobiMessage *self = g_object_new (GLOBI_TYPE_MESSAGE, NULL);

  self->id = g_strdup (id);
  self->chat_id = g_strdup (chat_id);
  self->sender_id = g_strdup (sender_id);
  self->kind = kind;
  self->text = g_strdup (text);
  self->sent_at = sent_at;
  return self;
}

JsonNode *
globi_message_to_json (GlobiMessage *self, const char *sender_username)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GEnumClass) kinds = g_type_class_ref (GLOBI_TYPE_MESSAGE_KIND);
  g_autoptr (GEnumClass) states = g_type_class_ref (GLOBI_TYPE_DELIVERY_STATE);

  g_return_val_if_fail (GLOBI_IS_MESSAGE (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "chat");
  json_builder_add_string_value (builder, self->chat_id);
  json_builder_set_member_name (builder, "sender");
  json_builder_add_string_value (builder, sender_username ? sender_username : self->sender_id);
  json_builder_set_member_name (builder, "sender_id");
  json_builder_add_string_value (builder, self->sender_id);
  json_builder_set_member_name (builder, "text");
  if (self->text != NULL)
    json_builder_add_string_value (builder, self->text);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "sent_at");
  json_builder_add_int_value (builder, self->sent_at);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, g_enum_get_value (kinds, self->kind)->value_nick);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, g_enum_get_value (states, self->state)->value_nick);
  if (self->attachment_name != NULL)
    {
      json_builder_set_member_name (builder, "attachment");
      json_builder_add_string_value (builder, self->attachment_name);
    }
  if (globi_message_get_card (self) != NULL)
    {
      g_autoptr (JsonNode) card = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (card, self->card);
      json_builder_set_member_name (builder, "card");
      json_builder_add_value (builder, g_steal_pointer (&card));
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

#define GETTER(type, name)                                    \
  type globi_message_get_##name (GlobiMessage *self)          \
  {                                                           \
    g_return_val_if_fail (GLOBI_IS_MESSAGE (self), (type) 0); \
    return self->name;                                        \
  }

GETTER (const char *, id)
GETTER (const char *, chat_id)
GETTER (const char *, sender_id)
GETTER (const char *, sender_device_id)
GETTER (GlobiMessageKind, kind)
GETTER (const char *, text)
GETTER (gint64, sent_at)
GETTER (gint64, edited_at)
GETTER (GlobiDeliveryState, state)
GETTER (gboolean, outgoing)
GETTER (const char *, reply_to)
GETTER (const char *, reactions)
GETTER (const char *, attachment_name)
GETTER (const char *, attachment_type)
GETTER (gint64, attachment_size)
GETTER (double, attachment_progress)
GETTER (gboolean, forwarded)

const char *const *
globi_message_get_mentions (GlobiMessage *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE (self), NULL);
  return (const char *const *) self->mentions;
}

static void
set_str_prop (GlobiMessage *self, char **field, const char *value, guint prop)
{
  if (globi_set_str (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
globi_message_set_state (GlobiMessage *self, GlobiDeliveryState state)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
globi_message_set_text (GlobiMessage *self, const char *text, gint64 edited_at)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  set_str_prop (self, &self->text, text, PROP_TEXT);
  if (self->edited_at != edited_at)
    {
      self->edited_at = edited_at;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EDITED_AT]);
    }
}

void
globi_message_set_kind (GlobiMessage *self, GlobiMessageKind kind)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  if (self->kind == kind)
    return;
  self->kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
}

void
globi_message_set_outgoing (GlobiMessage *self, gboolean outgoing)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  if (self->outgoing == !!outgoing)
    return;
  self->outgoing = !!outgoing;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTGOING]);
}

void
globi_message_set_sender_device_id (GlobiMessage *self, const char *device_id)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  set_str_prop (self, &self->sender_device_id, device_id, PROP_SENDER_DEVICE_ID);
}

void
globi_message_set_sent_at (GlobiMessage *self, gint64 sent_at)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  if (self->sent_at == sent_at)
    return;
  self->sent_at = sent_at;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SENT_AT]);
}

void
globi_message_set_reply_to (GlobiMessage *self, const char *reply_to)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  set_str_prop (self, &self->reply_to, reply_to, PROP_REPLY_TO);
}

void
globi_message_set_mentions (GlobiMessage *self, const char *const *mentions)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  g_strfreev (self->mentions);
  self->mentions = (mentions != NULL && mentions[0] != NULL) ? g_strdupv ((GStrv) mentions) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MENTIONS]);
}

void
globi_message_set_reactions (GlobiMessage *self, const char *reactions_json)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  set_str_prop (self, &self->reactions, reactions_json, PROP_REACTIONS);
}

void
globi_message_set_attachment (GlobiMessage *self,
                              const char *name,
                              const char *content_type,
                              gint64 size)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  set_str_prop (self, &self->attachment_name, name, PROP_ATTACHMENT_NAME);
  set_str_prop (self, &self->attachment_type, content_type, PROP_ATTACHMENT_TYPE);
  if (self->attachment_size != size)
    {
      self->attachment_size = size;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTACHMENT_SIZE]);
    }
}

void
globi_message_set_attachment_progress (GlobiMessage *self, double progress)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  progress = CLAMP (progress, 0, 1);
  if (self->attachment_progress == progress)
    return;
  self->attachment_progress = progress;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTACHMENT_PROGRESS]);
}

void
globi_message_set_forwarded (GlobiMessage *self, gboolean forwarded)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  if (self->forwarded == !!forwarded)
    return;
  self->forwarded = !!forwarded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORWARDED]);
}

const char *
globi_message_get_card_kind (GlobiMessage *self)
{
  JsonObject *card;

  g_return_val_if_fail (GLOBI_IS_MESSAGE (self), NULL);
  if (self->kind != GLOBI_MESSAGE_KIND_CARD || (card = globi_message_get_card (self)) == NULL)
    return NULL;
  return json_object_get_string_member_with_default (card, "kind", NULL);
}

JsonObject *
globi_message_get_card (GlobiMessage *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE (self), NULL);
  if (self->card == NULL && self->card_json != NULL)
    {
      g_autoptr (JsonNode) node = json_from_string (self->card_json, NULL);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        self->card = json_object_ref (json_node_get_object (node));
    }
  return self->card;
}

const char *
globi_message_get_card_json (GlobiMessage *self)
{
  g_return_val_if_fail (GLOBI_IS_MESSAGE (self), NULL);
  return self->card_json;
}

void
globi_message_set_card_json (GlobiMessage *self, const char *card_json)
{
  g_return_if_fail (GLOBI_IS_MESSAGE (self));
  if (g_strcmp0 (self->card_json, card_json) == 0)
    return;
  g_clear_pointer (&self->card, json_object_unref);
  g_free (self->card_json);
  self->card_json = g_strdup (card_json);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CARD_KIND]);
}

/* The card's wire text, or NULL when it is not a valid card. */
char *
globi_message_card_serialize (const char *kind, JsonObject *card)
{
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;

  if (card == NULL || kind == NULL ||
      (!g_str_equal (kind, "transfer") && !g_str_equal (kind, "request") &&
       !g_str_equal (kind, "red_packet")) ||
      g_strcmp0 (json_object_get_string_member_with_default (card, "kind", kind), kind) != 0)
    return NULL;
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, card);
  text = json_to_string (node, FALSE);
  if (strlen (text) > GLOBI_MESSAGE_CARD_MAX_BYTES)
    return NULL;
  return g_steal_pointer (&text);
}
