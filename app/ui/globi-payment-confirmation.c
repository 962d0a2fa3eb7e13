/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-payment-confirmation"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "globi-money.h"
#include "globi-payment-confirmation.h"
#include "globi-wallet-style.h"

#define STIFFNESS     170.0
#define DAMPING_RATIO 0.55
#define STEP          (1.0 / 480.0)
/* The count-up and the check's stroke take this long; the spring settles by itself. */
#define COUNT_SECONDS 0.7
#define CHECK_SECONDS 0.45
#define MAX_SECONDS   3.0
#define MARK_SIZE     96

enum
{
  SIGNAL_FINISHED,
  N_SIGNALS
};

struct _GlobiPaymentConfirmation
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkWidget *mark;
  GtkLabel *amount_label;
  GtkLabel *title_label;
  GtkLabel *detail_label;

  char *currency;
  gint64 minor;
  char *amount_text;

  guint tick_id;
  gint64 start_us;
  double elapsed;
  double scale;
  gboolean finished;
};

G_DEFINE_FINAL_TYPE (GlobiPaymentConfirmation, globi_payment_confirmation, GTK_TYPE_WIDGET)

static guint signals[N_SIGNALS];

double
globi_payment_confirmation_spring_at (double t, double *velocity)
{
  /* 2 ζ √k with √170 ≈ 13.0384 (no libm for one constant) */
  double damping = 2.0 * DAMPING_RATIO * 13.0384;
  double x = 0, v = 0;

  /* Past MAX_SECONDS the spring has long settled: no need to integrate further. */
  if (t >= MAX_SECONDS)
    {
      if (velocity)
        *velocity = 0;
      return 1.0;
    }

  /* Semi-implicit Euler in fixed steps: the same t always gives the same frame. */
  for (double s = 0; s < t; s += STEP)
    {
      double dt = MIN (STEP, t - s);

      v += (-STIFFNESS * (x - 1.0) - damping * v) * dt;
      x += v * dt;
    }
  if (velocity)
    *velocity = v;
  return x;
}

static double
ease_out_cubic (double t)
{
  t = CLAMP (t, 0.0, 1.0);
  return 1.0 - (1.0 - t) * (1.0 - t) * (1.0 - t);
}

static void
draw_mark (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  GlobiPaymentConfirmation *self = user_data;
  double size = MIN (width, height);
  double radius = size / 2.0 - 4;
  double check = ease_out_cubic (self->elapsed / CHECK_SECONDS);
  GdkRGBA accent;
  /* The check's polyline, in units of the radius from the centre. */
  const double points[3][2] = { { -0.42, 0.02 }, { -0.12, 0.32 }, { 0.45, -0.28 } };
  /* The two segments' lengths: √(0.3² + 0.3²) and √(0.57² + 0.6²). */
  double first = 0.4243;
  double second = 0.8276;
  double drawn = check * (first + second);

  gdk_rgba_parse (&accent, "#2ec27e");
  cairo_translate (cr, width / 2.0, height / 2.0);
  cairo_scale (cr, MAX (self->scale, 0.0), MAX (self->scale, 0.0));
  gdk_cairo_set_source_rgba (cr, &accent);
  cairo_arc (cr, 0, 0, radius, 0, 2 * G_PI);
  cairo_fill (cr);

  if (drawn <= 0)
    return;
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_set_line_width (cr, radius * 0.16);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_move_to (cr, points[0][0] * radius, points[0][1] * radius);
  if (drawn <= first)
    {
      double f = drawn / first;
      cairo_line_to (cr, (points[0][0] + f * (points[1][0] - points[0][0])) * radius,
                     (points[0][1] + f * (points[1][1] - points[0][1])) * radius);
    }
  else
    {
      double f = (drawn - first) / second;
      cairo_line_to (cr, points[1][0] * radius, points[1][1] * radius);
      cairo_line_to (cr, (points[1][0] + f * (points[2][0] - points[1][0])) * radius,
                     (points[1][1] + f * (points[2][1] - points[1][1])) * radius);
    }
  cairo_stroke (cr);
}

static void
render (GlobiPaymentConfirmation *self)
{
  double velocity = 0;
  gint64 shown;

  self->scale = globi_payment_confirmation_spring_at (self->elapsed, &velocity);
  /* Whole minor units, counting up: the last frame shows the exact amount. */
  shown = (gint64) ((double) self->minor * ease_out_cubic (self->elapsed / COUNT_SECONDS) + 0.5);
  if (self->elapsed >= COUNT_SECONDS)
    shown = self->minor;
  g_free (self->amount_text);
  self->amount_text = self->currency
                          ? globi_money_format (shown, self->currency, GLOBI_MONEY_FORMAT_SYMBOL)
                          : g_strdup ("");
  gtk_label_set_text (self->amount_label, self->amount_text);
  gtk_widget_queue_draw (self->mark);

  if (!self->finished && self->elapsed >= COUNT_SECONDS && self->elapsed >= CHECK_SECONDS &&
      ABS (self->scale - 1.0) < 0.002 && ABS (velocity) < 0.01)
    {
      self->finished = TRUE;
      self->scale = 1.0;
      g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
    }
}

static void
stop_ticking (GlobiPaymentConfirmation *self)
{
  if (self->tick_id)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
  self->tick_id = 0;
}

