/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-wallet-style"

#include "config.h"

#include "globi-wallet-style.h"

/* The wallet's look stays with its code (data/ui/style.css is the app shell's). */
static const char wallet_css[] =
    ".wallet-balance { font-size: 2.6em; font-weight: 800; font-feature-settings: 'tnum'; }\n"
    ".wallet-hero { padding: 24px; border-radius: 12px;"
    "  background-image: linear-gradient(135deg, #26a269, #2ec27e); color: white; }\n"
    ".wallet-hero label.dim-label { color: alpha(white, 0.8); opacity: 1; }\n"
    ".wallet-action { padding: 12px 6px; min-width: 84px; }\n"
    ".wallet-action image { -gtk-icon-size: 24px; }\n"
    ".amount-big { font-size: 2em; font-weight: 800; font-feature-settings: 'tnum'; }\n"
    ".amount-in { color: @success_color; }\n"
    "payment-card { min-width: 260px; border-radius: 10px; color: white; }\n"
    "payment-card .card-top { padding: 12px 14px; }\n"
    "payment-card .card-bottom { padding: 4px 14px 8px 14px; font-size: 0.85em;"
    "  border-top: 1px solid alpha(white, 0.3); }\n"
    "payment-card.transfer { background-color: #e66100; }\n"
    "payment-card.request { background-color: #1c71d8; }\n"
    "payment-card.red-packet { background-color: #c01c28; }\n"
    "payment-card.done { opacity: 0.8; }\n"
    "payment-card .card-amount { font-size: 1.4em; font-weight: 800; }\n"
    "payment-card button { color: white; background-color: alpha(white, 0.2);"
    "  padding: 2px 12px; min-height: 26px; }\n"
    "payment-confirmation .confirmation-amount { font-size: 2.2em; font-weight: 800;"
    "  font-feature-settings: 'tnum'; }\n"
    ".pin-entry { font-size: 1.6em; letter-spacing: 8px; }\n";

void
globi_wallet_style_ensure (void)
{
  static gboolean loaded = FALSE;
  g_autoptr (GtkCssProvider) provider = NULL;
  GdkDisplay *display = gdk_display_get_default ();

  if (loaded || !display)
    return;
  loaded = TRUE;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, wallet_css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

gboolean
globi_wallet_style_reduced_motion (GtkWidget *widget)
{
  gboolean enabled = TRUE;
  const char *forced = g_getenv ("GLOBICHAT_REDUCED_MOTION");

  if (forced && *forced)
    return g_str_equal (forced, "1");
  g_object_get (widget ? gtk_widget_get_settings (widget) : gtk_settings_get_default (),
                "gtk-enable-animations", &enabled, NULL);
  return !enabled;
}
