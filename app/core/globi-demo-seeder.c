/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-demo-seeder"

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "globi-error.h"
#include "globi-client.h"
#include "globi-demo-seeder.h"
#include "globi-messenger.h"
#include "globi-session.h"

#define AVATAR_SIZE 256
#define GLYPH_W     5
#define GLYPH_H     7
#define GLYPH_SCALE 14

static const struct
{
  const char *username;
  const char *display_name;
  const char *initials;
  const char *bio;
  const char *region;
  const char *currency;
  const char *language;
  guint32 colour; /* 0xRRGGBB */
} demo_people[] = {
  { "mei.chen", "陈美 Mei Chen", "MC", "Tea, hiking and street photography.", "Shanghai", "CNY",
    "zh-CN", 0xe01b24 },
  { "lucia.garcia", "Lucía García", "LG", "Diseñadora en Madrid. Café con leche, siempre.",
    "Madrid", "EUR", "es", 0x2ec27e },
  { "kenji.sato", "佐藤健二 Kenji Sato", "KS", "Ramen critic and weekend cyclist.", "Osaka", "JPY",
    "ja", 0x3584e4 },
  { "amara.okafor", "Amara Okafor", "AO", "Building fintech in Lagos. Ask me about jollof.",
    "Lagos", "NGN", "en", 0xe66100 },
  { "sam.taylor", "Sam Taylor", "ST", "Board games, bad puns, good coffee.", "Toronto", "CAD",
    "en-CA", 0x9141ac },
};

/* A 5×7 bitmap font for the initials (rows top to bottom, bit 4 = leftmost pixel). */
static const guint8 font[26][GLYPH_H] = {
  { 0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 }, /* A */
  { 0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e }, /* B */
  { 0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e }, /* C */
  { 0x1e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1e }, /* D */
  { 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f }, /* E */
  { 0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10 }, /* F */
  { 0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f }, /* G */
  { 0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 }, /* H */
  { 0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e }, /* I */
  { 0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c }, /* J */
  { 0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11 }, /* K */
  { 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f }, /* L */
  { 0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11 }, /* M */
  { 0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11 }, /* N */
  { 0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e }, /* O */
  { 0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10 }, /* P */
  { 0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d }, /* Q */
  { 0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11 }, /* R */
  { 0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e }, /* S */
  { 0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04 }, /* T */
  { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e }, /* U */
  { 0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04 }, /* V */
  { 0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a }, /* W */
  { 0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11 }, /* X */
  { 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04 }, /* Y */
  { 0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f }, /* Z */
};

typedef enum
{
  STEP_REGISTER,
  STEP_SIGN_IN,
  STEP_PATCH,
  STEP_AVATAR,
  STEP_SIGN_OUT,
} Step;

typedef struct
{
  GlobiClient *client;
  GBytes *avatars[G_N_ELEMENTS (demo_people)];
  guint person;
  Step step;
} Seed;

static void seed_next (GTask *task);

static void
seed_free (gpointer data)
{
  Seed *seed = data;

  g_clear_object (&seed->client);
  for (guint i = 0; i < G_N_ELEMENTS (seed->avatars); i++)
    g_clear_pointer (&seed->avatars[i], g_bytes_unref);
  g_free (seed);
}

static void
fill_rect (GdkPixbuf *pixbuf, int x0, int y0, int w, int h, guint32 rgb)
{
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guchar *pixels = gdk_pixbuf_get_pixels (pixbuf);

  for (int y = MAX (y0, 0); y < MIN (y0 + h, AVATAR_SIZE); y++)
    for (int x = MAX (x0, 0); x < MIN (x0 + w, AVATAR_SIZE); x++)
      {
        guchar *p = pixels + y * stride + x * 3;

        p[0] = (rgb >> 16) & 0xff;
        p[1] = (rgb >> 8) & 0xff;
        p[2] = rgb & 0xff;
      }
}

