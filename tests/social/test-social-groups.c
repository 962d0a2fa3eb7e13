/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <sodium.h>
#include <string.h>

#include "globi-id.h"
#include "globi-server.h"
#include "social-helpers.h"

/* Alice is friends with Bob and Carol; Dave is a stranger. */
typedef struct
{
  Fixture f;
  Person alice;
  Person bob;
  Person carol;
  Person dave;
} Groups;

static void
groups_setup (Groups *g, gconstpointer data)
{
  fixture_setup (&g->f, data);
  person_sign_up (&g->f, "alice", &g->alice);
  person_sign_up (&g->f, "bob", &g->bob);
  person_sign_up (&g->f, "carol", &g->carol);
  person_sign_up (&g->f, "dave", &g->dave);
  social_befriend (&g->f, &g->alice, &g->bob);
  social_befriend (&g->f, &g->alice, &g->carol);
}

static void
groups_teardown (Groups *g, gconstpointer data)
{
  person_clear (&g->alice);
  person_clear (&g->bob);
  person_clear (&g->carol);
  person_clear (&g->dave);
  fixture_teardown (&g->f, data);
}

/* ["id", …] from a NULL-terminated list or a GPtrArray slice. */
static char *
id_list (const char *const *ids, GPtrArray *more, guint from, guint to)
{
  g_autoptr (GString) text = g_string_new ("[");

  for (guint i = 0; ids && ids[i]; i++)
    g_string_append_printf (text, "%s\"%s\"", text->len > 1 ? ", " : "", ids[i]);
  for (guint i = from; more && i < to; i++)
    g_string_append_printf (text, "%s\"%s\"", text->len > 1 ? ", " : "",
                            (const char *) g_ptr_array_index (more, i));
  g_string_append_c (text, ']');
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static Reply *
create_group (Groups *g, const Person *owner, const char *id, const char *members)
{
  g_autofree char *body = NULL;

  if (id)
    body = g_strdup_printf ("{\"id\": \"%s\", \"name\": \"Climbing\", \"member_ids\": %s}", id,
                            members);
  else
    body = g_strdup_printf ("{\"name\": \"Climbing\", \"member_ids\": %s}", members);
  return social_request (&g->f, "POST", owner, body, "/v1/groups");
}

static JsonObject *
reply_group (Reply *reply)
{
  return json_object_get_object_member (reply_object (reply), "group");
}

/* Creates Alice's group with Bob and Carol; returns its id. */
static char *
make_group (Groups *g)
{
  const char *members[] = { g->bob.id, g->carol.id, NULL };
  g_autofree char *list = id_list (members, NULL, 0, 0);
  g_autoptr (Reply) created = create_group (g, &g->alice, NULL, list);

  g_assert_cmpuint (created->status, ==, 201);
  return g_strdup (json_object_get_string_member (reply_group (created), "id"));
}

static gint64
member_count (Groups *g, const Person *who, const char *group_id)
{
  g_autoptr (Reply) got = social_request (&g->f, "GET", who, NULL, "/v1/groups/%s", group_id);

  g_assert_cmpuint (got->status, ==, 200);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (reply_group (got), "members")), ==,
      json_object_get_int_member (reply_group (got), "member_count"));
  return json_object_get_int_member (reply_group (got), "member_count");
}

static const char *
my_role (Groups *g, const Person *who, const char *group_id)
{
  static char role[16];
  g_autoptr (Reply) got = social_request (&g->f, "GET", who, NULL, "/v1/groups/%s", group_id);

  g_assert_cmpuint (got->status, ==, 200);
  g_strlcpy (role, json_object_get_string_member (reply_group (got), "my_role"), sizeof role);
  return role;
}

