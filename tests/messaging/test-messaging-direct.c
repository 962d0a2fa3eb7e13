/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-base64url.h"
#include "globi-id.h"
#include "globi-server-private.h"
#include "messaging-fixture.h"

static JsonArray *
events_of (Reply *reply)
{
  return json_object_get_array_member (reply_object (reply), "events");
}

static JsonObject *
event_at (JsonArray *events, guint i)
{
  return json_object_get_object_member (json_array_get_object_element (events, i), "event");
}

static gint64
seq_at (JsonArray *events, guint i)
{
  return json_object_get_int_member (json_array_get_object_element (events, i), "seq");
}

/* Keys: publish, fetch (each one-time prekey handed out once), count, signature and
 * identity checks, strangers refused. */
static void
test_keys (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Device) eve = device_new_user (f, "eve", TRUE);
  g_autofree char *path = g_strdup_printf ("/v1/keys/%s", bob->user_id);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (Reply) reply = NULL;
  g_autofree char *spk = random_b64 (32);
  g_autofree char *sig = random_b64 (64);
  g_autofree char *ik = random_b64 (32);
  g_autofree char *body = NULL;

  reply = fixture_request (f, "GET", path, alice->token, NULL);
  assert_error (reply, 403, "forbidden");
  g_clear_pointer (&reply, reply_free);
  befriend (f, alice, bob);

  /* Three one-time prekeys: three fetches get three different ones, the fourth none. */
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *bundle, *otk;

      reply = fixture_request (f, "GET", path, alice->token, NULL);
      g_assert_cmpuint (reply->status, ==, 200);
      g_assert_cmpstr (json_object_get_string_member (reply_object (reply), "user_id"), ==,
                       bob->user_id);
      g_assert_cmpuint (
          json_array_get_length (json_object_get_array_member (reply_object (reply), "devices")),
          ==, 1);
      bundle = json_array_get_object_element (
          json_object_get_array_member (reply_object (reply), "devices"), 0);
      g_assert_cmpstr (json_object_get_string_member (bundle, "device_id"), ==, bob->device_id);
      g_assert_cmpuint (strlen (json_object_get_string_member (bundle, "identity_key")), ==, 43);
      if (i < 3)
        {
          otk = json_object_get_object_member (bundle, "one_time_prekey");
          g_assert_nonnull (otk);
          g_assert_true (
              g_hash_table_add (seen, g_strdup (json_object_get_string_member (otk, "key"))));
        }
      else
        g_assert_true (json_object_get_null_member (bundle, "one_time_prekey"));
      g_clear_pointer (&reply, reply_free);
    }
  reply = fixture_request (f, "GET", "/v1/keys/count", bob->token, NULL);
  g_assert_cmpint (json_object_get_int_member (reply_object (reply), "one_time_prekeys"), ==, 0);
  g_clear_pointer (&reply, reply_free);

  /* Replenish. */
  reply = fixture_request (f, "POST", "/v1/keys/one-time", bob->token,
                           "{\"one_time_prekeys\": [{\"id\": 9, \"key\": "
                           "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}");
  g_assert_cmpuint (reply->status, ==, 204);
  g_clear_pointer (&reply, reply_free);
  reply = fixture_request (f, "GET", "/v1/keys/count", bob->token, NULL);
  g_assert_cmpint (json_object_get_int_member (reply_object (reply), "one_time_prekeys"), ==, 1);
  g_clear_pointer (&reply, reply_free);

  /* A signature that does not verify. */
  body = g_strdup_printf ("{\"identity_key\": \"%s\", \"signed_prekey\": {\"id\": 2, \"key\": "
                          "\"%s\", \"signature\": \"%s\"}}",
                          ik, spk, sig);
  reply = fixture_request (f, "PUT", "/v1/keys", eve->token, body);
  assert_error (reply, 400, "invalid_field");
  g_clear_pointer (&reply, reply_free);

  /* A new, validly signed identity for an existing device: refused. */
  {
    guint8 pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], raw[32], s[64];
    g_autofree char *pk_text = NULL, *raw_text = NULL, *s_text = NULL, *conflict = NULL;

    crypto_sign_keypair (pk, sk);
    randombytes_buf (raw, sizeof raw);
    crypto_sign_detached (s, NULL, raw, sizeof raw, sk);
    pk_text = globi_base64url_encode (pk, sizeof pk);
    raw_text = globi_base64url_encode (raw, sizeof raw);
    s_text = globi_base64url_encode (s, sizeof s);
    conflict = g_strdup_printf ("{\"identity_key\": \"%s\", \"signed_prekey\": {\"id\": 2, "
                                "\"key\": \"%s\", \"signature\": \"%s\"}}",
                                pk_text, raw_text, s_text);
    reply = fixture_request (f, "PUT", "/v1/keys", eve->token, conflict);
    assert_error (reply, 409, "conflict");
    g_clear_pointer (&reply, reply_free);
  }
}

