/*
 * tests/unit/test_config.c -- configuration (common/config.h): the
 * Java-properties parser, typed validation against a key table, error
 * messages that name key, file and line, and the shared command line.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/config.h"

/* ---- helpers ----------------------------------------------------------- */

#define MAX_PAIRS 16

typedef struct {
    int  n;
    char key[MAX_PAIRS][128];
    char val[MAX_PAIRS][256];
    int  line[MAX_PAIRS];
    int  stop_after;   /* return KN_ERROR after this many pairs; 0 = never */
} pairs_t;

static int collect(void *ud, const char *key, const char *value, int line)
{
    pairs_t *p = ud;
    assert_true(p->n < MAX_PAIRS);
    snprintf(p->key[p->n], sizeof(p->key[0]), "%s", key);
    snprintf(p->val[p->n], sizeof(p->val[0]), "%s", value);
    p->line[p->n] = line;
    p->n++;
    return (p->stop_after && p->n >= p->stop_after) ? KN_ERROR : KN_OK;
}

static int parse(const char *text, pairs_t *p)
{
    memset(p, 0, sizeof(*p));
    return kn_props_parse(text, strlen(text), collect, p);
}

static void assert_pair(const pairs_t *p, int i, const char *key, const char *val, int line)
{
    assert_true(i < p->n);
    assert_string_equal(p->key[i], key);
    assert_string_equal(p->val[i], val);
    assert_int_equal(p->line[i], line);
}

static const char *tmp_dir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : P_tmpdir;
}

