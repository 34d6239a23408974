/*
 * broker/log/checkpoint.c -- small files written atomically: the
 * per-log-dir offset checkpoints (Kafka's "0\n<count>\n<topic> <p> <off>"
 * text format, so Kafka operators' habits and tools still read them),
 * leader-epoch-checkpoint and meta.properties.
 *
 * Atomic = write "<path>.tmp", fsync it, rename over <path>, fsync the
 * directory: after a crash either the old or the new file is there, never
 * a torn one. The unsynced variant (no fsync) still never shows a reader
 * or a killed process a torn file, but after a power loss the file may be
 * old or unreadable; its callers make it durable later (log flush) and
 * can rebuild what it held.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log_int.h"

int kn_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return KN_ERROR;
    }
    int rc = fsync(fd) == 0 ? KN_OK : KN_ERROR;
    close(fd);
    return rc;
}

int kn_file_write_atomic(const char *path, const void *data, size_t len)
{
    return kn_file_write_replace(path, data, len, true);
}

int kn_file_write_replace(const char *path, const void *data, size_t len, bool sync)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        return KN_ERROR;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return KN_ERROR;
    }
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            close(fd);
            unlink(tmp);
            return KN_ERROR;
        }
        done += (size_t)n;
    }
    if (sync && fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        return KN_ERROR;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return KN_ERROR;
    }
    if (!sync) {
        return KN_OK;
    }
    /* The directory entry must be durable too. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        if (dir[0] == '\0') {
            strcpy(dir, "/");
        }
    } else {
        strcpy(dir, ".");
    }
    return kn_fsync_dir(dir);
}

char *kn_file_read_small(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    char *buf = kn_malloc(max + 1);
    size_t got = 0;
    while (got < max) {
        ssize_t n = read(fd, buf + got, max - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            free(buf);
            close(fd);
            return NULL;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    if (len) {
        *len = got;
    }
    return buf;
}

void kn_ckpt_free(kn_ckpt_entry_t *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].topic);
    }
    free(e);
}

/* Checkpoints hold one line per partition; 64 MiB is far beyond any real
 * broker and bounds what a corrupt file can make us allocate. */
#define KN_CKPT_MAX ((size_t)64 * 1024 * 1024)

int kn_ckpt_read(const char *path, kn_ckpt_entry_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t len;
    char *text = kn_file_read_small(path, KN_CKPT_MAX, &len);
    if (text == NULL) {
        return errno == ENOENT ? KN_OK : KN_ERROR;   /* missing = empty */
    }
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    long version = line ? strtol(line, NULL, 10) : -1;
    line = strtok_r(NULL, "\n", &save);
    long count = line ? strtol(line, NULL, 10) : -1;
    if (version != 0 || count < 0 || (size_t)count > len / 6 + 1) {
        free(text);
        return KN_ERROR;
    }
    kn_ckpt_entry_t *e = kn_calloc((size_t)count + 1, sizeof(*e));
    size_t got = 0;
    while (got < (size_t)count && (line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *sp2 = strrchr(line, ' ');
        if (sp2 == NULL) {
            break;
        }
        *sp2 = '\0';
        char *sp1 = strrchr(line, ' ');
        if (sp1 == NULL || sp1 == line) {
            break;
        }
        *sp1 = '\0';
        char *end1, *end2;
        long long part = strtoll(sp1 + 1, &end1, 10);
        long long off = strtoll(sp2 + 1, &end2, 10);
        if (*end1 != '\0' || *end2 != '\0' || part < 0 || part > INT32_MAX) {
            break;
        }
        e[got].topic = kn_strdup(line);
        e[got].partition = (int32_t)part;
        e[got].offset = off;
        got++;
    }
    free(text);
    if (got != (size_t)count) {
        kn_ckpt_free(e, got);
        return KN_ERROR;
    }
    *out = e;
    *n = got;
    return KN_OK;
}

int kn_ckpt_write(const char *path, const kn_ckpt_entry_t *e, size_t n)
{
    kn_wbuf_t w;
    kn_wbuf_init(&w, 64 + n * 48);
    char line[400];
    int k = snprintf(line, sizeof(line), "0\n%zu\n", n);
    kn_wbuf_raw(&w, line, (size_t)k);
    for (size_t i = 0; i < n; i++) {
        k = snprintf(line, sizeof(line), "%s %d %lld\n", e[i].topic, (int)e[i].partition,
                     (long long)e[i].offset);
        kn_wbuf_raw(&w, line, (size_t)KN_MIN(k, (int)sizeof(line) - 1));
    }
    int rc = kn_file_write_atomic(path, w.data, w.len);
    kn_wbuf_free(&w);
    return rc;
}
