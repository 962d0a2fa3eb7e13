/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-ratchet-session"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "globi-crypto-private.h"
#include "globi-hkdf.h"
#include "globi-ratchet-session.h"

/* Wire formats (docs/crypto.md):
 *   message: version(1) | ratchet key(32) | pn(4) | n(4) | AEAD ciphertext
 *   prekey:  version(1) | flags(1) | signed prekey id(4) | one-time prekey id(4)
 *            | initiator identity key (Ed25519, 32) | base key (32) | message */
#define WIRE_VERSION     1
#define STATE_VERSION    1
#define HEADER_SIZE      (1 + 32 + 4 + 4)
#define PREKEY_HEAD_SIZE (1 + 1 + 4 + 4 + 32 + 32)
#define FLAG_ONE_TIME    0x01
#define MAX_OLD_RATCHET  32
#define INFO_X3DH        "GlobiChat X3DH"
#define INFO_RATCHET     "GlobiChat Ratchet"
#define INFO_MESSAGE     "GlobiChat Message"

typedef struct
{
  guint8 dh[32];
  guint32 n;
  guint8 mk[32];
} SkippedKey;

/* Everything decrypt() may change, so that it can work on a copy and swap on success. */
typedef struct
{
  guint8 dhs_pk[32];
  guint8 dhs_sk[32];
  gboolean has_dhr;
  guint8 dhr[32];
  guint8 rk[32];
  gboolean has_cks;
  guint8 cks[32];
  gboolean has_ckr;
  guint8 ckr[32];
  guint32 ns, nr, pn;

  /* Initiator until the first reply: what every outgoing message repeats. */
  gboolean prekey_pending;
  guint32 spk_id;
  gboolean has_otk;
  guint32 otk_id;
  guint8 base_key[32];

  GArray *skipped; /* SkippedKey, oldest first */
  GArray *old_dhr; /* guint8[32]: remote ratchet keys already stepped past */
} RatchetState;

struct _GlobiRatchetSession
{
  GObject parent_instance;

  gboolean initiator;
  char *local_user_id;
  char *remote_user_id;
  guint8 local_ik[32];
  guint8 remote_ik[32];
  /* Responder: the initiator's base key, to recognise its repeated prekey messages. */
  gboolean has_remote_base;
  guint8 remote_base[32];
  GBytes *ad;

  RatchetState *st;
};

G_DEFINE_FINAL_TYPE (GlobiRatchetSession, globi_ratchet_session, G_TYPE_OBJECT)

static RatchetState *
state_new (void)
{
  RatchetState *st = g_new0 (RatchetState, 1);

  st->skipped = g_array_new (FALSE, TRUE, sizeof (SkippedKey));
  st->old_dhr = g_array_new (FALSE, TRUE, 32);
  return st;
}

static void
state_free (RatchetState *st)
{
  sodium_memzero (st->skipped->data, st->skipped->len * sizeof (SkippedKey));
  g_array_unref (st->skipped);
  g_array_unref (st->old_dhr);
  sodium_memzero (st, sizeof *st);
  g_free (st);
}

static RatchetState *
state_copy (const RatchetState *src)
{
  RatchetState *st = g_new (RatchetState, 1);

  memcpy (st, src, sizeof *st);
  st->skipped = g_array_sized_new (FALSE, TRUE, sizeof (SkippedKey), src->skipped->len);
  g_array_append_vals (st->skipped, src->skipped->data, src->skipped->len);
  st->old_dhr = g_array_sized_new (FALSE, TRUE, 32, src->old_dhr->len);
  g_array_append_vals (st->old_dhr, src->old_dhr->data, src->old_dhr->len);
  return st;
}

static void
globi_ratchet_session_finalize (GObject *object)
{
  GlobiRatchetSession *self = GLOBI_RATCHET_SESSION (object);

  g_clear_pointer (&self->st, state_free);
  g_clear_pointer (&self->ad, g_bytes_unref);
  g_clear_pointer (&self->local_user_id, g_free);
  g_clear_pointer (&self->remote_user_id, g_free);

  G_OBJECT_CLASS (globi_ratchet_session_parent_class)->finalize (object);
}

