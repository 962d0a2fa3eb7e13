/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* Reading QR codes: one-shot decoding of images (files, bytes, pixbufs, raw grey frames)
 * through zbar, and a camera session — a GStreamer pipeline from the camera (v4l2src, or
 * pipewiresrc through the camera portal inside Flatpak) to two appsinks: GRAY8 frames for
 * zbar and RGB frames for a live preview. */

/* Images larger than this on a side are refused; bigger files than this are too. */
#define GLOBI_QR_MAX_IMAGE_SIDE  16384
#define GLOBI_QR_MAX_IMAGE_BYTES (32 * 1024 * 1024)

/* The text of the first QR code in a tightly or loosely packed 8-bit grey frame, or
 * GLOBI_QR_ERROR_NOT_FOUND. The text is returned byte for byte (zbar's binary mode),
 * NUL-terminated; out_len (optional) counts its bytes. */
char *globi_qr_decode_gray         (const guint8         *data,
                                    guint                 width,
                                    guint                 height,
                                    guint                 stride,
                                    gsize                *out_len,
                                    GError              **error);
/* Any GdkPixbuf (alpha is composited on white). */
char *globi_qr_decode_pixbuf       (GdkPixbuf            *pixbuf,
                                    gsize                *out_len,
                                    GError              **error);
/* Encoded image bytes (PNG, JPEG, WebP, … whatever gdk-pixbuf loads), within the limits
 * above: GLOBI_QR_ERROR_IMAGE otherwise. Blocking: call from a worker thread in the UI. */
char *globi_qr_decode_bytes        (GBytes               *bytes,
                                    gsize                *out_len,
                                    GError              **error);
char *globi_qr_decode_file         (const char           *path,
                                    gsize                *out_len,
                                    GError              **error);
/* decode_bytes on a worker thread; finish returns the text. */
void  globi_qr_decode_bytes_async  (GBytes               *bytes,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
char *globi_qr_decode_bytes_finish (GAsyncResult         *result,
                                    GError              **error);

typedef enum
{
  GLOBI_QR_SCANNER_IDLE,
  GLOBI_QR_SCANNER_STARTING, /* looking for cameras, asking the portal, opening */
  GLOBI_QR_SCANNER_SCANNING, /* frames are arriving */
  GLOBI_QR_SCANNER_FAILED,   /* see globi_qr_scanner_get_error */
} GlobiQrScannerState;

#define GLOBI_TYPE_QR_SCANNER (globi_qr_scanner_get_type ())
G_DECLARE_FINAL_TYPE (GlobiQrScanner, globi_qr_scanner, GLOBI, QR_SCANNER, GObject)

/* Signals (emitted on the main context the scanner was made on):
 * - "code-found" (const char *text): a QR code read from the camera; once per distinct
 *   text per session.
 * - "frame": a new preview frame (globi_qr_scanner_get_frame).
 * Property "state" (GlobiQrScannerState) notifies changes. */
GlobiQrScanner      *globi_qr_scanner_new          (void);
GlobiQrScannerState  globi_qr_scanner_get_state    (GlobiQrScanner       *self);
/* The reason of GLOBI_QR_SCANNER_FAILED (NO_CAMERA, ACCESS_DENIED or CAMERA). */
const GError        *globi_qr_scanner_get_error    (GlobiQrScanner       *self);
/* Finds the cameras (on a worker thread, or through the camera portal in Flatpak).
 * Fails with NO_CAMERA or ACCESS_DENIED. */
void                 globi_qr_scanner_open_async   (GlobiQrScanner       *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean             globi_qr_scanner_open_finish  (GlobiQrScanner       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* The cameras found by open, by display name (owned by the scanner). */
const char * const  *globi_qr_scanner_get_cameras  (GlobiQrScanner       *self);
/* Starts streaming from camera index (of get_cameras). */
gboolean             globi_qr_scanner_play         (GlobiQrScanner       *self,
                                                    guint                 index,
                                                    GError              **error);
/* Streams from any source element producing raw video (tests feed an appsrc); the
 * scanner takes the floating reference. */
gboolean             globi_qr_scanner_play_source  (GlobiQrScanner       *self,
                                                    GstElement           *source,
                                                    GError              **error);
void                 globi_qr_scanner_stop         (GlobiQrScanner       *self);
/* The last preview frame, packed RGB (3 bytes a pixel, rows of stride bytes); NULL
 * before the first. */
GBytes              *globi_qr_scanner_get_frame    (GlobiQrScanner       *self,
                                                    guint                *width,
                                                    guint                *height,
                                                    guint                *stride);

G_END_DECLS
