/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globichat-cli"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <sodium.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "globi-error.h"
#include "globi-cli.h"
#include "globi-core.h"


static void
print_profile_text (GlobiProfile *me)
{
  g_autofree char *created = globi_cli_format_time (globi_profile_get_created_at (me));

  g_print ("%-20s %s\n", _ ("Username:"), globi_profile_get_username (me));
  g_print ("%-20s %s\n", _ ("Display name:"),
           globi_cli_or_empty (globi_profile_get_display_name (me)));
  g_print ("%-20s %s\n", _ ("User ID:"), globi_profile_get_id (me));
  g_print ("%-20s %s\n", _ ("Bio:"), globi_cli_or_empty (globi_profile_get_bio (me)));
  g_print ("%-20s %s\n", _ ("Region:"), globi_cli_or_empty (globi_profile_get_region (me)));
  g_print ("%-20s %s\n", _ ("Currency:"),
           globi_cli_or_empty (globi_profile_get_preferred_currency (me)));
  g_print ("%-20s %s\n", _ ("Language:"), globi_cli_or_empty (globi_profile_get_language (me)));
  g_print ("%-20s %s\n", _ ("Discoverable:"),
           globi_profile_get_discoverable (me) ? _ ("yes") : _ ("no"));
  g_print ("%-20s %s\n", _ ("Who can add me:"),
           globi_who_can_add_to_string (globi_profile_get_who_can_add (me)));
  g_print ("%-20s %s\n", _ ("Avatar:"), globi_cli_or_empty (globi_profile_get_avatar_hash (me)));
  g_print ("%-20s %s\n", _ ("Member since:"), created);
}


/* Running the core's async operations to completion */


/* Passwords: never from argv (it shows in ps). */


/* Commands */


static int
cmd_register (GlobiCli *cli, int argc, char **argv)
{
  const char *display_name = NULL;
  const char *server;
  g_autoptr (GlobiCliPassword) password = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  globi_cli_take_option (&argc, argv, "--display-name", &display_name);
  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("register takes one USERNAME"));
  if ((server = globi_cli_server_for_sign_in (cli)) == NULL)
    return globi_cli_usage_error (cli, _ ("Which server? Give --server URL"));
  password = globi_cli_get_password ("GLOBICHAT_PASSWORD", _ ("New password: "), TRUE);
  if (password == NULL)
    return globi_cli_usage_error (cli,
                                  _ ("No password: set GLOBICHAT_PASSWORD or run on a terminal"));

  globi_session_register_async (cli->session, server, argv[0], password,
                                display_name != NULL ? display_name : argv[0], NULL,
                                globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  return globi_cli_finish_sign_in (cli, result, globi_session_register_finish);
}

static int
cmd_login (GlobiCli *cli, int argc, char **argv)
{
  const char *device_name = NULL;
  const char *server;
  g_autoptr (GlobiCliPassword) password = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  globi_cli_take_option (&argc, argv, "--device-name", &device_name);
  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("login takes one USERNAME"));
  if ((server = globi_cli_server_for_sign_in (cli)) == NULL)
    return globi_cli_usage_error (cli, _ ("Which server? Give --server URL"));
  password = globi_cli_get_password ("GLOBICHAT_PASSWORD", _ ("Password: "), FALSE);
  if (password == NULL)
    return globi_cli_usage_error (cli,
                                  _ ("No password: set GLOBICHAT_PASSWORD or run on a terminal"));

  globi_session_sign_in_async (cli->session, server, argv[0], password, device_name, NULL,
                               globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  return globi_cli_finish_sign_in (cli, result, globi_session_sign_in_finish);
}

static int
cmd_logout (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("logout takes no arguments"));

  /* Offline or already revoked is fine: signing out still forgets the account here. */
  globi_session_restore_async (cli->session, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  globi_session_restore_finish (cli->session, result, NULL);
  g_clear_object (&result);

  globi_session_sign_out_async (cli->session, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  if (!globi_session_sign_out_finish (cli->session, result, &error))
    return globi_cli_fail_with_error (cli, error);
  if (cli->json)
    globi_cli_print_simple_json ("signed_out", NULL);
  else
    g_print ("%s\n", _ ("Signed out"));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_whoami (GlobiCli *cli, int argc, char **argv)
{
  GlobiProfile *me;
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("whoami takes no arguments"));
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_cli_flush_session (cli);

  me = globi_session_get_me (cli->session);
  if (cli->json)
    globi_cli_print_me_json (cli, TRUE);
  else
    g_print ("%s (%s) on %s\n", globi_profile_get_username (me),
             globi_profile_get_display_name (me), globi_session_get_server_url (cli->session));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_profile_show (GlobiCli *cli, int argc, char **argv)
{
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("profile show takes no arguments"));
  /* Restoring fetched a fresh Me already. */
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_cli_flush_session (cli);

  if (cli->json)
    globi_cli_print_me_json (cli, FALSE);
  else
    print_profile_text (globi_session_get_me (cli->session));
  return GLOBI_CLI_EXIT_OK;
}

static gboolean
parse_bool (const char *text, gboolean *value)
{
  const char *yes[] = { "true", "yes", "on", "1" };
  const char *no[] = { "false", "no", "off", "0" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (text, yes[i]) == 0)
        return (*value = TRUE);
      if (g_ascii_strcasecmp (text, no[i]) == 0)
        return !(*value = FALSE);
    }
  return FALSE;
}