/* A direct message reaches every device of the recipient and my other devices, once. */
static void
test_direct (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) alice2 = device_new_sibling (f, alice, TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Device) bob2 = device_new_sibling (f, bob, TRUE);
  g_autoptr (Device) carol = device_new_user (f, "carol", TRUE);
  g_autofree char *id = globi_id_new ();
  g_autoptr (Reply) reply = NULL;
  g_autoptr (Reply) again = NULL;
  Device *all[] = { bob, bob2, alice2, NULL };
  Device *short_list[] = { bob, carol, NULL };
  Device *to_carol[] = { carol, alice2, NULL };
  Device *targets[] = { bob, bob2, alice2 };

  befriend (f, alice, bob);

  /* One device missing and one that is not a target. */
  reply = send_direct (f, alice, id, bob->user_id, short_list);
  assert_error (reply, 409, "stale_devices");
  {
    JsonObject *error = json_object_get_object_member (reply_object (reply), "error");
    JsonArray *missing = json_object_get_array_member (error, "missing");
    JsonArray *extra = json_object_get_array_member (error, "extra");

    g_assert_cmpuint (json_array_get_length (missing), ==, 2);
    g_assert_cmpuint (json_array_get_length (extra), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (extra, 0), ==, carol->device_id);
  }
  g_clear_pointer (&reply, reply_free);

  reply = send_direct (f, alice, id, bob->user_id, all);
  g_assert_cmpuint (reply->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (reply_object (reply), "id"), ==, id);
  /* A retry answers the same and stores nothing new. */
  again = send_direct (f, alice, id, bob->user_id, all);
  g_assert_cmpuint (again->status, ==, 201);
  g_assert_cmpint (json_object_get_int_member (reply_object (again), "sent_at"), ==,
                   json_object_get_int_member (reply_object (reply), "sent_at"));

  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      g_autoptr (Reply) events = poll_events (f, targets[i], 0, 100);
      g_autoptr (GPtrArray) messages = g_ptr_array_new ();
      JsonArray *array = events_of (events);

      for (guint j = 0; j < json_array_get_length (array); j++)
        if (g_str_equal (json_object_get_string_member (event_at (array, j), "kind"), "message"))
          g_ptr_array_add (messages, event_at (array, j));
      g_assert_cmpuint (messages->len, ==, 1);
      {
        JsonObject *event = g_ptr_array_index (messages, 0);
        JsonObject *from = json_object_get_object_member (event, "from");

        g_assert_cmpstr (json_object_get_string_member (event, "id"), ==, id);
        g_assert_cmpstr (json_object_get_string_member (from, "user_id"), ==, alice->user_id);
        g_assert_cmpstr (json_object_get_string_member (from, "device_id"), ==, alice->device_id);
        g_assert_cmpstr (
            json_object_get_string_member (json_object_get_object_member (event, "to"), "user_id"),
            ==, bob->user_id);
        g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "message");
      }
    }
  /* The sending device gets nothing of its own message. */
  {
    g_autoptr (Reply) events = poll_events (f, alice, 0, 100);
    JsonArray *array = events_of (events);

    for (guint j = 0; j < json_array_get_length (array); j++)
      g_assert_cmpstr (json_object_get_string_member (event_at (array, j), "kind"), !=, "message");
  }

  /* Not a friend. */
  g_clear_pointer (&reply, reply_free);
  g_free (id);
  id = globi_id_new ();
  reply = send_direct (f, alice, id, carol->user_id, to_carol);
  assert_error (reply, 403, "forbidden");
  g_clear_pointer (&reply, reply_free);

  /* Blocked, either way. */
  {
    g_autofree char *block_path = g_strdup_printf ("/v1/blocks/%s", alice->user_id);
    g_autoptr (Reply) blocked = fixture_request (f, "PUT", block_path, bob->token, NULL);

    g_assert_cmpuint (blocked->status, ==, 204);
  }
  reply = send_direct (f, alice, id, bob->user_id, all);
  g_assert_cmpuint (reply->status, ==, 403);
}

