/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Everything an operator can set, from defaults, then a GKeyFile, then command-line
 * options (later wins). A plain struct: it is read by many modules and never changes
 * after the server starts. `globichat-server --help` and docs/deploy.md list every key. */
typedef struct
{
  /* [server] */
  char    *listen_address;          /* "127.0.0.1" */
  guint    port;                    /* 8080; 0 = ephemeral (tests) */
  char    *data_dir;                /* NULL = in-memory-ish temp dir is not allowed: required */
  char    *tls_certificate;         /* PEM file; with tls_key, serve HTTPS and WSS */
  char    *tls_key;
  char    *issuer;                  /* JWT iss; NULL = the base URL */
  char    *log_level;               /* "error" "warning" "message" "info" "debug" */
  /* [auth] */
  guint    access_token_lifetime;   /* seconds, 900 */
  guint64  argon2_opslimit;         /* crypto_pwhash_OPSLIMIT_INTERACTIVE */
  gsize    argon2_memlimit;         /* crypto_pwhash_MEMLIMIT_INTERACTIVE */
  /* [limits] */
  gsize    max_body_bytes;          /* 65536 */
  gsize    max_avatar_bytes;        /* 5 MiB */
  guint    max_image_side;          /* 4096 */
  guint    signin_failures_per_account; /* 5 per window */
  guint    signin_failures_per_address; /* 20 per window */
  guint    signin_window_seconds;   /* 900 */
  guint    registrations_per_address; /* 10 per hour */
  guint    max_connections;         /* 10000 */
  guint    shutdown_timeout_seconds; /* 10: how long SIGTERM waits for in-flight requests */
  guint    envelope_retention_days; /* 30: unacknowledged events are dropped after this */
  gsize    max_attachment_bytes;    /* 25 MiB: POST /v1/attachments body limit */
  /* [wallet] */
  char    *rates_url;               /* ECB-format rates feed; NULL: the built-in snapshot only */
  guint    rates_refresh_minutes;   /* 60 */
} GlobiServerConfig;

GlobiServerConfig *globi_server_config_new        (void);
GlobiServerConfig *globi_server_config_copy       (const GlobiServerConfig  *config);
void               globi_server_config_free       (GlobiServerConfig        *config);
/* Unknown groups or keys and malformed values are errors naming the key. */
gboolean           globi_server_config_load_file  (GlobiServerConfig        *config,
                                                   const char               *path,
                                                   GError                  **error);
/* Parses the command line (including --config FILE, applied before the other options)
 * into config. Leaves the remaining arguments (a subcommand) in argv. */
gboolean           globi_server_config_parse_args (GlobiServerConfig        *config,
                                                   int                      *argc,
                                                   char                   ***argv,
                                                   GError                  **error);
gboolean           globi_server_config_validate   (const GlobiServerConfig  *config,
                                                   GError                  **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiServerConfig, globi_server_config_free)

G_END_DECLS
