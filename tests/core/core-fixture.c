/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sodium.h>

#include "core-fixture.h"
#include "globi-test-util.h"

void
core_fixture_setup (CoreFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->data_dir = g_dir_make_tmp ("globi-core-server-XXXXXX", &error);
  g_assert_no_error (error);
  f->tmp_dir = g_dir_make_tmp ("globi-core-client-XXXXXX", &error);
  g_assert_no_error (error);

  f->config = globi_server_config_new ();
  g_free (f->config->listen_address);
  f->config->listen_address = g_strdup ("127.0.0.1");
  f->config->port = 0;
  f->config->data_dir = g_strdup (f->data_dir);
  /* libsodium's minimum: the real code path, at test speed. */
  f->config->argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  f->config->argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  f->config->registrations_per_address = 1000;
  f->config->signin_failures_per_address = 1000;

  f->thread = globi_server_thread_new (f->config, &error);
  g_assert_no_error (error);
  f->base_url = globi_server_thread_dup_base_url (f->thread);
}

void
core_fixture_stop (CoreFixture *f)
{
  if (f->thread != NULL)
    globi_server_thread_stop (f->thread);
  g_clear_object (&f->thread);
}

void
core_fixture_teardown (CoreFixture *f, gconstpointer data)
{
  core_fixture_stop (f);
  /* Let finished tasks drop their references before the directories go. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&f->config, globi_server_config_free);
  g_clear_pointer (&f->base_url, g_free);
  globi_test_remove_tree (f->data_dir);
  globi_test_remove_tree (f->tmp_dir);
  g_clear_pointer (&f->data_dir, g_free);
  g_clear_pointer (&f->tmp_dir, g_free);
}

char *
core_fixture_profile (CoreFixture *f, const char *name)
{
  return g_build_filename (f->tmp_dir, name, NULL);
}

void
on_result_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

GAsyncResult *
wait_result (GAsyncResult **result_out)
{
  while (*result_out == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_steal_pointer (result_out);
}

void
session_register (GlobiSession *session,
                  const char *base_url,
                  const char *username,
                  const char *password)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  globi_session_register_async (session, base_url, username, password, username, NULL, on_result_cb,
                                &pending);
  result = wait_result (&pending);
  g_assert_true (globi_session_register_finish (session, result, &error));
  g_assert_no_error (error);
}

void
session_sign_in (GlobiSession *session,
                 const char *base_url,
                 const char *username,
                 const char *password)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;

  globi_session_sign_in_async (session, base_url, username, password, "Test device", NULL,
                               on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_session_sign_in_finish (session, result, &error));
  g_assert_no_error (error);
}

void
session_flush (GlobiSession *session)
{
  g_autoptr (GAsyncResult) result = NULL;
  GAsyncResult *pending = NULL;

  globi_session_flush_async (session, NULL, on_result_cb, &pending);
  result = wait_result (&pending);
  g_assert_true (globi_session_flush_finish (session, result, NULL));
}

static gint undecryptable;

static GLogWriterOutput
count_undecryptable (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        g_str_has_prefix (fields[i].value, "Rejected a message that does not decrypt"))
      g_atomic_int_inc (&undecryptable);
  return g_log_writer_default (level, fields, n_fields, data);
}

void
core_watch_undecryptable (void)
{
  g_log_set_writer_func (count_undecryptable, NULL, NULL);
}

gint
core_undecryptable (void)
{
  return g_atomic_int_get (&undecryptable);
}

void
core_reset_undecryptable (void)
{
  g_atomic_int_set (&undecryptable, 0);
}

gboolean
core_messages_have_text (GPtrArray *messages, const char *text)
{
  for (guint i = 0; i < messages->len; i++)
    if (g_strcmp0 (globi_message_get_text (g_ptr_array_index (messages, i)), text) == 0)
      return TRUE;
  return FALSE;
}
