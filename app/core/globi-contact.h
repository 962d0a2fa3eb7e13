/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "globi-messaging-types.h"
#include "globi-profile.h"

G_BEGIN_DECLS

/* A friend (docs/protocol.md, Friend). Properties (read-only, notify on change):
 * user (GlobiProfile), user-id, username, display-name (the profile's), remark (mine,
 * private; "" when none), name (remark when set, else display name, else username: what
 * lists show and sort by), tags (GStrv), since (gint64 Unix ms), blocked (gboolean),
 * verified (gboolean: safety number marked verified; reset when the key changes). */
#define GLOBI_TYPE_CONTACT (globi_contact_get_type ())
G_DECLARE_FINAL_TYPE (GlobiContact, globi_contact, GLOBI, CONTACT, GObject)

GlobiContact       *globi_contact_new_from_json    (JsonObject    *friend_object,
                                                    GError       **error);
gboolean            globi_contact_update_from_json (GlobiContact  *self,
                                                    JsonObject    *friend_object,
                                                    GError       **error);
JsonNode           *globi_contact_to_json          (GlobiContact  *self);
GlobiProfile       *globi_contact_get_user         (GlobiContact  *self);
const char         *globi_contact_get_user_id      (GlobiContact  *self);
const char         *globi_contact_get_username     (GlobiContact  *self);
const char         *globi_contact_get_display_name (GlobiContact  *self);
const char         *globi_contact_get_remark       (GlobiContact  *self);
const char         *globi_contact_get_name         (GlobiContact  *self);
const char * const *globi_contact_get_tags         (GlobiContact  *self);
gint64              globi_contact_get_since        (GlobiContact  *self);
gboolean            globi_contact_get_blocked      (GlobiContact  *self);
gboolean            globi_contact_get_verified     (GlobiContact  *self);
void                globi_contact_set_blocked      (GlobiContact  *self,
                                                    gboolean       blocked);
void                globi_contact_set_verified     (GlobiContact  *self,
                                                    gboolean       verified);

G_END_DECLS
