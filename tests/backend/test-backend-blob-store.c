/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "globi-blob-store.h"
#include "globi-error.h"
#include "globi-test-util.h"

/* sha256("hello world\n") */
#define HELLO_HASH "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"

typedef struct
{
  char *dir;
  GlobiBlobStore *store;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *blobs = NULL;

  fixture->dir = g_dir_make_tmp ("globi-blobs-XXXXXX", &error);
  g_assert_no_error (error);
  blobs = g_build_filename (fixture->dir, "blobs", NULL);
  fixture->store = globi_blob_store_new (blobs, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  g_clear_object (&fixture->store);
  globi_test_remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
}

static guint
count_files (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

static void
test_blob_put_get (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static ("hello world\n", 12);
  g_autoptr (GBytes) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = globi_blob_store_put (fixture->store, bytes, &error);
  g_autofree char *path = g_build_filename (fixture->dir, "blobs", "a9", HELLO_HASH, NULL);
  g_autofree char *tmp = g_build_filename (fixture->dir, "blobs", "tmp", NULL);
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_cmpstr (hash, ==, HELLO_HASH);
  g_assert_true (globi_blob_store_has (fixture->store, hash));

  /* Laid out as DIR/ab/abcd..., private to the server, with no temporary left over. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpuint (count_files (tmp), ==, 0);

  back = globi_blob_store_get (fixture->store, hash, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back, bytes));
}

static void
test_blob_empty (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (GBytes) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = globi_blob_store_put (fixture->store, empty, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (hash, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  back = globi_blob_store_get (fixture->store, hash, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (back), ==, 0);
}

static void
test_blob_idempotent (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static ("hello world\n", 12);
  g_autoptr (GError) error = NULL;
  g_autofree char *first = globi_blob_store_put (fixture->store, bytes, &error);
  g_autofree char *second = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, "blobs", "a9", HELLO_HASH, NULL);
  g_autofree char *subdir = g_build_filename (fixture->dir, "blobs", "a9", NULL);
  GStatBuf before, after;

  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &before), ==, 0);
  second = globi_blob_store_put (fixture->store, bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, second);
  /* The existing file was kept, not rewritten. */
  g_assert_cmpint (g_stat (path, &after), ==, 0);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino);
  g_assert_cmpuint (count_files (subdir), ==, 1);
}

static void
test_blob_invalid_hash (Fixture *fixture, gconstpointer user_data)
{
  const char *bad[] = {
    "",
    "../../etc/passwd",
    "A948904F2F0F479B8F8197694B30184B0D2ED1C1CD2A1EC0FB85D299A192A447",
    "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a44",
    "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a4477",
    "g948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447",
    "a9/8904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447",
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) missing = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) local_error = NULL;
      g_autoptr (GBytes) bytes = globi_blob_store_get (fixture->store, bad[i], &local_error);

      g_assert_false (globi_blob_hash_is_valid (bad[i]));
      g_assert_null (bytes);
      g_assert_error (local_error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
      g_assert_false (globi_blob_store_has (fixture->store, bad[i]));
    }
  g_assert_false (globi_blob_hash_is_valid (NULL));
  g_assert_false (globi_blob_store_has (fixture->store, NULL));
  g_assert_true (globi_blob_hash_is_valid (HELLO_HASH));

  /* Well formed but absent. */
  missing = globi_blob_store_get (fixture->store, HELLO_HASH, &error);
  g_assert_null (missing);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND);
  g_assert_false (globi_blob_store_has (fixture->store, HELLO_HASH));
}

