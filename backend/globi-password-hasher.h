/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Argon2id (crypto_pwhash) on a small pool of worker threads, never on the main loop.
 * The cost is configurable so tests stay fast; the default is libsodium's interactive
 * level. Hashes are libsodium's self-describing "$argon2id$..." strings, so a cost change
 * keeps old hashes verifiable and needs_rehash tells when to upgrade one. */
#define GLOBI_TYPE_PASSWORD_HASHER (globi_password_hasher_get_type ())
G_DECLARE_FINAL_TYPE (GlobiPasswordHasher, globi_password_hasher, GLOBI, PASSWORD_HASHER, GObject)

GlobiPasswordHasher *globi_password_hasher_new          (guint64               opslimit,
                                                         gsize                 memlimit);
void                 globi_password_hasher_hash_async   (GlobiPasswordHasher  *self,
                                                         const char           *password,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
char                *globi_password_hasher_hash_finish  (GlobiPasswordHasher  *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
/* hash may be NULL (unknown user): a dummy verification still runs so that timing does
 * not tell which usernames exist; the result is then FALSE. */
void                 globi_password_hasher_verify_async (GlobiPasswordHasher  *self,
                                                         const char           *password,
                                                         const char           *hash,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
/* TRUE when the password matches; FALSE without error when it does not. */
gboolean             globi_password_hasher_verify_finish (GlobiPasswordHasher *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);
gboolean             globi_password_hasher_needs_rehash (GlobiPasswordHasher  *self,
                                                         const char           *hash);
/* Jobs queued or running: a server under a sign-in flood can answer 503 past a bound
 * instead of queueing without end, and export it as a gauge. */
guint                globi_password_hasher_get_pending  (GlobiPasswordHasher  *self);

G_END_DECLS
