/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "globi-application.h"
#include "globi-server-thread.h"
#include "globi-window.h"
#include "ui-fixture.h"

G_BEGIN_DECLS

/* A real server on a loopback ephemeral port with its data in a temp dir: the set-up every
 * UI test that talks to a server shares. */
typedef struct
{
  char *dir;
  GlobiServerConfig *config;
  GlobiServerThread *thread;
  char *base_url;
} UiServer;

void              ui_server_start (UiServer          *server,
                                   const char        *dir_template);
/* Safe on a server that never started (setup skipped without a display). */
void              ui_server_stop  (UiServer          *server);

/* A registered application on profile_dir talking to base_url; app_id may be NULL. */
GlobiApplication *ui_app_new      (const char        *profile_dir,
                                   const char        *base_url,
                                   const char        *app_id,
                                   GApplicationFlags  flags);
/* The app's window, presented and started signed-out; width/height <= 0 keep GTK's size. */
GlobiWindow      *ui_window_open  (GlobiApplication  *app,
                                   int                width,
                                   int                height);

/* One person: an application with its own profile, session and window. */
typedef struct
{
  char *profile_dir;
  GlobiApplication *app;
  GlobiWindow *window;
  GlobiSession *session;
  gboolean registered;
} UiPerson;

/* A profile in a temp dir (dir_template), the app (app_id: each application in one
 * process needs its own on the bus) without notifications, and its window. */
void              ui_person_start    (UiPerson          *p,
                                      const char        *base_url,
                                      const char        *dir_template,
                                      const char        *app_id,
                                      int                width,
                                      int                height);
/* Registers through the session; waits until the window shows the main page and has
 * its messenger. */
void              ui_person_register (UiPerson          *p,
                                      const char        *base_url,
                                      const char        *username,
                                      const char        *password,
                                      const char        *display_name);
void              ui_person_clear    (UiPerson          *p);

G_END_DECLS