/* "profile set FIELD VALUE" → a PATCH /v1/me body, or NULL and a message. */
static JsonObject *
build_patch (const char *field, const char *value, char **message)
{
  g_autoptr (JsonObject) patch = json_object_new ();
  static const struct
  {
    const char *field;
    const char *member;
  } plain[] = {
    { "display-name", "display_name" },   { "bio", "bio" },           { "region", "region" },
    { "currency", "preferred_currency" }, { "language", "language" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (plain); i++)
    if (g_str_equal (field, plain[i].field))
      {
        json_object_set_string_member (patch, plain[i].member, value);
        return g_steal_pointer (&patch);
      }

  if (g_str_equal (field, "discoverable"))
    {
      JsonObject *privacy = json_object_new ();
      gboolean on = FALSE;

      if (!parse_bool (value, &on))
        {
          json_object_unref (privacy);
          *message = g_strdup (_ ("discoverable takes yes or no"));
          return NULL;
        }
      json_object_set_boolean_member (privacy, "discoverable", on);
      json_object_set_object_member (patch, "privacy", privacy);
      return g_steal_pointer (&patch);
    }

  if (g_str_equal (field, "who-can-add"))
    {
      JsonObject *privacy = json_object_new ();
      g_autofree char *wire = g_strdelimit (g_strdup (value), "-", '_');

      json_object_set_string_member (privacy, "who_can_add", wire);
      json_object_set_object_member (patch, "privacy", privacy);
      return g_steal_pointer (&patch);
    }

  *message = g_strdup_printf (_ ("Unknown field “%s”: use display-name, bio, region, currency, "
                                 "language, discoverable or who-can-add"),
                              field);
  return NULL;
}

static int
cmd_profile_set (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (JsonObject) patch = NULL;
  g_autofree char *message = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (argc != 2)
    return globi_cli_usage_error (cli, _ ("profile set takes FIELD VALUE"));
  if ((patch = build_patch (argv[0], argv[1], &message)) == NULL)
    return globi_cli_usage_error (cli, message);
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_session_update_profile_async (cli->session, patch, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  status = globi_session_update_profile_finish (cli->session, result, &error)
               ? GLOBI_CLI_EXIT_OK
               : globi_cli_fail_with_error (cli, error);
  globi_cli_flush_session (cli);
  if (status != GLOBI_CLI_EXIT_OK)
    return status;

  if (cli->json)
    globi_cli_print_me_json (cli, FALSE);
  else
    print_profile_text (globi_session_get_me (cli->session));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_profile_avatar (GlobiCli *cli, int argc, char **argv)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autofree char *guessed = NULL;
  g_autofree char *mime = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("profile avatar takes one FILE (PNG, JPEG or WebP)"));
  if (!g_file_get_contents (argv[0], &data, &len, &error))
    return globi_cli_fail_with_error (cli, error);
  guessed = g_content_type_guess (argv[0], (const guchar *) data, len, NULL);
  mime = g_content_type_get_mime_type (guessed);
  if (mime == NULL || !g_str_has_prefix (mime, "image/"))
    return globi_cli_usage_error (cli, _ ("That file is not an image"));
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;

  bytes = g_bytes_new_take (g_steal_pointer (&data), len);
  globi_session_set_avatar_async (cli->session, bytes, mime, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  status = globi_session_set_avatar_finish (cli->session, result, &error)
               ? GLOBI_CLI_EXIT_OK
               : globi_cli_fail_with_error (cli, error);
  globi_cli_flush_session (cli);
  if (status != GLOBI_CLI_EXIT_OK)
    return status;

  if (cli->json)
    globi_cli_print_me_json (cli, FALSE);
  else
    g_print (_ ("Avatar set (%s)\n"),
             globi_profile_get_avatar_hash (globi_session_get_me (cli->session)));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_devices_list (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) devices = NULL;
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("devices list takes no arguments"));
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_session_list_devices_async (cli->session, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  devices = globi_session_list_devices_finish (cli->session, result, &error);
  globi_cli_flush_session (cli);
  if (devices == NULL)
    return globi_cli_fail_with_error (cli, error);

  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "devices");
      json_builder_begin_array (builder);
      for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
        {
          g_autoptr (GlobiDevice) device = g_list_model_get_item (devices, i);

          json_builder_add_value (builder, globi_device_to_json (device));
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      globi_cli_print_json (root);
      return GLOBI_CLI_EXIT_OK;
    }

  g_print ("  %-36s  %-24s  %-8s  %s\n", _ ("ID"), _ ("NAME"), _ ("PLATFORM"), _ ("LAST SEEN"));
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (GlobiDevice) device = g_list_model_get_item (devices, i);
      g_autofree char *seen = globi_cli_format_time (globi_device_get_last_seen_at (device));

      g_print ("%s %-36s  %-24s  %-8s  %s\n", globi_device_get_current (device) ? "*" : " ",
               globi_device_get_id (device), globi_device_get_name (device),
               globi_device_get_platform (device), seen);
    }
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_devices_revoke (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("devices revoke takes one device ID"));
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_session_revoke_device_async (cli->session, argv[0], NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  status = globi_session_revoke_device_finish (cli->session, result, &error)
               ? GLOBI_CLI_EXIT_OK
               : globi_cli_fail_with_error (cli, error);
  globi_cli_flush_session (cli);
  if (status != GLOBI_CLI_EXIT_OK)
    return status;

  if (cli->json)
    globi_cli_print_simple_json ("revoked", argv[0]);
  else
    g_print (_ ("Revoked %s\n"), argv[0]);
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_lookup (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiProfile) user = NULL;
  int status;

  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("lookup takes one USERNAME or user ID"));
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_session_lookup_user_async (cli->session, argv[0], NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  user = globi_session_lookup_user_finish (cli->session, result, &error);
  globi_cli_flush_session (cli);
  if (user == NULL)
    return globi_cli_fail_with_error (cli, error);

  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      JsonNode *node = globi_profile_to_json (user);
      JsonObject *object = json_node_get_object (node);

      /* A User, not a Me: what only the owner sees is not known here. */
      json_object_remove_member (object, "privacy");
      json_object_remove_member (object, "created_at");
      json_object_remove_member (object, "preferred_currency");
      json_object_remove_member (object, "language");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "user");
      json_builder_add_value (builder, node);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      globi_cli_print_json (root);
    }
  else
    g_print ("%s (%s) %s\n", globi_profile_get_username (user),
             globi_profile_get_display_name (user), globi_profile_get_id (user));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_password_change (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiCliPassword) current = NULL;
  g_autoptr (GlobiCliPassword) fresh = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("password change takes no arguments"));
  current = globi_cli_get_password ("GLOBICHAT_PASSWORD", _ ("Current password: "), FALSE);
  if (current == NULL)
    return globi_cli_usage_error (cli,
                                  _ ("No password: set GLOBICHAT_PASSWORD or run on a terminal"));
  fresh = globi_cli_get_password ("GLOBICHAT_NEW_PASSWORD", _ ("New password: "), TRUE);
  if (fresh == NULL)
    return globi_cli_usage_error (
        cli, _ ("No new password: set GLOBICHAT_NEW_PASSWORD or run on a terminal"));
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_session_change_password_async (cli->session, current, fresh, NULL, globi_cli_on_done_cb,
                                       cli);
  result = globi_cli_await (cli);
  status = globi_session_change_password_finish (cli->session, result, &error)
               ? GLOBI_CLI_EXIT_OK
               : globi_cli_fail_with_error (cli, error);
  globi_cli_flush_session (cli);
  if (status != GLOBI_CLI_EXIT_OK)
    return status;

  if (cli->json)
    globi_cli_print_simple_json ("password_changed", NULL);
  else
    g_print ("%s\n", _ ("Password changed; your other devices are signed out"));
  return GLOBI_CLI_EXIT_OK;
}

