/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "globi-code.h"
#include "globi-qr-code.h"
#include "globi-qr-scanner.h"
#include "globi-test-util.h"

#define USER_ID "01932c4e-7a1b-7c3d-8e4f-0123456789ab"
#define CARD    "AbCdEfGhIjKlMnOpQrStUv"
#define TOKEN43 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"

/* The dispatcher's table: every kind, the spellings users paste, and broken input. */
static void
test_classify_table (void)
{
  static const struct
  {
    const char *text;
    GlobiCodeKind kind;
  } cases[] = {
    { "globichat://add?u=" USER_ID "&c=" CARD, GLOBI_CODE_ADD },
    { "globichat:add?u=" USER_ID "&c=" CARD, GLOBI_CODE_ADD },
    { "GLOBICHAT://ADD?u=" USER_ID "&c=" CARD, GLOBI_CODE_ADD },
    { "  globichat://add?c=" CARD "&u=" USER_ID "\n", GLOBI_CODE_ADD },
    { "globichat://add/?u=" USER_ID "&c=" CARD, GLOBI_CODE_ADD },
    { "globichat://join?group=" USER_ID "&token=" TOKEN43, GLOBI_CODE_JOIN },
    { "globichat://link?t=ticket&k=key", GLOBI_CODE_LINK },
    { "globichat://chats", GLOBI_CODE_SECTION },
    { "globichat://me", GLOBI_CODE_SECTION },
    { "GlobiChat://Wallet", GLOBI_CODE_SECTION },
    { "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN"
      "5914BEST "
      "TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***"
      "0708A60086670902ME91320016A0112233449988770708123456786304A13A",
      GLOBI_CODE_PAYMENT },
    { "https://example.org/", GLOBI_CODE_UNKNOWN },
    { "hello\nworld", GLOBI_CODE_UNKNOWN },
    { "globichat://moments-of-the-future?x=1", GLOBI_CODE_UNKNOWN },
    { "00020", GLOBI_CODE_UNKNOWN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlobiCode) code = NULL;
      GlobiCodeKind kind = globi_code_classify (cases[i].text, &code, &error);

      g_test_message ("case %u: %s", i, cases[i].text);
      g_assert_no_error (error);
      g_assert_cmpint (kind, ==, cases[i].kind);
      g_assert_nonnull (code);
      g_assert_cmpint (code->kind, ==, kind);
      g_assert_false (g_ascii_isspace (code->text[0]));
      if (kind == GLOBI_CODE_ADD)
        {
          g_assert_cmpstr (code->user_id, ==, USER_ID);
          g_assert_cmpstr (code->card, ==, CARD);
        }
      if (kind == GLOBI_CODE_JOIN)
        {
          g_assert_cmpstr (code->group_id, ==, USER_ID);
          g_assert_cmpstr (code->token, ==, TOKEN43);
        }
      if (kind == GLOBI_CODE_LINK)
        g_assert_cmpstr (g_hash_table_lookup (code->params, "t"), ==, "ticket");
    }
  g_assert_cmpint (globi_code_classify ("globichat://chats", NULL, NULL), ==, GLOBI_CODE_SECTION);
}

static void
test_classify_malformed (void)
{
  g_autofree char *huge = g_strnfill (GLOBI_CODE_MAX_BYTES + 1, 'a');
  g_autofree char *limit = g_strnfill (GLOBI_CODE_MAX_BYTES, 'a');
  static const char *const invalid[] = {
    "",
    "   \n",
    "globichat://add",
    "globichat://add?u=" USER_ID,
    "globichat://add?c=" CARD,
    "globichat://add?u=not-a-uuid&c=" CARD,
    "globichat://add?u=" USER_ID "&c=short",
    "globichat://add?u=" USER_ID "&c=" CARD "!!",
    "globichat://add?u=" USER_ID "&u=" USER_ID "&c=" CARD,
    "globichat://add?u=" USER_ID "&c=" CARD "%zz",
    "globichat://add?u=" USER_ID "&c=%00" CARD,
    "globichat://add/extra?u=" USER_ID "&c=" CARD,
    "globichat://alice@add?u=" USER_ID "&c=" CARD,
    "globichat://add:80?u=" USER_ID "&c=" CARD,
    "globichat://join?group=" USER_ID,
    "globichat://join?group=x&token=" TOKEN43,
    "globichat://link",
    "globichat://link?",
    "globichat://[zz",
    "text with a \x01 control",
    "\xff\xfe not utf-8",
  };
  const char with_nul[] = "globichat://chats\0trailing";

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr (GError) error = NULL;
      GlobiCode *code = (GlobiCode *) 0x1;

      g_test_message ("invalid %u: %s", i, invalid[i]);
      g_assert_cmpint (globi_code_classify (invalid[i], &code, &error), ==, GLOBI_CODE_INVALID);
      g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_INVALID);
      g_assert_null (code);
      g_assert_cmpuint (strlen (error->message), >, 0);
    }
  {
    g_autoptr (GError) error = NULL;

    g_assert_cmpint (globi_code_classify (huge, NULL, &error), ==, GLOBI_CODE_INVALID);
    g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_TOO_LONG);
    g_clear_error (&error);
    g_assert_cmpint (globi_code_classify (limit, NULL, &error), ==, GLOBI_CODE_UNKNOWN);
    g_assert_no_error (error);
    g_assert_cmpint (globi_code_classify (NULL, NULL, &error), ==, GLOBI_CODE_INVALID);
    g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_cmpint (globi_code_classify_bytes (with_nul, sizeof with_nul - 1, NULL, &error), ==,
                     GLOBI_CODE_INVALID);
    g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_INVALID);
  }
  g_assert_cmpstr (globi_code_kind_to_string (GLOBI_CODE_ADD), ==, "add");
  g_assert_cmpstr (globi_code_kind_to_string (GLOBI_CODE_PAYMENT), ==, "payment");
  g_assert_cmpstr (globi_code_kind_to_string (GLOBI_CODE_UNKNOWN), ==, "unknown");
}