/* A coloured square with white initials: drawn by hand, as the core has no GTK or cairo. */
static GBytes *
draw_avatar (const char *initials, guint32 colour, GError **error)
{
  g_autoptr (GdkPixbuf) pixbuf =
      gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, AVATAR_SIZE, AVATAR_SIZE);
  guint n = strlen (initials);
  int glyph_w = GLYPH_W * GLYPH_SCALE;
  int gap = GLYPH_SCALE * 2;
  int total_w = n * glyph_w + (n - 1) * gap;
  int left = (AVATAR_SIZE - total_w) / 2;
  int top = (AVATAR_SIZE - GLYPH_H * GLYPH_SCALE) / 2;
  g_autofree char *buffer = NULL;
  gsize len = 0;

  fill_rect (pixbuf, 0, 0, AVATAR_SIZE, AVATAR_SIZE, colour);
  for (guint i = 0; i < n; i++)
    {
      int letter = g_ascii_toupper (initials[i]) - 'A';

      if (letter < 0 || letter >= 26)
        continue;
      for (int row = 0; row < GLYPH_H; row++)
        for (int col = 0; col < GLYPH_W; col++)
          if (font[letter][row] & (1 << (GLYPH_W - 1 - col)))
            fill_rect (pixbuf, left + i * (glyph_w + gap) + col * GLYPH_SCALE,
                       top + row * GLYPH_SCALE, GLYPH_SCALE, GLYPH_SCALE, 0xffffff);
    }

  if (!gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", error, NULL))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&buffer), len);
}

static void
draw_avatars_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Seed *seed = task_data;
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (demo_people); i++)
    if ((seed->avatars[i] = draw_avatar (demo_people[i].initials, demo_people[i].colour, &error)) ==
        NULL)
      {
        g_task_return_error (task, error);
        return;
      }
  g_task_return_boolean (task, TRUE);
}

static JsonNode *
build_object (const char *first_member, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  const char *member = first_member;
  va_list args;

  va_start (args, first_member);
  json_builder_begin_object (builder);
  while (member != NULL)
    {
      json_builder_set_member_name (builder, member);
      json_builder_add_string_value (builder, va_arg (args, const char *));
      member = va_arg (args, const char *);
    }
  json_builder_end_object (builder);
  va_end (args);
  return json_builder_get_root (builder);
}

static JsonNode *
build_sign_in (guint i)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, demo_people[i].username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, GLOBI_DEMO_PASSWORD);
  json_builder_set_member_name (builder, "device");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, "Demo seeder");
  json_builder_set_member_name (builder, "platform");
  json_builder_add_string_value (builder, "Linux");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
on_step_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Seed *seed = g_task_get_task_data (task);
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;

  if (seed->step == STEP_AVATAR)
    reply = globi_client_upload_finish (seed->client, result, &error);
  else
    reply = globi_client_call_finish (seed->client, result, &error);

  if (reply == NULL)
    {
      if (seed->step == STEP_REGISTER && g_error_matches (error, GLOBI_ERROR, GLOBI_ERROR_CONFLICT))
        {
          g_debug ("Demo user %s exists already", demo_people[seed->person].username);
          seed->person++;
          seed->step = STEP_REGISTER;
          seed_next (g_steal_pointer (&task));
          return;
        }
      g_prefix_error (&error, "%s: ", demo_people[seed->person].username);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (seed->step == STEP_SIGN_IN)
    {
      JsonObject *tokens = json_node_get_object (reply);

      globi_client_set_tokens (
          seed->client, json_object_get_string_member_with_default (tokens, "access_token", NULL),
          json_object_get_string_member_with_default (tokens, "refresh_token", NULL));
    }

  if (seed->step == STEP_SIGN_OUT)
    {
      globi_client_clear_tokens (seed->client);
      seed->person++;
      seed->step = STEP_REGISTER;
    }
  else
    seed->step++;
  seed_next (g_steal_pointer (&task));
}