/* Write text to a new temporary file; path receives its name. */
static void write_temp(char *path, size_t pathlen, const char *text)
{
    snprintf(path, pathlen, "%s/kn-test-config.XXXXXX", tmp_dir());
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* Redirect a standard stream (1 or 2) to a temporary file. */
typedef struct {
    char path[512];
    int  fd;       /* which stream */
    int  saved;    /* its original descriptor */
} capture_t;

static void capture_start(capture_t *c, int fd)
{
    snprintf(c->path, sizeof(c->path), "%s/kn-test-config-out.XXXXXX", tmp_dir());
    int t = mkstemp(c->path);
    assert_true(t >= 0);
    fflush(stdout);
    fflush(stderr);
    c->fd = fd;
    c->saved = dup(fd);
    dup2(t, fd);
    close(t);
}

static char *capture_end(capture_t *c)
{
    fflush(stdout);
    fflush(stderr);
    dup2(c->saved, c->fd);
    close(c->saved);
    FILE *f = fopen(c->path, "r");
    assert_non_null(f);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    unlink(c->path);
    return buf;
}

/* ---- the table under test ---------------------------------------------- */

static int validate_abs_paths(const char *value, char *err, size_t errlen)
{
    if (value[0] != '/') {
        snprintf(err, errlen, "'%s' is not an absolute path", value);
        return KN_ERROR;
    }
    return KN_OK;
}

static int validate_long_password(const char *value, char *err, size_t errlen)
{
    if (strlen(value) < 6) {
        snprintf(err, errlen, "'%s' is too short", value);
        return KN_ERROR;
    }
    return KN_OK;
}

static const kn_cfg_key_t table[] = {
    { "broker.id", KN_CFG_INT, "-1", -1, INT32_MAX, NULL, NULL, 0, "Unique id of this broker." },
    { "num.partitions", KN_CFG_INT, "1", 1, 10000, NULL, NULL, 0, "Default partition count." },
    { "log.retention.ms", KN_CFG_LONG, "604800000", -1, INT64_MAX, NULL, NULL, 0,
      "How long to keep log segments." },
    { "offset.any", KN_CFG_LONG, "0", 1, 0, NULL, NULL, 0, "Unbounded long." },
    { "int.any", KN_CFG_INT, "0", 0, 0, NULL, NULL, 0, "Unbounded int." },
    { "unclean.leader.election.enable", KN_CFG_BOOL, "false", 0, 0, NULL, NULL, 0,
      "Elect leaders outside the ISR." },
    { "log.cleaner.min.cleanable.ratio", KN_CFG_DOUBLE, "0.5", 0, 1, NULL, NULL, 0,
      "Dirty ratio that triggers cleaning." },
    { "listeners", KN_CFG_LIST, "PLAINTEXT://127.0.0.1:9092", 1, 0, NULL, NULL, 0,
      "Listener URIs." },
    { "sasl.enabled.mechanisms", KN_CFG_LIST, "PLAIN", 1, 0,
      "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512", NULL, 0, "SASL mechanisms." },
    { "log.dirs", KN_CFG_LIST, NULL, 1, 0, NULL, validate_abs_paths, 0, "Log directories." },
    { "ssl.client.auth", KN_CFG_STRING, "none", 1, 0, "none|requested|required", NULL, 0,
      "Client certificate policy." },
    { "zookeeper.connect", KN_CFG_STRING, NULL, 1, 0, NULL, NULL, KN_CFG_REQUIRED,
      "ZooKeeper connection string." },
    { "controller.id", KN_CFG_INT, "7", 0, 100, NULL, NULL, KN_CFG_REQUIRED,
      "Required, so its default is ignored." },
    { "ssl.keystore.password", KN_CFG_STRING, "changeit", 1, 0, NULL, validate_long_password,
      KN_CFG_SECRET, "Keystore password." },
    { NULL, KN_CFG_STRING, NULL, 0, 0, NULL, NULL, 0, NULL }
};

/* ---- parser ------------------------------------------------------------ */

static void test_parse_separators(void **state)
{
    pairs_t p;
    assert_int_equal(parse("a=1\nb : 2\nc 3\n  d\t=\t4  \ne\nf=\n=g\nh==i\nj = = k\nl:=m\n", &p),
                     KN_OK);
    assert_int_equal(p.n, 10);
    assert_pair(&p, 0, "a", "1", 1);
    assert_pair(&p, 1, "b", "2", 2);
    assert_pair(&p, 2, "c", "3", 3);
    assert_pair(&p, 3, "d", "4  ", 4);   /* trailing blanks kept, as Java does */
    assert_pair(&p, 4, "e", "", 5);
    assert_pair(&p, 5, "f", "", 6);
    assert_pair(&p, 6, "", "g", 7);
    assert_pair(&p, 7, "h", "=i", 8);   /* only one separator is eaten */
    assert_pair(&p, 8, "j", "= k", 9);
    assert_pair(&p, 9, "l", "=m", 10);
}

static void test_parse_comments_blank_eol(void **state)
{
    pairs_t p;
    assert_int_equal(parse("# comment\n! bang comment\n   # indented\n\n \t \n"
                           "# trailing backslash does not continue \\\n"
                           "k=v # not a comment\r\n"
                           "x=1\ry=2\r\n\r\nz=3", &p), KN_OK);
    assert_int_equal(p.n, 4);
    assert_pair(&p, 0, "k", "v # not a comment", 7);
    assert_pair(&p, 1, "x", "1", 8);
    assert_pair(&p, 2, "y", "2", 9);
    assert_pair(&p, 3, "z", "3", 11);
    assert_int_equal(parse("", &p), KN_OK);
    assert_int_equal(p.n, 0);
    /* A UTF-8 byte-order mark does not become part of the first key. */
    assert_int_equal(parse("\xEF\xBB\xBF" "broker.id=1\n", &p), KN_OK);
    assert_int_equal(p.n, 1);
    assert_pair(&p, 0, "broker.id", "1", 1);
    assert_int_equal(parse("#only", &p), KN_OK);
    assert_int_equal(p.n, 0);
}

static void test_parse_continuations(void **state)
{
    pairs_t p;
    assert_int_equal(parse("listeners = PLAINTEXT://a:1,\\\n"
                           "            SSL://b:2,\\\r\n"
                           "\t# not a comment here\n"
                           "next=1\n"
                           "path=c:\\\\\n"            /* escaped backslash: no continuation */
                           "q=2\n"
                           "three=\\\\\\\n"           /* \\ then a continuing \ */
                           "  tail\n"
                           "eof=b\\", &p), KN_OK);
    assert_int_equal(p.n, 6);
    assert_pair(&p, 0, "listeners", "PLAINTEXT://a:1,SSL://b:2,# not a comment here", 1);
    assert_pair(&p, 1, "next", "1", 4);
    assert_pair(&p, 2, "path", "c:\\", 5);
    assert_pair(&p, 3, "q", "2", 6);
    assert_pair(&p, 4, "three", "\\tail", 7);
    assert_pair(&p, 5, "eof", "b", 9);
    /* A continuation into a blank line ends the value there. */
    assert_int_equal(parse("k=a\\\n\nm=1", &p), KN_OK);
    assert_int_equal(p.n, 2);
    assert_pair(&p, 0, "k", "a", 1);
    assert_pair(&p, 1, "m", "1", 3);
}

static void test_parse_escapes(void **state)
{
    pairs_t p;
    assert_int_equal(parse("k\\=e\\:y\\ z=v\\tw\\nx\\\\y\\r\\f\\q\n"
                           "u=\\u00e9\\u20AC\\u0041\n"
                           "pair=\\uD83D\\uDE00\n"
                           "lone=\\uD83Dx\\uDE00\n"
                           "\\#notcomment=1\n", &p), KN_OK);
    assert_int_equal(p.n, 5);
    assert_pair(&p, 0, "k=e:y z", "v\tw\nx\\y\r\fq", 1);
    assert_pair(&p, 1, "u", "\xC3\xA9\xE2\x82\xAC" "A", 2);
    assert_pair(&p, 2, "pair", "\xF0\x9F\x98\x80", 3);
    assert_pair(&p, 3, "lone", "\xEF\xBF\xBDx\xEF\xBF\xBD", 4);
    assert_pair(&p, 4, "#notcomment", "1", 5);
}

static void test_parse_errors(void **state)
{
    pairs_t p;
    char err[256];
    static const char *bad[] = { "a=1\nk=\\u12G4\n", "a=1\nk=\\u0000\n", "a=1\nk=\\u12" };
    for (size_t i = 0; i < KN_ARRAY_LEN(bad); i++) {
        memset(&p, 0, sizeof(p));
        err[0] = '\0';
        assert_int_equal(kn_props_parse_ex(bad[i], strlen(bad[i]), collect, &p, err,
                                           sizeof(err)), KN_ERROR);
        assert_string_equal(err, "2: malformed \\uXXXX escape");
        assert_int_equal(p.n, 1);   /* the pair before the bad line was delivered */
    }
    /* A NUL byte is refused up front, with its line. */
    static const char nul[] = "a=1\nb=x\0y\n";
    memset(&p, 0, sizeof(p));
    assert_int_equal(kn_props_parse_ex(nul, sizeof(nul) - 1, collect, &p, err, sizeof(err)),
                     KN_ERROR);
    assert_string_equal(err, "2: NUL byte in properties text");
    assert_int_equal(p.n, 0);
    /* The callback can stop the parse; its code comes back. */
    memset(&p, 0, sizeof(p));
    p.stop_after = 2;
    const char *t = "a=1\nb=2\nc=3\n";
    assert_int_equal(kn_props_parse(t, strlen(t), collect, &p), KN_ERROR);
    assert_int_equal(p.n, 2);
}

static void test_parse_file(void **state)
{
    char path[512], err[512];
    pairs_t p;
    write_temp(path, sizeof(path), "# header\nk1=v1\nk2 = v2\\\n   more\n");
    memset(&p, 0, sizeof(p));
    assert_int_equal(kn_props_parse_file(path, collect, &p, err, sizeof(err)), KN_OK);
    assert_int_equal(p.n, 2);
    assert_pair(&p, 0, "k1", "v1", 2);
    assert_pair(&p, 1, "k2", "v2more", 3);
    unlink(path);
    assert_int_equal(kn_props_parse_file(path, collect, &p, err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "cannot open"));

    write_temp(path, sizeof(path), "ok=1\n\nbad=\\uZZZZ\n");
    memset(&p, 0, sizeof(p));
    assert_int_equal(kn_props_parse_file(path, collect, &p, err, sizeof(err)), KN_ERROR);
    char want[600];
    snprintf(want, sizeof(want), "%s:3: malformed \\uXXXX escape", path);
    assert_string_equal(err, want);
    unlink(path);
}

static int count_pairs(void *ud, const char *key, const char *value, int line)
{
    int *n = ud;
    assert_non_null(key);
    assert_non_null(value);
    assert_true(line >= 1);
    (*n)++;
    return KN_OK;
}

/* Random text built from the characters the parser treats specially:
 * whatever the mix, it must return OK or a syntax error, never overrun
 * (the sanitizer build checks that). */
static void test_parse_random(void **state)
{
    static const char alphabet[] = "\\\\\nu\r\n=: #!\t0aF9Dd8x\xEF\xBB\xBF";
    char text[200];
    uint32_t seed = 0xC0FFEEu;
    for (int round = 0; round < 5000; round++) {
        size_t len = (size_t)(round % (int)sizeof(text));
        for (size_t i = 0; i < len; i++) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            text[i] = alphabet[seed % (sizeof(alphabet) - 1)];
        }
        int n = 0;
        char err[128];
        int rc = kn_props_parse_ex(text, len, count_pairs, &n, err, sizeof(err));
        assert_true(rc == KN_OK || rc == KN_ERROR);
    }
}

