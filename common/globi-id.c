/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globi-id"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-id.h"

/* Ids made within one millisecond must still sort in creation order: keep a monotonic
 * 12-bit counter in rand_a, seeded randomly each new millisecond (RFC 9562 method 1). */
static GMutex id_lock;
static gint64 last_ms;
static guint16 last_counter;

char *
globi_id_new (void)
{
  guint8 bytes[16];
  gint64 ms = g_get_real_time () / 1000;
  guint16 counter;

  randombytes_buf (bytes, sizeof bytes);

  g_mutex_lock (&id_lock);
  if (ms <= last_ms)
    {
      ms = last_ms;
      counter = ++last_counter;
      if (counter > 0x0fff)
        {
          /* Counter exhausted: borrow the next millisecond rather than lose ordering. */
          ms = ++last_ms;
          counter = last_counter = (bytes[6] << 8 | bytes[7]) & 0x07ff;
        }
    }
  else
    {
      last_ms = ms;
      counter = last_counter = (bytes[6] << 8 | bytes[7]) & 0x07ff;
    }
  g_mutex_unlock (&id_lock);

  bytes[0] = (ms >> 40) & 0xff;
  bytes[1] = (ms >> 32) & 0xff;
  bytes[2] = (ms >> 24) & 0xff;
  bytes[3] = (ms >> 16) & 0xff;
  bytes[4] = (ms >> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;

  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6],
                          bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13],
                          bytes[14], bytes[15]);
}

/* Accepts any lowercase RFC 9562 UUID string; clients may send v4 idempotency keys too. */
gboolean
globi_id_is_valid (const char *id)
{
  if (id == NULL || strlen (id) != GLOBI_ID_LENGTH)
    return FALSE;
  for (guint i = 0; i < GLOBI_ID_LENGTH; i++)
    {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (id[i] != '-')
            return FALSE;
        }
      else if (!g_ascii_isxdigit (id[i]) || g_ascii_isupper (id[i]))
        return FALSE;
    }
  return TRUE;
}

gint64
globi_id_get_unix_ms (const char *id)
{
  gint64 ms = 0;

  g_return_val_if_fail (globi_id_is_valid (id), 0);

  for (guint i = 0; i < 13; i++)
    {
      if (id[i] == '-')
        continue;
      ms = (ms << 4) | g_ascii_xdigit_value (id[i]);
    }
  return ms;
}
