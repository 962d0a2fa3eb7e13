/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "globichat-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "globi-cli.h"
#include "globi-emvco.h"
#include "globi-money.h"
#include "globi-qr-code.h"
#include "globi-qr-scanner.h"
#include "globi-wallet.h"

/* GlobiPay commands: `wallet …` over the wallet routes, `pay …` for EMVCo codes. */

#define PIN_ENV     "GLOBICHAT_PIN"
#define NEW_PIN_ENV "GLOBICHAT_NEW_PIN"

static void
print_node (JsonNode *node)
{
  globi_cli_print_json (node);
}

static JsonNode *
transaction_node (GlobiTransaction *transaction)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, globi_transaction_get_json (transaction));
  return node;
}

static void
print_transaction_json (GlobiTransaction *transaction)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "transaction");
  json_builder_add_value (builder, transaction_node (transaction));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  print_node (root);
}

static char *
format_money (gint64 minor, const char *currency)
{
  return globi_money_format (minor, currency, GLOBI_MONEY_FORMAT_SYMBOL);
}

/* AMOUNT CURRENCY → minor units, or a usage error printed. */
static gboolean
parse_amount (GlobiCli *cli,
              const char *amount,
              const char *currency_arg,
              char **currency,
              gint64 *minor,
              int *status)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *code = g_ascii_strup (currency_arg, -1);

  if (!globi_currency_is_known (code))
    {
      g_autofree char *msg = g_strdup_printf (_ ("Unknown currency “%s”"), currency_arg);

      *status = globi_cli_usage_error (cli, msg);
      return FALSE;
    }
  if (!globi_money_parse (amount, code, minor, &error) || *minor <= 0)
    {
      *status =
          globi_cli_usage_error (cli, error ? error->message : _ ("The amount must be above zero"));
      return FALSE;
    }
  *currency = g_steal_pointer (&code);
  return TRUE;
}

static char *
get_pin (const char *prompt)
{
  return globi_cli_get_password (PIN_ENV, prompt, FALSE);
}

static int
restore_wallet (GlobiCli *cli, GlobiWallet **out)
{
  int status;

  if ((status = globi_cli_restore (cli)) != GLOBI_CLI_EXIT_OK)
    return status;
  *out = globi_wallet_new (cli->session);
  return GLOBI_CLI_EXIT_OK;
}

static int
wallet_await_ok (GlobiCli *cli, GlobiWallet *wallet)
{
  g_autoptr (GAsyncResult) result = globi_cli_await (cli);
  g_autoptr (GError) error = NULL;

  if (!globi_wallet_finish (wallet, result, &error))
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  return GLOBI_CLI_EXIT_OK;
}

/* Posts the transaction's card in the chat, as the app does; the money has moved
 * already, so a failure here is reported but does not fail the command. */
