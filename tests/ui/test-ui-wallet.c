/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "globi-amount-entry.h"
#include "globi-payment-card.h"
#include "globi-payment-confirmation.h"
#include "globi-payment-dialog.h"
#include "globi-pin-dialog.h"
#include "globi-scan-dialog.h"
#include "globi-server-thread.h"
#include "globi-wallet-view.h"
#include "globi-window-private.h"
#include "ui-app-fixture.h"

#define PASSWORD "correct horse battery"
#define PIN      "246802"

/* GlobiPay through the real widgets: two people in one process against a real server.
 * GLOBI_UI_SHOTS=DIR saves PNGs of what the tests look at (the wallet page, the amount
 * entry converting, the confirmation mid-spring and settled, a transfer card, dark and
 * narrow). */

typedef UiPerson Person;

typedef struct
{
  UiServer srv;
  Person alice;
  Person bob;
} Fixture;

static void
save_shot (GtkWidget *widget, const char *name)
{
  const char *dir = g_getenv ("GLOBI_UI_SHOTS");
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width, height;

  if (!dir)
    return;
  /* Let a few frames be drawn before the picture (only when pictures are asked for). */
  {
    gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE);
  }
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  if (width <= 0 || height <= 0)
    return;
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (!node)
    return;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  gdk_texture_save_to_png (texture, path);
}

static void
person_start (Fixture *f, Person *p, const char *username, const char *display_name)
{
  static guint serial;
  /* Each test's applications export themselves on the bus: each its own id. */
  g_autofree char *app_id =
      g_strdup_printf ("org.globichat.GlobiChat.Wallet%s%u", display_name, ++serial);

  ui_person_start (p, f->srv.base_url, "globi-ui-wallet-XXXXXX", app_id, 1100, 760);
  ui_person_register (p, f->srv.base_url, username, PASSWORD, display_name);
}

typedef struct
{
  gboolean done;
  gboolean ok;
} Done;

static void
on_done_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Done *d = data;
  g_autoptr (GError) error = NULL;

  d->ok = globi_messenger_finish (GLOBI_MESSENGER (object), result, &error);
  g_assert_no_error (error);
  d->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Done *) data)->done;
}

static void
befriend (Person *a, Person *b)
{
  Done d = { 0 };

  globi_messenger_request_friend_async (
      a->window->messenger, globi_session_get_user_id (b->session), "hi", NULL, on_done_cb, &d);
  ui_wait_until (is_done, &d, 90, "the friend request");
  d.done = FALSE;
  globi_messenger_refresh_async (b->window->messenger, NULL, on_done_cb, &d);
  ui_wait_until (is_done, &d, 90, "Bob's refresh");
  d.done = FALSE;
  globi_messenger_accept_friend_async (b->window->messenger, globi_session_get_user_id (a->session),
                                       NULL, on_done_cb, &d);
  ui_wait_until (is_done, &d, 90, "the acceptance");
  d.done = FALSE;
  globi_messenger_refresh_async (a->window->messenger, NULL, on_done_cb, &d);
  ui_wait_until (is_done, &d, 90, "Alice's refresh");
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!ui_test_have_display ())
    return;
  g_setenv ("GLOBICHAT_CREDENTIALS", "file", TRUE);
  ui_server_start (&f->srv, "globi-ui-wallet-server-XXXXXX");
  person_start (f, &f->alice, "alice.pay", "Alice");
  person_start (f, &f->bob, "bob.pay", "Bob");
  befriend (&f->alice, &f->bob);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  ui_destroy_windows ();
  ui_person_clear (&f->alice);
  ui_person_clear (&f->bob);
  ui_server_stop (&f->srv);
  g_unsetenv ("GLOBICHAT_REDUCED_MOTION");
}

static GlobiWalletView *
wallet_view (Person *p)
{
  return GLOBI_WALLET_VIEW (gtk_stack_get_child_by_name (p->window->section_stack, "wallet"));
}

typedef struct
{
  GlobiWalletView *view;
  const char *text;
} BalanceSeek;

