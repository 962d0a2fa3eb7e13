/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-server-config"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <stddef.h>
#include <string.h>

#include "globi-server-config.h"

typedef enum
{
  KEY_STRING,
  KEY_UINT,   /* guint */
  KEY_UINT64, /* guint64 */
  KEY_SIZE,   /* gsize */
  KEY_LOG_LEVEL,
} KeyType;

/* Every configurable key, once: the file parser, --set, validation and the --help text
 * all read this table, so they cannot drift apart. */
typedef struct
{
  const char *group;
  const char *key;
  KeyType type;
  gsize offset;
  guint64 min;
  guint64 max;
  const char *help;
} KeyInfo;

#define FIELD(f) offsetof (GlobiServerConfig, f)

static const KeyInfo keys[] = {
  { "server", "listen-address", KEY_STRING, FIELD (listen_address), 0, 0,
    N_ ("Address to listen on (127.0.0.1; 0.0.0.0 or :: for every interface)") },
  { "server", "port", KEY_UINT, FIELD (port), 0, 65535,
    N_ ("TCP port (8080; 0 picks a free one)") },
  { "server", "data-dir", KEY_STRING, FIELD (data_dir), 0, 0,
    N_ ("Directory for the database, keys and blobs (required)") },
  { "server", "tls-certificate", KEY_STRING, FIELD (tls_certificate), 0, 0,
    N_ ("PEM certificate; with tls-key the server speaks HTTPS and WSS") },
  { "server", "tls-key", KEY_STRING, FIELD (tls_key), 0, 0,
    N_ ("PEM private key of tls-certificate") },
  { "server", "issuer", KEY_STRING, FIELD (issuer), 0, 0,
    N_ ("Public base URL, used as the JWT issuer (default: the listening URL)") },
  { "server", "log-level", KEY_LOG_LEVEL, FIELD (log_level), 0, 0,
    N_ ("error, warning, message, info or debug (message)") },
  { "auth", "access-token-lifetime", KEY_UINT, FIELD (access_token_lifetime), 60, 86400,
    N_ ("Access token lifetime in seconds (900)") },
  { "auth", "argon2-opslimit", KEY_UINT64, FIELD (argon2_opslimit), crypto_pwhash_OPSLIMIT_MIN,
    crypto_pwhash_OPSLIMIT_MAX, N_ ("Argon2id passes (libsodium interactive level: 2)") },
  { "auth", "argon2-memlimit", KEY_SIZE, FIELD (argon2_memlimit), crypto_pwhash_MEMLIMIT_MIN,
    G_GUINT64_CONSTANT (1) << 32, N_ ("Argon2id memory in bytes (67108864)") },
  { "limits", "max-body-bytes", KEY_SIZE, FIELD (max_body_bytes), 1024, 64 << 20,
    N_ ("Largest JSON request body in bytes (65536)") },
  { "limits", "max-avatar-bytes", KEY_SIZE, FIELD (max_avatar_bytes), 1024, 64 << 20,
    N_ ("Largest avatar upload in bytes (5242880)") },
  { "limits", "max-image-side", KEY_UINT, FIELD (max_image_side), 16, 16384,
    N_ ("Largest image width or height in pixels (4096)") },
  { "limits", "signin-failures-per-account", KEY_UINT, FIELD (signin_failures_per_account), 1,
    100000, N_ ("Failed sign-ins allowed per account in a window (5)") },
  { "limits", "signin-failures-per-address", KEY_UINT, FIELD (signin_failures_per_address), 1,
    100000, N_ ("Failed sign-ins allowed per client address in a window (20)") },
  { "limits", "signin-window-seconds", KEY_UINT, FIELD (signin_window_seconds), 1, 86400,
    N_ ("Length of the sign-in failure window in seconds (900)") },
  { "limits", "registrations-per-address", KEY_UINT, FIELD (registrations_per_address), 1, 100000,
    N_ ("Registrations allowed per client address per hour (10)") },
  { "limits", "max-connections", KEY_UINT, FIELD (max_connections), 1, 1000000,
    N_ ("Simultaneous client connections (10000)") },
  { "limits", "envelope-retention-days", KEY_UINT, FIELD (envelope_retention_days), 1, 3650,
    N_ ("Days an unacknowledged event is kept for its device (30)") },
  { "limits", "max-attachment-bytes", KEY_SIZE, FIELD (max_attachment_bytes), 1024,
    G_GUINT64_CONSTANT (1) << 32, N_ ("Largest encrypted attachment in bytes (26214400)") },
  { "limits", "shutdown-timeout-seconds", KEY_UINT, FIELD (shutdown_timeout_seconds), 0, 3600,
    N_ ("How long SIGTERM waits for requests in flight, in seconds (10)") },
  { "wallet", "rates-url", KEY_STRING, FIELD (rates_url), 0, 0,
    N_ ("URL of an ECB-format euro reference-rate feed (none: the built-in snapshot)") },
  { "wallet", "rates-refresh-minutes", KEY_UINT, FIELD (rates_refresh_minutes), 1, 10080,
    N_ ("How often the rates feed is fetched, in minutes (60)") },
};

