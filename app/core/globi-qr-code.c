/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-qr-code"

#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <qrencode.h>
#include <string.h>

#include "globi-code.h"
#include "globi-qr-code.h"

/* Beyond this a rendered PNG would be absurd (and its buffer huge). */
#define MAX_RENDER_PX 8192

struct _GlobiQrCode
{
  GObject parent_instance;

  char *text;
  GlobiQrEcc ecc;
  guint size;      /* with the quiet zone */
  guint8 *modules; /* size × size, 1 = dark */
};

G_DEFINE_FINAL_TYPE (GlobiQrCode, globi_qr_code, G_TYPE_OBJECT)

static void
globi_qr_code_finalize (GObject *object)
{
  GlobiQrCode *self = GLOBI_QR_CODE (object);

  g_clear_pointer (&self->text, g_free);
  g_clear_pointer (&self->modules, g_free);
  G_OBJECT_CLASS (globi_qr_code_parent_class)->finalize (object);
}

static void
globi_qr_code_class_init (GlobiQrCodeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = globi_qr_code_finalize;
}

static void
globi_qr_code_init (GlobiQrCode *self)
{
}

GlobiQrCode *
globi_qr_code_new (const char *text, GlobiQrEcc ecc, GError **error)
{
  static const QRecLevel levels[] = { QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H };
  g_autoptr (GlobiQrCode) self = NULL;
  QRcode *qr = NULL;
  gsize len;
  guint width;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (ecc <= GLOBI_QR_ECC_H, NULL);

  len = strlen (text);
  if (len == 0 || len > GLOBI_CODE_MAX_BYTES)
    {
      g_set_error_literal (
          error, GLOBI_QR_ERROR, len ? GLOBI_QR_ERROR_TOO_LONG : GLOBI_QR_ERROR_INVALID,
          len ? _ ("the text is too long for a QR code") : _ ("there is no text to encode"));
      return NULL;
    }
  /* 8-bit mode keeps the text byte for byte (no Kanji guessing on UTF-8). */
  qr = QRcode_encodeData ((int) len, (const unsigned char *) text, 0, levels[ecc]);
  if (!qr)
    {
      int saved = errno;

      g_set_error (error, GLOBI_QR_ERROR,
                   saved == ERANGE ? GLOBI_QR_ERROR_TOO_LONG : GLOBI_QR_ERROR_INVALID,
                   saved == ERANGE ? _ ("the text is too long for a QR code")
                                   : _ ("the text cannot be encoded: %s"),
                   g_strerror (saved));
      return NULL;
    }

  self = g_object_new (GLOBI_TYPE_QR_CODE, NULL);
  self->text = g_strdup (text);
  self->ecc = ecc;
  width = (guint) qr->width;
  self->size = width + 2 * GLOBI_QR_QUIET_ZONE;
  self->modules = g_malloc0 ((gsize) self->size * self->size);
  for (guint y = 0; y < width; y++)
    for (guint x = 0; x < width; x++)
      self->modules[(y + GLOBI_QR_QUIET_ZONE) * self->size + x + GLOBI_QR_QUIET_ZONE] =
          qr->data[y * width + x] & 1;
  QRcode_free (qr);
  return g_steal_pointer (&self);
}

const char *
globi_qr_code_get_text (GlobiQrCode *self)
{
  g_return_val_if_fail (GLOBI_IS_QR_CODE (self), NULL);
  return self->text;
}

GlobiQrEcc
globi_qr_code_get_ecc (GlobiQrCode *self)
{
  g_return_val_if_fail (GLOBI_IS_QR_CODE (self), GLOBI_QR_ECC_L);
  return self->ecc;
}

guint
globi_qr_code_get_size (GlobiQrCode *self)
{
  g_return_val_if_fail (GLOBI_IS_QR_CODE (self), 0);
  return self->size;
}

