/*
 * common/protocol/protocol.h -- one include for the whole Kafka protocol
 * subsystem: API tables and headers, the arena, and every codec family.
 */
#ifndef KN_PROTOCOL_H
#define KN_PROTOCOL_H

#include "protocol/api.h"
#include "protocol/arena.h"
#include "protocol/apiversions.h"
#include "protocol/configs.h"
#include "protocol/fetch.h"
#include "protocol/group.h"
#include "protocol/groupadmin.h"
#include "protocol/listoffsets.h"
#include "protocol/metadata.h"
#include "protocol/offsets.h"
#include "protocol/produce.h"
#include "protocol/topics.h"

#endif /* KN_PROTOCOL_H */
