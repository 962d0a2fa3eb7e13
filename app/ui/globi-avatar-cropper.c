/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-avatar-cropper"

#include "config.h"

#include <glib/gi18n.h>

#include "globi-avatar-cropper.h"
#include "globi-state-view.h"

/* Bigger photos are scaled down while loading: an avatar never needs more. */
#define MAX_SOURCE_SIDE 2048

enum
{
  CROPPED,
  N_SIGNALS
};

struct _GlobiAvatarCropper
{
  AdwWindow parent_instance;

  GlobiStateView *state;
  GtkDrawingArea *area;
  GtkToggleButton *crop_button;
  GtkToggleButton *fit_button;

  GCancellable *cancellable;
  GdkPixbuf *pixbuf;
  GdkRGBA average; /* what surrounds a fitted photo */
  /* The crop square in image pixels. */
  int sel_x;
  int sel_y;
  int sel_side;
  int drag_start_x;
  int drag_start_y;
};

G_DEFINE_FINAL_TYPE (GlobiAvatarCropper, globi_avatar_cropper, ADW_TYPE_WINDOW)

static guint signals[N_SIGNALS];

/* Avatars are shown round: the bands around a fitted photo take its average colour (as
 * 0xRRGGBBAA, opaque) rather than leaving a hole. */
static guint32
average_colour (GdkPixbuf *pixbuf)
{
  g_autoptr (GdkPixbuf) one = gdk_pixbuf_scale_simple (pixbuf, 1, 1, GDK_INTERP_BILINEAR);
  const guchar *rgb = gdk_pixbuf_read_pixels (one);

  return (guint32) rgb[0] << 24 | (guint32) rgb[1] << 16 | (guint32) rgb[2] << 8 | 0xff;
}

static gboolean
is_fit (GlobiAvatarCropper *self)
{
  return gtk_toggle_button_get_active (self->fit_button);
}

/* Where the image lands in the area, and how much it is scaled. */
static double
layout_image (GlobiAvatarCropper *self, int width, int height, double *ox, double *oy)
{
  int w = gdk_pixbuf_get_width (self->pixbuf);
  int h = gdk_pixbuf_get_height (self->pixbuf);
  double scale = MIN ((double) width / w, (double) height / h);

  *ox = (width - w * scale) / 2;
  *oy = (height - h * scale) / 2;
  return scale;
}

static void
draw_cb (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  GlobiAvatarCropper *self = user_data;
  double ox = 0, oy = 0, scale = 0;

  if (!self->pixbuf)
    return;

  if (is_fit (self))
    {
      /* Preview of the result: the whole image centred on a square. */
      int w = gdk_pixbuf_get_width (self->pixbuf);
      int h = gdk_pixbuf_get_height (self->pixbuf);
      double side = MIN (width, height);
      double f = side / MAX (w, h);
      double sx = (width - side) / 2, sy = (height - side) / 2;

      gdk_cairo_set_source_rgba (cr, &self->average);
      cairo_rectangle (cr, sx, sy, side, side);
      cairo_fill (cr);
      cairo_save (cr);
      cairo_translate (cr, sx + (side - w * f) / 2, sy + (side - h * f) / 2);
      cairo_scale (cr, f, f);
      gdk_cairo_set_source_pixbuf (cr, self->pixbuf, 0, 0);
      cairo_paint (cr);
      cairo_restore (cr);
      return;
    }

  scale = layout_image (self, width, height, &ox, &oy);
  cairo_save (cr);
  cairo_translate (cr, ox, oy);
  cairo_scale (cr, scale, scale);
  gdk_cairo_set_source_pixbuf (cr, self->pixbuf, 0, 0);
  cairo_paint (cr);
  cairo_restore (cr);

  /* Dim what will be cut away. */
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_rectangle (cr, ox, oy, gdk_pixbuf_get_width (self->pixbuf) * scale,
                   gdk_pixbuf_get_height (self->pixbuf) * scale);
  cairo_rectangle (cr, ox + self->sel_x * scale, oy + self->sel_y * scale, self->sel_side * scale,
                   self->sel_side * scale);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.55);
  cairo_fill (cr);

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_set_line_width (cr, 2);
  cairo_rectangle (cr, ox + self->sel_x * scale, oy + self->sel_y * scale, self->sel_side * scale,
                   self->sel_side * scale);
  cairo_stroke (cr);
}

static void
on_drag_begin_cb (GtkGestureDrag *gesture, double x, double y, GlobiAvatarCropper *self)
{
  self->drag_start_x = self->sel_x;
  self->drag_start_y = self->sel_y;
}

