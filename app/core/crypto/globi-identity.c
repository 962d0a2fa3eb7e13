/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-identity"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "globi-crypto-private.h"
#include "globi-identity.h"

#define STATE_VERSION 1

typedef struct
{
  guint32 id;
  guint8 pk[32];
  guint8 sk[32];
} OneTimePrekey;

struct _GlobiIdentity
{
  GObject parent_instance;

  guint8 ik_pk[crypto_sign_PUBLICKEYBYTES];
  guint8 ik_sk[crypto_sign_SECRETKEYBYTES];

  guint32 spk_id;
  guint8 spk_pk[32];
  guint8 spk_sk[32];
  guint8 spk_sig[GLOBI_SIGNATURE_SIZE];
  gint64 spk_created;

  gboolean has_prev_spk;
  guint32 prev_spk_id;
  guint8 prev_spk_sk[32];

  guint32 next_otk_id;
  GArray *otks; /* OneTimePrekey */
};

G_DEFINE_FINAL_TYPE (GlobiIdentity, globi_identity, G_TYPE_OBJECT)

static void
globi_identity_finalize (GObject *object)
{
  GlobiIdentity *self = GLOBI_IDENTITY (object);

  sodium_memzero (self->otks->data, self->otks->len * sizeof (OneTimePrekey));
  g_clear_pointer (&self->otks, g_array_unref);
  sodium_memzero (self->ik_sk, sizeof self->ik_sk);
  sodium_memzero (self->spk_sk, sizeof self->spk_sk);
  sodium_memzero (self->prev_spk_sk, sizeof self->prev_spk_sk);

  G_OBJECT_CLASS (globi_identity_parent_class)->finalize (object);
}

static void
globi_identity_class_init (GlobiIdentityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = globi_identity_finalize;
}

static void
globi_identity_init (GlobiIdentity *self)
{
  self->otks = g_array_new (FALSE, TRUE, sizeof (OneTimePrekey));
  self->next_otk_id = 1;
}

static void
make_signed_prekey (GlobiIdentity *self, guint32 id, gint64 now_ms)
{
  self->spk_id = id;
  crypto_box_keypair (self->spk_pk, self->spk_sk);
  crypto_sign_detached (self->spk_sig, NULL, self->spk_pk, sizeof self->spk_pk, self->ik_sk);
  self->spk_created = now_ms;
}

/**
 * globi_identity_new:
 * @now_ms: the creation time of the first signed prekey (for rotation)
 *
 * A fresh device identity with its first signed prekey and no one-time prekeys.
 */
GlobiIdentity *
globi_identity_new (gint64 now_ms)
{
  GlobiIdentity *self = g_object_new (GLOBI_TYPE_IDENTITY, NULL);

  crypto_sign_keypair (self->ik_pk, self->ik_sk);
  make_signed_prekey (self, 1, now_ms);
  return self;
}

GlobiIdentity *
globi_identity_new_from_bytes (GBytes *state, GError **error)
{
  g_autoptr (GlobiIdentity) self = g_object_new (GLOBI_TYPE_IDENTITY, NULL);
  GlobiReader r;
  guint32 n_otks;

  g_return_val_if_fail (state != NULL, NULL);

  globi_reader_init (&r, state);
  if (globi_reader_u8 (&r) != STATE_VERSION)
    r.failed = TRUE;
  globi_reader_copy (&r, self->ik_pk, sizeof self->ik_pk);
  globi_reader_copy (&r, self->ik_sk, sizeof self->ik_sk);
  self->spk_id = globi_reader_u32 (&r);
  globi_reader_copy (&r, self->spk_pk, 32);
  globi_reader_copy (&r, self->spk_sk, 32);
  globi_reader_copy (&r, self->spk_sig, sizeof self->spk_sig);
  self->spk_created = globi_reader_i64 (&r);
  self->has_prev_spk = globi_reader_u8 (&r) != 0;
  self->prev_spk_id = globi_reader_u32 (&r);
  globi_reader_copy (&r, self->prev_spk_sk, 32);
  self->next_otk_id = globi_reader_u32 (&r);
  n_otks = globi_reader_u32 (&r);
  if (n_otks > (r.len - MIN (r.pos, r.len)) / 68)
    r.failed = TRUE;
  for (guint32 i = 0; i < n_otks && !r.failed; i++)
    {
      OneTimePrekey otk;

      otk.id = globi_reader_u32 (&r);
      globi_reader_copy (&r, otk.pk, 32);
      globi_reader_copy (&r, otk.sk, 32);
      g_array_append_val (self->otks, otk);
      sodium_memzero (&otk, sizeof otk);
    }
  if (!globi_reader_check (&r, TRUE, GLOBI_CRYPTO_ERROR_CORRUPT_STATE, error))
    return NULL;
  return g_steal_pointer (&self);
}

