/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-friend-request"

#include "config.h"

#include "globi-error.h"
#include "globi-core-util.h"
#include "globi-friend-request.h"

enum
{
  PROP_0,
  PROP_ID,
  PROP_FROM,
  PROP_TO,
  PROP_GREETING,
  PROP_CREATED_AT,
  PROP_INCOMING,
  N_PROPS
};

struct _GlobiFriendRequest
{
  GObject parent_instance;

  char *id;
  GlobiProfile *from;
  GlobiProfile *to;
  char *greeting;
  gint64 created_at;
  gboolean incoming;
};

G_DEFINE_FINAL_TYPE (GlobiFriendRequest, globi_friend_request, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
globi_friend_request_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiFriendRequest *self = GLOBI_FRIEND_REQUEST (object);

  switch (prop_id)
    {
      case PROP_ID:
        g_value_set_string (value, self->id);
        break;

      case PROP_FROM:
        g_value_set_object (value, self->from);
        break;

      case PROP_TO:
        g_value_set_object (value, self->to);
        break;

      case PROP_GREETING:
        g_value_set_string (value, self->greeting);
        break;

      case PROP_CREATED_AT:
        g_value_set_int64 (value, self->created_at);
        break;

      case PROP_INCOMING:
        g_value_set_boolean (value, self->incoming);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_friend_request_finalize (GObject *object)
{
  GlobiFriendRequest *self = GLOBI_FRIEND_REQUEST (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_object (&self->from);
  g_clear_object (&self->to);
  g_clear_pointer (&self->greeting, g_free);

  G_OBJECT_CLASS (globi_friend_request_parent_class)->finalize (object);
}

static void
globi_friend_request_class_init (GlobiFriendRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = globi_friend_request_get_property;
  object_class->finalize = globi_friend_request_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_FROM] = g_param_spec_object ("from", NULL, NULL, GLOBI_TYPE_PROFILE, flags);
  properties[PROP_TO] = g_param_spec_object ("to", NULL, NULL, GLOBI_TYPE_PROFILE, flags);
  properties[PROP_GREETING] = g_param_spec_string ("greeting", NULL, NULL, NULL, flags);
  properties[PROP_CREATED_AT] =
      g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_INCOMING] = g_param_spec_boolean ("incoming", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_friend_request_init (GlobiFriendRequest *self)
{
}

static GlobiProfile *
user_member (JsonObject *object, const char *name, GError **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "friend request: no %s", name);
      return NULL;
    }
  return globi_profile_new_from_json (json_node_get_object (node), error);
}

GlobiFriendRequest *
globi_friend_request_new_from_json (JsonObject *object, const char *my_user_id, GError **error)
{
  g_autoptr (GlobiFriendRequest) self = g_object_new (GLOBI_TYPE_FRIEND_REQUEST, NULL);
  JsonNode *id = json_object_get_member (object, "id");
  JsonNode *greeting = json_object_get_member (object, "greeting");
  JsonNode *created_at = json_object_get_member (object, "created_at");

  if (!globi_json_node_holds (id, G_TYPE_STRING))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "friend request: no id");
      return NULL;
    }
  self->id = g_strdup (json_node_get_string (id));
  if ((self->from = user_member (object, "from", error)) == NULL ||
      (self->to = user_member (object, "to", error)) == NULL)
    return NULL;
  if (greeting != NULL && globi_json_node_holds (greeting, G_TYPE_STRING))
    self->greeting = g_strdup (json_node_get_string (greeting));
  if (created_at != NULL && globi_json_node_holds (created_at, G_TYPE_INT64))
    self->created_at = json_node_get_int (created_at);
  self->incoming = g_strcmp0 (globi_profile_get_id (self->to), my_user_id) == 0;
  return g_steal_pointer (&self);
}

JsonNode *
globi_friend_request_to_json (GlobiFriendRequest *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  GlobiProfile *other = self->incoming ? self->from : self->to;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, self->incoming ? "incoming" : "outgoing");
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, globi_profile_get_id (other));
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, globi_profile_get_username (other));
  json_builder_set_member_name (builder, "greeting");
  json_builder_add_string_value (builder, self->greeting ? self->greeting : "");
  json_builder_set_member_name (builder, "created_at");
  json_builder_add_int_value (builder, self->created_at);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

const char *
globi_friend_request_get_id (GlobiFriendRequest *self)
{
  g_return_val_if_fail (GLOBI_IS_FRIEND_REQUEST (self), NULL);
  return self->id;
}

GlobiProfile *
globi_friend_request_get_from (GlobiFriendRequest *self)
{
  g_return_val_if_fail (GLOBI_IS_FRIEND_REQUEST (self), NULL);
  return self->from;
}

GlobiProfile *
globi_friend_request_get_to (GlobiFriendRequest *self)
{
  g_return_val_if_fail (GLOBI_IS_FRIEND_REQUEST (self), NULL);
  return self->to;
}

const char *
globi_friend_request_get_greeting (GlobiFriendRequest *self)
{
  g_return_val_if_fail (GLOBI_IS_FRIEND_REQUEST (self), NULL);
  return self->greeting;
}

gint64
globi_friend_request_get_created_at (GlobiFriendRequest *self)
{
  g_return_val_if_fail (GLOBI_IS_FRIEND_REQUEST (self), 0);
  return self->created_at;
}

gboolean
globi_friend_request_get_incoming (GlobiFriendRequest *self)
{
  g_return_val_if_fail (GLOBI_IS_FRIEND_REQUEST (self), FALSE);
  return self->incoming;
}
