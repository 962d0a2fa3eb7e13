/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-qr-scanner"

#include "config.h"

#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <string.h>
#include <unistd.h>
#include <zbar.h>

#include "globi-code.h"
#include "globi-qr-scanner.h"

/* Photos are scaled to this before a second try: zbar finds small codes in huge photos
 * poorly, and a scaled copy costs little next to a failed first pass. */
#define RETRY_SIDE 1280
/* Preview frames wider than this are scaled down in the pipeline. */
#define PREVIEW_WIDTH 640

#define PORTAL_BUS   "org.freedesktop.portal.Desktop"
#define PORTAL_PATH  "/org/freedesktop/portal/desktop"
#define PORTAL_IFACE "org.freedesktop.portal.Camera"

enum
{
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum
{
  SIGNAL_CODE_FOUND,
  SIGNAL_FRAME,
  N_SIGNALS
};

struct _GlobiQrScanner
{
  GObject parent_instance;

  GMainContext *context;
  GlobiQrScannerState state;
  GError *error;
  GPtrArray *devices; /* GstDevice, or empty with portal_fd for the portal's camera */
  GStrv camera_names;
  int portal_fd; /* PipeWire remote from the camera portal, or -1 */
  guint session; /* counts play () calls; read by the streaming threads */
  GstElement *pipeline;
  guint bus_watch;

