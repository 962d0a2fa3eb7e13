/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-ui-util"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-error.h"
#include "globi-ui-util.h"

gboolean
globi_ui_set_str (char **dest, const char *value)
{
  char *copy = NULL;

  if (*dest == value || g_strcmp0 (*dest, value) == 0)
    return FALSE;
  copy = g_strdup (value);
  g_free (*dest);
  *dest = copy;
  return TRUE;
}

static const char *
field_label (const char *field)
{
  static const struct
  {
    const char *wire;
    const char *label;
  } fields[] = {
    { "username", N_ ("Username") },
    { "password", N_ ("Password") },
    { "new_password", N_ ("New password") },
    { "display_name", N_ ("Display name") },
    { "bio", N_ ("Bio") },
    { "region", N_ ("Region") },
    { "preferred_currency", N_ ("Currency") },
    { "language", N_ ("Language") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (fields[i].wire, field))
      return _ (fields[i].label);
  return NULL;
}

/* The server's invalid_field messages start with the wire name of the field: show the
 * field's name from the form instead. */
static char *
describe_invalid_field (const char *message)
{
  const char *colon = strchr (message, ':');
  g_autofree char *field = NULL;
  const char *label = NULL;

  if (!colon)
    return g_strdup (message);
  field = g_strndup (message, colon - message);
  label = field_label (field);
  if (!label)
    return g_strdup (message);
  return g_strdup_printf ("%s:%s", label, colon + 1);
}

/* The wait comes as a number of seconds in the message ("try again in 840 seconds"),
 * when the server or the core says it. */
static char *
describe_rate_limit (const char *message)
{
  const char *digits = message;
  guint64 seconds = 0;

  while (*digits && !g_ascii_isdigit (*digits))
    digits++;
  if (*digits)
    seconds = g_ascii_strtoull (digits, NULL, 10);
  if (seconds == 0)
    return g_strdup (_ ("Too many attempts. Wait a few minutes, then try again."));
  if (seconds < 60)
    return g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "Too many attempts. Try again in %u second.",
                     "Too many attempts. Try again in %u seconds.", (gulong) seconds),
        (guint) seconds);
  seconds = (seconds + 59) / 60;
  return g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "Too many attempts. Try again in %u minute.",
                   "Too many attempts. Try again in %u minutes.", (gulong) seconds),
      (guint) seconds);
}

char *
globi_ui_describe_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NULL;
  if (error->domain != GLOBI_ERROR)
    return g_strdup (error->message);

  switch ((GlobiErrorCode) error->code)
    {
      case GLOBI_ERROR_NETWORK:
        return g_strdup (_ ("Couldn’t reach the server. Check the address and your connection."));
      case GLOBI_ERROR_CONFLICT:
        return g_strdup (_ ("This username is taken. Try another one."));
      case GLOBI_ERROR_INVALID_CREDENTIALS:
        return g_strdup (_ ("Wrong username or password"));
      case GLOBI_ERROR_UNAUTHORIZED:
      case GLOBI_ERROR_TOKEN_REUSED:
        return g_strdup (_ ("You were signed out. Sign in again."));
      case GLOBI_ERROR_RATE_LIMITED:
        return describe_rate_limit (error->message);
      case GLOBI_ERROR_INVALID_FIELD:
      case GLOBI_ERROR_BAD_REQUEST:
        return describe_invalid_field (error->message);
      case GLOBI_ERROR_TOO_LARGE:
        return g_strdup (_ ("The picture is too large"));
      case GLOBI_ERROR_UNSUPPORTED_MEDIA:
        return g_strdup (_ ("This kind of picture isn’t supported. Try a PNG or JPEG."));
      case GLOBI_ERROR_UNAVAILABLE:
        return g_strdup (_ ("The server is busy or restarting. Try again in a moment."));
      case GLOBI_ERROR_NOT_FOUND:
        return g_strdup (_ ("Not found"));
      case GLOBI_ERROR_FORBIDDEN:
        return g_strdup (_ ("You aren’t allowed to do that"));
      case GLOBI_ERROR_INTERNAL:
      case GLOBI_ERROR_METHOD_NOT_ALLOWED:
      default:
        return g_strdup (_ ("The server had a problem. Try again later."));
    }
}

/* Languages are named in themselves, so people find theirs whatever the interface says. */
static const struct
{
  const char *tag;
  const char *autonym;
} languages[] = {
  { "en", "English" },
  { "zh-CN", "中文（简体）" },
  { "zh-TW", "中文（繁體）" },
  { "es", "Español" },
  { "fr", "Français" },
  { "de", "Deutsch" },
  { "pt-BR", "Português (Brasil)" },
  { "ja", "日本語" },
  { "ko", "한국어" },
  { "ru", "Русский" },
  { "ar", "العربية" },
  { "hi", "हिन्दी" },
  { "it", "Italiano" },
  { "tr", "Türkçe" },
  { "vi", "Tiếng Việt" },
};

guint
globi_ui_n_languages (void)
{
  return G_N_ELEMENTS (languages);
}

const char *
globi_ui_language_tag (guint index)
{
  g_return_val_if_fail (index < G_N_ELEMENTS (languages), NULL);
  return languages[index].tag;
}

const char *
globi_ui_language_name (guint index)
{
  g_return_val_if_fail (index < G_N_ELEMENTS (languages), NULL);
  return languages[index].autonym;
}

const char *
globi_ui_language_name_for (const char *tag)
{
  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    if (tag && g_ascii_strcasecmp (languages[i].tag, tag) == 0)
      return languages[i].autonym;
  return tag;
}