static void
test_create (Groups *g, gconstpointer data)
{
  g_autofree char *id = globi_id_new ();
  const char *members[] = { g->bob.id, g->carol.id, NULL };
  g_autofree char *list = id_list (members, NULL, 0, 0);
  g_autoptr (Reply) created = create_group (g, &g->alice, id, list);
  g_autoptr (Reply) retried = create_group (g, &g->alice, id, list);
  g_autoptr (Reply) stolen = create_group (g, &g->bob, id, "[]");
  g_autoptr (Reply) bobs = NULL;
  g_autoptr (Reply) outsider = NULL;
  JsonObject *group, *listed;

  g_assert_cmpuint (created->status, ==, 201);
  group = reply_group (created);
  g_assert_cmpstr (json_object_get_string_member (group, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (group, "name"), ==, "Climbing");
  g_assert_cmpstr (json_object_get_string_member (group, "announcement"), ==, "");
  g_assert_cmpstr (json_object_get_string_member (group, "owner_id"), ==, g->alice.id);
  g_assert_cmpstr (json_object_get_string_member (group, "my_role"), ==, "owner");
  g_assert_true (json_object_get_null_member (group, "avatar"));
  g_assert_cmpint (json_object_get_int_member (group, "member_count"), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (group, "members")), ==, 3);

  /* A retried id answers the same group; someone else's id is a conflict. */
  g_assert_cmpuint (retried->status, ==, 201);
  g_assert_cmpint (json_object_get_int_member (reply_group (retried), "created_at"), ==,
                   json_object_get_int_member (group, "created_at"));
  assert_error (stolen, 409, "conflict");

  bobs = social_request (&g->f, "GET", &g->bob, NULL, "/v1/groups");
  g_assert_cmpuint (bobs->status, ==, 200);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (reply_object (bobs), "groups")), ==, 1);
  listed = json_array_get_object_element (
      json_object_get_array_member (reply_object (bobs), "groups"), 0);
  g_assert_cmpstr (json_object_get_string_member (listed, "my_role"), ==, "member");
  g_assert_false (json_object_has_member (listed, "members"));

  outsider = social_request (&g->f, "GET", &g->dave, NULL, "/v1/groups/%s", id);
  assert_error (outsider, 404, "not_found");

  g_assert_cmpuint (social_count_events (&g->f, &g->alice, "group_updated"), ==, 1);
  g_assert_cmpuint (social_count_events (&g->f, &g->bob, "group_updated"), ==, 1);
  g_assert_cmpuint (social_count_events (&g->f, &g->dave, "group_updated"), ==, 0);
}

static void
test_create_refused (Groups *g, gconstpointer data)
{
  const char *members[] = { g->bob.id, g->dave.id, NULL };
  g_autofree char *list = id_list (members, NULL, 0, 0);
  g_autoptr (Reply) stranger = create_group (g, &g->alice, NULL, list);
  g_autoptr (Reply) mine = NULL;
  g_autoptr (Reply) blank = social_request (&g->f, "POST", &g->alice,
                                            "{\"name\": \"  \", \"member_ids\": []}", "/v1/groups");
  g_autoptr (Reply) no_members =
      social_request (&g->f, "POST", &g->alice, "{\"name\": \"x\"}", "/v1/groups");
  g_autoptr (Reply) bad_member = social_request (
      &g->f, "POST", &g->alice, "{\"name\": \"x\", \"member_ids\": [\"bob\"]}", "/v1/groups");

  /* Dave is not Alice's friend: nobody is added, no group is made. */
  assert_error (stranger, 403, "forbidden");
  mine = social_request (&g->f, "GET", &g->alice, NULL, "/v1/groups");
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (reply_object (mine), "groups")), ==, 0);
  assert_error (blank, 400, "invalid_field");
  assert_error (no_members, 400, "invalid_field");
  assert_error (bad_member, 400, "invalid_field");
}

