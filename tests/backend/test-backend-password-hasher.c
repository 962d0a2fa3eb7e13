/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-error.h"
#include "globi-password-hasher.h"

/* libsodium's minimum Argon2id cost keeps each hash around a millisecond. */
#define TEST_OPSLIMIT crypto_pwhash_OPSLIMIT_MIN
#define TEST_MEMLIMIT crypto_pwhash_MEMLIMIT_MIN

static void
on_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  /* Results arrive on the thread-default context of the caller, never a worker. */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static char *
hash_sync (GlobiPasswordHasher *hasher, const char *password)
{
  GAsyncResult *result = NULL;
  g_autoptr (GError) error = NULL;
  char *hash;

  globi_password_hasher_hash_async (hasher, password, NULL, on_result_cb, &result);
  hash = globi_password_hasher_hash_finish (hasher, wait_for_result (&result), &error);
  g_assert_no_error (error);
  g_object_unref (result);
  return hash;
}

static gboolean
verify_sync (GlobiPasswordHasher *hasher, const char *password, const char *hash, GError **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  globi_password_hasher_verify_async (hasher, password, hash, NULL, on_result_cb, &result);
  ok = globi_password_hasher_verify_finish (hasher, wait_for_result (&result), error);
  g_object_unref (result);
  return ok;
}

static void
test_hasher_round_trip (void)
{
  g_autoptr (GlobiPasswordHasher) hasher = globi_password_hasher_new (TEST_OPSLIMIT, TEST_MEMLIMIT);
  g_autofree char *hash = hash_sync (hasher, "correct horse battery staple");
  g_autofree char *hash2 = hash_sync (hasher, "correct horse battery staple");
  g_autoptr (GError) error = NULL;

  g_assert_true (g_str_has_prefix (hash, "$argon2id$v=19$"));
  g_assert_null (strstr (hash, "correct"));
  /* A fresh salt each time. */
  g_assert_cmpstr (hash, !=, hash2);

  g_assert_true (verify_sync (hasher, "correct horse battery staple", hash, &error));
  g_assert_no_error (error);
  g_assert_true (verify_sync (hasher, "correct horse battery staple", hash2, &error));
  g_assert_no_error (error);
}

static void
test_hasher_wrong_password (void)
{
  g_autoptr (GlobiPasswordHasher) hasher = globi_password_hasher_new (TEST_OPSLIMIT, TEST_MEMLIMIT);
  g_autofree char *hash = hash_sync (hasher, "s3cret-password");
  g_autoptr (GError) error = NULL;

  g_assert_false (verify_sync (hasher, "s3cret-passwore", hash, &error));
  g_assert_no_error (error);
  g_assert_false (verify_sync (hasher, "", hash, &error));
  g_assert_no_error (error);
  /* A damaged hash accepts nothing. */
  hash[strlen (hash) - 2] = hash[strlen (hash) - 2] == 'A' ? 'B' : 'A';
  g_assert_false (verify_sync (hasher, "s3cret-password", hash, &error));
  g_assert_no_error (error);
}