  /* Shared with the streaming threads. */
  GMutex lock;
  GBytes *frame;
  guint frame_width, frame_height, frame_stride;
  gboolean frame_pending;
  GHashTable *found; /* texts already reported this session */
  zbar_image_scanner_t *zbar;
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (GlobiQrScanner, globi_qr_scanner, G_TYPE_OBJECT)

/* Decoding */

static zbar_image_scanner_t *
zbar_scanner_new (void)
{
  zbar_image_scanner_t *scanner = zbar_image_scanner_create ();

  zbar_image_scanner_set_config (scanner, 0, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  /* The bytes as encoded: zbar would otherwise guess a charset and re-encode. */
  zbar_image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
  return scanner;
}

static char *
scan_with (zbar_image_scanner_t *scanner,
           const guint8 *data,
           guint width,
           guint height,
           guint stride,
           gsize *out_len)
{
  g_autofree guint8 *packed = NULL;
  zbar_image_t *image = NULL;
  const zbar_symbol_t *symbol = NULL;
  char *text = NULL;

  if (stride != width)
    {
      packed = g_malloc ((gsize) width * height);
      for (guint y = 0; y < height; y++)
        memcpy (packed + (gsize) y * width, data + (gsize) y * stride, width);
      data = packed;
    }
  image = zbar_image_create ();
  zbar_image_set_format (image, zbar_fourcc ('Y', '8', '0', '0'));
  zbar_image_set_size (image, width, height);
  zbar_image_set_data (image, data, (unsigned long) width * height, NULL);
  if (zbar_scan_image (scanner, image) > 0)
    for (symbol = zbar_image_first_symbol (image); symbol; symbol = zbar_symbol_next (symbol))
      if (zbar_symbol_get_type (symbol) == ZBAR_QRCODE)
        {
          gsize len = zbar_symbol_get_data_length (symbol);

          text = g_malloc (len + 1);
          memcpy (text, zbar_symbol_get_data (symbol), len);
          text[len] = '\0';
          if (out_len)
            *out_len = len;
          break;
        }
  zbar_image_destroy (image);
  return text;
}

char *
globi_qr_decode_gray (
    const guint8 *data, guint width, guint height, guint stride, gsize *out_len, GError **error)
{
  zbar_image_scanner_t *scanner = NULL;
  char *text = NULL;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (stride >= width, NULL);

  if (width == 0 || height == 0 || width > GLOBI_QR_MAX_IMAGE_SIDE ||
      height > GLOBI_QR_MAX_IMAGE_SIDE)
    {
      g_set_error_literal (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE,
                           _ ("the image is empty or too large"));
      return NULL;
    }
  scanner = zbar_scanner_new ();
  text = scan_with (scanner, data, width, height, stride, out_len);
  zbar_image_scanner_destroy (scanner);
  if (!text)
    g_set_error_literal (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NOT_FOUND,
                         _ ("no QR code found in the image"));
  return text;
}

static guint8 *
pixbuf_to_gray (GdkPixbuf *pixbuf, guint *width, guint *height)
{
  guint w = gdk_pixbuf_get_width (pixbuf);
  guint h = gdk_pixbuf_get_height (pixbuf);
  guint n = gdk_pixbuf_get_n_channels (pixbuf);
  guint stride = gdk_pixbuf_get_rowstride (pixbuf);
  gboolean alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  guint8 *gray = g_malloc ((gsize) w * h);

  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      {
        const guint8 *p = pixels + (gsize) y * stride + (gsize) x * n;
        guint lum = (p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000;

        /* Transparent areas read as white paper. */
        if (alpha && n == 4)
          lum = (lum * p[3] + 255 * (255 - p[3])) / 255;
        gray[(gsize) y * w + x] = (guint8) lum;
      }
  *width = w;
  *height = h;
  return gray;
}

char *
globi_qr_decode_pixbuf (GdkPixbuf *pixbuf, gsize *out_len, GError **error)
{
  g_autofree guint8 *gray = NULL;
  g_autoptr (GError) local = NULL;
  guint width = 0, height = 0;
  char *text = NULL;

  g_return_val_if_fail (GDK_IS_PIXBUF (pixbuf), NULL);

  if (gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB ||
      gdk_pixbuf_get_bits_per_sample (pixbuf) != 8 || gdk_pixbuf_get_n_channels (pixbuf) < 3)
    {
      g_set_error_literal (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE,
                           _ ("unsupported pixel format"));
      return NULL;
    }
  gray = pixbuf_to_gray (pixbuf, &width, &height);
  text = globi_qr_decode_gray (gray, width, height, width, out_len, &local);
  if (!text && g_error_matches (local, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NOT_FOUND) &&
      MAX (width, height) > RETRY_SIDE)
    {
      double f = (double) RETRY_SIDE / MAX (width, height);
      g_autoptr (GdkPixbuf) small = gdk_pixbuf_scale_simple (
          pixbuf, MAX (1, (int) (width * f)), MAX (1, (int) (height * f)), GDK_INTERP_BILINEAR);

      if (small)
        {
          g_autofree guint8 *small_gray = pixbuf_to_gray (small, &width, &height);

          g_clear_error (&local);
          text = globi_qr_decode_gray (small_gray, width, height, width, out_len, &local);
        }
    }
  if (!text)
    g_propagate_error (error, g_steal_pointer (&local));
  return text;
}

static void
on_size_prepared_cb (GdkPixbufLoader *loader, int width, int height, gpointer user_data)
{
  gboolean *too_large = user_data;

  if (width <= 0 || height <= 0 || width > GLOBI_QR_MAX_IMAGE_SIDE ||
      height > GLOBI_QR_MAX_IMAGE_SIDE)
    {
      *too_large = TRUE;
      /* Ask the loader for a 1×1 image: it stops allocating for the real size. */
      gdk_pixbuf_loader_set_size (loader, 1, 1);
    }
}

char *
globi_qr_decode_bytes (GBytes *bytes, gsize *out_len, GError **error)
{
  g_autoptr (GdkPixbufLoader) loader = NULL;
  g_autoptr (GError) local = NULL;
  gboolean too_large = FALSE;
  GdkPixbuf *pixbuf = NULL;
  gsize len = 0;
  const guint8 *data = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  if (len == 0 || len > GLOBI_QR_MAX_IMAGE_BYTES)
    {
      g_set_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE,
                   len ? _ ("the image is over %u MiB") : _ ("the file is empty"),
                   GLOBI_QR_MAX_IMAGE_BYTES / (1024 * 1024));
      return NULL;
    }
  loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared_cb), &too_large);
  /* close () also after a failed write: a loader left open warns when finalized. */
  if (!gdk_pixbuf_loader_write (loader, data, len, &local))
    gdk_pixbuf_loader_close (loader, NULL);
  else if (gdk_pixbuf_loader_close (loader, &local))
    pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (!pixbuf)
    {
      g_set_error_literal (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE,
                           _ ("the file is not an image this app can read"));
      return NULL;
    }
  if (too_large)
    {
      g_set_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE,
                   _ ("the image is over %u pixels on a side"), GLOBI_QR_MAX_IMAGE_SIDE);
      return NULL;
    }
  return globi_qr_decode_pixbuf (pixbuf, out_len, error);
}