/* ---- typed values ------------------------------------------------------ */

static void test_defaults(void **state)
{
    kn_config_t *cfg = kn_config_new(table);
    assert_ptr_equal(kn_config_table(cfg), table);
    assert_int_equal(kn_config_int(cfg, "broker.id"), -1);
    assert_int_equal(kn_config_int(cfg, "num.partitions"), 1);
    assert_true(kn_config_int(cfg, "log.retention.ms") == 604800000LL);
    assert_false(kn_config_bool(cfg, "unclean.leader.election.enable"));
    assert_true(kn_config_double(cfg, "log.cleaner.min.cleanable.ratio") == 0.5);
    assert_string_equal(kn_config_str(cfg, "ssl.client.auth"), "none");
    assert_null(kn_config_str(cfg, "zookeeper.connect"));
    assert_false(kn_config_is_set(cfg, "broker.id"));
    char **items;
    assert_int_equal(kn_config_list(cfg, "listeners", &items), 1);
    assert_string_equal(items[0], "PLAINTEXT://127.0.0.1:9092");
    assert_null(items[1]);
    kn_config_list_free(items);
    assert_int_equal(kn_config_list(cfg, "log.dirs", &items), 0);   /* unset */
    assert_null(items[0]);
    kn_config_list_free(items);
    kn_config_free(cfg);
}

