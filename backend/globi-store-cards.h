/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-store-social.h"

G_BEGIN_DECLS

/* Friend cards (docs/protocol.md "Friend cards"): one random card per user, made on first
 * use, replaced by a reset. Jobs take a GlobiSocialArgs and return a GlobiSocialResult, so
 * the routes run them with globi_routes_social_run. */

/* 16 random bytes, unpadded base64url. */
#define GLOBI_CARD_CHARS 22

/* Whether card is user_id's current card; one indexed query. */
gboolean globi_store_cards_is_current (sqlite3    *db,
                                       const char *user_id,
                                       const char *card);

/* user_id → 200 {"uri", "card"} (made on the first call). */
gpointer globi_store_cards_get        (sqlite3 *db, gpointer args, GError **error);
/* user_id → 200 {"uri", "card"} with a new card. */
gpointer globi_store_cards_reset      (sqlite3 *db, gpointer args, GError **error);
/* other (the card's user id), id (the card) → 200 {"user": User}; 404 unless current. */
gpointer globi_store_cards_resolve    (sqlite3 *db, gpointer args, GError **error);

G_END_DECLS
