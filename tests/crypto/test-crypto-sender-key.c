/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "crypto-fixture.h"

#define GROUP "0190a0b0-0000-7000-8000-000000000001"

static GlobiSenderKey *
receive_distribution (GlobiSenderKey *own)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) dist = globi_sender_key_create_distribution (own);
  GlobiSenderKey *copy = globi_sender_key_new_from_distribution (dist, &error);

  g_assert_no_error (error);
  g_assert_false (globi_sender_key_is_own (copy));
  g_assert_cmpstr (globi_sender_key_get_group_id (copy), ==, GROUP);
  g_assert_cmpuint (globi_sender_key_get_key_id (copy), ==, globi_sender_key_get_key_id (own));
  return copy;
}

static GBytes *
encrypt (GlobiSenderKey *own, const char *text)
{
  g_autoptr (GBytes) pt = crypto_fixture_text (text);

  return globi_sender_key_encrypt (own, pt);
}

static void
assert_decrypts (GlobiSenderKey *key, GBytes *ct, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) pt = globi_sender_key_decrypt (key, ct, &error);

  g_assert_no_error (error);
  crypto_fixture_assert_text (pt, text);
}

static void
assert_rejected (GlobiSenderKey *key, GBytes *ct, GlobiCryptoErrorCode code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) before = globi_sender_key_serialize (key);
  g_autoptr (GBytes) after = NULL;
  g_autoptr (GBytes) pt = globi_sender_key_decrypt (key, ct, &error);

  g_assert_null (pt);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, code);
  after = globi_sender_key_serialize (key);
  g_assert_true (g_bytes_equal (before, after));
}

/* One sender, four members, each getting the messages in its own order. */
static void
test_sender_key_members_out_of_order (void)
{
  g_autoptr (GlobiSenderKey) own = globi_sender_key_new (GROUP, 1);
  g_autoptr (GPtrArray) members = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  for (guint m = 0; m < 4; m++)
    g_ptr_array_add (members, receive_distribution (own));
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *text = g_strdup_printf ("group message %u", i);

      g_ptr_array_add (sent, encrypt (own, text));
    }
  g_assert_cmpuint (globi_sender_key_get_iteration (own), ==, 20);

  for (guint m = 0; m < members->len; m++)
    {
      g_autofree guint *order = g_new (guint, sent->len);

      for (guint i = 0; i < sent->len; i++)
        order[i] = i;
      /* Member 0 in order, the others shuffled. */
      for (guint i = sent->len - 1; m > 0 && i > 0; i--)
        {
          guint j = g_rand_int_range (rand, 0, i + 1), t = order[i];

          order[i] = order[j];
          order[j] = t;
        }
      for (guint i = 0; i < sent->len; i++)
        {
          g_autofree char *text = g_strdup_printf ("group message %u", order[i]);

          assert_decrypts (members->pdata[m], sent->pdata[order[i]], text);
        }
      for (guint i = 0; i < sent->len; i++)
        assert_rejected (members->pdata[m], sent->pdata[i], GLOBI_CRYPTO_ERROR_DUPLICATE);
    }
}

static void
test_sender_key_tamper_and_signature (void)
{
  g_autoptr (GlobiSenderKey) own = globi_sender_key_new (GROUP, 1);
  g_autoptr (GlobiSenderKey) member = receive_distribution (own);
  g_autoptr (GlobiSenderKey) impostor = globi_sender_key_new (GROUP, 1);
  g_autoptr (GBytes) good = encrypt (own, "real");
  g_autoptr (GBytes) forged = encrypt (impostor, "forged");
  g_autoptr (GBytes) tampered = NULL;
  gsize len = g_bytes_get_size (good);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (good, NULL), len);

  /* Another key with the same id: its signature is not the sender's. */
  assert_rejected (member, forged, GLOBI_CRYPTO_ERROR_INVALID_SIGNATURE);
  copy[12] ^= 1;
  tampered = g_bytes_new (copy, len);
  assert_rejected (member, tampered, GLOBI_CRYPTO_ERROR_INVALID_SIGNATURE);
  assert_decrypts (member, good, "real");
}

static void
test_sender_key_skip_bound (void)
{
  g_autoptr (GlobiSenderKey) own = globi_sender_key_new (GROUP, 3);
  g_autoptr (GlobiSenderKey) member = receive_distribution (own);
  g_autoptr (GBytes) first = encrypt (own, "first");
  g_autoptr (GBytes) last = NULL;

  for (guint i = 0; i < GLOBI_SENDER_KEY_MAX_SKIP; i++)
    {
      g_autoptr (GBytes) lost = encrypt (own, "lost");
    }
  last = encrypt (own, "last");
  assert_rejected (member, last, GLOBI_CRYPTO_ERROR_TOO_MANY_SKIPPED);
  assert_decrypts (member, first, "first");
  assert_decrypts (member, last, "last");
}