/* 1000 events while offline, replayed in order with caught_up; acknowledged ones are not
 * replayed; then live push. */
static void
test_stream_replay (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Stream) stream = NULL;
  g_autoptr (JsonObject) caught_up = NULL;
  Device *to_bob[] = { bob, NULL };
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  gint64 first_seq = 0, last_seq = 0;
  guint n = 0;

  befriend (f, alice, bob);
  {
    /* The friendship's own events come first: skip past them. */
    g_autoptr (Reply) before = poll_events (f, bob, 0, 500);
    JsonArray *array = events_of (before);

    if (json_array_get_length (array) > 0)
      first_seq = seq_at (array, json_array_get_length (array) - 1);
  }
  for (guint i = 0; i < 1000; i++)
    {
      char *id = globi_id_new ();
      g_autoptr (Reply) reply = send_direct (f, alice, id, bob->user_id, to_bob);

      g_assert_cmpuint (reply->status, ==, 201);
      g_ptr_array_add (ids, id);
    }

  stream = stream_open (f, bob, first_seq);
  for (;;)
    {
      g_autoptr (JsonObject) frame = stream_next (stream);
      const char *type = json_object_get_string_member (frame, "type");
      JsonObject *event;

      if (g_str_equal (type, "caught_up"))
        {
          g_assert_cmpint (json_object_get_int_member (frame, "seq"), ==, last_seq);
          break;
        }
      g_assert_cmpstr (type, ==, "event");
      g_assert_cmpint (json_object_get_int_member (frame, "seq"), ==, first_seq + n + 1);
      last_seq = json_object_get_int_member (frame, "seq");
      event = json_object_get_object_member (frame, "event");
      g_assert_cmpstr (json_object_get_string_member (event, "id"), ==, g_ptr_array_index (ids, n));
      n++;
    }
  g_assert_cmpuint (n, ==, 1000);

  {
    g_autofree char *ack =
        g_strdup_printf ("{\"type\": \"ack\", \"seq\": %" G_GINT64_FORMAT "}", last_seq);

    stream_send (stream, ack);
  }
  /* The ack is a queued write: wait until polling shows it applied. */
  for (guint tries = 0;; tries++)
    {
      g_autoptr (Reply) left = poll_events (f, bob, 0, 500);

      if (json_array_get_length (events_of (left)) == 0)
        break;
      g_assert_cmpuint (tries, <, 200);
      stream_settle (stream, 20);
    }
  g_clear_pointer (&stream, stream_free);

  /* Reconnecting from the start replays nothing: caught up at once. */
  stream = stream_open (f, bob, 0);
  caught_up = stream_next (stream);
  g_assert_cmpstr (json_object_get_string_member (caught_up, "type"), ==, "caught_up");

  /* Live push. */
  {
    g_autofree char *id = globi_id_new ();
    g_autoptr (Reply) reply = send_direct (f, alice, id, bob->user_id, to_bob);
    g_autoptr (JsonObject) frame = stream_next (stream);

    g_assert_cmpuint (reply->status, ==, 201);
    g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "event");
    g_assert_cmpint (json_object_get_int_member (frame, "seq"), ==, last_seq + 1);
    g_assert_cmpstr (
        json_object_get_string_member (json_object_get_object_member (frame, "event"), "id"), ==,
        id);
  }
}

