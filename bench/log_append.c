/*
 * bench/log_append.c -- storage engine throughput against the raw
 * filesystem, in one run on the same filesystem:
 *
 *   append: kn_log_append of 16 KiB batches (16 records of 1 KiB) versus a
 *           plain write(2) loop of the same bytes;
 *   read:   sequential kn_log_read ranges sent with sendfile(2) to
 *           /dev/null versus a read(2) loop over the raw file.
 *
 * Neither side fsyncs (Kafka's default: durability from replication).
 * Rounds alternate raw/log and the best round of each counts, so page
 * cache writeback from one run does not bias the other. Prints one line
 * per measurement and the two ratios (log / raw).
 *
 * usage: log_append [-d dir] [-m megabytes] [-r rounds]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log.h"
#include "common/log.h"
#include "record/batch.h"

static double kn_now_s(void)
{
    return (double)kn_mono_ms() / 1000.0;
}

static void rm_tree(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", dir);
    }
}

static double bench_raw_write(const char *path, const uint8_t *batch, size_t len, long count)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    double t0 = kn_now_s();
    for (long i = 0; i < count; i++) {
        if (write(fd, batch, len) != (ssize_t)len) {
            perror("write");
            exit(1);
        }
    }
    double dt = kn_now_s() - t0;
    close(fd);
    return dt;
}

static double bench_raw_read(const char *path)
{
    int fd = open(path, O_RDONLY);
    static uint8_t buf[1 << 20];
    double t0 = kn_now_s();
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
    }
    double dt = kn_now_s() - t0;
    close(fd);
    return dt;
}

static kn_logmgr_t *open_mgr(const char *dir)
{
    const char *dirs[1] = { dir };
    kn_logmgr_opts_t o;
    memset(&o, 0, sizeof(o));
    o.dirs = dirs;
    o.ndirs = 1;
    o.broker_id = 0;
    kn_log_config_defaults(&o.defaults);
    char err[512];
    kn_logmgr_t *m;
    if (kn_logmgr_open(&o, &m, err, sizeof(err)) != KN_OK) {
        fprintf(stderr, "kn_logmgr_open: %s\n", err);
        exit(1);
    }
    return m;
}

static double bench_log_append(kn_log_t *log, uint8_t *batch, size_t len, long count)
{
    double t0 = kn_now_s();
    for (long i = 0; i < count; i++) {
        kn_err_t rc = kn_log_append(log, batch, len, KN_LOG_APPEND_LEADER, 0, NULL);
        if (rc != KN_ERR_NONE) {
            fprintf(stderr, "append: %s\n", kn_err_name(rc));
            exit(1);
        }
    }
    return kn_now_s() - t0;
}

static double bench_log_sendfile(kn_log_t *log, int sink, size_t *bytes)
{
    double t0 = kn_now_s();
    int64_t off = 0, end = kn_log_end_offset(log);
    *bytes = 0;
    while (off < end) {
        kn_log_range_t r;
        if (kn_log_read(log, off, 1 << 20, -1, true, &r) != KN_ERR_NONE || r.len == 0) {
            fprintf(stderr, "read at %lld failed\n", (long long)off);
            exit(1);
        }
        off_t pos = r.pos;
        size_t left = r.len;
        while (left > 0) {
            ssize_t n = sendfile(sink, r.fd, &pos, left);
            if (n <= 0) {
                perror("sendfile");
                exit(1);
            }
            left -= (size_t)n;
        }
        *bytes += r.len;
        off = r.next_offset;
        kn_log_read_release(&r);
    }
    return kn_now_s() - t0;
}

int main(int argc, char **argv)
{
    const char *base = "bench-log-append.dir";
    long mb = 512;
    int rounds = 3;
    int c;
    while ((c = getopt(argc, argv, "d:m:r:")) != -1) {
        switch (c) {
        case 'd': base = optarg; break;
        case 'm': mb = atol(optarg); break;
        case 'r': rounds = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: %s [-d dir] [-m megabytes] [-r rounds]\n", argv[0]);
            return 2;
        }
    }
    kn_log_init("log_append", KN_LOG_WARN);
    if (mkdir(base, 0755) != 0 && errno != EEXIST) {
        perror(base);
        return 1;
    }
    /* One 16 KiB batch of 16 x 1 KiB records. */
    kn_record_in_t recs[16];
    static uint8_t vals[16][1024];
    for (int i = 0; i < 16; i++) {
        memset(vals[i], 'a' + i, sizeof(vals[i]));
        recs[i] = (kn_record_in_t){ NULL, 0, vals[i], sizeof(vals[i]), kn_now_ms(), 0 };
    }
    kn_wbuf_t w;
    kn_wbuf_init(&w, 17000);
    kn_batch_build_opts_t bo;
    kn_batch_build_opts_init(&bo);
    kn_batch_build(&w, &bo, recs, 16);
    long count = mb * 1024 * 1024 / (long)w.len;
    double total_mb = (double)count * (double)w.len / (1024.0 * 1024.0);

    char raw[4096], logdir[4096];
    snprintf(raw, sizeof(raw), "%s/raw.dat", base);
    snprintf(logdir, sizeof(logdir), "%s/logs", base);
    int sink = open("/dev/null", O_WRONLY);
    double best_raw_w = 1e9, best_log_w = 1e9, best_raw_r = 1e9, best_log_r = 1e9;
    for (int r = 0; r < rounds; r++) {
        double t = bench_raw_write(raw, w.data, w.len, count);
        best_raw_w = t < best_raw_w ? t : best_raw_w;
        t = bench_raw_read(raw);
        best_raw_r = t < best_raw_r ? t : best_raw_r;
        unlink(raw);

        rm_tree(logdir);
        kn_logmgr_t *m = open_mgr(logdir);
        kn_log_t *log;
        kn_logmgr_create(m, "bench", 0, NULL, &log);
        t = bench_log_append(log, w.data, w.len, count);
        best_log_w = t < best_log_w ? t : best_log_w;
        size_t bytes;
        t = bench_log_sendfile(log, sink, &bytes);
        best_log_r = t < best_log_r ? t : best_log_r;
        kn_log_release(log);
        kn_logmgr_close(m);
        rm_tree(logdir);
    }
    close(sink);
    kn_wbuf_free(&w);
    printf("data: %.0f MiB in %ld batches of %zu bytes, best of %d rounds\n", total_mb, count,
           (size_t)(total_mb * 1024 * 1024 / (double)count), rounds);
    printf("append  log %8.1f MiB/s   raw write(2) %8.1f MiB/s   ratio %.2f\n",
           total_mb / best_log_w, total_mb / best_raw_w, best_raw_w / best_log_w);
    printf("read    log sendfile %8.1f MiB/s   raw read(2) %8.1f MiB/s   ratio %.2f\n",
           total_mb / best_log_r, total_mb / best_raw_r, best_raw_r / best_log_r);
    rmdir(base);
    return 0;
}