GBytes *
globi_identity_serialize (GlobiIdentity *self)
{
  GByteArray *w;

  g_return_val_if_fail (GLOBI_IS_IDENTITY (self), NULL);

  w = g_byte_array_new ();
  globi_writer_u8 (w, STATE_VERSION);
  globi_writer_bytes (w, self->ik_pk, sizeof self->ik_pk);
  globi_writer_bytes (w, self->ik_sk, sizeof self->ik_sk);
  globi_writer_u32 (w, self->spk_id);
  globi_writer_bytes (w, self->spk_pk, 32);
  globi_writer_bytes (w, self->spk_sk, 32);
  globi_writer_bytes (w, self->spk_sig, sizeof self->spk_sig);
  globi_writer_i64 (w, self->spk_created);
  globi_writer_u8 (w, self->has_prev_spk);
  globi_writer_u32 (w, self->prev_spk_id);
  globi_writer_bytes (w, self->prev_spk_sk, 32);
  globi_writer_u32 (w, self->next_otk_id);
  globi_writer_u32 (w, self->otks->len);
  for (guint i = 0; i < self->otks->len; i++)
    {
      const OneTimePrekey *otk = &g_array_index (self->otks, OneTimePrekey, i);

      globi_writer_u32 (w, otk->id);
      globi_writer_bytes (w, otk->pk, 32);
      globi_writer_bytes (w, otk->sk, 32);
    }
  return globi_writer_finish (w);
}

const guint8 *
globi_identity_get_public_key (GlobiIdentity *self)
{
  g_return_val_if_fail (GLOBI_IS_IDENTITY (self), NULL);

  return self->ik_pk;
}

guint32
globi_identity_get_signed_prekey_id (GlobiIdentity *self)
{
  g_return_val_if_fail (GLOBI_IS_IDENTITY (self), 0);

  return self->spk_id;
}

gint64
globi_identity_get_signed_prekey_created (GlobiIdentity *self)
{
  g_return_val_if_fail (GLOBI_IS_IDENTITY (self), 0);

  return self->spk_created;
}

void
globi_identity_rotate_signed_prekey (GlobiIdentity *self, gint64 now_ms)
{
  g_return_if_fail (GLOBI_IS_IDENTITY (self));

  self->has_prev_spk = TRUE;
  self->prev_spk_id = self->spk_id;
  memcpy (self->prev_spk_sk, self->spk_sk, 32);
  make_signed_prekey (self, self->spk_id + 1, now_ms);
}

JsonArray *
globi_identity_generate_one_time_prekeys (GlobiIdentity *self, guint n)
{
  JsonArray *array;

  g_return_val_if_fail (GLOBI_IS_IDENTITY (self), NULL);

  array = json_array_new ();
  for (guint i = 0; i < n; i++)
    {
      OneTimePrekey otk;
      g_autoptr (JsonObject) object = json_object_new ();

      otk.id = self->next_otk_id++;
      crypto_box_keypair (otk.pk, otk.sk);
      g_array_append_val (self->otks, otk);
      json_object_set_int_member (object, "id", otk.id);
      globi_json_set_key (object, "key", otk.pk, 32);
      json_array_add_object_element (array, g_steal_pointer (&object));
      sodium_memzero (&otk, sizeof otk);
    }
  return array;
}

guint
globi_identity_get_n_one_time_prekeys (GlobiIdentity *self)
{
  g_return_val_if_fail (GLOBI_IS_IDENTITY (self), 0);

  return self->otks->len;
}

