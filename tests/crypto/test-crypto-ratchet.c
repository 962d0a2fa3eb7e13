/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "crypto-fixture.h"

#define NOW ((gint64) 1800000000000)

typedef struct
{
  GlobiIdentity *alice_id;
  GlobiIdentity *bob_id;
  GlobiRatchetSession *alice;
  GlobiRatchetSession *bob;
} Pair;

typedef struct
{
  GBytes *bytes;
  GlobiCiphertextType type;
  char *text;
} Sent;

static void
sent_free (Sent *sent)
{
  g_bytes_unref (sent->bytes);
  g_free (sent->text);
  g_free (sent);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sent, sent_free)

static Sent *
send (GlobiRatchetSession *from, const char *text)
{
  Sent *sent = g_new0 (Sent, 1);
  g_autoptr (GBytes) pt = crypto_fixture_text (text);

  sent->text = g_strdup (text);
  sent->bytes = globi_ratchet_session_encrypt (from, pt, &sent->type);
  g_assert_nonnull (sent->bytes);
  return sent;
}

static void
receive (GlobiRatchetSession *to, Sent *sent)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) pt = globi_ratchet_session_decrypt (to, sent->type, sent->bytes, &error);

  g_assert_no_error (error);
  crypto_fixture_assert_text (pt, sent->text);
}

static GBytes *
serialize (GlobiRatchetSession *session)
{
  return globi_ratchet_session_serialize (session);
}

/* Alice starts from Bob's bundle; Bob answers her first (prekey) message. */
static void
pair_setup (Pair *pair, gboolean with_one_time)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) bundle = NULL;
  g_autoptr (Sent) first = NULL;
  g_autoptr (GBytes) pt = NULL;
  guint otks_before;

  pair->alice_id = globi_identity_new (NOW);
  pair->bob_id = globi_identity_new (NOW);
  bundle = crypto_fixture_bundle (pair->bob_id, with_one_time);
  otks_before = globi_identity_get_n_one_time_prekeys (pair->bob_id);

  pair->alice =
      globi_ratchet_session_new_initiator (pair->alice_id, "alice", "bob", bundle, &error);
  g_assert_no_error (error);
  g_assert_true (globi_ratchet_session_get_prekey_pending (pair->alice));
  first = send (pair->alice, "hello bob");
  g_assert_cmpint (first->type, ==, GLOBI_CIPHERTEXT_PREKEY);

  pair->bob =
      globi_ratchet_session_new_responder (pair->bob_id, "bob", "alice", first->bytes, &pt, &error);
  g_assert_no_error (error);
  crypto_fixture_assert_text (pt, "hello bob");
  g_assert_cmpmem (globi_ratchet_session_get_remote_identity_key (pair->bob), 32,
                   globi_identity_get_public_key (pair->alice_id), 32);
  g_assert_cmpmem (globi_ratchet_session_get_remote_identity_key (pair->alice), 32,
                   globi_identity_get_public_key (pair->bob_id), 32);
  /* The one-time prekey is gone, and only that one. */
  g_assert_cmpuint (globi_identity_get_n_one_time_prekeys (pair->bob_id), ==,
                    otks_before - (with_one_time ? 1 : 0));
}

static void
pair_clear (Pair *pair)
{
  g_clear_object (&pair->alice);
  g_clear_object (&pair->bob);
  g_clear_object (&pair->alice_id);
  g_clear_object (&pair->bob_id);
}

static void
test_x3dh (gconstpointer data)
{
  gboolean with_one_time = GPOINTER_TO_INT (data);
  Pair pair = { 0 };
  g_autoptr (Sent) reply = NULL;
  g_autoptr (Sent) next = NULL;

  pair_setup (&pair, with_one_time);
  reply = send (pair.bob, "hi alice");
  g_assert_cmpint (reply->type, ==, GLOBI_CIPHERTEXT_MESSAGE);
  receive (pair.alice, reply);
  g_assert_false (globi_ratchet_session_get_prekey_pending (pair.alice));
  next = send (pair.alice, "now a plain message");
  g_assert_cmpint (next->type, ==, GLOBI_CIPHERTEXT_MESSAGE);
  receive (pair.bob, next);
  pair_clear (&pair);
}

