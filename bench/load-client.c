/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "load-client"

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "globi-test-util.h"
#include "load-client.h"
#include "server-fixture.h"

#define READ_CHUNK (64 * 1024)

guint64
load_raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 0;
  limit.rlim_cur = limit.rlim_max;
  setrlimit (RLIMIT_NOFILE, &limit);
  getrlimit (RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

/* The child: a server until the parent closes the control pipe (or dies). */
static void
run_server (int report_fd, int control_fd, guint max_connections)
{
  Fixture f;
  gsize len;
  char byte;

  load_raise_fd_limit ();
  fixture_init (&f);
  f.config->max_connections = max_connections;
  fixture_start (&f);
  len = strlen (f.base_url) + 1;
  if (write (report_fd, f.base_url, len) != (gssize) len)
    _exit (1);
  close (report_fd);
  while (read (control_fd, &byte, 1) > 0 || errno == EINTR)
    ;
  g_clear_object (&f.session);
  fixture_stop (&f);
  globi_test_remove_tree (f.data_dir);
  _exit (0);
}

void
load_server_start (LoadServer *server, guint max_connections)
{
  int report[2], control[2];
  char url[256] = { 0 };
  const char *host, *colon;

  memset (server, 0, sizeof *server);
  g_assert_cmpint (pipe (report), ==, 0);
  g_assert_cmpint (pipe (control), ==, 0);
  server->pid = fork ();
  g_assert_cmpint (server->pid, >=, 0);
  if (server->pid == 0)
    {
      close (report[0]);
      close (control[1]);
      run_server (report[1], control[0], max_connections);
    }
  close (report[1]);
  close (control[0]);
  g_assert_cmpint (read (report[0], url, sizeof url - 1), >, 0);
  close (report[0]);
  server->control = control[1];
  server->base_url = g_strdup (url);
  /* http://127.0.0.1:PORT */
  host = strstr (url, "://") + 3;
  colon = strrchr (host, ':');
  server->host = g_strndup (host, colon - host);
  server->port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
}

void
load_server_stop (LoadServer *server)
{
  if (server->pid <= 0)
    return;
  close (server->control);
  waitpid (server->pid, NULL, 0);
  server->pid = 0;
  g_clear_pointer (&server->base_url, g_free);
  g_clear_pointer (&server->host, g_free);
}

gint64
load_server_rss_kib (LoadServer *server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) server->pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(line = strstr (text, "VmRSS:")))
    return -1;
  return g_ascii_strtoll (line + 6, NULL, 10);
}

static double
stat_cpu_s (const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) fields = NULL;
  const char *after_comm;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(after_comm = strrchr (text, ')')))
    return 0;
  /* Fields after "(comm)": state is 3, utime 14, stime 15 (proc(5)). */
  fields = g_strsplit (after_comm + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) /
         sysconf (_SC_CLK_TCK);
}

double
load_server_cpu_s (LoadServer *server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) server->pid);

  return stat_cpu_s (path);
}

GArray *
load_server_thread_cpu_s (LoadServer *server)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", (int) server->pid);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  GArray *threads = g_array_new (FALSE, TRUE, sizeof (LoadThreadCpu));
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *stat = g_build_filename (dir_path, name, "stat", NULL);
      g_autofree char *comm_path = g_build_filename (dir_path, name, "comm", NULL);
      g_autofree char *comm = NULL;
      LoadThreadCpu thread = { 0 };

      thread.tid = (int) g_ascii_strtoll (name, NULL, 10);
      thread.cpu_s = stat_cpu_s (stat);
      if (g_file_get_contents (comm_path, &comm, NULL, NULL))
        g_strlcpy (thread.name, g_strstrip (comm), sizeof thread.name);
      g_array_append_val (threads, thread);
    }
  return threads;
}

void
load_print_thread_cpu (
    GArray *before, GArray *after, double seconds, guint64 units, const char *unit)
{
  for (guint i = 0; i < after->len; i++)
    {
      LoadThreadCpu *a = &g_array_index (after, LoadThreadCpu, i);
      double cpu = a->cpu_s;

      for (guint j = 0; j < before->len; j++)
        if (g_array_index (before, LoadThreadCpu, j).tid == a->tid)
          cpu -= g_array_index (before, LoadThreadCpu, j).cpu_s;
      if (cpu / seconds < 0.02)
        continue;
      g_print ("    thread %d %-16s %3.0f%% of a core, %.1f us per %s\n", a->tid, a->name,
               cpu / seconds * 100, units ? cpu * 1e6 / units : 0.0, unit);
    }
}

