/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-code.h"

/* Every scanned or pasted text reaches globi_code_classify before anything else. It must
 * never crash, and what it accepts must be consistent: a kind with an error is a bug, a
 * friend card's parts must be what the card check accepts. */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiCode) code = NULL;
  g_autoptr (GlobiCode) copy = NULL;
  GlobiCodeKind kind;

  kind = globi_code_classify_bytes ((const char *) data, size, &code, &error);
  if (kind == GLOBI_CODE_INVALID)
    {
      g_assert_nonnull (error);
      g_assert_null (code);
      return 0;
    }
  g_assert_no_error (error);
  g_assert_nonnull (code);
  g_assert_cmpint (code->kind, ==, kind);
  g_assert_true (g_utf8_validate (code->text, -1, NULL));
  g_assert_cmpuint (strlen (code->text), <=, GLOBI_CODE_MAX_BYTES);
  if (kind == GLOBI_CODE_ADD)
    g_assert_true (globi_code_card_is_valid (code->card));
  if (kind == GLOBI_CODE_SECTION)
    g_assert_nonnull (code->section);
  copy = globi_code_copy (code);
  g_assert_cmpstr (copy->text, ==, code->text);
  /* Classifying the trimmed text again gives the same answer. */
  g_assert_cmpint (globi_code_classify (code->text, NULL, NULL), ==, kind);
  return 0;
}
