/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-session.h"
#include "globi-profile.h"

G_BEGIN_DECLS

/* Friend cards (docs/protocol.md "Friend cards"): my own card's URI, resetting it, and
 * turning a scanned globichat://add?u=…&c=… into the person it invites. All need a
 * signed-in session. */

/* GET /v1/me/card, or POST /v1/me/card/reset with reset; finish returns the URI. */
void          globi_friend_card_fetch_async    (GlobiSession        *session,
                                                gboolean             reset,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
char         *globi_friend_card_fetch_finish   (GAsyncResult        *result,
                                                GError             **error);
/* The person behind a card (also an undiscoverable one); GLOBI_ERROR_NOT_FOUND for a
 * reset or unknown card. */
void          globi_friend_card_resolve_async  (GlobiSession        *session,
                                                const char          *user_id,
                                                const char          *card,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GlobiProfile *globi_friend_card_resolve_finish (GAsyncResult        *result,
                                                GError             **error);
/* A friend request through the card (it passes "discoverable" and "friends of friends",
 * never "nobody"). Finish returns TRUE; out_friends says whether we are friends now
 * (they had asked me already). */
void          globi_friend_card_request_async  (GlobiSession        *session,
                                                const char          *user_id,
                                                const char          *card,
                                                const char          *greeting,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean      globi_friend_card_request_finish (GAsyncResult        *result,
                                                gboolean            *out_friends,
                                                GError             **error);

G_END_DECLS
