/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-store-link"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-error.h"
#include "globi-store-link.h"

static const char *const state_names[] = {
  [GLOBI_LINK_WAITING] = "waiting",   [GLOBI_LINK_SCANNED] = "scanned",
  [GLOBI_LINK_APPROVED] = "approved", [GLOBI_LINK_DECLINED] = "declined",
  [GLOBI_LINK_EXPIRED] = "expired",
};

GlobiLinkArgs *
globi_link_args_new (void)
{
  return g_new0 (GlobiLinkArgs, 1);
}

void
globi_link_args_free (gpointer data)
{
  GlobiLinkArgs *args = data;

  if (!args)
    return;
  g_free (args->public_key);
  g_free (args->device_name);
  g_free (args->device_platform);
  g_free (args->address);
  g_free (args->user_id);
  g_free (args->device_id);
  g_clear_pointer (&args->payload, g_bytes_unref);
  g_clear_pointer (&args->session, globi_account_args_free);
  g_free (args);
}

void
globi_link_ticket_row_free (gpointer data)
{
  GlobiLinkTicketRow *row = data;

  if (!row)
    return;
  g_free (row->public_key);
  g_free (row->device_name);
  g_free (row->device_platform);
  g_free (row->address);
  g_clear_pointer (&row->scanner, globi_user_row_free);
  g_clear_pointer (&row->user, globi_user_row_free);
  g_clear_pointer (&row->payload, g_bytes_unref);
  g_free (row);
}

const char *
globi_link_state_to_string (GlobiLinkState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (state_names), "expired");
  return state_names[state];
}

static GlobiLinkState
state_from_string (const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (text, state_names[i]) == 0)
      return i;
  return GLOBI_LINK_EXPIRED;
}

static void
bind_text (sqlite3_stmt *stmt, int index, const char *text)
{
  if (text)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static void
bind_hash (sqlite3_stmt *stmt, int index, const guint8 hash[GLOBI_TOKEN_HASH_BYTES])
{
  sqlite3_bind_blob (stmt, index, hash, GLOBI_TOKEN_HASH_BYTES, SQLITE_TRANSIENT);
}

static GError *
not_found (void)
{
  return g_error_new_literal (GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND, "no such ticket");
}

static gpointer
fail_not_found (GError **error)
{
  g_propagate_error (error, not_found ());
  return NULL;
}

/* Everything about a ticket, as stored. */
typedef struct
{
  GlobiLinkTicketRow *row;
  guint8 secret_hash[GLOBI_TOKEN_HASH_BYTES];
  char *user_id;
} Stored;

static void
stored_clear (Stored *stored)
{
  g_clear_pointer (&stored->row, globi_link_ticket_row_free);
  g_clear_pointer (&stored->user_id, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Stored, stored_clear)

/* Reads the ticket into stored; FALSE without error when there is none. Its state is the
 * effective one: a live state past the expiry reads as expired. */
static gboolean
load (sqlite3 *db, GlobiLinkArgs *args, Stored *stored, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  GlobiLinkTicketRow *row;
  int rc;

  stmt = globi_store_prepare (db,
                              "SELECT secret_hash, state, public_key, device_name, "
                              "device_platform, address, created_at, expires_at, user_id, "
                              "payload FROM link_tickets WHERE ticket_hash = ?1",
                              error);
  if (!stmt)
    return FALSE;
  bind_hash (stmt, 1, args->ticket_hash);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      globi_store_set_error (db, error);
      return FALSE;
    }
  if (sqlite3_column_bytes (stmt, 0) == GLOBI_TOKEN_HASH_BYTES)
    memcpy (stored->secret_hash, sqlite3_column_blob (stmt, 0), GLOBI_TOKEN_HASH_BYTES);
  row = stored->row = g_new0 (GlobiLinkTicketRow, 1);
  row->state = state_from_string ((const char *) sqlite3_column_text (stmt, 1));
  row->public_key = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  row->device_name = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  row->device_platform = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
  row->address = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  row->created_at = sqlite3_column_int64 (stmt, 6);
  row->expires_at = sqlite3_column_int64 (stmt, 7);
  stored->user_id = g_strdup ((const char *) sqlite3_column_text (stmt, 8));
  if (sqlite3_column_type (stmt, 9) == SQLITE_BLOB)
    row->payload = g_bytes_new (sqlite3_column_blob (stmt, 9), sqlite3_column_bytes (stmt, 9));
  if (row->state <= GLOBI_LINK_APPROVED && args->now_ms >= row->expires_at)
    row->state = GLOBI_LINK_EXPIRED;
  return TRUE;
}

static gboolean
delete_ticket (sqlite3 *db, const guint8 hash[GLOBI_TOKEN_HASH_BYTES], GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db, "DELETE FROM link_tickets WHERE ticket_hash = ?1", error);
  if (!stmt)
    return FALSE;
  bind_hash (stmt, 1, hash);
  return globi_store_step_done (db, stmt, error);
}