/* After a member leaves, the rest get key 2; the leaver's key 1 opens none of it. */
static void
test_sender_key_rotation (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiSenderKey) own = globi_sender_key_new (GROUP, 1);
  g_autoptr (GlobiSenderKey) stays = receive_distribution (own);
  g_autoptr (GlobiSenderKey) leaves = receive_distribution (own);
  g_autoptr (GlobiSenderKey) rotated = NULL;
  g_autoptr (GlobiSenderKey) stays2 = NULL;
  g_autoptr (GBytes) before = encrypt (own, "before");
  g_autoptr (GBytes) after = NULL;
  g_autoptr (GBytes) pt = NULL;
  guint32 key_id = 0;

  assert_decrypts (stays, before, "before");
  assert_decrypts (leaves, before, "before");

  rotated = globi_sender_key_new (GROUP, globi_sender_key_get_key_id (own) + 1);
  stays2 = receive_distribution (rotated);
  after = encrypt (rotated, "after");
  g_assert_true (globi_sender_key_message_peek_key_id (after, &key_id, &error));
  g_assert_cmpuint (key_id, ==, 2);
  assert_decrypts (stays2, after, "after");
  assert_rejected (leaves, after, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY);

  /* Even a leaver that forges the key id cannot open it: the chain is new. */
  {
    gsize len = g_bytes_get_size (after);
    g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (after, NULL), len);
    g_autoptr (GBytes) relabelled = NULL;

    copy[4] = 1;
    relabelled = g_bytes_new (copy, len);
    assert_rejected (leaves, relabelled, GLOBI_CRYPTO_ERROR_INVALID_SIGNATURE);
  }
  pt = globi_sender_key_decrypt (stays, after, &error);
  g_assert_null (pt);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY);
}

/* A member that joins later gets the distribution at the current iteration. */
static void
test_sender_key_late_joiner_and_serialize (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiSenderKey) own = globi_sender_key_new (GROUP, 1);
  g_autoptr (GBytes) early = encrypt (own, "early");
  g_autoptr (GlobiSenderKey) late = receive_distribution (own);
  g_autoptr (GBytes) next = encrypt (own, "next");
  g_autoptr (GBytes) state = NULL;
  g_autoptr (GBytes) own_state = NULL;
  g_autoptr (GlobiSenderKey) reloaded = NULL;
  g_autoptr (GlobiSenderKey) own_reloaded = NULL;
  g_autoptr (GBytes) third = NULL;

  assert_rejected (late, early, GLOBI_CRYPTO_ERROR_DUPLICATE);
  state = globi_sender_key_serialize (late);
  reloaded = globi_sender_key_new_from_bytes (state, &error);
  g_assert_no_error (error);
  assert_decrypts (reloaded, next, "next");

  own_state = globi_sender_key_serialize (own);
  own_reloaded = globi_sender_key_new_from_bytes (own_state, &error);
  g_assert_no_error (error);
  g_assert_true (globi_sender_key_is_own (own_reloaded));
  third = encrypt (own_reloaded, "third");
  assert_decrypts (reloaded, third, "third");

  {
    g_autoptr (GBytes) cut = g_bytes_new_from_bytes (own_state, 0, 40);
    g_autoptr (GlobiSenderKey) none = globi_sender_key_new_from_bytes (cut, &error);

    g_assert_null (none);
    g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_CORRUPT_STATE);
  }
}

/* The distribution travels over a pairwise session inside a "sender_key" envelope. */
static void
test_sender_key_envelope (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiIdentity) alice_id = globi_identity_new (0);
  g_autoptr (GlobiIdentity) bob_id = globi_identity_new (0);
  g_autoptr (JsonObject) bundle = crypto_fixture_bundle (bob_id, TRUE);
  g_autoptr (GlobiRatchetSession) alice = NULL;
  g_autoptr (GlobiRatchetSession) bob = NULL;
  g_autoptr (GlobiSenderKey) own = globi_sender_key_new (GROUP, 4);
  g_autoptr (GBytes) dist = globi_sender_key_create_distribution (own);
  g_autoptr (GBytes) inner = NULL;
  g_autoptr (GBytes) envelope = NULL;
  g_autoptr (GBytes) got_inner = NULL;
  g_autoptr (GBytes) got_dist = NULL;
  g_autoptr (GlobiSenderKey) member = NULL;
  g_autoptr (GBytes) ct = NULL;
  GlobiCiphertextType type, got_type;

  alice = globi_ratchet_session_new_initiator (alice_id, "alice", "bob", bundle, &error);
  g_assert_no_error (error);
  inner = globi_ratchet_session_encrypt (alice, dist, &type);
  envelope = globi_sender_key_envelope_join (type, inner);
  g_assert_true (globi_sender_key_envelope_split (envelope, &got_type, &got_inner, &error));
  g_assert_no_error (error);
  g_assert_cmpint (got_type, ==, GLOBI_CIPHERTEXT_PREKEY);
  bob = globi_ratchet_session_new_responder (bob_id, "bob", "alice", got_inner, &got_dist, &error);
  g_assert_no_error (error);
  member = globi_sender_key_new_from_distribution (got_dist, &error);
  g_assert_no_error (error);
  ct = encrypt (own, "to the group");
  assert_decrypts (member, ct, "to the group");

  g_clear_pointer (&got_inner, g_bytes_unref);
  {
    g_autoptr (GBytes) bad = g_bytes_new_static ("\x07xyz", 4);

    g_assert_false (globi_sender_key_envelope_split (bad, &got_type, &got_inner, &error));
    g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE);
    g_assert_null (got_inner);
  }
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/globi/crypto/sender-key/members-out-of-order",
                   test_sender_key_members_out_of_order);
  g_test_add_func ("/globi/crypto/sender-key/tamper-and-signature",
                   test_sender_key_tamper_and_signature);
  g_test_add_func ("/globi/crypto/sender-key/skip-bound", test_sender_key_skip_bound);
  g_test_add_func ("/globi/crypto/sender-key/rotation", test_sender_key_rotation);
  g_test_add_func ("/globi/crypto/sender-key/late-joiner-and-serialize",
                   test_sender_key_late_joiner_and_serialize);
  g_test_add_func ("/globi/crypto/sender-key/envelope", test_sender_key_envelope);
  return g_test_run ();
}
