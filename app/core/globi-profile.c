/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-profile"

#include "config.h"

#include "globi-error.h"
#include "globi-core-enums.h"
#include "globi-core-util.h"
#include "globi-profile.h"

enum
{
  PROP_0,
  PROP_ID,
  PROP_USERNAME,
  PROP_DISPLAY_NAME,
  PROP_BIO,
  PROP_REGION,
  PROP_AVATAR_HASH,
  PROP_THUMBNAIL_HASH,
  PROP_PREFERRED_CURRENCY,
  PROP_LANGUAGE,
  PROP_DISCOVERABLE,
  PROP_WHO_CAN_ADD,
  PROP_CREATED_AT,
  N_PROPS
};

/* The values, apart from the GObject, so a patch can be tried on a copy first. */
typedef struct
{
  char *strings[PROP_LANGUAGE + 1]; /* indexed by PROP_ID .. PROP_LANGUAGE */
  gboolean discoverable;
  GlobiWhoCanAdd who_can_add;
  gint64 created_at;
} ProfileData;

struct _GlobiProfile
{
  GObject parent_instance;

  ProfileData data;
};

G_DEFINE_FINAL_TYPE (GlobiProfile, globi_profile, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

/* Wire names of the plain string fields of a User/Me object. */
static const struct
{
  guint prop;
  const char *member;
  gboolean nullable;
} string_fields[] = {
  { PROP_ID, "id", FALSE },
  { PROP_USERNAME, "username", FALSE },
  { PROP_DISPLAY_NAME, "display_name", FALSE },
  { PROP_BIO, "bio", TRUE },
  { PROP_REGION, "region", TRUE },
  { PROP_PREFERRED_CURRENCY, "preferred_currency", TRUE },
  { PROP_LANGUAGE, "language", TRUE },
};

static void
profile_data_clear (ProfileData *data)
{
  for (guint i = 0; i < G_N_ELEMENTS (data->strings); i++)
    g_clear_pointer (&data->strings[i], g_free);
}

static void
profile_data_copy (ProfileData *dest, const ProfileData *src)
{
  for (guint i = 0; i < G_N_ELEMENTS (src->strings); i++)
    dest->strings[i] = g_strdup (src->strings[i]);
  dest->discoverable = src->discoverable;
  dest->who_can_add = src->who_can_add;
  dest->created_at = src->created_at;
}

static gboolean
read_string (JsonObject *object, const char *member, gboolean nullable, char **out, GError **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (JSON_NODE_HOLDS_NULL (node) && nullable)
    {
      g_clear_pointer (out, g_free);
      return TRUE;
    }
  if (!globi_json_node_holds (node, G_TYPE_STRING))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "%s: expected a string", member);
      return FALSE;
    }
  g_free (*out);
  *out = json_node_dup_string (node);
  return TRUE;
}

/* "/v1/blobs/HASH" → "HASH" */
static char *
hash_from_blob_url (const char *url)
{
  const char *slash = strrchr (url, '/');

  return g_strdup (slash != NULL ? slash + 1 : url);
}

static gboolean
read_avatar (JsonNode *node, ProfileData *data, GError **error)
{
  JsonObject *avatar;
  JsonNode *hash;
  JsonNode *thumb;

  if (JSON_NODE_HOLDS_NULL (node))
    {
      g_clear_pointer (&data->strings[PROP_AVATAR_HASH], g_free);
      g_clear_pointer (&data->strings[PROP_THUMBNAIL_HASH], g_free);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;

  avatar = json_node_get_object (node);
  hash = json_object_get_member (avatar, "hash");
  thumb = json_object_get_member (avatar, "thumbnail_url");
  if (!globi_json_node_holds (hash, G_TYPE_STRING) || json_node_get_string (hash)[0] == '\0')
    goto bad;
  if (thumb != NULL && !JSON_NODE_HOLDS_NULL (thumb) &&
      !globi_json_node_holds (thumb, G_TYPE_STRING))
    goto bad;

  g_free (data->strings[PROP_AVATAR_HASH]);
  data->strings[PROP_AVATAR_HASH] = json_node_dup_string (hash);
  g_free (data->strings[PROP_THUMBNAIL_HASH]);
  /* Without a thumbnail the original stands in for it. */
  data->strings[PROP_THUMBNAIL_HASH] = thumb != NULL && !JSON_NODE_HOLDS_NULL (thumb)
                                           ? hash_from_blob_url (json_node_get_string (thumb))
                                           : json_node_dup_string (hash);
  return TRUE;

bad:
  g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
               "avatar: expected null or an object with a hash");
  return FALSE;
}

