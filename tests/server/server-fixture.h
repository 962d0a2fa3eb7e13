/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "globi-server-config.h"
#include "globi-server-thread.h"

G_BEGIN_DECLS

/* A real server on its own thread, on an ephemeral loopback port, over a temporary data
 * directory, with cheap Argon2; a synchronous SoupSession talks to it. */
typedef struct
{
  char *data_dir;
  GlobiServerConfig *config;
  GlobiServerThread *thread;
  char *base_url;
  SoupSession *session;
} Fixture;

typedef struct
{
  guint status;
  GBytes *body;
  JsonNode *json; /* NULL when the body is not JSON */
  SoupMessageHeaders *headers;
} Reply;

/* A test may adjust config between fixture_init and fixture_start. */
void         fixture_init        (Fixture          *f);
void         fixture_start       (Fixture          *f);
void         fixture_stop        (Fixture          *f);
void         fixture_clear       (Fixture          *f);
/* Both steps, for g_test_add with the default config. */
void         fixture_setup       (Fixture          *f,
                                  gconstpointer     data);
void         fixture_teardown    (Fixture          *f,
                                  gconstpointer     data);
GlobiServer *fixture_server      (Fixture          *f);

SoupMessage *fixture_message     (Fixture          *f,
                                  const char       *method,
                                  const char       *path,
                                  const char       *token,
                                  const char       *content_type,
                                  GBytes           *body);
Reply       *fixture_send        (Fixture          *f,
                                  SoupMessage      *msg);
/* body: JSON text or NULL. */
Reply       *fixture_request     (Fixture          *f,
                                  const char       *method,
                                  const char       *path,
                                  const char       *token,
                                  const char       *body);
void         reply_free          (Reply            *reply);
JsonObject  *reply_object        (Reply            *reply);
/* Asserts the status and the protocol's error object with this code. */
void         assert_error        (Reply            *reply,
                                  guint             status,
                                  const char       *code);

/* Registers and returns the user id. */
char        *fixture_register    (Fixture          *f,
                                  const char       *username,
                                  const char       *password);
/* Signs in; out values may be NULL. */
void         fixture_sign_in     (Fixture          *f,
                                  const char       *username,
                                  const char       *password,
                                  char            **out_access,
                                  char            **out_refresh,
                                  char            **out_device_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

G_END_DECLS
