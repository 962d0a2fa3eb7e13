/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-core-util"

#include "config.h"

#include "globi-error.h"
#include "globi-core-util.h"

gboolean
globi_json_node_holds (JsonNode *node, GType type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

gboolean
globi_set_str (char **dest, const char *src)
{
  if (g_strcmp0 (*dest, src) == 0)
    return FALSE;
  g_free (*dest);
  *dest = g_strdup (src);
  return TRUE;
}

JsonObject *
globi_json_get_object_member (JsonNode *reply, const char *member, GError **error)
{
  JsonNode *node;

  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply) ||
      (node = json_object_get_member (json_node_get_object (reply), member)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST,
                   "The server's reply has no %s object", member);
      return NULL;
    }
  return json_node_get_object (node);
}