/* One API call per step, person after person. Takes the reference on task. */
static void
seed_next (GTask *task)
{
  Seed *seed = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr (JsonNode) body = NULL;
  guint i = seed->person;

  if (i >= G_N_ELEMENTS (demo_people))
    {
      g_autoptr (GStrvBuilder) names = g_strv_builder_new ();

      for (guint k = 0; k < G_N_ELEMENTS (demo_people); k++)
        g_strv_builder_add (names, demo_people[k].username);
      g_task_return_pointer (task, g_strv_builder_end (names), (GDestroyNotify) g_strfreev);
      g_object_unref (task);
      return;
    }

  switch (seed->step)
    {
      case STEP_REGISTER:
        body = build_object ("username", demo_people[i].username, "password", GLOBI_DEMO_PASSWORD,
                             "display_name", demo_people[i].display_name, NULL);
        globi_client_call_async (seed->client, "POST", "/v1/accounts", body, GLOBI_CALL_FLAGS_NONE,
                                 cancellable, on_step_cb, task);
        break;

      case STEP_SIGN_IN:
        body = build_sign_in (i);
        globi_client_call_async (seed->client, "POST", "/v1/sessions", body, GLOBI_CALL_FLAGS_NONE,
                                 cancellable, on_step_cb, task);
        break;

      case STEP_PATCH:
        body = build_object ("bio", demo_people[i].bio, "region", demo_people[i].region,
                             "preferred_currency", demo_people[i].currency, "language",
                             demo_people[i].language, NULL);
        globi_client_call_async (seed->client, "PATCH", "/v1/me", body, GLOBI_CALL_FLAGS_AUTH,
                                 cancellable, on_step_cb, task);
        break;

      case STEP_AVATAR:
        globi_client_upload_async (seed->client, "/v1/me/avatar", seed->avatars[i], "image/png",
                                   cancellable, on_step_cb, task);
        break;

      case STEP_SIGN_OUT:
      default:
        /* Leaves no "Demo seeder" device behind. */
        globi_client_call_async (seed->client, "DELETE", "/v1/sessions/current", NULL,
                                 GLOBI_CALL_FLAGS_AUTH, cancellable, on_step_cb, task);
        break;
    }
}

static void
on_avatars_drawn_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  seed_next (task);
}

void
globi_demo_seed_async (const char *server_url,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  GTask *task;
  GTask *draw;
  Seed *seed;

  g_return_if_fail (server_url != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, globi_demo_seed_async);
  seed = g_new0 (Seed, 1);
  seed->client = globi_client_new (server_url, NULL);
  g_task_set_task_data (task, seed, seed_free);

  /* PNG encoding stays off the main loop. */
  draw = g_task_new (NULL, cancellable, on_avatars_drawn_cb, task);
  g_task_set_task_data (draw, seed, NULL);
  g_task_run_in_thread (draw, draw_avatars_thread);
  g_object_unref (draw);
}

char **
globi_demo_seed_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Demo conversations: the other demo people befriend the signed-in one and talk with her,
 * each from a device of their own (a session in a temporary profile) through the real
 * messenger, so every message is end-to-end encrypted like any other. */

typedef struct
{
  guint from; /* index in demo_people; 0 is the signed-in person */
  guint to;   /* for a direct line from 0: the friend; else ignored */
  gboolean group;
  const char *text; /* NULL: a photo instead */
} Line;

#define PHOTO_W    480
#define PHOTO_H    320
#define PHOTO_NAME "lagos-sunset.png"

/* A sunset over the sea, drawn by hand like the avatars. */
static gboolean
draw_photo (const char *path, GError **error)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, PHOTO_W, PHOTO_H);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guchar *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int horizon = PHOTO_H * 2 / 3;

  for (int y = 0; y < PHOTO_H; y++)
    for (int x = 0; x < PHOTO_W; x++)
      {
        guchar *p = pixels + y * stride + x * 3;
        int dx = x - PHOTO_W / 2, dy = y - horizon + 10;
        double t = (double) y / horizon;

        if (y < horizon && dx * dx + dy * dy < 55 * 55)
          p[0] = 255, p[1] = 214, p[2] = 102; /* the sun */
        else if (y < horizon)
          p[0] = 255 - 60 * t, p[1] = 94 + 40 * t, p[2] = 58 + 120 * t; /* the sky */
        else
          {
            /* The sea, with the sun's reflection in stripes. */
            gboolean glint = ABS (dx) < 60 - (y - horizon) / 3 && (y / 6) % 2 == 0;
            p[0] = glint ? 255 : 36, p[1] = glint ? 190 : 70, p[2] = glint ? 110 : 120;
          }
      }
  return gdk_pixbuf_save (pixbuf, path, "png", error, NULL);
}