static gboolean
balance_is (gpointer data)
{
  BalanceSeek *s = data;

  return g_strcmp0 (globi_wallet_view_get_balance_text (s->view), s->text) == 0;
}

static gpointer
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static gboolean
chat_open (gpointer data)
{
  GlobiWindow *window = data;

  return globi_chats_view_get_chat (window->chats_view) != NULL;
}

static gboolean
payment_dialog_shown (gpointer data)
{
  return find_toplevel (GLOBI_TYPE_PAYMENT_DIALOG) != NULL;
}

static gboolean
find_by_tooltip_match (GtkWidget *widget, gpointer data)
{
  return g_strcmp0 (gtk_widget_get_tooltip_text (widget), data) == 0 &&
         gtk_widget_get_mapped (widget);
}

static GtkWidget *
find_by_tooltip (GtkWidget *widget, const char *tooltip)
{
  return ui_find_widget (widget, find_by_tooltip_match, (gpointer) tooltip);
}

static gboolean
pin_dialog_shown (gpointer data)
{
  return find_toplevel (GLOBI_TYPE_PIN_DIALOG) != NULL;
}

static gboolean
pin_dialog_setup (gpointer data)
{
  return g_strcmp0 (globi_pin_dialog_get_page (data), "setup") == 0;
}

static gboolean
pin_dialog_done (gpointer data)
{
  GlobiPinDialog *dialog = find_toplevel (GLOBI_TYPE_PIN_DIALOG);

  return dialog && g_strcmp0 (globi_pin_dialog_get_page (dialog), "done") == 0;
}

static gboolean
find_card_match (GtkWidget *widget, gpointer data)
{
  return GLOBI_IS_PAYMENT_CARD (widget) && gtk_widget_get_mapped (widget);
}

static GlobiPaymentCard *
find_card (GtkWidget *widget)
{
  return (GlobiPaymentCard *) ui_find_widget (widget, find_card_match, NULL);
}

typedef struct
{
  Person *person;
  const char *state;
} CardSeek;

static gboolean
card_says (gpointer data)
{
  CardSeek *s = data;
  GlobiPaymentCard *card = find_card (GTK_WIDGET (s->person->window));

  return card && g_strcmp0 (globi_payment_card_get_state_text (card), s->state) == 0;
}

static void
test_wallet_page (Fixture *f, gconstpointer data)
{
  BalanceSeek seek = { NULL, "$1,000.00" };

  if (!ui_test_have_display ())
    return;
  globi_window_show_section (f->alice.window, "wallet");
  seek.view = wallet_view (&f->alice);
  ui_wait_until (balance_is, &seek, 90, "the starter balance on the wallet page");
  g_assert_cmpstr (globi_wallet_view_get_page (seek.view), ==, "main");
  save_shot (GTK_WIDGET (f->alice.window), "wallet-page.png");

  globi_wallet_view_show_page (seek.view, "history");
  g_assert_cmpstr (globi_wallet_view_get_page (seek.view), ==, "history");
  globi_wallet_view_show_page (seek.view, "main");

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  save_shot (GTK_WIDGET (f->alice.window), "wallet-page-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  gtk_window_set_default_size (GTK_WINDOW (f->alice.window), 400, 700);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  save_shot (GTK_WIDGET (f->alice.window), "wallet-page-narrow.png");
}

static gboolean
converted_shown (gpointer data)
{
  return globi_amount_entry_get_converted_text (data) != NULL;
}

/* The first transaction row on the shown wallet page. */
static GtkWidget *
first_action_row (GtkWidget *widget)
{
  if (ADW_IS_ACTION_ROW (widget) && gtk_widget_get_mapped (widget) &&
      g_object_get_data (G_OBJECT (widget), "transaction"))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *row = first_action_row (child);
      if (row)
        return row;
    }
  return NULL;
}

static gboolean
history_has_rows (gpointer data)
{
  return first_action_row (data) != NULL;
}