gboolean
globi_qr_code_get_module (GlobiQrCode *self, guint x, guint y)
{
  g_return_val_if_fail (GLOBI_IS_QR_CODE (self), FALSE);

  if (x >= self->size || y >= self->size)
    return FALSE;
  return self->modules[y * self->size + x] != 0;
}

guint
globi_qr_code_get_centre_modules (GlobiQrCode *self)
{
  guint inner;
  guint side;

  g_return_val_if_fail (GLOBI_IS_QR_CODE (self), 0);

  if (self->ecc != GLOBI_QR_ECC_H)
    return 0;
  /* About 7 % of the symbol's area (a quarter of what H can recover), and odd so it
   * sits on the centre module. */
  inner = self->size - 2 * GLOBI_QR_QUIET_ZONE;
  side = (guint) (inner * 0.26);
  if (side % 2 == 0)
    side--;
  return side;
}

guint
globi_qr_code_scale_for (GlobiQrCode *self, guint max_px)
{
  g_return_val_if_fail (GLOBI_IS_QR_CODE (self), 1);
  return MAX (1, max_px / self->size);
}

GdkPixbuf *
globi_qr_code_render (GlobiQrCode *self, guint scale, GdkPixbuf *centre, GError **error)
{
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  guint px;
  guint side = 0, start = 0, hole_from = 0, hole_to = 0;
  guint8 *pixels;
  int stride;

  g_return_val_if_fail (GLOBI_IS_QR_CODE (self), NULL);
  g_return_val_if_fail (centre == NULL || GDK_IS_PIXBUF (centre), NULL);

  if (scale == 0 || (gsize) self->size * scale > MAX_RENDER_PX)
    {
      g_set_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_TOO_LONG,
                   _ ("a QR code image is at most %u pixels wide"), MAX_RENDER_PX);
      return NULL;
    }
  if (centre && self->ecc != GLOBI_QR_ECC_H)
    {
      g_set_error_literal (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_INVALID,
                           _ ("a centre image needs error correction H"));
      return NULL;
    }

  px = self->size * scale;
  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) px, (int) px);
  if (!pixbuf)
    {
      g_set_error_literal (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE, _ ("out of memory"));
      return NULL;
    }
  if (centre)
    {
      side = globi_qr_code_get_centre_modules (self) * scale;
      start = (px - side) / 2;
      /* A white margin of one module keeps the image off the modules around it. */
      hole_from = start - scale;
      hole_to = start + side + scale;
    }
  pixels = gdk_pixbuf_get_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  for (guint y = 0; y < px; y++)
    {
      guint8 *row = pixels + (gsize) y * stride;
      const guint8 *modules = self->modules + (gsize) (y / scale) * self->size;
      gboolean hole_row = y >= hole_from && y < hole_to;

      for (guint x = 0; x < px; x++)
        {
          gboolean dark = modules[x / scale] && !(hole_row && x >= hole_from && x < hole_to);

          memset (row + 3 * x, dark ? 0x00 : 0xff, 3);
        }
    }
  if (centre && side > 0)
    {
      g_autoptr (GdkPixbuf) scaled =
          gdk_pixbuf_scale_simple (centre, (int) side, (int) side, GDK_INTERP_BILINEAR);

      if (scaled)
        gdk_pixbuf_composite (scaled, pixbuf, (int) start, (int) start, (int) side, (int) side,
                              start, start, 1.0, 1.0, GDK_INTERP_NEAREST, 255);
    }
  return g_steal_pointer (&pixbuf);
}

gboolean
globi_qr_code_save_png (
    GlobiQrCode *self, const char *path, guint scale, GdkPixbuf *centre, GError **error)
{
  g_autoptr (GdkPixbuf) pixbuf = NULL;

  g_return_val_if_fail (GLOBI_IS_QR_CODE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!(pixbuf = globi_qr_code_render (self, scale, centre, error)))
    return FALSE;
  return gdk_pixbuf_save (pixbuf, path, "png", error, NULL);
}