/* Direct chats first (oldest), the group last: it tops the chat list. */
static const Line script[] = {
  { 1, 0, FALSE, "¡Hola Mei! Are we still on for the flower market on Saturday? 🌷" },
  { 0, 1, FALSE, "Yes! 10:00 at the north gate?" },
  { 1, 0, FALSE, "Perfecto. I’ll bring the coffee ☕" },
  { 4, 0, FALSE, "Board game night on Friday? I finally got Wingspan 🐦" },
  { 0, 4, FALSE, "I’m in. I’ll bring dumplings 🥟" },
  { 2, 0, FALSE, "Found a new ramen place near Namba. Tonkotsu, very rich 🍜" },
  { 0, 2, FALSE, "Send me the address, I’m in Osaka next week" },
  { 2, 0, FALSE, "Deal. I’ll book a table for Thursday at 19:00." },
  { 3, 0, FALSE, "The payments demo went great today 🎉" },
  { 3, 0, FALSE, NULL },
  { 0, 3, FALSE, "Congratulations! Tell me everything" },
  { 3, 0, FALSE, "Investors loved the QR flow. Drinks on me next time!" },
  { 0, 0, TRUE, "Who’s up for the Kumano Kodo trail in spring? 🥾" },
  { 2, 0, TRUE, "I know the route: April is beautiful, the cherry trees are out" },
  { 3, 0, TRUE, "Count me in!" },
  { 4, 0, TRUE, "Only if there are snacks 😄" },
};

#define DEMO_GROUP_NAME "Weekend hikers 🥾"

typedef enum
{
  TALK_SIGN_IN,
  TALK_START,
  TALK_REQUEST,
  TALK_REFRESH,
  TALK_ACCEPT,
  TALK_GROUP,
  TALK_ANNOUNCE,
  TALK_SCRIPT,
  TALK_SIGN_OUT,
  TALK_DONE,
} TalkStage;

typedef struct
{
  GlobiMessenger *me;
  char *server_url;
  char *tmp_dir;
  GlobiSession *sessions[G_N_ELEMENTS (demo_people)];     /* [0] unused */
  GlobiMessenger *messengers[G_N_ELEMENTS (demo_people)]; /* [0] is me */
  char *group_chat_id;
  GlobiMessage *awaited; /* a friend's line the signed-in person must see before answering */
  gulong received_handler;
  guint await_timeout;
  TalkStage stage;
  guint pending;
  guint line;
  GError *error;
} Talk;

static void talk_next (GTask *task);

/* The temporary profiles: a few small files (a cache, its WAL), removed at the end. */
static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
talk_free (gpointer data)
{
  Talk *t = data;

  for (guint i = 1; i < G_N_ELEMENTS (demo_people); i++)
    {
      if (t->messengers[i] != NULL)
        globi_messenger_stop (t->messengers[i]);
      g_clear_object (&t->messengers[i]);
      g_clear_object (&t->sessions[i]);
    }
  if (t->received_handler)
    g_signal_handler_disconnect (t->me, t->received_handler);
  g_clear_handle_id (&t->await_timeout, g_source_remove);
  g_clear_object (&t->awaited);
  g_clear_object (&t->me);
  if (t->tmp_dir != NULL)
    remove_tree (t->tmp_dir);
  g_free (t->tmp_dir);
  g_free (t->server_url);
  g_free (t->group_chat_id);
  g_clear_error (&t->error);
  g_free (t);
}

/* One of the stage's parallel calls finished; the last one moves on. Takes task. */
static void
talk_step_done (GTask *task, GError *error)
{
  Talk *t = g_task_get_task_data (task);

  if (error != NULL && t->error == NULL)
    t->error = g_error_copy (error);
  if (--t->pending > 0)
    {
      g_object_unref (task);
      return;
    }
  if (t->error != NULL && t->stage != TALK_SIGN_OUT)
    {
      g_task_return_error (task, g_steal_pointer (&t->error));
      g_object_unref (task);
      return;
    }
  if (t->stage == TALK_SCRIPT && t->line + 1 < G_N_ELEMENTS (script))
    t->line++;
  else
    t->stage++;
  talk_next (task);
}

static void
on_talk_signed_in_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  globi_session_sign_in_finish (GLOBI_SESSION (source), result, &error);
  talk_step_done (user_data, error);
}

static void
on_talk_started_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  globi_messenger_start_finish (GLOBI_MESSENGER (source), result, &error);
  talk_step_done (user_data, error);
}

static void
on_talk_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  globi_messenger_finish (GLOBI_MESSENGER (source), result, &error);
  talk_step_done (user_data, error);
}

static void
on_talk_signed_out_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  globi_session_sign_out_finish (GLOBI_SESSION (source), result, &error);
  talk_step_done (user_data, error);
}

static void
on_talk_group_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Talk *t = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiGroup) group =
      globi_messenger_group_finish (GLOBI_MESSENGER (source), result, &error);

  if (group != NULL)
    t->group_chat_id = globi_chat_id_for_group (globi_group_get_id (group));
  talk_step_done (task, error);
}

