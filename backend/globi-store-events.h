/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>
#include <glib.h>

G_BEGIN_DECLS

/* Per-device ordered event streams (docs/protocol.md, "The stream"). Call these from
 * inside a store write job, so an event commits in the same transaction as the change it
 * describes (a friend added, a group renamed, a message stored). */

/* Appends event_json (an Event object serialised once) to the stream of every active
 * device of each user in user_ids, except except_device_id (may be NULL). Appends the
 * device ids it wrote to out_device_ids (may be NULL) so the caller can wake them with
 * globi_hub_notify_devices after the commit. */
gboolean globi_store_events_append_to_users   (sqlite3             *db,
                                               const char * const  *user_ids,
                                               const char          *except_device_id,
                                               const char          *event_json,
                                               GPtrArray           *out_device_ids,
                                               GError             **error);
/* The same for an explicit list of devices. */
gboolean globi_store_events_append_to_devices (sqlite3             *db,
                                               const char * const  *device_ids,
                                               const char          *event_json,
                                               GPtrArray           *out_device_ids,
                                               GError             **error);

G_END_DECLS
