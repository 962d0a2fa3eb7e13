/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globichat"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <sodium.h>

#include "globi-application.h"

/* The interface language is read before GTK starts, because gettext picks the catalogue
 * from LANGUAGE once: that is why the setting applies after a restart. */
static void
apply_ui_language (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettings) settings = NULL;
  g_autofree char *language = NULL;

  if (source)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (!schema)
    return;
  settings = g_settings_new (APP_ID);
  language = g_settings_get_string (settings, "ui-language");
  if (language && *language)
    g_setenv ("LANGUAGE", language, TRUE);
}

/* With the cairo renderer nothing draws through OpenGL, yet GTK 4.8 on X11 still loads
 * the GL driver to choose a visual: with Mesa that is about 30 MiB and a tenth of a
 * second at start-up, for nothing. */
static void
skip_unused_gl (void)
{
  if (g_strcmp0 (g_getenv ("GSK_RENDERER"), "cairo") == 0 && !g_getenv ("GDK_DEBUG"))
    g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GlobiApplication) app = NULL;

  if (sodium_init () < 0)
    {
      g_printerr ("Could not initialise libsodium\n");
      return 1;
    }

  skip_unused_gl ();
  apply_ui_language ();
  setlocale (LC_ALL, "");
  /* GLOBICHAT_LOCALEDIR lets an uninstalled build use the catalogues in the build tree. */
  bindtextdomain (GETTEXT_PACKAGE,
                  g_getenv ("GLOBICHAT_LOCALEDIR") ? g_getenv ("GLOBICHAT_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = globi_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
