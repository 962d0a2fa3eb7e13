/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-chat"

#include "config.h"

#include "globi-core-enums.h"
#include "globi-core-util.h"
#include "globi-chat.h"
#include "globi-group.h"
#include "globi-message-list.h"
#include "globi-messenger-private.h"

enum
{
  PROP_0,
  PROP_ID,
  PROP_KIND,
  PROP_PEER_ID,
  PROP_TITLE,
  PROP_AVATAR_HASH,
  PROP_LAST_MESSAGE,
  PROP_LAST_ACTIVITY,
  PROP_UNREAD_COUNT,
  PROP_PINNED,
  PROP_MUTED,
  PROP_DRAFT,
  PROP_TYPING,
  PROP_GROUP,
  N_PROPS
};

struct _GlobiChat
{
  GObject parent_instance;

  GWeakRef messenger;
  char *id;
  GlobiChatKind kind;
  char *title;
  char *avatar_hash;
  GlobiMessage *last_message;
  gint64 last_activity;
  guint unread_count;
  gboolean pinned;
  gboolean muted;
  char *draft;
  GPtrArray *typing; /* user ids, NULL-terminated */
  GlobiGroup *group;
  GlobiMessageList *messages;
};

G_DEFINE_FINAL_TYPE (GlobiChat, globi_chat, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
globi_chat_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiChat *self = GLOBI_CHAT (object);

  switch (prop_id)
    {
      case PROP_ID:
        g_value_set_string (value, self->id);
        break;

      case PROP_KIND:
        g_value_set_enum (value, self->kind);
        break;

      case PROP_PEER_ID:
        g_value_set_string (value, globi_chat_get_peer_id (self));
        break;

      case PROP_TITLE:
        g_value_set_string (value, self->title);
        break;

      case PROP_AVATAR_HASH:
        g_value_set_string (value, self->avatar_hash);
        break;

      case PROP_LAST_MESSAGE:
        g_value_set_object (value, self->last_message);
        break;

      case PROP_LAST_ACTIVITY:
        g_value_set_int64 (value, self->last_activity);
        break;

      case PROP_UNREAD_COUNT:
        g_value_set_uint (value, self->unread_count);
        break;

      case PROP_PINNED:
        g_value_set_boolean (value, self->pinned);
        break;

      case PROP_MUTED:
        g_value_set_boolean (value, self->muted);
        break;

      case PROP_DRAFT:
        g_value_set_string (value, self->draft);
        break;

      case PROP_TYPING:
        g_value_set_boxed (value, globi_chat_get_typing (self));
        break;

      case PROP_GROUP:
        g_value_set_object (value, self->group);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_chat_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GlobiChat *self = GLOBI_CHAT (object);

  switch (prop_id)
    {
      case PROP_DRAFT:
        globi_chat_set_draft (self, g_value_get_string (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_chat_dispose (GObject *object)
{
  GlobiChat *self = GLOBI_CHAT (object);

  g_clear_object (&self->messages);
  g_clear_object (&self->last_message);
  g_clear_object (&self->group);

  G_OBJECT_CLASS (globi_chat_parent_class)->dispose (object);
}

static void
globi_chat_finalize (GObject *object)
{
  GlobiChat *self = GLOBI_CHAT (object);

  g_weak_ref_clear (&self->messenger);
  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->avatar_hash, g_free);
  g_clear_pointer (&self->draft, g_free);
  g_clear_pointer (&self->typing, g_ptr_array_unref);

  G_OBJECT_CLASS (globi_chat_parent_class)->finalize (object);
}

static void
globi_chat_class_init (GlobiChatClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = globi_chat_get_property;
  object_class->set_property = globi_chat_set_property;
  object_class->dispose = globi_chat_dispose;
  object_class->finalize = globi_chat_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_KIND] =
      g_param_spec_enum ("kind", NULL, NULL, GLOBI_TYPE_CHAT_KIND, GLOBI_CHAT_KIND_DIRECT, flags);
  properties[PROP_PEER_ID] = g_param_spec_string ("peer-id", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_AVATAR_HASH] = g_param_spec_string ("avatar-hash", NULL, NULL, NULL, flags);
  properties[PROP_LAST_MESSAGE] =
      g_param_spec_object ("last-message", NULL, NULL, GLOBI_TYPE_MESSAGE, flags);
  properties[PROP_LAST_ACTIVITY] =
      g_param_spec_int64 ("last-activity", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_UNREAD_COUNT] =
      g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_PINNED] = g_param_spec_boolean ("pinned", NULL, NULL, FALSE, flags);
  properties[PROP_MUTED] = g_param_spec_boolean ("muted", NULL, NULL, FALSE, flags);
  properties[PROP_DRAFT] =
      g_param_spec_string ("draft", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TYPING] = g_param_spec_boxed ("typing", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_GROUP] = g_param_spec_object ("group", NULL, NULL, GLOBI_TYPE_GROUP, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
globi_chat_init (GlobiChat *self)
{
  g_weak_ref_init (&self->messenger, NULL);
  self->typing = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->typing, NULL);
}

GlobiChat *
globi_chat_new (GlobiMessenger *messenger, const char *id, const char *title)
{
  GlobiChat *self = g_object_new (GLOBI_TYPE_CHAT, NULL);

  g_weak_ref_set (&self->messenger, messenger);
  self->id = g_strdup (id);
  self->kind = g_str_has_prefix (id, "g:") ? GLOBI_CHAT_KIND_GROUP : GLOBI_CHAT_KIND_DIRECT;
  self->title = g_strdup (title);
  return self;
}

const char *
globi_chat_get_id (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), NULL);
  return self->id;
}

GlobiChatKind
globi_chat_get_kind (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), GLOBI_CHAT_KIND_DIRECT);
  return self->kind;
}

