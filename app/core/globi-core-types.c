/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-core-types"

#include "config.h"

#include "globi-core-types.h"

static const char *const who_can_add_names[] = {
  [GLOBI_WHO_CAN_ADD_EVERYONE] = "everyone",
  [GLOBI_WHO_CAN_ADD_FRIENDS_OF_FRIENDS] = "friends_of_friends",
  [GLOBI_WHO_CAN_ADD_NOBODY] = "nobody",
};

const char *
globi_who_can_add_to_string (GlobiWhoCanAdd value)
{
  g_return_val_if_fail (value < G_N_ELEMENTS (who_can_add_names), NULL);

  return who_can_add_names[value];
}

gboolean
globi_who_can_add_from_string (const char *text, GlobiWhoCanAdd *value)
{
  if (text == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (who_can_add_names); i++)
    if (g_str_equal (text, who_can_add_names[i]))
      {
        if (value != NULL)
          *value = (GlobiWhoCanAdd) i;
        return TRUE;
      }
  return FALSE;
}