static void
test_limit_500 (Groups *g, gconstpointer data)
{
  g_autoptr (GPtrArray) friends = social_insert_friends (&g->f, g->alice.id, 500);
  g_autofree char *list = id_list (NULL, friends, 0, 499);
  g_autofree char *too_many = id_list (NULL, friends, 0, 500);
  g_autoptr (Reply) over = create_group (g, &g->alice, NULL, too_many);
  g_autoptr (Reply) created = create_group (g, &g->alice, NULL, list);
  g_autofree char *last = NULL;
  g_autoptr (Reply) refused = NULL;
  const char *id;

  /* 500 ids in one call is over the per-call limit of 499. */
  assert_error (over, 400, "invalid_field");
  g_assert_cmpuint (created->status, ==, 201);
  id = json_object_get_string_member (reply_group (created), "id");
  g_assert_cmpint (json_object_get_int_member (reply_group (created), "member_count"), ==, 500);

  last = g_strdup_printf ("{\"user_ids\": [\"%s\"]}", (char *) g_ptr_array_index (friends, 499));
  refused = social_request (&g->f, "POST", &g->alice, last, "/v1/groups/%s/members", id);
  assert_error (refused, 409, "group_full");
  g_assert_cmpint (member_count (g, &g->alice, id), ==, 500);
}

typedef struct
{
  char *url;
  char *token;
  char *body;
  guint status;
} AddJob;

static gpointer
add_thread (gpointer data)
{
  AddJob *job = data;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", job->url);
  g_autofree char *auth = g_strconcat ("Bearer ", job->token, NULL);
  g_autoptr (GBytes) body = g_bytes_new (job->body, strlen (job->body));
  g_autoptr (GBytes) reply = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  job->status = soup_message_get_status (msg);
  return NULL;
}

static void
test_concurrent_adds (Groups *g, gconstpointer data)
{
  enum
  {
    N_THREADS = 24,
    START = 490
  };
  g_autoptr (GPtrArray) friends = social_insert_friends (&g->f, g->alice.id, START + N_THREADS);
  g_autofree char *list = id_list (NULL, friends, 0, START - 1);
  g_autoptr (Reply) created = create_group (g, &g->alice, NULL, list);
  AddJob jobs[N_THREADS];
  GThread *threads[N_THREADS];
  guint ok = 0, full = 0;
  const char *id;

  g_assert_cmpuint (created->status, ==, 201);
  id = json_object_get_string_member (reply_group (created), "id");
  g_assert_cmpint (json_object_get_int_member (reply_group (created), "member_count"), ==, START);
  for (guint i = 0; i < N_THREADS; i++)
    {
      jobs[i].url = g_strdup_printf ("%s/v1/groups/%s/members", g->f.base_url, id);
      jobs[i].token = g->alice.token;
      jobs[i].body = g_strdup_printf ("{\"user_ids\": [\"%s\"]}",
                                      (char *) g_ptr_array_index (friends, START + i));
      threads[i] = g_thread_new ("add", add_thread, &jobs[i]);
    }
  for (guint i = 0; i < N_THREADS; i++)
    {
      g_thread_join (threads[i]);
      if (jobs[i].status == 200)
        ok++;
      else if (jobs[i].status == 409)
        full++;
      g_free (jobs[i].url);
      g_free (jobs[i].body);
    }
  /* Exactly the free places were taken, whatever the interleaving. */
  g_assert_cmpuint (ok, ==, 500 - START);
  g_assert_cmpuint (full, ==, N_THREADS - (500 - START));
  g_assert_cmpint (member_count (g, &g->alice, id), ==, 500);
}

