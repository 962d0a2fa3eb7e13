/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "globi-messenger.h"

G_BEGIN_DECLS

/* New group (group NULL: name it and pick members among friends) or a group's info
 * (members with roles, add and remove, transfer ownership, leave, announcement, invite
 * link). ::open-chat (chat id) when a new group was created. */
#define GLOBI_TYPE_GROUP_DIALOG (globi_group_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GlobiGroupDialog, globi_group_dialog, GLOBI, GROUP_DIALOG, AdwWindow)

GlobiGroupDialog  *globi_group_dialog_new (GtkWindow       *parent,
                                           GlobiMessenger  *messenger,
                                           GlobiGroup      *group);

G_END_DECLS