char *
globi_qr_decode_file (const char *path, gsize *out_len, GError **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_new_for_commandline_arg (path);
  /* The size first: a huge file is refused before it is read. */
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL,
                            &local);
  if (info && g_file_info_get_size (info) > GLOBI_QR_MAX_IMAGE_BYTES)
    {
      g_set_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE, _ ("the image is over %u MiB"),
                   GLOBI_QR_MAX_IMAGE_BYTES / (1024 * 1024));
      return NULL;
    }
  if (!info || !(bytes = g_file_load_bytes (file, NULL, NULL, &local)))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", path);
      return NULL;
    }
  return globi_qr_decode_bytes (bytes, out_len, error);
}

static void
decode_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  char *text = globi_qr_decode_bytes (task_data, NULL, &error);

  if (text)
    g_task_return_pointer (task, text, g_free);
  else
    g_task_return_error (task, error);
}

void
globi_qr_decode_bytes_async (GBytes *bytes,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (bytes != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, globi_qr_decode_bytes_async);
  g_task_set_task_data (task, g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, decode_thread);
}

char *
globi_qr_decode_bytes_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The camera session */

static void
set_state (GlobiQrScanner *self, GlobiQrScannerState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
fail_with (GlobiQrScanner *self, GError *error)
{
  g_clear_error (&self->error);
  self->error = error;
  set_state (self, GLOBI_QR_SCANNER_FAILED);
}

static void
teardown_pipeline (GlobiQrScanner *self)
{
  if (self->bus_watch)
    {
      g_source_remove (self->bus_watch);
      self->bus_watch = 0;
    }
  if (self->pipeline)
    {
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      g_clear_object (&self->pipeline);
    }
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->frame, g_bytes_unref);
  g_mutex_unlock (&self->lock);
}

static void
globi_qr_scanner_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiQrScanner *self = GLOBI_QR_SCANNER (object);

  switch (prop_id)
    {
      case PROP_STATE:
        g_value_set_int (value, self->state);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_qr_scanner_dispose (GObject *object)
{
  GlobiQrScanner *self = GLOBI_QR_SCANNER (object);

  teardown_pipeline (self);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  G_OBJECT_CLASS (globi_qr_scanner_parent_class)->dispose (object);
}

static void
globi_qr_scanner_finalize (GObject *object)
{
  GlobiQrScanner *self = GLOBI_QR_SCANNER (object);

  if (self->portal_fd >= 0)
    close (self->portal_fd);
  g_clear_pointer (&self->camera_names, g_strfreev);
  g_clear_error (&self->error);
  g_clear_pointer (&self->found, g_hash_table_unref);
  g_clear_pointer (&self->zbar, zbar_image_scanner_destroy);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (globi_qr_scanner_parent_class)->finalize (object);
}

static void
globi_qr_scanner_class_init (GlobiQrScannerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = globi_qr_scanner_get_property;
  object_class->dispose = globi_qr_scanner_dispose;
  object_class->finalize = globi_qr_scanner_finalize;

  /* The app and the CLI need not know that scanning is GStreamer underneath. */
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  properties[PROP_STATE] = g_param_spec_int (
      "state", NULL, NULL, GLOBI_QR_SCANNER_IDLE, GLOBI_QR_SCANNER_FAILED, GLOBI_QR_SCANNER_IDLE,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CODE_FOUND] =
      g_signal_new ("code-found", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_FRAME] = g_signal_new ("frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
globi_qr_scanner_init (GlobiQrScanner *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->portal_fd = -1;
  self->found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->zbar = zbar_scanner_new ();
  self->devices = g_ptr_array_new_with_free_func (gst_object_unref);
  self->camera_names = g_new0 (char *, 1);
}

/* Streaming threads hand results to the main context through these, in order: a code
 * found in the last frames arrives before the end of the stream. */
typedef enum
{
  DELIVER_FRAME,
  DELIVER_CODE,
  DELIVER_END,
} DeliveryKind;

typedef struct
{
  GWeakRef scanner;
  guint session; /* results of an earlier play () are dropped */
  DeliveryKind kind;
  char *text;
} Delivery;

static gboolean
deliver_cb (gpointer data)
{
  Delivery *delivery = data;
  g_autoptr (GlobiQrScanner) self = g_weak_ref_get (&delivery->scanner);

  if (!self || !self->pipeline || delivery->session != self->session)
    return G_SOURCE_REMOVE;
  switch (delivery->kind)
    {
      case DELIVER_CODE:
        g_signal_emit (self, signals[SIGNAL_CODE_FOUND], 0, delivery->text);
        break;
      case DELIVER_FRAME:
        g_mutex_lock (&self->lock);
        self->frame_pending = FALSE;
        g_mutex_unlock (&self->lock);
        set_state (self, GLOBI_QR_SCANNER_SCANNING);
        g_signal_emit (self, signals[SIGNAL_FRAME], 0);
        break;
      case DELIVER_END:
      default:
        /* A source that ends (a test's appsrc, an unplugged camera) leaves the state. */
        teardown_pipeline (self);
        set_state (self, GLOBI_QR_SCANNER_IDLE);
        break;
    }
  return G_SOURCE_REMOVE;
}

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  g_weak_ref_clear (&delivery->scanner);
  g_free (delivery->text);
  g_free (delivery);
}

static void
deliver (GlobiQrScanner *self, DeliveryKind kind, char *text)
{
  Delivery *delivery = g_new0 (Delivery, 1);

  g_weak_ref_init (&delivery->scanner, self);
  delivery->session = g_atomic_int_get (&self->session);
  delivery->kind = kind;
  delivery->text = text;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, deliver_cb, delivery,
                              delivery_free);
}

static void
on_scan_eos_cb (GstAppSink *sink, gpointer user_data)
{
  deliver (user_data, DELIVER_END, NULL);
}

static gboolean
map_frame (GstSample *sample, GstVideoFrame *frame)
{
  GstVideoInfo info;

  return gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) &&
         gst_video_frame_map (frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ);
}

