/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "../server/server-fixture.h"

G_BEGIN_DECLS

/* A signed-in device of a test user, with its published keys. */
typedef struct
{
  char *user_id;
  char *username;
  char *token;
  char *device_id;
} Device;

/* A client's /v1/stream, read on the test thread's default main context. */
typedef struct
{
  SoupSession *session;
  SoupWebsocketConnection *conn;
  GQueue frames; /* JsonNode, oldest first */
  gboolean closed;
  gushort close_code;
} Stream;

/* Registers username and signs in its first device; publish: PUT /v1/keys too. */
Device *device_new_user (Fixture *f, const char *username, gboolean publish);
/* Another device of the same user. */
Device *device_new_sibling (Fixture *f, const Device *first, gboolean publish);
void device_free (Device *device);
void device_publish_keys (Fixture *f, Device *device, guint n_one_time);
void befriend (Fixture *f, Device *a, Device *b);
/* The body of POST /v1/messages to a user, with one envelope of random ciphertext per
 * device in devices (NULL-terminated). */
char *direct_message_json (const char *message_id, const char *to_user_id, Device **devices);
/* POST /v1/messages to a user, with one envelope of random ciphertext per device in
 * devices (NULL-terminated). */
Reply *send_direct (
    Fixture *f, Device *from, const char *message_id, const char *to_user_id, Device **devices);
/* Random bytes as base64url (ciphertext stand-in). */
char *random_b64 (gsize n);
/* GET /v1/events after seq → the reply (asserted 200). */
Reply *poll_events (Fixture *f, Device *device, gint64 after, guint limit);
void ack_events (Fixture *f, Device *device, gint64 seq);

Stream *stream_open (Fixture *f, Device *device, gint64 after);
/* The next frame (waits up to 20 s; fails the test after). */
JsonObject *stream_next (Stream *stream);
/* Waits for frames until `type` arrives, returning it; the earlier ones are appended
 * to skipped when non-NULL. */
JsonObject *stream_next_of_type (Stream *stream, const char *type, GPtrArray *skipped);
/* Lets the main context run for ms milliseconds, collecting frames. */
void stream_settle (Stream *stream, guint ms);
void stream_send (Stream *stream, const char *text);
/* Writes the text frames (masked, as a client must) with one write past libsoup's queue,
 * so the server finds them all in its socket at once. */
void stream_send_batch (Stream *stream, const char *const *texts, guint n);
void stream_wait_closed (Stream *stream);
void stream_free (Stream *stream);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Device, device_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stream, stream_free)

G_END_DECLS
