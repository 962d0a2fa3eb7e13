/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "globi-id.h"
#include "social-helpers.h"

#define PASSWORD "correct horse battery"

void
person_sign_up (Fixture *f, const char *username, Person *out)
{
  memset (out, 0, sizeof *out);
  out->username = g_strdup (username);
  out->id = fixture_register (f, username, PASSWORD);
  fixture_sign_in (f, username, PASSWORD, &out->token, NULL, NULL);
}

void
person_refresh (Fixture *f, Person *person)
{
  g_clear_pointer (&person->token, g_free);
  fixture_sign_in (f, person->username, PASSWORD, &person->token, NULL, NULL);
}

void
person_clear (Person *person)
{
  g_clear_pointer (&person->id, g_free);
  g_clear_pointer (&person->token, g_free);
  g_clear_pointer (&person->username, g_free);
}

Reply *
social_request (Fixture *f,
                const char *method,
                const Person *who,
                const char *body,
                const char *path_format,
                ...)
{
  g_autofree char *path = NULL;
  va_list ap;

  va_start (ap, path_format);
  path = g_strdup_vprintf (path_format, ap);
  va_end (ap);
  return fixture_request (f, method, path, who ? who->token : NULL, body);
}

void
social_befriend (Fixture *f, const Person *a, const Person *b)
{
  g_autofree char *id = globi_id_new ();
  g_autofree char *body = g_strdup_printf ("{\"id\": \"%s\", \"to\": \"%s\"}", id, b->id);
  g_autoptr (Reply) sent = social_request (f, "POST", a, body, "/v1/friends/requests");
  g_autoptr (Reply) accepted = NULL;

  g_assert_cmpuint (sent->status, ==, 201);
  accepted = social_request (f, "POST", b, "", "/v1/friends/requests/%s/accept", id);
  g_assert_cmpuint (accepted->status, ==, 200);
}

guint
social_count_events (Fixture *f, const Person *who, const char *kind)
{
  g_autoptr (Reply) reply = social_request (f, "GET", who, NULL, "/v1/events?after=0&limit=500");
  JsonArray *events;
  guint count = 0;

  g_assert_cmpuint (reply->status, ==, 200);
  events = json_object_get_array_member (reply_object (reply), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *entry = json_array_get_object_element (events, i);
      JsonObject *event = json_object_get_object_member (entry, "event");

      if (g_strcmp0 (json_object_get_string_member (event, "kind"), kind) == 0)
        count++;
    }
  return count;
}

static void
exec_ok (sqlite3 *db, sqlite3_stmt *stmt)
{
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  (void) db;
}

GPtrArray *
social_insert_friends (Fixture *f, const char *friend_of, guint n)
{
  g_autofree char *path = g_build_filename (f->data_dir, "globichat.db", NULL);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3 *db = NULL;
  sqlite3_stmt *user = NULL;
  sqlite3_stmt *friend = NULL;
  gint64 now = g_get_real_time () / 1000;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO users (id, username, password_hash, "
                                       "display_name, created_at, updated_at) "
                                       "VALUES (?1, ?2, 'x', ?2, ?3, ?3)",
                                       -1, &user, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO friends (user_id, friend_id, since) "
                                       "VALUES (?1, ?2, ?3), (?2, ?1, ?3)",
                                       -1, &friend, NULL),
                   ==, SQLITE_OK);
  for (guint i = 0; i < n; i++)
    {
      char *id = globi_id_new ();
      g_autofree char *username = g_strdup_printf ("bulk%u", i);

      sqlite3_bind_text (user, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (user, 2, username, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (user, 3, now);
      exec_ok (db, user);
      sqlite3_bind_text (friend, 1, friend_of, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (friend, 2, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (friend, 3, now);
      exec_ok (db, friend);
      g_ptr_array_add (ids, id);
    }
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_finalize (user);
  sqlite3_finalize (friend);
  sqlite3_close (db);
  return ids;
}
