/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* The load generator of the server benchmarks: the server runs in a forked child process
 * (so its CPU and memory are its own), the load comes from raw non-blocking sockets over
 * one epoll set with pre-built requests, so the generator costs little next to the
 * server it measures. HTTP/1.1 keep-alive with Content-Length bodies and RFC 6455
 * client frames only: what the benchmarks need, nothing more. */

typedef struct
{
  pid_t pid;
  int control; /* closing it tells the child to stop and clean up */
  char *base_url;
  char *host;
  guint port;
} LoadServer;

/* Raises RLIMIT_NOFILE's soft limit to the hard one; returns the new soft limit. */
guint64 load_raise_fd_limit (void);
/* Forks before any thread exists: the child runs the test-configured server (cheap
 * Argon2, max_connections) until load_server_stop. */
void load_server_start (LoadServer *server, guint max_connections);
void load_server_stop (LoadServer *server);
/* The child's VmRSS in KiB, -1 if unknown. */
gint64 load_server_rss_kib (LoadServer *server);
/* The child's CPU time (user + system) in seconds. */
double load_server_cpu_s (LoadServer *server);

typedef struct
{
  int tid;
  char name[32];
  double cpu_s;
} LoadThreadCpu;

/* The CPU time of each of the child's threads (LoadThreadCpu). */
GArray *load_server_thread_cpu_s (LoadServer *server);
/* Per-thread CPU between two snapshots, per unit of work (threads under 2% left out). */
void load_print_thread_cpu (GArray     *before,
                            GArray     *after,
                            double      seconds,
                            guint64     units,
                            const char *unit);

typedef enum
{
  LOAD_HTTP,
  LOAD_WEBSOCKET,
} LoadKind;

typedef struct _LoadConn LoadConn;

/* WebSocket text frame (whole, unfragmented): text is not NUL-terminated. */
typedef void (*LoadFrameFunc) (LoadConn *conn, const char *text, gsize len, gpointer user_data);
/* HTTP response: status and body (not NUL-terminated). */
typedef void (*LoadResponseFunc) (
    LoadConn *conn, guint status, const char *body, gsize len, gpointer user_data);

struct _LoadConn
{
  int fd;
  LoadKind kind;
  GByteArray *in;
  GByteArray *out;
  gsize out_sent;
  gboolean closed;
  gboolean want_out; /* registered for EPOLLOUT */
  guint pending;     /* HTTP requests without a response yet */
  gpointer data;     /* the caller's */
};

/* A keep-alive HTTP connection (blocking connect, then non-blocking). */
LoadConn *load_http_connect (LoadServer *server);
/* Queues a request (the caller flushes with load_conn_flush or load_loop_run). */
void
load_http_post (LoadConn *conn, const char *path, const char *token, const char *body, gsize len);
/* Opens /v1/stream with the handshake done synchronously; NULL on failure. */
LoadConn *load_ws_connect (LoadServer *server, const char *token, gint64 after);
/* Queues a masked text frame. */
void load_ws_send_text (LoadConn *conn, const char *text);
void load_conn_free (LoadConn *conn);

typedef struct
{
  int epfd;
  LoadFrameFunc on_frame;
  LoadResponseFunc on_response;
  gpointer user_data;
  guint n_closed;
} LoadLoop;

void load_loop_init (LoadLoop *loop);
void load_loop_clear (LoadLoop *loop);
void load_loop_add (LoadLoop *loop, LoadConn *conn);
/* Writes what is queued; registers for EPOLLOUT when the socket is full. */
void load_conn_flush (LoadLoop *loop, LoadConn *conn);
/* Waits up to timeout_ms for I/O and handles it (frames, responses, pings, closes). */
void load_loop_run_once (LoadLoop *loop, int timeout_ms);

G_END_DECLS
