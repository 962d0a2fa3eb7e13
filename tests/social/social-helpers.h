/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "server-fixture.h"

G_BEGIN_DECLS

/* A registered, signed-in user. */
typedef struct
{
  char *id;
  char *token;
  char *username;
} Person;

void      person_sign_up     (Fixture     *f,
                              const char  *username,
                              Person      *out);
/* Signs in again (a fresh token, e.g. after moving the clock). */
void      person_refresh     (Fixture     *f,
                              Person      *person);
void      person_clear       (Person      *person);
/* A request with a printf-formatted path; body may be NULL. */
Reply    *social_request     (Fixture     *f,
                              const char  *method,
                              const Person *who,
                              const char  *body,
                              const char  *path_format,
                              ...) G_GNUC_PRINTF (5, 6);
/* a asks b, b accepts; both asserted. */
void      social_befriend    (Fixture     *f,
                              const Person *a,
                              const Person *b);
/* How many stored events of this kind the person's device has (GET /v1/events). */
guint     social_count_events (Fixture    *f,
                               const Person *who,
                               const char *kind);
/* Writes n users and their friendship with friend_of straight into the server's
 * database (registering 500 people over HTTP would be most of a test's time); returns
 * their ids. */
GPtrArray *social_insert_friends (Fixture    *f,
                                  const char *friend_of,
                                  guint       n);

G_END_DECLS
