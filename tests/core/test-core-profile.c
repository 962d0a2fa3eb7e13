/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-error.h"
#include "globi-core.h"

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const char *me_json =
    "{\"id\":\"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\",\"username\":\"alice\","
    "\"display_name\":\"Alice Liu\",\"bio\":\"Hi\\nthere\",\"region\":\"Shanghai\","
    "\"avatar\":{\"hash\":\"" HASH_A "\",\"url\":\"/v1/blobs/" HASH_A "\","
    "\"thumbnail_url\":\"/v1/blobs/" HASH_B "\"},"
    "\"preferred_currency\":\"CNY\",\"language\":\"zh-CN\",\"created_at\":1732400000000,"
    "\"privacy\":{\"discoverable\":false,\"who_can_add\":\"friends_of_friends\"}}";

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static GlobiProfile *
parse_profile (const char *text, GError **error)
{
  g_autoptr (JsonObject) object = parse_object (text);

  return globi_profile_new_from_json (object, error);
}

static void
test_profile_parse_me (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiProfile) profile = parse_profile (me_json, &error);
  g_autofree char *display_name = NULL;
  GlobiWhoCanAdd who = GLOBI_WHO_CAN_ADD_EVERYONE;

  g_assert_no_error (error);
  g_assert_cmpstr (globi_profile_get_id (profile), ==, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  g_assert_cmpstr (globi_profile_get_username (profile), ==, "alice");
  g_assert_cmpstr (globi_profile_get_bio (profile), ==, "Hi\nthere");
  g_assert_cmpstr (globi_profile_get_region (profile), ==, "Shanghai");
  g_assert_cmpstr (globi_profile_get_avatar_hash (profile), ==, HASH_A);
  g_assert_cmpstr (globi_profile_get_thumbnail_hash (profile), ==, HASH_B);
  g_assert_cmpstr (globi_profile_get_preferred_currency (profile), ==, "CNY");
  g_assert_cmpstr (globi_profile_get_language (profile), ==, "zh-CN");
  g_assert_cmpint (globi_profile_get_created_at (profile), ==, 1732400000000);
  g_assert_false (globi_profile_get_discoverable (profile));
  g_assert_cmpint (globi_profile_get_who_can_add (profile), ==,
                   GLOBI_WHO_CAN_ADD_FRIENDS_OF_FRIENDS);

  /* The same values through GObject properties, as the UI binds them. */
  g_object_get (profile, "display-name", &display_name, "who-can-add", &who, NULL);
  g_assert_cmpstr (display_name, ==, "Alice Liu");
  g_assert_cmpint (who, ==, GLOBI_WHO_CAN_ADD_FRIENDS_OF_FRIENDS);
}

static void
test_profile_parse_user_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiProfile) profile = parse_profile (
      "{\"id\":\"x1\",\"username\":\"bob\",\"avatar\":null,\"future\":[1,2]}", &error);

  /* A User lacks the owner-only fields; unknown (newer) fields are ignored. */
  g_assert_no_error (error);
  g_assert_cmpstr (globi_profile_get_display_name (profile), ==, "bob");
  g_assert_null (globi_profile_get_avatar_hash (profile));
  g_assert_null (globi_profile_get_language (profile));
  g_assert_true (globi_profile_get_discoverable (profile));
  g_assert_cmpint (globi_profile_get_who_can_add (profile), ==, GLOBI_WHO_CAN_ADD_EVERYONE);
  g_assert_cmpint (globi_profile_get_created_at (profile), ==, 0);
}

static void
test_profile_parse_malformed (void)
{
  static const char *const cases[] = {
    "{}",
    "{\"id\":\"x\"}",
    "{\"username\":\"bob\"}",
    "{\"id\":7,\"username\":\"bob\"}",
    "{\"id\":\"x\",\"username\":null}",
    "{\"id\":\"x\",\"username\":\"bob\",\"display_name\":[\"a\"]}",
    "{\"id\":\"x\",\"username\":\"bob\",\"bio\":{}}",
    "{\"id\":\"x\",\"username\":\"bob\",\"avatar\":\"abc\"}",
    "{\"id\":\"x\",\"username\":\"bob\",\"avatar\":{}}",
    "{\"id\":\"x\",\"username\":\"bob\",\"avatar\":{\"hash\":\"\"}}",
    "{\"id\":\"x\",\"username\":\"bob\",\"avatar\":{\"hash\":\"a\",\"thumbnail_url\":3}}",
    "{\"id\":\"x\",\"username\":\"bob\",\"privacy\":true}",
    "{\"id\":\"x\",\"username\":\"bob\",\"privacy\":{\"discoverable\":\"yes\"}}",
    "{\"id\":\"x\",\"username\":\"bob\",\"privacy\":{\"who_can_add\":\"martians\"}}",
    "{\"id\":\"x\",\"username\":\"bob\",\"privacy\":{\"who_can_add\":1}}",
    "{\"id\":\"x\",\"username\":\"bob\",\"created_at\":\"yesterday\"}",
    "{\"id\":\"x\",\"username\":\"bob\",\"created_at\":-5}",
    "{\"id\":\"x\",\"username\":\"bob\",\"created_at\":1.5}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiProfile) profile = parse_profile (cases[i], &error);

      g_test_message ("case %s", cases[i]);
      g_assert_null (profile);
      g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
    }
}

static void
count_notify_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  GPtrArray *names = user_data;

  g_ptr_array_add (names, g_strdup (pspec->name));
}

static gboolean
has_name (GPtrArray *names, const char *name)
{
  return g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL);
}