static const char *const log_levels[] = { "error", "warning", "message", "info", "debug", NULL };

static const KeyInfo *
find_key (const char *group, const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_equal (keys[i].group, group) && g_str_equal (keys[i].key, key))
      return &keys[i];
  return NULL;
}

static gboolean
group_is_known (const char *group)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_equal (keys[i].group, group))
      return TRUE;
  return FALSE;
}

static gpointer
field_of (GlobiServerConfig *config, const KeyInfo *info)
{
  return (char *) config + info->offset;
}

static guint64
get_number (const GlobiServerConfig *config, const KeyInfo *info)
{
  gconstpointer field = (const char *) config + info->offset;

  switch (info->type)
    {
      case KEY_UINT:
        return *(const guint *) field;
      case KEY_UINT64:
        return *(const guint64 *) field;
      case KEY_SIZE:
        return *(const gsize *) field;
      case KEY_STRING:
      case KEY_LOG_LEVEL:
      default:
        g_assert_not_reached ();
    }
  return 0;
}

/* Parses value into the field described by info; errors name the key as "[group] key". */
static gboolean
set_value (GlobiServerConfig *config,
           const KeyInfo *info,
           const char *value,
           GQuark error_domain,
           int error_code,
           GError **error)
{
  g_autoptr (GError) local_error = NULL;
  guint64 number = 0;

  switch (info->type)
    {
      case KEY_LOG_LEVEL:
        if (!g_strv_contains (log_levels, value))
          {
            g_set_error (error, error_domain, error_code,
                         _ ("[%s] %s: “%s” is not one of error, warning, message, info, debug"),
                         info->group, info->key, value);
            return FALSE;
          }
        G_GNUC_FALLTHROUGH;
      case KEY_STRING:
        {
          char **field = field_of (config, info);

          g_free (*field);
          /* An empty value means "unset", so a file can clear a default such as issuer. */
          *field = *value != '\0' ? g_strdup (value) : NULL;
          return TRUE;
        }
      case KEY_UINT:
      case KEY_UINT64:
      case KEY_SIZE:
        if (!g_ascii_string_to_unsigned (value, 10, info->min, info->max, &number, &local_error))
          {
            g_set_error (error, error_domain, error_code, _ ("[%s] %s: %s"), info->group, info->key,
                         local_error->message);
            return FALSE;
          }
        if (info->type == KEY_UINT)
          *(guint *) field_of (config, info) = (guint) number;
        else if (info->type == KEY_UINT64)
          *(guint64 *) field_of (config, info) = number;
        else
          *(gsize *) field_of (config, info) = (gsize) number;
        return TRUE;
      default:
        g_assert_not_reached ();
    }
}

GlobiServerConfig *
globi_server_config_new (void)
{
  GlobiServerConfig *config = g_new0 (GlobiServerConfig, 1);

  config->listen_address = g_strdup ("127.0.0.1");
  config->port = 8080;
  config->log_level = g_strdup ("message");
  config->access_token_lifetime = 900;
  config->argon2_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  config->argon2_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  config->max_body_bytes = 65536;
  config->max_avatar_bytes = 5 * 1024 * 1024;
  config->max_image_side = 4096;
  config->signin_failures_per_account = 5;
  config->signin_failures_per_address = 20;
  config->signin_window_seconds = 900;
  config->registrations_per_address = 10;
  config->max_connections = 10000;
  config->shutdown_timeout_seconds = 10;
  config->envelope_retention_days = 30;
  config->max_attachment_bytes = 25 * 1024 * 1024;
  config->rates_refresh_minutes = 60;
  return config;
}

GlobiServerConfig *
globi_server_config_copy (const GlobiServerConfig *config)
{
  GlobiServerConfig *copy;

  g_return_val_if_fail (config != NULL, NULL);

  copy = g_memdup2 (config, sizeof *config);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (keys[i].type == KEY_STRING || keys[i].type == KEY_LOG_LEVEL)
      {
        char **field = field_of (copy, &keys[i]);

        *field = g_strdup (*field);
      }
  return copy;
}

