/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-id.h"
#include "globi-routes.h"
#include "globi-server-private.h"
#include "messaging-fixture.h"

/* Sends over the stream ({"type": "send"}) against a real server: the same checks,
 * idempotency and delivery as POST /v1/messages, the stream's own limits, and nothing
 * lost or doubled when a stream closes with sends in flight. */

/* req_json: the req member as JSON (quoted), so tests can send odd ones. */
static char *
send_frame (const char *req_json, const char *message_json)
{
  return g_strdup_printf ("{\"type\": \"send\", \"req\": %s, \"message\": %s}", req_json,
                          message_json);
}

static char *
direct_send_frame (const char *req,
                   const char *message_id,
                   const char *to_user_id,
                   Device **devices)
{
  g_autofree char *body = direct_message_json (message_id, to_user_id, devices);
  g_autofree char *req_json = g_strdup_printf ("\"%s\"", req);

  return send_frame (req_json, body);
}

static JsonObject *
next_result (Stream *stream)
{
  return stream_next_of_type (stream, "send_result", NULL);
}

static JsonObject *
result_body (JsonObject *result)
{
  return json_object_get_object_member (result, "body");
}

static const char *
result_error (JsonObject *result)
{
  return json_object_get_string_member (
      json_object_get_object_member (result_body (result), "error"), "code");
}

static Stream *
open_caught_up (Fixture *f, Device *device)
{
  Stream *stream = stream_open (f, device, 0);

  json_object_unref (stream_next_of_type (stream, "caught_up", NULL));
  return stream;
}

/* The ids of the events of a device's stream (by GET /v1/events) that carry message_id. */
static guint
count_stored (Fixture *f, Device *device, const char *message_id)
{
  g_autoptr (Reply) reply = poll_events (f, device, 0, 500);
  JsonArray *events = json_object_get_array_member (reply_object (reply), "events");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event =
          json_object_get_object_member (json_array_get_object_element (events, i), "event");

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "id", ""), message_id) == 0)
        n++;
    }
  return n;
}

static guint
count_events (Fixture *f, Device *device)
{
  g_autoptr (Reply) reply = poll_events (f, device, 0, 500);

  return json_array_get_length (json_object_get_array_member (reply_object (reply), "events"));
}

/* The members of an event, sorted and joined: two events of the same shape match. */
static char *
event_shape (JsonObject *event)
{
  g_autoptr (GList) names = g_list_sort (json_object_get_members (event), (GCompareFunc) strcmp);
  g_autoptr (GString) shape = g_string_new (NULL);

  for (GList *l = names; l; l = l->next)
    g_string_append_printf (shape, "%s,", (const char *) l->data);
  return g_strdup (shape->str);
}

static JsonObject *
stored_event (Fixture *f, Device *device, const char *message_id)
{
  g_autoptr (Reply) reply = poll_events (f, device, 0, 500);
  JsonArray *events = json_object_get_array_member (reply_object (reply), "events");

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event =
          json_object_get_object_member (json_array_get_object_element (events, i), "event");

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "id", ""), message_id) == 0)
        return json_object_ref (event);
    }
  g_assert_not_reached ();
}

/* A send over the stream reaches the recipient's live stream, the recipient's offline
 * device and my own other device, as the same event a REST send makes; /metrics counts
 * it apart from POST /v1/messages. */