static void
globi_ratchet_session_class_init (GlobiRatchetSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = globi_ratchet_session_finalize;
}

static void
globi_ratchet_session_init (GlobiRatchetSession *self)
{
}

static void
set_error (GError **error, GlobiCryptoErrorCode code, const char *message)
{
  g_set_error_literal (error, GLOBI_CRYPTO_ERROR, code, message);
}

/* AD = initiator identity key || responder identity key || both user ids, so that a
 * message cannot be replayed into a session between other parties. */
static void
session_setup (GlobiRatchetSession *self,
               gboolean initiator,
               const char *local_user_id,
               const char *remote_user_id,
               const guint8 local_ik[32],
               const guint8 remote_ik[32])
{
  GByteArray *w = g_byte_array_new ();

  self->initiator = initiator;
  self->local_user_id = g_strdup (local_user_id);
  self->remote_user_id = g_strdup (remote_user_id);
  memcpy (self->local_ik, local_ik, 32);
  memcpy (self->remote_ik, remote_ik, 32);
  globi_writer_bytes (w, initiator ? local_ik : remote_ik, 32);
  globi_writer_bytes (w, initiator ? remote_ik : local_ik, 32);
  globi_writer_string (w, initiator ? local_user_id : remote_user_id);
  globi_writer_string (w, initiator ? remote_user_id : local_user_id);
  self->ad = globi_writer_finish (w);
}

static gboolean
dh (guint8 out[32], const guint8 sk[32], const guint8 pk[32])
{
  /* libsodium refuses low-order points (an all-zero result). */
  return crypto_scalarmult (out, sk, pk) == 0;
}

static void
kdf_rk (guint8 rk[32], const guint8 dh_out[32], guint8 ck[32])
{
  guint8 okm[64];

  globi_hkdf_sha256 (rk, 32, dh_out, 32, (const guint8 *) INFO_RATCHET, strlen (INFO_RATCHET), okm,
                     sizeof okm);
  memcpy (rk, okm, 32);
  memcpy (ck, okm + 32, 32);
  sodium_memzero (okm, sizeof okm);
}

/* SK = HKDF(0xFF * 32 || DH1 || DH2 || DH3 [|| DH4]), as Signal's X3DH. */
static void
x3dh_secret (guint8 sk[32], const guint8 dhs[4][32], guint n_dh)
{
  guint8 ikm[32 + 4 * 32];

  memset (ikm, 0xff, 32);
  for (guint i = 0; i < n_dh; i++)
    memcpy (ikm + 32 + 32 * i, dhs[i], 32);
  globi_hkdf_sha256 (NULL, 0, ikm, 32 + 32 * n_dh, (const guint8 *) INFO_X3DH, strlen (INFO_X3DH),
                     sk, 32);
  sodium_memzero (ikm, sizeof ikm);
}

