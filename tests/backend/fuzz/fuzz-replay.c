/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib.h>

/* Without libFuzzer (gcc builds), each harness is linked with this main() instead: it
 * runs every file of the corpus directories given on the command line once, so the
 * harnesses and their corpus run in every test suite. */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
replay_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error))
    g_error ("%s", error->message);
  /* A copy of exactly len bytes, so that ASan catches a harness reading past the input. */
  {
    g_autofree guint8 *input = g_memdup2 (contents, len);

    LLVMFuzzerTestOneInput (input, len);
  }
}

int
main (int argc, char *argv[])
{
  guint count = 0;

  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (GDir) dir = g_dir_open (argv[i], 0, &error);
          const char *name;

          if (dir == NULL)
            g_error ("%s", error->message);
          while ((name = g_dir_read_name (dir)) != NULL)
            {
              g_autofree char *path = g_build_filename (argv[i], name, NULL);

              replay_file (path);
              count++;
            }
        }
      else
        {
          replay_file (argv[i]);
          count++;
        }
    }
  if (count == 0)
    g_error ("No corpus files given");
  g_print ("Replayed %u inputs\n", count);
  return 0;
}
