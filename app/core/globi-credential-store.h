/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "globi-core-types.h"

G_BEGIN_DECLS

/* What survives a restart of a signed-in profile. */
typedef struct
{
  char *server_url;
  char *user_id;
  char *username;
  char *device_id;
  char *refresh_token;
} GlobiCredentials;

#define GLOBI_TYPE_CREDENTIALS (globi_credentials_get_type ())
GType             globi_credentials_get_type (void) G_GNUC_CONST;
GlobiCredentials *globi_credentials_new      (void);
GlobiCredentials *globi_credentials_copy     (const GlobiCredentials *creds);
void              globi_credentials_free     (GlobiCredentials       *creds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiCredentials, globi_credentials_free)

/* Keeps the credentials of one profile directory in the Secret Service (libsecret;
 * attribute "profile" = the profile directory) or, when no Secret Service is reachable,
 * in PROFILE/credentials.json created with mode 0600. The `backend` property
 * (GlobiCredentialBackend) says which one is in use, so the UI can tell the user.
 * GLOBICHAT_CREDENTIALS=file forces the file; =secret forces the Secret Service (no
 * fallback). Operations run in order on a worker thread. */
#define GLOBI_TYPE_CREDENTIAL_STORE (globi_credential_store_get_type ())
G_DECLARE_FINAL_TYPE (GlobiCredentialStore, globi_credential_store, GLOBI, CREDENTIAL_STORE, GObject)

GlobiCredentialStore   *globi_credential_store_new         (const char            *profile_dir);
const char             *globi_credential_store_get_profile_dir (GlobiCredentialStore *self);
GlobiCredentialBackend  globi_credential_store_get_backend (GlobiCredentialStore  *self);

void                    globi_credential_store_save_async  (GlobiCredentialStore  *self,
                                                            const GlobiCredentials *creds,
                                                            GCancellable          *cancellable,
                                                            GAsyncReadyCallback    callback,
                                                            gpointer               user_data);
gboolean                globi_credential_store_save_finish (GlobiCredentialStore  *self,
                                                            GAsyncResult          *result,
                                                            GError               **error);
/* Returns NULL without an error when nothing is stored. */
void                    globi_credential_store_load_async  (GlobiCredentialStore  *self,
                                                            GCancellable          *cancellable,
                                                            GAsyncReadyCallback    callback,
                                                            gpointer               user_data);
GlobiCredentials       *globi_credential_store_load_finish (GlobiCredentialStore  *self,
                                                            GAsyncResult          *result,
                                                            GError               **error);
void                    globi_credential_store_clear_async (GlobiCredentialStore  *self,
                                                            GCancellable          *cancellable,
                                                            GAsyncReadyCallback    callback,
                                                            gpointer               user_data);
gboolean                globi_credential_store_clear_finish (GlobiCredentialStore *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
/* Completes once every operation queued before it has finished. */
void                    globi_credential_store_flush_async (GlobiCredentialStore  *self,
                                                            GCancellable          *cancellable,
                                                            GAsyncReadyCallback    callback,
                                                            gpointer               user_data);
gboolean                globi_credential_store_flush_finish (GlobiCredentialStore *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);

/* Blocking variants (the CLI, tests). Do not call them on a UI main loop. */
gboolean                globi_credential_store_save_sync   (GlobiCredentialStore  *self,
                                                            const GlobiCredentials *creds,
                                                            GError               **error);
GlobiCredentials       *globi_credential_store_load_sync   (GlobiCredentialStore  *self,
                                                            GError               **error);
gboolean                globi_credential_store_clear_sync  (GlobiCredentialStore  *self,
                                                            GError               **error);

G_END_DECLS