/* Alice sends three before Bob answers; Bob gets the second first. */
static void
test_x3dh_repeated_prekey_messages (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiIdentity) alice_id = globi_identity_new (NOW);
  g_autoptr (GlobiIdentity) bob_id = globi_identity_new (NOW);
  g_autoptr (JsonObject) bundle = crypto_fixture_bundle (bob_id, TRUE);
  g_autoptr (GlobiRatchetSession) alice = NULL;
  g_autoptr (GlobiRatchetSession) bob = NULL;
  g_autoptr (GlobiRatchetSession) again = NULL;
  g_autoptr (GBytes) pt = NULL;
  g_autoptr (Sent) m1 = NULL;
  g_autoptr (Sent) m2 = NULL;
  g_autoptr (Sent) m3 = NULL;

  alice = globi_ratchet_session_new_initiator (alice_id, "alice", "bob", bundle, &error);
  g_assert_no_error (error);
  m1 = send (alice, "one");
  m2 = send (alice, "two");
  m3 = send (alice, "three");
  g_assert_cmpint (m3->type, ==, GLOBI_CIPHERTEXT_PREKEY);

  bob = globi_ratchet_session_new_responder (bob_id, "bob", "alice", m2->bytes, &pt, &error);
  g_assert_no_error (error);
  crypto_fixture_assert_text (pt, "two");
  receive (bob, m1);
  receive (bob, m3);

  /* A second responder session from the same run fails: its one-time prekey is spent. */
  again = globi_ratchet_session_new_responder (bob_id, "bob", "alice", m1->bytes, &pt, &error);
  g_assert_null (again);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY);
}

/* A prekey message of another X3DH run is not this session's. */
static void
test_x3dh_other_run (void)
{
  Pair pair = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) bundle = NULL;
  g_autoptr (GlobiRatchetSession) other = NULL;
  g_autoptr (Sent) m = NULL;
  g_autoptr (GBytes) pt = NULL;

  pair_setup (&pair, TRUE);
  bundle = crypto_fixture_bundle (pair.bob_id, TRUE);
  other = globi_ratchet_session_new_initiator (pair.alice_id, "alice", "bob", bundle, &error);
  g_assert_no_error (error);
  m = send (other, "reinstalled?");
  pt = globi_ratchet_session_decrypt (pair.bob, m->type, m->bytes, &error);
  g_assert_null (pt);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY);
  pair_clear (&pair);
}

static void
test_x3dh_bad_bundle (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiIdentity) alice_id = globi_identity_new (NOW);
  g_autoptr (GlobiIdentity) bob_id = globi_identity_new (NOW);
  g_autoptr (GlobiIdentity) mallory_id = globi_identity_new (NOW);
  g_autoptr (JsonObject) bundle = crypto_fixture_bundle (bob_id, TRUE);
  g_autoptr (JsonObject) forged = crypto_fixture_bundle (mallory_id, TRUE);
  GlobiRatchetSession *session;

  /* Bob's identity key with Mallory's signed prekey: the signature does not verify. */
  json_object_set_string_member (forged, "identity_key",
                                 json_object_get_string_member (bundle, "identity_key"));
  session = globi_ratchet_session_new_initiator (alice_id, "alice", "bob", forged, &error);
  g_assert_null (session);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_SIGNATURE);
  g_clear_error (&error);

  json_object_set_string_member (bundle, "identity_key", "not base64url!");
  session = globi_ratchet_session_new_initiator (alice_id, "alice", "bob", bundle, &error);
  g_assert_null (session);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE);
}

/* A tampered prekey message changes nothing: the one-time prekey stays. */
static void
test_x3dh_responder_failure_keeps_identity (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiIdentity) alice_id = globi_identity_new (NOW);
  g_autoptr (GlobiIdentity) bob_id = globi_identity_new (NOW);
  g_autoptr (JsonObject) bundle = crypto_fixture_bundle (bob_id, TRUE);
  g_autoptr (GlobiRatchetSession) alice = NULL;
  g_autoptr (GlobiRatchetSession) bob = NULL;
  g_autoptr (GBytes) before = globi_identity_serialize (bob_id);
  g_autoptr (GBytes) after = NULL;
  g_autoptr (GBytes) tampered = NULL;
  g_autoptr (GBytes) pt = NULL;
  g_autoptr (Sent) m = NULL;
  g_autofree guint8 *copy = NULL;
  gsize len;

  alice = globi_ratchet_session_new_initiator (alice_id, "alice", "bob", bundle, &error);
  g_assert_no_error (error);
  m = send (alice, "hello");
  len = g_bytes_get_size (m->bytes);
  copy = g_memdup2 (g_bytes_get_data (m->bytes, NULL), len);
  copy[len - 1] ^= 1;
  tampered = g_bytes_new (copy, len);
  bob = globi_ratchet_session_new_responder (bob_id, "bob", "alice", tampered, &pt, &error);
  g_assert_null (bob);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_BAD_MAC);
  after = globi_identity_serialize (bob_id);
  g_assert_true (g_bytes_equal (before, after));

  /* The wrong user ids (another AD) fail the same way. */
  g_clear_error (&error);
  bob = globi_ratchet_session_new_responder (bob_id, "bob", "mallory", m->bytes, &pt, &error);
  g_assert_null (bob);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_BAD_MAC);
}

