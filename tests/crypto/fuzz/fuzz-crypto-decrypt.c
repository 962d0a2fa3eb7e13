/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-crypto.h"

/* Every byte a peer or the server sends reaches one of these parsers before any key
 * check: ratchet and prekey messages, sender key distributions and group messages,
 * attachments, and (from a corrupted cache) serialised state. The first input byte
 * picks the target; the rest is the untrusted input. Sessions are set up once per
 * process, with a short real conversation so that decrypt has skipped keys to look at. */

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

typedef struct
{
  GlobiIdentity *bob_id;
  GlobiRatchetSession *alice;
  GlobiRatchetSession *bob;
  GlobiSenderKey *member;
} Fixture;

static Fixture *
fixture_get (void)
{
  static Fixture *fixture;

  if (fixture == NULL)
    {
      g_autoptr (GlobiIdentity) alice_id = NULL;
      g_autoptr (JsonObject) bundle = NULL;
      g_autoptr (JsonArray) otks = NULL;
      g_autoptr (GBytes) text = g_bytes_new_static ("hi", 2);
      g_autoptr (GBytes) first = NULL;
      g_autoptr (GBytes) skipped = NULL;
      g_autoptr (GBytes) pt = NULL;
      g_autoptr (GBytes) dist = NULL;
      g_autoptr (GlobiSenderKey) own = NULL;
      GlobiCiphertextType type;

      g_assert_cmpint (sodium_init (), >=, 0);
      fixture = g_new0 (Fixture, 1);
      alice_id = globi_identity_new (0);
      fixture->bob_id = globi_identity_new (0);
      otks = globi_identity_generate_one_time_prekeys (fixture->bob_id, 2);
      bundle = globi_identity_build_keys_upload (fixture->bob_id, NULL);
      json_object_set_object_member (bundle, "one_time_prekey",
                                     json_object_ref (json_array_get_object_element (otks, 0)));
      fixture->alice = globi_ratchet_session_new_initiator (alice_id, "a", "b", bundle, NULL);
      first = globi_ratchet_session_encrypt (fixture->alice, text, &type);
      skipped = globi_ratchet_session_encrypt (fixture->alice, text, &type);
      fixture->bob =
          globi_ratchet_session_new_responder (fixture->bob_id, "b", "a", first, &pt, NULL);
      g_assert_nonnull (fixture->bob);

      own = globi_sender_key_new ("g", 1);
      dist = globi_sender_key_create_distribution (own);
      fixture->member = globi_sender_key_new_from_distribution (dist, NULL);
      g_assert_nonnull (fixture->member);
    }
  return fixture;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  Fixture *f = fixture_get ();
  g_autoptr (GBytes) input = NULL;
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GError) error = NULL;

  if (size < 1)
    return 0;
  input = g_bytes_new (data + 1, size - 1);

  switch (data[0] % 8)
    {
      case 0:
        out = globi_ratchet_session_decrypt (f->bob, GLOBI_CIPHERTEXT_MESSAGE, input, &error);
        break;
      case 1:
        out = globi_ratchet_session_decrypt (f->bob, GLOBI_CIPHERTEXT_PREKEY, input, &error);
        break;
      case 2:
        {
          g_autoptr (GlobiRatchetSession) session =
              globi_ratchet_session_new_responder (f->bob_id, "b", "a", input, &out, &error);

          g_assert_null (session);
        }
        break;
      case 3:
        {
          g_autoptr (GlobiRatchetSession) session =
              globi_ratchet_session_new_from_bytes (input, &error);
          g_autoptr (GlobiIdentity) identity = globi_identity_new_from_bytes (input, NULL);

          /* Whatever parses must serialise again. */
          if (session != NULL)
            out = globi_ratchet_session_serialize (session);
          if (identity != NULL)
            g_bytes_unref (globi_identity_serialize (identity));
        }
        break;
      case 4:
        out = globi_sender_key_decrypt (f->member, input, &error);
        break;
      case 5:
        {
          g_autoptr (GlobiSenderKey) key = globi_sender_key_new_from_distribution (input, &error);
          g_autoptr (GlobiSenderKey) state = globi_sender_key_new_from_bytes (input, NULL);

          if (key != NULL)
            g_assert_false (globi_sender_key_is_own (key));
          if (state != NULL)
            g_bytes_unref (globi_sender_key_serialize (state));
        }
        break;
      case 6:
        {
          /* The digest matches, so the stream parser sees every input. */
          guint8 key[GLOBI_ATTACHMENT_KEY_SIZE] = { 0 };
          guint8 digest[GLOBI_ATTACHMENT_DIGEST_SIZE];

          crypto_hash_sha256 (digest, data + 1, size - 1);
          out = globi_attachment_decrypt (input, key, digest, &error);
        }
        break;
      default:
        {
          g_autoptr (GBytes) scanned = g_bytes_ref (input);
          guint8 k[32] = { 0 };

          globi_safety_number_verify_scanned (k, "a", k, "b", scanned, NULL);
        }
        break;
    }
  /* Garbage must never decrypt (the odds of a forged MAC are nil). */
  if (data[0] % 8 <= 2 || data[0] % 8 == 4)
    g_assert_true (out == NULL && error != NULL);
  return 0;
}
