/*
 * common/protocol/api.c -- the API key tables: names, first flexible
 * versions (apache/kafka 3.7 message specs) and the broker's recommended
 * advertised ranges (each client's highest non-flexible version, see
 * CLIENT-VERSIONS.txt in the protocol reference).
 */
#include "config.h"
#include "protocol/api.h"

static const kn_api_info_t kn_api_infos[] = {
    { KN_API_PRODUCE, "Produce", 9 },
    { KN_API_FETCH, "Fetch", 12 },
    { KN_API_LIST_OFFSETS, "ListOffsets", 6 },
    { KN_API_METADATA, "Metadata", 9 },
    { KN_API_OFFSET_COMMIT, "OffsetCommit", 8 },
    { KN_API_OFFSET_FETCH, "OffsetFetch", 6 },
    { KN_API_FIND_COORDINATOR, "FindCoordinator", 3 },
    { KN_API_JOIN_GROUP, "JoinGroup", 6 },
    { KN_API_HEARTBEAT, "Heartbeat", 4 },
    { KN_API_LEAVE_GROUP, "LeaveGroup", 4 },
    { KN_API_SYNC_GROUP, "SyncGroup", 4 },
    { KN_API_DESCRIBE_GROUPS, "DescribeGroups", 5 },
    { KN_API_LIST_GROUPS, "ListGroups", 3 },
    { KN_API_SASL_HANDSHAKE, "SaslHandshake", -1 },
    { KN_API_API_VERSIONS, "ApiVersions", 3 },
    { KN_API_CREATE_TOPICS, "CreateTopics", 5 },
    { KN_API_DELETE_TOPICS, "DeleteTopics", 4 },
    { KN_API_DELETE_RECORDS, "DeleteRecords", 2 },
    { KN_API_INIT_PRODUCER_ID, "InitProducerId", 2 },
    { KN_API_OFFSET_FOR_LEADER_EPOCH, "OffsetForLeaderEpoch", 4 },
    { KN_API_ADD_PARTITIONS_TO_TXN, "AddPartitionsToTxn", 3 },
    { KN_API_ADD_OFFSETS_TO_TXN, "AddOffsetsToTxn", 3 },
    { KN_API_END_TXN, "EndTxn", 3 },
    { KN_API_WRITE_TXN_MARKERS, "WriteTxnMarkers", 1 },
    { KN_API_TXN_OFFSET_COMMIT, "TxnOffsetCommit", 3 },
    { KN_API_DESCRIBE_ACLS, "DescribeAcls", 2 },
    { KN_API_CREATE_ACLS, "CreateAcls", 2 },
    { KN_API_DELETE_ACLS, "DeleteAcls", 2 },
    { KN_API_DESCRIBE_CONFIGS, "DescribeConfigs", 4 },
    { KN_API_ALTER_CONFIGS, "AlterConfigs", 2 },
    { KN_API_DESCRIBE_LOG_DIRS, "DescribeLogDirs", 2 },
    { KN_API_SASL_AUTHENTICATE, "SaslAuthenticate", 2 },
    { KN_API_CREATE_PARTITIONS, "CreatePartitions", 2 },
    { KN_API_DELETE_GROUPS, "DeleteGroups", 2 },
    { KN_API_ELECT_LEADERS, "ElectLeaders", 2 },
    { KN_API_INCREMENTAL_ALTER_CONFIGS, "IncrementalAlterConfigs", 1 },
    { KN_API_ALTER_PARTITION_REASSIGNMENTS, "AlterPartitionReassignments", 0 },
    { KN_API_LIST_PARTITION_REASSIGNMENTS, "ListPartitionReassignments", 0 },
    { KN_API_OFFSET_DELETE, "OffsetDelete", -1 },
    { KN_API_DESCRIBE_CLIENT_QUOTAS, "DescribeClientQuotas", 1 },
    { KN_API_ALTER_CLIENT_QUOTAS, "AlterClientQuotas", 1 },
    { KN_API_DESCRIBE_USER_SCRAM_CREDENTIALS, "DescribeUserScramCredentials", 0 },
    { KN_API_ALTER_USER_SCRAM_CREDENTIALS, "AlterUserScramCredentials", 0 },
};

