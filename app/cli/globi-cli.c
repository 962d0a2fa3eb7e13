/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globichat-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "globi-cli.h"
#include "globi-error.h"

void
globi_cli_print_json (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  g_print ("%s\n", text);
}

int
globi_cli_fail (GlobiCli *cli, int status, const char *code, const char *message)
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

int
globi_cli_usage_error (GlobiCli *cli, const char *message)
{
  return globi_cli_fail (cli, GLOBI_CLI_EXIT_USAGE, "usage", message);
}

int
globi_cli_fail_with_error (GlobiCli *cli, const GError *error)
{
  if (error->domain == GLOBI_ERROR)
    return globi_cli_fail (
        cli, error->code == GLOBI_ERROR_NETWORK ? GLOBI_CLI_EXIT_NETWORK : GLOBI_CLI_EXIT_REFUSED,
        globi_error_code_to_string (error->code), error->message);
  return globi_cli_fail (cli, GLOBI_CLI_EXIT_LOCAL, "local", error->message);
}

const char *
globi_cli_or_empty (const char *s)
{
  return s != NULL ? s : "";
}

char *
globi_cli_format_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) dt = NULL;

  if (unix_ms <= 0)
    return g_strdup ("-");
  dt = g_date_time_new_from_unix_local (unix_ms / 1000);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

/* {"user": Me, "server_url": …, "device_id": …} */
void
globi_cli_print_me_json (GlobiCli *cli, gboolean with_session)
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
  globi_cli_print_json (root);
}

void
globi_cli_print_simple_json (const char *member, const char *value)
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
  globi_cli_print_json (root);
}

void
globi_cli_on_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GlobiCli *cli = user_data;

  cli->result = g_object_ref (result);
  g_main_loop_quit (cli->loop);
}

GAsyncResult *
globi_cli_await (GlobiCli *cli)
{
  g_main_loop_run (cli->loop);
  return g_steal_pointer (&cli->result);
}

/* Rotated refresh tokens must be on disk before the process ends. */
void
globi_cli_flush_session (GlobiCli *cli)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  globi_session_flush_async (cli->session, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  if (!globi_session_flush_finish (cli->session, result, &error))
    g_printerr ("globichat-cli: %s\n", error->message);
}

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

char *
globi_cli_get_password (const char *env_var, const char *prompt, gboolean confirm)
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

void
globi_cli_free_password (char *password)
{
  if (password != NULL)
    sodium_memzero (password, strlen (password));
  g_free (password);
}

/* Options after the command: "--name VALUE" or "--name=VALUE". */
gboolean
globi_cli_take_switch (int *argc, char **argv, const char *name)
{
  gboolean found = FALSE;

  for (int i = 0; i < *argc;)
    if (g_str_equal (argv[i], name))
      {
        memmove (&argv[i], &argv[i + 1], (*argc - i) * sizeof (char *));
        (*argc)--;
        found = TRUE;
      }
    else
      i++;
  return found;
}

gboolean
globi_cli_take_option (int *argc, char **argv, const char *name, const char **value)
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

const char *
globi_cli_server_for_sign_in (GlobiCli *cli)
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
int
globi_cli_restore (GlobiCli *cli)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  globi_session_restore_async (cli->session, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  if (!globi_session_restore_finish (cli->session, result, &error))
    {
      if (error != NULL)
        return globi_cli_fail_with_error (cli, error);
      return globi_cli_usage_error (cli,
                                    _ ("Not signed in: run “globichat-cli login USERNAME” first"));
    }
  return GLOBI_CLI_EXIT_OK;
}

int
globi_cli_finish_sign_in (GlobiCli *cli,
                          GAsyncResult *result,
                          gboolean (*finish) (GlobiSession *, GAsyncResult *, GError **))
{
  g_autoptr (GError) error = NULL;

  if (!finish (cli->session, result, &error))
    return globi_cli_fail_with_error (cli, error);
  globi_cli_flush_session (cli);
  if (cli->json)
    globi_cli_print_me_json (cli, TRUE);
  else
    g_print (_ ("Signed in as %s on %s\n"),
             globi_profile_get_username (globi_session_get_me (cli->session)),
             globi_session_get_server_url (cli->session));
  return GLOBI_CLI_EXIT_OK;
}

int
globi_cli_open_messenger (GlobiCli *cli, GlobiMessenger **out)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessenger) messenger = NULL;
  int status;

  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;
  messenger = globi_messenger_new (cli->session);
  globi_messenger_start_async (messenger, FALSE, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  if (!globi_messenger_start_finish (messenger, result, &error))
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  *out = g_steal_pointer (&messenger);
  return GLOBI_CLI_EXIT_OK;
}

/* Runs one action that finishes with globi_messenger_finish. */
int
globi_cli_finish_action (GlobiCli *cli,
                         GlobiMessenger *messenger,
                         const char *json_member,
                         const char *text)
{
  g_autoptr (GAsyncResult) result = globi_cli_await (cli);
  g_autoptr (GError) error = NULL;

  globi_cli_flush_session (cli);
  if (!globi_messenger_finish (messenger, result, &error))
    return globi_cli_fail_with_error (cli, error);
  if (cli->json)
    globi_cli_print_simple_json (json_member, NULL);
  else
    g_print ("%s\n", text);
  return GLOBI_CLI_EXIT_OK;
}

/* "u:…"/"g:…" from a username, user id or (with group) a group id. */
char *
globi_cli_chat_id_for (GlobiMessenger *messenger, const char *who, gboolean group)
{
  GlobiContact *contact;

  if (g_str_has_prefix (who, "u:") || g_str_has_prefix (who, "g:"))
    return g_strdup (who);
  if (group || globi_messenger_find_group (messenger, who) != NULL)
    return globi_chat_id_for_group (who);
  contact = globi_messenger_find_contact (messenger, who);
  return globi_chat_id_for_user (contact ? globi_contact_get_user_id (contact) : who);
}
