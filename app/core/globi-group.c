/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-group"

#include "config.h"

#include "globi-error.h"
#include "globi-core-enums.h"
#include "globi-core-util.h"
#include "globi-group.h"

enum
{
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_ANNOUNCEMENT,
  PROP_AVATAR_HASH,
  PROP_OWNER_ID,
  PROP_MEMBER_COUNT,
  PROP_MY_ROLE,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  PROP_MEMBERS,
  N_PROPS
};

struct _GlobiGroup
{
  GObject parent_instance;

  char *id;
  char *name;
  char *announcement;
  char *avatar_hash;
  char *owner_id;
  guint member_count;
  GlobiGroupRole my_role;
  gint64 created_at;
  gint64 updated_at;
  GListStore *members;
  GHashTable *roles; /* user id → GlobiGroupRole */
};

G_DEFINE_FINAL_TYPE (GlobiGroup, globi_group, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
globi_group_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiGroup *self = GLOBI_GROUP (object);

  switch (prop_id)
    {
      case PROP_ID:
        g_value_set_string (value, self->id);
        break;

      case PROP_NAME:
        g_value_set_string (value, self->name);
        break;

      case PROP_ANNOUNCEMENT:
        g_value_set_string (value, self->announcement);
        break;

      case PROP_AVATAR_HASH:
        g_value_set_string (value, self->avatar_hash);
        break;

      case PROP_OWNER_ID:
        g_value_set_string (value, self->owner_id);
        break;

      case PROP_MEMBER_COUNT:
        g_value_set_uint (value, self->member_count);
        break;

      case PROP_MY_ROLE:
        g_value_set_enum (value, self->my_role);
        break;

      case PROP_CREATED_AT:
        g_value_set_int64 (value, self->created_at);
        break;

      case PROP_UPDATED_AT:
        g_value_set_int64 (value, self->updated_at);
        break;

      case PROP_MEMBERS:
        g_value_set_object (value, self->members);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_group_finalize (GObject *object)
{
  GlobiGroup *self = GLOBI_GROUP (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->announcement, g_free);
  g_clear_pointer (&self->avatar_hash, g_free);
  g_clear_pointer (&self->owner_id, g_free);
  g_clear_object (&self->members);
  g_clear_pointer (&self->roles, g_hash_table_unref);

  G_OBJECT_CLASS (globi_group_parent_class)->finalize (object);
}

static void
globi_group_class_init (GlobiGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = globi_group_get_property;
  object_class->finalize = globi_group_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_ANNOUNCEMENT] = g_param_spec_string ("announcement", NULL, NULL, NULL, flags);
  properties[PROP_AVATAR_HASH] = g_param_spec_string ("avatar-hash", NULL, NULL, NULL, flags);
  properties[PROP_OWNER_ID] = g_param_spec_string ("owner-id", NULL, NULL, NULL, flags);
  properties[PROP_MEMBER_COUNT] =
      g_param_spec_uint ("member-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_MY_ROLE] = g_param_spec_enum ("my-role", NULL, NULL, GLOBI_TYPE_GROUP_ROLE,
                                                GLOBI_GROUP_ROLE_MEMBER, flags);
  properties[PROP_CREATED_AT] =
      g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_UPDATED_AT] =
      g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_MEMBERS] = g_param_spec_object ("members", NULL, NULL, G_TYPE_LIST_MODEL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_group_init (GlobiGroup *self)
{
  self->members = g_list_store_new (GLOBI_TYPE_PROFILE);
  self->roles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

GlobiGroup *
globi_group_new_from_json (JsonObject *object, GError **error)
{
  g_autoptr (GlobiGroup) self = g_object_new (GLOBI_TYPE_GROUP, NULL);

  if (!globi_group_update_from_json (self, object, error))
    return NULL;
  return g_steal_pointer (&self);
}

static void
update_str (GlobiGroup *self, JsonObject *object, const char *member, char **field, guint prop)
{
  JsonNode *node = json_object_get_member (object, member);
  const char *value;

  if (node == NULL)
    return;
  value = globi_json_node_holds (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;
  if (globi_set_str (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
update_int (GlobiGroup *self, JsonObject *object, const char *member, gint64 *field, guint prop)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !globi_json_node_holds (node, G_TYPE_INT64))
    return;
  if (*field != json_node_get_int (node))
    {
      *field = json_node_get_int (node);
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
    }
}

static gboolean
update_members (GlobiGroup *self, JsonArray *members, GError **error)
{
  g_autoptr (GPtrArray) profiles = g_ptr_array_new_with_free_func (g_object_unref);

  g_hash_table_remove_all (self->roles);
  for (guint i = 0; i < json_array_get_length (members); i++)
    {
      JsonNode *node = json_array_get_element (members, i);
      JsonObject *member;
      JsonNode *user;
      GlobiGroupRole role = GLOBI_GROUP_ROLE_MEMBER;
      GlobiProfile *profile;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      member = json_node_get_object (node);
      user = json_object_get_member (member, "user");
      if (user == NULL || !JSON_NODE_HOLDS_OBJECT (user))
        continue;
      profile = globi_profile_new_from_json (json_node_get_object (user), error);
      if (profile == NULL)
        return FALSE;
      globi_group_role_from_string (
          json_object_get_string_member_with_default (member, "role", "member"), &role);
      g_hash_table_insert (self->roles, g_strdup (globi_profile_get_id (profile)),
                           GUINT_TO_POINTER (role));
      g_ptr_array_add (profiles, profile);
    }
  g_list_store_splice (self->members, 0, g_list_model_get_n_items (G_LIST_MODEL (self->members)),
                       profiles->pdata, profiles->len);
  return TRUE;
}

gboolean
globi_group_update_from_json (GlobiGroup *self, JsonObject *object, GError **error)
{
  JsonNode *id = json_object_get_member (object, "id");
  JsonNode *avatar = json_object_get_member (object, "avatar");
  JsonNode *members = json_object_get_member (object, "members");
  gint64 count = self->member_count;
  GlobiGroupRole role;

  if (!globi_json_node_holds (id, G_TYPE_STRING))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "group: no id");
      return FALSE;
    }
  g_object_freeze_notify (G_OBJECT (self));
  update_str (self, object, "id", &self->id, PROP_ID);
  update_str (self, object, "name", &self->name, PROP_NAME);
  update_str (self, object, "announcement", &self->announcement, PROP_ANNOUNCEMENT);
  update_str (self, object, "owner_id", &self->owner_id, PROP_OWNER_ID);
  update_int (self, object, "created_at", &self->created_at, PROP_CREATED_AT);
  update_int (self, object, "updated_at", &self->updated_at, PROP_UPDATED_AT);
  update_int (self, object, "member_count", &count, PROP_MEMBER_COUNT);
  self->member_count = (guint) count;
  if (avatar != NULL)
    {
      const char *hash = NULL;
      if (JSON_NODE_HOLDS_OBJECT (avatar))
        hash = json_object_get_string_member_with_default (json_node_get_object (avatar), "hash",
                                                           NULL);
      if (globi_set_str (&self->avatar_hash, hash))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVATAR_HASH]);
    }
  if (json_object_has_member (object, "my_role") &&
      globi_group_role_from_string (
          json_object_get_string_member_with_default (object, "my_role", NULL), &role) &&
      role != self->my_role)
    {
      self->my_role = role;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MY_ROLE]);
    }
  if (members != NULL && JSON_NODE_HOLDS_ARRAY (members) &&
      !update_members (self, json_node_get_array (members), error))
    {
      g_object_thaw_notify (G_OBJECT (self));
      return FALSE;
    }
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

