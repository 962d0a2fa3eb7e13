/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Content-addressed blobs on disk: DIR/ab/abcdef...(sha256 hex), written to a temporary
 * file and renamed into place, so a crash never leaves a half blob under a real name.
 * Blocking I/O: call from a worker thread, never the main loop. */
#define GLOBI_TYPE_BLOB_STORE (globi_blob_store_get_type ())
G_DECLARE_FINAL_TYPE (GlobiBlobStore, globi_blob_store, GLOBI, BLOB_STORE, GObject)

GlobiBlobStore *globi_blob_store_new             (const char      *directory,
                                                  GError         **error);
/* Stores bytes (idempotent: an existing blob is kept) and returns its sha256 hex. */
char           *globi_blob_store_put             (GlobiBlobStore  *self,
                                                  GBytes          *bytes,
                                                  GError         **error);
/* GLOBI_ERROR_NOT_FOUND for an unknown or malformed hash. */
GBytes         *globi_blob_store_get             (GlobiBlobStore  *self,
                                                  const char      *hash,
                                                  GError         **error);
gboolean        globi_blob_store_has             (GlobiBlobStore  *self,
                                                  const char      *hash);
gboolean        globi_blob_hash_is_valid         (const char      *hash);

/* "image/png", "image/jpeg" or "image/webp" from the magic bytes, or NULL. */
const char     *globi_image_sniff                (GBytes          *bytes);
/* Decodes (refusing more than max_side pixels per side: GLOBI_ERROR_TOO_LARGE; anything
 * undecodable: GLOBI_ERROR_UNSUPPORTED_MEDIA) and returns a size×size PNG thumbnail,
 * centre-cropped. */
GBytes         *globi_image_make_thumbnail       (GBytes          *bytes,
                                                  guint            max_side,
                                                  guint            size,
                                                  GError         **error);

G_END_DECLS
