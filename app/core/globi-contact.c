/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-contact"

#include "config.h"

#include "globi-error.h"
#include "globi-core-util.h"
#include "globi-contact.h"

enum
{
  PROP_0,
  PROP_USER,
  PROP_USER_ID,
  PROP_USERNAME,
  PROP_DISPLAY_NAME,
  PROP_REMARK,
  PROP_NAME,
  PROP_TAGS,
  PROP_SINCE,
  PROP_BLOCKED,
  PROP_VERIFIED,
  N_PROPS
};

struct _GlobiContact
{
  GObject parent_instance;

  GlobiProfile *user;
  char *remark;
  GStrv tags;
  gint64 since;
  gboolean blocked;
  gboolean verified;
};

G_DEFINE_FINAL_TYPE (GlobiContact, globi_contact, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
globi_contact_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiContact *self = GLOBI_CONTACT (object);

  switch (prop_id)
    {
      case PROP_USER:
        g_value_set_object (value, self->user);
        break;

      case PROP_USER_ID:
        g_value_set_string (value, globi_contact_get_user_id (self));
        break;

      case PROP_USERNAME:
        g_value_set_string (value, globi_contact_get_username (self));
        break;

      case PROP_DISPLAY_NAME:
        g_value_set_string (value, globi_contact_get_display_name (self));
        break;

      case PROP_REMARK:
        g_value_set_string (value, self->remark);
        break;

      case PROP_NAME:
        g_value_set_string (value, globi_contact_get_name (self));
        break;

      case PROP_TAGS:
        g_value_set_boxed (value, self->tags);
        break;

      case PROP_SINCE:
        g_value_set_int64 (value, self->since);
        break;

      case PROP_BLOCKED:
        g_value_set_boolean (value, self->blocked);
        break;

      case PROP_VERIFIED:
        g_value_set_boolean (value, self->verified);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_contact_finalize (GObject *object)
{
  GlobiContact *self = GLOBI_CONTACT (object);

  g_clear_object (&self->user);
  g_clear_pointer (&self->remark, g_free);
  g_clear_pointer (&self->tags, g_strfreev);

  G_OBJECT_CLASS (globi_contact_parent_class)->finalize (object);
}

static void
globi_contact_class_init (GlobiContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = globi_contact_get_property;
  object_class->finalize = globi_contact_finalize;

  properties[PROP_USER] = g_param_spec_object ("user", NULL, NULL, GLOBI_TYPE_PROFILE, flags);
  properties[PROP_USER_ID] = g_param_spec_string ("user-id", NULL, NULL, NULL, flags);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_REMARK] = g_param_spec_string ("remark", NULL, NULL, "", flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_TAGS] = g_param_spec_boxed ("tags", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_SINCE] = g_param_spec_int64 ("since", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_BLOCKED] = g_param_spec_boolean ("blocked", NULL, NULL, FALSE, flags);
  properties[PROP_VERIFIED] = g_param_spec_boolean ("verified", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_contact_init (GlobiContact *self)
{
  self->remark = g_strdup ("");
}

static gboolean
read_tags (JsonObject *object, GStrv *out, GError **error)
{
  JsonNode *node = json_object_get_member (object, "tags");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "tags: not an array");
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *tag = json_array_get_element (array, i);
      if (!globi_json_node_holds (tag, G_TYPE_STRING))
        {
          g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "tags: not a string");
          return FALSE;
        }
      g_strv_builder_add (builder, json_node_get_string (tag));
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

GlobiContact *
globi_contact_new_from_json (JsonObject *friend_object, GError **error)
{
  g_autoptr (GlobiContact) self = g_object_new (GLOBI_TYPE_CONTACT, NULL);

  if (!globi_contact_update_from_json (self, friend_object, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
globi_contact_update_from_json (GlobiContact *self, JsonObject *friend_object, GError **error)
{
  JsonNode *user = json_object_get_member (friend_object, "user");
  JsonNode *remark = json_object_get_member (friend_object, "remark");
  JsonNode *since = json_object_get_member (friend_object, "since");
  g_auto (GStrv) tags = NULL;

  if (user == NULL || !JSON_NODE_HOLDS_OBJECT (user))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "friend: no user");
      return FALSE;
    }
  if ((remark != NULL && !globi_json_node_holds (remark, G_TYPE_STRING) &&
       !JSON_NODE_HOLDS_NULL (remark)) ||
      (since != NULL && !globi_json_node_holds (since, G_TYPE_INT64)))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "friend: bad field");
      return FALSE;
    }
  if (!read_tags (friend_object, &tags, error))
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->user == NULL)
    {
      self->user = globi_profile_new_from_json (json_node_get_object (user), error);
      if (self->user == NULL)
        {
          g_object_thaw_notify (G_OBJECT (self));
          return FALSE;
        }
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);
    }
  else if (!globi_profile_update_from_json (self->user, json_node_get_object (user), error))
    {
      g_object_thaw_notify (G_OBJECT (self));
      return FALSE;
    }
  if (remark != NULL &&
      globi_set_str (&self->remark,
                     JSON_NODE_HOLDS_NULL (remark) ? "" : json_node_get_string (remark)))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMARK]);
  if (json_object_has_member (friend_object, "tags"))
    {
      g_strfreev (self->tags);
      self->tags = g_steal_pointer (&tags);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAGS]);
    }
  if (since != NULL)
    {
      self->since = json_node_get_int (since);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SINCE]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

