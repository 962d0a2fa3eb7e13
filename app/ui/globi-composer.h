/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GLOBI_TYPE_COMPOSER (globi_composer_get_type ())
G_DECLARE_FINAL_TYPE (GlobiComposer, globi_composer, GLOBI, COMPOSER, GtkWidget)

GtkWidget    *globi_composer_new             (void);
/* The text as typed (NULL-free, may be empty). */
char         *globi_composer_dup_text        (GlobiComposer  *self);
void          globi_composer_set_text        (GlobiComposer  *self,
                                              const char     *text);
/* TRUE when there is something to send: the send button is sensitive exactly then. */
gboolean      globi_composer_can_send        (GlobiComposer  *self);
/* Emits ::send with the trimmed text and clears the entry; FALSE when empty. */
gboolean      globi_composer_send            (GlobiComposer  *self);
GtkTextView  *globi_composer_get_text_view   (GlobiComposer  *self);
GtkWidget    *globi_composer_get_send_button (GlobiComposer  *self);

G_END_DECLS
