/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-qr-image"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "globi-qr-image.h"

/* Below this a module is under two pixels: a phone camera would struggle. */
#define MIN_MODULE_PX 2
#define NATURAL_PX    240

enum
{
  PROP_0,
  PROP_CODE,
  PROP_CENTRE,
  N_PROPS
};

struct _GlobiQrImage
{
  GtkWidget parent_instance;

  GlobiQrCode *code;
  GdkPaintable *centre;
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (GlobiQrImage, globi_qr_image, GTK_TYPE_WIDGET)

static void
globi_qr_image_measure (GtkWidget *widget,
                        GtkOrientation orientation,
                        int for_size,
                        int *minimum,
                        int *natural,
                        int *minimum_baseline,
                        int *natural_baseline)
{
  GlobiQrImage *self = GLOBI_QR_IMAGE (widget);
  int size = self->code ? (int) globi_qr_code_get_size (self->code) : 0;

  *minimum = size * MIN_MODULE_PX;
  *natural = MAX (*minimum, NATURAL_PX);
}

static void
globi_qr_image_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GlobiQrImage *self = GLOBI_QR_IMAGE (widget);
  const GdkRGBA white = { 1, 1, 1, 1 };
  const GdkRGBA black = { 0, 0, 0, 1 };
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  guint n, module_dev, hole = 0, hole_from = 0, hole_to = 0;
  double module, x0, y0;

  if (!self->code)
    return;
  n = globi_qr_code_get_size (self->code);
  /* Whole device pixels per module, so every edge falls on a pixel boundary. */
  module_dev = MAX (1, (guint) (MIN (width, height) * scale) / n);
  module = (double) module_dev / scale;
  x0 = floor ((width - module * n) / 2 * scale) / scale;
  y0 = floor ((height - module * n) / 2 * scale) / scale;

  gtk_snapshot_append_color (snapshot, &white,
                             &GRAPHENE_RECT_INIT (x0, y0, module * n, module * n));
  /* Below error correction H there is no room for a picture: the code stays whole. */
  if (self->centre && (hole = globi_qr_code_get_centre_modules (self->code)) > 0)
    {
      /* One module of white around the picture keeps it off the modules. */
      hole_from = (n - hole) / 2 - 1;
      hole_to = (n - hole) / 2 + hole + 1;
    }
  for (guint y = 0; y < n; y++)
    {
      gboolean hole_row = hole && y >= hole_from && y < hole_to;

      /* Runs of dark modules as one rectangle: fewer nodes, no seams between them. */
      for (guint x = 0; x < n;)
        {
          guint run = 0;

          while (x + run < n && globi_qr_code_get_module (self->code, x + run, y) &&
                 !(hole_row && x + run >= hole_from && x + run < hole_to))
            run++;
          if (run)
            {
              gtk_snapshot_append_color (
                  snapshot, &black,
                  &GRAPHENE_RECT_INIT (x0 + x * module, y0 + y * module, run * module, module));
              x += run;
            }
          else
            x++;
        }
    }
  if (self->centre && hole)
    {
      double side = hole * module;

      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x0 + (n - hole) / 2 * module,
                                                              y0 + (n - hole) / 2 * module));
      gdk_paintable_snapshot (self->centre, GDK_SNAPSHOT (snapshot), side, side);
      gtk_snapshot_restore (snapshot);
    }
}

static void
globi_qr_image_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlobiQrImage *self = GLOBI_QR_IMAGE (object);

  switch (prop_id)
    {
      case PROP_CODE:
        g_value_set_object (value, self->code);
        break;
      case PROP_CENTRE:
        g_value_set_object (value, self->centre);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_qr_image_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GlobiQrImage *self = GLOBI_QR_IMAGE (object);

  switch (prop_id)
    {
      case PROP_CODE:
        globi_qr_image_set_code (self, g_value_get_object (value));
        break;
      case PROP_CENTRE:
        globi_qr_image_set_centre (self, g_value_get_object (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
globi_qr_image_dispose (GObject *object)
{
  GlobiQrImage *self = GLOBI_QR_IMAGE (object);

  g_clear_object (&self->code);
  if (self->centre)
    g_signal_handlers_disconnect_by_data (self->centre, self);
  g_clear_object (&self->centre);
  G_OBJECT_CLASS (globi_qr_image_parent_class)->dispose (object);
}

static void
globi_qr_image_class_init (GlobiQrImageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = globi_qr_image_get_property;
  object_class->set_property = globi_qr_image_set_property;
  object_class->dispose = globi_qr_image_dispose;
  widget_class->measure = globi_qr_image_measure;
  widget_class->snapshot = globi_qr_image_snapshot;

  properties[PROP_CODE] =
      g_param_spec_object ("code", NULL, NULL, GLOBI_TYPE_QR_CODE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CENTRE] =
      g_param_spec_object ("centre", NULL, NULL, GDK_TYPE_PAINTABLE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "qr-image");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
globi_qr_image_init (GlobiQrImage *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("QR code"), -1);
}

GtkWidget *
globi_qr_image_new (void)
{
  return g_object_new (GLOBI_TYPE_QR_IMAGE, NULL);
}

GlobiQrCode *
globi_qr_image_get_code (GlobiQrImage *self)
{
  g_return_val_if_fail (GLOBI_IS_QR_IMAGE (self), NULL);
  return self->code;
}

void
globi_qr_image_set_code (GlobiQrImage *self, GlobiQrCode *code)
{
  g_return_if_fail (GLOBI_IS_QR_IMAGE (self));
  g_return_if_fail (code == NULL || GLOBI_IS_QR_CODE (code));

  if (!g_set_object (&self->code, code))
    return;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CODE]);
}

GdkPaintable *
globi_qr_image_get_centre (GlobiQrImage *self)
{
  g_return_val_if_fail (GLOBI_IS_QR_IMAGE (self), NULL);
  return self->centre;
}

void
globi_qr_image_set_centre (GlobiQrImage *self, GdkPaintable *centre)
{
  g_return_if_fail (GLOBI_IS_QR_IMAGE (self));
  g_return_if_fail (centre == NULL || GDK_IS_PAINTABLE (centre));

  if (self->centre == centre)
    return;
  if (self->centre)
    g_signal_handlers_disconnect_by_data (self->centre, self);
  g_set_object (&self->centre, centre);
  if (centre)
    g_signal_connect_swapped (centre, "invalidate-contents", G_CALLBACK (gtk_widget_queue_draw),
                              self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CENTRE]);
}