static void
test_deliver (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) alice2 = device_new_sibling (f, alice, TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Device) bob2 = device_new_sibling (f, bob, TRUE);
  Device *targets[] = { bob, bob2, alice2, NULL };
  g_autofree char *id = globi_id_new ();
  g_autofree char *rest_id = globi_id_new ();
  g_autofree char *frame = NULL;
  g_autofree char *live_shape = NULL, *stream_shape = NULL, *rest_shape = NULL;
  g_autoptr (Stream) as = NULL;
  g_autoptr (Stream) bs = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (JsonObject) live = NULL;
  g_autoptr (JsonObject) via_stream = NULL;
  g_autoptr (JsonObject) via_rest = NULL;
  g_autoptr (Reply) reply = NULL;
  g_autoptr (Reply) metrics = NULL;
  JsonObject *event;
  g_autofree char *metrics_text = NULL;
  g_autoptr (Stream) replay = NULL;
  g_autoptr (JsonObject) caught_up = NULL;
  g_autoptr (GPtrArray) replayed =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  guint in_replay = 0;

  befriend (f, alice, bob);
  as = open_caught_up (f, alice);
  bs = open_caught_up (f, bob);

  frame = direct_send_frame ("r1", id, bob->user_id, targets);
  stream_send (as, frame);
  result = next_result (as);
  g_assert_cmpstr (json_object_get_string_member (result, "req"), ==, "r1");
  g_assert_cmpint (json_object_get_int_member (result, "status"), ==, 201);
  g_assert_cmpstr (json_object_get_string_member (result_body (result), "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (result_body (result), "sent_at"), >, 0);
  g_assert_false (json_object_has_member (result, "retry_after"));

  live = stream_next_of_type (bs, "event", NULL);
  event = json_object_get_object_member (live, "event");
  g_assert_cmpstr (json_object_get_string_member (event, "kind"), ==, "message");
  g_assert_cmpstr (json_object_get_string_member (event, "id"), ==, id);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (event, "from"), "device_id"),
      ==, alice->device_id);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (event, "to"), "user_id"), ==,
      bob->user_id);
  g_assert_cmpint (json_object_get_int_member (event, "sent_at"), ==,
                   json_object_get_int_member (result_body (result), "sent_at"));
  live_shape = event_shape (event);

  g_assert_cmpuint (count_stored (f, bob2, id), ==, 1);
  g_assert_cmpuint (count_stored (f, alice2, id), ==, 1);
  g_assert_cmpuint (count_stored (f, alice, id), ==, 0);

  /* The offline device connects: the message is in its replay, before caught_up. */
  replay = stream_open (f, bob2, 0);
  caught_up = stream_next_of_type (replay, "caught_up", replayed);
  for (guint i = 0; i < replayed->len; i++)
    {
      JsonObject *replayed_frame = g_ptr_array_index (replayed, i);
      JsonObject *replayed_event = json_object_get_object_member (replayed_frame, "event");

      if (g_strcmp0 (json_object_get_string_member_with_default (replayed_event, "id", ""), id) ==
          0)
        {
          g_autofree char *replay_shape = event_shape (replayed_event);

          g_assert_cmpstr (replay_shape, ==, live_shape);
          in_replay++;
        }
    }
  g_assert_cmpuint (in_replay, ==, 1);

  /* The same message by REST: the same event, member for member. */
  reply = send_direct (f, alice, rest_id, bob->user_id, targets);
  g_assert_cmpuint (reply->status, ==, 201);
  via_stream = stored_event (f, bob2, id);
  via_rest = stored_event (f, bob2, rest_id);
  stream_shape = event_shape (via_stream);
  rest_shape = event_shape (via_rest);
  g_assert_cmpstr (stream_shape, ==, rest_shape);
  g_assert_cmpstr (live_shape, ==, rest_shape);
  g_assert_cmpstr (json_object_get_string_member (via_stream, "type"), ==,
                   json_object_get_string_member (via_rest, "type"));

  metrics = fixture_request (f, "GET", "/metrics", NULL, NULL);
  metrics_text =
      g_strndup (g_bytes_get_data (metrics->body, NULL), g_bytes_get_size (metrics->body));
  g_assert_nonnull (strstr (metrics_text, "globichat_http_requests_total{method=\"WS\",route=\"/v1/"
                                          "stream send\",status=\"201\"} 1\n"));
  g_assert_nonnull (strstr (metrics_text, "globichat_http_requests_total{method=\"POST\",route=\"/"
                                          "v1/messages\",status=\"201\"} 1\n"));
}

