/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "globi-messaging-types.h"

G_BEGIN_DECLS

/* Every demo account has this password (documented in README and docs/cli.md). */
#define GLOBI_DEMO_PASSWORD "globichat-demo"

/* Creates a few demo people (display names from several countries, bios, regions,
 * currencies, languages and generated initials avatars) through the public API of the
 * server at server_url. Idempotent: an existing demo user is skipped. Returns their
 * usernames (a NULL-terminated GStrv). */
void     globi_demo_seed_async  (const char           *server_url,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data);
char   **globi_demo_seed_finish (GAsyncResult         *result,
                                 GError              **error);

/* For the first demo person signed in with `me` (started, live): the other demo people
 * send friend requests that `me` accepts, `me` creates a group with three of them, and
 * they exchange a few messages in 1:1 chats and the group — each from a temporary device
 * of their own through the real messenger, so everything is end-to-end encrypted. Their
 * devices are signed out at the end. Does nothing when `me` has friends already (done
 * before); GLOBI_ERROR_FORBIDDEN for anyone but the first demo person. */
void     globi_demo_converse_async  (GlobiMessenger       *me,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data);
gboolean globi_demo_converse_finish (GAsyncResult         *result,
                                     GError              **error);

G_END_DECLS
