/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <sqlite3.h>

#include "globi-id.h"
#include "globi-server-private.h"
#include "globi-store-messaging.h"
#include "globi-store.h"
#include "messaging-fixture.h"

#define SETTLE_LIMIT_S 20

static sqlite3 *
open_db (Fixture *f, int flags)
{
  g_autofree char *path = g_build_filename (f->data_dir, "globichat.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, flags, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

/* One integer from the server's database file, read beside the live server (WAL). arg
 * binds ?1 when not NULL. */
static gint64
db_int (Fixture *f, const char *sql, const char *arg)
{
  sqlite3 *db = open_db (f, SQLITE_OPEN_READONLY);
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (arg)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

static gboolean
on_tick_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The reaper works when the server's writer has time, so its effect is awaited: the
 * query is asked again every 20 ms (the main context running meanwhile) until it gives
 * expected, failing the test after SETTLE_LIMIT_S. */
static void
await_db_int (Fixture *f, const char *sql, const char *arg, gint64 expected)
{
  gint64 deadline = g_get_monotonic_time () + SETTLE_LIMIT_S * G_USEC_PER_SEC;
  gint64 n;

  while ((n = db_int (f, sql, arg)) != expected && g_get_monotonic_time () < deadline)
    {
      gboolean ticked = FALSE;

      g_timeout_add (20, on_tick_cb, &ticked);
      while (!ticked)
        g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpint (n, ==, expected);
}

/* Payloads are counted right: each one's refs is the number of rows still naming it, and
 * none outlives its last row. */
static void
assert_payloads_consistent (Fixture *f)
{
  g_assert_cmpint (db_int (f,
                           "SELECT count(*) FROM payloads p WHERE refs != (SELECT count(*) "
                           "FROM events e WHERE e.payload_id = p.id)",
                           NULL),
                   ==, 0);
  g_assert_cmpint (db_int (f,
                           "SELECT count(*) FROM payloads p WHERE NOT EXISTS (SELECT 1 "
                           "FROM events e WHERE e.payload_id = p.id)",
                           NULL),
                   ==, 0);
}

/* Every event frame of a fresh stream up to caught_up: seqs appended to out_seqs. */
static void
replay_seqs (Fixture *f, Device *device, gint64 after, GArray *out_seqs)
{
  g_autoptr (Stream) stream = stream_open (f, device, after);

  for (;;)
    {
      g_autoptr (JsonObject) frame = stream_next (stream);
      gint64 seq = json_object_get_int_member (frame, "seq");

      if (g_str_equal (json_object_get_string_member (frame, "type"), "caught_up"))
        break;
      g_array_append_val (out_seqs, seq);
    }
}

static void
poll_seqs (Fixture *f, Device *device, gint64 after, GArray *out_seqs)
{
  g_autoptr (Reply) page = poll_events (f, device, after, 500);
  JsonArray *events = json_object_get_array_member (reply_object (page), "events");

  g_assert_true (json_object_get_boolean_member (reply_object (page), "caught_up"));
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      gint64 seq = json_object_get_int_member (json_array_get_object_element (events, i), "seq");

      g_array_append_val (out_seqs, seq);
    }
}

/* got holds exactly the seqs of all that are above floor, in order. */
static void
assert_tail (GArray *all, gint64 floor, GArray *got)
{
  guint first = 0;

  while (first < all->len && g_array_index (all, gint64, first) <= floor)
    first++;
  g_assert_cmpuint (got->len, ==, all->len - first);
  for (guint i = 0; i < got->len; i++)
    g_assert_cmpint (g_array_index (got, gint64, i), ==, g_array_index (all, gint64, first + i));
}

static void
send_n (Fixture *f, Device *from, Device *to, guint n)
{
  Device *targets[] = { to, NULL };

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = globi_id_new ();
      g_autoptr (Reply) reply = send_direct (f, from, id, to->user_id, targets);

      g_assert_cmpuint (reply->status, ==, 201);
    }
}

/* Acknowledged events are never replayed, from the stream or GET /v1/events, whatever
 * `after` the client gives; the others are, in order, each once. */
static void
test_not_replayed (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) got = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *ack = NULL;
  gint64 first_ack, second_ack;

  befriend (f, alice, bob);
  send_n (f, alice, bob, 10);
  replay_seqs (f, bob, 0, all);
  g_assert_cmpuint (all->len, >=, 10);
  for (guint i = 1; i < all->len; i++)
    g_assert_cmpint (g_array_index (all, gint64, i), >, g_array_index (all, gint64, i - 1));

  /* Over the stream: the ack has no reply, its cursor shows in the database. */
  first_ack = g_array_index (all, gint64, all->len - 6);
  {
    g_autoptr (Stream) stream = stream_open (f, bob, first_ack - 1);

    json_object_unref (stream_next_of_type (stream, "caught_up", NULL));
    ack = g_strdup_printf ("{\"type\": \"ack\", \"seq\": %" G_GINT64_FORMAT "}", first_ack);
    stream_send (stream, ack);
    await_db_int (f, "SELECT acked FROM streams WHERE device_id = ?1", bob->device_id, first_ack);
  }
  replay_seqs (f, bob, 0, got);
  assert_tail (all, first_ack, got);
  g_array_set_size (got, 0);
  poll_seqs (f, bob, 0, got);
  assert_tail (all, first_ack, got);

  /* Over REST; an ack below the cursor does not move it back. */
  second_ack = g_array_index (all, gint64, all->len - 2);
  ack_events (f, bob, second_ack);
  ack_events (f, bob, first_ack - 3);
  g_array_set_size (got, 0);
  replay_seqs (f, bob, first_ack, got);
  assert_tail (all, second_ack, got);
  g_array_set_size (got, 0);
  poll_seqs (f, bob, 1, got);
  assert_tail (all, second_ack, got);
  g_assert_cmpuint (got->len, ==, 1);

  /* New events after the cursor still arrive. */
  send_n (f, alice, bob, 1);
  g_array_set_size (got, 0);
  poll_seqs (f, bob, 0, got);
  g_assert_cmpuint (got->len, ==, 2);
  g_assert_cmpint (g_array_index (got, gint64, 1), ==,
                   g_array_index (all, gint64, all->len - 1) + 1);
}

/* The reaper deletes what was acknowledged and counts shared payloads down, deleting
 * each with its last row. */
static void
test_reaped (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Device) bob2 = NULL;
  Device *bobs[3] = { bob, NULL, NULL };
  const char *count_sql = "SELECT count(*) FROM events WHERE device_id = ?1";

  befriend (f, alice, bob);
  /* bob's second device is news to alice and to bob's first device: one event, two
   * readers, its JSON stored once. */
  bob2 = device_new_sibling (f, bob, TRUE);
  bobs[1] = bob2;
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = globi_id_new ();
      g_autoptr (Reply) reply = send_direct (f, alice, id, bob->user_id, bobs);

      g_assert_cmpuint (reply->status, ==, 201);
    }
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM payloads", NULL), >, 0);
  g_assert_cmpint (db_int (f, count_sql, bob->device_id), >=, 5);
  assert_payloads_consistent (f);

  /* One reader of the shared payloads acknowledges: its rows go, the payloads stay for
   * the others. */
  ack_events (f, bob, G_MAXINT32);
  await_db_int (f, count_sql, bob->device_id, 0);
  g_assert_cmpint (db_int (f, count_sql, bob2->device_id), >=, 5);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM payloads", NULL), >, 0);
  assert_payloads_consistent (f);

  /* Everyone has: nothing is left. */
  ack_events (f, bob2, G_MAXINT32);
  ack_events (f, alice, G_MAXINT32);
  await_db_int (f, "SELECT count(*) FROM events", NULL, 0);
  await_db_int (f, "SELECT count(*) FROM payloads", NULL, 0);
  /* The cursors stay, and the seqs go on from them. */
  {
    g_autofree char *id = globi_id_new ();
    g_autoptr (Reply) reply = send_direct (f, alice, id, bob->user_id, bobs);

    g_assert_cmpuint (reply->status, ==, 201);
  }
  {
    g_autoptr (GArray) got = g_array_new (FALSE, FALSE, sizeof (gint64));

    poll_seqs (f, bob, 0, got);
    g_assert_cmpuint (got->len, ==, 1);
    g_assert_cmpint (g_array_index (got, gint64, 0), ==,
                     db_int (f, "SELECT acked FROM streams WHERE device_id = ?1", bob->device_id) +
                         1);
  }
}

