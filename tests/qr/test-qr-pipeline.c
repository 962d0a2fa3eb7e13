/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gst/app/gstappsrc.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "globi-code.h"
#include "globi-qr-code.h"
#include "globi-qr-scanner.h"

/* Frames as a webcam would see a phone's screen: a code rendered, then turned, scaled,
 * shifted and noisy, pushed through an appsrc into the scanner's real pipeline
 * (videoconvert → tee → GRAY8 appsink → zbar, and the RGB preview appsink). */

#define WIDTH  640
#define HEIGHT 480
#define FRAMES 6

#define TEXT "globichat://add?u=01932c4e-7a1b-7c3d-8e4f-0123456789ab&c=AbCdEfGhIjKlMnOpQrStUv"

typedef struct
{
  const char *name;
  double angle_deg;
  double scale;   /* pixels per module */
  int noise;      /* ± this much on every channel */
  int dx, dy;     /* the code's centre off the frame's centre */
  gboolean blank; /* no code at all */
} Variant;

/* Inverse mapping of every pixel onto the module matrix: what a lens and a tilted
 * phone do to the code, minus the perspective. */
static guint8 *
make_frame (GlobiQrCode *code, const Variant *v, GRand *rand)
{
  guint8 *rgb = g_malloc ((gsize) WIDTH * HEIGHT * 3);
  double a = v->angle_deg * G_PI / 180.0;
  double c = cos (a), s = sin (a);
  double size = globi_qr_code_get_size (code);

  for (int y = 0; y < HEIGHT; y++)
    for (int x = 0; x < WIDTH; x++)
      {
        double lum = 0;
        guint8 *p = rgb + ((gsize) y * WIDTH + x) * 3;

        /* 2×2 samples per pixel, each the nearest module: edges as soft as a lens
         * makes them (about a pixel), not a module wide. */
        for (int sy = 0; sy < 2; sy++)
          for (int sx = 0; sx < 2; sx++)
            {
              double px = x + 0.25 + 0.5 * sx - (WIDTH / 2.0 + v->dx);
              double py = y + 0.25 + 0.5 * sy - (HEIGHT / 2.0 + v->dy);
              /* Rotate back, then into module units, centred. */
              double mx = (c * px + s * py) / v->scale + size / 2.0;
              double my = (-s * px + c * py) / v->scale + size / 2.0;
              gboolean dark = !v->blank && mx >= 0 && my >= 0 && mx < size && my < size &&
                              globi_qr_code_get_module (code, (guint) mx, (guint) my);

              lum += (dark ? 30 : 235) / 4.0;
            }
        for (int ch = 0; ch < 3; ch++)
          {
            int value =
                (int) lum + (v->noise ? g_rand_int_range (rand, -v->noise, v->noise + 1) : 0);

            /* A slight colour cast, as from a warm room light. */
            value += ch == 0 ? 6 : ch == 2 ? -6 : 0;
            p[ch] = (guint8) CLAMP (value, 0, 255);
          }
      }
  return rgb;
}

typedef struct
{
  char *found;
  guint frames;
  gboolean ended;
} Watch;

static void
on_code_found_cb (GlobiQrScanner *scanner, const char *text, gpointer user_data)
{
  Watch *watch = user_data;

  g_assert_null (watch->found); /* once per distinct text */
  watch->found = g_strdup (text);
}

static void
on_frame_cb (GlobiQrScanner *scanner, gpointer user_data)
{
  Watch *watch = user_data;

  watch->frames++;
}

static void
on_state_cb (GlobiQrScanner *scanner, GParamSpec *pspec, gpointer user_data)
{
  Watch *watch = user_data;

  if (globi_qr_scanner_get_state (scanner) == GLOBI_QR_SCANNER_IDLE)
    watch->ended = TRUE;
}

static gboolean
on_timeout_cb (gpointer data)
{
  g_error ("the scanner pipeline did not finish within 30 s");
  return G_SOURCE_REMOVE;
}

/* Runs one variant through a fresh scanner; returns what it found (or NULL). */
static char *
scan_variant (const Variant *v, guint *out_frames)
{
  g_autoptr (GlobiQrScanner) scanner = globi_qr_scanner_new ();
  g_autoptr (GlobiQrCode) code = globi_qr_code_new (TEXT, GLOBI_QR_ECC_M, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GError) error = NULL;
  GstElement *src = gst_element_factory_make ("appsrc", "src");
  Watch watch = { 0 };
  guint timeout;

  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGB", "width", G_TYPE_INT,
                              WIDTH, "height", G_TYPE_INT, HEIGHT, "framerate", GST_TYPE_FRACTION,
                              10, 1, NULL);
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  g_signal_connect (scanner, "code-found", G_CALLBACK (on_code_found_cb), &watch);
  g_signal_connect (scanner, "frame", G_CALLBACK (on_frame_cb), &watch);
  g_signal_connect (scanner, "notify::state", G_CALLBACK (on_state_cb), &watch);
  g_assert_true (globi_qr_scanner_play_source (scanner, src, &error));
  g_assert_no_error (error);
  g_assert_cmpint (globi_qr_scanner_get_state (scanner), ==, GLOBI_QR_SCANNER_STARTING);

  for (guint i = 0; i < FRAMES; i++)
    {
      guint8 *rgb = make_frame (code, v, rand);
      GstBuffer *buffer = NULL;

      buffer = gst_buffer_new_wrapped (rgb, (gsize) WIDTH * HEIGHT * 3);

      GST_BUFFER_PTS (buffer) = i * GST_SECOND / 10;
      GST_BUFFER_DURATION (buffer) = GST_SECOND / 10;
      g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src), buffer), ==, GST_FLOW_OK);
    }
  gst_app_src_end_of_stream (GST_APP_SRC (src));

  /* A guard against a hung pipeline, not a speed assertion. */
  timeout = g_timeout_add_seconds (30, on_timeout_cb, NULL);
  while (!watch.ended)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  g_assert_null (globi_qr_scanner_get_error (scanner));
  if (out_frames)
    *out_frames = watch.frames;
  return watch.found;
}

