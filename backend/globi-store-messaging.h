/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* SQL for prekeys, messages and the per-device streams (docs/protocol.md "Prekeys",
 * "Messages", "The stream"). Job functions run on store threads (GlobiStoreFunc). */

typedef struct
{
  gint64 seq;
  char *json; /* the Event object */
} GlobiEventRow;

typedef struct
{
  char *device_id;
  char *type;       /* "prekey" "message" "sender_key" */
  char *ciphertext; /* base64url, checked by the route */
} GlobiEnvelope;

typedef struct
{
  gint64 id;
  GBytes *key;
} GlobiPrekey;

typedef struct
{
  char *user_id;
  char *device_id;
  gint64 now_ms;
  /* keys */
  char *target_user_id;
  GBytes *identity_key;
  gint64 signed_prekey_id;
  GBytes *signed_prekey;
  GBytes *signed_prekey_signature;
  GPtrArray *one_time_prekeys; /* GlobiPrekey */
  /* messages */
  char *message_id;
  char *to_user_id;
  char *to_group_id;
  GPtrArray *envelopes; /* GlobiEnvelope */
  char *group_ciphertext;
  gint64 sender_key_id; /* -1: none */
  /* events */
  gint64 after;
  guint limit;
  gint64 cutoff_ms;
  gboolean typing;
} GlobiMessagingArgs;

/* A stored event on its way to a connected device (globi_hub_deliver). */
typedef struct
{
  char *device_id;
  gint64 seq;
  char *json; /* GRefString: one copy shared by every device of a group message */
} GlobiDelivery;

typedef struct
{
  char *message_id;
  gint64 sent_at;
  GPtrArray *deliveries; /* GlobiDelivery */
  GPtrArray *missing;    /* non-NULL: stale devices */
  GPtrArray *extra;
} GlobiSendResult;

GlobiMessagingArgs *globi_messaging_args_new (void);
void globi_messaging_args_free (gpointer data);
void globi_send_result_free (gpointer data);
void globi_envelope_free (gpointer data);
void globi_prekey_free (gpointer data);
void globi_event_row_free (gpointer data);
void globi_delivery_free (gpointer data);

/* Jobs (write unless noted). */
/* device_id, user_id, identity/signed/one-time keys, now_ms → GPtrArray of device ids
 * woken (devices_changed when the device publishes for the first time); CONFLICT when the
 * identity key differs, INVALID_FIELD past the one-time prekey cap. */
gpointer globi_store_messaging_put_keys (sqlite3 *db, gpointer args, GError **error);
/* device_id (just revoked) → GPtrArray of the device ids given a devices_changed event. */
gpointer globi_store_messaging_device_revoked (sqlite3 *db, gpointer args, GError **error);
/* device_id, one_time_prekeys → NULL. */
gpointer globi_store_messaging_add_prekeys (sqlite3 *db, gpointer args, GError **error);
/* Read: device_id → gint64 * (one-time prekeys left). */
gpointer globi_store_messaging_count_prekeys (sqlite3 *db, gpointer args, GError **error);
/* user_id (asking), target_user_id → JsonNode {"user_id", "devices": [Bundle]}, taking
 * one one-time prekey per device; FORBIDDEN for strangers. */
gpointer globi_store_messaging_fetch_keys (sqlite3 *db, gpointer args, GError **error);
/* The message send → GlobiSendResult. */
gpointer globi_store_messaging_send (sqlite3 *db, gpointer args, GError **error);
/* Read: device_id, after, limit, cutoff_ms → GPtrArray of GlobiEventRow. */
gpointer globi_store_messaging_read_events (sqlite3 *db, gpointer args, GError **error);
/* device_id, after (the acknowledged seq) → NULL: moves the stream's cursor; the rows go
 * later (globi_store_events_reap). */
gpointer globi_store_messaging_ack (sqlite3 *db, gpointer args, GError **error);
/* cutoff_ms → NULL: events and idempotency keys older than the cutoff are to go; the
 * reaper deletes them in chunks. */
gpointer globi_store_messaging_expire (sqlite3 *db, gpointer args, GError **error);
/* Read: user_id (typing), to_user_id or to_group_id → GPtrArray of the user ids who may
 * see it (FORBIDDEN when the typist may not write to that chat). */
gpointer globi_store_messaging_typing_targets (sqlite3 *db, gpointer args, GError **error);

/* Helpers inside jobs (globi-store-events.c). */
gboolean globi_store_events_append_one (sqlite3 *db,
                                        const char *device_id,
                                        const char *event_json,
                                        GPtrArray *out_device_ids,
                                        GError **error);
/* Appends the event (a GRefString) to every device's stream, the JSON stored once, and
 * adds a GlobiDelivery per device to out_deliveries. */
gboolean globi_store_events_deliver (sqlite3 *db,
                                     const char *const *device_ids,
                                     char *event_json,
                                     GPtrArray *out_deliveries,
                                     GError **error);
GPtrArray *globi_store_events_active_devices (sqlite3 *db,
                                              const char *user_id,
                                              gboolean with_keys,
                                              GError **error);
gboolean globi_store_events_read (sqlite3 *db,
                                  const char *device_id,
                                  gint64 after,
                                  guint limit,
                                  gint64 cutoff_ms,
                                  GPtrArray *out_rows,
                                  GError **error);
gboolean globi_store_events_ack (sqlite3 *db, const char *device_id, gint64 seq, GError **error);
gboolean globi_store_events_expire (sqlite3 *db, gint64 cutoff_ms, GError **error);
/* The writer's maintenance when it has time (globi-store.c): deletes up to about budget
 * acknowledged or expired rows and releases their payloads. *out_more: work is left. */
gboolean globi_store_events_reap (sqlite3 *db, guint budget, gboolean *out_more, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiMessagingArgs, globi_messaging_args_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiSendResult, globi_send_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiPrekey, globi_prekey_free)

G_END_DECLS
