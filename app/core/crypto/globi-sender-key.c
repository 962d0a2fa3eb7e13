/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-sender-key"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "globi-crypto-private.h"
#include "globi-sender-key.h"

/* Wire formats (docs/crypto.md):
 *   distribution: version(1) | group id (u32 length + UTF-8) | key id(4) | iteration(4)
 *                 | chain key(32) | signing public key(32)
 *   message:      version(1) | key id(4) | iteration(4) | AEAD ciphertext | signature(64)
 * The signature covers the group id and everything of the message before it. */
#define WIRE_VERSION  1
#define STATE_VERSION 1
#define HEADER_SIZE   (1 + 4 + 4)
#define INFO_MESSAGE  "GlobiChat Sender Key"

typedef struct
{
  guint32 iteration;
  guint8 mk[32];
} SkippedKey;

struct _GlobiSenderKey
{
  GObject parent_instance;

  gboolean own;
  char *group_id;
  guint32 key_id;
  guint32 iteration; /* the chain key's position: the next message uses this one */
  guint8 chain_key[32];
  guint8 sign_pk[crypto_sign_PUBLICKEYBYTES];
  guint8 sign_sk[crypto_sign_SECRETKEYBYTES];
  GArray *skipped; /* SkippedKey, oldest first, at most GLOBI_SENDER_KEY_MAX_SKIP */
};

G_DEFINE_FINAL_TYPE (GlobiSenderKey, globi_sender_key, G_TYPE_OBJECT)

static void
globi_sender_key_finalize (GObject *object)
{
  GlobiSenderKey *self = GLOBI_SENDER_KEY (object);

  sodium_memzero (self->skipped->data, self->skipped->len * sizeof (SkippedKey));
  g_clear_pointer (&self->skipped, g_array_unref);
  g_clear_pointer (&self->group_id, g_free);
  sodium_memzero (self->chain_key, sizeof self->chain_key);
  sodium_memzero (self->sign_sk, sizeof self->sign_sk);

  G_OBJECT_CLASS (globi_sender_key_parent_class)->finalize (object);
}

static void
globi_sender_key_class_init (GlobiSenderKeyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = globi_sender_key_finalize;
}

static void
globi_sender_key_init (GlobiSenderKey *self)
{
  self->skipped = g_array_new (FALSE, TRUE, sizeof (SkippedKey));
}

static void
set_error (GError **error, GlobiCryptoErrorCode code, const char *message)
{
  g_set_error_literal (error, GLOBI_CRYPTO_ERROR, code, message);
}

/* The bytes a signature covers: the group id, then the message up to the signature. */
static GByteArray *
signed_data (const char *group_id, const guint8 *message, gsize len)
{
  GByteArray *w = g_byte_array_new ();

  globi_writer_string (w, group_id);
  globi_writer_bytes (w, message, len);
  return w;
}

static void
make_aead_ad (const char *group_id, const guint8 *header, GByteArray *w)
{
  globi_writer_string (w, group_id);
  globi_writer_bytes (w, header, HEADER_SIZE);
}

GlobiSenderKey *
globi_sender_key_new (const char *group_id, guint32 key_id)
{
  GlobiSenderKey *self;

  g_return_val_if_fail (group_id != NULL, NULL);

  self = g_object_new (GLOBI_TYPE_SENDER_KEY, NULL);
  self->own = TRUE;
  self->group_id = g_strdup (group_id);
  self->key_id = key_id;
  randombytes_buf (self->chain_key, sizeof self->chain_key);
  crypto_sign_keypair (self->sign_pk, self->sign_sk);
  return self;
}

GlobiSenderKey *
globi_sender_key_new_from_distribution (GBytes *distribution, GError **error)
{
  g_autoptr (GlobiSenderKey) self = g_object_new (GLOBI_TYPE_SENDER_KEY, NULL);
  GlobiReader r;

  g_return_val_if_fail (distribution != NULL, NULL);

  globi_reader_init (&r, distribution);
  if (globi_reader_u8 (&r) != WIRE_VERSION)
    r.failed = TRUE;
  self->group_id = globi_reader_string (&r);
  self->key_id = globi_reader_u32 (&r);
  self->iteration = globi_reader_u32 (&r);
  globi_reader_copy (&r, self->chain_key, 32);
  globi_reader_copy (&r, self->sign_pk, sizeof self->sign_pk);
  if (!globi_reader_check (&r, TRUE, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, error))
    return NULL;
  return g_steal_pointer (&self);
}