static GstFlowReturn
on_scan_sample_cb (GstAppSink *sink, gpointer user_data)
{
  GlobiQrScanner *self = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstVideoFrame frame;
  char *text = NULL;
  gsize len = 0;

  if (!sample)
    return GST_FLOW_EOS;
  if (!map_frame (sample, &frame))
    return GST_FLOW_OK;
  /* Only this thread touches the zbar scanner; its lock guards nothing else. */
  text =
      scan_with (self->zbar, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0), GST_VIDEO_FRAME_WIDTH (&frame),
                 GST_VIDEO_FRAME_HEIGHT (&frame), GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), &len);
  gst_video_frame_unmap (&frame);
  if (!text)
    return GST_FLOW_OK;
  g_mutex_lock (&self->lock);
  if (strlen (text) == len && !g_hash_table_contains (self->found, text))
    {
      g_hash_table_add (self->found, g_strdup (text));
      deliver (self, DELIVER_CODE, g_steal_pointer (&text));
    }
  g_mutex_unlock (&self->lock);
  g_free (text);
  return GST_FLOW_OK;
}

static GstFlowReturn
on_preview_sample_cb (GstAppSink *sink, gpointer user_data)
{
  GlobiQrScanner *self = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstVideoFrame frame;
  GBytes *bytes = NULL;
  guint width, height, stride;
  gboolean schedule;

  if (!sample)
    return GST_FLOW_EOS;
  if (!map_frame (sample, &frame))
    return GST_FLOW_OK;
  width = GST_VIDEO_FRAME_WIDTH (&frame);
  height = GST_VIDEO_FRAME_HEIGHT (&frame);
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  bytes = g_bytes_new (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0), (gsize) stride * height);
  gst_video_frame_unmap (&frame);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->frame, g_bytes_unref);
  self->frame = bytes;
  self->frame_width = width;
  self->frame_height = height;
  self->frame_stride = stride;
  /* One pending hand-over at a time: a slow main loop sees the newest frame, not a queue. */
  schedule = !self->frame_pending;
  self->frame_pending = TRUE;
  g_mutex_unlock (&self->lock);
  if (schedule)
    deliver (self, DELIVER_FRAME, NULL);
  return GST_FLOW_OK;
}

