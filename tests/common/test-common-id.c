/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>

#include "globi-id.h"

static void
test_id_format (void)
{
  g_autofree char *id = globi_id_new ();

  g_assert_true (globi_id_is_valid (id));
  g_assert_cmpint (id[14], ==, '7');
  g_assert_true (id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
}

static void
test_id_sorts_in_creation_order (void)
{
  g_autofree char *prev = globi_id_new ();

  for (guint i = 0; i < 100000; i++)
    {
      g_autofree char *next = globi_id_new ();

      g_assert_cmpstr (prev, <, next);
      g_free (prev);
      prev = g_steal_pointer (&next);
    }
}

static void
test_id_timestamp (void)
{
  gint64 before = g_get_real_time () / 1000;
  g_autofree char *id = globi_id_new ();
  gint64 after = g_get_real_time () / 1000;
  gint64 ms = globi_id_get_unix_ms (id);

  /* The counter may borrow a millisecond or two under a burst, never more here. */
  g_assert_cmpint (ms, >=, before);
  g_assert_cmpint (ms, <=, after + 2);
}

static void
test_id_rejects_malformed (void)
{
  const char *bad[] = {
    "",
    "x",
    "0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f101",
    "0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f10111",
    "0190A0B0-C0D0-7E0F-8A0B-0C0D0E0F1011",
    "0190a0b0_c0d0-7e0f-8a0b-0c0d0e0f1011",
    "0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f101g",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (globi_id_is_valid (bad[i]));
  g_assert_false (globi_id_is_valid (NULL));
  g_assert_true (globi_id_is_valid ("0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f1011"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/globi/common/id/format", test_id_format);
  g_test_add_func ("/globi/common/id/sorts-in-creation-order", test_id_sorts_in_creation_order);
  g_test_add_func ("/globi/common/id/timestamp", test_id_timestamp);
  g_test_add_func ("/globi/common/id/rejects-malformed", test_id_rejects_malformed);
  return g_test_run ();
}
