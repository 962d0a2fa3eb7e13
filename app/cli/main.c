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
#include "globi-core.h"

/* Exit statuses (docs/cli.md): scripts tell "try again later" from "that was refused". */
enum
{
  EXIT_OK = 0,
  EXIT_USAGE = 1,
  EXIT_REFUSED = 2,
  EXIT_NETWORK = 3,
  EXIT_LOCAL = 4,
};

typedef struct
{
  const char *server;
  const char *profile_dir;
  gboolean json;
  GlobiSession *session;
  GMainLoop *loop;
  GAsyncResult *result;
} Cli;

typedef int (*CommandFunc) (Cli *cli, int argc, char **argv);

typedef struct
{
  const char *name;
  const char *usage;
  const char *help;
  CommandFunc func;
} Command;

static const Command *find_command (const char *name, const char *sub);

/* Output */

static void
print_json (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  g_print ("%s\n", text);
}

static int
fail (Cli *cli, int status, const char *code, const char *message)
{
  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, code);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, message);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      text = json_to_string (root, FALSE);
      g_printerr ("%s\n", text);
    }
  else
    g_printerr ("globichat-cli: %s\n", message);
  return status;
}

static int
usage_error (Cli *cli, const char *message)
{
  return fail (cli, EXIT_USAGE, "usage", message);
}

static int
fail_with_error (Cli *cli, const GError *error)
{
  if (error->domain == GLOBI_ERROR)
    return fail (cli, error->code == GLOBI_ERROR_NETWORK ? EXIT_NETWORK : EXIT_REFUSED,
                 globi_error_code_to_string (error->code), error->message);
  return fail (cli, EXIT_LOCAL, "local", error->message);
}

static const char *
or_empty (const char *s)
{
  return s != NULL ? s : "";
}

static char *
format_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) dt = NULL;

  if (unix_ms <= 0)
    return g_strdup ("-");
  dt = g_date_time_new_from_unix_local (unix_ms / 1000);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

static void
print_profile_text (GlobiProfile *me)
{
  g_autofree char *created = format_time (globi_profile_get_created_at (me));

  g_print ("%-20s %s\n", _ ("Username:"), globi_profile_get_username (me));
  g_print ("%-20s %s\n", _ ("Display name:"), or_empty (globi_profile_get_display_name (me)));
  g_print ("%-20s %s\n", _ ("User ID:"), globi_profile_get_id (me));
  g_print ("%-20s %s\n", _ ("Bio:"), or_empty (globi_profile_get_bio (me)));
  g_print ("%-20s %s\n", _ ("Region:"), or_empty (globi_profile_get_region (me)));
  g_print ("%-20s %s\n", _ ("Currency:"), or_empty (globi_profile_get_preferred_currency (me)));
  g_print ("%-20s %s\n", _ ("Language:"), or_empty (globi_profile_get_language (me)));
  g_print ("%-20s %s\n", _ ("Discoverable:"),
           globi_profile_get_discoverable (me) ? _ ("yes") : _ ("no"));
  g_print ("%-20s %s\n", _ ("Who can add me:"),
           globi_who_can_add_to_string (globi_profile_get_who_can_add (me)));
  g_print ("%-20s %s\n", _ ("Avatar:"), or_empty (globi_profile_get_avatar_hash (me)));
  g_print ("%-20s %s\n", _ ("Member since:"), created);
}

/* {"user": Me, "server_url": …, "device_id": …} */
static void
print_me_json (Cli *cli, gboolean with_session)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  GlobiSession *session = cli->session;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user");
  json_builder_add_value (builder, globi_profile_to_json (globi_session_get_me (session)));
  if (with_session)
    {
      json_builder_set_member_name (builder, "server_url");
      json_builder_add_string_value (builder, globi_session_get_server_url (session));
      json_builder_set_member_name (builder, "device_id");
      json_builder_add_string_value (builder, globi_session_get_device_id (session));
      json_builder_set_member_name (builder, "credential_backend");
      json_builder_add_string_value (builder, globi_session_get_credential_backend (session) ==
                                                      GLOBI_CREDENTIAL_BACKEND_FILE
                                                  ? "file"
                                                  : "secret_service");
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  print_json (root);
}

static void
print_simple_json (const char *member, const char *value)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  print_json (root);
}

/* Running the core's async operations to completion */

static void
on_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Cli *cli = user_data;

  cli->result = g_object_ref (result);
  g_main_loop_quit (cli->loop);
}

static GAsyncResult *
await (Cli *cli)
{
  g_main_loop_run (cli->loop);
  return g_steal_pointer (&cli->result);
}

