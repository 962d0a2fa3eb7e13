/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-blob-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "globi-blob-store.h"
#include "globi-error.h"

#define HASH_HEX_LENGTH (crypto_hash_sha256_BYTES * 2)
/* Bytes handed to the image decoder at a time, so an oversized image reported by the
 * decoder's own header parsing stops the decode before the next chunk. */
#define DECODE_CHUNK 16384

struct _GlobiBlobStore
{
  GObject parent_instance;

  char *directory;
  char *tmp_directory; /* DIR/tmp: half-written blobs, emptied on open */
};

G_DEFINE_FINAL_TYPE (GlobiBlobStore, globi_blob_store, G_TYPE_OBJECT)

static void
globi_blob_store_finalize (GObject *object)
{
  GlobiBlobStore *self = GLOBI_BLOB_STORE (object);

  g_clear_pointer (&self->directory, g_free);
  g_clear_pointer (&self->tmp_directory, g_free);

  G_OBJECT_CLASS (globi_blob_store_parent_class)->finalize (object);
}

static void
globi_blob_store_class_init (GlobiBlobStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = globi_blob_store_finalize;
}

static void
globi_blob_store_init (GlobiBlobStore *self)
{
}

static gboolean
set_errno_error (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL, "%s %s: %s", what, path,
               g_strerror (saved_errno));
  return FALSE;
}

static char *
blob_path (GlobiBlobStore *self, const char *hash)
{
  char prefix[3] = { hash[0], hash[1], '\0' };

  return g_build_filename (self->directory, prefix, hash, NULL);
}

/* A crash between mkstemp and rename leaves a temporary file behind; nobody else can be
 * writing one while the store is being opened. */
static void
remove_stale_temporaries (const char *tmp_directory)
{
  g_autoptr (GDir) dir = g_dir_open (tmp_directory, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmp_directory, name, NULL);

      if (g_unlink (path) != 0)
        g_warning ("Could not remove stale temporary blob %s: %s", path, g_strerror (errno));
    }
}

static gboolean
write_all (int fd, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      gssize written = write (fd, data, len);

      if (written < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += written;
      len -= written;
    }
  return TRUE;
}

static void
fsync_directory (const char *path)
{
  int fd = g_open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd >= 0)
    {
      fsync (fd);
      g_close (fd, NULL);
    }
}

GlobiBlobStore *
globi_blob_store_new (const char *directory, GError **error)
{
  g_autoptr (GlobiBlobStore) self = NULL;

  g_return_val_if_fail (directory != NULL, NULL);

  self = g_object_new (GLOBI_TYPE_BLOB_STORE, NULL);
  self->directory = g_strdup (directory);
  self->tmp_directory = g_build_filename (directory, "tmp", NULL);

  if (g_mkdir_with_parents (self->tmp_directory, 0700) != 0)
    {
      set_errno_error (error, errno, "Could not create blob directory", self->tmp_directory);
      return NULL;
    }
  remove_stale_temporaries (self->tmp_directory);

  return g_steal_pointer (&self);
}

gboolean
globi_blob_hash_is_valid (const char *hash)
{
  if (hash == NULL)
    return FALSE;
  for (guint i = 0; i < HASH_HEX_LENGTH; i++)
    if (!g_ascii_isdigit (hash[i]) && !(hash[i] >= 'a' && hash[i] <= 'f'))
      return FALSE;
  return hash[HASH_HEX_LENGTH] == '\0';
}