static void
test_ratchet_long_conversation (void)
{
  Pair pair = { 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  gboolean alice_turn = FALSE;

  pair_setup (&pair, TRUE);
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_autoptr (Sent) m = NULL;

      /* Runs of one to four messages from the same side, then the other answers. */
      if (g_rand_int_range (rand, 0, 3) == 0)
        alice_turn = !alice_turn;
      m = send (alice_turn ? pair.alice : pair.bob, text);
      receive (alice_turn ? pair.bob : pair.alice, m);
    }
  pair_clear (&pair);
}

static void
test_ratchet_out_of_order (void)
{
  Pair pair = { 0 };
  g_autoptr (GPtrArray) a1 = g_ptr_array_new_with_free_func ((GDestroyNotify) sent_free);
  g_autoptr (GPtrArray) b1 = g_ptr_array_new_with_free_func ((GDestroyNotify) sent_free);
  g_autoptr (GPtrArray) a2 = g_ptr_array_new_with_free_func ((GDestroyNotify) sent_free);

  pair_setup (&pair, TRUE);
  for (guint i = 0; i < 5; i++)
    g_ptr_array_add (a1, send (pair.bob, "bob chain 1"));
  /* Within a chain: 4, 0, 2. */
  receive (pair.alice, a1->pdata[4]);
  receive (pair.alice, a1->pdata[0]);
  receive (pair.alice, a1->pdata[2]);
  /* Alice answers (new ratchet step), Bob answers that, while 1 and 3 are still late. */
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (b1, send (pair.alice, "alice chain"));
  receive (pair.bob, b1->pdata[2]);
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (a2, send (pair.bob, "bob chain 2"));
  /* Across ratchet steps: the newer chain first, then the late ones of the older one. */
  receive (pair.alice, a2->pdata[1]);
  receive (pair.alice, a1->pdata[3]);
  receive (pair.alice, a2->pdata[0]);
  receive (pair.alice, a1->pdata[1]);
  receive (pair.alice, a2->pdata[2]);
  receive (pair.bob, b1->pdata[0]);
  receive (pair.bob, b1->pdata[1]);
  pair_clear (&pair);
}

static void
assert_rejected (GlobiRatchetSession *session,
                 GlobiCiphertextType type,
                 GBytes *bytes,
                 GlobiCryptoErrorCode code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) before = serialize (session);
  g_autoptr (GBytes) after = NULL;
  g_autoptr (GBytes) pt = globi_ratchet_session_decrypt (session, type, bytes, &error);

  g_assert_null (pt);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, code);
  after = serialize (session);
  g_assert_true (g_bytes_equal (before, after));
}

static GBytes *
flip (GBytes *bytes, gsize at)
{
  gsize len = g_bytes_get_size (bytes);
  guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);

  g_assert_cmpuint (at, <, len);
  copy[at] ^= 0x40;
  return g_bytes_new_take (copy, len);
}

static void
test_ratchet_skip_bound (void)
{
  Pair pair = { 0 };
  g_autoptr (Sent) first = NULL;
  g_autoptr (Sent) reply = NULL;
  g_autoptr (Sent) last = NULL;

  pair_setup (&pair, FALSE);
  reply = send (pair.bob, "reply");
  receive (pair.alice, reply);
  first = send (pair.alice, "first");
  for (guint i = 0; i < GLOBI_RATCHET_MAX_SKIP; i++)
    {
      g_autoptr (Sent) lost = send (pair.alice, "lost");
    }
  last = send (pair.alice, "one too far");
  /* Reaching it needs MAX_SKIP + 1 skipped keys. */
  assert_rejected (pair.bob, last->type, last->bytes, GLOBI_CRYPTO_ERROR_TOO_MANY_SKIPPED);
  receive (pair.bob, first);
  /* After "first" it is exactly MAX_SKIP away: allowed. */
  receive (pair.bob, last);
  pair_clear (&pair);
}

