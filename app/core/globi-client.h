/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "globi-core-types.h"

G_BEGIN_DECLS

/* The REST client: one SoupSession, the tokens of one signed-in device, and an on-disk
 * cache of immutable blobs. Errors are in GLOBI_ERROR (from the server's JSON error
 * object), GLOBI_ERROR_NETWORK when the server cannot be reached, or G_IO_ERROR_CANCELLED.
 *
 * Signals:
 * - tokens-changed (): the access/refresh tokens were rotated; persist the refresh token.
 * - session-ended (guint code): a refresh failed for good (GlobiErrorCode: UNAUTHORIZED or
 *   TOKEN_REUSED): the device was signed out elsewhere or revoked. Tokens are cleared. */
#define GLOBI_TYPE_CLIENT (globi_client_get_type ())
G_DECLARE_FINAL_TYPE (GlobiClient, globi_client, GLOBI, CLIENT, GObject)

/* base_url: "http://host:port" (may be NULL and set later); cache_dir: where fetched
 * blobs are kept (NULL: no disk cache). */
GlobiClient *globi_client_new                (const char           *base_url,
                                              const char           *cache_dir);
const char  *globi_client_get_base_url       (GlobiClient          *self);
void         globi_client_set_base_url       (GlobiClient          *self,
                                              const char           *base_url);
const char  *globi_client_get_cache_dir      (GlobiClient          *self);

/* Either token may be NULL. With only a refresh token, the first AUTH call refreshes. */
void         globi_client_set_tokens         (GlobiClient          *self,
                                              const char           *access_token,
                                              const char           *refresh_token);
void         globi_client_clear_tokens       (GlobiClient          *self);
char        *globi_client_dup_refresh_token  (GlobiClient          *self);
char        *globi_client_dup_access_token   (GlobiClient          *self);
gboolean     globi_client_has_tokens         (GlobiClient          *self);

/* JSON call. body may be NULL (no body). Returns the reply's JSON (an empty object for
 * 204 No Content). */
void         globi_client_call_async         (GlobiClient          *self,
                                              const char           *method,
                                              const char           *path,
                                              JsonNode             *body,
                                              GlobiCallFlags        flags,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
JsonNode    *globi_client_call_finish        (GlobiClient          *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* The GError of a failed reply that arrived another way (a send_result on the stream):
 * the JSON error object in body (code, message, attempts_left), else the status alone;
 * retry_after_s > 0 (seconds) goes into the details and a rate limit's message. */
GError      *globi_client_error_from_reply   (guint                 status,
                                              const char           *body,
                                              gsize                 length,
                                              guint64               retry_after_s);

/* Raw body upload (an avatar image): PUT with the given Content-Type, always
 * authenticated. Returns the reply's JSON. */
void         globi_client_upload_async       (GlobiClient          *self,
                                              const char           *path,
                                              GBytes               *bytes,
                                              const char           *content_type,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
JsonNode    *globi_client_upload_finish      (GlobiClient          *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* GET /v1/blobs/HASH through the disk cache (blobs are content-addressed, hence
 * immutable; the bytes are checked against the hash). */
void         globi_client_fetch_blob_async   (GlobiClient          *self,
                                              const char           *hash,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
GBytes      *globi_client_fetch_blob_finish  (GlobiClient          *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* Rotates the tokens now (single-flight: joins a refresh already under way). Returns the
 * Tokens reply object of docs/protocol.md. */
void         globi_client_refresh_async      (GlobiClient          *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
JsonNode    *globi_client_refresh_finish     (GlobiClient          *self,
                                              GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