static void
test_transfer_card (Fixture *f, gconstpointer data)
{
  g_autofree char *bob_chat = NULL;
  g_autofree char *alice_chat = NULL;
  GlobiPaymentDialog *dialog;
  GtkWidget *plus;
  GtkWidget *item;
  GlobiAmountEntry *amount;
  GlobiPinDialog *pin;
  GlobiPaymentConfirmation *confirmation;
  GlobiPaymentCard *card;
  CardSeek at_bob = { &f->bob, "Accept within 24 hours" };
  CardSeek accepted_bob = { &f->bob, "Accepted" };
  CardSeek accepted_alice = { &f->alice, "Accepted" };
  BalanceSeek bob_balance = { NULL, "$1,012.50" };

  if (!ui_test_have_display ())
    return;
  /* Reduced motion: the confirmation shows its final state at once. */
  g_setenv ("GLOBICHAT_REDUCED_MOTION", "1", TRUE);
  bob_chat = g_strconcat ("u:", globi_session_get_user_id (f->bob.session), NULL);
  alice_chat = g_strconcat ("u:", globi_session_get_user_id (f->alice.session), NULL);
  globi_window_open_chat (f->alice.window, bob_chat);

  ui_wait_until (chat_open, f->alice.window, 90, "Alice's chat with Bob to open");
  /* The composer's "+" offers Transfer in a chat with a friend. */
  plus = find_by_tooltip (GTK_WIDGET (f->alice.window), "Send money");
  g_assert_nonnull (plus);
  g_signal_emit_by_name (plus, "clicked");
  item = ui_find_button (GTK_WIDGET (g_object_get_data (G_OBJECT (plus), "popover")), "_Transfer");
  g_assert_nonnull (item);
  g_assert_true (gtk_widget_get_visible (item));
  g_signal_emit_by_name (item, "clicked");
  ui_wait_until (payment_dialog_shown, NULL, 90, "the transfer dialog");
  dialog = find_toplevel (GLOBI_TYPE_PAYMENT_DIALOG);
  amount = globi_payment_dialog_get_amount_entry (dialog);
  g_assert_false (gtk_widget_get_sensitive (globi_payment_dialog_get_send_button (dialog)));
  /* Three decimals are too many for dollars: invalid, nothing to send. */
  globi_amount_entry_set_text (amount, "12.505");
  g_assert_false (globi_amount_entry_get_valid (amount));
  globi_amount_entry_set_text (amount, "12.50");
  g_assert_true (globi_amount_entry_get_valid (amount));
  g_assert_cmpint (globi_amount_entry_get_minor (amount), ==, 1250);
  globi_amount_entry_set_convert_to (amount, "EUR");
  ui_wait_until (converted_shown, amount, 90, "the live conversion to euros");
  g_assert_nonnull (g_strstr_len (globi_amount_entry_get_converted_text (amount), -1, "€"));
  globi_payment_dialog_set_note (dialog, "Dinner");
  save_shot (GTK_WIDGET (dialog), "amount-entry.png");
  g_assert_true (gtk_widget_get_sensitive (globi_payment_dialog_get_send_button (dialog)));
  gtk_widget_activate (globi_payment_dialog_get_send_button (dialog));

  /* No PIN yet: the PIN dialog sets one, then pays with it. */
  ui_wait_until (pin_dialog_shown, NULL, 90, "the PIN dialog");
  pin = find_toplevel (GLOBI_TYPE_PIN_DIALOG);
  ui_wait_until (pin_dialog_setup, pin, 90, "the PIN dialog to ask for a new PIN");
  globi_pin_dialog_enter (pin, PIN);
  ui_wait_until (pin_dialog_done, NULL, 90, "the payment to be confirmed");
  confirmation = GLOBI_PAYMENT_CONFIRMATION (globi_pin_dialog_get_confirmation (pin));
  g_assert_true (globi_payment_confirmation_get_finished (confirmation));
  g_assert_cmpstr (globi_payment_confirmation_get_amount_text (confirmation), ==, "$12.50");
  save_shot (GTK_WIDGET (pin), "confirmation-reduced-motion.png");
  gtk_window_close (GTK_WINDOW (pin));

  /* Bob's chat shows the card with Accept; accepting updates both cards. */
  globi_window_open_chat (f->bob.window, alice_chat);
  ui_wait_until (card_says, &at_bob, 90, "Bob to see the transfer card");
  card = find_card (GTK_WIDGET (f->bob.window));
  save_shot (GTK_WIDGET (f->bob.window), "transfer-card.png");
  g_assert_nonnull (globi_payment_card_get_action (card));
  gtk_widget_activate (GTK_WIDGET (globi_payment_card_get_action (card)));
  ui_wait_until (card_says, &accepted_bob, 90, "Bob's card to say Accepted");
  ui_wait_until (card_says, &accepted_alice, 90, "Alice's card to follow live");
  save_shot (GTK_WIDGET (f->alice.window), "transfer-card-accepted.png");

  globi_window_show_section (f->bob.window, "wallet");
  bob_balance.view = wallet_view (&f->bob);
  ui_wait_until (balance_is, &bob_balance, 90, "Bob's balance to include the transfer");
  save_shot (GTK_WIDGET (f->bob.window), "wallet-after-transfer.png");
  globi_wallet_view_show_page (bob_balance.view, "history");
  g_assert_cmpstr (globi_wallet_view_get_page (bob_balance.view), ==, "history");
  ui_wait_until (history_has_rows, f->bob.window, 90, "Bob's history");
  save_shot (GTK_WIDGET (f->bob.window), "wallet-history.png");
  g_signal_emit_by_name (first_action_row (GTK_WIDGET (f->bob.window)), "activated");
  g_assert_cmpstr (globi_wallet_view_get_page (bob_balance.view), ==, "detail");
  save_shot (GTK_WIDGET (f->bob.window), "wallet-detail.png");
}

