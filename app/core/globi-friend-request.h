/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "globi-messaging-types.h"
#include "globi-profile.h"

G_BEGIN_DECLS

/* A friend request (docs/protocol.md, FriendRequest). Read-only properties: id, from
 * (GlobiProfile), to (GlobiProfile), greeting, created-at (gint64 Unix ms), incoming
 * (gboolean: addressed to me). */
#define GLOBI_TYPE_FRIEND_REQUEST (globi_friend_request_get_type ())
G_DECLARE_FINAL_TYPE (GlobiFriendRequest, globi_friend_request, GLOBI, FRIEND_REQUEST, GObject)

GlobiFriendRequest *globi_friend_request_new_from_json   (JsonObject          *object,
                                                          const char          *my_user_id,
                                                          GError             **error);
JsonNode           *globi_friend_request_to_json         (GlobiFriendRequest  *self);
const char         *globi_friend_request_get_id          (GlobiFriendRequest  *self);
GlobiProfile       *globi_friend_request_get_from        (GlobiFriendRequest  *self);
GlobiProfile       *globi_friend_request_get_to          (GlobiFriendRequest  *self);
const char         *globi_friend_request_get_greeting    (GlobiFriendRequest  *self);
gint64              globi_friend_request_get_created_at  (GlobiFriendRequest  *self);
gboolean            globi_friend_request_get_incoming    (GlobiFriendRequest  *self);

G_END_DECLS