/* A retried id, over the stream or REST, answers the first reply and stores nothing. */
static void
test_retry (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  Device *targets[] = { bob, NULL };
  g_autofree char *id = globi_id_new ();
  g_autofree char *first = NULL, *again = NULL;
  g_autoptr (Stream) as = NULL;
  g_autoptr (JsonObject) r1 = NULL;
  g_autoptr (JsonObject) r2 = NULL;
  g_autoptr (Reply) reply = NULL;
  gint64 sent_at;
  guint before;

  befriend (f, alice, bob);
  before = count_events (f, bob);
  as = open_caught_up (f, alice);
  first = direct_send_frame ("first", id, bob->user_id, targets);
  again = direct_send_frame ("again", id, bob->user_id, targets);
  stream_send (as, first);
  r1 = next_result (as);
  g_assert_cmpint (json_object_get_int_member (r1, "status"), ==, 201);
  sent_at = json_object_get_int_member (result_body (r1), "sent_at");

  stream_send (as, again);
  r2 = next_result (as);
  g_assert_cmpstr (json_object_get_string_member (r2, "req"), ==, "again");
  g_assert_cmpint (json_object_get_int_member (r2, "status"), ==, 201);
  g_assert_cmpstr (json_object_get_string_member (result_body (r2), "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (result_body (r2), "sent_at"), ==, sent_at);

  reply = send_direct (f, alice, id, bob->user_id, targets);
  g_assert_cmpuint (reply->status, ==, 201);
  g_assert_cmpint (json_object_get_int_member (reply_object (reply), "sent_at"), ==, sent_at);
  g_assert_cmpuint (count_stored (f, bob, id), ==, 1);
  g_assert_cmpuint (count_events (f, bob), ==, before + 1);
}

/* 409 stale_devices carries missing and extra, as the route's reply does. */
static void
test_stale (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Device) bob2 = device_new_sibling (f, bob, TRUE);
  g_autoptr (Device) carol = device_new_user (f, "carol", TRUE);
  Device *targets[] = { bob, carol, NULL };
  g_autofree char *id = globi_id_new ();
  g_autofree char *frame = NULL;
  g_autoptr (Stream) as = NULL;
  g_autoptr (JsonObject) result = NULL;
  JsonObject *error;
  JsonArray *missing, *extra;
  guint before;

  befriend (f, alice, bob);
  before = count_events (f, bob2);
  as = open_caught_up (f, alice);
  frame = direct_send_frame ("stale", id, bob->user_id, targets);
  stream_send (as, frame);
  result = next_result (as);
  g_assert_cmpint (json_object_get_int_member (result, "status"), ==, 409);
  g_assert_cmpstr (result_error (result), ==, "stale_devices");
  error = json_object_get_object_member (result_body (result), "error");
  missing = json_object_get_array_member (error, "missing");
  extra = json_object_get_array_member (error, "extra");
  g_assert_cmpuint (json_array_get_length (missing), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (missing, 0), ==, bob2->device_id);
  g_assert_cmpuint (json_array_get_length (extra), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (extra, 0), ==, carol->device_id);
  g_assert_cmpuint (count_stored (f, bob, id), ==, 0);
  g_assert_cmpuint (count_events (f, bob2), ==, before);
}

/* 403 forbidden to a stranger, 403 blocked once the friend blocked me. */
static void
test_forbidden (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  g_autoptr (Device) carol = device_new_user (f, "carol", TRUE);
  Device *to_carol[] = { carol, NULL };
  Device *to_bob[] = { bob, NULL };
  g_autofree char *id1 = globi_id_new ();
  g_autofree char *id2 = globi_id_new ();
  g_autofree char *frame1 = NULL, *frame2 = NULL;
  g_autofree char *block_path = g_strdup_printf ("/v1/blocks/%s", alice->user_id);
  g_autoptr (Stream) as = NULL;
  g_autoptr (JsonObject) r1 = NULL;
  g_autoptr (JsonObject) r2 = NULL;
  g_autoptr (Reply) blocked = NULL;

  befriend (f, alice, bob);
  as = open_caught_up (f, alice);
  frame1 = direct_send_frame ("stranger", id1, carol->user_id, to_carol);
  stream_send (as, frame1);
  r1 = next_result (as);
  g_assert_cmpint (json_object_get_int_member (r1, "status"), ==, 403);
  g_assert_cmpstr (result_error (r1), ==, "forbidden");

  blocked = fixture_request (f, "PUT", block_path, bob->token, NULL);
  g_assert_cmpuint (blocked->status, ==, 204);
  frame2 = direct_send_frame ("blocked", id2, bob->user_id, to_bob);
  stream_send (as, frame2);
  r2 = next_result (as);
  g_assert_cmpint (json_object_get_int_member (r2, "status"), ==, 403);
  g_assert_cmpstr (result_error (r2), ==, "blocked");
  g_assert_cmpuint (count_stored (f, carol, id1), ==, 0);
  g_assert_cmpuint (count_stored (f, bob, id2), ==, 0);
}

/* Frames without a usable req get nothing; with one, a malformed send gets 400 (at once,
 * so the results come in the order of the frames); the stream stays open. */
static void
test_malformed (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  Device *targets[] = { bob, NULL };
  g_autofree char *id = globi_id_new ();
  g_autofree char *good = NULL;
  g_autofree char *long_req = g_strnfill (65, 'x');
  g_autofree char *max_req = g_strnfill (64, 'y');
  g_autofree char *long_req_json = g_strdup_printf ("\"%s\"", long_req);
  g_autofree char *max_req_json = g_strdup_printf ("\"%s\"", max_req);
  /* 64 characters of two bytes each: the limit counts characters. */
  g_autoptr (GString) wide = g_string_new ("\"");
  g_autoptr (Stream) as = NULL;
  g_autoptr (JsonObject) last = NULL;
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func (g_free);
  struct
  {
    const char *req_json; /* NULL: ignored */
    const char *req;      /* as the result must echo it */
    const char *message;
  } answered[] = {
    { "\"array\"", "array", "[]" },
    { "\"string\"", "string", "\"x\"" },
    { "\"empty\"", "empty", "{}" },
    { "\"unknown\"", "unknown", "{\"what\": 1}" },
    { "\"q\\\"u\\\\o\\u00e9\\n\"", "q\"u\\o\u00e9\n", "5" },
    { max_req_json, max_req, "null" },
  };

  for (guint i = 0; i < 64; i++)
    g_string_append (wide, "\u00e9");
  g_string_append_c (wide, '"');
  befriend (f, alice, bob);
  as = open_caught_up (f, alice);

  /* Ignored: no result at all. */
  g_ptr_array_add (frames, g_strdup ("{\"type\": \"send\", \"message\": {}}"));
  g_ptr_array_add (frames, send_frame ("\"\"", "{}"));
  g_ptr_array_add (frames, send_frame (long_req_json, "{}"));
  g_ptr_array_add (frames, send_frame ("5", "{}"));
  g_ptr_array_add (frames, send_frame ("null", "{}"));
  g_ptr_array_add (frames, send_frame ("[\"a\"]", "{}"));
  for (guint i = 0; i < frames->len; i++)
    stream_send (as, frames->pdata[i]);
  g_ptr_array_set_size (frames, 0);
  g_ptr_array_add (frames, g_strdup ("{\"type\": \"send\", \"req\": \"no-message\"}"));
  for (guint i = 0; i < G_N_ELEMENTS (answered); i++)
    g_ptr_array_add (frames, send_frame (answered[i].req_json, answered[i].message));
  g_ptr_array_add (frames, send_frame (wide->str, "{}"));
  for (guint i = 0; i < frames->len; i++)
    stream_send (as, frames->pdata[i]);

  for (guint i = 0; i < frames->len; i++)
    {
      g_autoptr (JsonObject) result = next_result (as);
      const char *req = json_object_get_string_member (result, "req");

      if (i == 0)
        g_assert_cmpstr (req, ==, "no-message");
      else if (i <= G_N_ELEMENTS (answered))
        g_assert_cmpstr (req, ==, answered[i - 1].req);
      else
        g_assert_cmpuint (g_utf8_strlen (req, -1), ==, 64);
      g_assert_cmpint (json_object_get_int_member (result, "status"), ==, 400);
      g_assert_cmpstr (result_error (result), ==, "invalid_field");
    }

  good = direct_send_frame ("good", id, bob->user_id, targets);
  stream_send (as, good);
  last = next_result (as);
  g_assert_cmpstr (json_object_get_string_member (last, "req"), ==, "good");
  g_assert_cmpint (json_object_get_int_member (last, "status"), ==, 201);
  g_assert_false (as->closed);
  g_assert_cmpuint (count_stored (f, bob, id), ==, 1);
}

/* 65 sends arriving together: 64 go to the writer, the 65th is refused at once with
 * 429 and retry_after; it goes through once the others are answered. */
static void
test_in_flight (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  Device *targets[] = { bob, NULL };
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (Stream) as = NULL;
  g_autoptr (JsonObject) retried = NULL;
  g_autofree char *retry = NULL;
  guint created = 0, limited = 0, before;

  befriend (f, alice, bob);
  before = count_events (f, bob);
  as = open_caught_up (f, alice);
  for (guint i = 0; i < 65; i++)
    {
      g_autofree char *req = g_strdup_printf ("%u", i);

      g_ptr_array_add (ids, globi_id_new ());
      g_ptr_array_add (frames, direct_send_frame (req, ids->pdata[i], bob->user_id, targets));
    }
  stream_send_batch (as, (const char *const *) frames->pdata, frames->len);
  for (guint i = 0; i < 65; i++)
    {
      g_autoptr (JsonObject) result = next_result (as);
      gint64 status = json_object_get_int_member (result, "status");

      if (status == 429)
        {
          limited++;
          g_assert_cmpstr (json_object_get_string_member (result, "req"), ==, "64");
          g_assert_cmpstr (result_error (result), ==, "rate_limited");
          g_assert_cmpint (json_object_get_int_member (result, "retry_after"), >=, 1);
        }
      else
        {
          g_assert_cmpint (status, ==, 201);
          g_assert_false (json_object_has_member (result, "retry_after"));
          created++;
        }
    }
  g_assert_cmpuint (created, ==, 64);
  g_assert_cmpuint (limited, ==, 1);
  g_assert_cmpuint (count_stored (f, bob, ids->pdata[64]), ==, 0);
  g_assert_cmpuint (count_events (f, bob), ==, before + 64);

  retry = direct_send_frame ("64", ids->pdata[64], bob->user_id, targets);
  stream_send (as, retry);
  retried = next_result (as);
  g_assert_cmpint (json_object_get_int_member (retried, "status"), ==, 201);
  g_assert_cmpuint (count_stored (f, bob, ids->pdata[64]), ==, 1);
}

/* A frame of a send's body with a ciphertext padded so the whole frame is len bytes. */
static char *
padded_frame (const char *to_user_id, Device *device, gsize len)
{
  g_autofree char *id = globi_id_new ();
  g_autofree char *head = g_strdup_printf (
      "{\"type\": \"send\", \"req\": \"big\", \"message\": {\"id\": \"%s\", \"to\": {\"user_id\": "
      "\"%s\"}, \"envelopes\": [{\"device_id\": \"%s\", \"type\": \"message\", \"ciphertext\": \"",
      id, to_user_id, device->device_id);
  const char *tail = "\"}]}}";
  GString *frame = g_string_sized_new (len + 1);

  g_assert_cmpuint (len, >, strlen (head) + strlen (tail));
  g_string_append (frame, head);
  for (gsize i = frame->len; i < len - strlen (tail); i++)
    g_string_append_c (frame, 'A');
  g_string_append (frame, tail);
  g_assert_cmpuint (frame->len, ==, len);
  return g_string_free (frame, FALSE);
}

/* A frame of the messages route's body limit is taken (and answered: its ciphertext is
 * too long); one byte more closes the stream with 1009, and what was stored stays. */
static void
test_oversized (Fixture *f, gconstpointer data)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  Device *targets[] = { bob, NULL };
  gsize limit = globi_routes_message_body_limit (f->config);
  g_autofree char *id = globi_id_new ();
  g_autofree char *frame = NULL, *at_limit = NULL, *over = NULL;
  g_autoptr (Stream) as = NULL;
  g_autoptr (Stream) again = NULL;
  g_autoptr (JsonObject) stored = NULL;
  g_autoptr (JsonObject) big = NULL;
  g_autoptr (Reply) reply = NULL;

  g_assert_cmpuint (limit, >=, 2 * 1024 * 1024);
  befriend (f, alice, bob);
  as = open_caught_up (f, alice);
  frame = direct_send_frame ("kept", id, bob->user_id, targets);
  stream_send (as, frame);
  stored = next_result (as);
  g_assert_cmpint (json_object_get_int_member (stored, "status"), ==, 201);

  at_limit = padded_frame (bob->user_id, bob, limit);
  stream_send (as, at_limit);
  big = next_result (as);
  g_assert_cmpstr (json_object_get_string_member (big, "req"), ==, "big");
  g_assert_cmpint (json_object_get_int_member (big, "status"), ==, 400);
  g_assert_false (as->closed);

  over = padded_frame (bob->user_id, bob, limit + 1);
  stream_send (as, over);
  stream_wait_closed (as);
  g_assert_cmpuint (as->close_code, ==, SOUP_WEBSOCKET_CLOSE_TOO_BIG);

  g_assert_cmpuint (count_stored (f, bob, id), ==, 1);
  reply = send_direct (f, alice, id, bob->user_id, targets);
  g_assert_cmpuint (reply->status, ==, 201);
  g_assert_cmpint (json_object_get_int_member (reply_object (reply), "sent_at"), ==,
                   json_object_get_int_member (result_body (stored), "sent_at"));
  g_assert_cmpuint (count_stored (f, bob, id), ==, 1);
  again = open_caught_up (f, alice);
}