static void
test_confirmation_motion (Fixture *f, gconstpointer data)
{
  GtkWidget *window;
  GlobiPaymentConfirmation *confirmation;
  double peak = 0, velocity = 0;
  g_autofree char *mid = NULL;

  if (!ui_test_have_display ())
    return;
  /* The spring overshoots, then settles at 1. */
  for (double t = 0; t < 1.5; t += 0.01)
    peak = MAX (peak, globi_payment_confirmation_spring_at (t, NULL));
  g_assert_cmpfloat (peak, >, 1.02);
  g_assert_cmpfloat (ABS (globi_payment_confirmation_spring_at (2.0, &velocity) - 1.0), <, 0.002);
  g_assert_cmpfloat (ABS (velocity), <, 0.05);
  g_assert_cmpfloat (globi_payment_confirmation_spring_at (0, NULL), ==, 0);

  window = globi_payment_confirmation_present (GTK_WIDGET (f->alice.window), "Sent to Bob", 123456,
                                               "USD", "They have 24 hours to accept it");
  confirmation = GLOBI_PAYMENT_CONFIRMATION (g_object_get_data (G_OBJECT (window), "confirmation"));
  g_assert_nonnull (confirmation);
  g_assert_false (globi_payment_confirmation_get_finished (confirmation));
  globi_payment_confirmation_seek (confirmation, 0.12);
  mid = g_strdup (globi_payment_confirmation_get_amount_text (confirmation));
  g_assert_cmpstr (mid, !=, "$1,234.56");
  g_assert_cmpfloat (globi_payment_confirmation_get_scale (confirmation), >, 0.1);
  save_shot (window, "confirmation-mid.png");
  globi_payment_confirmation_seek (confirmation, 3.0);
  g_assert_true (globi_payment_confirmation_get_finished (confirmation));
  g_assert_cmpstr (globi_payment_confirmation_get_amount_text (confirmation), ==, "$1,234.56");
  save_shot (window, "confirmation-final.png");

  /* GTK's enable-animations off (the desktop's reduced motion) shows the end at once. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  globi_payment_confirmation_play (confirmation, "Paid", 500, "JPY", NULL);
  g_assert_true (globi_payment_confirmation_get_finished (confirmation));
  g_assert_cmpstr (globi_payment_confirmation_get_amount_text (confirmation), ==, "¥500");
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", TRUE, NULL);
}

static gboolean
scan_pay_shown (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (g_object_get_data (window, "scan-pay") && gtk_widget_get_visible (GTK_WIDGET (window)))
        {
          *(GtkWidget **) data = GTK_WIDGET (window);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
is_status_titled (GtkWidget *widget, gpointer text)
{
  return ADW_IS_STATUS_PAGE (widget) &&
         g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (widget)), text) == 0;
}

static gboolean
shows_text (GtkWidget *widget, const char *text)
{
  return ui_find_widget (widget, is_status_titled, (gpointer) text) != NULL;
}

static gboolean
foreign_shown (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (gtk_widget_get_visible (window) && shows_text (window, "Not payable with GlobiPay"))
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  GlobiWallet *wallet;
  const char *currency;
  gint64 minor;
} WalletSeek;

static gboolean
wallet_holds (gpointer data)
{
  WalletSeek *s = data;

  return globi_wallet_get_balance (s->wallet, s->currency) == s->minor;
}

static void
test_scan_to_pay (Fixture *f, gconstpointer data)
{
  GlobiWallet *bob_wallet;
  g_autofree char *code = NULL;
  g_autoptr (GError) error = NULL;
  GlobiScanDialog *scan;
  GtkWidget *window = NULL;
  GtkWidget *pay;
  GlobiPinDialog *pin;
  WalletSeek bob_gets = { NULL, "USD", 250 + 100000 };

  if (!ui_test_have_display ())
    return;
  g_setenv ("GLOBICHAT_REDUCED_MOTION", "1", TRUE);
  bob_wallet = globi_wallet_get_for_messenger (f->bob.window->messenger);
  bob_gets.wallet = bob_wallet;
  globi_window_show_section (f->bob.window, "wallet");
  code = globi_wallet_dup_receive_code (bob_wallet, "USD", 250, "tea", &error);
  g_assert_no_error (error);

  /* What the scan dialog reads goes through the window's dispatcher to the wallet. */
  globi_window_show_section (f->alice.window, "wallet");
  scan = globi_scan_dialog_present (GTK_WIDGET (f->alice.window));
  globi_scan_dialog_take_text (scan, code);
  ui_wait_until (scan_pay_shown, &window, 90, "the payment window for Bob's code");
  save_shot (window, "scan-to-pay.png");
  pay = ui_find_button (window, "_Pay");
  g_assert_nonnull (pay);
  g_assert_true (gtk_widget_get_sensitive (pay));
  g_signal_emit_by_name (pay, "clicked");
  ui_wait_until (pin_dialog_shown, NULL, 90, "the PIN dialog");
  pin = find_toplevel (GLOBI_TYPE_PIN_DIALOG);
  ui_wait_until (pin_dialog_setup, pin, 90, "the PIN dialog to ask for a new PIN");
  globi_pin_dialog_enter (pin, PIN);
  ui_wait_until (pin_dialog_done, NULL, 90, "the QR payment to be confirmed");
  ui_wait_until (wallet_holds, &bob_gets, 90, "Bob to receive $2.50");
  gtk_window_close (GTK_WINDOW (pin));

  /* A PIX code is shown with its payee, not paid. */
  globi_wallet_view_open_payment_code (
      wallet_view (&f->alice),
      "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
      "5913Fulano de Tal6008BRASILIA62070503***63041D3D");
  ui_wait_until (foreign_shown, NULL, 90, "the foreign code to be shown as not payable");
}