/* Set and expect success. */
static void set_ok(kn_config_t *cfg, const char *key, const char *value)
{
    char err[512] = "";
    if (kn_config_set(cfg, key, value, "test", err, sizeof(err)) != KN_OK) {
        fail_msg("%s=%s refused: %s", key, value, err);
    }
}

/* Set and expect an error whose text contains want. */
static void set_bad(kn_config_t *cfg, const char *key, const char *value, const char *want)
{
    char err[512] = "";
    if (kn_config_set(cfg, key, value, "f.properties:7", err, sizeof(err)) != KN_ERROR) {
        fail_msg("%s=%s accepted", key, value);
    }
    if (strstr(err, want) == NULL) {
        fail_msg("%s=%s: message '%s' lacks '%s'", key, value, err, want);
    }
}

static void test_ints(void **state)
{
    kn_config_t *cfg = kn_config_new(table);
    set_ok(cfg, "num.partitions", " 12 ");
    assert_int_equal(kn_config_int(cfg, "num.partitions"), 12);
    assert_true(kn_config_is_set(cfg, "num.partitions"));
    set_ok(cfg, "num.partitions", "+3");
    assert_int_equal(kn_config_int(cfg, "num.partitions"), 3);
    set_ok(cfg, "broker.id", "-1");
    set_ok(cfg, "broker.id", "2147483647");
    assert_int_equal(kn_config_int(cfg, "broker.id"), INT32_MAX);
    set_ok(cfg, "int.any", "-2147483648");
    assert_true(kn_config_int(cfg, "int.any") == INT32_MIN);
    set_ok(cfg, "offset.any", "-9223372036854775808");
    assert_true(kn_config_int(cfg, "offset.any") == INT64_MIN);
    set_ok(cfg, "offset.any", "9223372036854775807");
    assert_true(kn_config_int(cfg, "offset.any") == INT64_MAX);
    assert_true(kn_config_double(cfg, "num.partitions") == 3.0);

    set_bad(cfg, "num.partitions", "abc", "f.properties:7: num.partitions: expected an integer");
    set_bad(cfg, "num.partitions", "12x", "expected an integer, got '12x'");
    set_bad(cfg, "num.partitions", "", "expected an integer");
    set_bad(cfg, "num.partitions", "0x10", "expected an integer");
    set_bad(cfg, "num.partitions", "1e3", "expected an integer");
    set_bad(cfg, "num.partitions", "1 2", "expected an integer");
    set_bad(cfg, "num.partitions", "0", "0 is out of range [1, 10000]");
    set_bad(cfg, "num.partitions", "-5", "out of range");
    set_bad(cfg, "num.partitions", "10001", "out of range");
    set_bad(cfg, "broker.id", "-2", "out of range");
    set_bad(cfg, "int.any", "2147483648", "does not fit in type int");
    set_bad(cfg, "int.any", "-2147483649", "does not fit");
    set_bad(cfg, "offset.any", "9223372036854775808", "does not fit in type long");
    set_bad(cfg, "log.retention.ms", "-2", "out of range");
    /* A refused value leaves the previous one in place. */
    assert_int_equal(kn_config_int(cfg, "num.partitions"), 3);
    kn_config_free(cfg);
}

