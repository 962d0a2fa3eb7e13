/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globichat-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "globi-cli.h"
#include "globi-client.h"
#include "globi-code.h"
#include "globi-friend-card.h"
#include "globi-qr-code.h"
#include "globi-qr-scanner.h"

/* Defaults for --size: big enough to print, small enough to mail. */
#define DEFAULT_SIZE_PX 512
#define MAX_SIZE_PX     4096

/* Two rows of modules per line with half blocks: square enough in a terminal. */
static void
print_terminal_code (GlobiQrCode *code)
{
  guint size = globi_qr_code_get_size (code);
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint y = 0; y < size; y += 2)
    {
      for (guint x = 0; x < size; x++)
        {
          gboolean top = globi_qr_code_get_module (code, x, y);
          gboolean bottom = globi_qr_code_get_module (code, x, y + 1);

          /* Light modules are drawn, dark ones left blank: dark terminals show it right. */
          if (!top && !bottom)
            g_string_append (out, "█");
          else if (!top)
            g_string_append (out, "▀");
          else if (!bottom)
            g_string_append (out, "▄");
          else
            g_string_append_c (out, ' ');
        }
      g_string_append_c (out, '\n');
    }
  g_print ("%s", out->str);
}

/* My avatar, for the middle of the card; NULL when I have none or it cannot be had. */
static GdkPixbuf *
fetch_avatar (GlobiCli *cli)
{
  GlobiProfile *me = globi_session_get_me (cli->session);
  const char *hash = me ? globi_profile_get_avatar_hash (me) : NULL;
  GlobiClient *client = globi_session_get_client (cli->session);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GdkPixbufLoader) loader = NULL;

  if (!hash)
    return NULL;
  globi_client_fetch_blob_async (client, hash, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  if (!(bytes = globi_client_fetch_blob_finish (client, result, NULL)))
    return NULL;
  loader = gdk_pixbuf_loader_new ();
  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, NULL) ||
      !gdk_pixbuf_loader_close (loader, NULL))
    {
      gdk_pixbuf_loader_close (loader, NULL);
      return NULL;
    }
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static int
cmd_qr_friend (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiQrCode) code = NULL;
  g_autoptr (GdkPixbuf) avatar = NULL;
  g_autofree char *uri = NULL;
  const char *png = NULL;
  const char *size_text = NULL;
  gboolean reset = FALSE;
  guint64 size = DEFAULT_SIZE_PX;
  int status;

  globi_cli_take_option (&argc, argv, "--png", &png);
  globi_cli_take_option (&argc, argv, "--size", &size_text);
  if (argc == 1 && g_str_equal (argv[0], "--reset"))
    {
      reset = TRUE;
      argc--;
    }
  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("usage: qr friend [--png FILE [--size PX]] [--reset]"));
  if (size_text && (!g_ascii_string_to_unsigned (size_text, 10, 64, MAX_SIZE_PX, &size, NULL)))
    return globi_cli_usage_error (cli, _ ("--size must be a number of pixels from 64 to 4096"));
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_friend_card_fetch_async (cli->session, reset, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  uri = globi_friend_card_fetch_finish (result, &error);
  globi_cli_flush_session (cli);
  if (!uri)
    return globi_cli_fail_with_error (cli, error);

  /* With the avatar in the middle the code needs the strongest error correction. */
  if (png)
    avatar = fetch_avatar (cli);
  if (!(code = globi_qr_code_new (uri, avatar || png ? GLOBI_QR_ECC_H : GLOBI_QR_ECC_M, &error)))
    return globi_cli_fail_with_error (cli, error);
  if (png &&
      !globi_qr_code_save_png (code, png, globi_qr_code_scale_for (code, size), avatar, &error))
    return globi_cli_fail (cli, GLOBI_CLI_EXIT_LOCAL, "local", error->message);

  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "uri");
      json_builder_add_string_value (builder, uri);
      if (png)
        {
          json_builder_set_member_name (builder, "png");
          json_builder_add_string_value (builder, png);
        }
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      globi_cli_print_json (node);
    }
  else
    {
      g_print ("%s\n", uri);
      if (png)
        g_print (_ ("Saved your friend card to %s\n"), png);
      else if (isatty (STDOUT_FILENO))
        print_terminal_code (code);
    }
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_qr_scan (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiCode) parsed = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  GlobiCodeKind kind;

  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("usage: qr scan FILE"));
  if (!(text = globi_qr_decode_file (argv[0], &len, &error)))
    {
      if (g_error_matches (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NOT_FOUND))
        return globi_cli_fail (cli, GLOBI_CLI_EXIT_LOCAL, "no_qr_code",
                               _ ("No QR code found in the image"));
      return globi_cli_fail (cli, GLOBI_CLI_EXIT_LOCAL, "local", error->message);
    }
  kind = globi_code_classify_bytes (text, len, &parsed, &error);
  if (kind == GLOBI_CODE_INVALID)
    {
      g_autofree char *message =
          g_strdup_printf (_ ("The QR code is not usable: %s"), error->message);

      return globi_cli_fail (cli, GLOBI_CLI_EXIT_LOCAL, "invalid_code", message);
    }

  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "text");
      json_builder_add_string_value (builder, parsed->text);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, globi_code_kind_to_string (kind));
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      globi_cli_print_json (node);
    }
  else
    g_print ("%s\n%s: %s\n", parsed->text, _ ("Kind"), globi_code_kind_to_string (kind));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_qr_add (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiCode) parsed = NULL;
  g_autoptr (GlobiProfile) profile = NULL;
  const char *greeting = NULL;
  gboolean friends = FALSE;
  int status;

  globi_cli_take_option (&argc, argv, "--greeting", &greeting);
  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("usage: qr add URI [--greeting TEXT]"));
  if (globi_code_classify (argv[0], &parsed, &error) != GLOBI_CODE_ADD)
    return globi_cli_usage_error (cli, error ? error->message : _ ("URI is not a friend card"));
  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_friend_card_resolve_async (cli->session, parsed->user_id, parsed->card, NULL,
                                   globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  if (!(profile = globi_friend_card_resolve_finish (result, &error)))
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  g_clear_object (&result);
  globi_friend_card_request_async (cli->session, parsed->user_id, parsed->card, greeting, NULL,
                                   globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  globi_cli_flush_session (cli);
  if (!globi_friend_card_request_finish (result, &friends, &error))
    return globi_cli_fail_with_error (cli, error);

  if (cli->json)
    globi_cli_print_simple_json (friends ? "friend" : "requested",
                                 globi_profile_get_username (profile));
  else if (friends)
    g_print (_ ("You and %s are friends now\n"), globi_profile_get_display_name (profile));
  else
    g_print (_ ("Friend request sent to %s\n"), globi_profile_get_display_name (profile));
  return GLOBI_CLI_EXIT_OK;
}

const GlobiCliCommand globi_cli_qr_commands[] = {
  { "qr friend", "qr friend [--png FILE [--size PX]] [--reset]",
    N_ ("Print your friend card's globichat://add link (and the code, on a terminal), or save\n"
        "it as a PNG of about PX pixels (default 512) with your avatar in the middle.\n"
        "--reset makes a new card; old ones stop working."),
    cmd_qr_friend },
  { "qr scan", "qr scan FILE",
    N_ ("Read the QR code in a PNG or JPEG image; print its text and kind (link, add, join,\n"
        "section, payment or unknown). No QR code in the image: exit status 4."),
    cmd_qr_scan },
  { "qr add", "qr add URI [--greeting TEXT]",
    N_ ("Send a friend request through a friend card (a globichat://add link)."), cmd_qr_add },
  { NULL, NULL, NULL, NULL },
};
