/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-messenger.h"

G_BEGIN_DECLS

/* The Contacts section: friends A–Z, new friends (requests), adding a friend by username
 * and a friend's page. ::open-chat (chat id) asks the window to show that chat. */
#define GLOBI_TYPE_CONTACTS_VIEW (globi_contacts_view_get_type ())
G_DECLARE_FINAL_TYPE (GlobiContactsView, globi_contacts_view, GLOBI, CONTACTS_VIEW, GtkWidget)

GtkWidget    *globi_contacts_view_new             (void);
void          globi_contacts_view_set_messenger   (GlobiContactsView  *self,
                                                   GlobiMessenger     *messenger);
void          globi_contacts_view_set_menu        (GlobiContactsView  *self,
                                                   GMenuModel         *menu);
/* Pages of the content pane: "requests", "add", or a friend's page. */
void          globi_contacts_view_show_requests   (GlobiContactsView  *self);
void          globi_contacts_view_show_add        (GlobiContactsView  *self);
void          globi_contacts_view_show_contact    (GlobiContactsView  *self,
                                                   GlobiContact       *contact);
GtkListBox   *globi_contacts_view_get_friends     (GlobiContactsView  *self);
GtkListBox   *globi_contacts_view_get_requests    (GlobiContactsView  *self);
/* The add-a-friend form: the username entry, its Find button (looks the name up) and
 * the send button (sensitive once someone was found). */
GtkEditable  *globi_contacts_view_get_add_entry   (GlobiContactsView  *self);
GtkWidget    *globi_contacts_view_get_find_button (GlobiContactsView  *self);
GtkWidget    *globi_contacts_view_get_add_button  (GlobiContactsView  *self);

G_END_DECLS