static GError *
error_from_message (GstMessage *message)
{
  g_autoptr (GError) gst_error = NULL;
  g_autofree char *debug = NULL;
  GlobiQrErrorCode code = GLOBI_QR_ERROR_CAMERA;

  gst_message_parse_error (message, &gst_error, &debug);
  if (gst_error->domain == GST_RESOURCE_ERROR)
    {
      if (gst_error->code == GST_RESOURCE_ERROR_NOT_FOUND)
        code = GLOBI_QR_ERROR_NO_CAMERA;
      else if (gst_error->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED ||
               (debug && strstr (debug, "Permission denied")))
        code = GLOBI_QR_ERROR_ACCESS_DENIED;
    }
  g_debug ("camera pipeline error: %s (%s)", gst_error->message, debug ? debug : "");
  return g_error_new (GLOBI_QR_ERROR, code, "%s", gst_error->message);
}

static gboolean
on_bus_message_cb (GstBus *bus, GstMessage *message, gpointer user_data)
{
  GlobiQrScanner *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
      case GST_MESSAGE_ERROR:
        self->bus_watch = 0;
        fail_with (self, error_from_message (message));
        teardown_pipeline (self);
        return G_SOURCE_REMOVE;
      case GST_MESSAGE_EOS:
        /* A source that ends (a test's appsrc, an unplugged camera) leaves the state. */
        self->bus_watch = 0;
        teardown_pipeline (self);
        set_state (self, GLOBI_QR_SCANNER_IDLE);
        return G_SOURCE_REMOVE;
      default:
        return G_SOURCE_CONTINUE;
    }
}

gboolean
globi_qr_scanner_play_source (GlobiQrScanner *self, GstElement *source, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autofree char *description = NULL;
  GstElement *rest = NULL;
  GstAppSinkCallbacks scan_callbacks = { .eos = on_scan_eos_cb, .new_sample = on_scan_sample_cb };
  GstAppSinkCallbacks preview_callbacks = { .new_sample = on_preview_sample_cb };
  GstElement *sink = NULL;

  g_return_val_if_fail (GLOBI_IS_QR_SCANNER (self), FALSE);
  g_return_val_if_fail (GST_IS_ELEMENT (source), FALSE);

  gst_object_ref_sink (source);
  globi_qr_scanner_stop (self);
  g_atomic_int_inc (&self->session);
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->found);
  g_mutex_unlock (&self->lock);

  /* Leaky queues and one-buffer sinks: zbar and the preview always get the newest frame
   * and never hold the camera back. */
  description = g_strdup_printf (
      "videoconvert ! tee name=t "
      "t. ! queue leaky=downstream max-size-buffers=2 ! videoconvert ! "
      "video/x-raw,format=GRAY8 ! appsink name=scan max-buffers=1 drop=false sync=false "
      "t. ! queue leaky=downstream max-size-buffers=2 ! videoscale ! videoconvert ! "
      "video/x-raw,format=RGB,width=[1,%d],pixel-aspect-ratio=1/1 ! "
      "appsink name=preview max-buffers=1 drop=true sync=false",
      PREVIEW_WIDTH);
  rest = gst_parse_bin_from_description (description, TRUE, &local);
  if (!rest)
    {
      gst_object_unref (source);
      g_set_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_CAMERA,
                   _ ("the video pipeline cannot be built (GStreamer plugins missing?): %s"),
                   local->message);
      return FALSE;
    }
  self->pipeline = gst_pipeline_new ("globi-qr-scanner");
  gst_bin_add_many (GST_BIN (self->pipeline), source, rest, NULL);
  gst_object_unref (source);
  if (!gst_element_link (source, rest))
    {
      g_clear_object (&self->pipeline);
      g_set_error_literal (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_CAMERA,
                           _ ("the camera's video cannot be converted"));
      return FALSE;
    }
  sink = gst_bin_get_by_name (GST_BIN (rest), "scan");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &scan_callbacks, self, NULL);
  gst_object_unref (sink);
  sink = gst_bin_get_by_name (GST_BIN (rest), "preview");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &preview_callbacks, self, NULL);
  gst_object_unref (sink);

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message_cb, self);
  g_clear_error (&self->error);
  set_state (self, GLOBI_QR_SCANNER_STARTING);
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_autoptr (GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      GError *reason = message ? error_from_message (message)
                               : g_error_new_literal (GLOBI_QR_ERROR, GLOBI_QR_ERROR_CAMERA,
                                                      _ ("the camera cannot be started"));

      teardown_pipeline (self);
      fail_with (self, g_error_copy (reason));
      g_propagate_error (error, reason);
      return FALSE;
    }
  return TRUE;
}