/* Rotated refresh tokens must be on disk before the process ends. */
static void
flush_session (Cli *cli)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  globi_session_flush_async (cli->session, NULL, on_done_cb, cli);
  result = await (cli);
  if (!globi_session_flush_finish (cli->session, result, &error))
    g_printerr ("globichat-cli: %s\n", error->message);
}

/* Passwords: never from argv (it shows in ps). */

static char *
prompt_secret (const char *prompt)
{
  struct termios old_attrs;
  struct termios attrs;
  char buf[1100];
  FILE *tty = fopen ("/dev/tty", "r+");
  char *line;

  if (tty == NULL)
    return NULL;
  fprintf (tty, "%s", prompt);
  fflush (tty);
  tcgetattr (fileno (tty), &old_attrs);
  attrs = old_attrs;
  attrs.c_lflag &= ~(tcflag_t) ECHO;
  tcsetattr (fileno (tty), TCSANOW, &attrs);
  line = fgets (buf, sizeof buf, tty);
  tcsetattr (fileno (tty), TCSANOW, &old_attrs);
  fprintf (tty, "\n");
  fclose (tty);
  if (line == NULL)
    return NULL;
  buf[strcspn (buf, "\r\n")] = '\0';
  line = g_strdup (buf);
  sodium_memzero (buf, sizeof buf);
  return line;
}

static char *
get_password (const char *env_var, const char *prompt, gboolean confirm)
{
  const char *env = g_getenv (env_var);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  if (env != NULL)
    return g_strdup (env);
  if (!isatty (STDIN_FILENO))
    return NULL;
  first = prompt_secret (prompt);
  if (first == NULL || !confirm)
    return g_steal_pointer (&first);
  second = prompt_secret (_ ("Repeat: "));
  if (g_strcmp0 (first, second) != 0)
    {
      g_printerr ("%s\n", _ ("The passwords do not match."));
      return NULL;
    }
  return g_steal_pointer (&first);
}

static void
free_password (char *password)
{
  if (password != NULL)
    sodium_memzero (password, strlen (password));
  g_free (password);
}

typedef char CharPassword;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CharPassword, free_password)

/* Options after the command: "--name VALUE" or "--name=VALUE". */
static gboolean
take_option (int *argc, char **argv, const char *name, const char **value)
{
  gsize len = strlen (name);

  for (int i = 0; i < *argc; i++)
    {
      int used = 0;

      if (g_str_equal (argv[i], name) && i + 1 < *argc)
        {
          *value = argv[i + 1];
          used = 2;
        }
      else if (g_str_has_prefix (argv[i], name) && argv[i][len] == '=')
        {
          *value = argv[i] + len + 1;
          used = 1;
        }
      if (used > 0)
        {
          memmove (&argv[i], &argv[i + used], (*argc - i - used + 1) * sizeof (char *));
          *argc -= used;
          return TRUE;
        }
    }
  return FALSE;
}

static const char *
server_for_sign_in (Cli *cli)
{
  g_autoptr (GlobiCredentialStore) store = NULL;
  g_autoptr (GlobiCredentials) creds = NULL;
  static char *remembered = NULL;

  if (cli->server != NULL)
    return cli->server;
  store = globi_credential_store_new (cli->profile_dir);
  creds = globi_credential_store_load_sync (store, NULL);
  if (creds != NULL)
    remembered = g_strdup (creds->server_url);
  return remembered;
}

/* Signed-in commands start by restoring the profile's session. */
static int
restore (Cli *cli)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  globi_session_restore_async (cli->session, NULL, on_done_cb, cli);
  result = await (cli);
  if (!globi_session_restore_finish (cli->session, result, &error))
    {
      if (error != NULL)
        return fail_with_error (cli, error);
      return usage_error (cli, _ ("Not signed in: run “globichat-cli login USERNAME” first"));
    }
  return EXIT_OK;
}

/* Commands */

static int
finish_sign_in (Cli *cli,
                GAsyncResult *result,
                gboolean (*finish) (GlobiSession *, GAsyncResult *, GError **))
{
  g_autoptr (GError) error = NULL;

  if (!finish (cli->session, result, &error))
    return fail_with_error (cli, error);
  flush_session (cli);
  if (cli->json)
    print_me_json (cli, TRUE);
  else
    g_print (_ ("Signed in as %s on %s\n"),
             globi_profile_get_username (globi_session_get_me (cli->session)),
             globi_session_get_server_url (cli->session));
  return EXIT_OK;
}