/* The polling API pages with limit and caught_up; acks delete. */
static void
test_polling (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  Device *to_bob[] = { bob, NULL };
  g_autoptr (Reply) page = NULL;
  gint64 base;

  befriend (f, alice, bob);
  page = poll_events (f, bob, 0, 500);
  base = json_array_get_length (events_of (page)) ? seq_at (events_of (page), 0) - 1 : 0;
  ack_events (f, bob, base + json_array_get_length (events_of (page)));
  base += json_array_get_length (events_of (page));
  g_clear_pointer (&page, reply_free);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = globi_id_new ();
      g_autoptr (Reply) reply = send_direct (f, alice, id, bob->user_id, to_bob);

      g_assert_cmpuint (reply->status, ==, 201);
    }
  page = poll_events (f, bob, base, 3);
  g_assert_cmpuint (json_array_get_length (events_of (page)), ==, 3);
  g_assert_false (json_object_get_boolean_member (reply_object (page), "caught_up"));
  g_assert_cmpint (seq_at (events_of (page), 0), ==, base + 1);
  g_clear_pointer (&page, reply_free);
  page = poll_events (f, bob, base + 3, 3);
  g_assert_cmpuint (json_array_get_length (events_of (page)), ==, 2);
  g_assert_true (json_object_get_boolean_member (reply_object (page), "caught_up"));
  g_clear_pointer (&page, reply_free);

  ack_events (f, bob, base + 3);
  page = poll_events (f, bob, 0, 500);
  g_assert_cmpuint (json_array_get_length (events_of (page)), ==, 2);
  g_assert_cmpint (seq_at (events_of (page), 0), ==, base + 4);
  g_clear_pointer (&page, reply_free);

  page = fixture_request (f, "GET", "/v1/events?limit=501", bob->token, NULL);
  assert_error (page, 400, "invalid_field");
}

/* Typing frames go to the other side's streams, are never stored, and never cross a
 * block. */
static void
test_typing (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Stream) a = NULL;
  g_autoptr (Stream) b = NULL;
  g_autoptr (JsonObject) caught = NULL;
  g_autoptr (JsonObject) typing = NULL;
  g_autofree char *frame = NULL;
  g_autofree char *block_path = g_strdup_printf ("/v1/blocks/%s", alice->user_id);
  g_autoptr (Reply) reply = NULL;

  befriend (f, alice, bob);
  a = stream_open (f, alice, 0);
  b = stream_open (f, bob, 0);
  json_object_unref (stream_next_of_type (a, "caught_up", NULL));
  json_object_unref (stream_next_of_type (b, "caught_up", NULL));

  frame = g_strdup_printf ("{\"type\": \"typing\", \"chat\": {\"user_id\": \"%s\"}, "
                           "\"typing\": true}",
                           bob->user_id);
  stream_send (a, frame);
  typing = stream_next_of_type (b, "typing", NULL);
  g_assert_cmpstr (json_object_get_string_member (typing, "user_id"), ==, alice->user_id);
  g_assert_true (json_object_get_boolean_member (typing, "typing"));

  /* Not stored: polling shows no typing. */
  reply = poll_events (f, bob, 0, 500);
  for (guint i = 0; i < json_array_get_length (events_of (reply)); i++)
    g_assert_cmpstr (json_object_get_string_member (event_at (events_of (reply), i), "kind"), !=,
                     "typing");
  g_clear_pointer (&reply, reply_free);

  /* Bob blocks Alice: her typing no longer reaches him. */
  reply = fixture_request (f, "PUT", block_path, bob->token, NULL);
  g_assert_cmpuint (reply->status, ==, 204);
  stream_settle (b, 100);
  g_queue_clear_full (&b->frames, (GDestroyNotify) json_node_unref);
  stream_send (a, frame);
  stream_settle (b, 300);
  for (GList *l = b->frames.head; l; l = l->next)
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (l->data), "type"), !=,
                     "typing");
}

static guint
count_devices_changed (Fixture *f, Device *device, const char *about)
{
  g_autoptr (Reply) reply = poll_events (f, device, 0, 500);
  JsonArray *events = events_of (reply);
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = event_at (events, i);

      if (g_str_equal (json_object_get_string_member (event, "kind"), "devices_changed") &&
          g_str_equal (json_object_get_string_member (event, "user_id"), about))
        n++;
    }
  return n;
}

/* Friends hear of a device that starts to take messages (publishes keys) and of one that
 * is revoked. */
