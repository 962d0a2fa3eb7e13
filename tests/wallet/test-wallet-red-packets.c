/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-id.h"
#include "globi-server.h"
#include "wallet-helpers.h"

/* Red packets in a group of four (Alice, Bob, Carol, Dave); Eve is outside. */

#define N_MEMBERS 4

typedef struct
{
  Fixture f;
  Person p[N_MEMBERS]; /* p[0] is Alice, the sender */
  Person eve;
  char *group_id;
} Group;

static void
group_setup (Group *g, gconstpointer data)
{
  const char *names[N_MEMBERS] = { "alice", "bob", "carol", "dave" };
  g_autofree char *body = NULL;
  g_autoptr (Reply) created = NULL;

  fixture_setup (&g->f, data);
  for (guint i = 0; i < N_MEMBERS; i++)
    person_sign_up (&g->f, names[i], &g->p[i]);
  person_sign_up (&g->f, "eve", &g->eve);
  for (guint i = 1; i < N_MEMBERS; i++)
    social_befriend (&g->f, &g->p[0], &g->p[i]);
  body = g_strdup_printf ("{\"name\": \"Lunch club\", \"member_ids\": [\"%s\", \"%s\", \"%s\"]}",
                          g->p[1].id, g->p[2].id, g->p[3].id);
  created = social_request (&g->f, "POST", &g->p[0], body, "/v1/groups");
  g_assert_cmpuint (created->status, ==, 201);
  g->group_id = g_strdup (json_object_get_string_member (
      json_object_get_object_member (reply_object (created), "group"), "id"));
  wallet_set_pin (&g->f, &g->p[0], WALLET_PIN);
}

static void
group_teardown (Group *g, gconstpointer data)
{
  for (guint i = 0; i < N_MEMBERS; i++)
    person_clear (&g->p[i]);
  person_clear (&g->eve);
  g_free (g->group_id);
  fixture_teardown (&g->f, data);
}

static Reply *
send_packet (Group *g, const char *id, gint64 total, guint count, const char *split)
{
  g_autofree char *body = g_strdup_printf (
      "{\"id\": \"%s\", \"group_id\": \"%s\", \"total\": {\"currency\": \"USD\", \"minor\": "
      "%" G_GINT64_FORMAT "}, \"count\": %u, \"split\": \"%s\", \"note\": \"恭喜发财\", \"pin\": "
      "\"" WALLET_PIN "\"}",
      id, g->group_id, total, count, split);

  return social_request (&g->f, "POST", &g->p[0], body, "/v1/wallet/red-packets");
}

static JsonObject *
packet_of (Reply *reply)
{
  return json_object_get_object_member (reply_object (reply), "red_packet");
}

static gint64
money_minor (JsonObject *obj, const char *name)
{
  return json_object_get_int_member (json_object_get_object_member (obj, name), "minor");
}

/* Claims by every member in turn; returns the amounts in claim order. */
static GArray *
claim_all (Group *g, const char *id)
{
  GArray *amounts = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < N_MEMBERS; i++)
    {
      g_autoptr (Reply) claimed =
          social_request (&g->f, "POST", &g->p[i], "", "/v1/wallet/red-packets/%s/claim", id);
      JsonObject *mine;
      gint64 minor;

      if (claimed->status == 409)
        break;
      g_assert_cmpuint (claimed->status, ==, 200);
      mine = json_object_get_object_member (packet_of (claimed), "my_claim");
      g_assert_nonnull (mine);
      g_assert_cmpstr (
          json_object_get_string_member (json_object_get_object_member (mine, "user"), "id"), ==,
          g->p[i].id);
      minor = money_minor (mine, "amount");
      g_array_append_val (amounts, minor);
    }
  return amounts;
}