static Reply *empty_post (Groups *g, const Person *who, const char *method, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

static Reply *
empty_post (Groups *g, const Person *who, const char *method, const char *format, ...)
{
  g_autofree char *path = NULL;
  va_list ap;

  va_start (ap, format);
  path = g_strdup_vprintf (format, ap);
  va_end (ap);
  return fixture_request (&g->f, method, path, who->token, NULL);
}

static void
test_roles (Groups *g, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *add_dave = NULL;
  g_autofree char *to_bob = NULL;

  social_befriend (&g->f, &g->alice, &g->dave);
  id = make_group (g);
  add_dave = g_strdup_printf ("{\"user_ids\": [\"%s\"]}", g->dave.id);
  {
    g_autoptr (Reply) added =
        social_request (&g->f, "POST", &g->alice, add_dave, "/v1/groups/%s/members", id);

    g_assert_cmpuint (added->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (reply_group (added), "member_count"), ==, 4);
  }

  /* Members may not rename; admins may. Only the owner appoints admins. */
  {
    g_autoptr (Reply) rename =
        social_request (&g->f, "PATCH", &g->bob, "{\"name\": \"Mine\"}", "/v1/groups/%s", id);
    g_autoptr (Reply) appoint =
        empty_post (g, &g->bob, "PUT", "/v1/groups/%s/admins/%s", id, g->carol.id);
    g_autoptr (Reply) made = NULL;
    g_autoptr (Reply) renamed = NULL;

    assert_error (rename, 403, "forbidden");
    assert_error (appoint, 403, "forbidden");
    made = empty_post (g, &g->alice, "PUT", "/v1/groups/%s/admins/%s", id, g->bob.id);
    g_assert_cmpuint (made->status, ==, 204);
    g_assert_cmpstr (my_role (g, &g->bob, id), ==, "admin");
    renamed = social_request (&g->f, "PATCH", &g->bob,
                              "{\"name\": \"Crag rats\", \"announcement\": \"Sat 9:00\"}",
                              "/v1/groups/%s", id);
    g_assert_cmpuint (renamed->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (reply_group (renamed), "name"), ==,
                     "Crag rats");
    g_assert_cmpstr (json_object_get_string_member (reply_group (renamed), "my_role"), ==, "admin");
  }

  /* An admin removes members, not the owner and not other admins. */
  {
    g_autoptr (Reply) made =
        empty_post (g, &g->alice, "PUT", "/v1/groups/%s/admins/%s", id, g->dave.id);
    g_autoptr (Reply) owner =
        empty_post (g, &g->bob, "DELETE", "/v1/groups/%s/members/%s", id, g->alice.id);
    g_autoptr (Reply) admin =
        empty_post (g, &g->bob, "DELETE", "/v1/groups/%s/members/%s", id, g->dave.id);
    g_autoptr (Reply) member = NULL;
    g_autoptr (Reply) gone = NULL;

    g_assert_cmpuint (made->status, ==, 204);
    assert_error (owner, 403, "forbidden");
    assert_error (admin, 403, "forbidden");
    member = empty_post (g, &g->bob, "DELETE", "/v1/groups/%s/members/%s", id, g->carol.id);
    g_assert_cmpuint (member->status, ==, 204);
    gone = social_request (&g->f, "GET", &g->carol, NULL, "/v1/groups/%s", id);
    assert_error (gone, 404, "not_found");
    g_assert_cmpuint (social_count_events (&g->f, &g->carol, "group_removed"), ==, 1);
    g_assert_cmpint (member_count (g, &g->alice, id), ==, 3);
  }

  /* The owner must hand over before leaving; the old owner becomes an admin. */
  {
    g_autoptr (Reply) leave =
        empty_post (g, &g->alice, "DELETE", "/v1/groups/%s/members/%s", id, g->alice.id);
    g_autoptr (Reply) by_admin = NULL;
    g_autoptr (Reply) transferred = NULL;
    g_autoptr (Reply) left = NULL;
    g_autoptr (Reply) after = NULL;

    assert_error (leave, 409, "conflict");
    to_bob = g_strdup_printf ("{\"user_id\": \"%s\"}", g->bob.id);
    by_admin = social_request (&g->f, "POST", &g->bob, to_bob, "/v1/groups/%s/owner", id);
    assert_error (by_admin, 403, "forbidden");
    transferred = social_request (&g->f, "POST", &g->alice, to_bob, "/v1/groups/%s/owner", id);
    g_assert_cmpuint (transferred->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (reply_group (transferred), "owner_id"), ==,
                     g->bob.id);
    g_assert_cmpstr (json_object_get_string_member (reply_group (transferred), "my_role"), ==,
                     "admin");
    g_assert_cmpstr (my_role (g, &g->bob, id), ==, "owner");
    left = empty_post (g, &g->alice, "DELETE", "/v1/groups/%s/members/%s", id, g->alice.id);
    g_assert_cmpuint (left->status, ==, 204);
    after = social_request (&g->f, "GET", &g->alice, NULL, "/v1/groups/%s", id);
    assert_error (after, 404, "not_found");
    g_assert_cmpuint (social_count_events (&g->f, &g->alice, "group_removed"), ==, 1);
  }
}

static void
test_add_needs_friend (Groups *g, gconstpointer data)
{
  g_autofree char *id = make_group (g);
  g_autofree char *add_dave = g_strdup_printf ("{\"user_ids\": [\"%s\"]}", g->dave.id);
  g_autoptr (Reply) by_bob = NULL;
  g_autoptr (Reply) by_outsider = NULL;
  g_autoptr (Reply) added = NULL;

  /* Bob may add his own friends only; Dave is not yet one. */
  by_bob = social_request (&g->f, "POST", &g->bob, add_dave, "/v1/groups/%s/members", id);
  assert_error (by_bob, 403, "forbidden");
  by_outsider =
      social_request (&g->f, "POST", &g->dave, "{\"user_ids\": []}", "/v1/groups/%s/members", id);
  assert_error (by_outsider, 404, "not_found");
  social_befriend (&g->f, &g->bob, &g->dave);
  added = social_request (&g->f, "POST", &g->bob, add_dave, "/v1/groups/%s/members", id);
  g_assert_cmpuint (added->status, ==, 200);
  g_assert_cmpstr (my_role (g, &g->dave, id), ==, "member");
  /* Creation, then the add: two updates for everyone there at the time. */
  g_assert_cmpuint (social_count_events (&g->f, &g->carol, "group_updated"), ==, 2);
  g_assert_cmpuint (social_count_events (&g->f, &g->dave, "group_updated"), ==, 1);
}

static char *
make_invite (Groups *g, const Person *who, const char *id)
{
  g_autoptr (Reply) made = empty_post (g, who, "POST", "/v1/groups/%s/invites", id);
  JsonObject *obj;
  g_autofree char *uri_prefix = g_strdup_printf ("globichat://join?group=%s&token=", id);
  const char *token;

  g_assert_cmpuint (made->status, ==, 201);
  obj = reply_object (made);
  token = json_object_get_string_member (obj, "token");
  g_assert_cmpuint (strlen (token), ==, 43);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (obj, "uri"), uri_prefix));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (obj, "uri"), token));
  g_assert_cmpint (json_object_get_int_member (obj, "expires_at"), >,
                   g_get_real_time () / 1000 + 7 * 24 * 3600 * G_GINT64_CONSTANT (1000) - 60000);
  return g_strdup (token);
}