static void
test_devices_changed (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Device) bob2 = NULL;
  g_autoptr (Reply) reply = NULL;
  g_autofree char *path = NULL;

  befriend (f, alice, bob);
  g_assert_cmpuint (count_devices_changed (f, alice, bob->user_id), ==, 0);
  bob2 = device_new_sibling (f, bob, TRUE);
  g_assert_cmpuint (count_devices_changed (f, alice, bob->user_id), ==, 1);
  g_assert_cmpuint (count_devices_changed (f, bob, bob->user_id), ==, 1);

  path = g_strdup_printf ("/v1/devices/%s", bob2->device_id);
  reply = fixture_request (f, "DELETE", path, bob->token, NULL);
  g_assert_cmpuint (reply->status, ==, 204);
  /* Announced by a job queued after the revocation: poll until it is there. */
  for (guint tries = 0; count_devices_changed (f, alice, bob->user_id) < 2; tries++)
    {
      g_assert_cmpuint (tries, <, 500);
      g_usleep (10000);
    }
}

/* A revoked device's stream is closed; a bad token never upgrades. */
static void
test_stream_auth (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) alice2 = device_new_sibling (f, alice, TRUE);
  g_autoptr (Stream) stream = stream_open (f, alice2, 0);
  g_autofree char *path = g_strdup_printf ("/v1/devices/%s", alice2->device_id);
  g_autoptr (Reply) reply = NULL;
  g_autoptr (Reply) upgrade = NULL;

  json_object_unref (stream_next_of_type (stream, "caught_up", NULL));
  reply = fixture_request (f, "DELETE", path, alice->token, NULL);
  g_assert_cmpuint (reply->status, ==, 204);
  stream_wait_closed (stream);

  upgrade = fixture_request (f, "GET", "/v1/stream", "not-a-token", NULL);
  assert_error (upgrade, 401, "unauthorized");
}

/* A device's seqs stay one apart and in order when single appends (1:1 messages) and
 * set appends (a group message to several devices at once, globi-store-events.c) take
 * turns, and every device of a group message reads the same stored event. */
static void
test_interleaved_seqs (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) alice2 = device_new_sibling (f, alice, TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Device) carol = device_new_user (f, "carol", TRUE);
  Device *to_bob[] = { bob, alice2, NULL };
  Device *group_devices[] = { alice2, bob, carol };
  g_autoptr (GString) body = g_string_new (NULL);
  g_autofree char *group_id = NULL;
  g_autofree char *group_text = random_b64 (40);
  g_autoptr (Reply) reply = NULL;
  const char *expected[] = { "message", "sender_key", "group", "message" };

  befriend (f, alice, bob);
  befriend (f, alice, carol);
  g_string_printf (body, "{\"name\": \"Three\", \"member_ids\": [\"%s\", \"%s\"]}", bob->user_id,
                   carol->user_id);
  reply = fixture_request (f, "POST", "/v1/groups", alice->token, body->str);
  g_assert_cmpuint (reply->status, ==, 201);
  group_id = g_strdup (json_object_get_string_member (
      json_object_get_object_member (reply_object (reply), "group"), "id"));
  g_clear_pointer (&reply, reply_free);

  for (guint round = 0; round < 3; round++)
    {
      g_autofree char *id = globi_id_new ();

      if (round == 1)
        {
          g_string_printf (body,
                           "{\"id\": \"%s\", \"to\": {\"group_id\": \"%s\"}, "
                           "\"group_ciphertext\": \"%s\", \"sender_key_id\": 1, \"envelopes\": [",
                           id, group_id, group_text);
          for (guint i = 0; i < G_N_ELEMENTS (group_devices); i++)
            g_string_append_printf (body,
                                    "%s{\"device_id\": \"%s\", \"type\": \"sender_key\", "
                                    "\"ciphertext\": \"AAAA\"}",
                                    i ? "," : "", group_devices[i]->device_id);
          g_string_append (body, "]}");
          reply = fixture_request (f, "POST", "/v1/messages", alice->token, body->str);
        }
      else
        reply = send_direct (f, alice, id, bob->user_id, to_bob);
      g_assert_cmpuint (reply->status, ==, 201);
      g_clear_pointer (&reply, reply_free);
    }

  for (guint d = 0; d < G_N_ELEMENTS (group_devices); d++)
    {
      g_autoptr (Reply) events = poll_events (f, group_devices[d], 0, 100);
      JsonArray *array = events_of (events);
      gint64 previous = 0;
      guint n = 0;

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *event = event_at (array, i);

          g_assert_cmpint (seq_at (array, i), ==, previous + 1);
          previous = seq_at (array, i);
          if (!g_str_equal (json_object_get_string_member (event, "kind"), "message"))
            continue;
          /* Carol gets no 1:1 messages: only the distribution and the group message. */
          while (group_devices[d] == carol && g_str_equal (expected[n], "message"))
            n++;
          g_assert_cmpuint (n, <, G_N_ELEMENTS (expected));
          g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, expected[n]);
          if (g_str_equal (expected[n], "group"))
            g_assert_cmpstr (json_object_get_string_member (event, "ciphertext"), ==, group_text);
          n++;
        }
      g_assert_cmpuint (n, ==, group_devices[d] == carol ? 3 : 4);
    }
}