static void
post_card (GlobiCli *cli, GlobiMessenger *messenger, GlobiTransaction *transaction)
{
  g_autoptr (JsonObject) card = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GlobiMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  const char *kind = NULL;

  if (!messenger || !globi_transaction_get_chat_id (transaction))
    return;
  card = globi_wallet_card_for_transaction (transaction, &kind);
  globi_messenger_send_card_async (messenger, globi_transaction_get_chat_id (transaction), kind,
                                   card, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  message = globi_messenger_send_finish (messenger, result, &error);
  if (!message)
    {
      g_printerr (_ ("globichat-cli: the card was not posted in the chat: %s\n"), error->message);
      return;
    }
  /* Queued is not sent: wait until the outbox has handed it to the server. */
  g_clear_object (&result);
  globi_messenger_flush_async (messenger, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  globi_messenger_finish (messenger, result, NULL);
  if (globi_message_get_state (message) == GLOBI_DELIVERY_STATE_PENDING)
    g_printerr ("%s\n", _ ("globichat-cli: the card waits in the outbox; the next messaging "
                           "command sends it"));
}

/* Awaits an operation that finishes with a transaction, posts its card when a messenger
 * is given, and prints it. */
static int
finish_transaction (GlobiCli *cli, GlobiWallet *wallet, GlobiMessenger *messenger, const char *verb)
{
  g_autoptr (GAsyncResult) result = globi_cli_await (cli);
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiTransaction) transaction = NULL;

  transaction = globi_wallet_transaction_finish (wallet, result, &error);
  if (transaction)
    post_card (cli, messenger, transaction);
  globi_cli_flush_session (cli);
  if (!transaction)
    return globi_cli_fail_with_error (cli, error);
  if (cli->json)
    print_transaction_json (transaction);
  else
    {
      g_autofree char *text = format_money (globi_transaction_get_minor (transaction),
                                            globi_transaction_get_currency (transaction));

      /* TRANSLATORS: "Sent $12.00 (pending) ID" */
      g_print (_ ("%s %s (%s) %s\n"), verb, text, globi_transaction_get_state (transaction),
               globi_transaction_get_id (transaction));
    }
  return GLOBI_CLI_EXIT_OK;
}

static int
lookup_user_id (GlobiCli *cli, const char *who, char **user_id)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiProfile) user = NULL;

  globi_session_lookup_user_async (cli->session, who, NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  user = globi_session_lookup_user_finish (cli->session, result, &error);
  if (!user)
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  *user_id = g_strdup (globi_profile_get_id (user));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_wallet_balance (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiWallet) wallet = NULL;
  GArray *balances;
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("wallet balance takes no arguments"));
  if ((status = restore_wallet (cli, &wallet)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_wallet_refresh_async (wallet, NULL, globi_cli_on_done_cb, cli);
  if ((status = wallet_await_ok (cli, wallet)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_cli_flush_session (cli);

  balances = globi_wallet_get_balances (wallet);
  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "balances");
      json_builder_begin_array (builder);
      for (guint i = 0; i < balances->len; i++)
        {
          GlobiBalance *balance = &g_array_index (balances, GlobiBalance, i);

          json_builder_add_value (builder, globi_money_to_json (balance->minor, balance->currency));
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      print_node (root);
      return GLOBI_CLI_EXIT_OK;
    }
  for (guint i = 0; i < balances->len; i++)
    {
      GlobiBalance *balance = &g_array_index (balances, GlobiBalance, i);
      g_autofree char *text = format_money (balance->minor, balance->currency);

      g_print ("%s  %s\n", balance->currency, text);
    }
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_wallet_history (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiWallet) wallet = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autofree char *next = NULL;
  const char *kind = NULL, *currency = NULL, *state = NULL, *before = NULL, *limit = NULL;
  guint64 n = 0;
  int status;

  globi_cli_take_option (&argc, argv, "--kind", &kind);
  globi_cli_take_option (&argc, argv, "--currency", &currency);
  globi_cli_take_option (&argc, argv, "--state", &state);
  globi_cli_take_option (&argc, argv, "--before", &before);
  globi_cli_take_option (&argc, argv, "--limit", &limit);
  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("wallet history takes only options"));
  if (limit && (!g_ascii_string_to_unsigned (limit, 10, 1, 100, &n, NULL)))
    return globi_cli_usage_error (cli, _ ("--limit takes a number from 1 to 100"));
  if ((status = restore_wallet (cli, &wallet)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_wallet_list_async (wallet, kind, currency, state, before, (guint) n, NULL,
                           globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  items = globi_wallet_list_finish (wallet, result, &next, &error);
  globi_cli_flush_session (cli);
  if (!items)
    return globi_cli_fail_with_error (cli, error);

  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "transactions");
      json_builder_begin_array (builder);
      for (guint i = 0; i < items->len; i++)
        json_builder_add_value (builder, transaction_node (g_ptr_array_index (items, i)));
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "next");
      if (next)
        json_builder_add_string_value (builder, next);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      print_node (root);
      return GLOBI_CLI_EXIT_OK;
    }
  for (guint i = 0; i < items->len; i++)
    {
      GlobiTransaction *t = g_ptr_array_index (items, i);
      gboolean out = globi_transaction_is_outgoing (t, globi_wallet_get_user_id (wallet));
      g_autofree char *when = globi_cli_format_time (globi_transaction_get_created_at (t));
      g_autofree char *amount =
          format_money (globi_transaction_get_minor (t), globi_transaction_get_currency (t));
      const char *other =
          out ? globi_transaction_get_to_name (t) : globi_transaction_get_from_name (t);

      g_print ("%s  %-10s %-9s %s%-14s %s  %s\n", when, globi_transaction_get_kind (t),
               globi_transaction_get_state (t), out ? "-" : "+", amount, globi_cli_or_empty (other),
               globi_transaction_get_id (t));
    }
  if (next)
    g_print (_ ("More: --before %s\n"), next);
  return GLOBI_CLI_EXIT_OK;
}

/* wallet transfer / request USERNAME AMOUNT CURRENCY [--note N] */
static int
send_money (GlobiCli *cli, int argc, char **argv, gboolean request)
{
  g_autoptr (GlobiMessenger) messenger = NULL;
  g_autoptr (GlobiWallet) wallet = NULL;
  g_autoptr (GlobiCliPassword) pin = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *currency = NULL;
  g_autofree char *chat_id = NULL;
  const char *note = NULL;
  gint64 minor = 0;
  int status;

  globi_cli_take_option (&argc, argv, "--note", &note);
  if (argc != 3)
    return globi_cli_usage_error (cli, request
                                           ? _ ("wallet request takes USERNAME AMOUNT CURRENCY")
                                           : _ ("wallet transfer takes USERNAME AMOUNT CURRENCY"));
  if (!parse_amount (cli, argv[1], argv[2], &currency, &minor, &status))
    return status;
  if (note && g_utf8_strlen (note, -1) > 100)
    return globi_cli_usage_error (cli, _ ("The note holds at most 100 characters"));
  if (!request)
    {
      pin = get_pin (_ ("Payment PIN: "));
      if (!globi_wallet_pin_is_valid (pin))
        return globi_cli_usage_error (
            cli, _ ("The payment PIN is 6 digits (set GLOBICHAT_PIN or type it on a terminal)"));
    }
  /* The messenger posts the card in the chat, as the app does. */
  if ((status = globi_cli_open_messenger (cli, &messenger)) != GLOBI_CLI_EXIT_OK)
    return status;
  wallet = globi_wallet_new (cli->session);
  if ((status = lookup_user_id (cli, argv[0], &user_id)) != GLOBI_CLI_EXIT_OK)
    return status;

  chat_id = g_strconcat ("u:", user_id, NULL);
  if (request)
    {
      globi_wallet_request_async (wallet, NULL, user_id, currency, minor, note, chat_id, NULL,
                                  globi_cli_on_done_cb, cli);
      return finish_transaction (cli, wallet, messenger, _ ("Requested"));
    }
  globi_wallet_transfer_async (wallet, NULL, user_id, currency, minor, note, pin, chat_id, NULL,
                               globi_cli_on_done_cb, cli);
  return finish_transaction (cli, wallet, messenger, _ ("Sent"));
}

static int
cmd_wallet_transfer (GlobiCli *cli, int argc, char **argv)
{
  return send_money (cli, argc, argv, FALSE);
}

static int
cmd_wallet_request (GlobiCli *cli, int argc, char **argv)
{
  return send_money (cli, argc, argv, TRUE);
}

/* Accepts a transfer to me, or pays a request made of me (PIN). */
static int
cmd_wallet_accept (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiWallet) wallet = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiTransaction) transaction = NULL;
  int status;

  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("wallet accept takes one transaction ID"));
  if ((status = restore_wallet (cli, &wallet)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_wallet_get_transaction_async (wallet, argv[0], NULL, globi_cli_on_done_cb, cli);
  result = globi_cli_await (cli);
  transaction = globi_wallet_transaction_finish (wallet, result, &error);
  if (!transaction)
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail_with_error (cli, error);
    }
  if (g_strcmp0 (globi_transaction_get_kind (transaction), GLOBI_TRANSACTION_REQUEST) == 0)
    {
      g_autoptr (GlobiCliPassword) pin = get_pin (_ ("Payment PIN: "));

      if (!globi_wallet_pin_is_valid (pin))
        return globi_cli_usage_error (
            cli, _ ("The payment PIN is 6 digits (set GLOBICHAT_PIN or type it on a terminal)"));
      globi_wallet_pay_request_async (wallet, argv[0], pin, NULL, globi_cli_on_done_cb, cli);
      return finish_transaction (cli, wallet, NULL, _ ("Paid"));
    }
  globi_wallet_accept_async (wallet, argv[0], NULL, globi_cli_on_done_cb, cli);
  return finish_transaction (cli, wallet, NULL, _ ("Accepted"));
}

