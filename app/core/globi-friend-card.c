/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-friend-card"

#include "config.h"

#include "globi-client.h"
#include "globi-code.h"
#include "globi-core-util.h"
#include "globi-error.h"
#include "globi-friend-card.h"
#include "globi-id.h"

typedef void (*ReplyHandler) (GTask *task, JsonNode *reply);

static void
on_call_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = globi_client_call_finish (GLOBI_CLIENT (source), result, &error);
  ReplyHandler handler = g_task_get_task_data (task);

  if (!reply)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  handler (task, reply);
}

static void
call (GlobiSession *session,
      gpointer source_tag,
      const char *method,
      const char *path,
      JsonNode *body,
      ReplyHandler handler,
      GCancellable *cancellable,
      GAsyncReadyCallback callback,
      gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (session, cancellable, callback, user_data);
  g_autoptr (JsonNode) owned = body;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, handler, NULL);
  if (globi_session_get_state (session) != GLOBI_SESSION_STATE_SIGNED_IN)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_UNAUTHORIZED, "not signed in");
      return;
    }
  globi_client_call_async (globi_session_get_client (session), method, path, owned,
                           GLOBI_CALL_FLAGS_AUTH, cancellable, on_call_done_cb,
                           g_steal_pointer (&task));
}

static void
handle_card (GTask *task, JsonNode *reply)
{
  JsonObject *obj = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  const char *uri = obj ? json_object_get_string_member_with_default (obj, "uri", NULL) : NULL;

  /* The dispatcher checks what the server sent: a card it cannot read is no card. */
  if (!uri || globi_code_classify (uri, NULL, NULL) != GLOBI_CODE_ADD)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_INTERNAL,
                               "the server sent a malformed friend card");
      return;
    }
  g_task_return_pointer (task, g_strdup (uri), g_free);
}

void
globi_friend_card_fetch_async (GlobiSession *session,
                               gboolean reset,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (GLOBI_IS_SESSION (session));

  call (session, globi_friend_card_fetch_async, reset ? "POST" : "GET",
        reset ? "/v1/me/card/reset" : "/v1/me/card", NULL, handle_card, cancellable, callback,
        user_data);
}

char *
globi_friend_card_fetch_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
handle_user (GTask *task, JsonNode *reply)
{
  GError *error = NULL;
  JsonObject *user = globi_json_get_object_member (reply, "user", &error);
  GlobiProfile *profile = user ? globi_profile_new_from_json (user, &error) : NULL;

  if (!profile)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, profile, g_object_unref);
}

void
globi_friend_card_resolve_async (GlobiSession *session,
                                 const char *user_id,
                                 const char *card,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (GLOBI_IS_SESSION (session));
  g_return_if_fail (user_id != NULL && card != NULL);

  /* Only well-formed parts reach the URL (no path tricks through a crafted code). */
  if (!globi_id_is_valid (user_id) || !globi_code_card_is_valid (card))
    {
      g_autoptr (GTask) task = g_task_new (session, cancellable, callback, user_data);

      g_task_set_source_tag (task, globi_friend_card_resolve_async);
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND,
                               "this friend card is damaged");
      return;
    }
  path = g_strdup_printf ("/v1/cards/%s/%s", user_id, card);
  call (session, globi_friend_card_resolve_async, "GET", path, NULL, handle_user, cancellable,
        callback, user_data);
}

GlobiProfile *
globi_friend_card_resolve_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
handle_request (GTask *task, JsonNode *reply)
{
  JsonObject *obj = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;

  g_task_set_task_data (task, GINT_TO_POINTER (obj && json_object_has_member (obj, "friend")),
                        NULL);
  g_task_return_boolean (task, TRUE);
}

void
globi_friend_card_request_async (GlobiSession *session,
                                 const char *user_id,
                                 const char *card,
                                 const char *greeting,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *id = globi_id_new ();

  g_return_if_fail (GLOBI_IS_SESSION (session));
  g_return_if_fail (user_id != NULL && card != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, user_id);
  json_builder_set_member_name (builder, "card");
  json_builder_add_string_value (builder, card);
  if (greeting && *greeting)
    {
      json_builder_set_member_name (builder, "greeting");
      json_builder_add_string_value (builder, greeting);
    }
  json_builder_end_object (builder);
  call (session, globi_friend_card_request_async, "POST", "/v1/friends/requests",
        json_builder_get_root (builder), handle_request, cancellable, callback, user_data);
}

gboolean
globi_friend_card_request_finish (GAsyncResult *result, gboolean *out_friends, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (out_friends)
    *out_friends = GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  return TRUE;
}
