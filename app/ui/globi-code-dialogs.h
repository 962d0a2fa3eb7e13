/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-core.h"

G_BEGIN_DECLS

/* The small dialogs the QR dispatcher (globi_window_open_code) opens. */

/* Text that is no GlobiChat code: shown as is, with Copy (and Open for web links). */
AdwMessageDialog *globi_code_show_text        (GtkWindow      *parent,
                                               const char     *text);
/* A group invite: asks, then joins with the token; on_joined gets the group's chat id
 * ("g:GROUP_ID") or NULL after a failure the dialog has already reported. */
typedef void (*GlobiCodeJoinedFunc) (GtkWindow  *parent,
                                     const char *chat_id,
                                     const char *message);
AdwMessageDialog *globi_code_confirm_join     (GtkWindow          *parent,
                                               GlobiMessenger     *messenger,
                                               const char         *token,
                                               GlobiCodeJoinedFunc on_joined);

G_END_DECLS
