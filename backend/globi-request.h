/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "globi-error.h"
#include "globi-server.h"

G_BEGIN_DECLS

/* One HTTP request on its way through a route: strict JSON parsing against a field
 * table, the Bearer-token check, and replies in the protocol's JSON. Handlers may reply
 * at once or later from a callback; the message is paused in between. Refcounted so
 * async callbacks can hold it; always used on the server's main context. */
typedef struct _GlobiRequest GlobiRequest;

typedef enum
{
  GLOBI_FIELD_STRING,
  GLOBI_FIELD_BOOLEAN,
  GLOBI_FIELD_OBJECT,
} GlobiFieldType;

typedef enum
{
  GLOBI_FIELD_REQUIRED      = 1 << 0,
  GLOBI_FIELD_COUNT_BYTES   = 1 << 1, /* limits count bytes, control characters allowed */
  GLOBI_FIELD_ALLOW_NEWLINE = 1 << 2,
  GLOBI_FIELD_NOT_BLANK     = 1 << 3, /* not only spaces */
} GlobiFieldFlags;

/* Returns NULL when value is fine, else what is wrong ("must be ..."). */
typedef const char *(*GlobiFieldCheck) (const char *value);

typedef struct _GlobiField GlobiField;
struct _GlobiField
{
  const char *name;
  GlobiFieldType type;
  GlobiFieldFlags flags;
  guint min;                  /* strings: characters (or bytes) */
  guint max;
  GlobiFieldCheck check;
  const GlobiField *children; /* objects: their fields, ending with a NULL name */
};

GlobiRequest      *globi_request_new              (GlobiServer        *server,
                                                   SoupServerMessage  *msg,
                                                   const char         *route);
GlobiRequest      *globi_request_ref              (GlobiRequest       *self);
void               globi_request_unref            (GlobiRequest       *self);
SoupServerMessage *globi_request_get_message      (GlobiRequest       *self);
GlobiServer       *globi_request_get_server       (GlobiRequest       *self);
const char        *globi_request_get_route        (GlobiRequest       *self);
/* Path parameters ("{id}") in the order they appear in the route. */
void               globi_request_add_param        (GlobiRequest       *self,
                                                   const char         *value);
const char        *globi_request_get_param        (GlobiRequest       *self,
                                                   guint               index);
const char        *globi_request_get_remote_host  (GlobiRequest       *self);
/* After globi_request_authenticate: the token's user and device. */
const char        *globi_request_get_user_id      (GlobiRequest       *self);
const char        *globi_request_get_device_id    (GlobiRequest       *self);
gboolean           globi_request_authenticate     (GlobiRequest       *self,
                                                   GError            **error);
GBytes            *globi_request_get_body         (GlobiRequest       *self);
/* Parses the body as a JSON object whose members all appear in fields. */
JsonObject        *globi_request_parse_json       (GlobiRequest       *self,
                                                   const GlobiField   *fields,
                                                   GError            **error);
gboolean           globi_request_has_replied      (GlobiRequest       *self);
/* Called by the dispatcher when the handler returned without replying. */
void               globi_request_leave_dispatch   (GlobiRequest       *self);

void               globi_request_reply_json       (GlobiRequest       *self,
                                                   guint               status,
                                                   JsonNode           *node);
void               globi_request_reply_empty      (GlobiRequest       *self,
                                                   guint               status);
void               globi_request_reply_bytes      (GlobiRequest       *self,
                                                   guint               status,
                                                   const char         *content_type,
                                                   GBytes             *bytes);
void               globi_request_reply_error      (GlobiRequest       *self,
                                                   const GError       *error);
void               globi_request_reply_error_code (GlobiRequest       *self,
                                                   GlobiErrorCode      code,
                                                   const char         *message);

/* The protocol's error object for error as JSON text, counted in the metrics, and its
 * HTTP status: what globi_request_reply_error answers, for replies that do not travel
 * as HTTP responses (sends over the stream). Anything but a public GLOBI_ERROR is
 * logged under route and shown as internal error. */
GBytes            *globi_error_reply_body         (GlobiServer        *server,
                                                   const char         *route,
                                                   const GError       *error,
                                                   guint              *out_status);

/* Validates obj against fields; messages name the field, prefixed for nested objects. */
gboolean           globi_json_check_fields        (JsonObject         *obj,
                                                   const GlobiField   *fields,
                                                   const char         *prefix,
                                                   GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiRequest, globi_request_unref)

G_END_DECLS
