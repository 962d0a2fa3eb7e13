/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-blob-store.h"
#include "globi-hub.h"
#include "globi-metrics.h"
#include "globi-password-hasher.h"
#include "globi-rate-limiter.h"
#include "globi-server.h"
#include "globi-store.h"
#include "globi-token-signer.h"

G_BEGIN_DECLS

/* What route files need from the server object. Main-context only unless noted. */

typedef enum
{
  GLOBI_LIMIT_SIGNIN_ACCOUNT,
  GLOBI_LIMIT_SIGNIN_ADDRESS,
  GLOBI_LIMIT_REGISTER_ADDRESS,
  GLOBI_N_LIMITS,
} GlobiLimit;

const GlobiServerConfig *globi_server_get_config      (GlobiServer *self);
GlobiStore              *globi_server_get_store       (GlobiServer *self);
GlobiTokenSigner        *globi_server_get_signer      (GlobiServer *self);
GlobiPasswordHasher     *globi_server_get_hasher      (GlobiServer *self);
GlobiMetrics            *globi_server_get_metrics     (GlobiServer *self);
GlobiBlobStore          *globi_server_get_blobs       (GlobiServer *self);
GlobiHub                *globi_server_get_hub         (GlobiServer *self);
GlobiRateLimiter        *globi_server_get_limiter     (GlobiServer *self,
                                                       GlobiLimit   limit);
/* The one server clock: real time plus the test offset. */
gint64                   globi_server_now_ms          (GlobiServer *self);
gint64                   globi_server_now_s           (GlobiServer *self);
/* Monotonic time plus the offset, for rate-limit windows. */
gint64                   globi_server_monotonic_us    (GlobiServer *self);
/* Closes idle connections whose client has gone, so the gauge is current. */
void                     globi_server_sweep_connections (GlobiServer *self);
/* Requests dispatched and not yet answered; any thread (tests watch it). */
guint                    globi_server_get_in_flight    (GlobiServer *self);
/* The in-memory set of devices that are not revoked: no SQLite per request. */
gboolean                 globi_server_device_is_active (GlobiServer *self,
                                                        const char  *device_id);
void                     globi_server_device_activate  (GlobiServer *self,
                                                        const char  *device_id);
void                     globi_server_device_revoke    (GlobiServer *self,
                                                        const char  *device_id);

G_END_DECLS