static void test_bool_double_string_list(void **state)
{
    kn_config_t *cfg = kn_config_new(table);
    set_ok(cfg, "unclean.leader.election.enable", "TRUE");
    assert_true(kn_config_bool(cfg, "unclean.leader.election.enable"));
    assert_int_equal(kn_config_int(cfg, "unclean.leader.election.enable"), 1);
    set_ok(cfg, "unclean.leader.election.enable", "false");
    assert_false(kn_config_bool(cfg, "unclean.leader.election.enable"));
    set_bad(cfg, "unclean.leader.election.enable", "yes", "expected true or false");
    set_bad(cfg, "unclean.leader.election.enable", "1", "expected true or false");

    set_ok(cfg, "log.cleaner.min.cleanable.ratio", "0.25");
    assert_true(kn_config_double(cfg, "log.cleaner.min.cleanable.ratio") == 0.25);
    set_ok(cfg, "log.cleaner.min.cleanable.ratio", "1");
    set_bad(cfg, "log.cleaner.min.cleanable.ratio", "1.5", "out of range [0, 1]");
    set_bad(cfg, "log.cleaner.min.cleanable.ratio", "nan", "expected a number");
    set_bad(cfg, "log.cleaner.min.cleanable.ratio", "0.5x", "expected a number");

    set_ok(cfg, "ssl.client.auth", "required");
    assert_string_equal(kn_config_str(cfg, "ssl.client.auth"), "required");
    set_bad(cfg, "ssl.client.auth", "maybe",
            "ssl.client.auth: 'maybe' is not one of none|requested|required");
    set_bad(cfg, "ssl.client.auth", "none|requested", "not one of");
    set_bad(cfg, "ssl.client.auth", "NONE", "not one of");

    char **items;
    set_ok(cfg, "listeners", " PLAINTEXT://h:1 , SSL://h:2 ,, ,SASL_SSL://h:3, ");
    assert_int_equal(kn_config_list(cfg, "listeners", &items), 3);
    assert_string_equal(items[0], "PLAINTEXT://h:1");
    assert_string_equal(items[1], "SSL://h:2");
    assert_string_equal(items[2], "SASL_SSL://h:3");
    assert_null(items[3]);
    kn_config_list_free(items);
    set_ok(cfg, "listeners", "");
    assert_int_equal(kn_config_list(cfg, "listeners", &items), 0);
    kn_config_list_free(items);

    set_ok(cfg, "sasl.enabled.mechanisms", "PLAIN, SCRAM-SHA-256");
    set_bad(cfg, "sasl.enabled.mechanisms", "PLAIN,GSSAPI", "item 'GSSAPI' is not one of");

    set_ok(cfg, "log.dirs", "/var/lib/kanal");
    set_bad(cfg, "log.dirs", "relative/dir", "log.dirs: 'relative/dir' is not an absolute path");
    kn_config_free(cfg);
}

static void test_secret_never_printed(void **state)
{
    kn_config_t *cfg = kn_config_new(table);
    char err[512];
    assert_int_equal(kn_config_set(cfg, "ssl.keystore.password", "hunter", "x", err,
                                   sizeof(err)), KN_OK);
    assert_string_equal(kn_config_str(cfg, "ssl.keystore.password"), "hunter");
    assert_int_equal(kn_config_set(cfg, "ssl.keystore.password", "pw1", "x:3", err,
                                   sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "x:3: ssl.keystore.password: invalid value"));
    assert_null(strstr(err, "pw1"));

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kn_config_dump(f, cfg);
    kn_config_help(f, table);
    fclose(f);
    assert_null(strstr(buf, "hunter"));
    assert_null(strstr(buf, "changeit"));
    assert_non_null(strstr(buf, "ssl.keystore.password = [hidden]"));
    assert_non_null(strstr(buf, "num.partitions = 1 (default)"));
    assert_non_null(strstr(buf, "zookeeper.connect = null (default)"));
    free(buf);
    kn_config_free(cfg);
}

