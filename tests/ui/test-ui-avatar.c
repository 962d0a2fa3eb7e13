/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>

#include "globi-avatar-cropper.h"
#include "ui-fixture.h"

static GdkPixbuf *
decode (GBytes *png)
{
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new_with_type ("png", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (loader);
  gdk_pixbuf_loader_write_bytes (loader, png, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static guint32
pixel (GdkPixbuf *pixbuf, int x, int y)
{
  const guchar *p = gdk_pixbuf_read_pixels (pixbuf) + y * gdk_pixbuf_get_rowstride (pixbuf) +
                    x * gdk_pixbuf_get_n_channels (pixbuf);
  guint32 alpha = gdk_pixbuf_get_has_alpha (pixbuf) ? p[3] : 0xff;

  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | alpha;
}

/* 300x100: the left third red, the middle green, the right blue. */
static GdkPixbuf *
make_stripes (void)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 300, 100);
  g_autoptr (GdkPixbuf) part = NULL;

  gdk_pixbuf_fill (pixbuf, 0xff0000ff);
  part = gdk_pixbuf_new_subpixbuf (pixbuf, 100, 0, 100, 100);
  gdk_pixbuf_fill (part, 0x00ff00ff);
  g_clear_object (&part);
  part = gdk_pixbuf_new_subpixbuf (pixbuf, 200, 0, 100, 100);
  gdk_pixbuf_fill (part, 0x0000ffff);
  return pixbuf;
}

static void
test_crop (void)
{
  g_autoptr (GdkPixbuf) source = make_stripes ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GdkPixbuf) out = NULL;

  /* The square over the right third keeps only blue. */
  png = globi_avatar_cropper_render (source, FALSE, 200, 0, 100, &error);
  g_assert_no_error (error);
  out = decode (png);
  g_assert_cmpint (gdk_pixbuf_get_width (out), ==, GLOBI_AVATAR_SIZE);
  g_assert_cmpint (gdk_pixbuf_get_height (out), ==, GLOBI_AVATAR_SIZE);
  g_assert_cmphex (pixel (out, 10, 10), ==, 0x0000ffff);
  g_assert_cmphex (pixel (out, 500, 500), ==, 0x0000ffff);

  /* A square past the edge is pulled back inside the image. */
  g_clear_pointer (&png, g_bytes_unref);
  g_clear_object (&out);
  png = globi_avatar_cropper_render (source, FALSE, 280, 40, 100, &error);
  g_assert_no_error (error);
  out = decode (png);
  g_assert_cmphex (pixel (out, 256, 256), ==, 0x0000ffff);
}

static void
test_fit (void)
{
  g_autoptr (GdkPixbuf) source = make_stripes ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) png = globi_avatar_cropper_render (source, TRUE, 0, 0, 0, &error);
  g_autoptr (GdkPixbuf) out = NULL;

  g_assert_no_error (error);
  out = decode (png);
  g_assert_cmpint (gdk_pixbuf_get_width (out), ==, GLOBI_AVATAR_SIZE);
  g_assert_cmpint (gdk_pixbuf_get_height (out), ==, GLOBI_AVATAR_SIZE);
  /* The whole image, centred: bands of one opaque average colour above and below (none of
   * the stripes' own), all three stripes across. */
  g_assert_cmphex (pixel (out, 256, 10), ==, pixel (out, 256, 500));
  g_assert_cmphex (pixel (out, 256, 10) & 0xff, ==, 0xff);
  g_assert_cmphex (pixel (out, 256, 10), !=, 0xff0000ff);
  g_assert_cmphex (pixel (out, 256, 10), !=, 0x00ff00ff);
  g_assert_cmphex (pixel (out, 256, 10), !=, 0x0000ffff);
  g_assert_cmphex (pixel (out, 40, 256), ==, 0xff0000ff);
  g_assert_cmphex (pixel (out, 256, 256), ==, 0x00ff00ff);
  g_assert_cmphex (pixel (out, 470, 256), ==, 0x0000ffff);
}

/* The Use photo button turns sensitive once the photo is loaded. */
static gboolean
photo_loaded (gpointer data)
{
  GtkWidget *apply = ui_find_button (data, "_Use photo");
  return apply && gtk_widget_is_sensitive (apply);
}

static void
on_cropped_cb (GlobiAvatarCropper *cropper, GBytes *png, GBytes **out)
{
  *out = g_bytes_ref (png);
}

static gboolean
have_bytes (gpointer data)
{
  return *(GBytes **) data != NULL;
}

/* The dialog itself: loads the file on a worker thread, starts centred, moves with the
 * keyboard's action, and hands over a square PNG. */
static void
test_cropper_dialog (void)
{
  g_autoptr (GdkPixbuf) source = make_stripes ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GdkPixbuf) out = NULL;
  GlobiAvatarCropper *cropper = NULL;

  if (!ui_test_have_display ())
    return;
  dir = g_dir_make_tmp ("globi-ui-avatar-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "stripes.png", NULL);
  gdk_pixbuf_save (source, path, "png", &error, NULL);
  g_assert_no_error (error);
  file = g_file_new_for_path (path);

  cropper = globi_avatar_cropper_new (NULL, file);
  g_signal_connect (cropper, "cropped", G_CALLBACK (on_cropped_cb), &png);
  gtk_window_present (GTK_WINDOW (cropper));
  /* From the centre (green) twenty steps of a twentieth of the square to the right: blue. */
  ui_wait_until (photo_loaded, cropper, 30, "the photo to load");
  for (int i = 0; i < 20; i++)
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (cropper), "cropper.move", "(ii)", 1, 0));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (cropper), "cropper.apply", NULL));
  ui_wait_until (have_bytes, &png, 30, "the cropped photo");
  out = decode (png);
  g_assert_cmpint (gdk_pixbuf_get_width (out), ==, GLOBI_AVATAR_SIZE);
  g_assert_cmphex (pixel (out, 256, 256), ==, 0x0000ffff);

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  ui_test_init (&argc, &argv);

  g_test_add_func ("/globi/ui/avatar/crop", test_crop);
  g_test_add_func ("/globi/ui/avatar/fit", test_fit);
  g_test_add_func ("/globi/ui/avatar/cropper-dialog", test_cropper_dialog);
  return g_test_run ();
}