/* The "recommended" column, plus OffsetForLeaderEpoch 0-3 which followers
 * use. has_codec marks the rows this folder implements; the broker further
 * filters by the handlers it has registered. */
static const kn_api_range_t kn_api_ranges[] = {
    { KN_API_PRODUCE, 3, 7, true },
    { KN_API_FETCH, 4, 11, true },
    { KN_API_LIST_OFFSETS, 1, 3, true },
    { KN_API_METADATA, 0, 6, true },
    { KN_API_OFFSET_COMMIT, 2, 7, true },
    { KN_API_OFFSET_FETCH, 1, 5, true },
    { KN_API_FIND_COORDINATOR, 0, 2, true },
    { KN_API_JOIN_GROUP, 0, 5, true },
    { KN_API_HEARTBEAT, 0, 3, true },
    { KN_API_LEAVE_GROUP, 0, 3, true },
    { KN_API_SYNC_GROUP, 0, 3, true },
    { KN_API_DESCRIBE_GROUPS, 0, 4, true },
    { KN_API_LIST_GROUPS, 0, 2, true },
    { KN_API_SASL_HANDSHAKE, 0, 1, false },
    { KN_API_API_VERSIONS, 0, 3, true },
    { KN_API_CREATE_TOPICS, 0, 4, true },
    { KN_API_DELETE_TOPICS, 0, 3, true },
    { KN_API_DELETE_RECORDS, 0, 1, false },
    { KN_API_INIT_PRODUCER_ID, 0, 1, true },
    { KN_API_OFFSET_FOR_LEADER_EPOCH, 0, 3, true },
    { KN_API_ADD_PARTITIONS_TO_TXN, 0, 1, false },
    { KN_API_ADD_OFFSETS_TO_TXN, 0, 1, false },
    { KN_API_END_TXN, 0, 1, false },
    { KN_API_TXN_OFFSET_COMMIT, 0, 2, false },
    { KN_API_DESCRIBE_ACLS, 0, 1, false },
    { KN_API_CREATE_ACLS, 0, 1, false },
    { KN_API_DELETE_ACLS, 0, 1, false },
    { KN_API_DESCRIBE_CONFIGS, 0, 2, true },
    { KN_API_ALTER_CONFIGS, 0, 1, false },
    { KN_API_SASL_AUTHENTICATE, 0, 1, false },
    { KN_API_CREATE_PARTITIONS, 0, 1, true },
    { KN_API_DELETE_GROUPS, 0, 1, true },
    { KN_API_ALTER_PARTITION_REASSIGNMENTS, 0, 0, false },
    { KN_API_LIST_PARTITION_REASSIGNMENTS, 0, 0, false },
    { KN_API_ELECT_LEADERS, 0, 1, true },    /* codec: electleaders.c */
    { KN_API_OFFSET_DELETE, 0, 0, true },    /* codec: offsetdelete.c */
};

const kn_api_info_t *kn_proto_api_info(int16_t key)
{
    for (size_t i = 0; i < KN_ARRAY_LEN(kn_api_infos); i++) {
        if (kn_api_infos[i].key == key) {
            return &kn_api_infos[i];
        }
    }
    return NULL;
}

const char *kn_proto_api_name(int16_t key)
{
    const kn_api_info_t *info = kn_proto_api_info(key);
    return info ? info->name : "Unknown";
}

bool kn_proto_flexible(int16_t key, int16_t ver)
{
    const kn_api_info_t *info = kn_proto_api_info(key);
    return info != NULL && info->flex_from >= 0 && ver >= info->flex_from;
}

const kn_api_range_t *kn_proto_api_table(size_t *n)
{
    *n = KN_ARRAY_LEN(kn_api_ranges);
    return kn_api_ranges;
}

const kn_api_range_t *kn_proto_api_range(int16_t key)
{
    for (size_t i = 0; i < KN_ARRAY_LEN(kn_api_ranges); i++) {
        if (kn_api_ranges[i].key == key) {
            return kn_api_ranges[i].has_codec ? &kn_api_ranges[i] : NULL;
        }
    }
    return NULL;
}

bool kn_proto_api_supported(int16_t key, int16_t ver)
{
    const kn_api_range_t *rg = kn_proto_api_range(key);
    return rg != NULL && ver >= rg->min && ver <= rg->max;
}