GBytes *
globi_sender_key_serialize (GlobiSenderKey *self)
{
  GByteArray *w;

  g_return_val_if_fail (GLOBI_IS_SENDER_KEY (self), NULL);

  w = g_byte_array_new ();
  globi_writer_u8 (w, STATE_VERSION);
  globi_writer_u8 (w, self->own);
  globi_writer_string (w, self->group_id);
  globi_writer_u32 (w, self->key_id);
  globi_writer_u32 (w, self->iteration);
  globi_writer_bytes (w, self->chain_key, 32);
  globi_writer_bytes (w, self->sign_pk, sizeof self->sign_pk);
  if (self->own)
    globi_writer_bytes (w, self->sign_sk, sizeof self->sign_sk);
  globi_writer_u32 (w, self->skipped->len);
  for (guint i = 0; i < self->skipped->len; i++)
    {
      const SkippedKey *key = &g_array_index (self->skipped, SkippedKey, i);

      globi_writer_u32 (w, key->iteration);
      globi_writer_bytes (w, key->mk, 32);
    }
  return globi_writer_finish (w);
}

GlobiSenderKey *
globi_sender_key_new_from_bytes (GBytes *state, GError **error)
{
  g_autoptr (GlobiSenderKey) self = g_object_new (GLOBI_TYPE_SENDER_KEY, NULL);
  GlobiReader r;
  guint32 n;

  g_return_val_if_fail (state != NULL, NULL);

  globi_reader_init (&r, state);
  if (globi_reader_u8 (&r) != STATE_VERSION)
    r.failed = TRUE;
  self->own = globi_reader_u8 (&r) != 0;
  self->group_id = globi_reader_string (&r);
  self->key_id = globi_reader_u32 (&r);
  self->iteration = globi_reader_u32 (&r);
  globi_reader_copy (&r, self->chain_key, 32);
  globi_reader_copy (&r, self->sign_pk, sizeof self->sign_pk);
  if (self->own)
    globi_reader_copy (&r, self->sign_sk, sizeof self->sign_sk);
  n = globi_reader_u32 (&r);
  if (n > GLOBI_SENDER_KEY_MAX_SKIP)
    r.failed = TRUE;
  for (guint32 i = 0; i < n && !r.failed; i++)
    {
      SkippedKey key;

      key.iteration = globi_reader_u32 (&r);
      globi_reader_copy (&r, key.mk, 32);
      g_array_append_val (self->skipped, key);
      sodium_memzero (&key, sizeof key);
    }
  if (!globi_reader_check (&r, TRUE, GLOBI_CRYPTO_ERROR_CORRUPT_STATE, error))
    return NULL;
  return g_steal_pointer (&self);
}

GBytes *
globi_sender_key_create_distribution (GlobiSenderKey *self)
{
  GByteArray *w;

  g_return_val_if_fail (GLOBI_IS_SENDER_KEY (self), NULL);
  g_return_val_if_fail (self->own, NULL);

  w = g_byte_array_new ();
  globi_writer_u8 (w, WIRE_VERSION);
  globi_writer_string (w, self->group_id);
  globi_writer_u32 (w, self->key_id);
  globi_writer_u32 (w, self->iteration);
  globi_writer_bytes (w, self->chain_key, 32);
  globi_writer_bytes (w, self->sign_pk, sizeof self->sign_pk);
  return globi_writer_finish (w);
}