static gboolean
on_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  GlobiPaymentConfirmation *self = GLOBI_PAYMENT_CONFIRMATION (widget);
  gint64 now = gdk_frame_clock_get_frame_time (clock);

  if (self->start_us == 0)
    self->start_us = now;
  self->elapsed = MIN ((now - self->start_us) / (double) G_USEC_PER_SEC, MAX_SECONDS);
  render (self);
  if (self->finished)
    {
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
globi_payment_confirmation_dispose (GObject *object)
{
  GlobiPaymentConfirmation *self = GLOBI_PAYMENT_CONFIRMATION (object);

  stop_ticking (self);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  G_OBJECT_CLASS (globi_payment_confirmation_parent_class)->dispose (object);
}

static void
globi_payment_confirmation_finalize (GObject *object)
{
  GlobiPaymentConfirmation *self = GLOBI_PAYMENT_CONFIRMATION (object);

  g_free (self->currency);
  g_free (self->amount_text);
  G_OBJECT_CLASS (globi_payment_confirmation_parent_class)->finalize (object);
}

static void
globi_payment_confirmation_class_init (GlobiPaymentConfirmationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = globi_payment_confirmation_dispose;
  object_class->finalize = globi_payment_confirmation_finalize;

  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "payment-confirmation");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static GtkLabel *
add_label (GtkWidget *box, const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  if (css_class)
    gtk_widget_add_css_class (label, css_class);
  gtk_box_append (GTK_BOX (box), label);
  return GTK_LABEL (label);
}

static void
globi_payment_confirmation_init (GlobiPaymentConfirmation *self)
{
  globi_wallet_style_ensure ();
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  gtk_widget_set_valign (self->box, GTK_ALIGN_CENTER);

  self->mark = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (self->mark), MARK_SIZE);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (self->mark), MARK_SIZE);
  gtk_widget_set_halign (self->mark, GTK_ALIGN_CENTER);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->mark), draw_mark, self, NULL);
  gtk_box_append (GTK_BOX (self->box), self->mark);

  self->amount_label = add_label (self->box, "confirmation-amount");
  self->title_label = add_label (self->box, "title-3");
  self->detail_label = add_label (self->box, "dim-label");
  self->finished = TRUE;
  self->scale = 1.0;
}

GtkWidget *
globi_payment_confirmation_new (void)
{
  return g_object_new (GLOBI_TYPE_PAYMENT_CONFIRMATION, NULL);
}

void
globi_payment_confirmation_play (GlobiPaymentConfirmation *self,
                                 const char *title,
                                 gint64 minor,
                                 const char *currency,
                                 const char *detail)
{
  g_autofree char *final = NULL;
  g_autofree char *spoken = NULL;

  g_return_if_fail (GLOBI_IS_PAYMENT_CONFIRMATION (self));

  g_free (self->currency);
  self->currency = g_strdup (currency);
  self->minor = minor;
  gtk_label_set_text (self->title_label, title ? title : "");
  gtk_label_set_text (self->detail_label, detail ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), detail && *detail);

  /* Screen readers hear the result, not the count. */
  final = currency ? globi_money_format (minor, currency, GLOBI_MONEY_FORMAT_SYMBOL) : NULL;
  spoken = g_strdup_printf ("%s %s", title ? title : "", final ? final : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, spoken, -1);

  stop_ticking (self);
  self->finished = FALSE;
  self->start_us = 0;
  if (globi_wallet_style_reduced_motion (GTK_WIDGET (self)))
    {
      self->elapsed = MAX_SECONDS;
      render (self);
      return;
    }
  self->elapsed = 0;
  render (self);
  self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_tick_cb, NULL, NULL);
}

double
globi_payment_confirmation_get_scale (GlobiPaymentConfirmation *self)
{
  g_return_val_if_fail (GLOBI_IS_PAYMENT_CONFIRMATION (self), 0);
  return self->scale;
}

const char *
globi_payment_confirmation_get_amount_text (GlobiPaymentConfirmation *self)
{
  g_return_val_if_fail (GLOBI_IS_PAYMENT_CONFIRMATION (self), NULL);
  return self->amount_text;
}

gboolean
globi_payment_confirmation_get_finished (GlobiPaymentConfirmation *self)
{
  g_return_val_if_fail (GLOBI_IS_PAYMENT_CONFIRMATION (self), FALSE);
  return self->finished;
}

void
globi_payment_confirmation_seek (GlobiPaymentConfirmation *self, double seconds)
{
  g_return_if_fail (GLOBI_IS_PAYMENT_CONFIRMATION (self));

  stop_ticking (self);
  self->elapsed = MAX (seconds, 0);
  render (self);
}

static void
on_done_clicked_cb (GtkButton *button, GtkWindow *window)
{
  gtk_window_close (window);
}

GtkWidget *
globi_payment_confirmation_present (
    GtkWidget *parent, const char *title, gint64 minor, const char *currency, const char *detail)
{
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *confirmation = globi_payment_confirmation_new ();
  GtkWidget *done = gtk_button_new_with_mnemonic (_ ("_Done"));

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_title (GTK_WINDOW (window), title);
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 400);
  gtk_widget_add_css_class (header, "flat");
  gtk_box_append (GTK_BOX (outer), header);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_vexpand (box, TRUE);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), confirmation);
  gtk_widget_add_css_class (done, "suggested-action");
  gtk_widget_add_css_class (done, "pill");
  gtk_widget_set_halign (done, GTK_ALIGN_CENTER);
  g_signal_connect (done, "clicked", G_CALLBACK (on_done_clicked_cb), window);
  gtk_box_append (GTK_BOX (box), done);
  gtk_box_append (GTK_BOX (outer), box);
  adw_window_set_content (ADW_WINDOW (window), outer);
  g_object_set_data (G_OBJECT (window), "confirmation", confirmation);
  gtk_window_present (GTK_WINDOW (window));
  globi_payment_confirmation_play (GLOBI_PAYMENT_CONFIRMATION (confirmation), title, minor,
                                   currency, detail);
  return window;
}