static void
test_copy (void)
{
  g_autoptr (GlobiCode) code = NULL;
  g_autoptr (GlobiCode) copy = NULL;

  g_assert_cmpint (
      globi_code_classify ("globichat://join?group=" USER_ID "&token=" TOKEN43, &code, NULL), ==,
      GLOBI_CODE_JOIN);
  copy = g_boxed_copy (GLOBI_TYPE_CODE, code);
  g_assert_cmpstr (copy->token, ==, TOKEN43);
  g_assert_cmpstr (g_hash_table_lookup (copy->params, "group"), ==, USER_ID);
  g_assert_true (copy->params != code->params);
}

/* Encode → render → decode through zbar, at every error-correction level. */
static void
test_round_trip (void)
{
  const char *texts[] = {
    "globichat://add?u=" USER_ID "&c=" CARD,
    "Grüße aus 上海 🙂",
    "x",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    for (GlobiQrEcc ecc = GLOBI_QR_ECC_L; ecc <= GLOBI_QR_ECC_H; ecc++)
      {
        g_autoptr (GError) error = NULL;
        g_autoptr (GlobiQrCode) code = globi_qr_code_new (texts[i], ecc, &error);
        g_autoptr (GdkPixbuf) pixbuf = NULL;
        g_autofree char *text = NULL;
        gsize len = 0;

        g_assert_no_error (error);
        g_assert_cmpuint (globi_qr_code_get_size (code), >=, 21 + 2 * GLOBI_QR_QUIET_ZONE);
        /* The quiet zone is light, the finder pattern's corner dark. */
        g_assert_false (globi_qr_code_get_module (code, 0, 0));
        g_assert_true (globi_qr_code_get_module (code, GLOBI_QR_QUIET_ZONE, GLOBI_QR_QUIET_ZONE));
        g_assert_false (globi_qr_code_get_module (code, 10000, 0));
        pixbuf = globi_qr_code_render (code, 4, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 4 * globi_qr_code_get_size (code));
        text = globi_qr_decode_pixbuf (pixbuf, &len, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (text, ==, texts[i]);
        g_assert_cmpuint (len, ==, strlen (texts[i]));
      }
}

static GdkPixbuf *
make_avatar (void)
{
  GdkPixbuf *avatar = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 64, 64);
  guint8 *p = gdk_pixbuf_get_pixels (avatar);
  int stride = gdk_pixbuf_get_rowstride (avatar);

  /* A checkerboard: the worst case for the modules under it. */
  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 64; x++)
      {
        guint8 v = ((x / 8 + y / 8) % 2) ? 0x20 : 0xe0;
        guint8 *px = p + y * stride + x * 4;

        px[0] = v;
        px[1] = v / 2;
        px[2] = 255 - v;
        px[3] = 255;
      }
  return avatar;
}