static GBytes *
aead_seal (GlobiRatchetSession *self, const guint8 mk[32], const guint8 *header, GBytes *plaintext)
{
  guint8 key[32], nonce[24];
  gsize pt_len = 0;
  const guint8 *pt = g_bytes_get_data (plaintext, &pt_len);
  gsize ad_len = 0;
  const guint8 *ad = g_bytes_get_data (self->ad, &ad_len);
  g_autofree guint8 *full_ad = g_malloc (ad_len + HEADER_SIZE);
  guint8 *out = g_malloc (HEADER_SIZE + pt_len + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long ct_len = 0;

  memcpy (full_ad, ad, ad_len);
  memcpy (full_ad + ad_len, header, HEADER_SIZE);
  memcpy (out, header, HEADER_SIZE);
  globi_message_key_expand (mk, INFO_MESSAGE, key, nonce);
  crypto_aead_xchacha20poly1305_ietf_encrypt (out + HEADER_SIZE, &ct_len, pt, pt_len, full_ad,
                                              ad_len + HEADER_SIZE, NULL, nonce, key);
  sodium_memzero (key, sizeof key);
  return g_bytes_new_take (out, HEADER_SIZE + ct_len);
}

static GBytes *
aead_open (GlobiRatchetSession *self,
           const guint8 mk[32],
           const guint8 *message,
           gsize len,
           GError **error)
{
  guint8 key[32], nonce[24];
  gsize ad_len = 0;
  const guint8 *ad = g_bytes_get_data (self->ad, &ad_len);
  g_autofree guint8 *full_ad = g_malloc (ad_len + HEADER_SIZE);
  gsize ct_len = len - HEADER_SIZE;
  guint8 *out = g_malloc (MAX (ct_len, 1));
  unsigned long long pt_len = 0;
  int rc;

  memcpy (full_ad, ad, ad_len);
  memcpy (full_ad + ad_len, message, HEADER_SIZE);
  globi_message_key_expand (mk, INFO_MESSAGE, key, nonce);
  rc = crypto_aead_xchacha20poly1305_ietf_decrypt (
      out, &pt_len, NULL, message + HEADER_SIZE, ct_len, full_ad, ad_len + HEADER_SIZE, nonce, key);
  sodium_memzero (key, sizeof key);
  if (rc != 0)
    {
      g_free (out);
      set_error (error, GLOBI_CRYPTO_ERROR_BAD_MAC, _ ("Message authentication failed"));
      return NULL;
    }
  return g_bytes_new_take (out, pt_len);
}

static gboolean
skip_message_keys (RatchetState *st, guint32 until, GError **error)
{
  if (!st->has_ckr)
    return TRUE;
  if (until > st->nr && until - st->nr > GLOBI_RATCHET_MAX_SKIP)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_TOO_MANY_SKIPPED, _ ("Too many skipped messages"));
      return FALSE;
    }
  while (st->nr < until)
    {
      SkippedKey key;

      memcpy (key.dh, st->dhr, 32);
      key.n = st->nr;
      globi_kdf_ck (st->ckr, key.mk);
      g_array_append_val (st->skipped, key);
      sodium_memzero (&key, sizeof key);
      st->nr++;
    }
  if (st->skipped->len > GLOBI_RATCHET_MAX_SKIP_TOTAL)
    {
      guint drop = st->skipped->len - GLOBI_RATCHET_MAX_SKIP_TOTAL;

      sodium_memzero (st->skipped->data, drop * sizeof (SkippedKey));
      g_array_remove_range (st->skipped, 0, drop);
    }
  return TRUE;
}