static void
await_done (GTask *task)
{
  Talk *t = g_task_get_task_data (task);

  g_clear_signal_handler (&t->received_handler, t->me);
  g_clear_handle_id (&t->await_timeout, g_source_remove);
  g_clear_object (&t->awaited);
  talk_step_done (task, NULL);
}

static void
on_awaited_received_cb (GlobiMessenger *me, GlobiChat *chat, GlobiMessage *message, gpointer data)
{
  GTask *task = data;
  Talk *t = g_task_get_task_data (task);

  if (g_strcmp0 (globi_message_get_id (message), globi_message_get_id (t->awaited)) == 0)
    await_done (task);
}

static gboolean
on_await_timeout_cb (gpointer data)
{
  GTask *task = data;
  Talk *t = g_task_get_task_data (task);

  /* A stream that lags does not stop the demo; the order may just differ. */
  t->await_timeout = 0;
  await_done (task);
  return G_SOURCE_REMOVE;
}

static void
on_line_flushed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Talk *t = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *chat_id = NULL;
  GlobiChat *chat = NULL;
  GlobiMessage *last = NULL;

  if (!globi_messenger_finish (GLOBI_MESSENGER (source), result, &error) || t->awaited == NULL)
    {
      g_clear_object (&t->awaited);
      talk_step_done (task, error);
      return;
    }
  /* Already there, or wait for it (a few seconds at most). */
  if (script[t->line].group)
    chat_id = g_strdup (t->group_chat_id);
  else
    chat_id =
        globi_chat_id_for_user (globi_session_get_user_id (t->sessions[script[t->line].from]));
  chat = globi_messenger_open_chat (t->me, chat_id);
  last = chat ? globi_chat_get_last_message (chat) : NULL;
  if (last && g_strcmp0 (globi_message_get_id (last), globi_message_get_id (t->awaited)) == 0)
    {
      g_clear_object (&t->awaited);
      talk_step_done (task, NULL);
      return;
    }
  t->received_handler =
      g_signal_connect (t->me, "message-received", G_CALLBACK (on_awaited_received_cb), task);
  t->await_timeout = g_timeout_add_seconds (5, on_await_timeout_cb, task);
}

static void
on_talk_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Talk *t = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiMessage) message =
      globi_messenger_send_finish (GLOBI_MESSENGER (source), result, &error);

  if (message == NULL)
    {
      talk_step_done (task, error);
      return;
    }
  /* On the server before someone else's next line, so the order holds (one sender's
   * outbox keeps its own order). */
  if (t->line + 1 < G_N_ELEMENTS (script) && script[t->line + 1].from == script[t->line].from)
    {
      talk_step_done (task, NULL);
      return;
    }
  /* Her answer comes after she has it: her chat shows messages as they arrive. */
  if (t->line + 1 < G_N_ELEMENTS (script) && script[t->line + 1].from == 0 &&
      script[t->line].from != 0 &&
      globi_messenger_get_stream_state (t->me) == GLOBI_STREAM_STATE_ONLINE)
    g_set_object (&t->awaited, message);
  globi_messenger_flush_async (GLOBI_MESSENGER (source), g_task_get_cancellable (task),
                               on_line_flushed_cb, task);
}

static const char *
user_id_of (Talk *t, guint person)
{
  return globi_session_get_user_id (person == 0 ? globi_messenger_get_session (t->me)
                                                : t->sessions[person]);
}