GBytes *
globi_sender_key_encrypt (GlobiSenderKey *self, GBytes *plaintext)
{
  GByteArray *w, *ad, *to_sign;
  guint8 mk[32], key[32], nonce[24];
  gsize pt_len = 0;
  const guint8 *pt;
  gsize header_at;
  unsigned long long ct_len = 0;

  g_return_val_if_fail (GLOBI_IS_SENDER_KEY (self), NULL);
  g_return_val_if_fail (self->own, NULL);
  g_return_val_if_fail (plaintext != NULL, NULL);

  pt = g_bytes_get_data (plaintext, &pt_len);
  w = g_byte_array_new ();
  globi_writer_u8 (w, WIRE_VERSION);
  globi_writer_u32 (w, self->key_id);
  globi_writer_u32 (w, self->iteration);
  header_at = w->len;
  ad = g_byte_array_new ();
  make_aead_ad (self->group_id, w->data, ad);

  globi_kdf_ck (self->chain_key, mk);
  self->iteration++;
  globi_message_key_expand (mk, INFO_MESSAGE, key, nonce);
  g_byte_array_set_size (w, header_at + pt_len + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt (w->data + header_at, &ct_len, pt, pt_len, ad->data,
                                              ad->len, NULL, nonce, key);
  sodium_memzero (mk, sizeof mk);
  sodium_memzero (key, sizeof key);
  g_byte_array_unref (ad);

  to_sign = signed_data (self->group_id, w->data, w->len);
  g_byte_array_set_size (w, w->len + crypto_sign_BYTES);
  crypto_sign_detached (w->data + w->len - crypto_sign_BYTES, NULL, to_sign->data, to_sign->len,
                        self->sign_sk);
  g_byte_array_unref (to_sign);
  return g_byte_array_free_to_bytes (w);
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

gboolean
globi_sender_key_message_peek_key_id (GBytes *ciphertext, guint32 *key_id, GError **error)
{
  gsize len = 0;
  const guint8 *p;

  g_return_val_if_fail (ciphertext != NULL, FALSE);

  p = g_bytes_get_data (ciphertext, &len);
  if (len < HEADER_SIZE + crypto_aead_xchacha20poly1305_ietf_ABYTES + crypto_sign_BYTES ||
      p[0] != WIRE_VERSION)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Malformed group message"));
      return FALSE;
    }
  if (key_id != NULL)
    *key_id = read_be32 (p + 1);
  return TRUE;
}

GBytes *
globi_sender_key_decrypt (GlobiSenderKey *self, GBytes *ciphertext, GError **error)
{
  gsize len = 0;
  const guint8 *p;
  guint32 key_id, iteration;
  gsize body_len, ct_len;
  g_autoptr (GByteArray) to_sign = NULL;
  g_autoptr (GByteArray) ad = NULL;
  g_autofree guint8 *out = NULL;
  guint8 mk[32], key[32], nonce[24], chain[32];
  guint skipped_index = G_MAXUINT;
  unsigned long long pt_len = 0;
  GArray *new_skipped = NULL;
  int rc;

  g_return_val_if_fail (GLOBI_IS_SENDER_KEY (self), NULL);
  g_return_val_if_fail (!self->own, NULL);
  g_return_val_if_fail (ciphertext != NULL, NULL);

  if (!globi_sender_key_message_peek_key_id (ciphertext, &key_id, error))
    return NULL;
  p = g_bytes_get_data (ciphertext, &len);
  iteration = read_be32 (p + 5);
  if (key_id != self->key_id)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY, _ ("Unknown sender key"));
      return NULL;
    }
  body_len = len - crypto_sign_BYTES;
  to_sign = signed_data (self->group_id, p, body_len);
  if (crypto_sign_verify_detached (p + body_len, to_sign->data, to_sign->len, self->sign_pk) != 0)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_SIGNATURE, _ ("Bad group message signature"));
      return NULL;
    }

  /* Find the message key without touching the state; commit only after the AEAD check. */
  if (iteration < self->iteration)
    {
      for (guint i = 0; i < self->skipped->len; i++)
        if (g_array_index (self->skipped, SkippedKey, i).iteration == iteration)
          skipped_index = i;
      if (skipped_index == G_MAXUINT)
        {
          set_error (error, GLOBI_CRYPTO_ERROR_DUPLICATE, _ ("Message already received"));
          return NULL;
        }
      memcpy (mk, g_array_index (self->skipped, SkippedKey, skipped_index).mk, 32);
    }
  else
    {
      if (iteration - self->iteration > GLOBI_SENDER_KEY_MAX_SKIP)
        {
          set_error (error, GLOBI_CRYPTO_ERROR_TOO_MANY_SKIPPED, _ ("Too many skipped messages"));
          return NULL;
        }
      memcpy (chain, self->chain_key, 32);
      new_skipped = g_array_new (FALSE, TRUE, sizeof (SkippedKey));
      for (guint32 i = self->iteration; i < iteration; i++)
        {
          SkippedKey skipped = { .iteration = i };

          globi_kdf_ck (chain, skipped.mk);
          g_array_append_val (new_skipped, skipped);
        }
      globi_kdf_ck (chain, mk);
    }

  ad = g_byte_array_new ();
  make_aead_ad (self->group_id, p, ad);
  ct_len = body_len - HEADER_SIZE;
  out = g_malloc (MAX (ct_len, 1));
  globi_message_key_expand (mk, INFO_MESSAGE, key, nonce);
  rc = crypto_aead_xchacha20poly1305_ietf_decrypt (out, &pt_len, NULL, p + HEADER_SIZE, ct_len,
                                                   ad->data, ad->len, nonce, key);
  sodium_memzero (mk, sizeof mk);
  sodium_memzero (key, sizeof key);
  if (rc != 0)
    {
      if (new_skipped != NULL)
        {
          sodium_memzero (new_skipped->data, new_skipped->len * sizeof (SkippedKey));
          g_array_unref (new_skipped);
        }
      sodium_memzero (chain, sizeof chain);
      set_error (error, GLOBI_CRYPTO_ERROR_BAD_MAC, _ ("Message authentication failed"));
      return NULL;
    }

  if (new_skipped == NULL)
    {
      sodium_memzero (&g_array_index (self->skipped, SkippedKey, skipped_index),
                      sizeof (SkippedKey));
      g_array_remove_index (self->skipped, skipped_index);
    }
  else
    {
      g_array_append_vals (self->skipped, new_skipped->data, new_skipped->len);
      sodium_memzero (new_skipped->data, new_skipped->len * sizeof (SkippedKey));
      g_array_unref (new_skipped);
      if (self->skipped->len > GLOBI_SENDER_KEY_MAX_SKIP)
        {
          guint drop = self->skipped->len - GLOBI_SENDER_KEY_MAX_SKIP;

          sodium_memzero (self->skipped->data, drop * sizeof (SkippedKey));
          g_array_remove_range (self->skipped, 0, drop);
        }
      memcpy (self->chain_key, chain, 32);
      self->iteration = iteration + 1;
      sodium_memzero (chain, sizeof chain);
    }
  return g_bytes_new_take (g_steal_pointer (&out), pt_len);
}

