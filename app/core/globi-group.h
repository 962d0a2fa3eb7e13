/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "globi-messaging-types.h"
#include "globi-profile.h"

G_BEGIN_DECLS

/* A group (docs/protocol.md, Group). Properties (read-only, notify on change): id, name,
 * announcement, avatar-hash (NULL when none), owner-id, member-count (guint), my-role
 * (GlobiGroupRole), created-at, updated-at (gint64 Unix ms), members (GListModel of
 * GlobiProfile; empty until the members were fetched). */
#define GLOBI_TYPE_GROUP (globi_group_get_type ())
G_DECLARE_FINAL_TYPE (GlobiGroup, globi_group, GLOBI, GROUP, GObject)

GlobiGroup     *globi_group_new_from_json    (JsonObject  *object,
                                              GError     **error);
/* Applies a Group object in place (with "members" when present). */
gboolean        globi_group_update_from_json (GlobiGroup  *self,
                                              JsonObject  *object,
                                              GError     **error);
JsonNode       *globi_group_to_json          (GlobiGroup  *self);
const char     *globi_group_get_id           (GlobiGroup  *self);
const char     *globi_group_get_name         (GlobiGroup  *self);
const char     *globi_group_get_announcement (GlobiGroup  *self);
const char     *globi_group_get_avatar_hash  (GlobiGroup  *self);
const char     *globi_group_get_owner_id     (GlobiGroup  *self);
guint           globi_group_get_member_count (GlobiGroup  *self);
GlobiGroupRole  globi_group_get_my_role      (GlobiGroup  *self);
gint64          globi_group_get_created_at   (GlobiGroup  *self);
gint64          globi_group_get_updated_at   (GlobiGroup  *self);
GListModel     *globi_group_get_members      (GlobiGroup  *self);
/* The role of a member (MEMBER when unknown). */
GlobiGroupRole  globi_group_get_member_role  (GlobiGroup  *self,
                                              const char  *user_id);

G_END_DECLS