/* Sends right before the stream closes (the client's close, the server's 1009): each
 * is answered or not, and after reconnecting a REST retry with its id finds it stored
 * or stores it; either way the recipient has it exactly once. */
static void
close_with_sends_in_flight (Fixture *f, gboolean server_closes)
{
  g_autoptr (Device) alice = device_new_user (f, "alice", TRUE);
  g_autoptr (Device) bob = device_new_user (f, "bob", TRUE);
  Device *targets[] = { bob, NULL };
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (Stream) as = NULL;
  g_autoptr (Stream) again = NULL;
  guint before;

  befriend (f, alice, bob);
  before = count_events (f, bob);
  as = open_caught_up (f, alice);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *req = g_strdup_printf ("%u", i);

      g_ptr_array_add (ids, globi_id_new ());
      g_ptr_array_add (frames, direct_send_frame (req, ids->pdata[i], bob->user_id, targets));
    }
  if (server_closes)
    g_ptr_array_add (
        frames, padded_frame (bob->user_id, bob, globi_routes_message_body_limit (f->config) + 1));
  stream_send_batch (as, (const char *const *) frames->pdata, frames->len);
  if (!server_closes)
    soup_websocket_connection_close (as->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  stream_wait_closed (as);
  if (server_closes)
    g_assert_cmpuint (as->close_code, ==, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  /* Whatever results made it before the close were 201s. */
  while (!g_queue_is_empty (&as->frames))
    {
      JsonNode *node = g_queue_pop_head (&as->frames);
      JsonObject *obj = json_node_get_object (node);

      if (g_strcmp0 (json_object_get_string_member (obj, "type"), "send_result") == 0)
        g_assert_cmpint (json_object_get_int_member (obj, "status"), ==, 201);
      json_node_unref (node);
    }

  again = open_caught_up (f, alice);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr (Reply) reply = send_direct (f, alice, ids->pdata[i], bob->user_id, targets);

      g_assert_cmpuint (reply->status, ==, 201);
      g_assert_cmpuint (count_stored (f, bob, ids->pdata[i]), ==, 1);
    }
  g_assert_cmpuint (count_events (f, bob), ==, before + ids->len);
}