static void
test_profile_update_all_or_nothing (void)
{
  g_autoptr (GlobiProfile) profile = parse_profile (me_json, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonObject) good = parse_object (
      "{\"display_name\":\"Alice L.\",\"bio\":\"Hi\\nthere\",\"privacy\":{\"discoverable\":true}}");
  g_autoptr (JsonObject) bad =
      parse_object ("{\"display_name\":\"Changed\",\"privacy\":{\"who_can_add\":\"all\"}}");
  g_autoptr (GError) error = NULL;

  g_signal_connect (profile, "notify", G_CALLBACK (count_notify_cb), names);

  g_assert_true (globi_profile_update_from_json (profile, good, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (globi_profile_get_display_name (profile), ==, "Alice L.");
  g_assert_true (globi_profile_get_discoverable (profile));
  /* Only what changed is notified (bio was the same). */
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_true (has_name (names, "display-name"));
  g_assert_true (has_name (names, "discoverable"));
  g_assert_false (has_name (names, "bio"));

  g_ptr_array_set_size (names, 0);
  g_assert_false (globi_profile_update_from_json (profile, bad, &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
  g_assert_cmpstr (globi_profile_get_display_name (profile), ==, "Alice L.");
  g_assert_cmpuint (names->len, ==, 0);
}

static void
test_profile_copy_assign (void)
{
  g_autoptr (GlobiProfile) profile = parse_profile (me_json, NULL);
  g_autoptr (GlobiProfile) copy = globi_profile_copy (profile);
  g_autoptr (JsonObject) patch =
      parse_object ("{\"region\":\"Lyon\",\"avatar\":null,\"language\":\"fr\"}");
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  g_assert_true (globi_profile_update_from_json (profile, patch, NULL));
  g_assert_null (globi_profile_get_avatar_hash (profile));
  g_assert_cmpstr (globi_profile_get_region (copy), ==, "Shanghai");

  g_signal_connect (profile, "notify", G_CALLBACK (count_notify_cb), names);
  globi_profile_assign (profile, copy);
  g_assert_cmpstr (globi_profile_get_region (profile), ==, "Shanghai");
  g_assert_cmpstr (globi_profile_get_avatar_hash (profile), ==, HASH_A);
  g_assert_cmpstr (globi_profile_get_language (profile), ==, "zh-CN");
  g_assert_cmpuint (names->len, ==, 4);
}

static void
test_profile_json_round_trip (void)
{
  g_autoptr (GlobiProfile) profile = parse_profile (me_json, NULL);
  g_autoptr (JsonNode) node = globi_profile_to_json (profile);
  g_autoptr (GlobiProfile) again = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *object = json_node_get_object (node);

  g_assert_cmpstr (json_object_get_string_member (object, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "privacy"),
                                                  "who_can_add"),
                   ==, "friends_of_friends");
  again = globi_profile_new_from_json (object, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_profile_get_avatar_hash (again), ==, HASH_A);
  g_assert_cmpint (globi_profile_get_created_at (again), ==, 1732400000000);
  g_assert_false (globi_profile_get_discoverable (again));
}

static void
test_device_parse (void)
{
  g_autoptr (JsonObject) good =
      parse_object ("{\"id\":\"d1\",\"name\":\"Laptop\",\"platform\":\"Linux\","
                    "\"created_at\":10,\"last_seen_at\":20,\"current\":true}");
  g_autoptr (GlobiDevice) device = NULL;
  g_autoptr (GError) error = NULL;
  static const char *const bad[] = {
    "{}",
    "{\"id\":\"d1\",\"created_at\":10}",
    "{\"id\":\"d1\",\"name\":5,\"created_at\":10}",
    "{\"id\":\"d1\",\"name\":\"n\",\"created_at\":\"10\"}",
    "{\"id\":\"d1\",\"name\":\"n\",\"created_at\":10,\"current\":\"yes\"}",
  };

  device = globi_device_new_from_json (good, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (globi_device_get_name (device), ==, "Laptop");
  g_assert_cmpint (globi_device_get_last_seen_at (device), ==, 20);
  g_assert_true (globi_device_get_current (device));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonObject) object = parse_object (bad[i]);
      g_autoptr (GlobiDevice) none = NULL;

      g_clear_error (&error);
      none = globi_device_new_from_json (object, &error);
      g_assert_null (none);
      g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_BAD_REQUEST);
    }
}

static void
test_who_can_add_strings (void)
{
  GlobiWhoCanAdd value = GLOBI_WHO_CAN_ADD_EVERYONE;

  g_assert_true (globi_who_can_add_from_string ("nobody", &value));
  g_assert_cmpint (value, ==, GLOBI_WHO_CAN_ADD_NOBODY);
  g_assert_cmpstr (globi_who_can_add_to_string (value), ==, "nobody");
  g_assert_false (globi_who_can_add_from_string ("Nobody", &value));
  g_assert_false (globi_who_can_add_from_string (NULL, &value));
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/globi/core/profile/parse-me", test_profile_parse_me);
  g_test_add_func ("/globi/core/profile/parse-user-defaults", test_profile_parse_user_defaults);
  g_test_add_func ("/globi/core/profile/parse-malformed", test_profile_parse_malformed);
  g_test_add_func ("/globi/core/profile/update-all-or-nothing", test_profile_update_all_or_nothing);
  g_test_add_func ("/globi/core/profile/copy-assign", test_profile_copy_assign);
  g_test_add_func ("/globi/core/profile/json-round-trip", test_profile_json_round_trip);
  g_test_add_func ("/globi/core/device/parse", test_device_parse);
  g_test_add_func ("/globi/core/types/who-can-add", test_who_can_add_strings);

  return g_test_run ();
}