static int
cmd_register (Cli *cli, int argc, char **argv)
{
  const char *display_name = NULL;
  const char *server;
  g_autoptr (CharPassword) password = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  take_option (&argc, argv, "--display-name", &display_name);
  if (argc != 1)
    return usage_error (cli, _ ("register takes one USERNAME"));
  if ((server = server_for_sign_in (cli)) == NULL)
    return usage_error (cli, _ ("Which server? Give --server URL"));
  password = get_password ("GLOBICHAT_PASSWORD", _ ("New password: "), TRUE);
  if (password == NULL)
    return usage_error (cli, _ ("No password: set GLOBICHAT_PASSWORD or run on a terminal"));

  globi_session_register_async (cli->session, server, argv[0], password,
                                display_name != NULL ? display_name : argv[0], NULL, on_done_cb,
                                cli);
  result = await (cli);
  return finish_sign_in (cli, result, globi_session_register_finish);
}

static int
cmd_login (Cli *cli, int argc, char **argv)
{
  const char *device_name = NULL;
  const char *server;
  g_autoptr (CharPassword) password = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  take_option (&argc, argv, "--device-name", &device_name);
  if (argc != 1)
    return usage_error (cli, _ ("login takes one USERNAME"));
  if ((server = server_for_sign_in (cli)) == NULL)
    return usage_error (cli, _ ("Which server? Give --server URL"));
  password = get_password ("GLOBICHAT_PASSWORD", _ ("Password: "), FALSE);
  if (password == NULL)
    return usage_error (cli, _ ("No password: set GLOBICHAT_PASSWORD or run on a terminal"));

  globi_session_sign_in_async (cli->session, server, argv[0], password, device_name, NULL,
                               on_done_cb, cli);
  result = await (cli);
  return finish_sign_in (cli, result, globi_session_sign_in_finish);
}

static int
cmd_logout (Cli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (argc != 0)
    return usage_error (cli, _ ("logout takes no arguments"));

  /* Offline or already revoked is fine: signing out still forgets the account here. */
  globi_session_restore_async (cli->session, NULL, on_done_cb, cli);
  result = await (cli);
  globi_session_restore_finish (cli->session, result, NULL);
  g_clear_object (&result);

  globi_session_sign_out_async (cli->session, NULL, on_done_cb, cli);
  result = await (cli);
  if (!globi_session_sign_out_finish (cli->session, result, &error))
    return fail_with_error (cli, error);
  if (cli->json)
    print_simple_json ("signed_out", NULL);
  else
    g_print ("%s\n", _ ("Signed out"));
  return EXIT_OK;
}

static int
cmd_whoami (Cli *cli, int argc, char **argv)
{
  GlobiProfile *me;
  int status;

  if (argc != 0)
    return usage_error (cli, _ ("whoami takes no arguments"));
  if ((status = restore (cli)) != EXIT_OK)
    return status;
  flush_session (cli);

  me = globi_session_get_me (cli->session);
  if (cli->json)
    print_me_json (cli, TRUE);
  else
    g_print ("%s (%s) on %s\n", globi_profile_get_username (me),
             globi_profile_get_display_name (me), globi_session_get_server_url (cli->session));
  return EXIT_OK;
}

static int
cmd_profile_show (Cli *cli, int argc, char **argv)
{
  int status;

  if (argc != 0)
    return usage_error (cli, _ ("profile show takes no arguments"));
  /* Restoring fetched a fresh Me already. */
  if ((status = restore (cli)) != EXIT_OK)
    return status;
  flush_session (cli);

  if (cli->json)
    print_me_json (cli, FALSE);
  else
    print_profile_text (globi_session_get_me (cli->session));
  return EXIT_OK;
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
cmd_profile_set (Cli *cli, int argc, char **argv)
{
  g_autoptr (JsonObject) patch = NULL;
  g_autofree char *message = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (argc != 2)
    return usage_error (cli, _ ("profile set takes FIELD VALUE"));
  if ((patch = build_patch (argv[0], argv[1], &message)) == NULL)
    return usage_error (cli, message);
  if ((status = restore (cli)) != EXIT_OK)
    return status;

  globi_session_update_profile_async (cli->session, patch, NULL, on_done_cb, cli);
  result = await (cli);
  status = globi_session_update_profile_finish (cli->session, result, &error)
               ? EXIT_OK
               : fail_with_error (cli, error);
  flush_session (cli);
  if (status != EXIT_OK)
    return status;

  if (cli->json)
    print_me_json (cli, FALSE);
  else
    print_profile_text (globi_session_get_me (cli->session));
  return EXIT_OK;
}

static int
cmd_profile_avatar (Cli *cli, int argc, char **argv)
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
    return usage_error (cli, _ ("profile avatar takes one FILE (PNG, JPEG or WebP)"));
  if (!g_file_get_contents (argv[0], &data, &len, &error))
    return fail_with_error (cli, error);
  guessed = g_content_type_guess (argv[0], (const guchar *) data, len, NULL);
  mime = g_content_type_get_mime_type (guessed);
  if (mime == NULL || !g_str_has_prefix (mime, "image/"))
    return usage_error (cli, _ ("That file is not an image"));
  if ((status = restore (cli)) != EXIT_OK)
    return status;

  bytes = g_bytes_new_take (g_steal_pointer (&data), len);
  globi_session_set_avatar_async (cli->session, bytes, mime, NULL, on_done_cb, cli);
  result = await (cli);
  status = globi_session_set_avatar_finish (cli->session, result, &error)
               ? EXIT_OK
               : fail_with_error (cli, error);
  flush_session (cli);
  if (status != EXIT_OK)
    return status;

  if (cli->json)
    print_me_json (cli, FALSE);
  else
    g_print (_ ("Avatar set (%s)\n"),
             globi_profile_get_avatar_hash (globi_session_get_me (cli->session)));
  return EXIT_OK;
}