/* The server keeps verified tokens (globi-request.c): a kept token still stops working
 * when its device is revoked and when it expires, and a forged one never gets in. */
static void
test_token_cache (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) alice2 = device_new_sibling (f, alice, TRUE);
  g_autofree char *path = g_strdup_printf ("/v1/devices/%s", alice2->device_id);
  g_autofree char *forged = g_strdup (alice->token);
  g_autoptr (Reply) reply = NULL;

  /* Twice each: the second answer comes from the cache. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (Reply) mine = fixture_request (f, "GET", "/v1/keys/count", alice->token, NULL);
      g_autoptr (Reply) other = fixture_request (f, "GET", "/v1/keys/count", alice2->token, NULL);

      g_assert_cmpuint (mine->status, ==, 200);
      g_assert_cmpuint (other->status, ==, 200);
    }

  /* One character of the signature changed: a different string, verified and refused. */
  forged[strlen (forged) - 2] = forged[strlen (forged) - 2] == 'A' ? 'B' : 'A';
  reply = fixture_request (f, "GET", "/v1/keys/count", forged, NULL);
  assert_error (reply, 401, "unauthorized");
  g_clear_pointer (&reply, reply_free);

  reply = fixture_request (f, "DELETE", path, alice->token, NULL);
  g_assert_cmpuint (reply->status, ==, 204);
  g_clear_pointer (&reply, reply_free);
  reply = fixture_request (f, "GET", "/v1/keys/count", alice2->token, NULL);
  assert_error (reply, 401, "unauthorized");
  g_clear_pointer (&reply, reply_free);

  globi_server_set_clock_offset (fixture_server (f), f->config->access_token_lifetime + 1);
  reply = fixture_request (f, "GET", "/v1/keys/count", alice->token, NULL);
  assert_error (reply, 401, "unauthorized");
}

/* Malformed client frames: wrong types are ignored, a frame that is not a JSON object
 * closes the stream (1007), and the server keeps serving. */
static void
test_stream_bad_frames (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Stream) stream = stream_open (f, alice, 0);
  g_autoptr (Stream) again = NULL;
  const char *ignored[] = {
    "{\"type\": 7}",
    "{\"type\": \"ack\", \"seq\": \"x\"}",
    "{\"type\": \"typing\", \"chat\": 3, \"typing\": true}",
    "{\"type\": \"typing\", \"chat\": {\"user_id\": 5}, \"typing\": {}}",
    "{\"type\": \"typing\", \"chat\": {\"group_id\": \"g\", \"user_id\": \"u\"}, "
    "\"typing\": false}",
    "{\"type\": \"what\"}",
  };

  json_object_unref (stream_next_of_type (stream, "caught_up", NULL));
  for (guint i = 0; i < G_N_ELEMENTS (ignored); i++)
    stream_send (stream, ignored[i]);
  stream_settle (stream, 200);
  g_assert_false (stream->closed);
  stream_send (stream, "[1, 2]");
  stream_wait_closed (stream);
  g_assert_cmpuint (stream->close_code, ==, SOUP_WEBSOCKET_CLOSE_BAD_DATA);

  again = stream_open (f, alice, 0);
  json_object_unref (stream_next_of_type (again, "caught_up", NULL));
}

/* Tokens stay valid across a restart on another port. */
static void
setup_fixed_issuer (Fixture *f, gconstpointer data)
{
  fixture_init (f);
  f->config->issuer = g_strdup ("https://chat.example.org");
  fixture_start (f);
}

/* Restart with events half acknowledged: acknowledged ones stay gone, the rest come
 * back. */
