/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _GlobiServer GlobiServer;

/* The real-time side of the server: every connected device's WebSocket (/v1/stream), and
 * the wake-ups that push newly stored events to them. Events themselves are stored by
 * globi-store-events.h inside the transaction of the change they describe; after that
 * transaction commits, the route calls globi_hub_notify_devices so connected devices get
 * them at once. Main context only. */
#define GLOBI_TYPE_HUB (globi_hub_get_type ())
G_DECLARE_FINAL_TYPE (GlobiHub, globi_hub, GLOBI, HUB, GObject)

GlobiHub *globi_hub_new                (GlobiServer *server);
/* Takes a freshly upgraded /v1/stream connection of an authenticated device: replays its
 * stored events after `after`, sends caught_up, then pushes live. */
void      globi_hub_add_stream         (GlobiHub                *self,
                                        SoupWebsocketConnection *conn,
                                        const char              *user_id,
                                        const char              *device_id,
                                        gint64                   after);
/* device_ids: device id strings whose streams have new stored events. */
void      globi_hub_notify_devices     (GlobiHub    *self,
                                        GPtrArray   *device_ids);
/* deliveries: GlobiDelivery (globi-store-messaging.h), committed events with their seqs.
 * A caught-up stream gets each at once, without reading it back from the store. */
void      globi_hub_deliver            (GlobiHub    *self,
                                        GPtrArray   *deliveries);
/* Relays an ephemeral frame (typing) to the connected devices of the given users, except
 * one device; nothing is stored. */
void      globi_hub_relay_ephemeral    (GlobiHub            *self,
                                        const char * const  *user_ids,
                                        const char          *except_device_id,
                                        const char          *frame_json);
/* Closes the device's stream (revoked device, shutdown). */
void      globi_hub_disconnect_device  (GlobiHub    *self,
                                        const char  *device_id);
guint     globi_hub_get_n_connections  (GlobiHub    *self);
/* Closes every stream gracefully (server shutdown). */
void      globi_hub_close_all          (GlobiHub    *self);

G_END_DECLS
