/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globichat-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-cli.h"

const GlobiCliCommand globi_cli_link_commands[] = {
  { NULL, NULL, NULL, NULL },
};
