/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-store-accounts.h"
#include "globi-store.h"

G_BEGIN_DECLS

/* The SQL for device-linking tickets (docs/protocol.md, "Device linking"). Tickets and
 * poll secrets are stored as BLAKE2b hashes only. Jobs are GlobiStoreFuncs taking a
 * GlobiLinkArgs; every one of them treats a ticket past its expiry as gone, except poll,
 * which reports it as expired. */

#define GLOBI_LINK_TICKET_TTL_MS (60 * G_GINT64_CONSTANT (1000))
/* Scanning (and approving) gives the people at both screens time to confirm. */
#define GLOBI_LINK_CONFIRM_TTL_MS (120 * G_GINT64_CONSTANT (1000))
/* Declined and expired tickets still answer their poll for this long, then are purged. */
#define GLOBI_LINK_PURGE_AFTER_MS (3600 * G_GINT64_CONSTANT (1000))

typedef enum
{
  GLOBI_LINK_WAITING,
  GLOBI_LINK_SCANNED,
  GLOBI_LINK_APPROVED,
  GLOBI_LINK_DECLINED,
  GLOBI_LINK_EXPIRED,
} GlobiLinkState;

typedef struct
{
  guint8 ticket_hash[GLOBI_TOKEN_HASH_BYTES];
  guint8 secret_hash[GLOBI_TOKEN_HASH_BYTES];
  char *public_key;
  char *device_name;
  char *device_platform;
  char *address;
  char *user_id;    /* the approver's account (scan, approve, decline) */
  char *device_id;  /* the approver's device */
  GBytes *payload;  /* approve */
  gboolean approve; /* approve or decline */
  /* poll: the new device's session, created if the ticket turns out approved */
  GlobiAccountArgs *session;
  gint64 now_ms;
} GlobiLinkArgs;

typedef struct
{
  GlobiLinkState state;
  char *public_key;
  char *device_name;
  char *device_platform;
  char *address;
  gint64 created_at;
  gint64 expires_at;
  GlobiUserRow *scanner; /* poll: scanned or approved */
  GlobiUserRow *user;    /* poll: approved, the new session's account */
  GBytes *payload;       /* poll: approved */
} GlobiLinkTicketRow;

GlobiLinkArgs *globi_link_args_new (void);
void globi_link_args_free (gpointer data);
void globi_link_ticket_row_free (gpointer data);
const char *globi_link_state_to_string (GlobiLinkState state);

/* ticket_hash, secret_hash, public_key, device_name, device_platform, address, now_ms →
 * GlobiLinkTicketRow; also purges long-dead tickets. */
gpointer globi_store_link_create (sqlite3 *db, gpointer args, GError **error);
/* ticket_hash, secret_hash, session (user_id unset), now_ms → GlobiLinkTicketRow; an
 * approved ticket is used up and session created. Without a session it only reads (run
 * it with globi_store_read_async): an approved ticket stays as it is. NOT_FOUND. */
gpointer globi_store_link_poll (sqlite3 *db, gpointer args, GError **error);
/* ticket_hash, user_id, device_id, now_ms → GlobiLinkTicketRow (scanned). NOT_FOUND. */
gpointer globi_store_link_scan (sqlite3 *db, gpointer args, GError **error);
/* ticket_hash, user_id, device_id, approve, payload (approve), now_ms → NULL. NOT_FOUND. */
gpointer globi_store_link_resolve (sqlite3 *db, gpointer args, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiLinkArgs, globi_link_args_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiLinkTicketRow, globi_link_ticket_row_free)

G_END_DECLS