/* Messaging commands: each starts the messenger (keys, friends, groups, outbox) without
 * the live stream, does its work, and waits for the outbox. */


static int
cmd_friend_request (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  const char *greeting = NULL;
  int status;

  globi_cli_take_option (&argc, argv, "--greeting", &greeting);
  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("friend request takes one USERNAME"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_messenger_request_friend_async (messenger, argv[0], greeting, NULL, globi_cli_on_done_cb,
                                        cli);
  return globi_cli_finish_action (cli, messenger, "requested", _ ("Friend request sent"));
}

static int
answer_friend (GlobiCli *cli, int argc, char **argv, gboolean accept)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("Give the USERNAME (or request ID) to answer"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  if (accept)
    {
      globi_messenger_accept_friend_async (messenger, argv[0], NULL, globi_cli_on_done_cb, cli);
      return globi_cli_finish_action (cli, messenger, "accepted", _ ("Friend request accepted"));
    }
  globi_messenger_decline_friend_async (messenger, argv[0], NULL, globi_cli_on_done_cb, cli);
  return globi_cli_finish_action (cli, messenger, "declined", _ ("Friend request declined"));
}

static int
cmd_friend_accept (GlobiCli *cli, int argc, char **argv)
{
  return answer_friend (cli, argc, argv, TRUE);
}

static int
cmd_friend_decline (GlobiCli *cli, int argc, char **argv)
{
  return answer_friend (cli, argc, argv, FALSE);
}

static int
cmd_friend_list (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  GListModel *lists[3];
  const char *names[] = { "friends", "incoming", "outgoing" };
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("friend list takes no arguments"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_cli_flush_session (cli);
  lists[0] = globi_messenger_get_contacts (messenger);
  lists[1] = globi_messenger_get_requests (messenger);
  lists[2] = globi_messenger_get_outgoing_requests (messenger);
  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      for (guint k = 0; k < 3; k++)
        {
          json_builder_set_member_name (builder, names[k]);
          json_builder_begin_array (builder);
          for (guint i = 0; i < g_list_model_get_n_items (lists[k]); i++)
            {
              g_autoptr (GObject) item = g_list_model_get_item (lists[k], i);
              json_builder_add_value (
                  builder, k == 0 ? globi_contact_to_json (GLOBI_CONTACT (item))
                                  : globi_friend_request_to_json (GLOBI_FRIEND_REQUEST (item)));
            }
          json_builder_end_array (builder);
        }
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      globi_cli_print_json (root);
      return GLOBI_CLI_EXIT_OK;
    }
  for (guint i = 0; i < g_list_model_get_n_items (lists[0]); i++)
    {
      g_autoptr (GlobiContact) c = g_list_model_get_item (lists[0], i);
      g_print ("%s (%s) %s\n", globi_contact_get_username (c), globi_contact_get_name (c),
               globi_contact_get_user_id (c));
    }
  for (guint k = 1; k < 3; k++)
    for (guint i = 0; i < g_list_model_get_n_items (lists[k]); i++)
      {
        g_autoptr (GlobiFriendRequest) r = g_list_model_get_item (lists[k], i);
        GlobiProfile *other =
            k == 1 ? globi_friend_request_get_from (r) : globi_friend_request_get_to (r);
        g_print (k == 1 ? _ ("request from %s\n") : _ ("request to %s\n"),
                 globi_profile_get_username (other));
      }
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_friend_remove (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("friend remove takes one USERNAME"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_messenger_remove_friend_async (messenger, argv[0], NULL, globi_cli_on_done_cb, cli);
  return globi_cli_finish_action (cli, messenger, "removed", _ ("Friend removed"));
}

static int
block (GlobiCli *cli, int argc, char **argv, gboolean blocked)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("Give one USERNAME"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_messenger_block_async (messenger, argv[0], blocked, NULL, globi_cli_on_done_cb, cli);
  return globi_cli_finish_action (cli, messenger, blocked ? "blocked" : "unblocked",
                                  blocked ? _ ("Blocked") : _ ("Unblocked"));
}

static int
cmd_friend_block (GlobiCli *cli, int argc, char **argv)
{
  return block (cli, argc, argv, TRUE);
}

static int
cmd_friend_unblock (GlobiCli *cli, int argc, char **argv)
{
  return block (cli, argc, argv, FALSE);
}

static int
cmd_group_create (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiGroup) group = NULL;
  g_auto (GStrv) members = NULL;
  int status;

  if (argc < 2)
    return globi_cli_usage_error (cli, _ ("group create takes a NAME and at least one USERNAME"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  members = g_strdupv (argv + 1);
  globi_messenger_create_group_async (messenger, argv[0], (const char *const *) members, NULL,
                                      globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  group = globi_messenger_group_finish (messenger, result, &error);
  globi_cli_flush_session (cli);
  if (group == NULL)
    return globi_cli_fail_with_error (cli, error);
  if (cli->json)
    globi_cli_print_simple_json ("id", globi_group_get_id (group));
  else
    g_print ("%s\n", globi_group_get_id (group));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_group_add (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_auto (GStrv) members = NULL;
  int status;

  if (argc < 2)
    return globi_cli_usage_error (cli, _ ("group add takes a group ID and at least one USERNAME"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  members = g_strdupv (argv + 1);
  globi_messenger_add_members_async (messenger, argv[0], (const char *const *) members, NULL,
                                     globi_cli_on_done_cb, cli);
  return globi_cli_finish_action (cli, messenger, "added", _ ("Members added"));
}

static int
cmd_group_remove (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if (argc != 2)
    return globi_cli_usage_error (cli, _ ("group remove takes a group ID and one USERNAME"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_messenger_remove_member_async (messenger, argv[0], argv[1], NULL, globi_cli_on_done_cb,
                                       cli);
  return globi_cli_finish_action (cli, messenger, "removed", _ ("Member removed"));
}

static int
cmd_group_list (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  GListModel *groups;
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("group list takes no arguments"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_cli_flush_session (cli);
  groups = globi_messenger_get_groups (messenger);
  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "groups");
      json_builder_begin_array (builder);
      for (guint i = 0; i < g_list_model_get_n_items (groups); i++)
        {
          g_autoptr (GlobiGroup) g = g_list_model_get_item (groups, i);
          json_builder_add_value (builder, globi_group_to_json (g));
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      globi_cli_print_json (root);
      return GLOBI_CLI_EXIT_OK;
    }
  for (guint i = 0; i < g_list_model_get_n_items (groups); i++)
    {
      g_autoptr (GlobiGroup) g = g_list_model_get_item (groups, i);
      g_print ("%s %s (%u)\n", globi_group_get_id (g), globi_group_get_name (g),
               globi_group_get_member_count (g));
    }
  return GLOBI_CLI_EXIT_OK;
}


static int finish_send (GlobiCli *cli, GlobiMessenger *messenger, GlobiMessage *message);

static int
cmd_send (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) message = NULL;
  g_autofree char *chat_id = NULL;
  const char *group = NULL;
  const char *to;
  const char *text;
  int status;

  globi_cli_take_option (&argc, argv, "--group", &group);
  if (group != NULL ? argc != 1 : argc != 2)
    return globi_cli_usage_error (cli, _ ("send takes USERNAME TEXT, or --group ID TEXT"));
  to = group != NULL ? group : argv[0];
  text = argv[argc - 1];
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  chat_id = globi_cli_chat_id_for (messenger, to, group != NULL);
  if (group == NULL && globi_messenger_find_contact (messenger, to) == NULL)
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, "forbidden", _ ("Not a friend"));
    }
  globi_messenger_send_text_async (messenger, chat_id, text, NULL, NULL, NULL, globi_cli_on_done_cb,
                                   cli);
  result = globi_cli_await (cli);
  message = globi_messenger_send_finish (messenger, result, &error);
  if (message == NULL)
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  return finish_send (cli, messenger, message);
}

/* The message is safe in the outbox; waits until the server has it. */
static int
finish_send (GlobiCli *cli, GlobiMessenger *messenger, GlobiMessage *message)
{
  g_autoptr (GAsyncResult) flushed = NULL;

  globi_messenger_flush_async (messenger, NULL, globi_cli_on_done_cb, cli);
  flushed = globi_cli_await (cli);
  globi_messenger_finish (messenger, flushed, NULL);
  globi_cli_flush_session (cli);
  if (globi_message_get_state (message) == GLOBI_DELIVERY_STATE_FAILED)
    return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, "failed",
                           _ ("The server refused the message"));
  if (globi_message_get_state (message) == GLOBI_DELIVERY_STATE_PENDING)
    return globi_cli_fail (cli, GLOBI_CLI_EXIT_NETWORK, "network",
                           _ ("Not sent yet: kept in the outbox and sent by the next command"));
  if (cli->json)
    {
      g_autoptr (JsonNode) node = globi_message_to_json (
          message, globi_profile_get_username (globi_session_get_me (cli->session)));
      globi_cli_print_json (node);
    }
  else
    g_print ("%s\n", globi_message_get_id (message));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_send_file (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) message = NULL;
  g_autoptr (GFile) file = NULL;
  g_autofree char *chat_id = NULL;
  int status;

  if (argc != 2)
    return globi_cli_usage_error (cli, _ ("send-file takes USERNAME FILE"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  chat_id = globi_cli_chat_id_for (messenger, argv[0], FALSE);
  file = g_file_new_for_commandline_arg (argv[1]);
  globi_messenger_send_file_async (messenger, chat_id, file, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  message = globi_messenger_send_finish (messenger, result, &error);
  if (message == NULL)
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  return finish_send (cli, messenger, message);
}

/* The sender's username: known from friends and groups, else asked from the server. */
static const char *
sender_username (GlobiCli *cli, GlobiMessenger *messenger, GHashTable *cache, const char *user_id)
{
  const char *known = globi_messenger_lookup_username (messenger, user_id);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GlobiProfile) profile = NULL;

  if (known != NULL || user_id == NULL)
    return known;
  if (g_hash_table_contains (cache, user_id))
    return g_hash_table_lookup (cache, user_id);
  globi_session_lookup_user_async (cli->session, user_id, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  profile = globi_session_lookup_user_finish (cli->session, result, NULL);
  g_hash_table_insert (cache, g_strdup (user_id),
                       profile ? g_strdup (globi_profile_get_username (profile)) : NULL);
  return g_hash_table_lookup (cache, user_id);
}

static void
print_message (GlobiCli *cli, GlobiMessenger *messenger, GHashTable *names, GlobiMessage *m)
{
  const char *sender = sender_username (cli, messenger, names, globi_message_get_sender_id (m));

  if (cli->json)
    {
      /* JSON lines: one compact object per message. */
      g_autoptr (JsonNode) node = globi_message_to_json (m, sender);
      g_autofree char *line = json_to_string (node, FALSE);
      g_print ("%s\n", line);
    }
  else
    {
      g_autofree char *when = globi_cli_format_time (globi_message_get_sent_at (m));
      g_print ("%s [%s] %s: %s\n", when, globi_message_get_chat_id (m),
               sender ? sender : globi_cli_or_empty (globi_message_get_sender_id (m)),
               globi_message_get_kind (m) == GLOBI_MESSAGE_KIND_DELETED
                   ? _ ("message deleted")
                   : globi_cli_or_empty (globi_message_get_text (m)));
    }
  fflush (stdout);
}

static int
cmd_sync (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) flushed = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("sync takes no arguments"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_messenger_sync_async (messenger, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  messages = globi_messenger_sync_finish (messenger, result, &error);
  if (messages == NULL)
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  for (guint i = 0; i < messages->len; i++)
    print_message (cli, messenger, names, g_ptr_array_index (messages, i));
  /* Delivery and read receipts for what was just printed wait in the outbox: send them
   * now rather than with the next command. */
  globi_messenger_flush_async (messenger, NULL, globi_cli_on_done_cb, cli);
  flushed = globi_cli_await (cli);
  globi_messenger_finish (messenger, flushed, NULL);
  globi_cli_flush_session (cli);
  return GLOBI_CLI_EXIT_OK;
}

typedef struct
{
  GlobiCli *cli;
  GHashTable *names;
} Listen;

static void
on_listen_message_cb (GlobiMessenger *messenger,
                      GlobiChat *chat,
                      GlobiMessage *message,
                      gpointer user_data)
{
  Listen *listen = user_data;

  print_message (listen->cli, messenger, listen->names, message);
}

static gboolean
on_interrupt_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
cmd_listen (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  Listen listen = { cli, names };
  guint sigint, sigterm;
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("listen takes no arguments"));
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;
  messenger = globi_messenger_new (cli->session);
  g_signal_connect (messenger, "message-received", G_CALLBACK (on_listen_message_cb), &listen);
  globi_messenger_start_async (messenger, TRUE, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  if (!globi_messenger_start_finish (messenger, result, &error))
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  sigint = g_unix_signal_add (SIGINT, on_interrupt_cb, cli->loop);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt_cb, cli->loop);
  g_main_loop_run (cli->loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  globi_messenger_stop (messenger);
  globi_cli_flush_session (cli);
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_history (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GAsyncResult) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *chat_id = NULL;
  GlobiCache *cache;
  const char *limit_text = NULL;
  guint limit = 50;
  int status;

  globi_cli_take_option (&argc, argv, "--limit", &limit_text);
  if (limit_text != NULL)
    limit = (guint) g_ascii_strtoull (limit_text, NULL, 10);
  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("history takes one CHAT (a USERNAME or a group ID)"));
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_cli_flush_session (cli);
  chat_id = globi_cli_chat_id_for (messenger, argv[0], FALSE);
  cache = globi_messenger_get_cache (messenger);
  /* The newest `limit`, oldest first. */
  globi_cache_load_messages_before_async (cache, chat_id, NULL, limit, NULL, globi_cli_on_done_cb,
                                          cli);
  loaded = globi_cli_await (cli);
  rows = globi_cache_load_messages_before_finish (cache, loaded, &error);
  if (rows == NULL)
    return globi_cli_fail_with_error (cli, error);
  for (guint i = 0; i < rows->len; i++)
    print_message (cli, messenger, names, g_ptr_array_index (rows, i));
  return GLOBI_CLI_EXIT_OK;
}

static const GlobiCliCommand commands[] = {
  { "register", "register USERNAME [--display-name NAME]",
    N_ ("Create an account on --server and sign in to it. The password comes from\n"
        "GLOBICHAT_PASSWORD or a prompt. NAME defaults to USERNAME."),
    cmd_register },
  { "login", "login USERNAME [--device-name NAME]",
    N_ ("Sign in on --server (or the server this profile used last). The password comes\n"
        "from GLOBICHAT_PASSWORD or a prompt. The device is listed as NAME\n"
        "(default “GlobiChat on HOSTNAME”)."),
    cmd_login },
  { "logout", "logout",
    N_ ("Sign out: the server revokes this device and the profile forgets the sign-in.\n"
        "Works offline too (the sign-in is forgotten locally)."),
    cmd_logout },
  { "whoami", "whoami", N_ ("Show who this profile is signed in as, and where."), cmd_whoami },
  { "profile show", "profile show", N_ ("Show your profile and privacy settings."),
    cmd_profile_show },
  { "profile set", "profile set FIELD VALUE",
    N_ ("Change one profile field. FIELD is display-name, bio, region, currency (an ISO\n"
        "4217 code such as EUR), language (a BCP 47 tag such as zh-CN), discoverable\n"
        "(yes/no) or who-can-add (everyone, friends-of-friends, nobody)."),
    cmd_profile_set },
  { "profile avatar", "profile avatar FILE",
    N_ ("Upload FILE (PNG, JPEG or WebP, at most 5 MiB and 4096×4096) as your avatar."),
    cmd_profile_avatar },
  { "devices list", "devices list",
    N_ ("List the devices signed in to your account; * marks this one."), cmd_devices_list },
  { "devices revoke", "devices revoke ID",
    N_ ("Sign out the device ID (see devices list) at once."), cmd_devices_revoke },
  { "lookup", "lookup USERNAME|ID",
    N_ ("Find a user by exact username (if they are discoverable) or by user ID."), cmd_lookup },
  { "password change", "password change",
    N_ ("Change your password. The current one comes from GLOBICHAT_PASSWORD, the new one\n"
        "from GLOBICHAT_NEW_PASSWORD (or prompts). Your other devices are signed out."),
    cmd_password_change },
  { "friend request", "friend request USERNAME [--greeting TEXT]",
    N_ ("Ask USERNAME to be your friend (accepts theirs if they already asked you)."),
    cmd_friend_request },
  { "friend accept", "friend accept USERNAME", N_ ("Accept USERNAME's friend request."),
    cmd_friend_accept },
  { "friend decline", "friend decline USERNAME", N_ ("Decline USERNAME's friend request."),
    cmd_friend_decline },
  { "friend list", "friend list", N_ ("List your friends and pending requests."), cmd_friend_list },
  { "friend remove", "friend remove USERNAME", N_ ("End the friendship (on both sides)."),
    cmd_friend_remove },
  { "friend block", "friend block USERNAME",
    N_ ("Block USERNAME: no requests or messages from them."), cmd_friend_block },
  { "friend unblock", "friend unblock USERNAME", N_ ("Unblock USERNAME."), cmd_friend_unblock },
  { "group create", "group create NAME USERNAME…",
    N_ ("Create a group with these friends; prints its ID."), cmd_group_create },
  { "group add", "group add ID USERNAME…", N_ ("Add friends to the group ID."), cmd_group_add },
  { "group remove", "group remove ID USERNAME",
    N_ ("Remove USERNAME from the group ID (your own name: leave)."), cmd_group_remove },
  { "group list", "group list", N_ ("List your groups."), cmd_group_list },
  { "send", "send USERNAME TEXT | send --group ID TEXT",
    N_ ("Send an end-to-end encrypted message; waits until the server has it."), cmd_send },
  { "send-file", "send-file USERNAME FILE", N_ ("Send FILE, end-to-end encrypted."),
    cmd_send_file },
  { "sync", "sync",
    N_ ("Fetch new messages, print them oldest first (with --json one object a line:\n"
        "id, chat, sender, text, sent_at), acknowledge them, and exit when caught up."),
    cmd_sync },
  { "listen", "listen", N_ ("Print messages as they arrive, until interrupted."), cmd_listen },
  { "history", "history CHAT [--limit N]",
    N_ ("Print the last N (50) messages of CHAT (a USERNAME or group ID) from the cache."),
    cmd_history },
  { NULL, NULL, NULL, NULL },
};

/* Searched in this order; --help lists them in this order. */
static const GlobiCliCommand *const tables[] = {
  commands,
  globi_cli_qr_commands,
  globi_cli_link_commands,
  globi_cli_wallet_commands,
};

static const GlobiCliCommand *
find_command (const char *name, const char *sub)
{
  g_autofree char *two = sub != NULL ? g_strconcat (name, " ", sub, NULL) : NULL;

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const GlobiCliCommand *c = tables[t]; c->name != NULL; c++)
      if ((two != NULL && g_str_equal (c->name, two)) || g_str_equal (c->name, name))
        return c;
  return NULL;
}

static void
print_help (void)
{
  g_print ("%s\n\n", _ ("Usage: globichat-cli [--server URL] [--profile DIR] [--json] COMMAND …"));
  g_print ("%s\n\n", _ ("A command-line GlobiChat client on the same core as the app."));
  g_print ("%s\n", _ ("Options:"));
  g_print ("  --server URL    %s\n",
           _ ("the server, e.g. http://127.0.0.1:8080 (remembered after login)"));
  g_print ("  --profile DIR   %s\n", _ ("where this client keeps its sign-in and cache"));
  g_print ("                  %s\n", _ ("(default: $XDG_DATA_HOME/globichat/cli)"));
  g_print ("  --json          %s\n", _ ("print one JSON object per command (errors on stderr)"));
  g_print ("  --help          %s\n", _ ("show this help; COMMAND --help shows a command's"));
  g_print ("  --version       %s\n\n", _ ("print the version"));
  g_print ("%s\n", _ ("Commands:"));
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const GlobiCliCommand *c = tables[t]; c->name != NULL; c++)
      g_print ("  %s\n", c->usage);
  g_print ("\n%s\n", _ ("Environment: GLOBICHAT_PASSWORD, GLOBICHAT_NEW_PASSWORD (passwords),\n"
                        "GLOBICHAT_CREDENTIALS=file (keep the sign-in in a 0600 file instead "
                        "of the keyring)."));
  g_print ("%s\n", _ ("Exit status: 0 ok, 1 usage, 2 the server said no, 3 network, 4 local "
                      "error."));
}

static void
print_command_help (const GlobiCliCommand *command)
{
  g_print (_ ("Usage: globichat-cli [OPTIONS] %s\n\n%s\n"), command->usage, _ (command->help));
}

int
main (int argc, char **argv)
{
  GlobiCli cli = { 0 };
  g_autofree char *default_profile = NULL;
  const GlobiCliCommand *command;
  int first = 1;
  int status;
  int words;
  int command_argc;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (sodium_init () < 0)
    {
      g_printerr ("globichat-cli: libsodium failed to initialise\n");
      return GLOBI_CLI_EXIT_LOCAL;
    }

  /* Global options come before the command. */
  for (; first < argc && g_str_has_prefix (argv[first], "--"); first++)
    {
      const char *arg = argv[first];
      const char **target = NULL;

      if (g_str_equal (arg, "--json"))
        cli.json = TRUE;
      else if (g_str_equal (arg, "--help"))
        {
          print_help ();
          return GLOBI_CLI_EXIT_OK;
        }
      else if (g_str_equal (arg, "--version"))
        {
          g_print ("globichat-cli %s\n", PACKAGE_VERSION);
          return GLOBI_CLI_EXIT_OK;
        }
      else if (g_str_has_prefix (arg, "--server"))
        target = &cli.server;
      else if (g_str_has_prefix (arg, "--profile"))
        target = &cli.profile_dir;
      else
        {
          g_autofree char *msg = g_strdup_printf (_ ("Unknown option %s (see --help)"), arg);
          return globi_cli_usage_error (&cli, msg);
        }

      if (target == NULL)
        continue;
      if (strchr (arg, '=') != NULL)
        *target = strchr (arg, '=') + 1;
      else if (first + 1 < argc)
        *target = argv[++first];
      else
        {
          g_autofree char *msg = g_strdup_printf (_ ("%s needs a value"), arg);
          return globi_cli_usage_error (&cli, msg);
        }
    }

  if (first >= argc)
    {
      print_help ();
      return GLOBI_CLI_EXIT_USAGE;
    }
  if (g_str_equal (argv[first], "help"))
    {
      if (first + 1 < argc &&
          (command = find_command (argv[first + 1], first + 2 < argc ? argv[first + 2] : NULL)))
        print_command_help (command);
      else
        print_help ();
      return GLOBI_CLI_EXIT_OK;
    }

  command = find_command (argv[first], first + 1 < argc ? argv[first + 1] : NULL);
  if (command == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_ ("Unknown command “%s” (see --help)"), argv[first]);
      return globi_cli_usage_error (&cli, msg);
    }
  words = strchr (command->name, ' ') != NULL ? 2 : 1;
  if (words == 2 && !g_str_equal (command->name + strlen (argv[first]) + 1,
                                  first + 1 < argc ? argv[first + 1] : ""))
    {
      g_autofree char *msg =
          g_strdup_printf (_ ("“%s” needs a subcommand (see --help)"), argv[first]);
      return globi_cli_usage_error (&cli, msg);
    }
  for (int i = first + words; i < argc; i++)
    if (g_str_equal (argv[i], "--help"))
      {
        print_command_help (command);
        return GLOBI_CLI_EXIT_OK;
      }

  if (cli.profile_dir == NULL)
    cli.profile_dir = default_profile =
        g_build_filename (g_get_user_data_dir (), "globichat", "cli", NULL);

  /* Scripts write --json after the command as often as before it ("qr scan FILE --json"). */
  command_argc = argc - first - words;
  if (globi_cli_take_switch (&command_argc, argv + first + words, "--json"))
    cli.json = TRUE;

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.session = globi_session_new (cli.profile_dir);
  status = command->func (&cli, command_argc, argv + first + words);
  g_clear_object (&cli.session);
  g_clear_pointer (&cli.loop, g_main_loop_unref);
  return status;
}