static void test_unknown_keys(void **state)
{
    kn_config_t *cfg = kn_config_new(table);
    char err[512];
    assert_int_equal(kn_config_set(cfg, "num.partition", "3", "broker.properties:12", err,
                                   sizeof(err)), KN_ERROR);
    assert_string_equal(err, "broker.properties:12: unknown key 'num.partition' "
                             "(did you mean 'num.partitions'?)");
    assert_int_equal(kn_config_set(cfg, "zookeeper.conect", "h:2181", "--override", err,
                                   sizeof(err)), KN_ERROR);
    assert_string_equal(err, "--override: unknown key 'zookeeper.conect' "
                             "(did you mean 'zookeeper.connect'?)");
    assert_int_equal(kn_config_set(cfg, "totally.unrelated.thing", "1", "f:1", err,
                                   sizeof(err)), KN_ERROR);
    assert_string_equal(err, "f:1: unknown key 'totally.unrelated.thing'");
    assert_int_equal(kn_config_set(cfg, "", "1", NULL, err, sizeof(err)), KN_ERROR);
    assert_string_equal(err, "unknown key ''");

    assert_string_equal(kn_config_suggest(table, "broker_id"), "broker.id");
    assert_string_equal(kn_config_suggest(table, "listener"), "listeners");
    assert_null(kn_config_suggest(table, "x"));
    assert_non_null(kn_config_find_key(table, "log.dirs"));
    assert_null(kn_config_find_key(table, "log.dir"));
    kn_config_free(cfg);
}