static void
test_blob_stale_temporaries (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *blobs = g_build_filename (fixture->dir, "blobs", NULL);
  g_autofree char *stale = g_build_filename (blobs, "tmp", "blob-ABCDEF", NULL);
  g_autoptr (GlobiBlobStore) reopened = NULL;
  g_autoptr (GError) error = NULL;

  /* What a crash between write and rename leaves: a half blob, under no real name. */
  g_assert_true (g_file_set_contents (stale, "half a bl", -1, &error));
  reopened = globi_blob_store_new (blobs, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
}

typedef struct
{
  GlobiBlobStore *store;
  GBytes *bytes;
} PutData;

static gpointer
put_in_thread (gpointer user_data)
{
  PutData *data = user_data;

  return globi_blob_store_put (data->store, data->bytes, NULL);
}

static void
test_blob_concurrent_same (Fixture *fixture, gconstpointer user_data)
{
  g_autofree guint8 *payload = g_malloc (1 << 20);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GBytes) back = NULL;
  g_autoptr (GError) error = NULL;
  PutData data;
  GThread *threads[4];
  g_autofree char *tmp = g_build_filename (fixture->dir, "blobs", "tmp", NULL);
  char *first = NULL;

  randombytes_buf (payload, 1 << 20);
  bytes = g_bytes_new (payload, 1 << 20);
  data.store = fixture->store;
  data.bytes = bytes;
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("put", put_in_thread, &data);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      char *hash = g_thread_join (threads[i]);

      g_assert_nonnull (hash);
      if (first == NULL)
        first = hash;
      else
        {
          g_assert_cmpstr (hash, ==, first);
          g_free (hash);
        }
    }
  back = globi_blob_store_get (fixture->store, first, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back, bytes));
  g_assert_cmpuint (count_files (tmp), ==, 0);
  g_free (first);
}

static void
test_blob_unwritable (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiBlobStore) store = globi_blob_store_new ("/proc/globi-cannot-exist", &error);

  g_assert_null (store);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL);
}

/* An RGB test picture: a green band on the left and right that a centre crop removes,
 * red in the left half of the remaining square, blue in its right half. */
static GdkPixbuf *
make_picture (int width, int height)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int band = (width - height) / 2;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + y * rowstride + x * 3;
        gboolean green = x < band || x >= width - band;
        gboolean red = !green && x < width / 2;

        p[0] = red ? 255 : 0;
        p[1] = green ? 255 : 0;
        p[2] = !green && !red ? 255 : 0;
      }
  return pixbuf;
}

static GBytes *
encode_picture (GdkPixbuf *pixbuf, const char *format)
{
  g_autoptr (GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, format, &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, len);
}

static gboolean
format_is_writable (const char *name)
{
  g_autoptr (GSList) formats = gdk_pixbuf_get_formats ();

  for (GSList *l = formats; l != NULL; l = l->next)
    {
      g_autofree char *format_name = gdk_pixbuf_format_get_name (l->data);

      if (g_str_equal (format_name, name))
        return gdk_pixbuf_format_is_writable (l->data);
    }
  return FALSE;
}

static void
test_image_sniff (void)
{
  g_autoptr (GdkPixbuf) picture = make_picture (40, 20);
  g_autoptr (GBytes) png = encode_picture (picture, "png");
  g_autoptr (GBytes) jpeg = encode_picture (picture, "jpeg");
  g_autoptr (GBytes) webp_header = g_bytes_new_static ("RIFF\x24\0\0\0WEBPVP8 ", 16);
  g_autoptr (GBytes) riff_wave = g_bytes_new_static ("RIFF\x24\0\0\0WAVEfmt ", 16);
  g_autoptr (GBytes) gif = g_bytes_new_static ("GIF89a\x01\0\x01\0", 10);
  g_autoptr (GBytes) svg = g_bytes_new_static ("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", 41);
  g_autoptr (GBytes) short_png = g_bytes_new_static ("\x89PNG\r\n\x1a", 7);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);

  g_assert_cmpstr (globi_image_sniff (png), ==, "image/png");
  g_assert_cmpstr (globi_image_sniff (jpeg), ==, "image/jpeg");
  g_assert_cmpstr (globi_image_sniff (webp_header), ==, "image/webp");
  if (format_is_writable ("webp"))
    {
      g_autoptr (GBytes) webp = encode_picture (picture, "webp");

      g_assert_cmpstr (globi_image_sniff (webp), ==, "image/webp");
    }
  g_assert_null (globi_image_sniff (riff_wave));
  g_assert_null (globi_image_sniff (gif));
  g_assert_null (globi_image_sniff (svg));
  g_assert_null (globi_image_sniff (short_png));
  g_assert_null (globi_image_sniff (empty));
}