/* Acknowledged but not yet reaped when the server stopped (its cursor committed, the
 * rows still there): after the restart they are not replayed, and they are reaped. */
static void
test_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) got = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (globi_event_row_free);
  g_autoptr (GError) error = NULL;
  const char *below_sql = "SELECT count(*) FROM events WHERE device_id = ?1 AND seq <= "
                          "(SELECT acked FROM streams WHERE device_id = ?1)";
  gint64 acked;
  sqlite3 *db;

  befriend (f, alice, bob);
  send_n (f, alice, bob, 6);
  poll_seqs (f, bob, 0, all);
  g_assert_cmpuint (all->len, >=, 6);
  acked = g_array_index (all, gint64, all->len - 4);
  fixture_stop (f);

  /* As an ack that committed just before a crash leaves it. */
  db = open_db (f, SQLITE_OPEN_READWRITE);
  {
    g_autofree char *sql =
        g_strdup_printf ("UPDATE streams SET acked = %" G_GINT64_FORMAT " WHERE device_id = '%s'",
                         acked, bob->device_id);

    g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  }
  g_assert_cmpint (db_int (f, below_sql, bob->device_id), ==, all->len - 3);
  /* The store's own read skips them while they are still there. */
  g_assert_true (globi_store_events_read (db, bob->device_id, 0, 500, 0, rows, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 3);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpint (((GlobiEventRow *) rows->pdata[i])->seq, ==,
                     g_array_index (all, gint64, all->len - 3 + i));
  sqlite3_close (db);

  fixture_start (f);
  poll_seqs (f, bob, 0, got);
  assert_tail (all, acked, got);
  g_array_set_size (got, 0);
  replay_seqs (f, bob, 0, got);
  assert_tail (all, acked, got);
  await_db_int (f, below_sql, bob->device_id, 0);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM events WHERE device_id = ?1", bob->device_id),
                   ==, 3);
}

