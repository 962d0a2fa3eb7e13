/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Removes a test's temporary directory and everything in it (no symlinks followed). */
void globi_test_remove_tree (const char *path);

G_END_DECLS