gboolean
globi_qr_scanner_play (GlobiQrScanner *self, guint index, GError **error)
{
  GstElement *source = NULL;

  g_return_val_if_fail (GLOBI_IS_QR_SCANNER (self), FALSE);

  if (g_getenv ("GLOBICHAT_CAMERA_SOURCE") && index == 0)
    {
      g_autoptr (GError) local = NULL;

      source = gst_parse_bin_from_description (g_getenv ("GLOBICHAT_CAMERA_SOURCE"), TRUE, &local);
      if (!source)
        {
          g_set_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_CAMERA, "GLOBICHAT_CAMERA_SOURCE: %s",
                       local->message);
          return FALSE;
        }
    }
  else if (self->portal_fd >= 0 && index == 0)
    {
      source = gst_element_factory_make ("pipewiresrc", NULL);
      if (source)
        /* pipewiresrc closes the fd it is given: hand it a copy. */
        g_object_set (source, "fd", dup (self->portal_fd), NULL);
    }
  else if (index < self->devices->len)
    source = gst_device_create_element (g_ptr_array_index (self->devices, index), NULL);
  else
    {
      g_set_error_literal (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NO_CAMERA, _ ("no such camera"));
      return FALSE;
    }
  if (!source)
    {
      g_set_error_literal (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_CAMERA,
                           _ ("the camera cannot be opened (GStreamer plugin missing)"));
      return FALSE;
    }
  return globi_qr_scanner_play_source (self, source, error);
}

void
globi_qr_scanner_stop (GlobiQrScanner *self)
{
  g_return_if_fail (GLOBI_IS_QR_SCANNER (self));

  teardown_pipeline (self);
  if (self->state != GLOBI_QR_SCANNER_FAILED)
    set_state (self, GLOBI_QR_SCANNER_IDLE);
}

/* Finding cameras: GstDeviceMonitor probes devices synchronously, so on a worker. */
static void
enumerate_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr (GstDeviceMonitor) monitor = gst_device_monitor_new ();
  GPtrArray *devices = g_ptr_array_new_with_free_func (gst_object_unref);
  GList *list = NULL;

  gst_device_monitor_add_filter (monitor, "Video/Source", NULL);
  if (gst_device_monitor_start (monitor))
    {
      list = gst_device_monitor_get_devices (monitor);
      gst_device_monitor_stop (monitor);
    }
  for (GList *l = list; l; l = l->next)
    g_ptr_array_add (devices, l->data);
  g_list_free (list);
  g_task_return_pointer (task, devices, (GDestroyNotify) g_ptr_array_unref);
}

static void
set_cameras (GlobiQrScanner *self, GPtrArray *devices)
{
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();

  g_clear_pointer (&self->devices, g_ptr_array_unref);
  self->devices = devices;
  if (self->portal_fd >= 0)
    g_strv_builder_add (names, _ ("Camera"));
  for (guint i = 0; i < devices->len; i++)
    {
      g_autofree char *name = gst_device_get_display_name (g_ptr_array_index (devices, i));

      g_strv_builder_add (names, name);
    }
  g_strfreev (self->camera_names);
  self->camera_names = g_strv_builder_end (names);
}