JsonNode *
globi_contact_to_json (GlobiContact *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, globi_contact_get_user_id (self));
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, globi_contact_get_username (self));
  json_builder_set_member_name (builder, "display_name");
  json_builder_add_string_value (builder, globi_contact_get_display_name (self));
  json_builder_set_member_name (builder, "remark");
  json_builder_add_string_value (builder, self->remark);
  json_builder_set_member_name (builder, "tags");
  json_builder_begin_array (builder);
  for (guint i = 0; self->tags != NULL && self->tags[i] != NULL; i++)
    json_builder_add_string_value (builder, self->tags[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "since");
  json_builder_add_int_value (builder, self->since);
  json_builder_set_member_name (builder, "blocked");
  json_builder_add_boolean_value (builder, self->blocked);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

GlobiProfile *
globi_contact_get_user (GlobiContact *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACT (self), NULL);
  return self->user;
}

const char *
globi_contact_get_user_id (GlobiContact *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACT (self), NULL);
  return self->user ? globi_profile_get_id (self->user) : NULL;
}

const char *
globi_contact_get_username (GlobiContact *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACT (self), NULL);
  return self->user ? globi_profile_get_username (self->user) : NULL;
}

const char *
globi_contact_get_display_name (GlobiContact *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACT (self), NULL);
  return self->user ? globi_profile_get_display_name (self->user) : NULL;
}

const char *
globi_contact_get_remark (GlobiContact *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACT (self), NULL);
  return self->remark;
}

const char *
globi_contact_get_name (GlobiContact *self)
{
  const char *display_name;

  g_return_val_if_fail (GLOBI_IS_CONTACT (self), NULL);
  if (self->remark != NULL && *self->remark != '\0')
    return self->remark;
  display_name = globi_contact_get_display_name (self);
  if (display_name != NULL && *display_name != '\0')
    return display_name;
  return globi_contact_get_username (self);
}

const char *const *
globi_contact_get_tags (GlobiContact *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACT (self), NULL);
  return (const char *const *) self->tags;
}

gint64
globi_contact_get_since (GlobiContact *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACT (self), 0);
  return self->since;
}

gboolean
globi_contact_get_blocked (GlobiContact *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACT (self), FALSE);
  return self->blocked;
}

gboolean
globi_contact_get_verified (GlobiContact *self)
{
  g_return_val_if_fail (GLOBI_IS_CONTACT (self), FALSE);
  return self->verified;
}

void
globi_contact_set_blocked (GlobiContact *self, gboolean blocked)
{
  g_return_if_fail (GLOBI_IS_CONTACT (self));
  if (self->blocked == !!blocked)
    return;
  self->blocked = !!blocked;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BLOCKED]);
}

void
globi_contact_set_verified (GlobiContact *self, gboolean verified)
{
  g_return_if_fail (GLOBI_IS_CONTACT (self));
  if (self->verified == !!verified)
    return;
  self->verified = !!verified;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERIFIED]);
}