static void
on_drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, GlobiAvatarCropper *self)
{
  double ox = 0, oy = 0, scale = 0;
  int w = 0, h = 0;

  if (!self->pixbuf || is_fit (self))
    return;
  w = gdk_pixbuf_get_width (self->pixbuf);
  h = gdk_pixbuf_get_height (self->pixbuf);
  scale = layout_image (self, gtk_widget_get_width (GTK_WIDGET (self->area)),
                        gtk_widget_get_height (GTK_WIDGET (self->area)), &ox, &oy);
  if (scale <= 0)
    return;
  self->sel_x = CLAMP (self->drag_start_x + (int) (dx / scale), 0, w - self->sel_side);
  self->sel_y = CLAMP (self->drag_start_y + (int) (dy / scale), 0, h - self->sel_side);
  gtk_widget_queue_draw (GTK_WIDGET (self->area));
}

/* Arrow keys move the square too: the crop works without a pointer. */
static void
action_move (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiAvatarCropper *self = GLOBI_AVATAR_CROPPER (widget);
  int dx = 0, dy = 0, step = 0;

  if (!self->pixbuf || is_fit (self))
    return;
  g_variant_get (param, "(ii)", &dx, &dy);
  step = MAX (1, self->sel_side / 20);
  self->sel_x =
      CLAMP (self->sel_x + dx * step, 0, gdk_pixbuf_get_width (self->pixbuf) - self->sel_side);
  self->sel_y =
      CLAMP (self->sel_y + dy * step, 0, gdk_pixbuf_get_height (self->pixbuf) - self->sel_side);
  gtk_widget_queue_draw (GTK_WIDGET (self->area));
}

static gboolean
on_area_key_pressed_cb (GtkEventControllerKey *controller,
                        guint keyval,
                        guint keycode,
                        GdkModifierType state,
                        GlobiAvatarCropper *self)
{
  int dx = 0, dy = 0;

  switch (keyval)
    {
      case GDK_KEY_Left:
      case GDK_KEY_KP_Left:
        dx = -1;
        break;
      case GDK_KEY_Right:
      case GDK_KEY_KP_Right:
        dx = 1;
        break;
      case GDK_KEY_Up:
      case GDK_KEY_KP_Up:
        dy = -1;
        break;
      case GDK_KEY_Down:
      case GDK_KEY_KP_Down:
        dy = 1;
        break;
      default:
        return GDK_EVENT_PROPAGATE;
    }
  gtk_widget_activate_action (GTK_WIDGET (self), "cropper.move", "(ii)", dx, dy);
  return GDK_EVENT_STOP;
}

static void
on_mode_toggled_cb (GlobiAvatarCropper *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self->area));
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr (GFileInputStream) stream = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  GError *error = NULL;

  stream = g_file_read (file, cancellable, &error);
  if (stream)
    pixbuf = gdk_pixbuf_new_from_stream_at_scale (G_INPUT_STREAM (stream), MAX_SOURCE_SIDE,
                                                  MAX_SOURCE_SIDE, TRUE, cancellable, &error);
  if (!pixbuf)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Photos from phones are often stored sideways with an orientation tag. */
  g_task_return_pointer (task, gdk_pixbuf_apply_embedded_orientation (pixbuf), g_object_unref);
}

static void
on_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GlobiAvatarCropper *self = GLOBI_AVATAR_CROPPER (object);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) pixbuf = g_task_propagate_pointer (G_TASK (result), &error);
  int w = 0, h = 0;

  if (!pixbuf)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *message =
              g_strdup_printf (_ ("This photo can’t be opened: %s"), error->message);
          globi_state_view_show_error (self->state, message);
        }
      return;
    }
  g_set_object (&self->pixbuf, pixbuf);
  {
    guint32 rgba = average_colour (pixbuf);

    self->average = (GdkRGBA){ (rgba >> 24) / 255.0, ((rgba >> 16) & 0xff) / 255.0,
                               ((rgba >> 8) & 0xff) / 255.0, 1.0 };
  }
  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  self->sel_side = MIN (w, h);
  self->sel_x = (w - self->sel_side) / 2;
  self->sel_y = (h - self->sel_side) / 2;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "cropper.apply", TRUE);
  globi_state_view_show_content (self->state);
  gtk_widget_grab_focus (GTK_WIDGET (self->area));
  gtk_widget_queue_draw (GTK_WIDGET (self->area));
}

