/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#include "globi-id.h"
#include "messaging-fixture.h"

#define GROUP_SIZE 500

typedef struct
{
  Fixture f;
  Device *owner;
  GPtrArray *members; /* Device, GROUP_SIZE - 1 */
  char *group_id;
} GroupFixture;

static void
group_setup (GroupFixture *g, gconstpointer data)
{
  g_autoptr (GString) body = g_string_new ("{\"name\": \"Five hundred\", \"member_ids\": [");
  g_autoptr (Reply) reply = NULL;

  fixture_setup (&g->f, data);
  g->owner = device_new_user (&g->f, "owner", TRUE);
  g->members = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  for (guint i = 1; i < GROUP_SIZE; i++)
    {
      g_autofree char *name = g_strdup_printf ("member%03u", i);
      Device *member = device_new_user (&g->f, name, TRUE);

      befriend (&g->f, g->owner, member);
      g_string_append_printf (body, "%s\"%s\"", i > 1 ? "," : "", member->user_id);
      g_ptr_array_add (g->members, member);
    }
  g_string_append (body, "]}");
  reply = fixture_request (&g->f, "POST", "/v1/groups", g->owner->token, body->str);
  g_assert_cmpuint (reply->status, ==, 201);
  g->group_id = g_strdup (json_object_get_string_member (
      json_object_get_object_member (reply_object (reply), "group"), "id"));
}

static void
group_teardown (GroupFixture *g, gconstpointer data)
{
  g_clear_pointer (&g->owner, device_free);
  g_clear_pointer (&g->members, g_ptr_array_unref);
  g_clear_pointer (&g->group_id, g_free);
  fixture_teardown (&g->f, data);
}

/* A group message: the sender-key distributions go to `with_keys` devices. */
static Reply *
send_group (GroupFixture *g, const char *id, const char *ciphertext, GPtrArray *with_keys)
{
  g_autoptr (GString) body = g_string_new (NULL);

  g_string_printf (body,
                   "{\"id\": \"%s\", \"to\": {\"group_id\": \"%s\"}, \"group_ciphertext\": "
                   "\"%s\", \"sender_key_id\": 1, \"envelopes\": [",
                   id, g->group_id, ciphertext);
  for (guint i = 0; with_keys && i < with_keys->len; i++)
    {
      Device *device = g_ptr_array_index (with_keys, i);
      g_autofree char *distribution = random_b64 (64);

      g_string_append_printf (body,
                              "%s{\"device_id\": \"%s\", \"type\": \"sender_key\", "
                              "\"ciphertext\": \"%s\"}",
                              i ? "," : "", device->device_id, distribution);
    }
  g_string_append (body, "]}");
  return fixture_request (&g->f, "POST", "/v1/messages", g->owner->token, body->str);
}

