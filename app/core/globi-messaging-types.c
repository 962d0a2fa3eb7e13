/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-messaging-types"

#include "config.h"

#include "globi-messaging-types.h"

char *
globi_chat_id_for_user (const char *user_id)
{
  return g_strconcat ("u:", user_id, NULL);
}

char *
globi_chat_id_for_group (const char *group_id)
{
  return g_strconcat ("g:", group_id, NULL);
}

static const char *const role_names[] = { "member", "admin", "owner" };

const char *
globi_group_role_to_string (GlobiGroupRole role)
{
  g_return_val_if_fail (role <= GLOBI_GROUP_ROLE_OWNER, "member");
  return role_names[role];
}

gboolean
globi_group_role_from_string (const char *text, GlobiGroupRole *role)
{
  for (guint i = 0; i < G_N_ELEMENTS (role_names); i++)
    if (g_strcmp0 (text, role_names[i]) == 0)
      {
        *role = (GlobiGroupRole) i;
        return TRUE;
      }
  return FALSE;
}