static GlobiUserRow *
user_by_id (sqlite3 *db, const char *user_id, GError **error)
{
  g_autoptr (GlobiAccountArgs) account = globi_account_args_new ();

  account->user_id = g_strdup (user_id);
  return globi_store_accounts_get_by_id (db, account, error);
}

gpointer
globi_store_link_create (sqlite3 *db, gpointer data, GError **error)
{
  GlobiLinkArgs *args = data;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  GlobiLinkTicketRow *row;

  stmt = globi_store_prepare (db, "DELETE FROM link_tickets WHERE expires_at < ?1", error);
  if (!stmt)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, args->now_ms - GLOBI_LINK_PURGE_AFTER_MS);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = globi_store_prepare (db,
                              "INSERT INTO link_tickets (ticket_hash, secret_hash, state, "
                              "public_key, device_name, device_platform, address, created_at, "
                              "expires_at) VALUES (?1, ?2, 'waiting', ?3, ?4, ?5, ?6, ?7, ?8)",
                              error);
  if (!stmt)
    return NULL;
  bind_hash (stmt, 1, args->ticket_hash);
  bind_hash (stmt, 2, args->secret_hash);
  bind_text (stmt, 3, args->public_key);
  bind_text (stmt, 4, args->device_name);
  bind_text (stmt, 5, args->device_platform ? args->device_platform : "");
  bind_text (stmt, 6, args->address ? args->address : "");
  sqlite3_bind_int64 (stmt, 7, args->now_ms);
  sqlite3_bind_int64 (stmt, 8, args->now_ms + GLOBI_LINK_TICKET_TTL_MS);
  if (!globi_store_step_done (db, stmt, error))
    return NULL;

  row = g_new0 (GlobiLinkTicketRow, 1);
  row->state = GLOBI_LINK_WAITING;
  row->created_at = args->now_ms;
  row->expires_at = args->now_ms + GLOBI_LINK_TICKET_TTL_MS;
  return row;
}

gpointer
globi_store_link_poll (sqlite3 *db, gpointer data, GError **error)
{
  GlobiLinkArgs *args = data;
  g_auto (Stored) stored = { 0 };
  GlobiLinkTicketRow *row;
  GError *local_error = NULL;

  if (!load (db, args, &stored, &local_error))
    {
      g_propagate_error (error, local_error ? local_error : not_found ());
      return NULL;
    }
  /* A wrong secret looks exactly like a missing ticket. */
  if (sodium_memcmp (stored.secret_hash, args->secret_hash, GLOBI_TOKEN_HASH_BYTES) != 0)
    return fail_not_found (error);
  row = stored.row;
  switch (row->state)
    {
      case GLOBI_LINK_SCANNED:
        row->scanner = user_by_id (db, stored.user_id, error);
        if (!row->scanner)
          return NULL;
        break;
      case GLOBI_LINK_APPROVED:
        /* Without a session to create (a read-only look) it only says so. */
        if (!args->session)
          {
            g_clear_pointer (&row->payload, g_bytes_unref);
            break;
          }
        /* One use: the session is created and the ticket deleted in the same transaction. */
        if (!delete_ticket (db, args->ticket_hash, error))
          return NULL;
        args->session->user_id = g_strdup (stored.user_id);
        args->session->device_name = g_strdup (row->device_name);
        args->session->device_platform = g_strdup (row->device_platform);
        args->session->now_ms = args->now_ms;
        row->user = globi_store_accounts_create_session (db, args->session, error);
        if (!row->user)
          return NULL;
        row->scanner = user_by_id (db, stored.user_id, error);
        if (!row->scanner)
          return NULL;
        break;
      case GLOBI_LINK_WAITING:
      case GLOBI_LINK_DECLINED:
      case GLOBI_LINK_EXPIRED:
      default:
        g_clear_pointer (&row->payload, g_bytes_unref);
        break;
    }
  return g_steal_pointer (&stored.row);
}

