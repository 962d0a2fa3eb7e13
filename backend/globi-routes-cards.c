/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-routes-cards"

#include "config.h"

#include <string.h>

#include "globi-routes.h"
#include "globi-store-cards.h"

/* The shape of a card: 22–64 characters of base64url. */
static gboolean
card_is_well_formed (const char *card)
{
  gsize len = card ? strlen (card) : 0;

  if (len < GLOBI_CARD_CHARS || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (card[i]) && card[i] != '-' && card[i] != '_')
      return FALSE;
  return TRUE;
}

gboolean
globi_routes_card_is_well_formed (const char *card)
{
  return card_is_well_formed (card);
}

/* GET /v1/me/card */
void
globi_routes_get_my_card (GlobiRequest *req)
{
  /* A write: the first call makes the card. */
  globi_routes_social_run (req, globi_store_cards_get, globi_routes_social_args (req), TRUE);
}

/* POST /v1/me/card/reset */
void
globi_routes_reset_my_card (GlobiRequest *req)
{
  globi_routes_social_run (req, globi_store_cards_reset, globi_routes_social_args (req), TRUE);
}

/* GET /v1/cards/{user_id}/{card} */
void
globi_routes_resolve_card (GlobiRequest *req)
{
  const char *user_id = globi_routes_social_id_param (req, 0);
  const char *card = globi_request_get_param (req, 1);
  GlobiSocialArgs *args;

  if (!user_id)
    return;
  if (!card_is_well_formed (card))
    {
      globi_request_reply_error_code (req, GLOBI_ERROR_NOT_FOUND,
                                      "this friend card is not valid (it may have been reset)");
      return;
    }
  args = globi_routes_social_args (req);
  args->other = g_strdup (user_id);
  args->id = g_strdup (card);
  globi_routes_social_run (req, globi_store_cards_resolve, args, FALSE);
}