static int
cmd_wallet_convert (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiWallet) wallet = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *rate = NULL;
  g_autofree char *from_text = NULL;
  g_autofree char *to_text = NULL;
  gint64 minor = 0, converted = 0;
  int status;

  to = g_ascii_strup (argc > 2 ? argv[2] : "", -1);
  if (argc != 3)
    return globi_cli_usage_error (cli, _ ("wallet convert takes AMOUNT FROM TO"));
  if (!parse_amount (cli, argv[0], argv[1], &from, &minor, &status))
    return status;
  if (!globi_currency_is_known (to))
    {
      g_autofree char *msg = g_strdup_printf (_ ("Unknown currency “%s”"), argv[2]);
      return globi_cli_usage_error (cli, msg);
    }
  if ((status = restore_wallet (cli, &wallet)) != GLOBI_CLI_EXIT_OK)
    return status;

  globi_wallet_load_rates_async (wallet, NULL, globi_cli_on_done_cb, cli);
  if ((status = wallet_await_ok (cli, wallet)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_cli_flush_session (cli);
  if (!globi_wallet_convert (wallet, minor, from, to, &converted, &error))
    return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, "no_rate", error->message);

  rate = globi_wallet_dup_rate (wallet, from, to);
  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "amount");
      json_builder_add_value (builder, globi_money_to_json (minor, from));
      json_builder_set_member_name (builder, "converted");
      json_builder_add_value (builder, globi_money_to_json (converted, to));
      json_builder_set_member_name (builder, "rate");
      json_builder_add_string_value (builder, globi_cli_or_empty (rate));
      json_builder_set_member_name (builder, "rate_date");
      json_builder_add_string_value (builder, globi_wallet_get_rates_date (wallet));
      json_builder_set_member_name (builder, "source");
      json_builder_add_string_value (builder,
                                     globi_cli_or_empty (globi_wallet_get_rates_source (wallet)));
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      print_node (root);
      return GLOBI_CLI_EXIT_OK;
    }
  from_text = format_money (minor, from);
  to_text = format_money (converted, to);
  /* TRANSLATORS: "$10.00 = €9.20 (1 USD = 0.92 EUR, rates of 2026-11-23)" */
  g_print (_ ("%s = %s (1 %s = %s %s, rates of %s)\n"), from_text, to_text, from,
           globi_cli_or_empty (rate), to, globi_wallet_get_rates_date (wallet));
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_wallet_pin (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiWallet) wallet = NULL;
  g_autoptr (GlobiCliPassword) current = NULL;
  g_autoptr (GlobiCliPassword) fresh = NULL;
  int status;

  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("wallet pin takes no arguments"));
  if ((status = restore_wallet (cli, &wallet)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_wallet_refresh_async (wallet, NULL, globi_cli_on_done_cb, cli);
  if ((status = wallet_await_ok (cli, wallet)) != GLOBI_CLI_EXIT_OK)
    return status;

  if (globi_wallet_get_pin_set (wallet))
    {
      current = get_pin (_ ("Current payment PIN: "));
      if (!globi_wallet_pin_is_valid (current))
        return globi_cli_usage_error (
            cli, _ ("Changing the PIN needs the current one (GLOBICHAT_PIN, or a terminal)"));
    }
  fresh = globi_cli_get_password (NEW_PIN_ENV, _ ("New payment PIN (6 digits): "), TRUE);
  if (!globi_wallet_pin_is_valid (fresh))
    return globi_cli_usage_error (
        cli, _ ("The new PIN must be 6 digits (GLOBICHAT_NEW_PIN, or a terminal)"));

  globi_wallet_set_pin_async (wallet, fresh, current, NULL, globi_cli_on_done_cb, cli);
  status = wallet_await_ok (cli, wallet);
  globi_cli_flush_session (cli);
  if (status != GLOBI_CLI_EXIT_OK)
    return status;
  if (cli->json)
    globi_cli_print_simple_json ("pin_set", NULL);
  else
    g_print ("%s\n", _ ("Payment PIN set"));
  return GLOBI_CLI_EXIT_OK;
}

/* pay */

static const char *
emvco_error_code (const GError *error)
{
  static const char *const codes[] = {
    [GLOBI_EMVCO_ERROR_TOO_LONG] = "too_long",
    [GLOBI_EMVCO_ERROR_NOT_UTF8] = "not_utf8",
    [GLOBI_EMVCO_ERROR_TRUNCATED] = "truncated",
    [GLOBI_EMVCO_ERROR_BAD_ID] = "bad_id",
    [GLOBI_EMVCO_ERROR_BAD_LENGTH] = "bad_length",
    [GLOBI_EMVCO_ERROR_DUPLICATE] = "duplicate",
    [GLOBI_EMVCO_ERROR_MISSING_FORMAT] = "missing_format",
    [GLOBI_EMVCO_ERROR_MISSING_CRC] = "missing_crc",
    [GLOBI_EMVCO_ERROR_BAD_CRC] = "bad_crc",
    [GLOBI_EMVCO_ERROR_INVALID_VALUE] = "invalid_value",
  };

  if (error->domain == GLOBI_EMVCO_ERROR && error->code >= 0 &&
      (gsize) error->code < G_N_ELEMENTS (codes))
    return codes[error->code];
  return "invalid";
}

static void add_fields (JsonBuilder *builder, GPtrArray *fields);

static void
add_field_object (JsonBuilder *builder, GPtrArray *fields)
{
  json_builder_begin_object (builder);
  add_fields (builder, fields);
  json_builder_end_object (builder);
}

static void
add_fields (JsonBuilder *builder, GPtrArray *fields)
{
  for (guint i = 0; i < fields->len; i++)
    {
      GlobiEmvcoField *field = g_ptr_array_index (fields, i);

      json_builder_set_member_name (builder, field->id);
      if (field->children)
        add_field_object (builder, field->children);
      else
        json_builder_add_string_value (builder, field->value);
    }
}

static void
add_string_or_null (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_code_json (const GlobiEmvcoCode *code)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  /* The fields by ID ("59": "Fulano", "26": {"00": ...}), then what they mean. */
  json_builder_begin_object (builder);
  add_fields (builder, code->fields);
  json_builder_set_member_name (builder, "crc_valid");
  json_builder_add_boolean_value (builder, code->crc_valid);
  json_builder_set_member_name (builder, "payable");
  json_builder_add_boolean_value (builder, code->globipay);
  add_string_or_null (builder, "scheme", code->scheme);
  add_string_or_null (builder, "payee_id", code->payee_id);
  add_string_or_null (builder, "payee_name", code->payee_name);
  add_string_or_null (builder, "currency",
                      code->currency ? globi_emvco_currency_from_numeric (code->currency) : NULL);
  add_string_or_null (builder, "amount", code->amount);
  add_string_or_null (builder, "note", code->note);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  globi_cli_print_json (root);
}

static void
print_code_text (const GlobiEmvcoCode *code)
{
  const char *currency = code->currency ? globi_emvco_currency_from_numeric (code->currency) : NULL;

  g_print (_ ("Payee:    %s\n"), globi_cli_or_empty (code->payee_name));
  if (code->city)
    g_print (_ ("City:     %s\n"), code->city);
  if (code->amount)
    g_print (_ ("Amount:   %s %s\n"), code->amount,
             currency ? currency : globi_cli_or_empty (code->currency));
  if (code->note)
    g_print (_ ("Note:     %s\n"), code->note);
  g_print (_ ("Scheme:   %s\n"), code->scheme ? code->scheme : _ ("unknown"));
  if (!code->globipay)
    g_print ("%s\n", _ ("Not payable with GlobiPay"));
}

/* Parses text, reporting a broken one; *code stays NULL then. */
static int
decode_code (GlobiCli *cli, const char *text, GlobiEmvcoCode **out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlobiEmvcoCode) code = globi_emvco_parse (text, &error);

  if (!code)
    return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, emvco_error_code (error), error->message);
  *out = g_steal_pointer (&code);
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_pay_decode (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiEmvcoCode) code = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("pay decode takes one STRING"));
  if ((status = decode_code (cli, argv[0], &code)) != GLOBI_CLI_EXIT_OK)
    return status;

  /* The fields are printed either way, so a script sees what the broken code holds. */
  if (cli->json)
    print_code_json (code);
  else
    print_code_text (code);

  g_clear_pointer (&code, globi_emvco_code_free);
  if (!(code = globi_emvco_decode (argv[0], &error)))
    return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, emvco_error_code (error), error->message);
  return GLOBI_CLI_EXIT_OK;
}