static void
test_fixed (Group *g, gconstpointer data)
{
  g_autofree char *id = globi_id_new ();
  g_autoptr (Reply) sent = send_packet (g, id, 400, 4, "fixed");
  g_autoptr (Reply) retry = NULL;
  g_autoptr (Reply) again = NULL;
  g_autoptr (Reply) outsider = NULL;
  g_autoptr (Reply) outsider_view = NULL;
  g_autoptr (Reply) view = NULL;
  g_autoptr (GArray) amounts = NULL;
  JsonObject *packet;
  JsonArray *claims;

  g_assert_cmpuint (sent->status, ==, 201);
  packet = packet_of (sent);
  g_assert_cmpstr (json_object_get_string_member (packet, "state"), ==, "pending");
  g_assert_cmpint (json_object_get_int_member (packet, "count"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (packet, "remaining_count"), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (packet, "note"), ==, "恭喜发财");
  g_assert_cmpint (wallet_balance (&g->f, &g->p[0], "USD"), ==, 100000 - 400);
  retry = send_packet (g, id, 400, 4, "fixed");
  g_assert_cmpuint (retry->status, ==, 201);
  g_assert_cmpint (wallet_balance (&g->f, &g->p[0], "USD"), ==, 100000 - 400);

  outsider = social_request (&g->f, "POST", &g->eve, "", "/v1/wallet/red-packets/%s/claim", id);
  assert_error (outsider, 404, "not_found");
  outsider_view = social_request (&g->f, "GET", &g->eve, NULL, "/v1/wallet/red-packets/%s", id);
  assert_error (outsider_view, 404, "not_found");

  amounts = claim_all (g, id);
  g_assert_cmpuint (amounts->len, ==, 4);
  for (guint i = 0; i < amounts->len; i++)
    g_assert_cmpint (g_array_index (amounts, gint64, i), ==, 100);
  /* Each member once: a second claim answers the first. */
  again = social_request (&g->f, "POST", &g->p[1], "", "/v1/wallet/red-packets/%s/claim", id);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (
      money_minor (json_object_get_object_member (packet_of (again), "my_claim"), "amount"), ==,
      100);
  g_assert_cmpint (wallet_balance (&g->f, &g->p[1], "USD"), ==, 100000 + 100);
  /* The sender claimed a share too. */
  g_assert_cmpint (wallet_balance (&g->f, &g->p[0], "USD"), ==, 100000 - 300);

  view = social_request (&g->f, "GET", &g->p[2], NULL, "/v1/wallet/red-packets/%s", id);
  g_assert_cmpuint (view->status, ==, 200);
  packet = packet_of (view);
  g_assert_cmpstr (json_object_get_string_member (packet, "state"), ==, "completed");
  g_assert_cmpint (money_minor (packet, "remaining"), ==, 0);
  claims = json_object_get_array_member (packet, "claims");
  g_assert_cmpuint (json_array_get_length (claims), ==, 4);

  /* Fewer shares than members: the last one comes too late. */
  {
    g_autofree char *small = globi_id_new ();
    g_autoptr (Reply) two = send_packet (g, small, 200, 2, "fixed");
    g_autoptr (GArray) got = NULL;
    g_autoptr (Reply) late = NULL;

    g_assert_cmpuint (two->status, ==, 201);
    got = claim_all (g, small);
    g_assert_cmpuint (got->len, ==, 2);
    late = social_request (&g->f, "POST", &g->p[3], "", "/v1/wallet/red-packets/%s/claim", small);
    assert_error (late, 409, "conflict");
  }
  g_assert_cmpint (wallet_audit (&g->f, NULL), ==, 0);
}

static void
test_random (Group *g, gconstpointer data)
{
  g_autoptr (GHashTable) seen_amounts = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint round = 0; round < 12; round++)
    {
      g_autofree char *id = globi_id_new ();
      gint64 total = round % 2 ? 4 : 1001; /* 4 among 4: one unit each, no room at all */
      g_autoptr (Reply) sent = send_packet (g, id, total, 4, "random");
      g_autoptr (GArray) amounts = NULL;
      g_autoptr (Reply) empty = NULL;
      gint64 sum = 0;

      g_assert_cmpuint (sent->status, ==, 201);
      g_assert_cmpstr (json_object_get_string_member (packet_of (sent), "split"), ==, "random");
      amounts = claim_all (g, id);
      g_assert_cmpuint (amounts->len, ==, 4);
      for (guint i = 0; i < amounts->len; i++)
        {
          gint64 *minor = &g_array_index (amounts, gint64, i);

          g_assert_cmpint (*minor, >=, 1);
          sum += *minor;
          if (total == 1001)
            g_array_append_val (all, *minor);
        }
      g_assert_cmpint (sum, ==, total);
      empty = social_request (&g->f, "POST", &g->eve, "", "/v1/wallet/red-packets/%s/claim", id);
      assert_error (empty, 404, "not_found");
    }
  /* Random means not all the same: six packets of 1001 drew more than one value. */
  for (guint i = 0; i < all->len; i++)
    g_hash_table_add (seen_amounts, &g_array_index (all, gint64, i));
  g_assert_cmpuint (g_hash_table_size (seen_amounts), >, 1);
  g_assert_cmpint (wallet_audit (&g->f, NULL), ==, 0);
}