static void
test_centre_image (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) avatar = make_avatar ();
  g_autoptr (GlobiQrCode) low = globi_qr_code_new ("globichat://me", GLOBI_QR_ECC_L, NULL);
  g_autoptr (GlobiQrCode) code =
      globi_qr_code_new ("globichat://add?u=" USER_ID "&c=" CARD, GLOBI_QR_ECC_H, NULL);
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autofree char *text = NULL;

  /* Below H a centre image would eat too much of the code. */
  g_assert_null (globi_qr_code_render (low, 4, avatar, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (globi_qr_code_get_centre_modules (low), ==, 0);

  g_assert_cmpuint (globi_qr_code_get_centre_modules (code), >, 5);
  pixbuf = globi_qr_code_render (code, 6, avatar, &error);
  g_assert_no_error (error);
  text = globi_qr_decode_pixbuf (pixbuf, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "globichat://add?u=" USER_ID "&c=" CARD);
}

static void
test_encode_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *too_long = g_strnfill (3000, 'z');
  g_autoptr (GlobiQrCode) code = NULL;

  g_assert_null (globi_qr_code_new (too_long, GLOBI_QR_ECC_L, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_TOO_LONG);
  g_clear_error (&error);
  g_assert_null (globi_qr_code_new ("", GLOBI_QR_ECC_L, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_INVALID);
  g_clear_error (&error);

  code = globi_qr_code_new ("globichat://me", GLOBI_QR_ECC_M, &error);
  g_assert_no_error (error);
  g_assert_null (globi_qr_code_render (code, 0, NULL, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_TOO_LONG);
  g_clear_error (&error);
  g_assert_null (globi_qr_code_render (code, 1000, NULL, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_TOO_LONG);
  g_assert_cmpuint (globi_qr_code_scale_for (code, 512), ==, 512 / globi_qr_code_get_size (code));
  g_assert_cmpuint (globi_qr_code_scale_for (code, 1), ==, 1);
}

/* PNG and JPEG files, as a camera or a screenshot tool would write them. */
static void
test_decode_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("globi-qr-XXXXXX", &error);
  g_autofree char *png = g_build_filename (dir, "card.png", NULL);
  g_autofree char *jpeg = g_build_filename (dir, "card.jpg", NULL);
  g_autofree char *blank = g_build_filename (dir, "blank.png", NULL);
  g_autofree char *junk = g_build_filename (dir, "junk.png", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.png", NULL);
  g_autoptr (GlobiQrCode) code =
      globi_qr_code_new ("globichat://join?group=" USER_ID "&token=" TOKEN43, GLOBI_QR_ECC_Q, NULL);
  g_autoptr (GdkPixbuf) pixbuf = globi_qr_code_render (code, 5, NULL, NULL);
  g_autoptr (GdkPixbuf) white = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 200, 120);
  char *text = NULL;

  g_assert_no_error (error);
  g_assert_true (globi_qr_code_save_png (code, png, 5, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gdk_pixbuf_save (pixbuf, jpeg, "jpeg", &error, "quality", "60", NULL));
  g_assert_no_error (error);
  gdk_pixbuf_fill (white, 0xffffffff);
  g_assert_true (gdk_pixbuf_save (white, blank, "png", &error, NULL));
  g_assert_true (g_file_set_contents (junk, "\x89PNG\r\n\x1a\n not really", -1, &error));

  text = globi_qr_decode_file (png, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, globi_qr_code_get_text (code));
  g_free (text);
  text = globi_qr_decode_file (jpeg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, globi_qr_code_get_text (code));
  g_free (text);

  g_assert_null (globi_qr_decode_file (blank, NULL, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (globi_qr_decode_file (junk, NULL, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE);
  g_clear_error (&error);
  g_assert_null (globi_qr_decode_file (missing, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  globi_test_remove_tree (dir);
}

static void
test_decode_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) wide =
      gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, GLOBI_QR_MAX_IMAGE_SIDE + 1, 2);
  g_autofree char *png = NULL;
  gsize png_len = 0;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  guint8 gray[16] = { 0 };

  gdk_pixbuf_fill (wide, 0xffffffff);
  g_assert_true (gdk_pixbuf_save_to_buffer (wide, &png, &png_len, "png", &error, NULL));
  bytes = g_bytes_new_take (g_steal_pointer (&png), png_len);
  g_assert_null (globi_qr_decode_bytes (bytes, NULL, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE);
  g_clear_error (&error);
  g_assert_null (globi_qr_decode_bytes (empty, NULL, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE);
  g_clear_error (&error);
  g_assert_null (globi_qr_decode_gray (gray, 0, 4, 4, NULL, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_IMAGE);
  g_clear_error (&error);
  g_assert_null (globi_qr_decode_gray (gray, 4, 4, 4, NULL, &error));
  g_assert_error (error, GLOBI_QR_ERROR, GLOBI_QR_ERROR_NOT_FOUND);
}

static void
on_decoded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_decode_async (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiQrCode) code = globi_qr_code_new ("globichat://wallet", GLOBI_QR_ECC_M, NULL);
  g_autoptr (GdkPixbuf) pixbuf = globi_qr_code_render (code, 3, NULL, NULL);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *text = NULL;
  char *buffer = NULL;
  gsize len = 0;

  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL));
  bytes = g_bytes_new_take (buffer, len);
  globi_qr_decode_bytes_async (bytes, NULL, on_decoded_cb, &result);
  while (!result)
    g_main_context_iteration (NULL, TRUE);
  text = globi_qr_decode_bytes_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "globichat://wallet");
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/globi/qr/code/classify", test_classify_table);
  g_test_add_func ("/globi/qr/code/classify-malformed", test_classify_malformed);
  g_test_add_func ("/globi/qr/code/copy", test_copy);
  g_test_add_func ("/globi/qr/encode/round-trip", test_round_trip);
  g_test_add_func ("/globi/qr/encode/centre-image", test_centre_image);
  g_test_add_func ("/globi/qr/encode/limits", test_encode_limits);
  g_test_add_func ("/globi/qr/decode/files", test_decode_files);
  g_test_add_func ("/globi/qr/decode/limits", test_decode_limits);
  g_test_add_func ("/globi/qr/decode/async", test_decode_async);
  return g_test_run ();
}