static void
test_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  Device *to_bob[] = { bob, NULL };
  g_autoptr (Reply) page = NULL;
  gint64 base;

  befriend (f, alice, bob);
  page = poll_events (f, bob, 0, 500);
  base = json_array_get_length (events_of (page))
             ? seq_at (events_of (page), json_array_get_length (events_of (page)) - 1)
             : 0;
  g_clear_pointer (&page, reply_free);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *id = globi_id_new ();
      g_autoptr (Reply) reply = send_direct (f, alice, id, bob->user_id, to_bob);

      g_assert_cmpuint (reply->status, ==, 201);
    }
  ack_events (f, bob, base + 4);
  fixture_stop (f);
  fixture_start (f);

  {
    g_autoptr (Stream) stream = stream_open (f, bob, 0);
    guint n = 0;

    for (;;)
      {
        g_autoptr (JsonObject) frame = stream_next (stream);

        if (g_str_equal (json_object_get_string_member (frame, "type"), "caught_up"))
          break;
        g_assert_cmpint (json_object_get_int_member (frame, "seq"), ==, base + 5 + n);
        n++;
      }
    g_assert_cmpuint (n, ==, 6);
  }
  /* Seqs keep counting after the restart. */
  {
    g_autofree char *id = globi_id_new ();
    g_autoptr (Reply) reply = send_direct (f, alice, id, bob->user_id, to_bob);

    g_assert_cmpuint (reply->status, ==, 201);
    page = poll_events (f, bob, base + 10, 10);
    g_assert_cmpuint (json_array_get_length (events_of (page)), ==, 1);
    g_assert_cmpint (seq_at (events_of (page), 0), ==, base + 11);
  }
}

/* Past the retention limit, unacknowledged events are gone. */
static void
test_retention (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  Device *to_bob[] = { bob, NULL };
  g_autofree char *id = globi_id_new ();
  g_autoptr (Reply) reply = NULL;
  g_autoptr (Reply) page = NULL;

  befriend (f, alice, bob);
  reply = send_direct (f, alice, id, bob->user_id, to_bob);
  g_assert_cmpuint (reply->status, ==, 201);
  page = poll_events (f, bob, 0, 500);
  g_assert_cmpuint (json_array_get_length (events_of (page)), >, 0);
  g_clear_pointer (&page, reply_free);

  globi_server_set_clock_offset (fixture_server (f), 31 * 24 * 3600);
  /* The token expired meanwhile: a new one. */
  g_free (bob->token);
  fixture_sign_in (f, "bob", "correct horse battery", &bob->token, NULL, NULL);
  page = poll_events (f, bob, 0, 500);
  for (guint i = 0; i < json_array_get_length (events_of (page)); i++)
    g_assert_cmpstr (json_object_get_string_member (event_at (events_of (page), i), "kind"), !=,
                     "message");
}

static void
setup_small_attachments (Fixture *f, gconstpointer data)
{
  fixture_init (f);
  f->config->max_attachment_bytes = 256 * 1024;
  fixture_start (f);
}

/* Attachments up to the limit; past it 413. */
static void
test_attachments (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", FALSE);
  gsize limit = f->config->max_attachment_bytes;
  g_autofree guint8 *blob = g_malloc (limit + 1);
  g_autoptr (GBytes) ok = NULL;
  g_autoptr (GBytes) big = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (Reply) reply = NULL;
  g_autofree char *path = NULL;

  randombytes_buf (blob, limit + 1);
  ok = g_bytes_new (blob, limit);
  big = g_bytes_new (blob, limit + 1);
  msg =
      fixture_message (f, "POST", "/v1/attachments", alice->token, "application/octet-stream", ok);
  reply = fixture_send (f, msg);
  g_assert_cmpuint (reply->status, ==, 201);
  g_assert_cmpint (json_object_get_int_member (reply_object (reply), "size"), ==, limit);
  path = g_strdup_printf ("/v1/attachments/%s",
                          json_object_get_string_member (reply_object (reply), "hash"));
  g_clear_pointer (&reply, reply_free);
  g_clear_object (&msg);

  reply = fixture_request (f, "GET", path, alice->token, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_true (g_bytes_equal (reply->body, ok));
  g_clear_pointer (&reply, reply_free);

  msg =
      fixture_message (f, "POST", "/v1/attachments", alice->token, "application/octet-stream", big);
  reply = fixture_send (f, msg);
  assert_error (reply, 413, "too_large");
}

static gboolean
file_contains (const char *path, const char *marker)
{
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return FALSE;
  return memmem (contents, len, marker, strlen (marker)) != NULL;
}

static void
scan_dir (const char *dir, const char *marker)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle && (name = g_dir_read_name (handle)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        scan_dir (path, marker);
      else
        g_assert_false (file_contains (path, marker));
    }
}

