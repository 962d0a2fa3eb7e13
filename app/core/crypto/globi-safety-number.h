/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Signal's numeric fingerprint (version 0, 5200 iterations of SHA-512 over the identity
 * key and a stable id). Both ends compute the same 60 digits, as 12 groups of 5 separated
 * by spaces; it changes when either identity key changes. */
char     *globi_safety_number_format     (const guint8  local_identity_key[32],
                                          const char   *local_id,
                                          const guint8  remote_identity_key[32],
                                          const char   *remote_id);
/* The QR form: version byte 0 || local fingerprint (32) || remote fingerprint (32). */
GBytes   *globi_safety_number_scannable  (const guint8  local_identity_key[32],
                                          const char   *local_id,
                                          const guint8  remote_identity_key[32],
                                          const char   *remote_id);
/* Checks the other side's scannable bytes against ours (their local is our remote):
 * FALSE with GLOBI_CRYPTO_ERROR_INVALID_MESSAGE for garbage, FALSE without an error for
 * a mismatch. */
gboolean  globi_safety_number_verify_scanned (const guint8  local_identity_key[32],
                                          const char   *local_id,
                                          const guint8  remote_identity_key[32],
                                          const char   *remote_id,
                                          GBytes       *scanned,
                                          GError      **error);

/* Per contact rather than per device: the same over all of a user's device identity keys
 * (GBytes of concatenated 32-byte keys, in any order; they are sorted first, as libsignal
 * does for a list of identity keys). A device added or replaced changes the number. */
char     *globi_safety_number_format_devices         (GBytes       *local_keys,
                                                      const char   *local_id,
                                                      GBytes       *remote_keys,
                                                      const char   *remote_id);
GBytes   *globi_safety_number_scannable_devices      (GBytes       *local_keys,
                                                      const char   *local_id,
                                                      GBytes       *remote_keys,
                                                      const char   *remote_id);
gboolean  globi_safety_number_verify_scanned_devices (GBytes       *local_keys,
                                                      const char   *local_id,
                                                      GBytes       *remote_keys,
                                                      const char   *remote_id,
                                                      GBytes       *scanned,
                                                      GError      **error);

G_END_DECLS
