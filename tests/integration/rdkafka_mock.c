/*
 * tests/integration/rdkafka_mock.c -- a stand-in Kafka cluster for
 * test_tools.py: librdkafka's mock cluster (real brokers on 127.0.0.1
 * sockets, speaking Metadata, Produce, Fetch and ListOffsets) run as a
 * process of its own, so the kctl-* tools can be checked as clients
 * independently of kanal-broker.
 *
 *   rdkafka_mock BROKERS [topic=NAME:PARTITIONS:REPLICAS]... [leaderless=NAME:PARTITION]...
 *
 * Prints "bootstrap=<host:port,...>" once the cluster listens, then serves
 * until SIGTERM or SIGINT.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int usage(void)
{
    fprintf(stderr, "usage: rdkafka_mock BROKERS [topic=NAME:PARTITIONS:REPLICAS]... "
                    "[leaderless=NAME:PARTITION]...\n");
    return 2;
}

/* Split "NAME:A[:B]" in place; returns the number of numbers read. */
static int split_spec(char *spec, char **name, int *a, int *b)
{
    char *c1 = strchr(spec, ':');
    if (c1 == NULL) {
        return 0;
    }
    *c1 = '\0';
    *name = spec;
    char *c2 = strchr(c1 + 1, ':');
    if (c2 != NULL) {
        *c2 = '\0';
        *b = atoi(c2 + 1);
    }
    *a = atoi(c1 + 1);
    return c2 != NULL ? 2 : 1;
}

int main(int argc, char **argv)
{
    char errstr[512];
    sigset_t set;
    int sig, brokers;

    if (argc < 2 || (brokers = atoi(argv[1])) < 1) {
        return usage();
    }
    /* Block the stop signals before librdkafka starts threads, so they
     * all inherit the mask and sigwait() below receives the signal. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        fprintf(stderr, "rdkafka_mock: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (mc == NULL) {
        fprintf(stderr, "rdkafka_mock: cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        char *name;
        int a = 0, b = 0;
        rd_kafka_resp_err_t err;
        if (strncmp(argv[i], "topic=", 6) == 0 && split_spec(argv[i] + 6, &name, &a, &b) == 2) {
            err = rd_kafka_mock_topic_create(mc, name, a, b);
        } else if (strncmp(argv[i], "leaderless=", 11) == 0 &&
                   split_spec(argv[i] + 11, &name, &a, &b) == 1) {
            err = rd_kafka_mock_partition_set_leader(mc, name, a, -1);
        } else {
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return usage();
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "rdkafka_mock: %s: %s\n", argv[i], rd_kafka_err2str(err));
        }
    }
    printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);

    sigwait(&set, &sig);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
