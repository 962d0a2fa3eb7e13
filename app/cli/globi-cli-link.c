/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globichat-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "globi-cli.h"
#include "globi-device-link.h"

/* Device linking: docs/cli.md "Linking a device". */

#define MAX_TIMEOUT_S (24 * 3600)

typedef struct
{
  GlobiCli *cli;
  GMainLoop *loop;
  gboolean timed_out;
  guint timeout_id;
} Waiter;

static void
on_uri_cb (GlobiDeviceLink *link, GParamSpec *pspec, Waiter *waiter)
{
  const char *uri = globi_device_link_get_uri (link);

  if (!uri)
    return;
  /* One code per line, the first one first: scripts read the code from the first line. */
  if (waiter->cli->json)
    globi_cli_print_simple_json ("uri", uri);
  else
    g_print ("%s\n", uri);
  fflush (stdout);
}

static void
on_state_cb (GlobiDeviceLink *link, GParamSpec *pspec, Waiter *waiter)
{
  GlobiProfile *scanner = globi_device_link_get_scanner (link);

  switch (globi_device_link_get_state (link))
    {
      case GLOBI_DEVICE_LINK_STATE_SCANNED:
        /* Progress goes to stderr so that stdout carries only codes and the result. */
        if (scanner)
          g_printerr (_ ("Scanned by %s (%s): confirm on your other device\n"),
                      globi_profile_get_display_name (scanner),
                      globi_profile_get_username (scanner));
        break;
      case GLOBI_DEVICE_LINK_STATE_APPROVED:
        g_printerr (_ ("Approved: signing in…\n"));
        break;
      case GLOBI_DEVICE_LINK_STATE_SIGNED_IN:
      case GLOBI_DEVICE_LINK_STATE_DECLINED:
      case GLOBI_DEVICE_LINK_STATE_EXPIRED:
      case GLOBI_DEVICE_LINK_STATE_FAILED:
        g_main_loop_quit (waiter->loop);
        break;
      case GLOBI_DEVICE_LINK_STATE_IDLE:
      case GLOBI_DEVICE_LINK_STATE_WAITING:
      default:
        break;
    }
}

static gboolean
on_timeout_cb (gpointer user_data)
{
  Waiter *waiter = user_data;

  waiter->timed_out = TRUE;
  waiter->timeout_id = 0;
  g_main_loop_quit (waiter->loop);
  return G_SOURCE_REMOVE;
}

static int
cmd_link_request (GlobiCli *cli, int argc, char **argv)
{
  const char *device_name = NULL;
  const char *timeout_text = NULL;
  const char *server;
  guint64 timeout_s = 0;
  g_autoptr (GlobiDeviceLink) link = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Waiter waiter = { cli, loop, FALSE, 0 };

  globi_cli_take_option (&argc, argv, "--device-name", &device_name);
  globi_cli_take_option (&argc, argv, "--timeout", &timeout_text);
  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("link request takes no arguments"));
  if (timeout_text &&
      (!g_ascii_string_to_unsigned (timeout_text, 10, 1, MAX_TIMEOUT_S, &timeout_s, NULL)))
    return globi_cli_usage_error (cli, _ ("--timeout takes a number of seconds (1–86400)"));
  if (device_name && (g_utf8_strlen (device_name, -1) < 1 || g_utf8_strlen (device_name, -1) > 64))
    return globi_cli_usage_error (cli, _ ("--device-name takes 1–64 characters"));
  if ((server = globi_cli_server_for_sign_in (cli)) == NULL)
    return globi_cli_usage_error (cli, _ ("Which server? Give --server URL"));

  link = globi_device_link_new (cli->session, server, device_name);
  /* With a timeout the codes keep coming until it runs out. */
  if (timeout_s > 0)
    {
      globi_device_link_set_max_refreshes (link, G_MAXUINT);
      waiter.timeout_id = g_timeout_add_seconds ((guint) timeout_s, on_timeout_cb, &waiter);
    }
  g_signal_connect (link, "notify::uri", G_CALLBACK (on_uri_cb), &waiter);
  g_signal_connect (link, "notify::state", G_CALLBACK (on_state_cb), &waiter);
  globi_device_link_start (link);
  g_main_loop_run (loop);
  g_clear_handle_id (&waiter.timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (link, &waiter);
  globi_device_link_cancel (link);

  switch (waiter.timed_out ? GLOBI_DEVICE_LINK_STATE_EXPIRED : globi_device_link_get_state (link))
    {
      case GLOBI_DEVICE_LINK_STATE_SIGNED_IN:
        globi_cli_flush_session (cli);
        if (cli->json)
          globi_cli_print_me_json (cli, TRUE);
        else
          g_print (_ ("Signed in as %s on %s\n"),
                   globi_profile_get_username (globi_session_get_me (cli->session)),
                   globi_session_get_server_url (cli->session));
        return GLOBI_CLI_EXIT_OK;
      case GLOBI_DEVICE_LINK_STATE_DECLINED:
        return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, "declined",
                               _ ("The other device declined"));
      case GLOBI_DEVICE_LINK_STATE_FAILED:
        return globi_cli_fail (cli, GLOBI_CLI_EXIT_NETWORK, "failed",
                               globi_device_link_get_error_message (link));
      case GLOBI_DEVICE_LINK_STATE_EXPIRED:
      default:
        return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, "expired",
                               _ ("The code expired before a device approved it"));
    }
}

