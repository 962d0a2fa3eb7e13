/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pairwise sessions between devices that start them at the same time (issue 3): a new
 * device of Alice and Bob's device each run X3DH towards the other before either has
 * heard from the other, and every message afterwards must still decrypt. */
#include "config.h"

#include <sodium.h>

#include "core-fixture.h"
#include "sync-client.h"

/* Like the CLI's sync: the new messages, then the outbox (receipts) goes out. */
static GPtrArray *
sync_and_flush (Client *c)
{
  GPtrArray *messages = sync_client (c);

  flush (c);
  return messages;
}

static void
send_and_flush (Client *c, const char *chat_id, const char *text)
{
  g_autoptr (GlobiMessage) m = send_text (c, chat_id, text);

  flush (c);
  g_assert_cmpint (globi_message_get_state (m), ==, GLOBI_DELIVERY_STATE_SENT);
}

/* The reported sequence (CLI: alice sends, bob syncs, alice syncs; alice logs in on A2;
 * bob syncs; A2 sends; bob syncs and replies; A2 syncs). A receipt of Bob's for "hello"
 * goes out after A2 exists (here: he reads it then), so Bob starts a session towards A2
 * while A2 starts its own towards Bob. A2 then took Bob's run for its only session, and Bob's reply, on the
 * run A2 started, failed with "Message authentication failed". */
static void
test_new_device_after_receipts (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) alice2 = NULL;
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);
  g_autoptr (GPtrArray) at_bob = NULL;
  g_autoptr (GPtrArray) at_bob2 = NULL;
  g_autoptr (GPtrArray) at_alice = NULL;
  g_autoptr (GPtrArray) at_alice2 = NULL;
  g_autoptr (GPtrArray) at_alice_end = NULL;
  g_autoptr (GPtrArray) at_bob_end = NULL;

  core_reset_undecryptable ();
  befriend (alice, bob);
  send_and_flush (alice, to_bob, "hello");
  at_bob = sync_and_flush (bob);
  g_assert_true (core_messages_have_text (at_bob, "hello"));
  g_ptr_array_unref (sync_and_flush (alice));

  alice2 = client_new (f, "alice", "alice2", TRUE);
  g_ptr_array_unref (sync_client (bob));
  /* Bob reads "hello" now: the read receipt goes to both of Alice's devices. */
  globi_messenger_mark_read (bob->messenger, globi_messenger_open_chat (bob->messenger, to_alice));
  flush (bob);

  send_and_flush (alice2, to_bob, "from my second device");
  at_bob2 = sync_and_flush (bob);
  g_assert_true (core_messages_have_text (at_bob2, "from my second device"));
  send_and_flush (bob, to_alice, "reply to both");

  at_alice2 = sync_and_flush (alice2);
  g_assert_true (core_messages_have_text (at_alice2, "reply to both"));
  at_alice = sync_and_flush (alice);
  g_assert_true (core_messages_have_text (at_alice, "reply to both"));

  /* And on: every direction keeps working on whichever session won. */
  send_and_flush (alice2, to_bob, "again from A2");
  send_and_flush (bob, to_alice, "again from Bob");
  at_bob_end = sync_and_flush (bob);
  g_assert_true (core_messages_have_text (at_bob_end, "again from A2"));
  at_alice_end = sync_and_flush (alice2);
  g_assert_true (core_messages_have_text (at_alice_end, "again from Bob"));
  g_ptr_array_unref (sync_and_flush (alice));
  g_assert_cmpint (core_undecryptable (), ==, 0);
}

/* Both devices send before either syncs: two X3DH runs cross on the server. Each side
 * then answers on the session it last received on, and both keep decrypting. */
static void
test_simultaneous_initiation (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);

  core_reset_undecryptable ();
  befriend (alice, bob);
  send_and_flush (alice, to_bob, "a1");
  send_and_flush (bob, to_alice, "b1");
  for (guint round = 0; round < 4; round++)
    {
      g_autofree char *a = g_strdup_printf ("a%u", round + 2);
      g_autofree char *b = g_strdup_printf ("b%u", round + 2);
      g_autofree char *prev_a = g_strdup_printf ("a%u", round + 1);
      g_autofree char *prev_b = g_strdup_printf ("b%u", round + 1);
      g_autoptr (GPtrArray) at_alice = NULL;
      g_autoptr (GPtrArray) at_bob = NULL;

      /* Both sync (and send their receipts) before either's next message arrives. */
      at_alice = sync_and_flush (alice);
      at_bob = sync_and_flush (bob);
      g_assert_true (core_messages_have_text (at_alice, prev_b));
      g_assert_true (core_messages_have_text (at_bob, prev_a));
      send_and_flush (alice, to_bob, a);
      send_and_flush (bob, to_alice, b);
    }
  g_ptr_array_unref (sync_and_flush (alice));
  g_ptr_array_unref (sync_and_flush (bob));
  g_assert_cmpint (core_undecryptable (), ==, 0);
}

/* The same between two devices of one account, whose fan-out to each other starts
 * sessions from both ends at once, while a friend talks to both. */
static void
test_own_devices_simultaneous (CoreFixture *f, gconstpointer data)
{
  g_autoptr (Client) alice = client_new (f, "alice", "alice", FALSE);
  g_autoptr (Client) bob = client_new (f, "bob", "bob", FALSE);
  g_autoptr (Client) alice2 = NULL;
  g_autofree char *to_bob = chat_with (bob);
  g_autofree char *to_alice = chat_with (alice);

  core_reset_undecryptable ();
  befriend (alice, bob);
  alice2 = client_new (f, "alice", "alice2", TRUE);
  send_and_flush (alice, to_bob, "from A1");
  send_and_flush (alice2, to_bob, "from A2");
  send_and_flush (bob, to_alice, "from Bob");
  for (guint round = 0; round < 3; round++)
    {
      g_autofree char *t1 = g_strdup_printf ("A1 round %u", round);
      g_autofree char *t2 = g_strdup_printf ("A2 round %u", round);
      g_autoptr (GPtrArray) at_1 = sync_and_flush (alice);
      g_autoptr (GPtrArray) at_2 = sync_and_flush (alice2);
      g_autoptr (GPtrArray) at_b = sync_and_flush (bob);

      send_and_flush (alice, to_bob, t1);
      send_and_flush (alice2, to_bob, t2);
      send_and_flush (bob, to_alice, t2);
    }
  {
    g_autoptr (GPtrArray) at_1 = sync_and_flush (alice);
    g_autoptr (GPtrArray) at_2 = sync_and_flush (alice2);
    g_autoptr (GPtrArray) at_b = sync_and_flush (bob);

    g_assert_true (core_messages_have_text (at_1, "A2 round 2")); /* A2's own message, fanned out */
    g_assert_true (core_messages_have_text (at_2, "A1 round 2"));
    g_assert_true (core_messages_have_text (at_b, "A1 round 2"));
    g_assert_true (core_messages_have_text (at_b, "A2 round 2"));
  }
  g_assert_cmpint (core_undecryptable (), ==, 0);
}

int
main (int argc, char **argv)
{
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_init (&argc, &argv, NULL);
  core_watch_undecryptable ();
#define ADD(path, func)                                                         \
  g_test_add ("/globi/sync/" path, CoreFixture, NULL, core_fixture_setup, func, \
              core_fixture_teardown)
  ADD ("sessions/new-device-after-receipts", test_new_device_after_receipts);
  ADD ("sessions/simultaneous-initiation", test_simultaneous_initiation);
  ADD ("sessions/own-devices-simultaneous", test_own_devices_simultaneous);
#undef ADD
  return g_test_run ();
}