/* Starts the calls of the current stage (pending counts them). Takes task. */
static void
talk_next (GTask *task)
{
  Talk *t = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  const guint n = G_N_ELEMENTS (demo_people);

  t->pending = 1; /* the stage itself, so that nothing finishes it while it starts */
  switch (t->stage)
    {
      case TALK_SIGN_IN:
        for (guint i = 1; i < n; i++)
          {
            g_autofree char *dir = g_build_filename (t->tmp_dir, demo_people[i].username, NULL);

            t->sessions[i] = globi_session_new (dir);
            t->pending++;
            globi_session_sign_in_async (t->sessions[i], t->server_url, demo_people[i].username,
                                         GLOBI_DEMO_PASSWORD, "Demo", cancellable,
                                         on_talk_signed_in_cb, g_object_ref (task));
          }
        break;

      case TALK_START:
        for (guint i = 1; i < n; i++)
          {
            t->messengers[i] = globi_messenger_new (t->sessions[i]);
            t->pending++;
            globi_messenger_start_async (t->messengers[i], FALSE, cancellable, on_talk_started_cb,
                                         g_object_ref (task));
          }
        break;

      case TALK_REQUEST:
        for (guint i = 1; i < n; i++)
          {
            t->pending++;
            globi_messenger_request_friend_async (t->messengers[i], user_id_of (t, 0), "👋",
                                                  cancellable, on_talk_done_cb,
                                                  g_object_ref (task));
          }
        break;

      case TALK_REFRESH:
        t->pending++;
        globi_messenger_refresh_async (t->me, cancellable, on_talk_done_cb, g_object_ref (task));
        break;

      case TALK_ACCEPT:
        for (guint i = 1; i < n; i++)
          {
            t->pending++;
            globi_messenger_accept_friend_async (t->me, user_id_of (t, i), cancellable,
                                                 on_talk_done_cb, g_object_ref (task));
          }
        break;

      case TALK_GROUP:
        {
          const char *members[] = { user_id_of (t, 2), user_id_of (t, 3), user_id_of (t, 4), NULL };

          t->pending++;
          globi_messenger_create_group_async (t->me, DEMO_GROUP_NAME, members, cancellable,
                                              on_talk_group_cb, g_object_ref (task));
        }
        break;

      case TALK_ANNOUNCE:
        t->pending++;
        globi_messenger_update_group_async (
            t->me, t->group_chat_id + 2, NULL,
            "Kumano Kodo in April: bring rain gear ☔ and good shoes.", cancellable, on_talk_done_cb,
            g_object_ref (task));
        break;

      case TALK_SCRIPT:
        {
          const Line *line = &script[t->line];
          GlobiMessenger *sender = line->from == 0 ? t->me : t->messengers[line->from];
          g_autofree char *chat_id = NULL;

          if (line->group)
            chat_id = g_strdup (t->group_chat_id);
          else
            chat_id = globi_chat_id_for_user (user_id_of (t, line->from == 0 ? line->to : 0));
          t->pending++;
          if (line->text == NULL)
            {
              g_autofree char *path = g_build_filename (t->tmp_dir, PHOTO_NAME, NULL);
              g_autoptr (GFile) file = g_file_new_for_path (path);
              g_autoptr (GError) error = NULL;

              if (!draw_photo (path, &error))
                {
                  talk_step_done (g_object_ref (task), error);
                  break;
                }
              globi_messenger_send_file_async (sender, chat_id, file, cancellable, on_talk_sent_cb,
                                               g_object_ref (task));
            }
          else
            globi_messenger_send_text_async (sender, chat_id, line->text, NULL, NULL, cancellable,
                                             on_talk_sent_cb, g_object_ref (task));
        }
        break;

      case TALK_SIGN_OUT:
        /* Their demo devices go: nothing of theirs is left signed in. */
        for (guint i = 1; i < n; i++)
          {
            globi_messenger_stop (t->messengers[i]);
            t->pending++;
            globi_session_sign_out_async (t->sessions[i], NULL, on_talk_signed_out_cb,
                                          g_object_ref (task));
          }
        break;

      case TALK_DONE:
      default:
        g_task_return_boolean (task, TRUE);
        g_object_unref (task);
        return;
    }
  talk_step_done (task, NULL);
}

void
globi_demo_converse_async (GlobiMessenger *me,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  GlobiSession *session = globi_messenger_get_session (me);
  GlobiProfile *profile = globi_session_get_me (session);
  g_autoptr (GError) error = NULL;
  Talk *t;

  g_task_set_source_tag (task, globi_demo_converse_async);
  if (profile == NULL ||
      g_strcmp0 (globi_profile_get_username (profile), demo_people[0].username) != 0)
    {
      g_task_return_new_error (task, GLOBI_ERROR, GLOBI_ERROR_FORBIDDEN,
                               "Demo conversations are for %s only", demo_people[0].username);
      g_object_unref (task);
      return;
    }
  /* Once per account: friends mean it was done before. */
  if (g_list_model_get_n_items (globi_messenger_get_contacts (me)) > 0)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  t = g_new0 (Talk, 1);
  t->me = g_object_ref (me);
  t->server_url = g_strdup (globi_session_get_server_url (session));
  g_task_set_task_data (task, t, talk_free);
  t->tmp_dir = g_dir_make_tmp ("globichat-demo-XXXXXX", &error);
  if (t->tmp_dir == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  talk_next (task);
}

gboolean
globi_demo_converse_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