static gboolean
dh_ratchet (RatchetState *st, const guint8 remote_dh[32], GError **error)
{
  guint8 shared[32];

  if (st->has_dhr)
    {
      g_array_append_vals (st->old_dhr, st->dhr, 1);
      if (st->old_dhr->len > MAX_OLD_RATCHET)
        g_array_remove_index (st->old_dhr, 0);
    }
  st->pn = st->ns;
  st->ns = 0;
  st->nr = 0;
  memcpy (st->dhr, remote_dh, 32);
  st->has_dhr = TRUE;
  if (!dh (shared, st->dhs_sk, st->dhr))
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Invalid ratchet key"));
      return FALSE;
    }
  kdf_rk (st->rk, shared, st->ckr);
  st->has_ckr = TRUE;
  crypto_box_keypair (st->dhs_pk, st->dhs_sk);
  if (!dh (shared, st->dhs_sk, st->dhr))
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Invalid ratchet key"));
      return FALSE;
    }
  kdf_rk (st->rk, shared, st->cks);
  st->has_cks = TRUE;
  sodium_memzero (shared, sizeof shared);
  return TRUE;
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* The Double Ratchet's RatchetDecrypt on st (a copy the caller discards on failure). */
static GBytes *
ratchet_decrypt (
    GlobiRatchetSession *self, RatchetState *st, const guint8 *message, gsize len, GError **error)
{
  const guint8 *header_dh;
  guint32 pn, n;
  guint8 mk[32];
  GBytes *plaintext;

  if (len < HEADER_SIZE + crypto_aead_xchacha20poly1305_ietf_ABYTES || message[0] != WIRE_VERSION)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Malformed message"));
      return NULL;
    }
  header_dh = message + 1;
  pn = read_be32 (message + 33);
  n = read_be32 (message + 37);

  for (guint i = 0; i < st->skipped->len; i++)
    {
      SkippedKey *key = &g_array_index (st->skipped, SkippedKey, i);

      if (key->n == n && sodium_memcmp (key->dh, header_dh, 32) == 0)
        {
          plaintext = aead_open (self, key->mk, message, len, error);
          if (plaintext != NULL)
            {
              sodium_memzero (key, sizeof *key);
              g_array_remove_index (st->skipped, i);
            }
          return plaintext;
        }
    }

  if (!st->has_dhr || sodium_memcmp (header_dh, st->dhr, 32) != 0)
    {
      for (guint i = 0; i < st->old_dhr->len; i++)
        if (memcmp (st->old_dhr->data + 32 * i, header_dh, 32) == 0)
          {
            set_error (error, GLOBI_CRYPTO_ERROR_DUPLICATE, _ ("Message already received"));
            return NULL;
          }
      if (!skip_message_keys (st, pn, error) || !dh_ratchet (st, header_dh, error))
        return NULL;
    }
  else if (n < st->nr)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_DUPLICATE, _ ("Message already received"));
      return NULL;
    }

  if (!skip_message_keys (st, n, error))
    return NULL;
  globi_kdf_ck (st->ckr, mk);
  st->nr++;
  plaintext = aead_open (self, mk, message, len, error);
  sodium_memzero (mk, sizeof mk);
  return plaintext;
}

typedef struct
{
  guint8 flags;
  guint32 spk_id;
  guint32 otk_id;
  const guint8 *ik;
  const guint8 *base_key;
  const guint8 *message;
  gsize message_len;
} PrekeyMessage;

static gboolean
parse_prekey_message (GBytes *bytes, PrekeyMessage *out, GError **error)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (bytes, &len);

  if (len < PREKEY_HEAD_SIZE + HEADER_SIZE || p[0] != WIRE_VERSION || (p[1] & ~FLAG_ONE_TIME) != 0)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Malformed prekey message"));
      return FALSE;
    }
  out->flags = p[1];
  out->spk_id = read_be32 (p + 2);
  out->otk_id = read_be32 (p + 6);
  out->ik = p + 10;
  out->base_key = p + 42;
  out->message = p + PREKEY_HEAD_SIZE;
  out->message_len = len - PREKEY_HEAD_SIZE;
  return TRUE;
}

const char *
globi_ciphertext_type_to_string (GlobiCiphertextType type)
{
  return type == GLOBI_CIPHERTEXT_PREKEY ? "prekey" : "message";
}

gboolean
globi_ciphertext_type_from_string (const char *text, GlobiCiphertextType *type)
{
  if (g_strcmp0 (text, "prekey") == 0)
    *type = GLOBI_CIPHERTEXT_PREKEY;
  else if (g_strcmp0 (text, "message") == 0)
    *type = GLOBI_CIPHERTEXT_MESSAGE;
  else
    return FALSE;
  return TRUE;
}

