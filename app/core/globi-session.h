/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "globi-core-types.h"
#include "globi-client.h"
#include "globi-profile.h"

G_BEGIN_DECLS

/* The signed-in account of one profile directory: what the UI and the CLI drive.
 *
 * Properties (read-only, notify on change):
 * - state (GlobiSessionState)
 * - me (GlobiProfile, NULL while signed out): stays the same object while signed in and
 *   is updated in place, so property bindings keep working
 * - server-url, user-id, device-id (strings, NULL while signed out)
 * - credential-backend (GlobiCredentialBackend): where the sign-in is kept
 * - client (GlobiClient): the REST client (for blobs: globi_client_fetch_blob_async)
 * - profile-dir
 *
 * Signal signed-out (GlobiSignOutReason): the session went from SIGNED_IN to SIGNED_OUT,
 * by the user, or because the server ended it (device revoked, token reused/expired).
 *
 * Every operation reports errors in GLOBI_ERROR (the server's message in error->message),
 * GLOBI_ERROR_NETWORK when the server cannot be reached, or G_IO_ERROR_CANCELLED. */
#define GLOBI_TYPE_SESSION (globi_session_get_type ())
G_DECLARE_FINAL_TYPE (GlobiSession, globi_session, GLOBI, SESSION, GObject)

GlobiSession          *globi_session_new                    (const char         *profile_dir);
const char            *globi_session_get_profile_dir        (GlobiSession       *self);
GlobiSessionState      globi_session_get_state              (GlobiSession       *self);
GlobiProfile          *globi_session_get_me                 (GlobiSession       *self);
const char            *globi_session_get_server_url         (GlobiSession       *self);
const char            *globi_session_get_user_id            (GlobiSession       *self);
const char            *globi_session_get_device_id          (GlobiSession       *self);
GlobiCredentialBackend globi_session_get_credential_backend (GlobiSession       *self);
GlobiClient           *globi_session_get_client             (GlobiSession       *self);
/* "GlobiChat on HOSTNAME" */
char                  *globi_session_default_device_name    (void);

/* Loads stored credentials and refreshes: SIGNED_IN (TRUE), or SIGNED_OUT (FALSE without
 * an error when nothing is stored; with an error otherwise; credentials are kept on a
 * network error so a retry can succeed, and dropped when the server refused them). */
void      globi_session_restore_async          (GlobiSession        *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_restore_finish         (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* Creates the account, then signs in as it (device name: the default). */
void      globi_session_register_async         (GlobiSession        *self,
                                                const char          *server_url,
                                                const char          *username,
                                                const char          *password,
                                                const char          *display_name,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_register_finish        (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* device_name NULL: globi_session_default_device_name (); platform "Linux". */
void      globi_session_sign_in_async          (GlobiSession        *self,
                                                const char          *server_url,
                                                const char          *username,
                                                const char          *password,
                                                const char          *device_name,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_sign_in_finish         (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* Tells the server, then forgets the credentials. Signs out locally even when the server
 * cannot be reached (that is not an error). */
void      globi_session_sign_out_async         (GlobiSession        *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_sign_out_finish        (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

void      globi_session_reload_me_async        (GlobiSession        *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_reload_me_finish       (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* patch: a PATCH /v1/me body (wire names: display_name, bio, region, preferred_currency,
 * language, privacy {discoverable, who_can_add}). Optimistic: `me` changes at once; if
 * the server refuses, `me` rolls back and the error says why. */
void      globi_session_update_profile_async   (GlobiSession        *self,
                                                JsonObject          *patch,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_update_profile_finish  (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* image: PNG, JPEG or WebP bytes, already cropped; content_type NULL = "image/png". */
void      globi_session_set_avatar_async       (GlobiSession        *self,
                                                GBytes              *image,
                                                const char          *content_type,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_set_avatar_finish      (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);
void      globi_session_remove_avatar_async    (GlobiSession        *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_remove_avatar_finish   (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* Returns a GListModel (a GListStore) of GlobiDevice, newest first. */
void        globi_session_list_devices_async   (GlobiSession        *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GListModel *globi_session_list_devices_finish  (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);
void        globi_session_revoke_device_async  (GlobiSession        *self,
                                                const char          *device_id,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean    globi_session_revoke_device_finish (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* Other devices are signed out by the server; this one stays signed in. */
void      globi_session_change_password_async  (GlobiSession        *self,
                                                const char          *current_password,
                                                const char          *new_password,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_change_password_finish (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* q: an exact username or a user id. GLOBI_ERROR_NOT_FOUND when nobody matches. */
void          globi_session_lookup_user_async  (GlobiSession        *self,
                                                const char          *query,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GlobiProfile *globi_session_lookup_user_finish (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* Completes when every credential write started so far (token rotations) is on disk.
 * The CLI calls it before exiting. */
void      globi_session_flush_async            (GlobiSession        *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_flush_finish           (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* Signs in with a Tokens reply (docs/protocol.md) obtained another way, e.g. by device
 * linking: stored like a password sign-in. */
void      globi_session_adopt_tokens_async     (GlobiSession        *self,
                                                const char          *server_url,
                                                JsonNode            *tokens,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean  globi_session_adopt_tokens_finish    (GlobiSession        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