/* Clients send ciphertext only: a marker in the plaintext never reaches the server's
 * files (the end-to-end version with real encryption is in tests/sync). */
static void
test_no_plaintext (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  Device *to_bob[] = { bob, NULL };
  g_autofree char *marker = NULL;
  guint8 key[crypto_secretbox_KEYBYTES], nonce[crypto_secretbox_NONCEBYTES];

  befriend (f, alice, bob);
  marker = g_strdup_printf ("PLAINTEXT-MARKER-%08x", g_random_int ());
  crypto_secretbox_keygen (key);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *id = globi_id_new ();
      g_autoptr (GString) body = g_string_new (NULL);
      gsize mlen = strlen (marker);
      g_autofree guint8 *sealed = g_malloc (mlen + crypto_secretbox_MACBYTES);
      g_autofree char *ciphertext = NULL;
      g_autoptr (Reply) reply = NULL;

      randombytes_buf (nonce, sizeof nonce);
      crypto_secretbox_easy (sealed, (const guint8 *) marker, mlen, nonce, key);
      ciphertext = globi_base64url_encode (sealed, mlen + crypto_secretbox_MACBYTES);
      g_string_printf (body,
                       "{\"id\": \"%s\", \"to\": {\"user_id\": \"%s\"}, \"envelopes\": "
                       "[{\"device_id\": \"%s\", \"type\": \"message\", \"ciphertext\": \"%s\"}]}",
                       id, bob->user_id, to_bob[0]->device_id, ciphertext);
      reply = fixture_request (f, "POST", "/v1/messages", alice->token, body->str);
      g_assert_cmpuint (reply->status, ==, 201);
    }
  fixture_stop (f);
  scan_dir (f->data_dir, marker);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add ("/globi/messaging/keys", Fixture, NULL, fixture_setup, test_keys, fixture_teardown);
  g_test_add ("/globi/messaging/direct", Fixture, NULL, fixture_setup, test_direct,
              fixture_teardown);
  g_test_add ("/globi/messaging/devices-changed", Fixture, NULL, fixture_setup,
              test_devices_changed, fixture_teardown);
  g_test_add ("/globi/messaging/stream/replay", Fixture, NULL, fixture_setup, test_stream_replay,
              fixture_teardown);
  g_test_add ("/globi/messaging/stream/polling", Fixture, NULL, fixture_setup, test_polling,
              fixture_teardown);
  g_test_add ("/globi/messaging/stream/typing", Fixture, NULL, fixture_setup, test_typing,
              fixture_teardown);
  g_test_add ("/globi/messaging/stream/auth", Fixture, NULL, fixture_setup, test_stream_auth,
              fixture_teardown);
  g_test_add ("/globi/messaging/token-cache", Fixture, NULL, fixture_setup, test_token_cache,
              fixture_teardown);
  g_test_add ("/globi/messaging/interleaved-seqs", Fixture, NULL, fixture_setup,
              test_interleaved_seqs, fixture_teardown);
  g_test_add ("/globi/messaging/stream/bad-frames", Fixture, NULL, fixture_setup,
              test_stream_bad_frames, fixture_teardown);
  g_test_add ("/globi/messaging/stream/restart", Fixture, NULL, setup_fixed_issuer, test_restart,
              fixture_teardown);
  g_test_add ("/globi/messaging/retention", Fixture, NULL, fixture_setup, test_retention,
              fixture_teardown);
  g_test_add ("/globi/messaging/attachments", Fixture, NULL, setup_small_attachments,
              test_attachments, fixture_teardown);
  g_test_add ("/globi/messaging/no-plaintext", Fixture, NULL, fixture_setup, test_no_plaintext,
              fixture_teardown);
  return g_test_run ();
}