GlobiRatchetSession *
globi_ratchet_session_new_initiator (GlobiIdentity *identity,
                                     const char *local_user_id,
                                     const char *remote_user_id,
                                     JsonObject *bundle,
                                     GError **error)
{
  g_autoptr (GlobiRatchetSession) self = NULL;
  JsonObject *spk, *otk = NULL;
  guint8 remote_ik[32], remote_ik_x[32], spk_pub[32], otk_pub[32];
  guint8 ik_x[32], ek_sk[32], dhs[4][32], sk[32], shared[32];
  guint n_dh = 3;
  gboolean ok;
  RatchetState *st;

  g_return_val_if_fail (GLOBI_IS_IDENTITY (identity), NULL);
  g_return_val_if_fail (local_user_id != NULL && remote_user_id != NULL, NULL);
  g_return_val_if_fail (bundle != NULL, NULL);

  if (!globi_bundle_verify (bundle, error))
    return NULL;
  spk = json_object_get_object_member (bundle, "signed_prekey");
  if (json_object_has_member (bundle, "one_time_prekey") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (bundle, "one_time_prekey")))
    otk = json_object_get_object_member (bundle, "one_time_prekey");
  globi_json_get_key (bundle, "identity_key", remote_ik, 32, NULL);
  globi_json_get_key (spk, "key", spk_pub, 32, NULL);
  if ((otk != NULL && (!json_object_has_member (otk, "id") ||
                       !globi_json_get_key (otk, "key", otk_pub, 32, error))) ||
      crypto_sign_ed25519_pk_to_curve25519 (remote_ik_x, remote_ik) != 0)
    {
      g_clear_error (error);
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Malformed bundle"));
      return NULL;
    }

  self = g_object_new (GLOBI_TYPE_RATCHET_SESSION, NULL);
  session_setup (self, TRUE, local_user_id, remote_user_id,
                 globi_identity_get_public_key (identity), remote_ik);
  st = self->st = state_new ();
  st->prekey_pending = TRUE;
  st->spk_id = json_object_get_int_member (spk, "id");
  st->has_otk = otk != NULL;
  st->otk_id = otk != NULL ? json_object_get_int_member (otk, "id") : 0;

  globi_identity_get_dh_secret (identity, ik_x);
  crypto_box_keypair (st->base_key, ek_sk);
  ok = dh (dhs[0], ik_x, spk_pub) && dh (dhs[1], ek_sk, remote_ik_x) && dh (dhs[2], ek_sk, spk_pub);
  if (ok && otk != NULL)
    ok = dh (dhs[n_dh++], ek_sk, otk_pub);
  if (ok)
    {
      x3dh_secret (sk, dhs, n_dh);
      /* Alice's first ratchet step, towards Bob's signed prekey. */
      memcpy (st->rk, sk, 32);
      crypto_box_keypair (st->dhs_pk, st->dhs_sk);
      memcpy (st->dhr, spk_pub, 32);
      st->has_dhr = TRUE;
      ok = dh (shared, st->dhs_sk, st->dhr);
      if (ok)
        {
          kdf_rk (st->rk, shared, st->cks);
          st->has_cks = TRUE;
        }
    }
  sodium_memzero (ik_x, sizeof ik_x);
  sodium_memzero (ek_sk, sizeof ek_sk);
  sodium_memzero (dhs, sizeof dhs);
  sodium_memzero (sk, sizeof sk);
  sodium_memzero (shared, sizeof shared);
  if (!ok)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Invalid key in bundle"));
      return NULL;
    }
  return g_steal_pointer (&self);
}

