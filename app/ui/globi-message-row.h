/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "globi-core.h"

G_BEGIN_DECLS

/* Where a message of mine is on its way; the marks its bubble shows. */
typedef enum
{
  GLOBI_DELIVERY_NONE, /* not mine: no mark */
  GLOBI_DELIVERY_PENDING,
  GLOBI_DELIVERY_SENT,
  GLOBI_DELIVERY_DELIVERED,
  GLOBI_DELIVERY_READ,
  GLOBI_DELIVERY_FAILED,
} GlobiDelivery;

/* One message in a conversation: an optional day separator above a bubble (mine on the
 * right in the accent colour, others' on the left with avatar and, in groups, name).
 * Its context menu emits ::activated with "reply", "edit", "delete", "react:EMOJI",
 * "forward"; "copy" it does itself. A failed bubble's Retry emits ::activated "retry", a
 * click on the image "open-image", the file card's save button "save". */
#define GLOBI_TYPE_MESSAGE_ROW (globi_message_row_get_type ())
G_DECLARE_FINAL_TYPE (GlobiMessageRow, globi_message_row, GLOBI, MESSAGE_ROW, GtkWidget)

GtkWidget     *globi_message_row_new           (void);
void           globi_message_row_set_mine      (GlobiMessageRow  *self,
                                                gboolean          mine);
/* sender NULL hides the name (1:1 chats); the avatar shows its initials. */
void           globi_message_row_set_sender    (GlobiMessageRow  *self,
                                                const char       *sender,
                                                gboolean          show_name);
/* The sender's picture by blob hash, fetched through session; NULL shows initials. */
void           globi_message_row_show_avatar   (GlobiMessageRow  *self,
                                                GlobiSession     *session,
                                                const char       *hash);
void           globi_message_row_set_text      (GlobiMessageRow  *self,
                                                const char       *text);
const char    *globi_message_row_get_text      (GlobiMessageRow  *self);
void           globi_message_row_set_deleted   (GlobiMessageRow  *self,
                                                gboolean          deleted);
/* A system notice (the text, centred, no bubble); set after the text. */
void           globi_message_row_set_system    (GlobiMessageRow  *self,
                                                gboolean          system);
void           globi_message_row_set_edited    (GlobiMessageRow  *self,
                                                gboolean          edited);
void           globi_message_row_set_time      (GlobiMessageRow  *self,
                                                gint64            unix_ms);
/* day_ms > 0 shows a day separator for that day above the bubble. */
void           globi_message_row_set_day       (GlobiMessageRow  *self,
                                                gint64            day_ms);
void           globi_message_row_set_delivery  (GlobiMessageRow  *self,
                                                GlobiDelivery     delivery);
GlobiDelivery  globi_message_row_get_delivery  (GlobiMessageRow  *self);
/* e.g. "👍 2  ❤️ 1"; NULL or "" hides them. */
void           globi_message_row_set_reactions (GlobiMessageRow  *self,
                                                const char       *reactions);
/* The quoted message of a reply; NULL hides the quote. */
void           globi_message_row_set_quote     (GlobiMessageRow  *self,
                                                const char       *sender,
                                                const char       *text);
/* An image thumbnail or a file card below the text; progress < 0 hides the bar. */
void           globi_message_row_set_image     (GlobiMessageRow  *self,
                                                GdkPaintable     *image);
/* The thumbnail shown, NULL when none. */
GdkPaintable  *globi_message_row_get_image     (GlobiMessageRow  *self);
void           globi_message_row_set_file      (GlobiMessageRow  *self,
                                                const char       *name,
                                                goffset           size,
                                                double            progress);
/* A GlobiPay card (or any widget) inside the bubble; NULL removes it. */
void           globi_message_row_set_card      (GlobiMessageRow  *self,
                                                GtkWidget        *card);
GtkWidget     *globi_message_row_get_card      (GlobiMessageRow  *self);

G_END_DECLS