static Reply *
join (Groups *g, const Person *who, const char *token)
{
  g_autofree char *body = g_strdup_printf ("{\"token\": \"%s\"}", token);

  return social_request (&g->f, "POST", who, body, "/v1/groups/join");
}

static void
test_invites (Groups *g, gconstpointer data)
{
  g_autofree char *id = make_group (g);
  g_autofree char *token = make_invite (g, &g->alice, id);
  g_autofree char *second = NULL;
  g_autoptr (Reply) by_member = empty_post (g, &g->bob, "POST", "/v1/groups/%s/invites", id);
  g_autoptr (Reply) joined = join (g, &g->dave, token);
  g_autoptr (Reply) again = join (g, &g->dave, token);
  g_autoptr (Reply) unknown = join (g, &g->dave, "AAAA");
  g_autoptr (Reply) revoked = NULL;
  g_autoptr (Reply) revoke_again = NULL;
  g_autoptr (Reply) after = NULL;
  Person erin;

  assert_error (by_member, 403, "forbidden");
  /* Dave is nobody's friend here: the invite is what lets him in. */
  g_assert_cmpuint (joined->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply_group (joined), "my_role"), ==, "member");
  g_assert_cmpint (json_object_get_int_member (reply_group (joined), "member_count"), ==, 4);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpint (member_count (g, &g->alice, id), ==, 4);
  assert_error (unknown, 404, "not_found");

  revoked = empty_post (g, &g->alice, "DELETE", "/v1/groups/%s/invites/%s", id, token);
  g_assert_cmpuint (revoked->status, ==, 204);
  person_sign_up (&g->f, "erin", &erin);
  after = join (g, &erin, token);
  assert_error (after, 404, "not_found");
  revoke_again = empty_post (g, &g->alice, "DELETE", "/v1/groups/%s/invites/%s", id, "nonsense");
  assert_error (revoke_again, 404, "not_found");

  /* Seven days later an invite no longer works. */
  second = make_invite (g, &g->alice, id);
  globi_server_set_clock_offset (fixture_server (&g->f), 7 * 24 * 3600 + 1);
  person_refresh (&g->f, &erin);
  {
    g_autoptr (Reply) expired = join (g, &erin, second);

    assert_error (expired, 404, "not_found");
  }
  person_clear (&erin);
}

