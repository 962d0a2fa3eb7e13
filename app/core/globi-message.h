/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "globi-messaging-types.h"

G_BEGIN_DECLS

/* One item of a chat's history (plaintext, as kept in the local cache). The object is
 * shared: the same id gives the same GlobiMessage while anything holds it, and it is
 * updated in place (state, text after an edit, reactions) with notify.
 *
 * Properties (read-only, notify on change):
 * - id (UUIDv7 string), chat-id, sender-id (user id), sender-device-id
 * - kind (GlobiMessageKind), text (NULL for files without a caption)
 * - sent-at (gint64 Unix ms, the server's time; local time while PENDING), edited-at (0 when
 *   never edited)
 * - state (GlobiDeliveryState), outgoing (gboolean: sent by me, from any of my devices)
 * - reply-to (id or NULL), mentions (GStrv of user ids or NULL)
 * - reactions (JSON text: {"emoji": [user ids]}; NULL when none)
 * - attachment-name, attachment-type (MIME), attachment-size (gint64),
 *   attachment-progress (double 0..1 while uploading or downloading; 1 when done)
 * - forwarded (gboolean)
 * - card-kind (string: "transfer" | "request" | "red_packet" for a card, else NULL) */
#define GLOBI_TYPE_MESSAGE (globi_message_get_type ())
G_DECLARE_FINAL_TYPE (GlobiMessage, globi_message, GLOBI, MESSAGE, GObject)

const char         *globi_message_get_id                  (GlobiMessage *self);
const char         *globi_message_get_chat_id             (GlobiMessage *self);
const char         *globi_message_get_sender_id           (GlobiMessage *self);
const char         *globi_message_get_sender_device_id    (GlobiMessage *self);
GlobiMessageKind    globi_message_get_kind                (GlobiMessage *self);
const char         *globi_message_get_text                (GlobiMessage *self);
gint64              globi_message_get_sent_at             (GlobiMessage *self);
gint64              globi_message_get_edited_at           (GlobiMessage *self);
GlobiDeliveryState  globi_message_get_state               (GlobiMessage *self);
gboolean            globi_message_get_outgoing            (GlobiMessage *self);
const char         *globi_message_get_reply_to            (GlobiMessage *self);
const char * const *globi_message_get_mentions            (GlobiMessage *self);
const char         *globi_message_get_reactions           (GlobiMessage *self);
const char         *globi_message_get_attachment_name     (GlobiMessage *self);
const char         *globi_message_get_attachment_type     (GlobiMessage *self);
gint64              globi_message_get_attachment_size     (GlobiMessage *self);
double              globi_message_get_attachment_progress (GlobiMessage *self);
gboolean            globi_message_get_forwarded           (GlobiMessage *self);
/* GlobiPay cards (GLOBI_MESSAGE_KIND_CARD): the card object as sent, {"kind", ...};
 * NULL for other messages. The object belongs to the message: do not change it. */
const char         *globi_message_get_card_kind           (GlobiMessage *self);
JsonObject         *globi_message_get_card                (GlobiMessage *self);
/* The card as JSON text (what the cache stores; readable from any thread). */
const char         *globi_message_get_card_json           (GlobiMessage *self);

/* A card's largest serialized size (4 KiB). Returns the card's JSON text when kind is
 * one of the three and card (whose "kind", if any, must equal kind) fits; else NULL. */
#define GLOBI_MESSAGE_CARD_MAX_BYTES 4096
char               *globi_message_card_serialize          (const char   *kind,
                                                           JsonObject   *card);

/* `globichat-cli --json` form: {"id", "chat", "sender", "sender_id", "text", "sent_at",
 * "kind", "state"}; sender is the username when known (sender_username may be NULL). */
JsonNode           *globi_message_to_json                 (GlobiMessage *self,
                                                           const char   *sender_username);

/* For the core only (the cache and the messenger build and update messages). */
GlobiMessage       *globi_message_new                     (const char       *id,
                                                           const char       *chat_id,
                                                           const char       *sender_id,
                                                           GlobiMessageKind  kind,
                                                           const char       *text,
                                                           gint64            sent_at);
void                globi_message_set_state               (GlobiMessage       *self,
                                                           GlobiDeliveryState  state);
void                globi_message_set_text                (GlobiMessage *self,
                                                           const char   *text,
                                                           gint64        edited_at);
void                globi_message_set_kind                (GlobiMessage     *self,
                                                           GlobiMessageKind  kind);
void                globi_message_set_outgoing            (GlobiMessage *self,
                                                           gboolean      outgoing);
void                globi_message_set_sender_device_id    (GlobiMessage *self,
                                                           const char   *device_id);
void                globi_message_set_sent_at             (GlobiMessage *self,
                                                           gint64        sent_at);
void                globi_message_set_reply_to            (GlobiMessage *self,
                                                           const char   *reply_to);
void                globi_message_set_mentions            (GlobiMessage       *self,
                                                           const char * const *mentions);
void                globi_message_set_reactions           (GlobiMessage *self,
                                                           const char   *reactions_json);
void                globi_message_set_attachment          (GlobiMessage *self,
                                                           const char   *name,
                                                           const char   *content_type,
                                                           gint64        size);
void                globi_message_set_attachment_progress (GlobiMessage *self,
                                                           double        progress);
void                globi_message_set_forwarded           (GlobiMessage *self,
                                                           gboolean      forwarded);
void                globi_message_set_card_json           (GlobiMessage *self,
                                                           const char   *card_json);

G_END_DECLS
