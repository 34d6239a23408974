/*
 * broker/storage.h -- opening and closing the broker's log manager.
 *
 * Turns the broker-level log.* keys into the storage engine's defaults
 * (the topic-level defaults of every partition), opens log.dirs, and runs
 * the storage housekeeping (retention, time-based roll, flush.ms,
 * checkpoints, removal of deleted files) from a timer on the main loop --
 * never on the append path.
 */
#ifndef KN_BROKER_STORAGE_H
#define KN_BROKER_STORAGE_H

#include "broker/broker.h"
#include "broker/log/log.h"

/* The topic-level defaults that follow from the broker's log.* keys. */
void kn_broker_log_defaults(const kn_config_t *cfg, kn_log_config_t *out);

/* Open log.dirs into b->logs and start the housekeeping timer on
 * b->main_base. KN_OK / KN_ERROR (logged). */
int kn_broker_storage_open(kn_broker_t *b);
/* Stop the timer and close the log manager cleanly (checkpoints, clean
 * shutdown marker). No-op if not open. */
void kn_broker_storage_close(kn_broker_t *b);

#endif /* KN_BROKER_STORAGE_H */