char *
globi_blob_store_put (GlobiBlobStore *self, GBytes *bytes, GError **error)
{
  guint8 digest[crypto_hash_sha256_BYTES];
  char hash[HASH_HEX_LENGTH + 1];
  char prefix[3];
  g_autofree char *subdir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *tmp_path = NULL;
  const guint8 *data;
  gsize len = 0;
  int fd;

  g_return_val_if_fail (GLOBI_IS_BLOB_STORE (self), NULL);
  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  crypto_hash_sha256 (digest, data, len);
  sodium_bin2hex (hash, sizeof hash, digest, sizeof digest);

  path = blob_path (self, hash);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return g_strdup (hash);

  prefix[0] = hash[0];
  prefix[1] = hash[1];
  prefix[2] = '\0';
  subdir = g_build_filename (self->directory, prefix, NULL);
  if (g_mkdir_with_parents (subdir, 0700) != 0)
    {
      set_errno_error (error, errno, "Could not create blob directory", subdir);
      return NULL;
    }

  tmp_path = g_build_filename (self->tmp_directory, "blob-XXXXXX", NULL);
  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      set_errno_error (error, errno, "Could not create", tmp_path);
      return NULL;
    }
  /* fsync before rename: after a crash the name either is absent or has every byte. */
  if (!write_all (fd, data, len) || fsync (fd) != 0)
    {
      int saved_errno = errno;

      g_close (fd, NULL);
      g_unlink (tmp_path);
      set_errno_error (error, saved_errno, "Could not write", tmp_path);
      return NULL;
    }
  if (!g_close (fd, NULL))
    {
      int saved_errno = errno;

      g_unlink (tmp_path);
      set_errno_error (error, saved_errno, "Could not write", tmp_path);
      return NULL;
    }
  /* Two writers of the same content both rename an identical file onto one name: the
   * result is the same either way. */
  if (g_rename (tmp_path, path) != 0)
    {
      int saved_errno = errno;

      g_unlink (tmp_path);
      set_errno_error (error, saved_errno, "Could not store", path);
      return NULL;
    }
  fsync_directory (subdir);

  return g_strdup (hash);
}

GBytes *
globi_blob_store_get (GlobiBlobStore *self, const char *hash, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) local_error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_return_val_if_fail (GLOBI_IS_BLOB_STORE (self), NULL);

  if (!globi_blob_hash_is_valid (hash))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND, "No such blob");
      return NULL;
    }
  path = blob_path (self, hash);
  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_NOT_FOUND, "No such blob");
      else
        g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL, "Could not read blob: %s",
                     local_error->message);
      return NULL;
    }
  return g_bytes_new_take (contents, len);
}

gboolean
globi_blob_store_has (GlobiBlobStore *self, const char *hash)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (GLOBI_IS_BLOB_STORE (self), FALSE);

  if (!globi_blob_hash_is_valid (hash))
    return FALSE;
  path = blob_path (self, hash);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