static void
on_enumerated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiQrScanner *self = g_task_get_source_object (task);
  GPtrArray *devices = g_task_propagate_pointer (G_TASK (result), NULL);

  set_cameras (self, devices ? devices : g_ptr_array_new_with_free_func (gst_object_unref));
  if (self->camera_names[0] == NULL)
    {
      GError *error =
          g_error_new_literal (GLOBI_QR_ERROR, GLOBI_QR_ERROR_NO_CAMERA, _ ("no camera found"));

      fail_with (self, g_error_copy (error));
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
enumerate_devices (GTask *task)
{
  g_autoptr (GTask) worker =
      g_task_new (NULL, g_task_get_cancellable (task), on_enumerated_cb, g_object_ref (task));

  g_task_set_source_tag (worker, enumerate_devices);
  g_task_run_in_thread (worker, enumerate_thread);
}

/* The camera portal (inside Flatpak): IsCameraPresent, AccessCamera (answered by a
 * Response signal on a request object), then OpenPipeWireRemote for pipewiresrc. */
typedef struct
{
  GDBusConnection *bus;
  guint response_id;
} PortalData;

static void
portal_data_free (gpointer data)
{
  PortalData *portal = data;

  if (portal->response_id)
    g_dbus_connection_signal_unsubscribe (portal->bus, portal->response_id);
  g_clear_object (&portal->bus);
  g_free (portal);
}

static void
portal_fail (GTask *task, GlobiQrErrorCode code, const char *message)
{
  GlobiQrScanner *self = g_task_get_source_object (task);
  GError *error = g_error_new_literal (GLOBI_QR_ERROR, code, message);

  fail_with (self, g_error_copy (error));
  g_task_return_error (task, error);
}

static void
on_remote_opened_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GlobiQrScanner *self = g_task_get_source_object (task);
  g_autoptr (GUnixFDList) fds = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  gint32 handle = -1;

  reply = g_dbus_connection_call_with_unix_fd_list_finish (G_DBUS_CONNECTION (source), &fds, result,
                                                           &error);
  if (reply)
    g_variant_get (reply, "(h)", &handle);
  if (!reply || !fds || handle < 0 || handle >= g_unix_fd_list_get_length (fds))
    {
      portal_fail (task, GLOBI_QR_ERROR_CAMERA, _ ("the camera portal gave no video stream"));
      return;
    }
  if (self->portal_fd >= 0)
    close (self->portal_fd);
  self->portal_fd = g_unix_fd_list_get (fds, handle, NULL);
  enumerate_devices (task);
}

static void
on_access_response_cb (GDBusConnection *bus,
                       const char *sender,
                       const char *path,
                       const char *iface,
                       const char *signal,
                       GVariant *parameters,
                       gpointer user_data)
{
  GTask *task = user_data;
  PortalData *portal = g_task_get_task_data (task);
  guint32 response = 2;

  g_variant_get (parameters, "(u@a{sv})", &response, NULL);
  g_dbus_connection_signal_unsubscribe (bus, portal->response_id);
  portal->response_id = 0;
  if (response != 0)
    {
      portal_fail (task, GLOBI_QR_ERROR_ACCESS_DENIED, _ ("access to the camera was denied"));
      g_object_unref (task);
      return;
    }
  g_dbus_connection_call_with_unix_fd_list (
      bus, PORTAL_BUS, PORTAL_PATH, PORTAL_IFACE, "OpenPipeWireRemote",
      g_variant_new ("(a{sv})", NULL), G_VARIANT_TYPE ("(h)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
      g_task_get_cancellable (task), on_remote_opened_cb, task);
}

static void
on_access_called_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GVariant) reply = NULL;
  PortalData *portal = g_task_get_task_data (task);

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);
  if (!reply && portal->response_id)
    {
      g_dbus_connection_signal_unsubscribe (portal->bus, portal->response_id);
      portal->response_id = 0;
      portal_fail (task, GLOBI_QR_ERROR_ACCESS_DENIED, _ ("the camera portal refused access"));
      /* The reference the Response subscription held. */
      g_object_unref (task);
    }
  /* Otherwise the Response signal carries on with its own reference. */
}