static gboolean
read_privacy (JsonNode *node, ProfileData *data, GError **error)
{
  JsonObject *privacy;
  JsonNode *member;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "privacy: expected an object");
      return FALSE;
    }
  privacy = json_node_get_object (node);

  if ((member = json_object_get_member (privacy, "discoverable")) != NULL)
    {
      if (!globi_json_node_holds (member, G_TYPE_BOOLEAN))
        {
          g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                       "privacy.discoverable: expected a boolean");
          return FALSE;
        }
      data->discoverable = json_node_get_boolean (member);
    }

  if ((member = json_object_get_member (privacy, "who_can_add")) != NULL)
    {
      if (!globi_json_node_holds (member, G_TYPE_STRING) ||
          !globi_who_can_add_from_string (json_node_get_string (member), &data->who_can_add))
        {
          g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                       "privacy.who_can_add: expected everyone, friends_of_friends or nobody");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
profile_data_apply_json (ProfileData *data, JsonObject *object, GError **error)
{
  JsonNode *node;

  for (guint i = 0; i < G_N_ELEMENTS (string_fields); i++)
    if (json_object_has_member (object, string_fields[i].member) &&
        !read_string (object, string_fields[i].member, string_fields[i].nullable,
                      &data->strings[string_fields[i].prop], error))
      return FALSE;

  if ((node = json_object_get_member (object, "avatar")) != NULL &&
      !read_avatar (node, data, error))
    return FALSE;

  if ((node = json_object_get_member (object, "privacy")) != NULL &&
      !read_privacy (node, data, error))
    return FALSE;

  if ((node = json_object_get_member (object, "created_at")) != NULL)
    {
      if (!globi_json_node_holds (node, G_TYPE_INT64) || json_node_get_int (node) < 0)
        {
          g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                       "created_at: expected a time in milliseconds");
          return FALSE;
        }
      data->created_at = json_node_get_int (node);
    }

  return TRUE;
}

static void
globi_profile_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiProfile *self = GLOBI_PROFILE (object);

  switch (prop_id)
    {
      case PROP_ID:
      case PROP_USERNAME:
      case PROP_DISPLAY_NAME:
      case PROP_BIO:
      case PROP_REGION:
      case PROP_AVATAR_HASH:
      case PROP_THUMBNAIL_HASH:
      case PROP_PREFERRED_CURRENCY:
      case PROP_LANGUAGE:
        g_value_set_string (value, self->data.strings[prop_id]);
        break;

      case PROP_DISCOVERABLE:
        g_value_set_boolean (value, self->data.discoverable);
        break;

      case PROP_WHO_CAN_ADD:
        g_value_set_enum (value, self->data.who_can_add);
        break;

      case PROP_CREATED_AT:
        g_value_set_int64 (value, self->data.created_at);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_profile_finalize (GObject *object)
{
  GlobiProfile *self = GLOBI_PROFILE (object);

  profile_data_clear (&self->data);

  G_OBJECT_CLASS (globi_profile_parent_class)->finalize (object);
}

static void
globi_profile_class_init (GlobiProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = globi_profile_get_property;
  object_class->finalize = globi_profile_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_BIO] = g_param_spec_string ("bio", NULL, NULL, NULL, flags);
  properties[PROP_REGION] = g_param_spec_string ("region", NULL, NULL, NULL, flags);
  properties[PROP_AVATAR_HASH] = g_param_spec_string ("avatar-hash", NULL, NULL, NULL, flags);
  properties[PROP_THUMBNAIL_HASH] = g_param_spec_string ("thumbnail-hash", NULL, NULL, NULL, flags);
  properties[PROP_PREFERRED_CURRENCY] =
      g_param_spec_string ("preferred-currency", NULL, NULL, NULL, flags);
  properties[PROP_LANGUAGE] = g_param_spec_string ("language", NULL, NULL, NULL, flags);
  properties[PROP_DISCOVERABLE] = g_param_spec_boolean ("discoverable", NULL, NULL, TRUE, flags);
  properties[PROP_WHO_CAN_ADD] = g_param_spec_enum (
      "who-can-add", NULL, NULL, GLOBI_TYPE_WHO_CAN_ADD, GLOBI_WHO_CAN_ADD_EVERYONE, flags);
  properties[PROP_CREATED_AT] =
      g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_profile_init (GlobiProfile *self)
{
  self->data.discoverable = TRUE;
  self->data.who_can_add = GLOBI_WHO_CAN_ADD_EVERYONE;
}

GlobiProfile *
globi_profile_new_from_json (JsonObject *object, GError **error)
{
  g_autoptr (GlobiProfile) self = NULL;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (GLOBI_TYPE_PROFILE, NULL);
  if (!profile_data_apply_json (&self->data, object, error))
    return NULL;

  if (self->data.strings[PROP_ID] == NULL || self->data.strings[PROP_USERNAME] == NULL)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST, "%s: missing",
                   self->data.strings[PROP_ID] == NULL ? "id" : "username");
      return NULL;
    }
  if (self->data.strings[PROP_DISPLAY_NAME] == NULL)
    self->data.strings[PROP_DISPLAY_NAME] = g_strdup (self->data.strings[PROP_USERNAME]);

  return g_steal_pointer (&self);
}

