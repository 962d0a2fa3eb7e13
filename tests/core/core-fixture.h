/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-core.h"
#include "globi-server-config.h"
#include "globi-server-thread.h"

#include "globi-test-util.h"

G_BEGIN_DECLS

/* A real server on its own thread (ephemeral loopback port, temporary data directory,
 * cheap Argon2) and a temporary directory for client profiles. */
typedef struct
{
  char *data_dir;
  char *tmp_dir;
  GlobiServerConfig *config;
  GlobiServerThread *thread;
  char *base_url;
} CoreFixture;

void          core_fixture_setup     (CoreFixture   *f,
                                      gconstpointer  data);
void          core_fixture_teardown  (CoreFixture   *f,
                                      gconstpointer  data);
void          core_fixture_stop      (CoreFixture   *f);
/* A fresh profile directory under the fixture's temporary directory. */
char         *core_fixture_profile   (CoreFixture   *f,
                                      const char    *name);

/* Runs the default main context until the async call that got `result_out` as its
 * user_data (with on_result_cb as callback) has finished. */
void          on_result_cb           (GObject       *object,
                                      GAsyncResult  *result,
                                      gpointer       user_data);
GAsyncResult *wait_result            (GAsyncResult **result_out);

/* Signs up (or in) a session; asserts success. */
void          session_register       (GlobiSession  *session,
                                      const char    *base_url,
                                      const char    *username,
                                      const char    *password);
void          session_sign_in        (GlobiSession  *session,
                                      const char    *base_url,
                                      const char    *username,
                                      const char    *password);
void          session_flush          (GlobiSession  *session);

/* Counts the messages a messenger drops because they do not decrypt (its debug log says
 * so): tells a ciphertext the ratchet refused from one refused for another reason.
 * main() installs the counting log writer with core_watch_undecryptable. */
void          core_watch_undecryptable (void);
gint          core_undecryptable       (void);
void          core_reset_undecryptable (void);
/* TRUE if one of messages (GlobiMessage) has that text. */
gboolean      core_messages_have_text  (GPtrArray     *messages,
                                        const char    *text);

G_END_DECLS