static int
cmd_pay_code (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiWallet) wallet = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *currency = NULL;
  const char *amount = NULL, *currency_arg = NULL, *note = NULL, *png = NULL;
  gint64 minor = 0;
  int status;

  globi_cli_take_option (&argc, argv, "--amount", &amount);
  globi_cli_take_option (&argc, argv, "--currency", &currency_arg);
  globi_cli_take_option (&argc, argv, "--note", &note);
  globi_cli_take_option (&argc, argv, "--png", &png);
  if (argc != 0)
    return globi_cli_usage_error (cli, _ ("pay code takes only options"));
  if (amount && !currency_arg)
    return globi_cli_usage_error (cli, _ ("--amount needs --currency"));
  if (currency_arg &&
      !parse_amount (cli, amount ? amount : "1", currency_arg, &currency, &minor, &status))
    return status;
  if (!amount)
    minor = 0;
  if ((status = restore_wallet (cli, &wallet)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_cli_flush_session (cli);

  text = globi_wallet_dup_receive_code (wallet, currency, minor, note, &error);
  if (!text)
    return globi_cli_fail (cli, GLOBI_CLI_EXIT_USAGE, "invalid", error->message);
  if (png)
    {
      g_autoptr (GlobiQrCode) qr = globi_qr_code_new (text, GLOBI_QR_ECC_M, &error);

      if (!qr || !globi_qr_code_save_png (qr, png, globi_qr_code_scale_for (qr, 600), NULL, &error))
        return globi_cli_fail_with_error (cli, error);
    }
  if (cli->json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, text);
      add_string_or_null (builder, "png", png);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      globi_cli_print_json (root);
    }
  else
    g_print ("%s\n", text);
  return GLOBI_CLI_EXIT_OK;
}