static void
on_presence_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  PortalData *portal = g_task_get_task_data (task);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) present = NULL;
  g_autofree char *token = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *path = NULL;
  GVariantBuilder options;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);
  if (!reply)
    {
      /* No camera portal on this system: look for devices directly. */
      enumerate_devices (task);
      return;
    }
  g_variant_get (reply, "(v)", &present);
  if (!g_variant_is_of_type (present, G_VARIANT_TYPE_BOOLEAN) || !g_variant_get_boolean (present))
    {
      portal_fail (task, GLOBI_QR_ERROR_NO_CAMERA, _ ("no camera found"));
      return;
    }

  token = g_strdup_printf ("globichat%u", g_random_int ());
  sender = g_strdelimit (g_strdup (g_dbus_connection_get_unique_name (portal->bus) + 1), ".", '_');
  path = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", sender, token);
  /* Subscribed before the call, so a quick answer cannot be missed. */
  portal->response_id = g_dbus_connection_signal_subscribe (
      portal->bus, PORTAL_BUS, "org.freedesktop.portal.Request", "Response", path, NULL,
      G_DBUS_SIGNAL_FLAGS_NO_MATCH_RULE, on_access_response_cb, g_object_ref (task), NULL);
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  g_dbus_connection_call (portal->bus, PORTAL_BUS, PORTAL_PATH, PORTAL_IFACE, "AccessCamera",
                          g_variant_new ("(a{sv})", &options), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                          g_task_get_cancellable (task), on_access_called_cb, g_object_ref (task));
}

static void
on_bus_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  PortalData *portal = g_task_get_task_data (task);

  if (!(portal->bus = g_bus_get_finish (result, NULL)))
    {
      enumerate_devices (task);
      return;
    }
  g_dbus_connection_call (portal->bus, PORTAL_BUS, PORTAL_PATH, "org.freedesktop.DBus.Properties",
                          "Get", g_variant_new ("(ss)", PORTAL_IFACE, "IsCameraPresent"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          g_task_get_cancellable (task), on_presence_cb, g_steal_pointer (&task));
}

void
globi_qr_scanner_open_async (GlobiQrScanner *self,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (GLOBI_IS_QR_SCANNER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, globi_qr_scanner_open_async);
  g_clear_error (&self->error);
  set_state (self, GLOBI_QR_SCANNER_STARTING);
  /* A pipeline standing in for a camera (demos, screenshots, tests on machines without
   * one): docs/development.md. */
  if (g_getenv ("GLOBICHAT_CAMERA_SOURCE"))
    {
      const char *names[] = { "GLOBICHAT_CAMERA_SOURCE", NULL };

      g_strfreev (self->camera_names);
      self->camera_names = g_strdupv ((GStrv) names);
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* Sandboxed apps see no /dev/video*: the portal is the way in. */
  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) &&
      gst_element_factory_find ("pipewiresrc") != NULL)
    {
      g_task_set_task_data (task, g_new0 (PortalData, 1), portal_data_free);
      g_bus_get (G_BUS_TYPE_SESSION, cancellable, on_bus_cb, g_steal_pointer (&task));
      return;
    }
  enumerate_devices (task);
}

gboolean
globi_qr_scanner_open_finish (GlobiQrScanner *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

GlobiQrScanner *
globi_qr_scanner_new (void)
{
  return g_object_new (GLOBI_TYPE_QR_SCANNER, NULL);
}

GlobiQrScannerState
globi_qr_scanner_get_state (GlobiQrScanner *self)
{
  g_return_val_if_fail (GLOBI_IS_QR_SCANNER (self), GLOBI_QR_SCANNER_IDLE);
  return self->state;
}

const GError *
globi_qr_scanner_get_error (GlobiQrScanner *self)
{
  g_return_val_if_fail (GLOBI_IS_QR_SCANNER (self), NULL);
  return self->error;
}

const char *const *
globi_qr_scanner_get_cameras (GlobiQrScanner *self)
{
  g_return_val_if_fail (GLOBI_IS_QR_SCANNER (self), NULL);
  return (const char *const *) self->camera_names;
}

GBytes *
globi_qr_scanner_get_frame (GlobiQrScanner *self, guint *width, guint *height, guint *stride)
{
  GBytes *frame = NULL;

  g_return_val_if_fail (GLOBI_IS_QR_SCANNER (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->frame)
    {
      frame = g_bytes_ref (self->frame);
      *width = self->frame_width;
      *height = self->frame_height;
      *stride = self->frame_stride;
    }
  g_mutex_unlock (&self->lock);
  return frame;
}
