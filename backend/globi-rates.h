/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _GlobiServer GlobiServer;

/* Currency rates for GlobiPay: units of each currency per 1 EUR, as exact decimal strings
 * (docs/payments.md). Providers fetch rate sets behind one small interface; the service
 * keeps the newest set (a snapshot compiled into the server until something fresher is
 * stored or fetched), refreshes on a schedule, stores new sets and tells every device. */

#define GLOBI_RATES_MAX_BYTES (1024 * 1024)

/* An immutable, refcounted set of rates. */
typedef struct _GlobiRateSet GlobiRateSet;

GlobiRateSet *globi_rate_set_ref        (GlobiRateSet *set);
void          globi_rate_set_unref      (GlobiRateSet *set);
const char   *globi_rate_set_get_date   (GlobiRateSet *set);
const char   *globi_rate_set_get_source (GlobiRateSet *set);
/* The rate of code per EUR ("1" for EUR), or NULL when the set lacks it. */
const char   *globi_rate_set_lookup     (GlobiRateSet *set,
                                         const char   *code);
/* The protocol's Rates object. */
JsonNode     *globi_rate_set_to_json    (GlobiRateSet *set);
GlobiRateSet *globi_rate_set_from_json  (const char   *json,
                                         GError      **error);

/* Parses an ECB euro reference-rate document (gesmes:Envelope / Cube time= / Cube
 * currency= rate=). Strict: malformed XML, a document over GLOBI_RATES_MAX_BYTES, no
 * dated Cube, a bad or duplicate rate, or a missing required currency (USD, JPY, GBP, CHF,
 * CNY) is an error (G_IO_ERROR_INVALID_DATA). Currencies outside the ISO table are
 * skipped. With several dated Cubes (the 90-day feed) the first, newest, is used. */
GlobiRateSet *globi_rates_parse_ecb     (const char   *data,
                                         gsize         len,
                                         const char   *source,
                                         gint64        fetched_at_ms,
                                         GError      **error);

/* A source of rate sets. */
typedef struct _GlobiRatesProvider GlobiRatesProvider;
typedef struct
{
  const char *name;
  void          (*fetch_async)  (GlobiRatesProvider  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
  GlobiRateSet *(*fetch_finish) (GlobiRatesProvider  *self,
                                 GAsyncResult        *result,
                                 GError             **error);
  void          (*free)         (GlobiRatesProvider  *self);
} GlobiRatesProviderClass;

struct _GlobiRatesProvider
{
  const GlobiRatesProviderClass *klass;
};

/* The ECB XML over HTTP(S) with libsoup (any URL serving that format). */
GlobiRatesProvider *globi_rates_provider_ecb_new      (const char          *url);
void                globi_rates_provider_free         (GlobiRatesProvider  *provider);
void                globi_rates_provider_fetch_async  (GlobiRatesProvider  *provider,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GlobiRateSet       *globi_rates_provider_fetch_finish (GlobiRatesProvider  *provider,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* The snapshot compiled into the server. */
GlobiRateSet *globi_rates_load_snapshot (GError **error);

/* The service of one server; lives on the server's main context. */
#define GLOBI_TYPE_RATES (globi_rates_get_type ())
G_DECLARE_FINAL_TYPE (GlobiRates, globi_rates, GLOBI, RATES, GObject)

/* Starts with the snapshot, then the stored set if newer, then fetches from the
 * configured rates-url now and every rates-refresh-minutes. */
GlobiRates   *globi_rates_new           (GlobiServer  *server);
/* The newest set (never NULL). */
GlobiRateSet *globi_rates_get_current   (GlobiRates   *self);
/* Takes a set from any provider. When its date is newer than the set in use it is stored
 * and announced (rates_updated) to every device, then used. */
void          globi_rates_offer         (GlobiRates   *self,
                                         GlobiRateSet *set);
/* Stops timers and fetches (the server is going away). */
void          globi_rates_stop          (GlobiRates   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlobiRateSet, globi_rate_set_unref)

G_END_DECLS