const char *
globi_chat_get_peer_id (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), NULL);
  return self->id + 2;
}

const char *
globi_chat_get_title (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), NULL);
  return self->title;
}

const char *
globi_chat_get_avatar_hash (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), NULL);
  return self->avatar_hash;
}

GlobiMessage *
globi_chat_get_last_message (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), NULL);
  return self->last_message;
}

gint64
globi_chat_get_last_activity (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), 0);
  return self->last_activity;
}

guint
globi_chat_get_unread_count (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), 0);
  return self->unread_count;
}

gboolean
globi_chat_get_pinned (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), FALSE);
  return self->pinned;
}

gboolean
globi_chat_get_muted (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), FALSE);
  return self->muted;
}

const char *
globi_chat_get_draft (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), NULL);
  return self->draft;
}

void
globi_chat_set_draft (GlobiChat *self, const char *draft)
{
  g_autoptr (GlobiMessenger) messenger = NULL;

  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (!globi_set_str (&self->draft, draft))
    return;
  messenger = g_weak_ref_get (&self->messenger);
  if (messenger != NULL)
    globi_messenger_save_chat (messenger, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DRAFT]);
}

const char *const *
globi_chat_get_typing (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), NULL);
  return self->typing->len > 1 ? (const char *const *) self->typing->pdata : NULL;
}

GlobiGroup *
globi_chat_get_group (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), NULL);
  return self->group;
}

static GlobiMessage *
intern_cb (GlobiMessage *message, gpointer user_data)
{
  GlobiChat *self = user_data;
  g_autoptr (GlobiMessenger) messenger = g_weak_ref_get (&self->messenger);

  if (messenger == NULL)
    return g_object_ref (message);
  return globi_messenger_intern_message (messenger, message);
}

GListModel *
globi_chat_get_messages (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), NULL);

  if (self->messages == NULL)
    {
      g_autoptr (GlobiMessenger) messenger = g_weak_ref_get (&self->messenger);
      g_return_val_if_fail (messenger != NULL, NULL);
      self->messages =
          globi_message_list_new (globi_messenger_get_cache (messenger), self->id, intern_cb, self);
    }
  return G_LIST_MODEL (self->messages);
}

gboolean
globi_chat_load_older (GlobiChat *self)
{
  g_return_val_if_fail (GLOBI_IS_CHAT (self), FALSE);

  return globi_message_list_load_older (GLOBI_MESSAGE_LIST (globi_chat_get_messages (self)));
}

void
globi_chat_set_title (GlobiChat *self, const char *title)
{
  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (globi_set_str (&self->title, title))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
globi_chat_set_avatar_hash (GlobiChat *self, const char *avatar_hash)
{
  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (globi_set_str (&self->avatar_hash, avatar_hash))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVATAR_HASH]);
}

void
globi_chat_set_last_message (GlobiChat *self, GlobiMessage *message)
{
  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (g_set_object (&self->last_message, message))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MESSAGE]);
}

void
globi_chat_set_last_activity (GlobiChat *self, gint64 last_activity)
{
  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (self->last_activity == last_activity)
    return;
  self->last_activity = last_activity;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ACTIVITY]);
}

void
globi_chat_set_unread_count (GlobiChat *self, guint unread_count)
{
  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (self->unread_count == unread_count)
    return;
  self->unread_count = unread_count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
}

void
globi_chat_set_pinned (GlobiChat *self, gboolean pinned)
{
  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (self->pinned == !!pinned)
    return;
  self->pinned = !!pinned;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED]);
}

void
globi_chat_set_muted (GlobiChat *self, gboolean muted)
{
  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (self->muted == !!muted)
    return;
  self->muted = !!muted;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
}

void
globi_chat_set_typing (GlobiChat *self, const char *user_id, gboolean typing)
{
  guint index = 0;
  gboolean present = FALSE;

  g_return_if_fail (GLOBI_IS_CHAT (self));
  /* The array ends with its NULL terminator. */
  for (; index + 1 < self->typing->len && !present; index++)
    present = g_str_equal (g_ptr_array_index (self->typing, index), user_id);
  if (present)
    index--;
  if (present == !!typing)
    return;
  if (typing)
    g_ptr_array_insert (self->typing, self->typing->len - 1, g_strdup (user_id));
  else
    g_ptr_array_remove_index (self->typing, index);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING]);
}

void
globi_chat_set_group (GlobiChat *self, GlobiGroup *group)
{
  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (g_set_object (&self->group, group))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUP]);
}

void
globi_chat_append_message (GlobiChat *self, GlobiMessage *message)
{
  g_return_if_fail (GLOBI_IS_CHAT (self));
  if (self->messages != NULL)
    globi_message_list_append (self->messages, message);
  globi_chat_set_last_message (self, message);
  globi_chat_set_last_activity (self,
                                MAX (self->last_activity, globi_message_get_sent_at (message)));
}
