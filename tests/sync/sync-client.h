/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "core-fixture.h"

G_BEGIN_DECLS

#define PASSWORD "correct horse battery"

/* One signed-in device with its messenger (not live unless a test starts it so). */
typedef struct
{
  GlobiSession *session;
  GlobiMessenger *messenger;
  char *profile_dir;
} Client;

void client_free (Client *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

/* (Re)creates and starts c->messenger without the live stream; asserts success. */
void start_messenger (Client *c);
/* A new account, or (sign_in) a new device of an existing one. */
Client *client_new (CoreFixture *f, const char *username, const char *profile, gboolean sign_in);
/* Waits for an action that finishes with globi_messenger_finish. */
gboolean wait_finish (Client *c, GAsyncResult **pending, GError **error);
/* a asks, b accepts; both refreshed. */
void befriend (Client *a, Client *b);
char *chat_with (Client *other);
GlobiMessage *send_text (Client *c, const char *chat_id, const char *text);
/* Until the outbox is empty (or every entry failed). */
void flush (Client *c);
/* One polling sync: the new messages, oldest first. */
GPtrArray *sync_client (Client *c);
GlobiMessage *message_at (GPtrArray *messages, guint i);
/* Item i of a chat's paged message model once it has loaded (a new reference). */
GlobiMessage *loaded_message_at (GListModel *messages, guint i);
/* The live message of that id in the chat's model (the model keeps it), NULL if none. */
GlobiMessage *find_live (Client *c, const char *chat_id, const char *id);

/* One authenticated REST call as that client (body_json may be NULL). */
JsonNode     *call            (Client       *c,
                               const char   *method,
                               const char   *path,
                               const char   *body_json,
                               GError      **error);

/* Starts c->messenger's live stream and waits until it is online (caught up). */
void          client_go_live  (Client       *c);
/* Collects every message c->messenger receives (GlobiMessage) into received. */
void          collect_received (Client      *c,
                                GPtrArray   *received);
/* Runs the main loop until received holds n messages (failing after a minute without). */
void          wait_received   (GPtrArray    *received,
                               guint         n);
/* The sum of the server's globichat_http_requests_total over the series with that
 * method and route (and status, unless NULL), from GET /metrics. */
guint64       count_requests  (CoreFixture  *f,
                               const char   *method,
                               const char   *route,
                               const char   *status);

/* Drops c->messenger and waits until it is gone (its cache closed). */
void          drop_messenger  (Client       *c);
/* Stops the server and starts a new one on the same port and data. */
void          restart_server  (CoreFixture  *f);

G_END_DECLS
