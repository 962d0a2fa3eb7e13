/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-code"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "globi-code.h"
#include "globi-id.h"

#define MAX_PARAMS 32

static const char *const sections[] = { "chats", "contacts", "moments", "wallet", "me", NULL };

G_DEFINE_QUARK (globi - qr - error - quark, globi_qr_error)
G_DEFINE_BOXED_TYPE (GlobiCode, globi_code, globi_code_copy, globi_code_free)

static GlobiCode *
code_new (GlobiCodeKind kind, const char *text)
{
  GlobiCode *code = g_new0 (GlobiCode, 1);

  code->kind = kind;
  code->text = g_strdup (text);
  return code;
}

GlobiCode *
globi_code_copy (const GlobiCode *code)
{
  GlobiCode *copy = NULL;

  g_return_val_if_fail (code != NULL, NULL);

  copy = code_new (code->kind, code->text);
  copy->section = g_strdup (code->section);
  copy->user_id = g_strdup (code->user_id);
  copy->card = g_strdup (code->card);
  copy->group_id = g_strdup (code->group_id);
  copy->token = g_strdup (code->token);
  if (code->params)
    {
      GHashTableIter iter;
      gpointer key, value;

      copy->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_iter_init (&iter, code->params);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (copy->params, g_strdup (key), g_strdup (value));
    }
  return copy;
}

void
globi_code_free (GlobiCode *code)
{
  if (!code)
    return;
  g_free (code->text);
  g_free (code->section);
  g_free (code->user_id);
  g_free (code->card);
  g_free (code->group_id);
  g_free (code->token);
  g_clear_pointer (&code->params, g_hash_table_unref);
  g_free (code);
}

static GlobiCodeKind
fail (GError **error, GlobiQrErrorCode code, const char *message)
{
  g_set_error_literal (error, GLOBI_QR_ERROR, code, message);
  return GLOBI_CODE_INVALID;
}

static gboolean
is_base64url (const char *s, gsize min, gsize max)
{
  gsize len = s ? strlen (s) : 0;

  if (len < min || len > max)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '-' && s[i] != '_')
      return FALSE;
  return TRUE;
}

gboolean
globi_code_card_is_valid (const char *card)
{
  return is_base64url (card, 22, 64);
}

/* Our own query parser: GLib's keeps the last of duplicated names silently, and a link
 * whose parameters say two things is malformed, not ambiguous. */
static GHashTable *
parse_query (const char *query, GError **error)
{
  g_autoptr (GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) pairs = NULL;

  if (!query || !*query)
    return g_steal_pointer (&params);
  pairs = g_strsplit (query, "&", MAX_PARAMS + 1);
  if (g_strv_length (pairs) > MAX_PARAMS)
    {
      fail (error, GLOBI_QR_ERROR_INVALID, _ ("the link has too many parameters"));
      return NULL;
    }
  for (guint i = 0; pairs[i]; i++)
    {
      const char *eq = strchr (pairs[i], '=');
      g_autofree char *raw_name = NULL;
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (!*pairs[i])
        continue;
      raw_name = eq ? g_strndup (pairs[i], eq - pairs[i]) : g_strdup (pairs[i]);
      name = g_uri_unescape_string (raw_name, NULL);
      value = g_uri_unescape_string (eq ? eq + 1 : "", NULL);
      if (!name || !*name || !value || !g_utf8_validate (name, -1, NULL) ||
          !g_utf8_validate (value, -1, NULL))
        {
          fail (error, GLOBI_QR_ERROR_INVALID, _ ("the link has a malformed parameter"));
          return NULL;
        }
      if (g_hash_table_contains (params, name))
        {
          fail (error, GLOBI_QR_ERROR_INVALID, _ ("the link repeats a parameter"));
          return NULL;
        }
      g_hash_table_insert (params, g_steal_pointer (&name), g_steal_pointer (&value));
    }
  return g_steal_pointer (&params);
}

