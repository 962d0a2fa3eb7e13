/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "globi-messenger.h"
#include "globi-profile.h"
#include "globi-session.h"

G_BEGIN_DECLS

/* Device linking (QR login), docs/protocol.md "Device linking" and docs/crypto.md.
 *
 * The new device's side is a GlobiDeviceLink: it asks the server for a ticket with a
 * one-time X25519 key, shows `uri` as a QR code, asks for a new ticket every 30 s (the
 * previous one is still followed until it expires), follows the tickets' states and,
 * once approved, opens the sealed payload, imports the history bundle into the profile's
 * cache and signs the session in with the tokens it received.
 *
 * Properties (read-only, notify on change): state (GlobiDeviceLinkState), uri (string,
 * NULL until the first ticket), scanner (GlobiProfile: who scanned, for the avatar),
 * error-message (string: why it FAILED), expires-at (gint64 Unix ms of the shown code).
 *
 * The approving side is three calls on a signed-in session: scan (shows who asks),
 * approve (builds, encrypts and uploads the history bundle, then seals what the new device
 * needs to the one-time key) and decline. */

typedef enum
{
  GLOBI_DEVICE_LINK_STATE_IDLE,      /* not started */
  GLOBI_DEVICE_LINK_STATE_WAITING,   /* a code is shown */
  GLOBI_DEVICE_LINK_STATE_SCANNED,   /* someone scanned it: "confirm on your other device" */
  GLOBI_DEVICE_LINK_STATE_APPROVED,  /* approved: importing history, signing in */
  GLOBI_DEVICE_LINK_STATE_SIGNED_IN, /* done: the session is signed in */
  GLOBI_DEVICE_LINK_STATE_DECLINED,  /* the other device said no */
  GLOBI_DEVICE_LINK_STATE_EXPIRED,   /* nobody approved in time: globi_device_link_start again */
  GLOBI_DEVICE_LINK_STATE_FAILED,    /* error-message says why */
} GlobiDeviceLinkState;

GType globi_device_link_state_get_type (void);
#define GLOBI_TYPE_DEVICE_LINK_STATE (globi_device_link_state_get_type ())

#define GLOBI_TYPE_DEVICE_LINK (globi_device_link_get_type ())
G_DECLARE_FINAL_TYPE (GlobiDeviceLink, globi_device_link, GLOBI, DEVICE_LINK, GObject)

/* device_name NULL: globi_session_default_device_name (); platform "Linux". */
GlobiDeviceLink *
globi_device_link_new (GlobiSession *session, const char *server_url, const char *device_name);
/* How many times the code is replaced before it is left to expire (default 10, i.e. about
 * five and a half minutes; 0: without end). */
void globi_device_link_set_max_refreshes (GlobiDeviceLink *self, guint max_refreshes);
/* Seconds between new codes (default 30; 1 to 59: a code lives 60 s on the server). */
#define GLOBI_LINK_TICKET_LIFETIME_S 60
void globi_device_link_set_refresh_interval (GlobiDeviceLink *self, guint seconds);
/* Starts (or, after EXPIRED, DECLINED or FAILED, starts over with a fresh key). */
void globi_device_link_start (GlobiDeviceLink *self);
/* Stops polling; the state stays as it is. */
void globi_device_link_cancel (GlobiDeviceLink *self);
GlobiDeviceLinkState globi_device_link_get_state (GlobiDeviceLink *self);
const char *globi_device_link_get_uri (GlobiDeviceLink *self);
GlobiProfile *globi_device_link_get_scanner (GlobiDeviceLink *self);
const char *globi_device_link_get_error_message (GlobiDeviceLink *self);
gint64 globi_device_link_get_expires_at (GlobiDeviceLink *self);

/* A parsed `globichat://link?t=…&k=…&s=…` (server_url NULL when the code has none). */
typedef struct
{
  char *ticket;
  char *public_key; /* base64url, as in the code */
  char *server_url;
} GlobiLinkCode;

/* GLOBI_ERROR_BAD_REQUEST with a readable message when uri is not a well-formed link code. */
GlobiLinkCode *globi_link_code_parse (const char *uri, GError **error);
void globi_link_code_free (GlobiLinkCode *code);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiLinkCode, globi_link_code_free)

/* Approver: POST …/scan. Returns the LinkTicket object (docs/protocol.md). A code for
 * another server than the session's is GLOBI_ERROR_BAD_REQUEST; an expired, used or
 * unknown ticket GLOBI_ERROR_NOT_FOUND. */
void globi_device_link_scan_async (GlobiSession *session,
                                   const char *uri,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
JsonObject *
globi_device_link_scan_finish (GlobiSession *session, GAsyncResult *result, GError **error);
/* Approver: the new device joins this session's account. messenger (may be NULL: no
 * history) gives the cache the history bundle is built from: the last 200 messages of the
 * 20 most recent chats. */
void globi_device_link_approve_async (GlobiSession *session,
                                      GlobiMessenger *messenger,
                                      const char *uri,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
gboolean
globi_device_link_approve_finish (GlobiSession *session, GAsyncResult *result, GError **error);
void globi_device_link_decline_async (GlobiSession *session,
                                      const char *uri,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
gboolean
globi_device_link_decline_finish (GlobiSession *session, GAsyncResult *result, GError **error);

/* The history bundle's limits (docs/crypto.md). */
#define GLOBI_DEVICE_LINK_MAX_CHATS        20
#define GLOBI_DEVICE_LINK_MAX_MESSAGES     200
#define GLOBI_DEVICE_LINK_MAX_BUNDLE_BYTES (25 * 1024 * 1024)

G_END_DECLS