static void
test_hasher_unknown_user (void)
{
  g_autoptr (GlobiPasswordHasher) hasher = globi_password_hasher_new (TEST_OPSLIMIT, TEST_MEMLIMIT);
  g_autoptr (GError) error = NULL;

  /* NULL hash: a dummy verification runs and the answer is a plain "no". */
  g_assert_false (verify_sync (hasher, "anything", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (verify_sync (hasher, "anything else", NULL, &error));
  g_assert_no_error (error);
}

static void
test_hasher_not_argon2 (void)
{
  g_autoptr (GlobiPasswordHasher) hasher = globi_password_hasher_new (TEST_OPSLIMIT, TEST_MEMLIMIT);
  g_autoptr (GError) error = NULL;

  g_assert_false (verify_sync (hasher, "password", "plaintext-password", &error));
  g_assert_error (error, GLOBI_ERROR, GLOBI_ERROR_INTERNAL);
}

static void
test_hasher_needs_rehash (void)
{
  g_autoptr (GlobiPasswordHasher) cheap = globi_password_hasher_new (TEST_OPSLIMIT, TEST_MEMLIMIT);
  g_autoptr (GlobiPasswordHasher) costlier =
      globi_password_hasher_new (TEST_OPSLIMIT + 1, TEST_MEMLIMIT * 2);
  g_autofree char *hash = hash_sync (cheap, "password");
  char argon2i_hash[crypto_pwhash_argon2i_STRBYTES];
  g_autoptr (GError) error = NULL;

  g_assert_false (globi_password_hasher_needs_rehash (cheap, hash));
  g_assert_true (globi_password_hasher_needs_rehash (costlier, hash));
  g_assert_true (globi_password_hasher_needs_rehash (cheap, "garbage"));

  /* An Argon2i hash from an older setup still verifies, and is flagged for upgrade. */
  g_assert_cmpint (crypto_pwhash_argon2i_str (argon2i_hash, "password", 8, 3, TEST_MEMLIMIT), ==,
                   0);
  g_assert_true (verify_sync (cheap, "password", argon2i_hash, &error));
  g_assert_no_error (error);
  g_assert_true (globi_password_hasher_needs_rehash (cheap, argon2i_hash));

  /* The costlier hasher still verifies hashes made at the old cost. */
  g_assert_true (verify_sync (costlier, "password", hash, &error));
  g_assert_no_error (error);
}

static void
test_hasher_cancelled (void)
{
  g_autoptr (GlobiPasswordHasher) hasher = globi_password_hasher_new (TEST_OPSLIMIT, TEST_MEMLIMIT);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GAsyncResult *result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = NULL;

  g_cancellable_cancel (cancellable);
  globi_password_hasher_hash_async (hasher, "password", cancellable, on_result_cb, &result);
  hash = globi_password_hasher_hash_finish (hasher, wait_for_result (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (hash);
  g_object_unref (result);
}

static void
test_hasher_concurrent (void)
{
  g_autoptr (GlobiPasswordHasher) hasher = globi_password_hasher_new (TEST_OPSLIMIT, TEST_MEMLIMIT);
  GAsyncResult *results[16] = { NULL };

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autofree char *password = g_strdup_printf ("password-%u", i);

      globi_password_hasher_hash_async (hasher, password, NULL, on_result_cb, &results[i]);
    }
  g_assert_cmpuint (globi_password_hasher_get_pending (hasher), <=, G_N_ELEMENTS (results));
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autofree char *password = g_strdup_printf ("password-%u", i);
      g_autofree char *other = g_strdup_printf ("password-%u", (i + 1) % 16);
      g_autoptr (GError) error = NULL;
      g_autofree char *hash =
          globi_password_hasher_hash_finish (hasher, wait_for_result (&results[i]), &error);

      g_assert_no_error (error);
      g_assert_true (verify_sync (hasher, password, hash, &error));
      g_assert_false (verify_sync (hasher, other, hash, &error));
      g_assert_no_error (error);
      g_object_unref (results[i]);
    }
  /* Every result is in, and each job was counted out before its result was delivered. */
  g_assert_cmpuint (globi_password_hasher_get_pending (hasher), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/globi/backend/password-hasher/round-trip", test_hasher_round_trip);
  g_test_add_func ("/globi/backend/password-hasher/wrong-password", test_hasher_wrong_password);
  g_test_add_func ("/globi/backend/password-hasher/unknown-user", test_hasher_unknown_user);
  g_test_add_func ("/globi/backend/password-hasher/not-argon2", test_hasher_not_argon2);
  g_test_add_func ("/globi/backend/password-hasher/needs-rehash", test_hasher_needs_rehash);
  g_test_add_func ("/globi/backend/password-hasher/cancelled", test_hasher_cancelled);
  g_test_add_func ("/globi/backend/password-hasher/concurrent", test_hasher_concurrent);
  return g_test_run ();
}