gboolean
globi_profile_update_from_json (GlobiProfile *self, JsonObject *object, GError **error)
{
  g_autoptr (GlobiProfile) tmp = NULL;

  g_return_val_if_fail (GLOBI_IS_PROFILE (self), FALSE);
  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* All or nothing: try the change on a copy, then take it over. */
  tmp = globi_profile_copy (self);
  if (!profile_data_apply_json (&tmp->data, object, error))
    return FALSE;

  globi_profile_assign (self, tmp);
  return TRUE;
}

GlobiProfile *
globi_profile_copy (GlobiProfile *self)
{
  GlobiProfile *copy;

  g_return_val_if_fail (GLOBI_IS_PROFILE (self), NULL);

  copy = g_object_new (GLOBI_TYPE_PROFILE, NULL);
  profile_data_copy (&copy->data, &self->data);
  return copy;
}

void
globi_profile_assign (GlobiProfile *self, GlobiProfile *other)
{
  g_return_if_fail (GLOBI_IS_PROFILE (self));
  g_return_if_fail (GLOBI_IS_PROFILE (other));

  if (self == other)
    return;

  g_object_freeze_notify (G_OBJECT (self));

  for (guint i = PROP_ID; i <= PROP_LANGUAGE; i++)
    if (globi_set_str (&self->data.strings[i], other->data.strings[i]))
      g_object_notify_by_pspec (G_OBJECT (self), properties[i]);

  if (self->data.discoverable != other->data.discoverable)
    {
      self->data.discoverable = other->data.discoverable;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISCOVERABLE]);
    }
  if (self->data.who_can_add != other->data.who_can_add)
    {
      self->data.who_can_add = other->data.who_can_add;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WHO_CAN_ADD]);
    }
  if (self->data.created_at != other->data.created_at)
    {
      self->data.created_at = other->data.created_at;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATED_AT]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

JsonNode *
globi_profile_to_json (GlobiProfile *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (GLOBI_IS_PROFILE (self), NULL);

  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (string_fields); i++)
    {
      json_builder_set_member_name (builder, string_fields[i].member);
      if (self->data.strings[string_fields[i].prop] != NULL)
        json_builder_add_string_value (builder, self->data.strings[string_fields[i].prop]);
      else
        json_builder_add_null_value (builder);
    }

  json_builder_set_member_name (builder, "avatar");
  if (self->data.strings[PROP_AVATAR_HASH] != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "hash");
      json_builder_add_string_value (builder, self->data.strings[PROP_AVATAR_HASH]);
      json_builder_set_member_name (builder, "thumbnail_hash");
      json_builder_add_string_value (builder, self->data.strings[PROP_THUMBNAIL_HASH]);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "created_at");
  json_builder_add_int_value (builder, self->data.created_at);
  json_builder_set_member_name (builder, "privacy");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "discoverable");
  json_builder_add_boolean_value (builder, self->data.discoverable);
  json_builder_set_member_name (builder, "who_can_add");
  json_builder_add_string_value (builder, globi_who_can_add_to_string (self->data.who_can_add));
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

#define STRING_GETTER(name, PROP)                           \
  const char *globi_profile_get_##name (GlobiProfile *self) \
  {                                                         \
    g_return_val_if_fail (GLOBI_IS_PROFILE (self), NULL);   \
    return self->data.strings[PROP];                        \
  }

STRING_GETTER (id, PROP_ID)
STRING_GETTER (username, PROP_USERNAME)
STRING_GETTER (display_name, PROP_DISPLAY_NAME)
STRING_GETTER (bio, PROP_BIO)
STRING_GETTER (region, PROP_REGION)
STRING_GETTER (avatar_hash, PROP_AVATAR_HASH)
STRING_GETTER (thumbnail_hash, PROP_THUMBNAIL_HASH)
STRING_GETTER (preferred_currency, PROP_PREFERRED_CURRENCY)
STRING_GETTER (language, PROP_LANGUAGE)

gboolean
globi_profile_get_discoverable (GlobiProfile *self)
{
  g_return_val_if_fail (GLOBI_IS_PROFILE (self), FALSE);
  return self->data.discoverable;
}

GlobiWhoCanAdd
globi_profile_get_who_can_add (GlobiProfile *self)
{
  g_return_val_if_fail (GLOBI_IS_PROFILE (self), GLOBI_WHO_CAN_ADD_EVERYONE);
  return self->data.who_can_add;
}

gint64
globi_profile_get_created_at (GlobiProfile *self)
{
  g_return_val_if_fail (GLOBI_IS_PROFILE (self), 0);
  return self->data.created_at;
}
