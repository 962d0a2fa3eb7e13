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

G_END_DECLS