/* The ticket, if the approver (args->user_id) may still act on it. */
static gboolean
load_for_approver (sqlite3 *db, GlobiLinkArgs *args, Stored *stored, GError **error)
{
  GError *local_error = NULL;

  if (!load (db, args, stored, &local_error))
    {
      g_propagate_error (error, local_error ? local_error : not_found ());
      return FALSE;
    }
  if (stored->row->state == GLOBI_LINK_WAITING ||
      (stored->row->state == GLOBI_LINK_SCANNED && g_strcmp0 (stored->user_id, args->user_id) == 0))
    return TRUE;
  g_propagate_error (error, not_found ());
  return FALSE;
}

static gboolean
update_state (
    sqlite3 *db, GlobiLinkArgs *args, GlobiLinkState state, gint64 expires_at, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  stmt = globi_store_prepare (db,
                              "UPDATE link_tickets SET state = ?2, user_id = ?3, "
                              "scanner_device = ?4, expires_at = ?5, payload = ?6 "
                              "WHERE ticket_hash = ?1",
                              error);
  if (!stmt)
    return FALSE;
  bind_hash (stmt, 1, args->ticket_hash);
  bind_text (stmt, 2, globi_link_state_to_string (state));
  bind_text (stmt, 3, args->user_id);
  bind_text (stmt, 4, args->device_id);
  sqlite3_bind_int64 (stmt, 5, expires_at);
  if (state == GLOBI_LINK_APPROVED && args->payload)
    sqlite3_bind_blob (stmt, 6, g_bytes_get_data (args->payload, NULL),
                       (int) g_bytes_get_size (args->payload), SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 6);
  return globi_store_step_done (db, stmt, error);
}

gpointer
globi_store_link_scan (sqlite3 *db, gpointer data, GError **error)
{
  GlobiLinkArgs *args = data;
  g_auto (Stored) stored = { 0 };
  gint64 expires_at = args->now_ms + GLOBI_LINK_CONFIRM_TTL_MS;

  if (!load_for_approver (db, args, &stored, error))
    return NULL;
  if (!update_state (db, args, GLOBI_LINK_SCANNED, expires_at, error))
    return NULL;
  stored.row->state = GLOBI_LINK_SCANNED;
  stored.row->expires_at = expires_at;
  g_clear_pointer (&stored.row->payload, g_bytes_unref);
  return g_steal_pointer (&stored.row);
}

gpointer
globi_store_link_resolve (sqlite3 *db, gpointer data, GError **error)
{
  GlobiLinkArgs *args = data;
  g_auto (Stored) stored = { 0 };

  if (!load_for_approver (db, args, &stored, error))
    return NULL;
  if (args->approve)
    update_state (db, args, GLOBI_LINK_APPROVED, args->now_ms + GLOBI_LINK_CONFIRM_TTL_MS, error);
  else
    update_state (db, args, GLOBI_LINK_DECLINED, args->now_ms, error);
  /* NULL either way: the caller tells success from failure by the error. */
  return NULL;
}