static void
test_variants (void)
{
  static const Variant variants[] = {
    { "straight", 0, 4, 0, 0, 0, FALSE },
    { "rotated 17deg", 17, 4, 0, 0, 0, FALSE },
    { "rotated 90deg and shifted", 90, 3.5, 0, -120, 60, FALSE },
    { "rotated 200deg, scaled up, noisy", 200, 6.3, 40, 0, 0, FALSE },
    { "small and noisy", -8, 2.6, 30, 100, -70, FALSE },
    { "scaled 1.7, rotated 33deg, noisy", 33, 4 * 1.7, 25, 30, 10, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *found = NULL;
      guint frames = 0;

      g_test_message ("variant: %s", variants[i].name);
      found = scan_variant (&variants[i], &frames);
      g_assert_cmpstr (found, ==, TEXT);
      g_assert_cmpuint (frames, >, 0);
      g_assert_cmpint (globi_code_classify (found, NULL, NULL), ==, GLOBI_CODE_ADD);
    }
}

static void
test_no_code (void)
{
  const Variant blank = { "blank", 0, 4, 20, 0, 0, TRUE };
  g_autofree char *found = scan_variant (&blank, NULL);

  g_assert_null (found);
}

/* The preview appsink: packed RGB, no wider than the preview limit. */
static void
on_preview_frame_cb (GlobiQrScanner *scanner, gpointer user_data)
{
  gboolean *checked = user_data;
  guint width = 0, height = 0, stride = 0;
  g_autoptr (GBytes) frame = globi_qr_scanner_get_frame (scanner, &width, &height, &stride);

  g_assert_nonnull (frame);
  /* videotestsrc's default 320×240, kept: smaller than the preview limit. */
  g_assert_cmpuint (width, ==, 320);
  g_assert_cmpuint (height, ==, 240);
  g_assert_cmpuint (stride, >=, width * 3);
  g_assert_cmpuint (g_bytes_get_size (frame), >=, (gsize) stride * height);
  g_assert_cmpint (globi_qr_scanner_get_state (scanner), ==, GLOBI_QR_SCANNER_SCANNING);
  *checked = TRUE;
  globi_qr_scanner_stop (scanner);
}

static void
test_preview (void)
{
  g_autoptr (GlobiQrScanner) scanner = globi_qr_scanner_new ();
  GstElement *src = gst_element_factory_make ("videotestsrc", NULL);
  g_autoptr (GError) error = NULL;
  gboolean checked = FALSE;
  guint width = 1, height = 1, stride = 1;

  g_assert_null (globi_qr_scanner_get_frame (scanner, &width, &height, &stride));
  g_object_set (src, "is-live", TRUE, NULL);
  g_signal_connect (scanner, "frame", G_CALLBACK (on_preview_frame_cb), &checked);
  g_assert_true (globi_qr_scanner_play_source (scanner, src, &error));
  g_assert_no_error (error);
  while (!checked)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (globi_qr_scanner_get_state (scanner), ==, GLOBI_QR_SCANNER_IDLE);
  g_assert_null (globi_qr_scanner_get_frame (scanner, &width, &height, &stride));
}

static void
on_opened_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* CI machines have no camera: open must say so plainly (and a machine with one must
 * list it). */
static void
test_open_cameras (void)
{
  g_autoptr (GlobiQrScanner) scanner = globi_qr_scanner_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  globi_qr_scanner_open_async (scanner, NULL, on_opened_cb, &result);
  g_assert_cmpint (globi_qr_scanner_get_state (scanner), ==, GLOBI_QR_SCANNER_STARTING);
  while (!result)
    g_main_context_iteration (NULL, TRUE);
  if (globi_qr_scanner_open_finish (scanner, result, &error))
    {
      g_assert_nonnull (globi_qr_scanner_get_cameras (scanner)[0]);
      g_test_message ("camera: %s", globi_qr_scanner_get_cameras (scanner)[0]);
    }
  else
    {
      g_assert_true (g_error_matches (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NO_CAMERA) ||
                     g_error_matches (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_ACCESS_DENIED));
      g_assert_cmpint (globi_qr_scanner_get_state (scanner), ==, GLOBI_QR_SCANNER_FAILED);
      g_assert_true (
          g_error_matches (globi_qr_scanner_get_error (scanner), GLOBI_QR_ERROR, error->code));
      g_assert_null (globi_qr_scanner_get_cameras (scanner)[0]);
    }
  g_clear_error (&error);
  g_assert_false (globi_qr_scanner_play (scanner, 999, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NO_CAMERA);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/globi/qr/pipeline/variants", test_variants);
  g_test_add_func ("/globi/qr/pipeline/no-code", test_no_code);
  g_test_add_func ("/globi/qr/pipeline/preview", test_preview);
  g_test_add_func ("/globi/qr/pipeline/open-cameras", test_open_cameras);
  return g_test_run ();
}