gboolean
globi_sender_key_is_own (GlobiSenderKey *self)
{
  g_return_val_if_fail (GLOBI_IS_SENDER_KEY (self), FALSE);

  return self->own;
}

const char *
globi_sender_key_get_group_id (GlobiSenderKey *self)
{
  g_return_val_if_fail (GLOBI_IS_SENDER_KEY (self), NULL);

  return self->group_id;
}

guint32
globi_sender_key_get_key_id (GlobiSenderKey *self)
{
  g_return_val_if_fail (GLOBI_IS_SENDER_KEY (self), 0);

  return self->key_id;
}

guint32
globi_sender_key_get_iteration (GlobiSenderKey *self)
{
  g_return_val_if_fail (GLOBI_IS_SENDER_KEY (self), 0);

  return self->iteration;
}

GBytes *
globi_sender_key_envelope_join (GlobiCiphertextType inner_type, GBytes *inner)
{
  GByteArray *w;

  g_return_val_if_fail (inner != NULL, NULL);

  w = g_byte_array_new ();
  globi_writer_u8 (w, inner_type == GLOBI_CIPHERTEXT_PREKEY ? 1 : 0);
  globi_writer_bytes (w, g_bytes_get_data (inner, NULL), g_bytes_get_size (inner));
  return g_byte_array_free_to_bytes (w);
}

gboolean
globi_sender_key_envelope_split (GBytes *envelope,
                                 GlobiCiphertextType *inner_type,
                                 GBytes **inner,
                                 GError **error)
{
  gsize len = 0;
  const guint8 *p;

  g_return_val_if_fail (envelope != NULL, FALSE);
  g_return_val_if_fail (inner_type != NULL && inner != NULL, FALSE);

  p = g_bytes_get_data (envelope, &len);
  if (len < 2 || p[0] > 1)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Malformed sender key envelope"));
      return FALSE;
    }
  *inner_type = p[0] == 1 ? GLOBI_CIPHERTEXT_PREKEY : GLOBI_CIPHERTEXT_MESSAGE;
  *inner = g_bytes_new_from_bytes (envelope, 1, len - 1);
  return TRUE;
}
