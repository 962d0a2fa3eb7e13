/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-application.h"

G_BEGIN_DECLS

#define GLOBI_TYPE_WINDOW (globi_window_get_type ())
G_DECLARE_FINAL_TYPE (GlobiWindow, globi_window, GLOBI, WINDOW, AdwApplicationWindow)

GlobiWindow *globi_window_new          (GlobiApplication *application);
/* Starts the embedded server when asked to (or when this profile hosted one before),
 * seeds demo people with demo, then restores the stored sign-in. */
void         globi_window_start        (GlobiWindow      *self,
                                        gboolean          demo,
                                        gboolean          embedded);
void         globi_window_open_uri     (GlobiWindow      *self,
                                        const char       *uri);
/* Any scanned, pasted or opened text (a globichat:// link, a payment code, other text):
 * classified by globi_code_classify and opened on the right screen. */
void         globi_window_open_code    (GlobiWindow      *self,
                                        const char       *text);
void         globi_window_show_section (GlobiWindow      *self,
                                        const char       *name);
void         globi_window_add_toast    (GlobiWindow      *self,
                                        const char       *title);
/* Shows the Chats section with that chat ("u:USER_ID" or "g:GROUP_ID") open. */
void         globi_window_open_chat    (GlobiWindow      *self,
                                        const char       *chat_id);
/* The signed-in account's messenger (started, live), NULL while signed out. It is a new
 * object after each sign-in: do not keep it past a sign-out. */
GlobiMessenger *globi_window_get_messenger (GlobiWindow  *self);

G_END_DECLS