static void test_validate_without_storing(void **state)
{
    char err[512];
    assert_int_equal(kn_config_validate(table, "num.partitions", "8", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_config_validate(table, "num.partitions", "0", err, sizeof(err)),
                     KN_ERROR);
    assert_string_equal(err, "num.partitions: 0 is out of range [1, 10000]");
    assert_int_equal(kn_config_validate(table, "num.partitons", "8", err, sizeof(err)),
                     KN_ERROR);
    assert_string_equal(err, "unknown key 'num.partitons' (did you mean 'num.partitions'?)");
}

static void test_required(void **state)
{
    kn_config_t *cfg = kn_config_new(table);
    char err[512];
    assert_int_equal(kn_config_finish(cfg, err, sizeof(err)), KN_ERROR);
    assert_string_equal(err, "missing required keys: zookeeper.connect, controller.id");
    /* A required key has no value until someone sets it. */
    assert_null(kn_config_str(cfg, "controller.id"));
    assert_int_equal(kn_config_int(cfg, "controller.id"), 0);
    set_ok(cfg, "zookeeper.connect", "127.0.0.1:2181/kanal");
    assert_int_equal(kn_config_finish(cfg, err, sizeof(err)), KN_ERROR);
    assert_string_equal(err, "missing required key: controller.id");
    set_ok(cfg, "controller.id", "3");
    assert_int_equal(kn_config_finish(cfg, err, sizeof(err)), KN_OK);
    kn_config_free(cfg);
}

static void test_load_file(void **state)
{
    char path[512], err[1024], want[1024];
    kn_config_t *cfg = kn_config_new(table);
    write_temp(path, sizeof(path),
               "# broker\n"
               "broker.id = 3\n"
               "listeners=PLAINTEXT://127.0.0.1:9092,\\\n"
               "          SSL://127.0.0.1:9093\n"
               "zookeeper.connect: 127.0.0.1:2181\n"
               "num.partitions 4\n"
               "num.partitions=6\n");   /* later line wins */
    assert_int_equal(kn_config_load_file(cfg, path, err, sizeof(err)), KN_OK);
    assert_int_equal(kn_config_int(cfg, "broker.id"), 3);
    assert_int_equal(kn_config_int(cfg, "num.partitions"), 6);
    assert_string_equal(kn_config_str(cfg, "zookeeper.connect"), "127.0.0.1:2181");
    char **items;
    assert_int_equal(kn_config_list(cfg, "listeners", &items), 2);
    assert_string_equal(items[1], "SSL://127.0.0.1:9093");
    kn_config_list_free(items);
    unlink(path);

    /* A typo names file, line and key. */
    write_temp(path, sizeof(path), "broker.id=1\n\n# x\nnum.partition=3\n");
    assert_int_equal(kn_config_load_file(cfg, path, err, sizeof(err)), KN_ERROR);
    snprintf(want, sizeof(want),
             "%s:4: unknown key 'num.partition' (did you mean 'num.partitions'?)", path);
    assert_string_equal(err, want);
    unlink(path);

    /* So does a bad value, on the line where a continued value started. */
    write_temp(path, sizeof(path), "a.comment=1\n");
    assert_int_equal(kn_config_load_file(cfg, path, err, sizeof(err)), KN_ERROR);
    unlink(path);
    write_temp(path, sizeof(path), "broker.id=1\nlog.retention.ms=12\\\n  x\n");
    assert_int_equal(kn_config_load_file(cfg, path, err, sizeof(err)), KN_ERROR);
    snprintf(want, sizeof(want), "%s:2: log.retention.ms: expected an integer, got '12x'", path);
    assert_string_equal(err, want);
    unlink(path);

    assert_int_equal(kn_config_load_file(cfg, path, err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "cannot open"));
    kn_config_free(cfg);
}

/* ---- command line ------------------------------------------------------ */

/* Run kn_config_cli on a NULL-terminated argument list, capturing stdout
 * and stderr. */
static int run_cli(kn_config_t **out, char **out_text, char **err_text, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, err_text);
    argv[argc++] = "kanal-test";
    for (char *a; (a = va_arg(ap, char *)) != NULL;) {
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    capture_t co, ce;
    capture_start(&co, STDOUT_FILENO);
    capture_start(&ce, STDERR_FILENO);
    int rc = kn_config_cli(argc, argv, "kanal-test", "Runs the unit test.", table, out);
    *err_text = capture_end(&ce);
    *out_text = capture_end(&co);
    return rc;
}

static void test_cli_ok(void **state)
{
    char path[512], arg[600];
    char *o, *e;
    kn_config_t *cfg;
    write_temp(path, sizeof(path),
               "zookeeper.connect=zk:2181\ncontroller.id=1\nnum.partitions=3\nbroker.id=1\n");

    assert_int_equal(run_cli(&cfg, &o, &e, "--config", path, "--override", "num.partitions=5",
                             "--override", "num.partitions=7", NULL), KN_OK);
    assert_string_equal(e, "");
    assert_string_equal(o, "");
    assert_int_equal(kn_config_int(cfg, "num.partitions"), 7);   /* later override wins */
    assert_int_equal(kn_config_int(cfg, "broker.id"), 1);
    assert_true(kn_config_is_set(cfg, "zookeeper.connect"));
    kn_config_free(cfg);
    free(o);
    free(e);

    /* Overrides beat the file wherever they are; = forms; the file as a
     * positional argument (kafka-server-start.sh style). */
    snprintf(arg, sizeof(arg), "--config=%s", path);
    assert_int_equal(run_cli(&cfg, &o, &e, "--override=num.partitions=9", arg,
                             "--override", "listeners=SSL://h:1,SSL://h:2", NULL), KN_OK);
    assert_int_equal(kn_config_int(cfg, "num.partitions"), 9);
    char **items;
    assert_int_equal(kn_config_list(cfg, "listeners", &items), 2);
    kn_config_list_free(items);
    kn_config_free(cfg);
    free(o);
    free(e);

    assert_int_equal(run_cli(&cfg, &o, &e, path, "--override", "broker.id=4", NULL), KN_OK);
    assert_int_equal(kn_config_int(cfg, "broker.id"), 4);
    assert_int_equal(kn_config_int(cfg, "num.partitions"), 3);
    kn_config_free(cfg);
    free(o);
    free(e);

    /* No file at all: defaults plus overrides. */
    assert_int_equal(run_cli(&cfg, &o, &e, "--override", "zookeeper.connect=z:1",
                             "--override", " controller.id = 5 ", NULL), KN_OK);
    assert_int_equal(kn_config_int(cfg, "num.partitions"), 1);
    assert_int_equal(kn_config_int(cfg, "controller.id"), 5);
    kn_config_free(cfg);
    free(o);
    free(e);
    unlink(path);
}

static void test_cli_help_version(void **state)
{
    char *o, *e;
    kn_config_t *cfg = (kn_config_t *)&cfg;   /* must be reset to NULL */
    assert_int_equal(run_cli(&cfg, &o, &e, "--override", "bogus=1", "--help", NULL), 1);
    assert_null(cfg);
    assert_non_null(strstr(o, "Usage: kanal-test"));
    assert_non_null(strstr(o, "Runs the unit test."));
    for (const kn_cfg_key_t *k = table; k->name; k++) {
        if (strstr(o, k->name) == NULL) {
            fail_msg("--help lacks %s", k->name);
        }
    }
    assert_non_null(strstr(o, "num.partitions  <int>  default: 1  range: [1, 10000]"));
    assert_non_null(strstr(o, "zookeeper.connect  <string>  required"));
    assert_non_null(strstr(o, "one of: none|requested|required"));
    assert_non_null(strstr(o, "Default partition count."));
    assert_null(strstr(o, "changeit"));
    assert_string_equal(e, "");
    free(o);
    free(e);

    assert_int_equal(run_cli(&cfg, &o, &e, "--version", NULL), 1);
    assert_string_equal(o, "kanal-test (Kanal) " PACKAGE_VERSION "\n");
    free(o);
    free(e);
    assert_int_equal(run_cli(&cfg, &o, &e, "-V", NULL), 1);
    free(o);
    free(e);
}

/* Expect the command line to fail with want in its stderr. */
static void cli_fails(const char *want, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, want);
    argv[argc++] = "kanal-test";
    for (char *a; (a = va_arg(ap, char *)) != NULL;) {
        argv[argc++] = a;
    }
    va_end(ap);
    capture_t ce;
    kn_config_t *cfg = (kn_config_t *)&cfg;
    capture_start(&ce, STDERR_FILENO);
    int rc = kn_config_cli(argc, argv, "kanal-test", NULL, table, &cfg);
    char *e = capture_end(&ce);
    assert_int_equal(rc, KN_ERROR);
    assert_null(cfg);
    if (strstr(e, want) == NULL) {
        fail_msg("stderr '%s' lacks '%s'", e, want);
    }
    assert_non_null(strstr(e, "Usage: kanal-test"));
    free(e);
}