const char *
globi_image_sniff (GBytes *bytes)
{
  static const guint8 png_magic[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 jpeg_magic[] = { 0xff, 0xd8, 0xff };
  const guint8 *data;
  gsize len = 0;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  if (len >= sizeof png_magic && memcmp (data, png_magic, sizeof png_magic) == 0)
    return "image/png";
  if (len >= sizeof jpeg_magic && memcmp (data, jpeg_magic, sizeof jpeg_magic) == 0)
    return "image/jpeg";
  if (len >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "image/webp";
  return NULL;
}

static guint32
read_be16 (const guint8 *p)
{
  return ((guint32) p[0] << 8) | p[1];
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint32
read_le24 (const guint8 *p)
{
  return p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16);
}

/* Reads the pixel dimensions from the image header alone, so that a decompression bomb
 * (a few bytes declaring a gigapixel canvas) is refused before any decoder allocates for
 * it. Returns FALSE when no dimensions can be found. */
static gboolean
read_image_size (
    const char *mime_type, const guint8 *data, gsize len, guint32 *out_width, guint32 *out_height)
{
  if (g_str_equal (mime_type, "image/png"))
    {
      /* The first chunk must be IHDR (PNG spec 11.2.2). */
      if (len < 24 || memcmp (data + 12, "IHDR", 4) != 0)
        return FALSE;
      *out_width = read_be32 (data + 16);
      *out_height = read_be32 (data + 20);
      return TRUE;
    }

  if (g_str_equal (mime_type, "image/jpeg"))
    {
      gsize pos = 2;

      while (pos + 4 <= len)
        {
          guint8 marker;
          guint32 segment_len;

          if (data[pos] != 0xff)
            return FALSE;
          marker = data[pos + 1];
          if (marker == 0xff) /* fill byte */
            {
              pos++;
              continue;
            }
          if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
            {
              pos += 2;
              continue;
            }
          if (marker == 0xd9 || marker == 0xda) /* end, or scan data before any frame */
            return FALSE;
          segment_len = read_be16 (data + pos + 2);
          if (segment_len < 2)
            return FALSE;
          /* SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
          if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
              marker != 0xcc)
            {
              if (pos + 9 > len)
                return FALSE;
              *out_height = read_be16 (data + pos + 5);
              *out_width = read_be16 (data + pos + 7);
              return TRUE;
            }
          pos += 2 + segment_len;
        }
      return FALSE;
    }

  if (g_str_equal (mime_type, "image/webp"))
    {
      if (len < 30)
        return FALSE;
      if (memcmp (data + 12, "VP8X", 4) == 0)
        {
          *out_width = read_le24 (data + 24) + 1;
          *out_height = read_le24 (data + 27) + 1;
          return TRUE;
        }
      if (memcmp (data + 12, "VP8L", 4) == 0 && data[20] == 0x2f)
        {
          guint32 bits = data[21] | ((guint32) data[22] << 8) | ((guint32) data[23] << 16) |
                         ((guint32) data[24] << 24);

          *out_width = (bits & 0x3fff) + 1;
          *out_height = ((bits >> 14) & 0x3fff) + 1;
          return TRUE;
        }
      if (memcmp (data + 12, "VP8 ", 4) == 0 && data[23] == 0x9d && data[24] == 0x01 &&
          data[25] == 0x2a)
        {
          *out_width = (data[26] | ((guint32) data[27] << 8)) & 0x3fff;
          *out_height = (data[28] | ((guint32) data[29] << 8)) & 0x3fff;
          return TRUE;
        }
      return FALSE;
    }

  return FALSE;
}

/* Decoders hand back a partly grey picture for a truncated file rather than fail, so an
 * upload cut short is caught by its missing end marker instead. */
static gboolean
image_is_complete (const char *mime_type, const guint8 *data, gsize len)
{
  static const guint8 png_iend[] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };

  if (g_str_equal (mime_type, "image/png"))
    return len >= sizeof png_iend &&
           memcmp (data + len - sizeof png_iend, png_iend, sizeof png_iend) == 0;
  if (g_str_equal (mime_type, "image/jpeg"))
    {
      /* Some encoders pad after the end-of-image marker with zeros. */
      while (len > 2 && data[len - 1] == 0)
        len--;
      return len >= 4 && data[len - 2] == 0xff && data[len - 1] == 0xd9;
    }
  if (g_str_equal (mime_type, "image/webp"))
    {
      /* The RIFF header states the file size; VP8 decoders do catch truncation themselves. */
      guint32 riff_size = len >= 8 ? data[4] | ((guint32) data[5] << 8) |
                                         ((guint32) data[6] << 16) | ((guint32) data[7] << 24)
                                   : 0;

      return len >= 8 && (guint64) riff_size + 8 <= len;
    }
  return FALSE;
}

typedef struct
{
  guint max_side;
  gboolean too_large;
} SizeCheck;

/* Second line of defence: the decoder's own idea of the size, before it allocates. */
static void
on_size_prepared_cb (GdkPixbufLoader *loader, int width, int height, gpointer user_data)
{
  SizeCheck *check = user_data;

  if (width <= 0 || height <= 0 || (guint) width > check->max_side ||
      (guint) height > check->max_side)
    {
      check->too_large = TRUE;
      /* Keeps a decoder that goes on anyway from allocating the full canvas. */
      gdk_pixbuf_loader_set_size (loader, 1, 1);
    }
}

static GdkPixbuf *
decode_image (GBytes *bytes, const char *mime_type, guint max_side, GError **error)
{
  g_autoptr (GdkPixbufLoader) loader = NULL;
  g_autoptr (GError) local_error = NULL;
  SizeCheck check = { max_side, FALSE };
  const guint8 *data;
  gsize len = 0;
  gboolean ok = TRUE;
  GdkPixbuf *pixbuf;

  loader = gdk_pixbuf_loader_new_with_mime_type (mime_type, &local_error);
  if (loader == NULL)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_UNSUPPORTED_MEDIA,
                   "This server cannot decode %s images", mime_type);
      return NULL;
    }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared_cb), &check);

  data = g_bytes_get_data (bytes, &len);
  for (gsize offset = 0; ok && offset < len && !check.too_large; offset += DECODE_CHUNK)
    ok = gdk_pixbuf_loader_write (loader, data + offset, MIN (DECODE_CHUNK, len - offset),
                                  &local_error);
  /* A failed write has closed the loader already; otherwise it must be closed here, also
   * when the size check stopped the writes, or it warns when finalized. */
  if (ok && !gdk_pixbuf_loader_close (loader, &local_error))
    ok = FALSE;

  if (check.too_large)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE,
                   "Images may be at most %u pixels on a side", max_side);
      return NULL;
    }
  pixbuf = ok ? gdk_pixbuf_loader_get_pixbuf (loader) : NULL;
  if (pixbuf == NULL)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNSUPPORTED_MEDIA,
                           "The image could not be decoded");
      return NULL;
    }
  /* A camera's JPEG is often stored sideways with an EXIF orientation. */
  return gdk_pixbuf_apply_embedded_orientation (pixbuf);
}

