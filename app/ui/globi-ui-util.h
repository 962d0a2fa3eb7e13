/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-core.h"

G_BEGIN_DECLS

/* g_set_str () is GLib 2.76: the same for 2.74. */
gboolean      globi_ui_set_str           (char         **dest,
                                          const char    *value);
/* A plain-words sentence for an error from app/core, for toasts and inline errors;
 * NULL for a cancellation (nothing to say). */
char         *globi_ui_describe_error    (const GError  *error);
/* "WHAT: REASON" for a toast about a failed action ("Couldn't save: …"); NULL for a
 * cancellation. */
char         *globi_ui_describe_failure  (const char    *what,
                                          const GError  *error);
/* A toast showing title as plain text (toast titles are markup; names and server
 * messages are not). */
AdwToast     *globi_ui_toast_new         (const char    *title);
/* The languages offered for a profile (BCP 47 tags), named in themselves. */
guint         globi_ui_n_languages       (void);
const char   *globi_ui_language_tag      (guint          index);
const char   *globi_ui_language_name     (guint          index);
/* The name of a tag, or the tag itself when it is not in the list. */
const char   *globi_ui_language_name_for (const char    *tag);
/* Unix milliseconds as the locale's date and time ("Yesterday"-style is for later). */
char         *globi_ui_format_time       (gint64         unix_ms);
/* For the chat list: the clock time today, "Yesterday", the weekday this week, else the
 * date. */
char         *globi_ui_format_list_time  (gint64         unix_ms);
/* The clock time alone, for bubbles. */
char         *globi_ui_format_clock      (gint64         unix_ms);
/* For day separators: "Today", "Yesterday" or the locale's date. */
char         *globi_ui_format_day        (gint64         unix_ms);
/* Whether two times fall on the same local day. */
gboolean      globi_ui_same_day          (gint64         a_ms,
                                          gint64         b_ms);

/* Shows the image of a blob (from the client's cache or the server) on avatar; NULL hash
 * clears it back to initials. Only the last request per avatar wins. */
void          globi_ui_set_avatar_image  (AdwAvatar     *avatar,
                                          GlobiSession  *session,
                                          const char    *hash);

G_END_DECLS