static GlobiCodeKind
classify_globichat (const char *text, GlobiCode **out_parsed, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GlobiCode) code = NULL;
  g_autofree char *verb = NULL;
  const char *host = NULL;
  const char *path = NULL;

  uri = g_uri_parse (text, G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (!uri)
    return fail (error, GLOBI_QR_ERROR_INVALID, _ ("this GlobiChat link is malformed"));
  if (g_uri_get_userinfo (uri) || g_uri_get_port (uri) != -1)
    return fail (error, GLOBI_QR_ERROR_INVALID, _ ("this GlobiChat link is malformed"));

  /* globichat://add?… puts the verb in the host; globichat:add?… in the path. */
  host = g_uri_get_host (uri);
  path = g_uri_get_path (uri);
  if (host && *host)
    {
      if (path && *path && !g_str_equal (path, "/"))
        return fail (error, GLOBI_QR_ERROR_INVALID, _ ("this GlobiChat link is malformed"));
      verb = g_ascii_strdown (host, -1);
    }
  else
    verb = g_ascii_strdown (path ? path : "", -1);

  if (g_strv_contains (sections, verb))
    {
      code = code_new (GLOBI_CODE_SECTION, text);
      code->section = g_strdup (verb);
      goto done;
    }
  if (!g_str_equal (verb, "add") && !g_str_equal (verb, "join") && !g_str_equal (verb, "link"))
    {
      /* A newer version's link: not an error, just nothing this version can open. */
      code = code_new (GLOBI_CODE_UNKNOWN, text);
      goto done;
    }

  if (!(params = parse_query (g_uri_get_query (uri), error)))
    return GLOBI_CODE_INVALID;
  if (g_str_equal (verb, "add"))
    {
      const char *user_id = g_hash_table_lookup (params, "u");
      const char *card = g_hash_table_lookup (params, "c");

      if (!user_id || !globi_id_is_valid (user_id))
        return fail (error, GLOBI_QR_ERROR_INVALID, _ ("this friend card names no valid user"));
      if (!globi_code_card_is_valid (card))
        return fail (error, GLOBI_QR_ERROR_INVALID, _ ("this friend card is damaged"));
      code = code_new (GLOBI_CODE_ADD, text);
      code->user_id = g_strdup (user_id);
      code->card = g_strdup (card);
    }
  else if (g_str_equal (verb, "join"))
    {
      const char *group_id = g_hash_table_lookup (params, "group");
      const char *token = g_hash_table_lookup (params, "token");

      if (!group_id || !globi_id_is_valid (group_id))
        return fail (error, GLOBI_QR_ERROR_INVALID, _ ("this group invite names no valid group"));
      if (!is_base64url (token, 16, 128))
        return fail (error, GLOBI_QR_ERROR_INVALID, _ ("this group invite is damaged"));
      code = code_new (GLOBI_CODE_JOIN, text);
      code->group_id = g_strdup (group_id);
      code->token = g_strdup (token);
    }
  else
    {
      /* The linking engineer's screen checks the ticket and key; a link without any
       * parameter cannot be one. */
      if (g_hash_table_size (params) == 0)
        return fail (error, GLOBI_QR_ERROR_INVALID, _ ("this device link is damaged"));
      code = code_new (GLOBI_CODE_LINK, text);
    }
  code->params = g_steal_pointer (&params);

done:
  if (out_parsed)
    *out_parsed = g_steal_pointer (&code);
  return out_parsed ? (*out_parsed)->kind : code->kind;
}

GlobiCodeKind
globi_code_classify_bytes (const char *data, gsize len, GlobiCode **out_parsed, GError **error)
{
  g_autofree char *text = NULL;
  const char *end = NULL;
  GlobiCodeKind kind;

  if (out_parsed)
    *out_parsed = NULL;
  if (!data)
    return fail (error, GLOBI_QR_ERROR_INVALID, _ ("there is no text"));
  if (len > GLOBI_CODE_MAX_BYTES)
    return fail (error, GLOBI_QR_ERROR_TOO_LONG, _ ("the code is too long (over 4096 bytes)"));
  if (!g_utf8_validate_len (data, len, &end))
    return fail (error, GLOBI_QR_ERROR_INVALID, _ ("the code is not valid text"));
  for (gsize i = 0; i < len; i++)
    {
      guchar c = data[i];

      /* Tabs and line breaks occur in plain-text codes; other controls never in ours. */
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
        return fail (error, GLOBI_QR_ERROR_INVALID, _ ("the code holds control characters"));
    }
  text = g_strstrip (g_strndup (data, len));
  if (!*text)
    return fail (error, GLOBI_QR_ERROR_INVALID, _ ("there is no text"));

  if (g_ascii_strncasecmp (text, "globichat:", strlen ("globichat:")) == 0)
    return classify_globichat (text, out_parsed, error);

  kind = g_str_has_prefix (text, "000201") ? GLOBI_CODE_PAYMENT : GLOBI_CODE_UNKNOWN;
  if (out_parsed)
    *out_parsed = code_new (kind, text);
  return kind;
}

GlobiCodeKind
globi_code_classify (const char *text, GlobiCode **out_parsed, GError **error)
{
  return globi_code_classify_bytes (text, text ? strlen (text) : 0, out_parsed, error);
}

const char *
globi_code_kind_to_string (GlobiCodeKind kind)
{
  switch (kind)
    {
      case GLOBI_CODE_LINK:
        return "link";
      case GLOBI_CODE_ADD:
        return "add";
      case GLOBI_CODE_JOIN:
        return "join";
      case GLOBI_CODE_SECTION:
        return "section";
      case GLOBI_CODE_PAYMENT:
        return "payment";
      case GLOBI_CODE_UNKNOWN:
        return "unknown";
      case GLOBI_CODE_INVALID:
      default:
        return "invalid";
    }
}

char *
globi_code_build_add_uri (const char *user_id, const char *card)
{
  g_return_val_if_fail (user_id != NULL && card != NULL, NULL);

  return g_strdup_printf ("globichat://add?u=%s&c=%s", user_id, card);
}
