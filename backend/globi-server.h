/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "globi-server-config.h"

G_BEGIN_DECLS

/* The whole sync server as an object: globichat-server's main() makes one, the app makes
 * one for "host a server on this computer", tests make one on an ephemeral port. It
 * serves on the thread-default main context of the thread that calls start(). */
#define GLOBI_TYPE_SERVER (globi_server_get_type ())
G_DECLARE_FINAL_TYPE (GlobiServer, globi_server, GLOBI, SERVER, GObject)

/* Opens (and migrates) the store under config->data_dir and loads the signing keys. */
GlobiServer *globi_server_new               (const GlobiServerConfig  *config,
                                             GError                  **error);
gboolean     globi_server_start             (GlobiServer              *self,
                                             GError                  **error);
/* The port actually bound (config port 0 picks a free one). */
guint        globi_server_get_port          (GlobiServer              *self);
/* "http://127.0.0.1:PORT" (https with TLS). */
char        *globi_server_dup_base_url      (GlobiServer              *self);
/* Stops accepting, lets in-flight requests finish (up to the configured timeout), drains
 * the store's write queue and closes it. Nothing acknowledged is lost. */
void         globi_server_shutdown_async    (GlobiServer              *self,
                                             GCancellable             *cancellable,
                                             GAsyncReadyCallback       callback,
                                             gpointer                  user_data);
gboolean     globi_server_shutdown_finish   (GlobiServer              *self,
                                             GAsyncResult             *result,
                                             GError                  **error);
/* Tests move the server's clock (token expiry, rate-limit windows) without sleeping. */
void         globi_server_set_clock_offset  (GlobiServer              *self,
                                             gint64                    offset_seconds);

G_END_DECLS
