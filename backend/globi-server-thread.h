/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-server.h"

G_BEGIN_DECLS

/* Runs a GlobiServer on a thread of its own with its own GMainContext: the app's
 * embedded server never competes with the UI for the main loop, and tests can drive a
 * client synchronously against it. */
#define GLOBI_TYPE_SERVER_THREAD (globi_server_thread_get_type ())
G_DECLARE_FINAL_TYPE (GlobiServerThread, globi_server_thread, GLOBI, SERVER_THREAD, GObject)

/* Blocks until the server listens (or failed to start). */
GlobiServerThread *globi_server_thread_new          (const GlobiServerConfig  *config,
                                                     GError                  **error);
char              *globi_server_thread_dup_base_url (GlobiServerThread        *self);
GlobiServer       *globi_server_thread_get_server   (GlobiServerThread        *self);
/* Graceful shutdown, then joins the thread. Also done by dispose. */
void               globi_server_thread_stop         (GlobiServerThread        *self);

G_END_DECLS
