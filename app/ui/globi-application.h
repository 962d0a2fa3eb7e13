/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-core.h"

G_BEGIN_DECLS

#define GLOBI_TYPE_APPLICATION (globi_application_get_type ())
G_DECLARE_FINAL_TYPE (GlobiApplication, globi_application, GLOBI, APPLICATION, AdwApplication)

GlobiApplication *globi_application_new                      (void);
GlobiSession     *globi_application_get_session              (GlobiApplication     *self);
GSettings        *globi_application_get_settings             (GlobiApplication     *self);
const char       *globi_application_get_profile_dir          (GlobiApplication     *self);
/* What the welcome page offers: --server, else the last server chosen, else NULL. */
char             *globi_application_dup_suggested_server_url (GlobiApplication     *self);
/* Whether this build can host a server in-process. */
gboolean          globi_application_can_host                 (GlobiApplication     *self);
/* Base URL of the embedded server, NULL while none runs. */
const char       *globi_application_get_embedded_url         (GlobiApplication     *self);
/* Starts the embedded server (data under PROFILE/server) on a worker thread; completes
 * with its base URL. Returns the running one when already started. */
void              globi_application_start_server_async       (GlobiApplication     *self,
                                                              GCancellable         *cancellable,
                                                              GAsyncReadyCallback   callback,
                                                              gpointer              user_data);
char             *globi_application_start_server_finish      (GlobiApplication     *self,
                                                              GAsyncResult         *result,
                                                              GError              **error);

/* Stops the embedded server, if one runs (done at shutdown). */
void              globi_application_stop_server              (GlobiApplication     *self);

G_END_DECLS
