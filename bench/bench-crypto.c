/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-crypto"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-crypto.h"

/* Prints what end-to-end encryption costs per message: X3DH setup, a Double Ratchet
 * encrypt+decrypt in one direction (symmetric steps only) and alternating (a DH ratchet
 * step every message), a sender key encrypt+decrypt, safety numbers, and attachment
 * throughput. Figures, not a pass/fail test. */

static double seconds = 2.0;

static double
elapsed_s (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

static GBytes *
message_text (void)
{
  /* About the size of a short chat message's content JSON. */
  static const char text[] = "{\"type\":\"text\",\"id\":\"0190a000-0000-7000-8000-000000000001\","
                             "\"text\":\"See you at the station at seven?\"}";

  return g_bytes_new_static (text, sizeof text - 1);
}

static void
make_pair (GlobiRatchetSession **alice,
           GlobiRatchetSession **bob,
           GlobiIdentity *alice_id,
           GlobiIdentity *bob_id)
{
  g_autoptr (JsonArray) otks = globi_identity_generate_one_time_prekeys (bob_id, 1);
  g_autoptr (JsonObject) bundle = globi_identity_build_keys_upload (bob_id, NULL);
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) pt = NULL;
  g_autoptr (GBytes) text = message_text ();
  g_autoptr (GError) error = NULL;
  GlobiCiphertextType type;

  json_object_set_object_member (bundle, "one_time_prekey",
                                 json_object_ref (json_array_get_object_element (otks, 0)));
  *alice = globi_ratchet_session_new_initiator (alice_id, "alice", "bob", bundle, &error);
  g_assert_no_error (error);
  first = globi_ratchet_session_encrypt (*alice, text, &type);
  *bob = globi_ratchet_session_new_responder (bob_id, "bob", "alice", first, &pt, &error);
  g_assert_no_error (error);
}

static void
round_trip (GlobiRatchetSession *from, GlobiRatchetSession *to, GBytes *text)
{
  g_autoptr (GError) error = NULL;
  GlobiCiphertextType type;
  g_autoptr (GBytes) ct = globi_ratchet_session_encrypt (from, text, &type);
  g_autoptr (GBytes) pt = globi_ratchet_session_decrypt (to, type, ct, &error);

  g_assert_no_error (error);
}

static void
bench_x3dh (void)
{
  g_autoptr (GlobiIdentity) alice_id = globi_identity_new (0);
  g_autoptr (GlobiIdentity) bob_id = globi_identity_new (0);
  guint64 count = 0;
  gint64 start = g_get_monotonic_time ();
  double t;

  do
    {
      GlobiRatchetSession *alice = NULL, *bob = NULL;

      make_pair (&alice, &bob, alice_id, bob_id);
      g_object_unref (alice);
      g_object_unref (bob);
      count++;
    }
  while ((t = elapsed_s (start)) < seconds);
  g_print ("X3DH (both sides + first message):   %8.0f /s  %7.1f us each\n", count / t,
           1e6 * t / count);
}

static void
bench_ratchet (gboolean alternate)
{
  g_autoptr (GlobiIdentity) alice_id = globi_identity_new (0);
  g_autoptr (GlobiIdentity) bob_id = globi_identity_new (0);
  g_autoptr (GlobiRatchetSession) alice = NULL;
  g_autoptr (GlobiRatchetSession) bob = NULL;
  g_autoptr (GBytes) text = message_text ();
  guint64 count = 0;
  gint64 start;
  double t;

  make_pair (&alice, &bob, alice_id, bob_id);
  round_trip (bob, alice, text);
  start = g_get_monotonic_time ();
  do
    {
      for (guint i = 0; i < 100; i++)
        {
          gboolean from_alice = !alternate || (i % 2 == 0);

          round_trip (from_alice ? alice : bob, from_alice ? bob : alice, text);
        }
      count += 100;
    }
  while ((t = elapsed_s (start)) < seconds);
  g_print ("ratchet encrypt+decrypt, %s: %8.0f /s  %7.1f us each\n",
           alternate ? "alternating" : "one way    ", count / t, 1e6 * t / count);
}