static void
test_ratchet_rejects_tamper_and_replay (void)
{
  Pair pair = { 0 };
  g_autoptr (Sent) m1 = NULL;
  g_autoptr (Sent) m2 = NULL;
  g_autoptr (Sent) m3 = NULL;
  g_autoptr (Sent) old_chain = NULL;
  g_autoptr (Sent) reply = NULL;
  g_autoptr (GBytes) bad_body = NULL;
  g_autoptr (GBytes) bad_dh = NULL;
  g_autoptr (GBytes) bad_n = NULL;
  g_autoptr (GBytes) short_msg = NULL;
  gsize len;

  pair_setup (&pair, TRUE);
  old_chain = send (pair.bob, "old chain");
  receive (pair.alice, old_chain);
  m1 = send (pair.alice, "m1");
  m2 = send (pair.alice, "m2");
  m3 = send (pair.alice, "m3");
  len = g_bytes_get_size (m2->bytes);

  bad_body = flip (m2->bytes, len - 5);
  assert_rejected (pair.bob, m2->type, bad_body, GLOBI_CRYPTO_ERROR_BAD_MAC);
  /* The header is authenticated: a changed counter or ratchet key fails too. */
  bad_n = flip (m2->bytes, 40);
  assert_rejected (pair.bob, m2->type, bad_n, GLOBI_CRYPTO_ERROR_BAD_MAC);
  bad_dh = flip (m2->bytes, 5);
  assert_rejected (pair.bob, m2->type, bad_dh, GLOBI_CRYPTO_ERROR_BAD_MAC);
  short_msg = g_bytes_new_from_bytes (m2->bytes, 0, 20);
  assert_rejected (pair.bob, m2->type, short_msg, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE);

  receive (pair.bob, m2);
  assert_rejected (pair.bob, m2->type, m2->bytes, GLOBI_CRYPTO_ERROR_DUPLICATE);
  receive (pair.bob, m1);
  assert_rejected (pair.bob, m1->type, m1->bytes, GLOBI_CRYPTO_ERROR_DUPLICATE);
  receive (pair.bob, m3);

  /* A replay from an older chain, after both sides stepped on. */
  reply = send (pair.bob, "reply");
  receive (pair.alice, reply);
  assert_rejected (pair.alice, old_chain->type, old_chain->bytes, GLOBI_CRYPTO_ERROR_DUPLICATE);
  {
    g_autoptr (Sent) next = send (pair.alice, "still fine");

    receive (pair.bob, next);
  }
  pair_clear (&pair);
}

static GlobiRatchetSession *
reload (GlobiRatchetSession *session)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = serialize (session);
  GlobiRatchetSession *copy = globi_ratchet_session_new_from_bytes (bytes, &error);
  g_autoptr (GBytes) again = NULL;

  g_assert_no_error (error);
  again = serialize (copy);
  g_assert_true (g_bytes_equal (bytes, again));
  return copy;
}

static void
test_ratchet_serialize (void)
{
  Pair pair = { 0 };
  g_autoptr (Sent) late = NULL;
  g_autoptr (GError) error = NULL;
  GlobiRatchetSession *copy;

  pair_setup (&pair, TRUE);
  /* Mid-conversation, with a skipped key and Alice's prekey still pending. */
  {
    g_autoptr (Sent) a = send (pair.alice, "a");
    g_autoptr (Sent) b = NULL;

    late = send (pair.alice, "late");
    b = send (pair.alice, "b");
    receive (pair.bob, a);
    receive (pair.bob, b);
  }
  copy = reload (pair.alice);
  g_assert_true (globi_ratchet_session_get_prekey_pending (copy));
  g_object_unref (pair.alice);
  pair.alice = copy;
  copy = reload (pair.bob);
  g_assert_cmpstr (globi_ratchet_session_get_remote_user_id (copy), ==, "alice");
  g_object_unref (pair.bob);
  pair.bob = copy;

  receive (pair.bob, late);
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr (Sent) m = send (i % 2 ? pair.alice : pair.bob, "after reload");

      receive (i % 2 ? pair.bob : pair.alice, m);
    }

  /* Truncated or garbage state is refused. */
  {
    g_autoptr (GBytes) bytes = serialize (pair.bob);
    g_autoptr (GBytes) cut = g_bytes_new_from_bytes (bytes, 0, g_bytes_get_size (bytes) - 1);
    g_autoptr (GlobiRatchetSession) none = globi_ratchet_session_new_from_bytes (cut, &error);

    g_assert_null (none);
    g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_CORRUPT_STATE);
  }
  pair_clear (&pair);
}

