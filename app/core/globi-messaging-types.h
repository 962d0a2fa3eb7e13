/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Forward declarations and enums of messaging (issue 3). Registered as GTypes in
 * globi-core-enums.h, like globi-core-types.h. */
typedef struct _GlobiCache         GlobiCache;
typedef struct _GlobiChat          GlobiChat;
typedef struct _GlobiContact       GlobiContact;
typedef struct _GlobiFriendRequest GlobiFriendRequest;
typedef struct _GlobiGroup         GlobiGroup;
typedef struct _GlobiMessage       GlobiMessage;
typedef struct _GlobiMessenger     GlobiMessenger;

/* Where an outgoing message is; incoming messages are DELIVERED (or READ once read). */
typedef enum
{
  GLOBI_DELIVERY_STATE_PENDING,   /* in the outbox, not yet accepted by the server */
  GLOBI_DELIVERY_STATE_SENT,      /* the server stored it */
  GLOBI_DELIVERY_STATE_DELIVERED, /* a recipient device decrypted it */
  GLOBI_DELIVERY_STATE_READ,      /* a recipient read it (read receipts on) */
  GLOBI_DELIVERY_STATE_FAILED,    /* permanent failure: globi_messenger_retry_message */
} GlobiDeliveryState;

typedef enum
{
  GLOBI_MESSAGE_KIND_TEXT,
  GLOBI_MESSAGE_KIND_IMAGE,
  GLOBI_MESSAGE_KIND_FILE,
  GLOBI_MESSAGE_KIND_SYSTEM,  /* "safety number changed", "X joined", …: text is the label */
  GLOBI_MESSAGE_KIND_DELETED, /* deleted for everyone: shown as "message deleted" */
  GLOBI_MESSAGE_KIND_CARD,    /* a GlobiPay card: globi_message_get_card () */
} GlobiMessageKind;

typedef enum
{
  GLOBI_CHAT_KIND_DIRECT,
  GLOBI_CHAT_KIND_GROUP,
} GlobiChatKind;

typedef enum
{
  GLOBI_GROUP_ROLE_MEMBER,
  GLOBI_GROUP_ROLE_ADMIN,
  GLOBI_GROUP_ROLE_OWNER,
} GlobiGroupRole;

typedef enum
{
  GLOBI_STREAM_STATE_OFFLINE,    /* not connected; reconnecting with backoff */
  GLOBI_STREAM_STATE_CONNECTING,
  GLOBI_STREAM_STATE_CATCHING_UP, /* replaying stored events */
  GLOBI_STREAM_STATE_ONLINE,      /* caught up, live */
} GlobiStreamState;

/* Chat ids: "u:USER_ID" for a direct chat, "g:GROUP_ID" for a group. */
char          *globi_chat_id_for_user  (const char *user_id);
char          *globi_chat_id_for_group (const char *group_id);

/* Wire names "owner", "admin", "member"; FALSE for anything else. */
const char *globi_group_role_to_string   (GlobiGroupRole  role);
gboolean    globi_group_role_from_string (const char     *text,
                                          GlobiGroupRole *role);

G_END_DECLS
