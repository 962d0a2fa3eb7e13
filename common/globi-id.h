/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* UUIDv7 (RFC 9562): time-ordered, so ids inserted under an index stay append-mostly. */
#define GLOBI_ID_LENGTH 36

char     *globi_id_new          (void);
gboolean  globi_id_is_valid     (const char *id);
gint64    globi_id_get_unix_ms  (const char *id);

G_END_DECLS