JsonNode *
globi_group_to_json (GlobiGroup *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  GListModel *members = G_LIST_MODEL (self->members);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->name);
  json_builder_set_member_name (builder, "owner_id");
  json_builder_add_string_value (builder, self->owner_id);
  json_builder_set_member_name (builder, "member_count");
  json_builder_add_int_value (builder, self->member_count);
  json_builder_set_member_name (builder, "my_role");
  json_builder_add_string_value (builder, globi_group_role_to_string (self->my_role));
  if (g_list_model_get_n_items (members) > 0)
    {
      json_builder_set_member_name (builder, "members");
      json_builder_begin_array (builder);
      for (guint i = 0; i < g_list_model_get_n_items (members); i++)
        {
          g_autoptr (GlobiProfile) p = g_list_model_get_item (members, i);
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "user_id");
          json_builder_add_string_value (builder, globi_profile_get_id (p));
          json_builder_set_member_name (builder, "username");
          json_builder_add_string_value (builder, globi_profile_get_username (p));
          json_builder_set_member_name (builder, "role");
          json_builder_add_string_value (
              builder, globi_group_role_to_string (
                           globi_group_get_member_role (self, globi_profile_get_id (p))));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

const char *
globi_group_get_id (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), NULL);
  return self->id;
}

const char *
globi_group_get_name (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), NULL);
  return self->name;
}

const char *
globi_group_get_announcement (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), NULL);
  return self->announcement;
}

const char *
globi_group_get_avatar_hash (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), NULL);
  return self->avatar_hash;
}

const char *
globi_group_get_owner_id (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), NULL);
  return self->owner_id;
}

guint
globi_group_get_member_count (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), 0);
  return self->member_count;
}

GlobiGroupRole
globi_group_get_my_role (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), GLOBI_GROUP_ROLE_MEMBER);
  return self->my_role;
}

gint64
globi_group_get_created_at (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), 0);
  return self->created_at;
}

gint64
globi_group_get_updated_at (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), 0);
  return self->updated_at;
}

GListModel *
globi_group_get_members (GlobiGroup *self)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), NULL);
  return G_LIST_MODEL (self->members);
}

GlobiGroupRole
globi_group_get_member_role (GlobiGroup *self, const char *user_id)
{
  g_return_val_if_fail (GLOBI_IS_GROUP (self), GLOBI_GROUP_ROLE_MEMBER);
  return (GlobiGroupRole) GPOINTER_TO_UINT (g_hash_table_lookup (self->roles, user_id));
}