static void
bench_ratchet_serialize (void)
{
  g_autoptr (GlobiIdentity) alice_id = globi_identity_new (0);
  g_autoptr (GlobiIdentity) bob_id = globi_identity_new (0);
  g_autoptr (GlobiRatchetSession) alice = NULL;
  g_autoptr (GlobiRatchetSession) bob = NULL;
  guint64 count = 0;
  gint64 start;
  double t;
  gsize size = 0;

  make_pair (&alice, &bob, alice_id, bob_id);
  start = g_get_monotonic_time ();
  do
    {
      g_autoptr (GBytes) state = globi_ratchet_session_serialize (bob);
      g_autoptr (GlobiRatchetSession) copy = globi_ratchet_session_new_from_bytes (state, NULL);

      size = g_bytes_get_size (state);
      count++;
    }
  while ((t = elapsed_s (start)) < seconds);
  g_print ("session save+load (%zu bytes):       %8.0f /s  %7.1f us each\n", size, count / t,
           1e6 * t / count);
}

static void
bench_sender_key (void)
{
  g_autoptr (GlobiSenderKey) own = globi_sender_key_new ("group", 1);
  g_autoptr (GBytes) dist = globi_sender_key_create_distribution (own);
  g_autoptr (GlobiSenderKey) member = globi_sender_key_new_from_distribution (dist, NULL);
  g_autoptr (GBytes) text = message_text ();
  guint64 count = 0;
  gint64 start = g_get_monotonic_time ();
  double t;

  do
    {
      for (guint i = 0; i < 100; i++)
        {
          g_autoptr (GBytes) ct = globi_sender_key_encrypt (own, text);
          g_autoptr (GBytes) pt = globi_sender_key_decrypt (member, ct, NULL);

          g_assert_nonnull (pt);
        }
      count += 100;
    }
  while ((t = elapsed_s (start)) < seconds);
  g_print ("sender key encrypt+decrypt:          %8.0f /s  %7.1f us each\n", count / t,
           1e6 * t / count);
}

static void
bench_safety_number (void)
{
  guint8 a[32], b[32];
  guint64 count = 0;
  gint64 start = g_get_monotonic_time ();
  double t;

  randombytes_buf (a, sizeof a);
  randombytes_buf (b, sizeof b);
  do
    {
      g_autofree char *number = globi_safety_number_format (a, "alice", b, "bob");

      count++;
    }
  while ((t = elapsed_s (start)) < seconds);
  g_print ("safety number (2 x 5200 SHA-512):    %8.0f /s  %7.1f ms each\n", count / t,
           1e3 * t / count);
}

static void
bench_attachment (void)
{
  const gsize size = 8 * 1024 * 1024;
  guint8 *data = g_malloc (size);
  g_autoptr (GBytes) plain = NULL;
  guint8 key[GLOBI_ATTACHMENT_KEY_SIZE], digest[GLOBI_ATTACHMENT_DIGEST_SIZE];
  guint64 count = 0;
  gint64 start;
  double t;

  randombytes_buf (data, size);
  plain = g_bytes_new_take (data, size);
  start = g_get_monotonic_time ();
  do
    {
      g_autoptr (GBytes) ct = globi_attachment_encrypt (plain, key, digest);
      g_autoptr (GBytes) back = globi_attachment_decrypt (ct, key, digest, NULL);

      g_assert_nonnull (back);
      count++;
    }
  while ((t = elapsed_s (start)) < seconds);
  g_print ("attachment encrypt+decrypt (8 MiB):  %8.1f MiB/s\n", 8.0 * count / t);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "Seconds per measurement", "S" },
    { NULL },
  };

  if (sodium_init () < 0)
    return 1;
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  bench_x3dh ();
  bench_ratchet (FALSE);
  bench_ratchet (TRUE);
  bench_ratchet_serialize ();
  bench_sender_key ();
  bench_safety_number ();
  bench_attachment ();
  return 0;
}