static gboolean
confirm (const char *question)
{
  char answer[16] = "";

  if (!isatty (STDIN_FILENO))
    return FALSE;
  g_print ("%s [y/N] ", question);
  fflush (stdout);
  if (!fgets (answer, sizeof answer, stdin))
    return FALSE;
  return answer[0] == 'y' || answer[0] == 'Y';
}

/* pay scan FILE [--amount A --currency C] [--yes]: the code names the payee (and maybe
 * the amount); GlobiPay codes are paid after a confirmation. */
static int
cmd_pay_scan (GlobiCli *cli, int argc, char **argv)
{
  g_autoptr (GlobiWallet) wallet = NULL;
  g_autoptr (GlobiEmvcoCode) code = NULL;
  g_autoptr (GlobiCliPassword) pin = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *currency = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *question = NULL;
  g_autofree char *pay_currency = NULL;
  const char *amount = NULL, *currency_arg = NULL, *pay_with = NULL;
  gboolean yes;
  gint64 minor = 0, pay_minor = 0;
  int status;

  globi_cli_take_option (&argc, argv, "--amount", &amount);
  globi_cli_take_option (&argc, argv, "--currency", &currency_arg);
  globi_cli_take_option (&argc, argv, "--pay-currency", &pay_with);
  yes = globi_cli_take_switch (&argc, argv, "--yes");
  if (argc != 1)
    return globi_cli_usage_error (cli, _ ("pay scan takes one image FILE"));

  if (!(text = globi_qr_decode_file (argv[0], NULL, &error)))
    return globi_cli_fail (cli, GLOBI_CLI_EXIT_LOCAL, "no_code", error->message);
  if ((status = decode_code (cli, text, &code)) != GLOBI_CLI_EXIT_OK)
    return status;
  g_clear_pointer (&code, globi_emvco_code_free);
  if (!(code = globi_emvco_decode (text, &error)))
    return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, emvco_error_code (error), error->message);
  if (!code->globipay)
    {
      g_autofree char *msg = g_strdup_printf (_ ("Not payable with GlobiPay: a %s code for %s"),
                                              code->scheme ? code->scheme : _ ("foreign"),
                                              globi_cli_or_empty (code->payee_name));
      if (!cli->json)
        print_code_text (code);
      return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, "not_payable", msg);
    }

  /* The code's amount wins; without one the payer says how much. */
  if (code->amount)
    {
      const char *alpha = globi_emvco_currency_from_numeric (code->currency);

      if (!alpha || !parse_amount (cli, code->amount, alpha, &currency, &minor, &status))
        return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, "invalid_value",
                               _ ("The code's amount or currency is not one GlobiPay knows"));
    }
  else if (!amount || !currency_arg)
    return globi_cli_usage_error (cli, _ ("This code has no amount: give --amount A --currency C"));
  else if (!parse_amount (cli, amount, currency_arg, &currency, &minor, &status))
    return status;

  if ((status = restore_wallet (cli, &wallet)) != GLOBI_CLI_EXIT_OK)
    return status;
  globi_wallet_refresh_async (wallet, NULL, globi_cli_on_done_cb, cli);
  if ((status = wallet_await_ok (cli, wallet)) != GLOBI_CLI_EXIT_OK)
    return status;

  /* The payee receives the code's currency; I pay in it when I hold enough, else in
   * --pay-currency or my preferred one at the current rate. */
  pay_currency =
      g_ascii_strup (pay_with ? pay_with
                     : globi_wallet_get_balance (wallet, currency) >= minor
                         ? currency
                         : globi_cli_or_empty (globi_wallet_get_preferred_currency (wallet)),
                     -1);
  pay_minor = minor;
  if (!globi_currency_is_known (pay_currency))
    return globi_cli_usage_error (cli, _ ("Unknown currency for --pay-currency"));
  if (!g_str_equal (pay_currency, currency))
    {
      globi_wallet_load_rates_async (wallet, NULL, globi_cli_on_done_cb, cli);
      if ((status = wallet_await_ok (cli, wallet)) != GLOBI_CLI_EXIT_OK)
        return status;
      if (!globi_wallet_convert (wallet, minor, currency, pay_currency, &pay_minor, &error))
        return globi_cli_fail (cli, GLOBI_CLI_EXIT_REFUSED, "no_rate", error->message);
    }

  shown = format_money (pay_minor, pay_currency);
  if (g_str_equal (pay_currency, currency))
    question = g_strdup_printf (_ ("Pay %s to %s?"), shown, code->payee_name);
  else
    {
      g_autofree char *receives = format_money (minor, currency);
      question = g_strdup_printf (_ ("Pay ≈ %s to %s (they receive %s)?"), shown, code->payee_name,
                                  receives);
    }
  if (!yes && !confirm (question))
    {
      globi_cli_flush_session (cli);
      return globi_cli_fail (cli, GLOBI_CLI_EXIT_USAGE, "not_confirmed",
                             _ ("Not paid: confirm on a terminal or pass --yes"));
    }
  pin = get_pin (_ ("Payment PIN: "));
  if (!globi_wallet_pin_is_valid (pin))
    {
      globi_cli_flush_session (cli);
      return globi_cli_usage_error (
          cli, _ ("The payment PIN is 6 digits (set GLOBICHAT_PIN or type it on a terminal)"));
    }

  globi_wallet_pay_async (wallet, NULL, code->payee_id, pay_currency, pay_minor, currency,
                          code->note, pin, NULL, globi_cli_on_done_cb, cli);
  return finish_transaction (cli, wallet, NULL, _ ("Paid"));
}