static void
assert_thumbnail (GBytes *image, guint size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) thumb = globi_image_make_thumbnail (image, 4096, size, &error);
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new_with_mime_type ("image/png", NULL);
  GdkPixbuf *decoded;
  const guint8 *pixels;
  int rowstride, channels;
  const guint8 *left, *right;

  g_assert_no_error (error);
  g_assert_cmpstr (globi_image_sniff (thumb), ==, "image/png");
  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, thumb, &error));
  g_assert_true (gdk_pixbuf_loader_close (loader, &error));
  g_assert_no_error (error);
  decoded = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_cmpint (gdk_pixbuf_get_width (decoded), ==, size);
  g_assert_cmpint (gdk_pixbuf_get_height (decoded), ==, size);

  /* Centre-cropped: the green bands are gone; red on the left, blue on the right. */
  pixels = gdk_pixbuf_get_pixels (decoded);
  rowstride = gdk_pixbuf_get_rowstride (decoded);
  channels = gdk_pixbuf_get_n_channels (decoded);
  left = pixels + (size / 2) * rowstride + 1 * channels;
  right = pixels + (size / 2) * rowstride + (size - 2) * channels;
  g_assert_cmpuint (left[0], >, 200);
  g_assert_cmpuint (left[1], <, 60);
  g_assert_cmpuint (right[2], >, 200);
  g_assert_cmpuint (right[1], <, 60);
}

static void
test_image_thumbnail (void)
{
  g_autoptr (GdkPixbuf) picture = make_picture (300, 200);
  g_autoptr (GdkPixbuf) portrait =
      gdk_pixbuf_rotate_simple (picture, GDK_PIXBUF_ROTATE_COUNTERCLOCKWISE);
  g_autoptr (GBytes) png = encode_picture (picture, "png");
  g_autoptr (GBytes) jpeg = encode_picture (picture, "jpeg");
  g_autoptr (GBytes) tall = encode_picture (portrait, "png");
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) tall_thumb = NULL;

  assert_thumbnail (png, 64);
  assert_thumbnail (png, 256);
  assert_thumbnail (jpeg, 64);
  if (format_is_writable ("webp"))
    {
      g_autoptr (GBytes) webp = encode_picture (picture, "webp");

      assert_thumbnail (webp, 64);
    }

  /* A portrait picture crops to a square too. */
  tall_thumb = globi_image_make_thumbnail (tall, 4096, 32, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tall_thumb);
}

static void
test_image_too_large (void)
{
  g_autoptr (GdkPixbuf) picture = make_picture (300, 200);
  g_autoptr (GBytes) png = encode_picture (picture, "png");
  g_autoptr (GBytes) jpeg = encode_picture (picture, "jpeg");
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) thumb = NULL;

  thumb = globi_image_make_thumbnail (png, 299, 64, &error);
  g_assert_null (thumb);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE);
  g_clear_error (&error);

  thumb = globi_image_make_thumbnail (jpeg, 250, 64, &error);
  g_assert_null (thumb);
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* Exactly at the limit is fine. */
  thumb = globi_image_make_thumbnail (png, 300, 64, &error);
  g_assert_no_error (error);
  g_assert_nonnull (thumb);
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* The CRC-32 that PNG chunks carry (ISO 3309), bit by bit: only a few bytes go through it. */
static guint32
crc32_ieee (const guint8 *data, gsize len)
{
  guint32 crc = 0xffffffff;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int bit = 0; bit < 8; bit++)
        crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
    }
  return crc ^ 0xffffffff;
}

