/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-device"

#include "config.h"

#include "globi-error.h"
#include "globi-core-util.h"
#include "globi-device.h"

enum
{
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_PLATFORM,
  PROP_CREATED_AT,
  PROP_LAST_SEEN_AT,
  PROP_CURRENT,
  N_PROPS
};

struct _GlobiDevice
{
  GObject parent_instance;

  char *id;
  char *name;
  char *platform;
  gint64 created_at;
  gint64 last_seen_at;
  gboolean current;
};

G_DEFINE_FINAL_TYPE (GlobiDevice, globi_device, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
globi_device_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiDevice *self = GLOBI_DEVICE (object);

  switch (prop_id)
    {
      case PROP_ID:
        g_value_set_string (value, self->id);
        break;

      case PROP_NAME:
        g_value_set_string (value, self->name);
        break;

      case PROP_PLATFORM:
        g_value_set_string (value, self->platform);
        break;

      case PROP_CREATED_AT:
        g_value_set_int64 (value, self->created_at);
        break;

      case PROP_LAST_SEEN_AT:
        g_value_set_int64 (value, self->last_seen_at);
        break;

      case PROP_CURRENT:
        g_value_set_boolean (value, self->current);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_device_finalize (GObject *object)
{
  GlobiDevice *self = GLOBI_DEVICE (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->platform, g_free);

  G_OBJECT_CLASS (globi_device_parent_class)->finalize (object);
}

static void
globi_device_class_init (GlobiDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = globi_device_get_property;
  object_class->finalize = globi_device_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_PLATFORM] = g_param_spec_string ("platform", NULL, NULL, NULL, flags);
  properties[PROP_CREATED_AT] =
      g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_LAST_SEEN_AT] =
      g_param_spec_int64 ("last-seen-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_CURRENT] = g_param_spec_boolean ("current", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_device_init (GlobiDevice *self)
{
}

GlobiDevice *
globi_device_new_from_json (JsonObject *object, GError **error)
{
  g_autoptr (GlobiDevice) self = NULL;
  JsonNode *id;
  JsonNode *name;
  JsonNode *platform;
  JsonNode *created_at;
  JsonNode *last_seen_at;
  JsonNode *current;

  g_return_val_if_fail (object != NULL, NULL);

  id = json_object_get_member (object, "id");
  name = json_object_get_member (object, "name");
  platform = json_object_get_member (object, "platform");
  created_at = json_object_get_member (object, "created_at");
  last_seen_at = json_object_get_member (object, "last_seen_at");
  current = json_object_get_member (object, "current");

  if (!globi_json_node_holds (id, G_TYPE_STRING) || !globi_json_node_holds (name, G_TYPE_STRING) ||
      (platform != NULL && !JSON_NODE_HOLDS_NULL (platform) &&
       !globi_json_node_holds (platform, G_TYPE_STRING)) ||
      !globi_json_node_holds (created_at, G_TYPE_INT64) ||
      (last_seen_at != NULL && !JSON_NODE_HOLDS_NULL (last_seen_at) &&
       !globi_json_node_holds (last_seen_at, G_TYPE_INT64)) ||
      (current != NULL && !globi_json_node_holds (current, G_TYPE_BOOLEAN)))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                   "device: missing or mistyped fields");
      return NULL;
    }

  self = g_object_new (GLOBI_TYPE_DEVICE, NULL);
  self->id = json_node_dup_string (id);
  self->name = json_node_dup_string (name);
  self->platform = g_strdup (
      globi_json_node_holds (platform, G_TYPE_STRING) ? json_node_get_string (platform) : "");
  self->created_at = json_node_get_int (created_at);
  self->last_seen_at = globi_json_node_holds (last_seen_at, G_TYPE_INT64)
                           ? json_node_get_int (last_seen_at)
                           : self->created_at;
  self->current = current != NULL && json_node_get_boolean (current);

  return g_steal_pointer (&self);
}

JsonNode *
globi_device_to_json (GlobiDevice *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (GLOBI_IS_DEVICE (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->name);
  json_builder_set_member_name (builder, "platform");
  json_builder_add_string_value (builder, self->platform);
  json_builder_set_member_name (builder, "created_at");
  json_builder_add_int_value (builder, self->created_at);
  json_builder_set_member_name (builder, "last_seen_at");
  json_builder_add_int_value (builder, self->last_seen_at);
  json_builder_set_member_name (builder, "current");
  json_builder_add_boolean_value (builder, self->current);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

const char *
globi_device_get_id (GlobiDevice *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE (self), NULL);
  return self->id;
}

const char *
globi_device_get_name (GlobiDevice *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE (self), NULL);
  return self->name;
}

const char *
globi_device_get_platform (GlobiDevice *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE (self), NULL);
  return self->platform;
}

gint64
globi_device_get_created_at (GlobiDevice *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE (self), 0);
  return self->created_at;
}

gint64
globi_device_get_last_seen_at (GlobiDevice *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE (self), 0);
  return self->last_seen_at;
}

gboolean
globi_device_get_current (GlobiDevice *self)
{
  g_return_val_if_fail (GLOBI_IS_DEVICE (self), FALSE);
  return self->current;
}