static void
test_identity_serialize (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiIdentity) id = globi_identity_new (NOW);
  g_autoptr (JsonArray) otks = globi_identity_generate_one_time_prekeys (id, 5);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GBytes) again = NULL;
  g_autoptr (GlobiIdentity) copy = NULL;
  g_autoptr (JsonObject) upload = NULL;

  g_assert_cmpuint (json_array_get_length (otks), ==, 5);
  globi_identity_rotate_signed_prekey (id, NOW + 1000);
  g_assert_cmpuint (globi_identity_get_signed_prekey_id (id), ==, 2);
  bytes = globi_identity_serialize (id);
  copy = globi_identity_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  again = globi_identity_serialize (copy);
  g_assert_true (g_bytes_equal (bytes, again));
  g_assert_cmpuint (globi_identity_get_n_one_time_prekeys (copy), ==, 5);
  g_assert_cmpint (globi_identity_get_signed_prekey_created (copy), ==, NOW + 1000);

  upload = globi_identity_build_keys_upload (copy, otks);
  g_assert_true (globi_bundle_verify (upload, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (upload, "one_time_prekeys")), ==, 5);
}

/* A prekey message made against the signed prekey before a rotation still opens. */
static void
test_x3dh_after_rotation (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiIdentity) alice_id = globi_identity_new (NOW);
  g_autoptr (GlobiIdentity) bob_id = globi_identity_new (NOW);
  g_autoptr (JsonObject) bundle = crypto_fixture_bundle (bob_id, FALSE);
  g_autoptr (GlobiRatchetSession) alice = NULL;
  g_autoptr (GlobiRatchetSession) bob = NULL;
  g_autoptr (GBytes) pt = NULL;
  g_autoptr (Sent) m = NULL;

  alice = globi_ratchet_session_new_initiator (alice_id, "alice", "bob", bundle, &error);
  g_assert_no_error (error);
  m = send (alice, "sent before the rotation");
  globi_identity_rotate_signed_prekey (bob_id, NOW + 1);
  bob = globi_ratchet_session_new_responder (bob_id, "bob", "alice", m->bytes, &pt, &error);
  g_assert_no_error (error);
  crypto_fixture_assert_text (pt, "sent before the rotation");
  g_clear_object (&bob);
  g_clear_pointer (&pt, g_bytes_unref);
  /* Two rotations later it is gone. */
  globi_identity_rotate_signed_prekey (bob_id, NOW + 2);
  bob = globi_ratchet_session_new_responder (bob_id, "bob", "alice", m->bytes, &pt, &error);
  g_assert_null (bob);
  g_assert_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY);
}

int
main (int argc, char *argv[])
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/globi/crypto/x3dh/with-one-time-prekey", GINT_TO_POINTER (TRUE),
                        test_x3dh);
  g_test_add_data_func ("/globi/crypto/x3dh/without-one-time-prekey", GINT_TO_POINTER (FALSE),
                        test_x3dh);
  g_test_add_func ("/globi/crypto/x3dh/repeated-prekey-messages",
                   test_x3dh_repeated_prekey_messages);
  g_test_add_func ("/globi/crypto/x3dh/other-run", test_x3dh_other_run);
  g_test_add_func ("/globi/crypto/x3dh/bad-bundle", test_x3dh_bad_bundle);
  g_test_add_func ("/globi/crypto/x3dh/responder-failure-keeps-identity",
                   test_x3dh_responder_failure_keeps_identity);
  g_test_add_func ("/globi/crypto/x3dh/after-rotation", test_x3dh_after_rotation);
  g_test_add_func ("/globi/crypto/identity/serialize", test_identity_serialize);
  g_test_add_func ("/globi/crypto/ratchet/long-conversation", test_ratchet_long_conversation);
  g_test_add_func ("/globi/crypto/ratchet/out-of-order", test_ratchet_out_of_order);
  g_test_add_func ("/globi/crypto/ratchet/skip-bound", test_ratchet_skip_bound);
  g_test_add_func ("/globi/crypto/ratchet/tamper-and-replay",
                   test_ratchet_rejects_tamper_and_replay);
  g_test_add_func ("/globi/crypto/ratchet/serialize", test_ratchet_serialize);
  return g_test_run ();
}