static void
test_image_bombs (void)
{
  g_autoptr (GdkPixbuf) picture = make_picture (30, 20);
  g_autoptr (GBytes) small_png = encode_picture (picture, "png");
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (small_png, &len);
  g_autofree guint8 *bomb = g_memdup2 (data, len);
  g_autoptr (GBytes) png_bomb = NULL;
  /* A baseline JPEG frame header declaring 60000×60000. */
  static const guint8 jpeg_bomb_data[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',  'I',  'F',  0x00, 0x01, 0x01, 0x00,
    0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xea, 0x60, 0xea,
    0x60, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9,
  };
  /* A WebP extended header declaring a 16384×16384 canvas. */
  static const guint8 webp_bomb_data[] = {
    'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'E',  'B',  'P', 'V',  'P',  '8',
    'X', 10,  0,   0,   0,    0, 0, 0, 0,   0xff, 0x3f, 0,   0xff, 0x3f, 0,
  };
  g_autoptr (GBytes) jpeg_bomb = g_bytes_new_static (jpeg_bomb_data, sizeof jpeg_bomb_data);
  g_autoptr (GBytes) webp_bomb = g_bytes_new_static (webp_bomb_data, sizeof webp_bomb_data);
  GBytes *bombs[3];
  guint32 crc;

  /* The small PNG's IHDR rewritten to 100000×100000 with a correct CRC, so only the
   * declared size is wrong. */
  put_be32 (bomb + 16, 100000);
  put_be32 (bomb + 20, 100000);
  crc = crc32_ieee (bomb + 12, 17);
  put_be32 (bomb + 29, crc);
  png_bomb = g_bytes_new (bomb, len);

  bombs[0] = png_bomb;
  bombs[1] = jpeg_bomb;
  bombs[2] = webp_bomb;
  for (guint i = 0; i < G_N_ELEMENTS (bombs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) thumb = globi_image_make_thumbnail (bombs[i], 4096, 64, &error);

      g_assert_null (thumb);
      g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE);
    }
}

static void
test_image_garbage (void)
{
  g_autoptr (GdkPixbuf) picture = make_picture (300, 200);
  g_autoptr (GBytes) png = encode_picture (picture, "png");
  g_autoptr (GBytes) jpeg = encode_picture (picture, "jpeg");
  g_autoptr (GBytes) truncated = g_bytes_new_from_bytes (png, 0, g_bytes_get_size (png) / 2);
  g_autoptr (GBytes) truncated_jpeg =
      g_bytes_new_from_bytes (jpeg, 0, g_bytes_get_size (jpeg) - 10);
  g_autoptr (GBytes) magic_only = g_bytes_new_static ("\x89PNG\r\n\x1a\nnot really a png", 24);
  g_autoptr (GBytes) jpeg_magic_only = g_bytes_new_static ("\xff\xd8\xff\xd9", 4);
  g_autoptr (GBytes) text = g_bytes_new_static ("hello", 5);
  g_autoptr (GBytes) webp_header = g_bytes_new_static ("RIFF\x24\0\0\0WEBPVP8 ", 16);
  GBytes *inputs[] = { truncated, truncated_jpeg, magic_only, jpeg_magic_only, text, webp_header };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) thumb = globi_image_make_thumbnail (inputs[i], 4096, 64, &error);

      g_assert_null (thumb);
      g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_UNSUPPORTED_MEDIA);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add ("/globi/backend/blob-store/put-get", Fixture, NULL, fixture_set_up, test_blob_put_get,
              fixture_tear_down);
  g_test_add ("/globi/backend/blob-store/empty", Fixture, NULL, fixture_set_up, test_blob_empty,
              fixture_tear_down);
  g_test_add ("/globi/backend/blob-store/idempotent", Fixture, NULL, fixture_set_up,
              test_blob_idempotent, fixture_tear_down);
  g_test_add ("/globi/backend/blob-store/invalid-hash", Fixture, NULL, fixture_set_up,
              test_blob_invalid_hash, fixture_tear_down);
  g_test_add ("/globi/backend/blob-store/stale-temporaries", Fixture, NULL, fixture_set_up,
              test_blob_stale_temporaries, fixture_tear_down);
  g_test_add ("/globi/backend/blob-store/concurrent-same", Fixture, NULL, fixture_set_up,
              test_blob_concurrent_same, fixture_tear_down);
  g_test_add_func ("/globi/backend/blob-store/unwritable", test_blob_unwritable);
  g_test_add_func ("/globi/backend/image/sniff", test_image_sniff);
  g_test_add_func ("/globi/backend/image/thumbnail", test_image_thumbnail);
  g_test_add_func ("/globi/backend/image/too-large", test_image_too_large);
  g_test_add_func ("/globi/backend/image/bombs", test_image_bombs);
  g_test_add_func ("/globi/backend/image/garbage", test_image_garbage);
  return g_test_run ();
}