static void
test_client_closes (Fixture *f, gconstpointer data)
{
  close_with_sends_in_flight (f, FALSE);
}

static void
test_server_closes (Fixture *f, gconstpointer data)
{
  close_with_sends_in_flight (f, TRUE);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/globi/messaging/stream-send/deliver", Fixture, NULL, fixture_setup, test_deliver,
              fixture_teardown);
  g_test_add ("/globi/messaging/stream-send/retry", Fixture, NULL, fixture_setup, test_retry,
              fixture_teardown);
  g_test_add ("/globi/messaging/stream-send/stale-devices", Fixture, NULL, fixture_setup,
              test_stale, fixture_teardown);
  g_test_add ("/globi/messaging/stream-send/forbidden", Fixture, NULL, fixture_setup,
              test_forbidden, fixture_teardown);
  g_test_add ("/globi/messaging/stream-send/malformed", Fixture, NULL, fixture_setup,
              test_malformed, fixture_teardown);
  g_test_add ("/globi/messaging/stream-send/in-flight-limit", Fixture, NULL, fixture_setup,
              test_in_flight, fixture_teardown);
  g_test_add ("/globi/messaging/stream-send/oversized-frame", Fixture, NULL, fixture_setup,
              test_oversized, fixture_teardown);
  g_test_add ("/globi/messaging/stream-send/client-closes", Fixture, NULL, fixture_setup,
              test_client_closes, fixture_teardown);
  g_test_add ("/globi/messaging/stream-send/server-closes", Fixture, NULL, fixture_setup,
              test_server_closes, fixture_teardown);

  return g_test_run ();
}