static void
on_group_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  GlobiGroup **out = data;
  g_autoptr (GError) error = NULL;

  *out = globi_messenger_group_finish (GLOBI_MESSENGER (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
group_made (gpointer data)
{
  return *(GlobiGroup **) data != NULL;
}

static gboolean
card_starts_with (gpointer data)
{
  CardSeek *s = data;
  GlobiPaymentCard *card = find_card (GTK_WIDGET (s->person->window));

  return card && g_str_has_prefix (globi_payment_card_get_state_text (card), s->state);
}

static void
test_red_packet (Fixture *f, gconstpointer data)
{
  g_autoptr (GlobiGroup) group = NULL;
  g_autofree char *chat = NULL;
  const char *members[] = { globi_session_get_user_id (f->bob.session), NULL };
  GlobiPaymentDialog *dialog;
  GlobiPinDialog *pin;
  GtkWidget *plus;
  GtkWidget *item;
  GlobiPaymentCard *card;
  CardSeek unclaimed = { &f->bob, "Claimed 0 of 2" };
  CardSeek claimed = { &f->bob, "You got $" };

  if (!ui_test_have_display ())
    return;
  g_setenv ("GLOBICHAT_REDUCED_MOTION", "1", TRUE);
  globi_messenger_create_group_async (f->alice.window->messenger, "Lunch", members, NULL,
                                      on_group_cb, &group);
  ui_wait_until (group_made, &group, 90, "the group");
  chat = g_strconcat ("g:", globi_group_get_id (group), NULL);
  globi_window_open_chat (f->alice.window, chat);
  ui_wait_until (chat_open, f->alice.window, 90, "Alice's group chat to open");

  /* In a group the "+" offers a red packet, not a transfer. */
  plus = find_by_tooltip (GTK_WIDGET (f->alice.window), "Send money");
  g_signal_emit_by_name (plus, "clicked");
  g_assert_false (gtk_widget_get_visible (
      ui_find_button (GTK_WIDGET (g_object_get_data (G_OBJECT (plus), "popover")), "_Transfer")));
  item =
      ui_find_button (GTK_WIDGET (g_object_get_data (G_OBJECT (plus), "popover")), "_Red packet");
  g_assert_true (gtk_widget_get_visible (item));
  g_signal_emit_by_name (item, "clicked");
  ui_wait_until (payment_dialog_shown, NULL, 90, "the red packet dialog");
  dialog = find_toplevel (GLOBI_TYPE_PAYMENT_DIALOG);
  globi_amount_entry_set_text (globi_payment_dialog_get_amount_entry (dialog), "10");
  globi_payment_dialog_set_count (dialog, 2);
  globi_payment_dialog_set_note (dialog, "Best wishes");
  save_shot (GTK_WIDGET (dialog), "red-packet-dialog.png");
  g_signal_emit_by_name (globi_payment_dialog_get_send_button (dialog), "clicked");
  ui_wait_until (pin_dialog_shown, NULL, 90, "the PIN dialog");
  pin = find_toplevel (GLOBI_TYPE_PIN_DIALOG);
  ui_wait_until (pin_dialog_setup, pin, 90, "the PIN dialog to ask for a new PIN");
  globi_pin_dialog_enter (pin, PIN);
  ui_wait_until (pin_dialog_done, NULL, 90, "the red packet to be sent");
  gtk_window_close (GTK_WINDOW (pin));

  /* A random split (the default): Bob's share is anything from $0.01 to $9.99. */
  globi_window_open_chat (f->bob.window, chat);
  ui_wait_until (card_says, &unclaimed, 90, "Bob to see the red packet");
  card = find_card (GTK_WIDGET (f->bob.window));
  g_assert_nonnull (globi_payment_card_get_action (card));
  g_signal_emit_by_name (globi_payment_card_get_action (card), "clicked");
  ui_wait_until (card_starts_with, &claimed, 90, "Bob's share on the card");
  g_assert_nonnull (
      strstr (globi_payment_card_get_state_text (find_card (GTK_WIDGET (f->bob.window))),
              "claimed 1 of 2"));
  save_shot (GTK_WIDGET (f->bob.window), "red-packet-card.png");
}

int
main (int argc, char *argv[])
{
  ui_test_init (&argc, &argv);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add ("/globi/ui/wallet/page", Fixture, NULL, setup, test_wallet_page, teardown);
  g_test_add ("/globi/ui/wallet/transfer-card", Fixture, NULL, setup, test_transfer_card, teardown);
  g_test_add ("/globi/ui/wallet/confirmation-motion", Fixture, NULL, setup,
              test_confirmation_motion, teardown);
  g_test_add ("/globi/ui/wallet/scan-to-pay", Fixture, NULL, setup, test_scan_to_pay, teardown);
  g_test_add ("/globi/ui/wallet/red-packet", Fixture, NULL, setup, test_red_packet, teardown);
  return g_test_run ();
}