JsonObject *
globi_identity_build_keys_upload (GlobiIdentity *self, JsonArray *one_time_prekeys)
{
  JsonObject *object;
  g_autoptr (JsonObject) spk = NULL;

  g_return_val_if_fail (GLOBI_IS_IDENTITY (self), NULL);

  object = json_object_new ();
  spk = json_object_new ();
  globi_json_set_key (object, "identity_key", self->ik_pk, sizeof self->ik_pk);
  json_object_set_int_member (spk, "id", self->spk_id);
  globi_json_set_key (spk, "key", self->spk_pk, 32);
  globi_json_set_key (spk, "signature", self->spk_sig, sizeof self->spk_sig);
  json_object_set_object_member (object, "signed_prekey", g_steal_pointer (&spk));
  if (one_time_prekeys != NULL)
    json_object_set_array_member (object, "one_time_prekeys", json_array_ref (one_time_prekeys));
  return object;
}

gboolean
globi_bundle_verify (JsonObject *bundle, GError **error)
{
  JsonObject *spk;
  guint8 ik[32], spk_key[32], sig[64];

  g_return_val_if_fail (bundle != NULL, FALSE);

  spk = json_object_has_member (bundle, "signed_prekey") &&
                JSON_NODE_HOLDS_OBJECT (json_object_get_member (bundle, "signed_prekey"))
            ? json_object_get_object_member (bundle, "signed_prekey")
            : NULL;
  if (spk == NULL || !json_object_has_member (spk, "id"))
    {
      g_set_error_literal (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_MESSAGE,
                           _ ("Bundle without a signed prekey"));
      return FALSE;
    }
  if (!globi_json_get_key (bundle, "identity_key", ik, 32, error) ||
      !globi_json_get_key (spk, "key", spk_key, 32, error) ||
      !globi_json_get_key (spk, "signature", sig, 64, error))
    return FALSE;
  if (crypto_sign_verify_detached (sig, spk_key, 32, ik) != 0)
    {
      g_set_error_literal (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_INVALID_SIGNATURE,
                           _ ("The signed prekey's signature is wrong"));
      return FALSE;
    }
  return TRUE;
}

/* Private to the crypto sources (globi-crypto-private.h). */

gboolean
globi_identity_lookup_prekeys (GlobiIdentity *self,
                               guint32 signed_prekey_id,
                               gboolean has_one_time,
                               guint32 one_time_id,
                               guint8 spk_secret[32],
                               guint8 otk_secret[32],
                               GError **error)
{
  if (signed_prekey_id == self->spk_id)
    memcpy (spk_secret, self->spk_sk, 32);
  else if (self->has_prev_spk && signed_prekey_id == self->prev_spk_id)
    memcpy (spk_secret, self->prev_spk_sk, 32);
  else
    {
      g_set_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY,
                   _ ("Unknown signed prekey %u"), signed_prekey_id);
      return FALSE;
    }
  if (!has_one_time)
    return TRUE;
  for (guint i = 0; i < self->otks->len; i++)
    {
      const OneTimePrekey *otk = &g_array_index (self->otks, OneTimePrekey, i);

      if (otk->id == one_time_id)
        {
          memcpy (otk_secret, otk->sk, 32);
          return TRUE;
        }
    }
  /* Already consumed (a second prekey message of a run we answered) or never ours. */
  sodium_memzero (spk_secret, 32);
  g_set_error (error, GLOBI_CRYPTO_ERROR, GLOBI_CRYPTO_ERROR_UNKNOWN_KEY,
               _ ("Unknown one-time prekey %u"), one_time_id);
  return FALSE;
}

void
globi_identity_remove_one_time_prekey (GlobiIdentity *self, guint32 one_time_id)
{
  for (guint i = 0; i < self->otks->len; i++)
    if (g_array_index (self->otks, OneTimePrekey, i).id == one_time_id)
      {
        sodium_memzero (&g_array_index (self->otks, OneTimePrekey, i), sizeof (OneTimePrekey));
        g_array_remove_index (self->otks, i);
        return;
      }
}

void
globi_identity_get_dh_secret (GlobiIdentity *self, guint8 out[32])
{
  crypto_sign_ed25519_sk_to_curve25519 (out, self->ik_sk);
}