static void
test_invite_full (Groups *g, gconstpointer data)
{
  g_autoptr (GPtrArray) friends = social_insert_friends (&g->f, g->alice.id, 499);
  g_autofree char *list = id_list (NULL, friends, 0, 499);
  g_autoptr (Reply) created = create_group (g, &g->alice, NULL, list);
  g_autofree char *token = NULL;
  g_autoptr (Reply) full = NULL;
  const char *id;

  g_assert_cmpuint (created->status, ==, 201);
  id = json_object_get_string_member (reply_group (created), "id");
  token = make_invite (g, &g->alice, id);
  full = join (g, &g->dave, token);
  assert_error (full, 409, "group_full");
}

static Reply *
put_group_avatar (Groups *g, const Person *who, const char *id, const char *type, GBytes *bytes)
{
  g_autofree char *path = g_strdup_printf ("/v1/groups/%s/avatar", id);
  g_autoptr (SoupMessage) msg = fixture_message (&g->f, "PUT", path, who->token, type, bytes);

  return fixture_send (&g->f, msg);
}

static void
test_avatar (Groups *g, gconstpointer data)
{
  g_autofree char *id = make_group (g);
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 48);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GBytes) junk = g_bytes_new_static ("not an image", 12);
  g_autoptr (Reply) by_member = NULL;
  g_autoptr (Reply) outsider = NULL;
  g_autoptr (Reply) wrong_type = NULL;
  g_autoptr (Reply) stored = NULL;
  g_autoptr (Reply) blob = NULL;
  JsonObject *avatar;
  char *buffer = NULL;
  gsize size = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", &error, NULL));
  g_assert_no_error (error);
  png = g_bytes_new_take (buffer, size);

  by_member = put_group_avatar (g, &g->bob, id, "image/png", png);
  assert_error (by_member, 403, "forbidden");
  outsider = put_group_avatar (g, &g->dave, id, "image/png", png);
  assert_error (outsider, 404, "not_found");
  wrong_type = put_group_avatar (g, &g->alice, id, "image/png", junk);
  assert_error (wrong_type, 415, "unsupported_media_type");
  stored = put_group_avatar (g, &g->alice, id, "image/png", png);
  g_assert_cmpuint (stored->status, ==, 200);
  avatar = json_object_get_object_member (reply_group (stored), "avatar");
  g_assert_nonnull (avatar);
  g_assert_cmpuint (strlen (json_object_get_string_member (avatar, "hash")), ==, 64);
  blob = social_request (&g->f, "GET", &g->bob, NULL, "%s",
                         json_object_get_string_member (avatar, "thumbnail_url"));
  g_assert_cmpuint (blob->status, ==, 200);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/globi/social/groups/" path, Groups, NULL, groups_setup, func, groups_teardown)
  ADD ("create", test_create);
  ADD ("create-refused", test_create_refused);
  ADD ("limit-500", test_limit_500);
  ADD ("concurrent-adds", test_concurrent_adds);
  ADD ("roles", test_roles);
  ADD ("add-needs-friend", test_add_needs_friend);
  ADD ("invites", test_invites);
  ADD ("invite-full", test_invite_full);
  ADD ("avatar", test_avatar);
#undef ADD
  return g_test_run ();
}