GlobiRatchetSession *
globi_ratchet_session_new_responder (GlobiIdentity *identity,
                                     const char *local_user_id,
                                     const char *remote_user_id,
                                     GBytes *prekey_message,
                                     GBytes **plaintext,
                                     GError **error)
{
  g_autoptr (GlobiRatchetSession) self = NULL;
  g_autoptr (GBytes) result = NULL;
  PrekeyMessage pm;
  guint8 remote_ik_x[32], ik_x[32], spk_sk[32], otk_sk[32], dhs[4][32], sk[32];
  guint n_dh = 3;
  gboolean has_otk;
  gboolean ok;
  RatchetState *st;

  g_return_val_if_fail (GLOBI_IS_IDENTITY (identity), NULL);
  g_return_val_if_fail (local_user_id != NULL && remote_user_id != NULL, NULL);
  g_return_val_if_fail (prekey_message != NULL, NULL);
  g_return_val_if_fail (plaintext != NULL, NULL);

  if (!parse_prekey_message (prekey_message, &pm, error))
    return NULL;
  if (crypto_sign_ed25519_pk_to_curve25519 (remote_ik_x, pm.ik) != 0)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Invalid identity key"));
      return NULL;
    }
  has_otk = (pm.flags & FLAG_ONE_TIME) != 0;
  if (!globi_identity_lookup_prekeys (identity, pm.spk_id, has_otk, pm.otk_id, spk_sk, otk_sk,
                                      error))
    return NULL;

  self = g_object_new (GLOBI_TYPE_RATCHET_SESSION, NULL);
  session_setup (self, FALSE, local_user_id, remote_user_id,
                 globi_identity_get_public_key (identity), pm.ik);
  self->has_remote_base = TRUE;
  memcpy (self->remote_base, pm.base_key, 32);
  st = self->st = state_new ();

  globi_identity_get_dh_secret (identity, ik_x);
  ok = dh (dhs[0], spk_sk, remote_ik_x) && dh (dhs[1], ik_x, pm.base_key) &&
       dh (dhs[2], spk_sk, pm.base_key);
  if (ok && has_otk)
    ok = dh (dhs[n_dh++], otk_sk, pm.base_key);
  if (ok)
    {
      x3dh_secret (sk, dhs, n_dh);
      /* Bob starts with his signed prekey as ratchet key and the root key only. */
      memcpy (st->rk, sk, 32);
      memcpy (st->dhs_sk, spk_sk, 32);
      crypto_scalarmult_base (st->dhs_pk, spk_sk);
    }
  sodium_memzero (ik_x, sizeof ik_x);
  sodium_memzero (spk_sk, sizeof spk_sk);
  sodium_memzero (otk_sk, sizeof otk_sk);
  sodium_memzero (dhs, sizeof dhs);
  sodium_memzero (sk, sizeof sk);
  if (!ok)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE, _ ("Invalid key in prekey message"));
      return NULL;
    }

  result = ratchet_decrypt (self, st, pm.message, pm.message_len, error);
  if (result == NULL)
    return NULL;
  if (has_otk)
    globi_identity_remove_one_time_prekey (identity, pm.otk_id);
  *plaintext = g_steal_pointer (&result);
  return g_steal_pointer (&self);
}

