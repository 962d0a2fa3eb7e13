/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "globi-core-types.h"

G_BEGIN_DECLS

/* One signed-in device of the account (docs/protocol.md, Device). Read-only properties:
 * id, name, platform, created-at, last-seen-at (gint64 Unix ms), current (this device). */
#define GLOBI_TYPE_DEVICE (globi_device_get_type ())
G_DECLARE_FINAL_TYPE (GlobiDevice, globi_device, GLOBI, DEVICE, GObject)

GlobiDevice *globi_device_new_from_json     (JsonObject   *object,
                                             GError      **error);
JsonNode    *globi_device_to_json           (GlobiDevice  *self);
const char  *globi_device_get_id            (GlobiDevice  *self);
const char  *globi_device_get_name          (GlobiDevice  *self);
const char  *globi_device_get_platform      (GlobiDevice  *self);
gint64       globi_device_get_created_at    (GlobiDevice  *self);
gint64       globi_device_get_last_seen_at  (GlobiDevice  *self);
gboolean     globi_device_get_current       (GlobiDevice  *self);

G_END_DECLS