static int
cmd_devices_list (Cli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) devices = NULL;
  int status;

  if (argc != 0)
    return usage_error (cli, _ ("devices list takes no arguments"));
  if ((status = restore (cli)) != EXIT_OK)
    return status;

  globi_session_list_devices_async (cli->session, NULL, on_done_cb, cli);
  result = await (cli);
  devices = globi_session_list_devices_finish (cli->session, result, &error);
  flush_session (cli);
  if (devices == NULL)
    return fail_with_error (cli, error);

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
      print_json (root);
      return EXIT_OK;
    }

  g_print ("  %-36s  %-24s  %-8s  %s\n", _ ("ID"), _ ("NAME"), _ ("PLATFORM"), _ ("LAST SEEN"));
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (GlobiDevice) device = g_list_model_get_item (devices, i);
      g_autofree char *seen = format_time (globi_device_get_last_seen_at (device));

      g_print ("%s %-36s  %-24s  %-8s  %s\n", globi_device_get_current (device) ? "*" : " ",
               globi_device_get_id (device), globi_device_get_name (device),
               globi_device_get_platform (device), seen);
    }
  return EXIT_OK;
}

static int
cmd_devices_revoke (Cli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (argc != 1)
    return usage_error (cli, _ ("devices revoke takes one device ID"));
  if ((status = restore (cli)) != EXIT_OK)
    return status;

  globi_session_revoke_device_async (cli->session, argv[0], NULL, on_done_cb, cli);
  result = await (cli);
  status = globi_session_revoke_device_finish (cli->session, result, &error)
               ? EXIT_OK
               : fail_with_error (cli, error);
  flush_session (cli);
  if (status != EXIT_OK)
    return status;

  if (cli->json)
    print_simple_json ("revoked", argv[0]);
  else
    g_print (_ ("Revoked %s\n"), argv[0]);
  return EXIT_OK;
}

static int
cmd_lookup (Cli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiProfile) user = NULL;
  int status;

  if (argc != 1)
    return usage_error (cli, _ ("lookup takes one USERNAME or user ID"));
  if ((status = restore (cli)) != EXIT_OK)
    return status;

  globi_session_lookup_user_async (cli->session, argv[0], NULL, on_done_cb, cli);
  result = await (cli);
  user = globi_session_lookup_user_finish (cli->session, result, &error);
  flush_session (cli);
  if (user == NULL)
    return fail_with_error (cli, error);

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
      print_json (root);
    }
  else
    g_print ("%s (%s) %s\n", globi_profile_get_username (user),
             globi_profile_get_display_name (user), globi_profile_get_id (user));
  return EXIT_OK;
}

static int
cmd_password_change (Cli *cli, int argc, char **argv)
{
  g_autoptr (CharPassword) current = NULL;
  g_autoptr (CharPassword) fresh = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (argc != 0)
    return usage_error (cli, _ ("password change takes no arguments"));
  current = get_password ("GLOBICHAT_PASSWORD", _ ("Current password: "), FALSE);
  if (current == NULL)
    return usage_error (cli, _ ("No password: set GLOBICHAT_PASSWORD or run on a terminal"));
  fresh = get_password ("GLOBICHAT_NEW_PASSWORD", _ ("New password: "), TRUE);
  if (fresh == NULL)
    return usage_error (cli,
                        _ ("No new password: set GLOBICHAT_NEW_PASSWORD or run on a terminal"));
  if ((status = restore (cli)) != EXIT_OK)
    return status;

  globi_session_change_password_async (cli->session, current, fresh, NULL, on_done_cb, cli);
  result = await (cli);
  status = globi_session_change_password_finish (cli->session, result, &error)
               ? EXIT_OK
               : fail_with_error (cli, error);
  flush_session (cli);
  if (status != EXIT_OK)
    return status;

  if (cli->json)
    print_simple_json ("password_changed", NULL);
  else
    g_print ("%s\n", _ ("Password changed; your other devices are signed out"));
  return EXIT_OK;
}

