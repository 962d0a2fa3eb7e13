/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "crypto-fixture.h"

static void
test_safety_number_symmetric (void)
{
  g_autoptr (GlobiIdentity) alice = globi_identity_new (0);
  g_autoptr (GlobiIdentity) bob = globi_identity_new (0);
  g_autoptr (GlobiIdentity) bob2 = globi_identity_new (0);
  const guint8 *a = globi_identity_get_public_key (alice);
  const guint8 *b = globi_identity_get_public_key (bob);
  g_autofree char *at_alice = globi_safety_number_format (a, "alice", b, "bob");
  g_autofree char *at_bob = globi_safety_number_format (b, "bob", a, "alice");
  g_autofree char *changed =
      globi_safety_number_format (a, "alice", globi_identity_get_public_key (bob2), "bob");
  g_auto (GStrv) groups = g_strsplit (at_alice, " ", -1);

  g_assert_cmpstr (at_alice, ==, at_bob);
  g_assert_cmpuint (g_strv_length (groups), ==, 12);
  for (guint i = 0; i < 12; i++)
    {
      g_assert_cmpuint (strlen (groups[i]), ==, 5);
      for (guint j = 0; j < 5; j++)
        g_assert_true (g_ascii_isdigit (groups[i][j]));
    }
  /* A new key for Bob changes the number; so does another stable id. */
  g_assert_cmpstr (changed, !=, at_alice);
  {
    g_autofree char *other_id = globi_safety_number_format (a, "alice", b, "bobby");

    g_assert_cmpstr (other_id, !=, at_alice);
  }
}

static void
test_safety_number_scannable (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiIdentity) alice = globi_identity_new (0);
  g_autoptr (GlobiIdentity) bob = globi_identity_new (0);
  g_autoptr (GlobiIdentity) mallory = globi_identity_new (0);
  const guint8 *a = globi_identity_get_public_key (alice);
  const guint8 *b = globi_identity_get_public_key (bob);
  const guint8 *m = globi_identity_get_public_key (mallory);
  g_autoptr (GBytes) from_bob = globi_safety_number_scannable (b, "bob", a, "alice");
  g_autoptr (GBytes) from_mallory = globi_safety_number_scannable (m, "bob", a, "alice");
  g_autoptr (GBytes) garbage = g_bytes_new_static ("nope", 4);

  g_assert_cmpuint (g_bytes_get_size (from_bob), ==, 65);
  g_assert_true (globi_safety_number_verify_scanned (a, "alice", b, "bob", from_bob, &error));
  g_assert_no_error (error);
  /* Alice holds Mallory's key as "Bob's" (a substituted key): the codes differ. */
  g_assert_false (globi_safety_number_verify_scanned (a, "alice", m, "bob", from_bob, &error));
  g_assert_no_error (error);
  g_assert_false (globi_safety_number_verify_scanned (a, "alice", b, "bob", from_mallory, &error));
  g_assert_no_error (error);
  g_assert_false (globi_safety_number_verify_scanned (a, "alice", b, "bob", garbage, &error));
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE);
}

static GBytes *
keys_of (GlobiIdentity *a, GlobiIdentity *b)
{
  GByteArray *keys = g_byte_array_new ();

  g_byte_array_append (keys, globi_identity_get_public_key (a), 32);
  if (b != NULL)
    g_byte_array_append (keys, globi_identity_get_public_key (b), 32);
  return g_byte_array_free_to_bytes (keys);
}

/* Per contact: over all devices of each user, in any order. */
static void
test_safety_number_devices (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiIdentity) alice_laptop = globi_identity_new (0);
  g_autoptr (GlobiIdentity) alice_desktop = globi_identity_new (0);
  g_autoptr (GlobiIdentity) bob_laptop = globi_identity_new (0);
  g_autoptr (GlobiIdentity) bob_new = globi_identity_new (0);
  g_autoptr (GBytes) alice = keys_of (alice_laptop, alice_desktop);
  g_autoptr (GBytes) alice_reversed = keys_of (alice_desktop, alice_laptop);
  g_autoptr (GBytes) bob = keys_of (bob_laptop, NULL);
  g_autoptr (GBytes) bob_two = keys_of (bob_laptop, bob_new);
  g_autofree char *at_alice = globi_safety_number_format_devices (alice, "alice", bob, "bob");
  g_autofree char *at_bob =
      globi_safety_number_format_devices (bob, "bob", alice_reversed, "alice");
  g_autofree char *single =
      globi_safety_number_format (globi_identity_get_public_key (bob_laptop), "bob",
                                  globi_identity_get_public_key (alice_laptop), "alice");
  g_autofree char *with_new = globi_safety_number_format_devices (alice, "alice", bob_two, "bob");
  g_autoptr (GBytes) from_bob = globi_safety_number_scannable_devices (bob, "bob", alice, "alice");

  g_assert_cmpstr (at_alice, ==, at_bob);
  g_assert_cmpuint (strlen (at_alice), ==, 60 + 11);
  /* Alice's second device is part of her half. */
  g_assert_cmpstr (single, !=, at_alice);
  /* Bob adding a device changes it. */
  g_assert_cmpstr (with_new, !=, at_alice);
  g_assert_true (globi_safety_number_verify_scanned_devices (alice_reversed, "alice", bob, "bob",
                                                             from_bob, &error));
  g_assert_no_error (error);
  g_assert_false (globi_safety_number_verify_scanned_devices (alice, "alice", bob_two, "bob",
                                                              from_bob, &error));
  g_assert_no_error (error);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/globi/crypto/safety-number/symmetric", test_safety_number_symmetric);
  g_test_add_func ("/globi/crypto/safety-number/scannable", test_safety_number_scannable);
  g_test_add_func ("/globi/crypto/safety-number/devices", test_safety_number_devices);
  return g_test_run ();
}