static int
cmd_link_approve (GlobiCli *cli, int argc, char **argv)
{
  gboolean decline = FALSE;
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) ticket = NULL;
  g_autoptr (GlobiLinkCode) code = NULL;
  JsonObject *device;
  const char *uri;
  int status;

  decline = globi_cli_take_switch (&argc, argv, "--decline");
  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("link approve takes one URI"));
  uri = argv[0];
  code = globi_link_code_parse (uri, &error);
  if (!code)
    return globi_cli_fail_with_error (cli, error);

  if (decline)
    {
      if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
        return status;
      globi_device_link_decline_async (cli->session, uri, NULL, globi_cli_on_done_cb, cli);
      result = globi_cli_await (cli);
      globi_cli_flush_session (cli);
      if (!globi_device_link_decline_finish (cli->session, result, &error))
        return globi_cli_fail_with_error (cli, error);
      if (cli->json)
        globi_cli_print_simple_json ("declined", NULL);
      else
        g_print (_ ("Declined\n"));
      return GLOBI_CLI_EXIT_OK;
    }

  /* The history sent along is the cache's: bring it up to date first. */
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_messenger_sync_async (messenger, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  {
    g_autoptr (GPtrArray) synced = globi_messenger_sync_finish (messenger, result, NULL);
  }
  g_clear_object (&result);

  globi_device_link_scan_async (cli->session, uri, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  ticket = globi_device_link_scan_finish (cli->session, result, &error);
  g_clear_object (&result);
  if (!ticket)
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  device = json_object_get_object_member (ticket, "device");
  globi_device_link_approve_async (cli->session, messenger, uri, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  globi_cli_flush_session (cli);
  if (!globi_device_link_approve_finish (cli->session, result, &error))
    return globi_cli_fail_with_error (cli, error);
  if (cli->json)
    globi_cli_print_simple_json ("approved", json_object_get_string_member (device, "name"));
  else
    g_print (_ ("Approved “%s” (%s)\n"), json_object_get_string_member (device, "name"),
             json_object_get_string_member (device, "platform"));
  return GLOBI_CLI_EXIT_OK;
}

const GlobiCliCommand globi_cli_link_commands[] = {
  { "link request", "link request [--device-name NAME] [--timeout SECONDS]",
    N_ ("Log this profile in by QR: prints a globichat://link URI (one per line as it is "
        "refreshed) and waits until a signed-in device approves it"),
    cmd_link_request },
  { "link approve", "link approve URI [--decline]",
    N_ ("Approve (or decline) the device that shows the link URI; it joins this account and "
        "receives the recent history"),
    cmd_link_approve },
  { NULL, NULL, NULL, NULL },
};