static void test_cli_errors(void **state)
{
    char path[512], want[700];
    cli_fails("kanal-test: unknown argument '--frobnicate'", "--frobnicate", NULL);
    cli_fails("--override expects key=value, got 'broker.id'", "--override", "broker.id", NULL);
    cli_fails("--config needs a value", "--config", NULL);
    cli_fails("--override: unknown key 'num.partition' (did you mean 'num.partitions'?)",
              "--override", "zookeeper.connect=z", "--override", "num.partition=2", NULL);
    cli_fails("--override: num.partitions: 0 is out of range",
              "--override", "zookeeper.connect=z", "--override", "num.partitions=0", NULL);
    cli_fails("missing required keys: zookeeper.connect, controller.id",
              "--override", "broker.id=1", NULL);
    cli_fails("cannot open", "--config", "no-such-dir/none.properties", NULL);

    write_temp(path, sizeof(path),
               "zookeeper.connect=z\ncontroller.id=1\nnum.partitions=many\n");
    snprintf(want, sizeof(want), "%s:3: num.partitions: expected an integer, got 'many'", path);
    cli_fails(want, "--config", path, NULL);
    cli_fails("--config given more than once", "--config", path, "--config", path, NULL);
    cli_fails("unknown argument 'extra'", path, "extra", NULL);
    unlink(path);
}

/* ---- concurrent readers ------------------------------------------------ */

static void *reader(void *arg)
{
    const kn_config_t *cfg = arg;
    long sum = 0;
    for (int i = 0; i < 2000; i++) {
        char **items;
        sum += kn_config_int(cfg, "num.partitions");
        sum += kn_config_list(cfg, "listeners", &items);
        kn_config_list_free(items);
        sum += kn_config_str(cfg, "ssl.client.auth")[0] == 'r';
    }
    return (void *)sum;
}

static void test_concurrent_reads(void **state)
{
    kn_config_t *cfg = kn_config_new(table);
    set_ok(cfg, "num.partitions", "2");
    set_ok(cfg, "listeners", "a,b,c");
    set_ok(cfg, "ssl.client.auth", "required");
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, reader, cfg), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_int_equal((long)r, 2000L * (2 + 3 + 1));
    }
    kn_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_separators),
        cmocka_unit_test(test_parse_comments_blank_eol),
        cmocka_unit_test(test_parse_continuations),
        cmocka_unit_test(test_parse_escapes),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_file),
        cmocka_unit_test(test_parse_random),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_ints),
        cmocka_unit_test(test_bool_double_string_list),
        cmocka_unit_test(test_secret_never_printed),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_validate_without_storing),
        cmocka_unit_test(test_required),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_cli_ok),
        cmocka_unit_test(test_cli_help_version),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_concurrent_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