void
globi_server_config_free (GlobiServerConfig *config)
{
  if (config == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (keys[i].type == KEY_STRING || keys[i].type == KEY_LOG_LEVEL)
      g_free (*(char **) field_of (config, &keys[i]));
  g_free (config);
}

gboolean
globi_server_config_load_file (GlobiServerConfig *config, const char *path, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_auto (GStrv) groups = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return FALSE;

  groups = g_key_file_get_groups (file, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_auto (GStrv) names = NULL;

      /* A typo must not silently leave a limit at its default. */
      if (!group_is_known (groups[g]))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                       _ ("%s: unknown group [%s]"), path, groups[g]);
          return FALSE;
        }
      names = g_key_file_get_keys (file, groups[g], NULL, NULL);
      for (guint k = 0; names[k] != NULL; k++)
        {
          const KeyInfo *info = find_key (groups[g], names[k]);
          g_autofree char *value = NULL;
          g_autoptr (GError) local_error = NULL;

          if (info == NULL)
            {
              g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                           _ ("%s: unknown key “%s” in [%s]"), path, names[k], groups[g]);
              return FALSE;
            }
          /* GLib returns a string for a bad escape ("\e") and sets the error as well, so
           * the error, not the string, says whether this worked. */
          value = g_key_file_get_string (file, groups[g], names[k], &local_error);
          if (local_error != NULL)
            {
              g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", path);
              return FALSE;
            }
          g_strstrip (value);
          if (!set_value (config, info, value, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                          error))
            {
              g_prefix_error (error, "%s: ", path);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* "host:port", "[v6]:port", "host" or ":port". */
static gboolean
apply_listen (GlobiServerConfig *config, const char *listen, GError **error)
{
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  const KeyInfo *port_info = find_key ("server", "port");

  if (listen[0] == '[')
    {
      const char *close = strchr (listen, ']');

      if (close == NULL || (close[1] != '\0' && close[1] != ':') || close == listen + 1)
        goto bad;
      host = g_strndup (listen + 1, close - listen - 1);
      port_text = close[1] == ':' ? close + 2 : NULL;
    }
  else
    {
      const char *colon = strrchr (listen, ':');

      /* More than one colon and no brackets: a bare IPv6 address without a port. */
      if (colon != NULL && strchr (listen, ':') == colon)
        {
          host = g_strndup (listen, colon - listen);
          port_text = colon + 1;
        }
      else
        host = g_strdup (listen);
    }

  if (*host != '\0')
    {
      g_free (config->listen_address);
      config->listen_address = g_steal_pointer (&host);
    }
  if (port_text != NULL &&
      !set_value (config, port_info, port_text, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, error))
    return FALSE;
  return TRUE;

bad:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _ ("--listen: “%s” is not HOST:PORT"), listen);
  return FALSE;
}

static gboolean
apply_set (GlobiServerConfig *config, const char *assignment, GError **error)
{
  const char *dot = strchr (assignment, '.');
  const char *equals = strchr (assignment, '=');
  g_autofree char *group = NULL;
  g_autofree char *key = NULL;
  const KeyInfo *info;

  if (dot == NULL || equals == NULL || equals < dot)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--set: “%s” is not GROUP.KEY=VALUE"), assignment);
      return FALSE;
    }
  group = g_strndup (assignment, dot - assignment);
  key = g_strndup (dot + 1, equals - dot - 1);
  info = find_key (group, key);
  if (info == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--set: unknown key “%s” in [%s]"), key, group);
      return FALSE;
    }
  return set_value (config, info, equals + 1, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, error);
}

