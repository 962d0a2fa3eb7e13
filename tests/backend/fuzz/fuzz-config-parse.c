/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <stdlib.h>

#include "globi-server-config.h"

/* An operator's config file is trusted, but a typo in it must end in an error message,
 * never a crash or a half-applied config that validates. */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *config_dir = NULL;
static char *config_path = NULL;

static void
remove_config_dir (void)
{
  g_unlink (config_path);
  g_rmdir (config_dir);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GlobiServerConfig) config = globi_server_config_new ();
  g_autoptr (GlobiServerConfig) copy = NULL;
  g_autoptr (GError) error = NULL;

  if (config_path == NULL)
    {
      if (sodium_init () < 0)
        abort ();
      config_dir = g_dir_make_tmp ("globi-fuzz-XXXXXX", NULL);
      g_assert_nonnull (config_dir);
      config_path = g_build_filename (config_dir, "server.conf", NULL);
      atexit (remove_config_dir);
    }

  /* No fsync: this file only has to outlive the next line. */
  g_assert_true (g_file_set_contents_full (config_path, (const char *) data, size,
                                           G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  if (globi_server_config_load_file (config, config_path, &error))
    {
      g_assert_no_error (error);
      /* Whatever was accepted can be copied and validated without crashing. */
      copy = globi_server_config_copy (config);
      globi_server_config_validate (copy, NULL);
    }
  else
    g_assert_nonnull (error);
  return 0;
}
