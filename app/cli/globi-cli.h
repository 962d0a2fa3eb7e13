/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-core.h"

G_BEGIN_DECLS

/* The command-line client's shared state and helpers. Commands live in one file per
 * area (main.c: accounts, friends, groups, messages; globi-cli-qr.c; globi-cli-link.c;
 * globi-cli-wallet.c), each exporting a table that main.c searches. */

/* Exit statuses (docs/cli.md): scripts tell "try again later" from "that was refused". */
enum
{
  GLOBI_CLI_EXIT_OK = 0,
  GLOBI_CLI_EXIT_USAGE = 1,
  GLOBI_CLI_EXIT_REFUSED = 2,
  GLOBI_CLI_EXIT_NETWORK = 3,
  GLOBI_CLI_EXIT_LOCAL = 4,
};

typedef struct
{
  const char *server;
  const char *profile_dir;
  gboolean json;
  GlobiSession *session;
  GMainLoop *loop;
  GAsyncResult *result;
} GlobiCli;

/* argv holds the arguments after the command's words. */
typedef int (*GlobiCliFunc) (GlobiCli *cli, int argc, char **argv);

typedef struct
{
  const char *name;  /* "send" or "wallet balance": one or two words */
  const char *usage; /* shown by --help */
  const char *help;  /* N_()-marked; translated when printed */
  GlobiCliFunc func;
} GlobiCliCommand;

/* Each area's table ends with an entry whose name is NULL. */
extern const GlobiCliCommand globi_cli_qr_commands[];
extern const GlobiCliCommand globi_cli_link_commands[];
extern const GlobiCliCommand globi_cli_wallet_commands[];

/* Output */
void          globi_cli_print_json        (JsonNode         *node);
/* {"MEMBER": value} (or true when value is NULL) */
void          globi_cli_print_simple_json (const char       *member,
                                           const char       *value);
/* {"user": Me, "server_url", "device_id", "credential_backend"} */
void          globi_cli_print_me_json     (GlobiCli         *cli,
                                           gboolean          with_session);
const char   *globi_cli_or_empty          (const char       *s);
char         *globi_cli_format_time       (gint64            unix_ms);

/* Errors: print (as JSON on stderr with --json) and return the exit status. */
int           globi_cli_fail              (GlobiCli         *cli,
                                           int               status,
                                           const char       *code,
                                           const char       *message);
int           globi_cli_usage_error       (GlobiCli         *cli,
                                           const char       *message);
int           globi_cli_fail_with_error   (GlobiCli         *cli,
                                           const GError     *error);

/* Running the core's async operations to completion: pass globi_cli_on_done_cb and the
 * cli as callback and data, then globi_cli_await returns the result (owned). */
void          globi_cli_on_done_cb        (GObject          *object,
                                           GAsyncResult     *result,
                                           gpointer          user_data);
GAsyncResult *globi_cli_await             (GlobiCli         *cli);

/* Options after the command: "--name VALUE" or "--name=VALUE"; removed from argv. */
gboolean      globi_cli_take_option       (int              *argc,
                                           char            **argv,
                                           const char       *name,
                                           const char      **value);

/* A flag after the command ("--yes"): TRUE when present; every occurrence is removed. */
gboolean      globi_cli_take_switch       (int              *argc,
                                           char            **argv,
                                           const char       *name);

/* Secrets come from an environment variable or a prompt on the terminal, never argv. */
char         *globi_cli_get_password      (const char       *env_var,
                                           const char       *prompt,
                                           gboolean          confirm);
void          globi_cli_free_password     (char             *password);
typedef char GlobiCliPassword;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiCliPassword, globi_cli_free_password)

/* Sessions */
const char   *globi_cli_server_for_sign_in (GlobiCli        *cli);
/* Restores the profile's sign-in; GLOBI_CLI_EXIT_OK or an error already printed. */
int           globi_cli_restore            (GlobiCli        *cli);
/* Rotated refresh tokens must be on disk before the process ends. */
void          globi_cli_flush_session      (GlobiCli        *cli);
int           globi_cli_finish_sign_in     (GlobiCli        *cli,
                                            GAsyncResult    *result,
                                            gboolean (*finish) (GlobiSession *,
                                                                GAsyncResult *,
                                                                GError      **));
/* Restores the session and starts a messenger (caught up, no live stream). */
int           globi_cli_open_messenger     (GlobiCli        *cli,
                                            GlobiMessenger **out);
/* Awaits an action that finishes with globi_messenger_finish and reports it. */
int           globi_cli_finish_action      (GlobiCli        *cli,
                                            GlobiMessenger  *messenger,
                                            const char      *json_member,
                                            const char      *text);
/* The chat id for a USERNAME (a contact) or a group ID. */
char         *globi_cli_chat_id_for        (GlobiMessenger  *messenger,
                                            const char      *who,
                                            gboolean         group);

G_END_DECLS
