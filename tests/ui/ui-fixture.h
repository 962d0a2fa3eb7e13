/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "globi-test-util.h"

G_BEGIN_DECLS

/* GTK needs a display; CI runs the suite under xvfb-run. FALSE (and the test is skipped
 * with the reason) when there is none. */
gboolean   ui_test_init         (int          *argc,
                                 char       ***argv);
gboolean   ui_test_have_display (void);
/* Iterates the default main context until check returns TRUE; fails the test after
 * timeout_s seconds (a guard against hangs, not a speed assertion). */
void       ui_wait_until        (gboolean (*check) (gpointer data),
                                 gpointer      data,
                                 guint         timeout_s,
                                 const char   *what);
/* Finds the first GtkButton under widget whose label is label (mnemonic underscores
 * included as written in the .ui); NULL finds an icon-only button. */
GtkWidget *ui_find_button       (GtkWidget    *widget,
                                 const char   *label);
/* The first widget under widget (itself included, depth first) that match accepts. */
GtkWidget *ui_find_widget       (GtkWidget    *widget,
                                 gboolean    (*match) (GtkWidget *widget,
                                                       gpointer   data),
                                 gpointer      data);
/* Destroys every toplevel (dialogs included: each holds the application) and lets the
 * main context finish what that queued; the start of every UI test's teardown. */
void       ui_destroy_windows   (void);

G_END_DECLS
