/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-code.h"
#include "globi-qr-scanner.h"

/* Images opened, dropped or pasted into the scan dialog (and `qr scan FILE`) go through
 * gdk-pixbuf and zbar. The first input byte picks the path: even, the bytes are an
 * encoded image (globi_qr_decode_bytes); odd, they are a raw grey frame whose width is
 * the second byte (globi_qr_decode_gray, as camera frames are). Either way: a text or a
 * GLOBI_QR_ERROR, never a crash. */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  if (size < 2)
    return 0;
  if ((data[0] & 1) == 0)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (data + 1, size - 1);

      text = globi_qr_decode_bytes (bytes, &len, &error);
    }
  else
    {
      guint width = MAX (1, data[1]);
      gsize pixels = size - 2;
      guint height = pixels / width;

      if (height == 0)
        return 0;
      text = globi_qr_decode_gray (data + 2, width, height, width, &len, &error);
    }
  if (text)
    {
      g_assert_no_error (error);
      g_assert_cmpuint (strlen (text), <=, len);
      /* Whatever was read goes to the dispatcher next: it must cope too. */
      globi_code_classify_bytes (text, len, NULL, NULL);
    }
  else
    g_assert_true (error && error->domain == GLOBI_QR_ERROR);
  return 0;
}