static char *
describe_config_file (void)
{
  GString *text = g_string_new (NULL);
  const char *group = NULL;

  g_string_append (text, _ ("The configuration file (--config) is a key file with these groups "
                            "and keys; command-line options override it:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      if (g_strcmp0 (group, keys[i].group) != 0)
        {
          group = keys[i].group;
          g_string_append_printf (text, "\n  [%s]\n", group);
        }
      g_string_append_printf (text, "  %-30s %s\n", keys[i].key, _ (keys[i].help));
    }
  g_string_append (text, _ ("\nAny key can also be given as --set GROUP.KEY=VALUE.\n"));
  return g_string_free (text, FALSE);
}

gboolean
globi_server_config_parse_args (GlobiServerConfig *config, int *argc, char ***argv, GError **error)
{
  g_autofree char *config_path = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *log_level = NULL;
  g_autofree char *rates_url = NULL;
  g_autofree char *description = describe_config_file ();
  g_auto (GStrv) assignments = NULL;
  int port = -1;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      N_ ("Read settings from FILE (applied before the other options)"), N_ ("FILE") },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      N_ ("Listen on HOST:PORT, [IPv6]:PORT or HOST"), N_ ("HOST:PORT") },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, N_ ("Listen on PORT (0: any free port)"),
      N_ ("PORT") },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_ ("Keep the database, keys and blobs in DIR (required)"), N_ ("DIR") },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_ ("Same as --data"), N_ ("DIR") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
      N_ ("Serve HTTPS and WSS with this PEM certificate (needs --tls-key)"), N_ ("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, N_ ("PEM private key of --tls-cert"),
      N_ ("FILE") },
    { "issuer", 0, 0, G_OPTION_ARG_STRING, &issuer,
      N_ ("Public base URL, used as the access tokens' issuer"), N_ ("URL") },
    { "log-level", 0, 0, G_OPTION_ARG_STRING, &log_level,
      N_ ("error, warning, message, info or debug"), N_ ("LEVEL") },
    { "rates-url", 0, 0, G_OPTION_ARG_STRING, &rates_url,
      N_ ("Fetch currency rates from this ECB-format feed"), N_ ("URL") },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &assignments,
      N_ ("Set any configuration key (repeatable)"), N_ ("GROUP.KEY=VALUE") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (argc != NULL && argv != NULL, FALSE);

  g_option_context_set_summary (context,
                                _ ("The GlobiChat server: accounts, profiles and messages over "
                                   "HTTP and WebSocket, with its data in one directory.\n\n"
                                   "“globichat-server audit --data DIR” checks every GlobiPay "
                                   "ledger invariant in DIR's database (read-only) and exits "
                                   "non-zero naming each violation."));
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  /* The file first, so anything on the command line overrides it. */
  if (config_path != NULL && !globi_server_config_load_file (config, config_path, error))
    return FALSE;

  for (guint i = 0; assignments != NULL && assignments[i] != NULL; i++)
    if (!apply_set (config, assignments[i], error))
      return FALSE;

  if (listen != NULL && !apply_listen (config, listen, error))
    return FALSE;
  if (port != -1)
    {
      g_autofree char *port_text = g_strdup_printf ("%d", port);

      if (!set_value (config, find_key ("server", "port"), port_text, G_OPTION_ERROR,
                      G_OPTION_ERROR_BAD_VALUE, error))
        return FALSE;
    }

  {
    /* Each option and the key it stands for. */
    const struct
    {
      const char *value;
      const char *key;
    } plain[] = {
      { data_dir, "data-dir" }, { tls_cert, "tls-certificate" }, { tls_key, "tls-key" },
      { issuer, "issuer" },     { log_level, "log-level" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (plain); i++)
      if (plain[i].value != NULL &&
          !set_value (config, find_key ("server", plain[i].key), plain[i].value, G_OPTION_ERROR,
                      G_OPTION_ERROR_BAD_VALUE, error))
        return FALSE;
  }
  if (rates_url != NULL && !set_value (config, find_key ("wallet", "rates-url"), rates_url,
                                       G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, error))
    return FALSE;

  return TRUE;
}

gboolean
globi_server_config_validate (const GlobiServerConfig *config, GError **error)
{
  g_return_val_if_fail (config != NULL, FALSE);

  if (config->data_dir == NULL || *config->data_dir == '\0')
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _ ("A data directory is required (--data DIR or [server] data-dir)"));
      return FALSE;
    }
  if (config->listen_address == NULL || *config->listen_address == '\0')
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _ ("A listen address is required ([server] listen-address)"));
      return FALSE;
    }
  if ((config->tls_certificate == NULL) != (config->tls_key == NULL))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _ ("A TLS certificate and its key go together: give both or neither"));
      return FALSE;
    }
  if (config->issuer != NULL && !g_str_has_prefix (config->issuer, "https://") &&
      !g_str_has_prefix (config->issuer, "http://"))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _ ("[server] issuer must be an http:// or https:// URL"));
      return FALSE;
    }
  if (config->log_level == NULL || !g_strv_contains (log_levels, config->log_level))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _ ("[server] log-level must be error, warning, message, info or debug"));
      return FALSE;
    }
  /* Numbers set in code (the embedded server, tests) get the same ranges as parsed ones. */
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      guint64 value;

      if (keys[i].type == KEY_STRING || keys[i].type == KEY_LOG_LEVEL)
        continue;
      value = get_number (config, &keys[i]);
      if (value < keys[i].min || value > keys[i].max)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _ ("[%s] %s must be between %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT),
                       keys[i].group, keys[i].key, keys[i].min, keys[i].max);
          return FALSE;
        }
    }
  return TRUE;
}