static void
action_apply (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GlobiAvatarCropper *self = GLOBI_AVATAR_CROPPER (widget);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) png = NULL;

  if (!self->pixbuf)
    return;
  /* A 512 px PNG encodes in a few milliseconds: no thread needed. */
  png = globi_avatar_cropper_render (self->pixbuf, is_fit (self), self->sel_x, self->sel_y,
                                     self->sel_side, &error);
  if (!png)
    {
      globi_state_view_show_error (self->state, error->message);
      return;
    }
  g_signal_emit (self, signals[CROPPED], 0, png);
  gtk_window_close (GTK_WINDOW (self));
}

static void
globi_avatar_cropper_dispose (GObject *object)
{
  GlobiAvatarCropper *self = GLOBI_AVATAR_CROPPER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->pixbuf);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLOBI_TYPE_AVATAR_CROPPER);

  G_OBJECT_CLASS (globi_avatar_cropper_parent_class)->dispose (object);
}

static void
globi_avatar_cropper_class_init (GlobiAvatarCropperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_avatar_cropper_dispose;

  signals[CROPPED] = g_signal_new ("cropped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BYTES);

  g_type_ensure (GLOBI_TYPE_STATE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/globichat/GlobiChat/globi-avatar-cropper.ui");
  gtk_widget_class_bind_template_child (widget_class, GlobiAvatarCropper, state);
  gtk_widget_class_bind_template_child (widget_class, GlobiAvatarCropper, area);
  gtk_widget_class_bind_template_child (widget_class, GlobiAvatarCropper, crop_button);
  gtk_widget_class_bind_template_child (widget_class, GlobiAvatarCropper, fit_button);
  gtk_widget_class_bind_template_callback (widget_class, on_mode_toggled_cb);

  gtk_widget_class_install_action (widget_class, "cropper.apply", NULL, action_apply);
  gtk_widget_class_install_action (widget_class, "cropper.move", "(ii)", action_move);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
globi_avatar_cropper_init (GlobiAvatarCropper *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkEventController *key = NULL;

  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drawing_area_set_draw_func (self->area, draw_cb, self, NULL);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->area), GTK_EVENT_CONTROLLER (drag));
  /* The photo takes the keyboard focus: arrows move the square, Tab moves on. */
  key = gtk_event_controller_key_new ();
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_area_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->area), key);
  gtk_widget_set_focusable (GTK_WIDGET (self->area), TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "cropper.apply", FALSE);
}

GlobiAvatarCropper *
globi_avatar_cropper_new (GtkWindow *parent, GFile *file)
{
  GlobiAvatarCropper *self = NULL;
  g_autoptr (GTask) task = NULL;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (GLOBI_TYPE_AVATAR_CROPPER, "transient-for", parent, NULL);
  globi_state_view_show_loading (self->state);
  task = g_task_new (self, self->cancellable, on_loaded_cb, NULL);
  g_task_set_source_tag (task, globi_avatar_cropper_new);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
  return self;
}

GBytes *
globi_avatar_cropper_render (
    GdkPixbuf *source, gboolean fit, int x, int y, int side, GError **error)
{
  g_autoptr (GdkPixbuf) square = NULL;
  g_autofree char *buffer = NULL;
  gsize size = 0;
  int w = 0, h = 0;

  g_return_val_if_fail (GDK_IS_PIXBUF (source), NULL);

  w = gdk_pixbuf_get_width (source);
  h = gdk_pixbuf_get_height (source);
  if (fit)
    {
      double f = (double) GLOBI_AVATAR_SIZE / MAX (w, h);
      int dw = MAX (1, (int) (w * f + 0.5));
      int dh = MAX (1, (int) (h * f + 0.5));
      int dx = (GLOBI_AVATAR_SIZE - dw) / 2;
      int dy = (GLOBI_AVATAR_SIZE - dh) / 2;

      square = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, GLOBI_AVATAR_SIZE, GLOBI_AVATAR_SIZE);
      gdk_pixbuf_fill (square, average_colour (source));
      gdk_pixbuf_composite (source, square, dx, dy, dw, dh, dx, dy, f, f, GDK_INTERP_BILINEAR, 255);
    }
  else
    {
      g_autoptr (GdkPixbuf) sub = NULL;

      side = CLAMP (side, 1, MIN (w, h));
      x = CLAMP (x, 0, w - side);
      y = CLAMP (y, 0, h - side);
      sub = gdk_pixbuf_new_subpixbuf (source, x, y, side, side);
      square =
          gdk_pixbuf_scale_simple (sub, GLOBI_AVATAR_SIZE, GLOBI_AVATAR_SIZE, GDK_INTERP_BILINEAR);
    }
  if (!gdk_pixbuf_save_to_buffer (square, &buffer, &size, "png", error, NULL))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&buffer), size);
}