static int
connect_to (LoadServer *server)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  g_assert_cmpint (fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (server->port);
  g_assert_cmpint (inet_pton (AF_INET, server->host, &addr.sin_addr), ==, 1);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      g_printerr ("connect: %s\n", g_strerror (errno));
      close (fd);
      return -1;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static LoadConn *
conn_new (int fd, LoadKind kind)
{
  LoadConn *conn = g_new0 (LoadConn, 1);

  conn->fd = fd;
  conn->kind = kind;
  conn->in = g_byte_array_new ();
  conn->out = g_byte_array_new ();
  return conn;
}

static void
set_nonblocking (int fd)
{
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
}

LoadConn *
load_http_connect (LoadServer *server)
{
  int fd = connect_to (server);

  if (fd < 0)
    return NULL;
  set_nonblocking (fd);
  return conn_new (fd, LOAD_HTTP);
}

void
load_http_post (LoadConn *conn, const char *path, const char *token, const char *body, gsize len)
{
  g_autofree char *head = g_strdup_printf (
      "POST %s HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer %s\r\n"
      "Content-Type: application/json\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
      path, token, len);

  g_byte_array_append (conn->out, (const guint8 *) head, strlen (head));
  g_byte_array_append (conn->out, (const guint8 *) body, len);
  conn->pending++;
}

LoadConn *
load_ws_connect (LoadServer *server, const char *token, gint64 after)
{
  g_autofree char *request = NULL;
  guint8 nonce[16];
  g_autofree char *key = NULL;
  char buf[4096];
  gsize have = 0;
  const char *end = NULL;
  LoadConn *conn;
  int fd = connect_to (server);

  if (fd < 0)
    return NULL;
  for (guint i = 0; i < sizeof nonce; i++)
    nonce[i] = g_random_int_range (0, 256);
  key = g_base64_encode (nonce, sizeof nonce);
  request = g_strdup_printf ("GET /v1/stream?after=%" G_GINT64_FORMAT " HTTP/1.1\r\n"
                             "Host: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                             "Authorization: Bearer %s\r\n\r\n",
                             after, key, token);
  if (write (fd, request, strlen (request)) != (gssize) strlen (request))
    goto fail;
  /* Byte by byte to the end of the headers: whatever follows is frames, left unread. */
  while (!end && have < sizeof buf - 1)
    {
      gssize n = read (fd, buf + have, 1);

      if (n <= 0)
        goto fail;
      have += n;
      buf[have] = 0;
      end = have >= 4 ? strstr (buf + have - 4, "\r\n\r\n") : NULL;
    }
  if (!end || strncmp (buf, "HTTP/1.1 101", 12) != 0)
    {
      g_printerr ("WebSocket handshake refused: %.40s\n", buf);
      goto fail;
    }
  set_nonblocking (fd);
  conn = conn_new (fd, LOAD_WEBSOCKET);
  return conn;

fail:
  close (fd);
  return NULL;
}

static void
ws_queue_frame (LoadConn *conn, guint8 opcode, const guint8 *payload, gsize len)
{
  guint8 head[14];
  gsize n = 0;
  guint32 mask = g_random_int ();
  const guint8 *m = (const guint8 *) &mask;
  guint start;

  head[n++] = 0x80 | opcode;
  if (len < 126)
    head[n++] = 0x80 | len;
  else if (len < 65536)
    {
      head[n++] = 0x80 | 126;
      head[n++] = len >> 8;
      head[n++] = len & 0xff;
    }
  else
    {
      head[n++] = 0x80 | 127;
      for (int i = 7; i >= 0; i--)
        head[n++] = ((guint64) len >> (8 * i)) & 0xff;
    }
  memcpy (head + n, m, 4);
  n += 4;
  g_byte_array_append (conn->out, head, n);
  start = conn->out->len;
  g_byte_array_append (conn->out, payload, len);
  for (gsize i = 0; i < len; i++)
    conn->out->data[start + i] ^= m[i % 4];
}

void
load_ws_send_text (LoadConn *conn, const char *text)
{
  ws_queue_frame (conn, 0x1, (const guint8 *) text, strlen (text));
}

void
load_conn_free (LoadConn *conn)
{
  if (!conn)
    return;
  if (conn->fd >= 0)
    close (conn->fd);
  g_byte_array_unref (conn->in);
  g_byte_array_unref (conn->out);
  g_free (conn);
}

void
load_loop_init (LoadLoop *loop)
{
  memset (loop, 0, sizeof *loop);
  loop->epfd = epoll_create1 (EPOLL_CLOEXEC);
  g_assert_cmpint (loop->epfd, >=, 0);
}

void
load_loop_clear (LoadLoop *loop)
{
  if (loop->epfd >= 0)
    close (loop->epfd);
  loop->epfd = -1;
}

static void
watch (LoadLoop *loop, LoadConn *conn, int op, gboolean want_out)
{
  struct epoll_event ev = { 0 };

  ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
  ev.data.ptr = conn;
  epoll_ctl (loop->epfd, op, conn->fd, &ev);
}

void
load_loop_add (LoadLoop *loop, LoadConn *conn)
{
  watch (loop, conn, EPOLL_CTL_ADD, FALSE);
}

static void
conn_closed (LoadLoop *loop, LoadConn *conn)
{
  if (conn->closed)
    return;
  conn->closed = TRUE;
  loop->n_closed++;
  epoll_ctl (loop->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
}

void
load_conn_flush (LoadLoop *loop, LoadConn *conn)
{
  while (conn->out_sent < conn->out->len && !conn->closed)
    {
      gssize n =
          write (conn->fd, conn->out->data + conn->out_sent, conn->out->len - conn->out_sent);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          if (!conn->want_out)
            watch (loop, conn, EPOLL_CTL_MOD, TRUE);
          conn->want_out = TRUE;
          return;
        }
      if (n <= 0)
        {
          conn_closed (loop, conn);
          return;
        }
      conn->out_sent += n;
    }
  g_byte_array_set_size (conn->out, 0);
  conn->out_sent = 0;
  if (conn->want_out && !conn->closed)
    watch (loop, conn, EPOLL_CTL_MOD, FALSE);
  conn->want_out = FALSE;
}

/* Whole responses at the start of conn->in, each handed to the callback. */
static void
parse_http (LoadLoop *loop, LoadConn *conn)
{
  gsize used = 0;

  while (conn->in->len - used > 12)
    {
      const char *start = (const char *) conn->in->data + used;
      gsize avail = conn->in->len - used;
      const char *end = g_strstr_len (start, avail, "\r\n\r\n");
      const char *cl;
      gsize head_len, body_len = 0;
      guint status;

      if (!end)
        break;
      head_len = end + 4 - start;
      status = (guint) g_ascii_strtoull (start + 9, NULL, 10);
      cl = g_strstr_len (start, head_len, "\r\nContent-Length: ");
      if (cl)
        body_len = g_ascii_strtoull (cl + 18, NULL, 10);
      if (avail < head_len + body_len)
        break;
      conn->pending--;
      if (loop->on_response)
        loop->on_response (conn, status, start + head_len, body_len, loop->user_data);
      used += head_len + body_len;
    }
  g_byte_array_remove_range (conn->in, 0, used);
}

/* Whole frames at the start of conn->in (server frames are never masked). */
static void
parse_ws (LoadLoop *loop, LoadConn *conn)
{
  gsize used = 0;

  while (conn->in->len - used >= 2)
    {
      const guint8 *p = conn->in->data + used;
      gsize avail = conn->in->len - used;
      guint8 opcode = p[0] & 0x0f;
      guint64 len = p[1] & 0x7f;
      gsize head = 2;

      if (len == 126)
        {
          if (avail < 4)
            break;
          len = (p[2] << 8) | p[3];
          head = 4;
        }
      else if (len == 127)
        {
          if (avail < 10)
            break;
          len = 0;
          for (int i = 0; i < 8; i++)
            len = (len << 8) | p[2 + i];
          head = 10;
        }
      if (avail < head + len)
        break;
      if (opcode == 0x1 && loop->on_frame)
        loop->on_frame (conn, (const char *) p + head, len, loop->user_data);
      else if (opcode == 0x9)
        {
          ws_queue_frame (conn, 0xA, p + head, len);
          load_conn_flush (loop, conn);
        }
      else if (opcode == 0x8)
        conn_closed (loop, conn);
      used += head + len;
    }
  g_byte_array_remove_range (conn->in, 0, used);
}

static void
handle_input (LoadLoop *loop, LoadConn *conn)
{
  for (;;)
    {
      guint old = conn->in->len;
      gssize n;

      g_byte_array_set_size (conn->in, old + READ_CHUNK);
      n = read (conn->fd, conn->in->data + old, READ_CHUNK);
      g_byte_array_set_size (conn->in, old + MAX (n, 0));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        break;
      if (n <= 0)
        {
          conn_closed (loop, conn);
          break;
        }
      if (n < READ_CHUNK)
        break;
    }
  if (conn->kind == LOAD_HTTP)
    parse_http (loop, conn);
  else
    parse_ws (loop, conn);
}

void
load_loop_run_once (LoadLoop *loop, int timeout_ms)
{
  struct epoll_event events[256];
  int n = epoll_wait (loop->epfd, events, G_N_ELEMENTS (events), timeout_ms);

  for (int i = 0; i < n; i++)
    {
      LoadConn *conn = events[i].data.ptr;

      if (conn->closed)
        continue;
      if (events[i].events & EPOLLOUT)
        load_conn_flush (loop, conn);
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        handle_input (loop, conn);
    }
}