/* Tokens stay valid across a restart (on another port). */
static void
setup_fixed_issuer (Fixture *f, gconstpointer data)
{
  fixture_init (f);
  f->config->issuer = g_strdup ("https://chat.example.org");
  fixture_start (f);
}

static void
on_expired_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  globi_store_finish (GLOBI_STORE (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* What the server's 10-minute timer does, with this cutoff. */
static void
expire_before (Fixture *f, gint64 cutoff_ms)
{
  GlobiServer *server = fixture_server (f);
  GlobiMessagingArgs *args = globi_messaging_args_new ();
  gboolean done = FALSE;

  args->cutoff_ms = cutoff_ms;
  globi_store_write_async (globi_server_get_store (server), globi_store_messaging_expire, args,
                           globi_messaging_args_free, NULL, on_expired_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Retention: events and idempotency keys older than the cutoff are deleted, unacknowledged
 * or not; newer ones stay. */
static void
test_retention (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (GArray) got = g_array_new (FALSE, FALSE, sizeof (gint64));
  const char *count_sql = "SELECT count(*) FROM events WHERE device_id = ?1";
  gint64 cutoff_ms;

  befriend (f, alice, bob);
  send_n (f, alice, bob, 4);
  g_assert_cmpint (db_int (f, count_sql, bob->device_id), >=, 4);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM messages", NULL), ==, 4);

  /* A cutoff after all of those; the next events are made at or after it (the clock has
   * millisecond steps). */
  cutoff_ms = g_get_real_time () / 1000 + 1;
  while (g_get_real_time () / 1000 < cutoff_ms)
    ;
  expire_before (f, cutoff_ms);
  send_n (f, alice, bob, 2);
  await_db_int (f, count_sql, bob->device_id, 2);
  await_db_int (f, "SELECT count(*) FROM messages", NULL, 2);
  assert_payloads_consistent (f);
  poll_seqs (f, bob, 0, got);
  g_assert_cmpuint (got->len, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add ("/globi/messaging/acks/not-replayed", Fixture, NULL, fixture_setup, test_not_replayed,
              fixture_teardown);
  g_test_add ("/globi/messaging/acks/reaped", Fixture, NULL, fixture_setup, test_reaped,
              fixture_teardown);
  g_test_add ("/globi/messaging/acks/restart", Fixture, NULL, setup_fixed_issuer, test_restart,
              fixture_teardown);
  g_test_add ("/globi/messaging/acks/retention", Fixture, NULL, fixture_setup, test_retention,
              fixture_teardown);
  return g_test_run ();
}