GBytes *
globi_image_make_thumbnail (GBytes *bytes, guint max_side, guint size, GError **error)
{
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GdkPixbuf) square = NULL;
  g_autoptr (GdkPixbuf) scaled = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *mime_type;
  const guint8 *data;
  gsize len = 0;
  guint32 width = 0, height = 0;
  int side;
  char *png = NULL;
  gsize png_len = 0;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (max_side > 0 && size > 0, NULL);

  mime_type = globi_image_sniff (bytes);
  if (mime_type == NULL)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNSUPPORTED_MEDIA,
                           "Only PNG, JPEG and WebP images are accepted");
      return NULL;
    }
  data = g_bytes_get_data (bytes, &len);
  if (!read_image_size (mime_type, data, len, &width, &height) || width == 0 || height == 0)
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNSUPPORTED_MEDIA,
                           "The image header is damaged");
      return NULL;
    }
  if (width > max_side || height > max_side)
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_TOO_LARGE,
                   "Images may be at most %u pixels on a side", max_side);
      return NULL;
    }
  if (!image_is_complete (mime_type, data, len))
    {
      g_set_error_literal (error, GLOBI_ERROR, GLOBI_ERROR_UNSUPPORTED_MEDIA,
                           "The image is truncated");
      return NULL;
    }

  pixbuf = decode_image (bytes, mime_type, max_side, error);
  if (pixbuf == NULL)
    return NULL;

  side = MIN (gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf));
  square = gdk_pixbuf_new_subpixbuf (pixbuf, (gdk_pixbuf_get_width (pixbuf) - side) / 2,
                                     (gdk_pixbuf_get_height (pixbuf) - side) / 2, side, side);
  scaled = gdk_pixbuf_scale_simple (square, size, size, GDK_INTERP_BILINEAR);
  if (scaled == NULL ||
      !gdk_pixbuf_save_to_buffer (scaled, &png, &png_len, "png", &local_error, NULL))
    {
      g_set_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL, "Could not make a thumbnail: %s",
                   local_error ? local_error->message : "out of memory");
      return NULL;
    }
  return g_bytes_new_take (png, png_len);
}