static gint64
count_rows (GroupFixture *g, const char *sql, const char *arg)
{
  g_autofree char *path = g_build_filename (g->f.data_dir, "globichat.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* The group messages (type "group") in a device's stream with this ciphertext. */
static guint
count_delivered (GroupFixture *g, Device *device, const char *ciphertext, gboolean *saw_key_first)
{
  g_autoptr (Reply) reply = poll_events (&g->f, device, 0, 500);
  JsonArray *events = json_object_get_array_member (reply_object (reply), "events");
  gboolean saw_key = FALSE;
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event =
          json_object_get_object_member (json_array_get_object_element (events, i), "event");

      if (!g_str_equal (json_object_get_string_member (event, "kind"), "message"))
        continue;
      if (g_str_equal (json_object_get_string_member (event, "type"), "sender_key"))
        saw_key = TRUE;
      else if (g_str_equal (json_object_get_string_member (event, "ciphertext"), ciphertext))
        {
          g_assert_cmpstr (json_object_get_string_member (
                               json_object_get_object_member (event, "to"), "group_id"),
                           ==, g->group_id);
          if (saw_key_first)
            *saw_key_first = saw_key;
          n++;
        }
    }
  return n;
}

static void
test_group_fanout (GroupFixture *g, gconstpointer data)
{
  g_autofree char *id1 = globi_id_new ();
  g_autofree char *id2 = globi_id_new ();
  g_autofree char *id3 = globi_id_new ();
  g_autofree char *ct1 = random_b64 (200);
  g_autofree char *ct2 = random_b64 (200);
  g_autofree char *ct3 = random_b64 (200);
  g_autoptr (Reply) reply = NULL;
  g_autoptr (Stream) live = NULL;
  g_autofree char *pattern = NULL;
  Device *removed = g_ptr_array_index (g->members, 7);
  Device *first = g_ptr_array_index (g->members, 0);

  /* No distribution yet: every other member device is missing its sender key. */
  reply = send_group (g, id1, ct1, NULL);
  assert_error (reply, 409, "stale_devices");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        json_object_get_object_member (reply_object (reply), "error"), "missing")),
                    ==, GROUP_SIZE - 1);
  g_clear_pointer (&reply, reply_free);

  live = stream_open (&g->f, first, 0);
  json_object_unref (stream_next_of_type (live, "caught_up", NULL));

  reply = send_group (g, id1, ct1, g->members);
  g_assert_cmpuint (reply->status, ==, 201);
  g_clear_pointer (&reply, reply_free);

  /* Stored once, referenced by each of the 499 other member devices. */
  pattern = g_strdup_printf ("%%%s%%", ct1);
  g_assert_cmpint (count_rows (g, "SELECT count(*) FROM payloads WHERE json LIKE ?1", pattern), ==,
                   1);
  g_assert_cmpint (count_rows (g,
                               "SELECT count(*) FROM events e JOIN payloads p ON p.id = "
                               "e.payload_id WHERE p.json LIKE ?1",
                               pattern),
                   ==, GROUP_SIZE - 1);
  g_assert_cmpint (count_rows (g, "SELECT refs FROM payloads WHERE json LIKE ?1", pattern), ==,
                   GROUP_SIZE - 1);
  for (guint i = 0; i < g->members->len; i++)
    {
      gboolean key_first = FALSE;

      g_assert_cmpuint (count_delivered (g, g_ptr_array_index (g->members, i), ct1, &key_first), ==,
                        1);
      g_assert_true (key_first);
    }
  /* Live: the distribution, then the message. */
  {
    g_autoptr (JsonObject) frame = stream_next_of_type (live, "event", NULL);
    g_autoptr (JsonObject) second = NULL;

    g_assert_cmpstr (
        json_object_get_string_member (json_object_get_object_member (frame, "event"), "type"), ==,
        "sender_key");
    second = stream_next_of_type (live, "event", NULL);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (second, "event"),
                                                    "ciphertext"),
                     ==, ct1);
  }

  /* The server remembers the distributions: the next message needs none. */
  reply = send_group (g, id2, ct2, NULL);
  g_assert_cmpuint (reply->status, ==, 201);
  g_clear_pointer (&reply, reply_free);

  /* A removed member gets nothing new. */
  {
    g_autofree char *path =
        g_strdup_printf ("/v1/groups/%s/members/%s", g->group_id, removed->user_id);

    reply = fixture_request (&g->f, "DELETE", path, g->owner->token, NULL);
    g_assert_cmpuint (reply->status, ==, 204);
    g_clear_pointer (&reply, reply_free);
  }
  reply = send_group (g, id3, ct3, NULL);
  g_assert_cmpuint (reply->status, ==, 201);
  g_clear_pointer (&reply, reply_free);
  g_assert_cmpuint (count_delivered (g, removed, ct2, NULL), ==, 1);
  g_assert_cmpuint (count_delivered (g, removed, ct3, NULL), ==, 0);
  g_assert_cmpuint (count_delivered (g, first, ct3, NULL), ==, 1);

  /* A removed member cannot post either. */
  {
    g_autofree char *id4 = globi_id_new ();
    g_autofree char *body = g_strdup_printf (
        "{\"id\": \"%s\", \"to\": {\"group_id\": \"%s\"}, \"group_ciphertext\": \"AAAA\", "
        "\"sender_key_id\": 1, \"envelopes\": []}",
        id4, g->group_id);

    reply = fixture_request (&g->f, "POST", "/v1/messages", removed->token, body);
    assert_error (reply, 403, "forbidden");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add ("/globi/messaging/group/fanout", GroupFixture, NULL, group_setup, test_group_fanout,
              group_teardown);
  return g_test_run ();
}
