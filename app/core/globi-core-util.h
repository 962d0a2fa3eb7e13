/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Private helpers shared inside app/core (not installed, not for the UI). */

/* node is a JSON value of this GType (G_TYPE_STRING, G_TYPE_INT64, G_TYPE_BOOLEAN). */
gboolean  globi_json_node_holds   (JsonNode   *node,
                                   GType       type);
/* g_set_str () is GLib 2.76; this is the same. */
gboolean  globi_set_str           (char      **dest,
                                   const char *src);
/* Member of a reply object that must be an object ("user" in {"user": Me}). */
JsonObject *globi_json_get_object_member (JsonNode   *reply,
                                          const char *member,
                                          GError    **error);

G_END_DECLS