GBytes *
globi_ratchet_session_encrypt (GlobiRatchetSession *self,
                               GBytes *plaintext,
                               GlobiCiphertextType *type)
{
  RatchetState *st;
  guint8 header[HEADER_SIZE];
  guint8 mk[32];
  g_autoptr (GBytes) message = NULL;
  GByteArray *w;

  g_return_val_if_fail (GLOBI_IS_RATCHET_SESSION (self), NULL);
  g_return_val_if_fail (plaintext != NULL, NULL);
  g_return_val_if_fail (self->st->has_cks, NULL);

  st = self->st;
  header[0] = WIRE_VERSION;
  memcpy (header + 1, st->dhs_pk, 32);
  header[33] = st->pn >> 24, header[34] = st->pn >> 16, header[35] = st->pn >> 8;
  header[36] = st->pn;
  header[37] = st->ns >> 24, header[38] = st->ns >> 16, header[39] = st->ns >> 8;
  header[40] = st->ns;
  globi_kdf_ck (st->cks, mk);
  st->ns++;
  message = aead_seal (self, mk, header, plaintext);
  sodium_memzero (mk, sizeof mk);

  if (type != NULL)
    *type = st->prekey_pending ? GLOBI_CIPHERTEXT_PREKEY : GLOBI_CIPHERTEXT_MESSAGE;
  if (!st->prekey_pending)
    return g_steal_pointer (&message);

  w = g_byte_array_new ();
  globi_writer_u8 (w, WIRE_VERSION);
  globi_writer_u8 (w, st->has_otk ? FLAG_ONE_TIME : 0);
  globi_writer_u32 (w, st->spk_id);
  globi_writer_u32 (w, st->otk_id);
  globi_writer_bytes (w, self->local_ik, 32);
  globi_writer_bytes (w, st->base_key, 32);
  globi_writer_bytes (w, g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  return g_byte_array_free_to_bytes (w);
}

GBytes *
globi_ratchet_session_decrypt (GlobiRatchetSession *self,
                               GlobiCiphertextType type,
                               GBytes *ciphertext,
                               GError **error)
{
  RatchetState *st;
  GBytes *plaintext;
  const guint8 *message;
  gsize len = 0;

  g_return_val_if_fail (GLOBI_IS_RATCHET_SESSION (self), NULL);
  g_return_val_if_fail (ciphertext != NULL, NULL);

  if (type == GLOBI_CIPHERTEXT_PREKEY)
    {
      PrekeyMessage pm;

      if (!parse_prekey_message (ciphertext, &pm, error))
        return NULL;
      if (!self->has_remote_base || memcmp (pm.base_key, self->remote_base, 32) != 0 ||
          memcmp (pm.ik, self->remote_ik, 32) != 0)
        {
          set_error (error, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY,
                     _ ("Prekey message of another session"));
          return NULL;
        }
      message = pm.message;
      len = pm.message_len;
    }
  else
    message = g_bytes_get_data (ciphertext, &len);

  st = state_copy (self->st);
  plaintext = ratchet_decrypt (self, st, message, len, error);
  if (plaintext == NULL)
    {
      state_free (st);
      return NULL;
    }
  /* Only the responder can have produced a message we decrypt: X3DH is confirmed. */
  st->prekey_pending = FALSE;
  state_free (self->st);
  self->st = st;
  return plaintext;
}

GBytes *
globi_ratchet_session_serialize (GlobiRatchetSession *self)
{
  RatchetState *st;
  GByteArray *w;

  g_return_val_if_fail (GLOBI_IS_RATCHET_SESSION (self), NULL);

  st = self->st;
  w = g_byte_array_new ();
  globi_writer_u8 (w, STATE_VERSION);
  globi_writer_u8 (w, self->initiator);
  globi_writer_string (w, self->local_user_id);
  globi_writer_string (w, self->remote_user_id);
  globi_writer_bytes (w, self->local_ik, 32);
  globi_writer_bytes (w, self->remote_ik, 32);
  globi_writer_u8 (w, self->has_remote_base);
  globi_writer_bytes (w, self->remote_base, 32);
  globi_writer_bytes (w, st->dhs_pk, 32);
  globi_writer_bytes (w, st->dhs_sk, 32);
  globi_writer_u8 (w, st->has_dhr);
  globi_writer_bytes (w, st->dhr, 32);
  globi_writer_bytes (w, st->rk, 32);
  globi_writer_u8 (w, st->has_cks);
  globi_writer_bytes (w, st->cks, 32);
  globi_writer_u8 (w, st->has_ckr);
  globi_writer_bytes (w, st->ckr, 32);
  globi_writer_u32 (w, st->ns);
  globi_writer_u32 (w, st->nr);
  globi_writer_u32 (w, st->pn);
  globi_writer_u8 (w, st->prekey_pending);
  globi_writer_u32 (w, st->spk_id);
  globi_writer_u8 (w, st->has_otk);
  globi_writer_u32 (w, st->otk_id);
  globi_writer_bytes (w, st->base_key, 32);
  globi_writer_u32 (w, st->skipped->len);
  for (guint i = 0; i < st->skipped->len; i++)
    {
      const SkippedKey *key = &g_array_index (st->skipped, SkippedKey, i);

      globi_writer_bytes (w, key->dh, 32);
      globi_writer_u32 (w, key->n);
      globi_writer_bytes (w, key->mk, 32);
    }
  globi_writer_u32 (w, st->old_dhr->len);
  globi_writer_bytes (w, (const guint8 *) st->old_dhr->data, 32 * st->old_dhr->len);
  return globi_writer_finish (w);
}

GlobiRatchetSession *
globi_ratchet_session_new_from_bytes (GBytes *state, GError **error)
{
  g_autoptr (GlobiRatchetSession) self = NULL;
  g_autofree char *local_user_id = NULL;
  g_autofree char *remote_user_id = NULL;
  guint8 local_ik[32], remote_ik[32];
  gboolean initiator;
  guint32 n;
  RatchetState *st;
  GlobiReader r;

  g_return_val_if_fail (state != NULL, NULL);

  globi_reader_init (&r, state);
  if (globi_reader_u8 (&r) != STATE_VERSION)
    r.failed = TRUE;
  initiator = globi_reader_u8 (&r) != 0;
  local_user_id = globi_reader_string (&r);
  remote_user_id = globi_reader_string (&r);
  globi_reader_copy (&r, local_ik, 32);
  globi_reader_copy (&r, remote_ik, 32);
  if (!globi_reader_check (&r, FALSE, GLOBI_CRYPTO_ERROR_CORRUPT_STATE, error))
    return NULL;

  self = g_object_new (GLOBI_TYPE_RATCHET_SESSION, NULL);
  session_setup (self, initiator, local_user_id, remote_user_id, local_ik, remote_ik);
  st = self->st = state_new ();
  self->has_remote_base = globi_reader_u8 (&r) != 0;
  globi_reader_copy (&r, self->remote_base, 32);
  globi_reader_copy (&r, st->dhs_pk, 32);
  globi_reader_copy (&r, st->dhs_sk, 32);
  st->has_dhr = globi_reader_u8 (&r) != 0;
  globi_reader_copy (&r, st->dhr, 32);
  globi_reader_copy (&r, st->rk, 32);
  st->has_cks = globi_reader_u8 (&r) != 0;
  globi_reader_copy (&r, st->cks, 32);
  st->has_ckr = globi_reader_u8 (&r) != 0;
  globi_reader_copy (&r, st->ckr, 32);
  st->ns = globi_reader_u32 (&r);
  st->nr = globi_reader_u32 (&r);
  st->pn = globi_reader_u32 (&r);
  st->prekey_pending = globi_reader_u8 (&r) != 0;
  st->spk_id = globi_reader_u32 (&r);
  st->has_otk = globi_reader_u8 (&r) != 0;
  st->otk_id = globi_reader_u32 (&r);
  globi_reader_copy (&r, st->base_key, 32);
  n = globi_reader_u32 (&r);
  if (n > GLOBI_RATCHET_MAX_SKIP_TOTAL)
    r.failed = TRUE;
  for (guint32 i = 0; i < n && !r.failed; i++)
    {
      SkippedKey key;

      globi_reader_copy (&r, key.dh, 32);
      key.n = globi_reader_u32 (&r);
      globi_reader_copy (&r, key.mk, 32);
      g_array_append_val (st->skipped, key);
      sodium_memzero (&key, sizeof key);
    }
  n = globi_reader_u32 (&r);
  if (n > MAX_OLD_RATCHET)
    r.failed = TRUE;
  for (guint32 i = 0; i < n && !r.failed; i++)
    {
      const guint8 *p = globi_reader_bytes (&r, 32);

      if (p != NULL)
        g_array_append_vals (st->old_dhr, p, 1);
    }
  if (!globi_reader_check (&r, TRUE, GLOBI_CRYPTO_ERROR_CORRUPT_STATE, error))
    return NULL;
  if (!st->has_cks && !st->has_ckr)
    {
      set_error (error, GLOBI_CRYPTO_ERROR_CORRUPT_STATE, _ ("Corrupt crypto state"));
      return NULL;
    }
  return g_steal_pointer (&self);
}

const guint8 *
globi_ratchet_session_get_remote_identity_key (GlobiRatchetSession *self)
{
  g_return_val_if_fail (GLOBI_IS_RATCHET_SESSION (self), NULL);

  return self->remote_ik;
}

const char *
globi_ratchet_session_get_remote_user_id (GlobiRatchetSession *self)
{
  g_return_val_if_fail (GLOBI_IS_RATCHET_SESSION (self), NULL);

  return self->remote_user_id;
}

const guint8 *
globi_ratchet_session_get_base_key (GlobiRatchetSession *self)
{
  g_return_val_if_fail (GLOBI_IS_RATCHET_SESSION (self), NULL);

  return self->initiator ? self->st->base_key : self->remote_base;
}

gboolean
globi_ratchet_session_get_prekey_pending (GlobiRatchetSession *self)
{
  g_return_val_if_fail (GLOBI_IS_RATCHET_SESSION (self), FALSE);

  return self->st->prekey_pending;
}
