/*
 * common/protocol/protocol.h -- one include for the whole Kafka protocol
 * subsystem: API tables and headers, the arena, and every codec family.
 */
#ifndef KN_PROTOCOL_H
#define KN_PROTOCOL_H

#include "protocol/api.h"
#include "protocol/arena.h"

#endif /* KN_PROTOCOL_H */
