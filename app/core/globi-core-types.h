/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Forward declarations and enums of the client core (no GTK here: the app and the CLI
 * both sit on top of it). The enums are registered as GTypes in globi-core-enums.h. */
typedef struct _GlobiClient          GlobiClient;
typedef struct _GlobiCredentialStore GlobiCredentialStore;
typedef struct _GlobiDevice          GlobiDevice;
typedef struct _GlobiProfile         GlobiProfile;
typedef struct _GlobiSession         GlobiSession;

typedef enum
{
  GLOBI_SESSION_STATE_SIGNED_OUT,
  GLOBI_SESSION_STATE_RESTORING,
  GLOBI_SESSION_STATE_SIGNED_IN,
} GlobiSessionState;

typedef enum
{
  GLOBI_CREDENTIAL_BACKEND_SECRET_SERVICE,
  GLOBI_CREDENTIAL_BACKEND_FILE,
} GlobiCredentialBackend;

typedef enum
{
  GLOBI_WHO_CAN_ADD_EVERYONE,
  GLOBI_WHO_CAN_ADD_FRIENDS_OF_FRIENDS,
  GLOBI_WHO_CAN_ADD_NOBODY,
} GlobiWhoCanAdd;

/* Why GlobiSession::signed-out fired. */
typedef enum
{
  GLOBI_SIGN_OUT_REASON_USER,    /* the user signed out here */
  GLOBI_SIGN_OUT_REASON_REVOKED, /* device revoked elsewhere, or a refresh token was reused */
  GLOBI_SIGN_OUT_REASON_EXPIRED, /* the refresh token is no longer valid */
} GlobiSignOutReason;

typedef enum /*< flags >*/
{
  GLOBI_CALL_FLAGS_NONE = 0,
  GLOBI_CALL_FLAGS_AUTH = 1 << 0, /* send the access token; refresh once on 401 */
} GlobiCallFlags;

/* Wire names ("everyone", "friends_of_friends", "nobody"). from_string returns FALSE for
 * anything else. */
const char *globi_who_can_add_to_string   (GlobiWhoCanAdd  value);
gboolean    globi_who_can_add_from_string (const char     *text,
                                           GlobiWhoCanAdd *value);

G_END_DECLS
