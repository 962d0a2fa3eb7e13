/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "globi-core-types.h"

G_BEGIN_DECLS

/* A user as the server describes it (User, or Me for the owner: docs/protocol.md).
 * Properties (all readable, notify only on change): id, username, display-name, bio,
 * region, avatar-hash, thumbnail-hash (NULL when no avatar), preferred-currency, language,
 * discoverable (gboolean), who-can-add (GlobiWhoCanAdd), created-at (gint64, Unix ms; 0
 * when unknown). Fields a User lacks keep their defaults. */
#define GLOBI_TYPE_PROFILE (globi_profile_get_type ())
G_DECLARE_FINAL_TYPE (GlobiProfile, globi_profile, GLOBI, PROFILE, GObject)

/* Validates: id and username are required strings; every other known field must have the
 * right type. Unknown fields are ignored (newer servers may add some). Errors are
 * GLOBI_ERROR_BAD_REQUEST naming the field. */
GlobiProfile   *globi_profile_new_from_json      (JsonObject    *object,
                                                  GError       **error);
/* Applies the fields present in object (a full User/Me, or a PATCH /v1/me body) in
 * place, all or nothing. */
gboolean        globi_profile_update_from_json   (GlobiProfile  *self,
                                                  JsonObject    *object,
                                                  GError       **error);
GlobiProfile   *globi_profile_copy               (GlobiProfile  *self);
/* Makes self equal to other in place (notifying what changed): rollbacks. */
void            globi_profile_assign             (GlobiProfile  *self,
                                                  GlobiProfile  *other);
/* The Me object in wire format (for `globichat-cli --json`). */
JsonNode       *globi_profile_to_json            (GlobiProfile  *self);

const char     *globi_profile_get_id                 (GlobiProfile *self);
const char     *globi_profile_get_username           (GlobiProfile *self);
const char     *globi_profile_get_display_name       (GlobiProfile *self);
const char     *globi_profile_get_bio                (GlobiProfile *self);
const char     *globi_profile_get_region             (GlobiProfile *self);
const char     *globi_profile_get_avatar_hash        (GlobiProfile *self);
const char     *globi_profile_get_thumbnail_hash     (GlobiProfile *self);
const char     *globi_profile_get_preferred_currency (GlobiProfile *self);
const char     *globi_profile_get_language           (GlobiProfile *self);
gboolean        globi_profile_get_discoverable       (GlobiProfile *self);
GlobiWhoCanAdd  globi_profile_get_who_can_add        (GlobiProfile *self);
gint64          globi_profile_get_created_at         (GlobiProfile *self);

G_END_DECLS