char *
globi_ui_describe_failure (const char *what, const GError *error)
{
  g_autofree char *reason = globi_ui_describe_error (error);

  if (!reason)
    return NULL;
  /* Translators: a failed action, then why: "Couldn't save: the server can't be reached" */
  return g_strdup_printf (_ ("%s: %s"), what, reason);
}

AdwToast *
globi_ui_toast_new (const char *title)
{
  g_autofree char *markup = g_markup_escape_text (title, -1);
  AdwToast *toast = adw_toast_new (markup);

  adw_toast_set_timeout (toast, 4);
  return toast;
}

char *
globi_ui_format_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) local = NULL;

  if (unix_ms <= 0)
    return g_strdup (_ ("Unknown"));
  utc = g_date_time_new_from_unix_utc (unix_ms / 1000);
  if (!utc)
    return g_strdup (_ ("Unknown"));
  local = g_date_time_to_local (utc);
  /* %c: the locale's own date and time format. */
  return g_date_time_format (local, "%c");
}

static GDateTime *
local_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (unix_ms / 1000);

  return utc ? g_date_time_to_local (utc) : NULL;
}

/* Days between the local dates of then and now (0 today, 1 yesterday). */
static int
days_ago (GDateTime *then)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) today = NULL;
  g_autoptr (GDateTime) day = NULL;

  today = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                 g_date_time_get_day_of_month (now), 0, 0, 0);
  day = g_date_time_new_local (g_date_time_get_year (then), g_date_time_get_month (then),
                               g_date_time_get_day_of_month (then), 0, 0, 0);
  /* Rounded: a day with a daylight-saving change is 23 or 25 hours long. */
  return (int) ((g_date_time_difference (today, day) + G_TIME_SPAN_HOUR * 12) / G_TIME_SPAN_DAY);
}

char *
globi_ui_format_clock (gint64 unix_ms)
{
  g_autoptr (GDateTime) local = local_time (unix_ms);

  /* %X would add seconds; %H:%M (or %l:%M %p) is what clocks show. */
  return local ? g_date_time_format (local, _ ("%H:%M")) : g_strdup ("");
}

char *
globi_ui_format_list_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) local = local_time (unix_ms);
  int days = 0;

  if (!local)
    return g_strdup ("");
  days = days_ago (local);
  if (days <= 0)
    return globi_ui_format_clock (unix_ms);
  if (days == 1)
    return g_strdup (_ ("Yesterday"));
  if (days < 7)
    return g_date_time_format (local, "%A");
  return g_date_time_format (local, "%x");
}

char *
globi_ui_format_day (gint64 unix_ms)
{
  g_autoptr (GDateTime) local = local_time (unix_ms);
  int days = 0;

  if (!local)
    return g_strdup ("");
  days = days_ago (local);
  if (days <= 0)
    return g_strdup (_ ("Today"));
  if (days == 1)
    return g_strdup (_ ("Yesterday"));
  /* The weekday with the locale's date, e.g. "Monday 23/11/2026". */
  return g_date_time_format (local, _ ("%A %x"));
}

gboolean
globi_ui_same_day (gint64 a_ms, gint64 b_ms)
{
  g_autoptr (GDateTime) a = local_time (a_ms);
  g_autoptr (GDateTime) b = local_time (b_ms);

  if (!a || !b)
    return FALSE;
  return g_date_time_get_year (a) == g_date_time_get_year (b) &&
         g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

#define AVATAR_HASH_KEY "globi-avatar-hash"

typedef struct
{
  AdwAvatar *avatar;
  char *hash;
} AvatarRequest;

static void
avatar_request_free (AvatarRequest *request)
{
  g_object_unref (request->avatar);
  g_free (request->hash);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarRequest, avatar_request_free)

static void
on_avatar_blob_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (AvatarRequest) request = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = globi_client_fetch_blob_finish (GLOBI_CLIENT (object), result, &error);
  g_autoptr (GdkTexture) texture = NULL;
  const char *wanted = g_object_get_data (G_OBJECT (request->avatar), AVATAR_HASH_KEY);

  if (!bytes)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not fetch an avatar: %s", error->message);
      return;
    }
  /* A newer request replaced this one while it was in flight. */
  if (g_strcmp0 (wanted, request->hash) != 0)
    return;
  texture = gdk_texture_new_from_bytes (bytes, &error);
  if (!texture)
    {
      g_debug ("Could not decode an avatar: %s", error->message);
      return;
    }
  adw_avatar_set_custom_image (request->avatar, GDK_PAINTABLE (texture));
}

void
globi_ui_set_avatar_image (AdwAvatar *avatar, GlobiSession *session, const char *hash)
{
  AvatarRequest *request = NULL;

  g_return_if_fail (ADW_IS_AVATAR (avatar));
  g_return_if_fail (GLOBI_IS_SESSION (session));

  if (g_strcmp0 (hash, g_object_get_data (G_OBJECT (avatar), AVATAR_HASH_KEY)) == 0)
    return;
  g_object_set_data_full (G_OBJECT (avatar), AVATAR_HASH_KEY, g_strdup (hash), g_free);
  if (!hash)
    {
      adw_avatar_set_custom_image (avatar, NULL);
      return;
    }
  request = g_new0 (AvatarRequest, 1);
  request->avatar = g_object_ref (avatar);
  request->hash = g_strdup (hash);
  globi_client_fetch_blob_async (globi_session_get_client (session), hash, NULL, on_avatar_blob_cb,
                                 request);
}