static void
test_invalid (Group *g, gconstpointer data)
{
  const struct
  {
    gint64 total;
    guint count;
    const char *split;
    guint status;
    const char *code;
  } cases[] = {
    { 401, 4, "fixed", 400, "invalid_field" }, /* does not divide */
    { 500, 5, "fixed", 400, "invalid_field" }, /* more shares than members */
    { 3, 4, "random", 400, "invalid_field" },  /* less than a unit each */
    { 100, 0, "random", 400, "invalid_field" }, { 100, 101, "random", 400, "invalid_field" },
    { 100, 2, "even", 400, "invalid_field" },   { 100001, 2, "random", 409, "insufficient_funds" },
  };
  g_autofree char *stranger_group = globi_id_new ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = globi_id_new ();
      g_autoptr (Reply) reply = send_packet (g, id, cases[i].total, cases[i].count, cases[i].split);

      g_test_message ("case %u", i);
      assert_error (reply, cases[i].status, cases[i].code);
    }
  {
    g_autofree char *id = globi_id_new ();
    g_autofree char *body = g_strdup_printf (
        "{\"id\": \"%s\", \"group_id\": \"%s\", \"total\": {\"currency\": \"USD\", \"minor\": "
        "100}, \"count\": 2, \"split\": \"fixed\", \"pin\": \"" WALLET_PIN "\"}",
        id, stranger_group);
    g_autoptr (Reply) reply =
        social_request (&g->f, "POST", &g->p[0], body, "/v1/wallet/red-packets");

    assert_error (reply, 404, "not_found");
  }
  g_assert_cmpint (wallet_balance (&g->f, &g->p[0], "USD"), ==, 100000);
  g_assert_cmpint (wallet_audit (&g->f, NULL), ==, 0);
}

static void
test_leftovers_returned (Group *g, gconstpointer data)
{
  g_autofree char *id = globi_id_new ();
  g_autoptr (Reply) sent = send_packet (g, id, 300, 3, "fixed");
  g_autoptr (Reply) claimed = NULL;
  g_autoptr (Reply) late = NULL;
  g_autoptr (Reply) view = NULL;
  g_autoptr (Reply) history = NULL;
  JsonObject *packet;

  g_assert_cmpuint (sent->status, ==, 201);
  claimed = social_request (&g->f, "POST", &g->p[1], "", "/v1/wallet/red-packets/%s/claim", id);
  g_assert_cmpuint (claimed->status, ==, 200);

  globi_server_set_clock_offset (fixture_server (&g->f), 24 * 3600 + 1);
  for (guint i = 0; i < N_MEMBERS; i++)
    person_refresh (&g->f, &g->p[i]);
  late = social_request (&g->f, "POST", &g->p[2], "", "/v1/wallet/red-packets/%s/claim", id);
  assert_error (late, 409, "conflict");
  view = social_request (&g->f, "GET", &g->p[0], NULL, "/v1/wallet/red-packets/%s", id);
  packet = packet_of (view);
  g_assert_cmpstr (json_object_get_string_member (packet, "state"), ==, "returned");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (packet, "claims")), ==, 1);
  g_assert_cmpint (wallet_balance (&g->f, &g->p[0], "USD"), ==, 100000 - 100);
  g_assert_cmpint (wallet_balance (&g->f, &g->p[2], "USD"), ==, 100000);

  history = social_request (&g->f, "GET", &g->p[0], NULL, "/v1/wallet/transactions/%s", id);
  g_assert_cmpstr (json_object_get_string_member (wallet_tx (history), "state"), ==, "returned");
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (wallet_tx (history), "chat"), "group_id"),
                   ==, g->group_id);
  g_assert_cmpint (wallet_audit (&g->f, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/globi/wallet/red-packets/" path, Group, NULL, group_setup, func, group_teardown)
  ADD ("fixed", test_fixed);
  ADD ("random", test_random);
  ADD ("invalid", test_invalid);
  ADD ("leftovers-returned", test_leftovers_returned);
#undef ADD
  return g_test_run ();
}
