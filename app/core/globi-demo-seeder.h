/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

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

G_END_DECLS