/* Messaging commands: each starts the messenger (keys, friends, groups, outbox) without
 * the live stream, does its work, and waits for the outbox. */

static int
open_messenger (Cli *cli, GlobiMessenger **out)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if ((status = restore (cli)) != EXIT_OK)
    return status;
  messenger = globi_messenger_new (cli->session);
  globi_messenger_start_async (messenger, FALSE, NULL, on_done_cb, cli);
  result = await (cli);
  if (!globi_messenger_start_finish (messenger, result, &error))
    {
      flush_session (cli);
      return fail_with_error (cli, error);
    }
  *out = g_steal_pointer (&messenger);
  return EXIT_OK;
}

/* Runs one action that finishes with globi_messenger_finish. */
static int
finish_action (Cli *cli, GlobiMessenger *messenger, const char *json_member, const char *text)
{
  g_autoptr (GAsyncResult) result = await (cli);
  g_autoptr (GError) error = NULL;

  flush_session (cli);
  if (!globi_messenger_finish (messenger, result, &error))
    return fail_with_error (cli, error);
  if (cli->json)
    print_simple_json (json_member, NULL);
  else
    g_print ("%s\n", text);
  return EXIT_OK;
}

static int
cmd_friend_request (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  const char *greeting = NULL;
  int status;

  take_option (&argc, argv, "--greeting", &greeting);
  if (argc != 1)
    return usage_error (cli, _ ("friend request takes one USERNAME"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  globi_messenger_request_friend_async (messenger, argv[0], greeting, NULL, on_done_cb, cli);
  return finish_action (cli, messenger, "requested", _ ("Friend request sent"));
}

static int
answer_friend (Cli *cli, int argc, char **argv, gboolean accept)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if (argc != 1)
    return usage_error (cli, _ ("Give the USERNAME (or request ID) to answer"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  if (accept)
    {
      globi_messenger_accept_friend_async (messenger, argv[0], NULL, on_done_cb, cli);
      return finish_action (cli, messenger, "accepted", _ ("Friend request accepted"));
    }
  globi_messenger_decline_friend_async (messenger, argv[0], NULL, on_done_cb, cli);
  return finish_action (cli, messenger, "declined", _ ("Friend request declined"));
}

static int
cmd_friend_accept (Cli *cli, int argc, char **argv)
{
  return answer_friend (cli, argc, argv, TRUE);
}

static int
cmd_friend_decline (Cli *cli, int argc, char **argv)
{
  return answer_friend (cli, argc, argv, FALSE);
}

static int
cmd_friend_list (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  GListModel *lists[3];
  const char *names[] = { "friends", "incoming", "outgoing" };
  int status;

  if (argc != 0)
    return usage_error (cli, _ ("friend list takes no arguments"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  flush_session (cli);
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
      print_json (root);
      return EXIT_OK;
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
  return EXIT_OK;
}

static int
cmd_friend_remove (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if (argc != 1)
    return usage_error (cli, _ ("friend remove takes one USERNAME"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  globi_messenger_remove_friend_async (messenger, argv[0], NULL, on_done_cb, cli);
  return finish_action (cli, messenger, "removed", _ ("Friend removed"));
}

static int
block (Cli *cli, int argc, char **argv, gboolean blocked)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if (argc != 1)
    return usage_error (cli, _ ("Give one USERNAME"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  globi_messenger_block_async (messenger, argv[0], blocked, NULL, on_done_cb, cli);
  return finish_action (cli, messenger, blocked ? "blocked" : "unblocked",
                        blocked ? _ ("Blocked") : _ ("Unblocked"));
}

static int
cmd_friend_block (Cli *cli, int argc, char **argv)
{
  return block (cli, argc, argv, TRUE);
}

static int
cmd_friend_unblock (Cli *cli, int argc, char **argv)
{
  return block (cli, argc, argv, FALSE);
}

static int
cmd_group_create (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiGroup) group = NULL;
  g_auto (GStrv) members = NULL;
  int status;

  if (argc < 2)
    return usage_error (cli, _ ("group create takes a NAME and at least one USERNAME"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  members = g_strdupv (argv + 1);
  globi_messenger_create_group_async (messenger, argv[0], (const char *const *) members, NULL,
                                      on_done_cb, cli);
  result = await (cli);
  group = globi_messenger_group_finish (messenger, result, &error);
  flush_session (cli);
  if (group == NULL)
    return fail_with_error (cli, error);
  if (cli->json)
    print_simple_json ("id", globi_group_get_id (group));
  else
    g_print ("%s\n", globi_group_get_id (group));
  return EXIT_OK;
}

static int
cmd_group_add (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_auto (GStrv) members = NULL;
  int status;

  if (argc < 2)
    return usage_error (cli, _ ("group add takes a group ID and at least one USERNAME"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  members = g_strdupv (argv + 1);
  globi_messenger_add_members_async (messenger, argv[0], (const char *const *) members, NULL,
                                     on_done_cb, cli);
  return finish_action (cli, messenger, "added", _ ("Members added"));
}

static int
cmd_group_remove (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if (argc != 2)
    return usage_error (cli, _ ("group remove takes a group ID and one USERNAME"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  globi_messenger_remove_member_async (messenger, argv[0], argv[1], NULL, on_done_cb, cli);
  return finish_action (cli, messenger, "removed", _ ("Member removed"));
}

static int
cmd_group_list (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  GListModel *groups;
  int status;

  if (argc != 0)
    return usage_error (cli, _ ("group list takes no arguments"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  flush_session (cli);
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
      print_json (root);
      return EXIT_OK;
    }
  for (guint i = 0; i < g_list_model_get_n_items (groups); i++)
    {
      g_autoptr (GlobiGroup) g = g_list_model_get_item (groups, i);
      g_print ("%s %s (%u)\n", globi_group_get_id (g), globi_group_get_name (g),
               globi_group_get_member_count (g));
    }
  return EXIT_OK;
}

/* "u:…"/"g:…" from a username, user id or (with group) a group id. */
static char *
chat_id_for (GlobiMessenger *messenger, const char *who, gboolean group)
{
  GlobiContact *contact;

  if (g_str_has_prefix (who, "u:") || g_str_has_prefix (who, "g:"))
    return g_strdup (who);
  if (group || globi_messenger_find_group (messenger, who) != NULL)
    return globi_chat_id_for_group (who);
  contact = globi_messenger_find_contact (messenger, who);
  return globi_chat_id_for_user (contact ? globi_contact_get_user_id (contact) : who);
}

static void
on_flushed_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  on_done_cb (object, result, user_data);
}

static int finish_send (Cli *cli, GlobiMessenger *messenger, GlobiMessage *message);

static int
cmd_send (Cli *cli, int argc, char **argv)
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

  take_option (&argc, argv, "--group", &group);
  if (group != NULL ? argc != 1 : argc != 2)
    return usage_error (cli, _ ("send takes USERNAME TEXT, or --group ID TEXT"));
  to = group != NULL ? group : argv[0];
  text = argv[argc - 1];
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  chat_id = chat_id_for (messenger, to, group != NULL);
  if (group == NULL && globi_messenger_find_contact (messenger, to) == NULL)
    {
      flush_session (cli);
      return fail (cli, EXIT_REFUSED, "forbidden", _ ("Not a friend"));
    }
  globi_messenger_send_text_async (messenger, chat_id, text, NULL, NULL, NULL, on_done_cb, cli);
  result = await (cli);
  message = globi_messenger_send_finish (messenger, result, &error);
  if (message == NULL)
    {
      flush_session (cli);
      return fail_with_error (cli, error);
    }
  return finish_send (cli, messenger, message);
}

/* The message is safe in the outbox; waits until the server has it. */
static int
finish_send (Cli *cli, GlobiMessenger *messenger, GlobiMessage *message)
{
  g_autoptr (GAsyncResult) flushed = NULL;

  globi_messenger_flush_async (messenger, NULL, on_flushed_cb, cli);
  flushed = await (cli);
  globi_messenger_finish (messenger, flushed, NULL);
  flush_session (cli);
  if (globi_message_get_state (message) == GLOBI_DELIVERY_STATE_FAILED)
    return fail (cli, EXIT_REFUSED, "failed", _ ("The server refused the message"));
  if (globi_message_get_state (message) == GLOBI_DELIVERY_STATE_PENDING)
    return fail (cli, EXIT_NETWORK, "network",
                 _ ("Not sent yet: kept in the outbox and sent by the next command"));
  if (cli->json)
    {
      g_autoptr (JsonNode) node = globi_message_to_json (
          message, globi_profile_get_username (globi_session_get_me (cli->session)));
      print_json (node);
    }
  else
    g_print ("%s\n", globi_message_get_id (message));
  return EXIT_OK;
}

static int
cmd_send_file (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) message = NULL;
  g_autoptr (GFile) file = NULL;
  g_autofree char *chat_id = NULL;
  int status;

  if (argc != 2)
    return usage_error (cli, _ ("send-file takes USERNAME FILE"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  chat_id = chat_id_for (messenger, argv[0], FALSE);
  file = g_file_new_for_commandline_arg (argv[1]);
  globi_messenger_send_file_async (messenger, chat_id, file, NULL, on_done_cb, cli);
  result = await (cli);
  message = globi_messenger_send_finish (messenger, result, &error);
  if (message == NULL)
    {
      flush_session (cli);
      return fail_with_error (cli, error);
    }
  return finish_send (cli, messenger, message);
}

/* The sender's username: known from friends and groups, else asked from the server. */
static const char *
sender_username (Cli *cli, GlobiMessenger *messenger, GHashTable *cache, const char *user_id)
{
  const char *known = globi_messenger_lookup_username (messenger, user_id);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GlobiProfile) profile = NULL;

  if (known != NULL || user_id == NULL)
    return known;
  if (g_hash_table_contains (cache, user_id))
    return g_hash_table_lookup (cache, user_id);
  globi_session_lookup_user_async (cli->session, user_id, NULL, on_done_cb, cli);
  result = await (cli);
  profile = globi_session_lookup_user_finish (cli->session, result, NULL);
  g_hash_table_insert (cache, g_strdup (user_id),
                       profile ? g_strdup (globi_profile_get_username (profile)) : NULL);
  return g_hash_table_lookup (cache, user_id);
}

static void
print_message (Cli *cli, GlobiMessenger *messenger, GHashTable *names, GlobiMessage *m)
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
      g_autofree char *when = format_time (globi_message_get_sent_at (m));
      g_print ("%s [%s] %s: %s\n", when, globi_message_get_chat_id (m),
               sender ? sender : or_empty (globi_message_get_sender_id (m)),
               globi_message_get_kind (m) == GLOBI_MESSAGE_KIND_DELETED
                   ? _ ("message deleted")
                   : or_empty (globi_message_get_text (m)));
    }
  fflush (stdout);
}

static int
cmd_sync (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  int status;

  if (argc != 0)
    return usage_error (cli, _ ("sync takes no arguments"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  globi_messenger_sync_async (messenger, NULL, on_done_cb, cli);
  result = await (cli);
  messages = globi_messenger_sync_finish (messenger, result, &error);
  if (messages == NULL)
    {
      flush_session (cli);
      return fail_with_error (cli, error);
    }
  for (guint i = 0; i < messages->len; i++)
    print_message (cli, messenger, names, g_ptr_array_index (messages, i));
  flush_session (cli);
  return EXIT_OK;
}

typedef struct
{
  Cli *cli;
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
cmd_listen (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  Listen listen = { cli, names };
  guint sigint, sigterm;
  int status;

  if (argc != 0)
    return usage_error (cli, _ ("listen takes no arguments"));
  if ((status = restore (cli)) != EXIT_OK)
    return status;
  messenger = globi_messenger_new (cli->session);
  g_signal_connect (messenger, "message-received", G_CALLBACK (on_listen_message_cb), &listen);
  globi_messenger_start_async (messenger, TRUE, NULL, on_done_cb, cli);
  result = await (cli);
  if (!globi_messenger_start_finish (messenger, result, &error))
    {
      flush_session (cli);
      return fail_with_error (cli, error);
    }
  sigint = g_unix_signal_add (SIGINT, on_interrupt_cb, cli->loop);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt_cb, cli->loop);
  g_main_loop_run (cli->loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  globi_messenger_stop (messenger);
  flush_session (cli);
  return EXIT_OK;
}

static int
cmd_history (Cli *cli, int argc, char **argv)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GAsyncResult) counted = NULL;
  g_autoptr (GAsyncResult) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *chat_id = NULL;
  GlobiCache *cache;
  const char *limit_text = NULL;
  guint limit = 50;
  guint count;
  int status;

  take_option (&argc, argv, "--limit", &limit_text);
  if (limit_text != NULL)
    limit = (guint) g_ascii_strtoull (limit_text, NULL, 10);
  if (argc != 1)
    return usage_error (cli, _ ("history takes one CHAT (a USERNAME or a group ID)"));
  if ((status = open_messenger (cli, &messenger)) != EXIT_OK)
    return status;
  flush_session (cli);
  chat_id = chat_id_for (messenger, argv[0], FALSE);
  cache = globi_messenger_get_cache (messenger);
  globi_cache_count_messages_async (cache, chat_id, NULL, on_done_cb, cli);
  counted = await (cli);
  count = globi_cache_count_messages_finish (cache, counted, &error);
  if (error != NULL)
    return fail_with_error (cli, error);
  globi_cache_load_messages_async (cache, chat_id, count > limit ? count - limit : 0, limit, NULL,
                                   on_done_cb, cli);
  loaded = await (cli);
  rows = globi_cache_load_messages_finish (cache, loaded, &error);
  if (rows == NULL)
    return fail_with_error (cli, error);
  for (guint i = 0; i < rows->len; i++)
    print_message (cli, messenger, names, g_ptr_array_index (rows, i));
  return EXIT_OK;
}

static const Command commands[] = {
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
};

static const Command *
find_command (const char *name, const char *sub)
{
  g_autofree char *two = sub != NULL ? g_strconcat (name, " ", sub, NULL) : NULL;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if ((two != NULL && g_str_equal (commands[i].name, two)) ||
        g_str_equal (commands[i].name, name))
      return &commands[i];
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
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %s\n", commands[i].usage);
  g_print ("\n%s\n", _ ("Environment: GLOBICHAT_PASSWORD, GLOBICHAT_NEW_PASSWORD (passwords),\n"
                        "GLOBICHAT_CREDENTIALS=file (keep the sign-in in a 0600 file instead "
                        "of the keyring)."));
  g_print ("%s\n", _ ("Exit status: 0 ok, 1 usage, 2 the server said no, 3 network, 4 local "
                      "error."));
}

static void
print_command_help (const Command *command)
{
  g_print (_ ("Usage: globichat-cli [OPTIONS] %s\n\n%s\n"), command->usage, _ (command->help));
}

int
main (int argc, char **argv)
{
  Cli cli = { 0 };
  g_autofree char *default_profile = NULL;
  const Command *command;
  int first = 1;
  int status;
  int words;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (sodium_init () < 0)
    {
      g_printerr ("globichat-cli: libsodium failed to initialise\n");
      return EXIT_LOCAL;
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
          return EXIT_OK;
        }
      else if (g_str_equal (arg, "--version"))
        {
          g_print ("globichat-cli %s\n", PACKAGE_VERSION);
          return EXIT_OK;
        }
      else if (g_str_has_prefix (arg, "--server"))
        target = &cli.server;
      else if (g_str_has_prefix (arg, "--profile"))
        target = &cli.profile_dir;
      else
        {
          g_autofree char *msg = g_strdup_printf (_ ("Unknown option %s (see --help)"), arg);
          return usage_error (&cli, msg);
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
          return usage_error (&cli, msg);
        }
    }

  if (first >= argc)
    {
      print_help ();
      return EXIT_USAGE;
    }
  if (g_str_equal (argv[first], "help"))
    {
      if (first + 1 < argc &&
          (command = find_command (argv[first + 1], first + 2 < argc ? argv[first + 2] : NULL)))
        print_command_help (command);
      else
        print_help ();
      return EXIT_OK;
    }

  command = find_command (argv[first], first + 1 < argc ? argv[first + 1] : NULL);
  if (command == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_ ("Unknown command “%s” (see --help)"), argv[first]);
      return usage_error (&cli, msg);
    }
  words = strchr (command->name, ' ') != NULL ? 2 : 1;
  if (words == 2 && !g_str_equal (command->name + strlen (argv[first]) + 1,
                                  first + 1 < argc ? argv[first + 1] : ""))
    {
      g_autofree char *msg =
          g_strdup_printf (_ ("“%s” needs a subcommand (see --help)"), argv[first]);
      return usage_error (&cli, msg);
    }
  for (int i = first + words; i < argc; i++)
    if (g_str_equal (argv[i], "--help"))
      {
        print_command_help (command);
        return EXIT_OK;
      }

  if (cli.profile_dir == NULL)
    cli.profile_dir = default_profile =
        g_build_filename (g_get_user_data_dir (), "globichat", "cli", NULL);

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.session = globi_session_new (cli.profile_dir);
  status = command->func (&cli, argc - first - words, argv + first + words);
  g_clear_object (&cli.session);
  g_clear_pointer (&cli.loop, g_main_loop_unref);
  return status;
}