const GlobiCliCommand globi_cli_wallet_commands[] = {
  { "wallet balance", "wallet balance",
    N_ ("Balance per currency (the starter balance on first use)"), cmd_wallet_balance },
  { "wallet history",
    "wallet history [--kind K] [--currency C] [--state S] [--limit N] [--before CURSOR]",
    N_ ("Transactions, newest first"), cmd_wallet_history },
  { "wallet transfer", "wallet transfer USERNAME AMOUNT CURRENCY [--note N]",
    N_ ("Sends money to a friend (PIN from GLOBICHAT_PIN or a prompt); they accept it within 24 h"),
    cmd_wallet_transfer },
  { "wallet request", "wallet request USERNAME AMOUNT CURRENCY [--note N]",
    N_ ("Asks a friend to pay you"), cmd_wallet_request },
  { "wallet accept", "wallet accept ID",
    N_ ("Accepts a transfer to you, or pays a request made of you (PIN)"), cmd_wallet_accept },
  { "wallet convert", "wallet convert AMOUNT FROM TO",
    N_ ("Converts at the server's current rates; prints the rate and its date"),
    cmd_wallet_convert },
  { "wallet pin", "wallet pin",
    N_ ("Sets or changes the 6-digit payment PIN (GLOBICHAT_NEW_PIN, GLOBICHAT_PIN for the current "
        "one)"),
    cmd_wallet_pin },
  { "pay decode", "pay decode STRING",
    N_ ("Shows an EMVCo payment code's fields and checks its CRC"), cmd_pay_decode },
  { "pay code", "pay code [--amount A --currency C] [--note N] [--png FILE]",
    N_ ("Prints my receive code (and saves it as a QR image)"), cmd_pay_code },
  { "pay scan", "pay scan FILE [--amount A --currency C] [--pay-currency C] [--yes]",
    N_ ("Reads the payment QR code in an image and pays it after a confirmation"), cmd_pay_scan },
  { NULL, NULL, NULL, NULL },
};
