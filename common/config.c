/*
 * common/config.c -- typed configuration: Java-properties parser, per-key
 * validation against a binary's table, typed getters and the shared
 * command line (--config, --override, --help, --version). See config.h.
 *
 * A kn_config_t holds one slot per table entry. Values are validated and
 * converted once, when they are set (file, override or default), so the
 * getters never fail and never write: after loading, a config may be read
 * from any number of threads without locking.
 */
#include "config.h"
#include "common/config.h"
#include "buf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <assert.h>

typedef struct {
    char   *text;   /* trimmed value as set (or the default); NULL = unset */
    bool    set;    /* set by file or override, not just defaulted */
    int64_t i;      /* INT/LONG value; BOOL as 0/1 */
    double  d;      /* DOUBLE value (also INT/LONG as double) */
} kn_cfg_slot_t;

struct kn_config_s {
    const kn_cfg_key_t *table;
    size_t              n;      /* entries in table */
    kn_cfg_slot_t      *slots;  /* one per table entry */
};

static void kn_cfg_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void kn_cfg_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- value checking --------------------------------------------------- */

static const char *kn_cfg_type_name(kn_cfg_type_t t)
{
    switch (t) {
    case KN_CFG_STRING: return "string";
    case KN_CFG_INT:    return "int";
    case KN_CFG_LONG:   return "long";
    case KN_CFG_BOOL:   return "boolean";
    case KN_CFG_DOUBLE: return "double";
    case KN_CFG_LIST:   return "list";
    }
    return "?";
}

/* A range is in force unless min > max; min == max == 0 (what a table
 * entry that leaves both out gets) also means unbounded, since a key that
 * can only ever be 0 is not a setting. */
static bool kn_cfg_bounded(const kn_cfg_key_t *k)
{
    return k->min <= k->max && !(k->min == 0 && k->max == 0);
}

/* Copy of s without leading/trailing blanks (Kafka trims values too). */
static char *kn_cfg_trim_dup(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\f' || *s == '\r' || *s == '\n') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\f' ||
                     s[n - 1] == '\r' || s[n - 1] == '\n')) {
        n--;
    }
    return kn_strndup(s, n);
}

/* true if word (len n) is one of the '|'-separated choices. */
static bool kn_cfg_in_choices(const char *choices, const char *word, size_t n)
{
    const char *p = choices;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t m = bar ? (size_t)(bar - p) : strlen(p);
        if (m == n && memcmp(p, word, n) == 0) {
            return true;
        }
        if (bar == NULL) {
            return false;
        }
        p = bar + 1;
    }
}

/* Check a trimmed value against key k; on success fill the slot's numeric
 * fields. The message is "<reason>" only; callers add origin and key. */
static int kn_cfg_check(const kn_cfg_key_t *k, const char *v, kn_cfg_slot_t *slot,
                        char *err, size_t errlen)
{
    int64_t i = 0;
    double d = 0;
    char *end;

    switch (k->type) {
    case KN_CFG_INT:
    case KN_CFG_LONG:
        errno = 0;
        i = strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0') {
            kn_cfg_errf(err, errlen, "expected an integer, got '%s'", v);
            return KN_ERROR;
        }
        if (errno == ERANGE ||
            (k->type == KN_CFG_INT && (i < INT32_MIN || i > INT32_MAX))) {
            kn_cfg_errf(err, errlen, "'%s' does not fit in type %s", v,
                        kn_cfg_type_name(k->type));
            return KN_ERROR;
        }
        if (kn_cfg_bounded(k) && (i < k->min || i > k->max)) {
            kn_cfg_errf(err, errlen, "%lld is out of range [%lld, %lld]", (long long)i,
                        (long long)k->min, (long long)k->max);
            return KN_ERROR;
        }
        d = (double)i;
        break;
    case KN_CFG_DOUBLE:
        errno = 0;
        d = strtod(v, &end);
        if (*v == '\0' || *end != '\0' || !isfinite(d)) {
            kn_cfg_errf(err, errlen, "expected a number, got '%s'", v);
            return KN_ERROR;
        }
        if (kn_cfg_bounded(k) && (d < (double)k->min || d > (double)k->max)) {
            kn_cfg_errf(err, errlen, "%s is out of range [%lld, %lld]", v,
                        (long long)k->min, (long long)k->max);
            return KN_ERROR;
        }
        break;
    case KN_CFG_BOOL:
        if (strcasecmp(v, "true") == 0) {
            i = 1;
        } else if (strcasecmp(v, "false") != 0) {
            kn_cfg_errf(err, errlen, "expected true or false, got '%s'", v);
            return KN_ERROR;
        }
        d = (double)i;
        break;
    case KN_CFG_STRING:
        if (k->choices && !kn_cfg_in_choices(k->choices, v, strlen(v))) {
            kn_cfg_errf(err, errlen, "'%s' is not one of %s", v, k->choices);
            return KN_ERROR;
        }
        break;
    case KN_CFG_LIST:
        if (k->choices) {
            /* Every item must be one of the choices. */
            for (const char *p = v; *p != '\0';) {
                const char *comma = strchr(p, ',');
                size_t m = comma ? (size_t)(comma - p) : strlen(p);
                const char *item = p;
                while (m > 0 && (*item == ' ' || *item == '\t')) {
                    item++;
                    m--;
                }
                while (m > 0 && (item[m - 1] == ' ' || item[m - 1] == '\t')) {
                    m--;
                }
                if (m > 0 && !kn_cfg_in_choices(k->choices, item, m)) {
                    kn_cfg_errf(err, errlen, "item '%.*s' is not one of %s", (int)m, item,
                                k->choices);
                    return KN_ERROR;
                }
                p = comma ? comma + 1 : p + strlen(p);
            }
        }
        break;
    }
    if (k->validate) {
        char why[256] = "";
        if (k->validate(v, why, sizeof(why)) != KN_OK) {
            kn_cfg_errf(err, errlen, "%s", why[0] ? why : "invalid value");
            return KN_ERROR;
        }
    }
    if (slot) {
        slot->i = i;
        slot->d = d;
    }
    return KN_OK;
}

/* ---- the table -------------------------------------------------------- */

const kn_cfg_key_t *kn_config_find_key(const kn_cfg_key_t *table, const char *key)
{
    for (const kn_cfg_key_t *k = table; k->name != NULL; k++) {
        if (strcmp(k->name, key) == 0) {
            return k;
        }
    }
    return NULL;
}

/* Edit distance, for "did you mean" on a mistyped key. */
static size_t kn_cfg_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = kn_malloc((lb + 1) * sizeof(*row));
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = KN_MIN(best, up + 1);
            best = KN_MIN(best, row[j - 1] + 1);
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

const char *kn_config_suggest(const kn_cfg_key_t *table, const char *key)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    size_t len = strlen(key);
    if (len > 256) {
        return NULL;   /* nobody mistypes a 256-character key */
    }
    for (const kn_cfg_key_t *k = table; k->name != NULL; k++) {
        size_t d = kn_cfg_distance(key, k->name);
        if (d < best_d) {
            best_d = d;
            best = k->name;
        }
    }
    /* Close enough to be a typo, not a different word. */
    if (best != NULL && best_d <= 3 && best_d * 3 <= KN_MAX(len, strlen(best))) {
        return best;
    }
    return NULL;
}

/* "<origin>: " or "" */
static void kn_cfg_unknown(const kn_cfg_key_t *table, const char *key, const char *origin,
                           char *err, size_t errlen)
{
    const char *hint = kn_config_suggest(table, key);
    kn_cfg_errf(err, errlen, "%s%sunknown key '%s'%s%s%s", origin ? origin : "",
                origin ? ": " : "", key, hint ? " (did you mean '" : "", hint ? hint : "",
                hint ? "'?)" : "");
}

int kn_config_validate(const kn_cfg_key_t *table, const char *key, const char *value,
                       char *err, size_t errlen)
{
    const kn_cfg_key_t *k = kn_config_find_key(table, key);
    if (k == NULL) {
        kn_cfg_unknown(table, key, NULL, err, errlen);
        return KN_ERROR;
    }
    char *v = kn_cfg_trim_dup(value);
    char why[384];
    int rc = kn_cfg_check(k, v, NULL, why, sizeof(why));
    if (rc != KN_OK) {
        kn_cfg_errf(err, errlen, "%s: %s", key, why);
    }
    free(v);
    return rc;
}

kn_config_t *kn_config_new(const kn_cfg_key_t *table)
{
    kn_config_t *cfg = kn_calloc(1, sizeof(*cfg));
    cfg->table = table;
    while (table[cfg->n].name != NULL) {
        cfg->n++;
    }
    cfg->slots = kn_calloc(cfg->n ? cfg->n : 1, sizeof(*cfg->slots));
    for (size_t i = 0; i < cfg->n; i++) {
        const kn_cfg_key_t *k = &table[i];
        for (size_t j = 0; j < i; j++) {
            if (strcmp(table[j].name, k->name) == 0) {
                /* A second entry would never be reachable by name. */
                fprintf(stderr, "kanal: config key '%s' is in the table twice\n", k->name);
                abort();
            }
        }
        if (k->def == NULL || (k->flags & KN_CFG_REQUIRED)) {
            continue;   /* a required key has no default, by contract */
        }
        char why[384];
        char *v = kn_cfg_trim_dup(k->def);
        if (kn_cfg_check(k, v, &cfg->slots[i], why, sizeof(why)) != KN_OK) {
            /* A default that fails its own rule is a bug in the table;
             * stop at once rather than run with a value nobody chose. */
            fprintf(stderr, "kanal: bad default for config key '%s': %s\n", k->name, why);
            abort();
        }
        cfg->slots[i].text = v;
    }
    return cfg;
}

void kn_config_free(kn_config_t *cfg)
{
    if (cfg == NULL) {
        return;
    }
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->slots[i].text);
    }
    free(cfg->slots);
    free(cfg);
}

const kn_cfg_key_t *kn_config_table(const kn_config_t *cfg)
{
    return cfg->table;
}

static kn_cfg_slot_t *kn_cfg_slot(const kn_config_t *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->n; i++) {
        if (strcmp(cfg->table[i].name, key) == 0) {
            return &cfg->slots[i];
        }
    }
    return NULL;
}

int kn_config_set(kn_config_t *cfg, const char *key, const char *value,
                  const char *origin, char *err, size_t errlen)
{
    kn_cfg_slot_t *slot = kn_cfg_slot(cfg, key);
    if (slot == NULL) {
        kn_cfg_unknown(cfg->table, key, origin, err, errlen);
        return KN_ERROR;
    }
    const kn_cfg_key_t *k = &cfg->table[slot - cfg->slots];
    char *v = kn_cfg_trim_dup(value);
    char why[384];
    kn_cfg_slot_t tmp = *slot;
    if (kn_cfg_check(k, v, &tmp, why, sizeof(why)) != KN_OK) {
        if (k->flags & KN_CFG_SECRET) {
            /* The reason may quote the value; a password must not leak
             * into logs through a typo. */
            snprintf(why, sizeof(why), "invalid value (not shown: secret)");
        }
        kn_cfg_errf(err, errlen, "%s%s%s: %s", origin ? origin : "", origin ? ": " : "",
                    key, why);
        free(v);
        return KN_ERROR;
    }
    free(slot->text);
    *slot = tmp;
    slot->text = v;
    slot->set = true;
    return KN_OK;
}

typedef struct {
    kn_config_t *cfg;
    const char  *path;
    char        *err;
    size_t       errlen;
} kn_cfg_load_t;

static int kn_cfg_load_cb(void *ud, const char *key, const char *value, int line)
{
    kn_cfg_load_t *ld = ud;
    char origin[512];
    snprintf(origin, sizeof(origin), "%s:%d", ld->path, line);
    return kn_config_set(ld->cfg, key, value, origin, ld->err, ld->errlen);
}

int kn_config_load_file(kn_config_t *cfg, const char *path, char *err, size_t errlen)
{
    kn_cfg_load_t ld = { cfg, path, err, errlen };
    return kn_props_parse_file(path, kn_cfg_load_cb, &ld, err, errlen);
}

int kn_config_finish(kn_config_t *cfg, char *err, size_t errlen)
{
    kn_wbuf_t missing;
    kn_wbuf_init(&missing, 128);
    for (size_t i = 0; i < cfg->n; i++) {
        if ((cfg->table[i].flags & KN_CFG_REQUIRED) && !cfg->slots[i].set) {
            if (missing.len > 0) {
                kn_wbuf_raw(&missing, ", ", 2);
            }
            kn_wbuf_raw(&missing, cfg->table[i].name, strlen(cfg->table[i].name));
        }
    }
    int rc = KN_OK;
    if (missing.len > 0) {
        kn_wbuf_i8(&missing, 0);
        kn_cfg_errf(err, errlen, "missing required key%s: %s",
                    strchr((char *)missing.data, ',') ? "s" : "", (char *)missing.data);
        rc = KN_ERROR;
    }
    kn_wbuf_free(&missing);
    return rc;
}

/* ---- getters ---------------------------------------------------------- */

/* The key must be in the table: asking for one that is not is a typo in
 * the code, caught by the first test that runs it. */
static const kn_cfg_slot_t *kn_cfg_get(const kn_config_t *cfg, const char *key,
                                       const kn_cfg_key_t **kp)
{
    const kn_cfg_slot_t *slot = kn_cfg_slot(cfg, key);
    if (slot == NULL) {
        fprintf(stderr, "kanal: config key '%s' is not in the table\n", key);
        abort();
    }
    *kp = &cfg->table[slot - cfg->slots];
    return slot;
}

const char *kn_config_str(const kn_config_t *cfg, const char *key)
{
    const kn_cfg_key_t *k;
    return kn_cfg_get(cfg, key, &k)->text;
}

int64_t kn_config_int(const kn_config_t *cfg, const char *key)
{
    const kn_cfg_key_t *k;
    const kn_cfg_slot_t *s = kn_cfg_get(cfg, key, &k);
    assert(k->type == KN_CFG_INT || k->type == KN_CFG_LONG || k->type == KN_CFG_BOOL);
    return s->i;
}

bool kn_config_bool(const kn_config_t *cfg, const char *key)
{
    const kn_cfg_key_t *k;
    const kn_cfg_slot_t *s = kn_cfg_get(cfg, key, &k);
    assert(k->type == KN_CFG_BOOL);
    return s->i != 0;
}

double kn_config_double(const kn_config_t *cfg, const char *key)
{
    const kn_cfg_key_t *k;
    const kn_cfg_slot_t *s = kn_cfg_get(cfg, key, &k);
    assert(k->type == KN_CFG_DOUBLE || k->type == KN_CFG_INT || k->type == KN_CFG_LONG);
    return s->d;
}

int kn_config_list(const kn_config_t *cfg, const char *key, char ***items)
{
    const kn_cfg_key_t *k;
    const kn_cfg_slot_t *s = kn_cfg_get(cfg, key, &k);
    const char *v = s->text ? s->text : "";
    /* At most (commas + 1) items, plus the NULL terminator. */
    size_t cap = 2;
    for (const char *p = v; *p; p++) {
        cap += *p == ',';
    }
    char **out = kn_calloc(cap, sizeof(*out));
    int n = 0;
    for (const char *p = v; *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t m = comma ? (size_t)(comma - p) : strlen(p);
        char *item = kn_strndup(p, m);
        char *t = kn_cfg_trim_dup(item);
        free(item);
        if (t[0] != '\0') {
            out[n++] = t;   /* "a,,b" and a trailing comma add no empty items */
        } else {
            free(t);
        }
        p = comma ? comma + 1 : p + m;
    }
    out[n] = NULL;
    *items = out;
    return n;
}

void kn_config_list_free(char **items)
{
    if (items == NULL) {
        return;
    }
    for (char **p = items; *p != NULL; p++) {
        free(*p);
    }
    free(items);
}

bool kn_config_is_set(const kn_config_t *cfg, const char *key)
{
    const kn_cfg_key_t *k;
    return kn_cfg_get(cfg, key, &k)->set;
}

/* ---- help, dump and the command line ---------------------------------- */

void kn_config_help(FILE *out, const kn_cfg_key_t *table)
{
    fprintf(out, "Configuration keys (in the --config file or as --override key=value):\n");
    for (const kn_cfg_key_t *k = table; k->name != NULL; k++) {
        fprintf(out, "  %s  <%s>", k->name, kn_cfg_type_name(k->type));
        if (k->flags & KN_CFG_REQUIRED) {
            fprintf(out, "  required");
        } else if (k->def != NULL && !(k->flags & KN_CFG_SECRET)) {
            fprintf(out, "  default: %s", k->def[0] ? k->def : "\"\"");
        }
        if (k->type != KN_CFG_STRING && k->type != KN_CFG_LIST && k->type != KN_CFG_BOOL &&
            kn_cfg_bounded(k)) {
            fprintf(out, "  range: [%lld, %lld]", (long long)k->min, (long long)k->max);
        }
        if (k->choices) {
            fprintf(out, "  one of: %s", k->choices);
        }
        fprintf(out, "\n      %s\n", k->doc ? k->doc : "");
    }
}

void kn_config_dump(FILE *out, const kn_config_t *cfg)
{
    for (size_t i = 0; i < cfg->n; i++) {
        const kn_cfg_key_t *k = &cfg->table[i];
        const char *v = cfg->slots[i].text;
        if (v != NULL && (k->flags & KN_CFG_SECRET)) {
            v = "[hidden]";
        }
        fprintf(out, "  %s = %s%s\n", k->name, v ? v : "null",
                cfg->slots[i].set ? "" : " (default)");
    }
}

static void kn_cfg_usage(FILE *out, const char *progname)
{
    fprintf(out,
            "Usage: %s [--config FILE] [--override key=value]...\n"
            "       %s --help | --version\n",
            progname, progname);
}

/* Value of "--opt VALUE" or "--opt=VALUE" at argv[*i]; NULL if argv[*i] is
 * not this option. Sets *missing if the option has no value. */
static const char *kn_cfg_optarg(int argc, char **argv, int *i, const char *opt, bool *missing)
{
    size_t n = strlen(opt);
    const char *a = argv[*i];
    if (strncmp(a, opt, n) != 0) {
        return NULL;
    }
    if (a[n] == '=') {
        return a + n + 1;
    }
    if (a[n] != '\0') {
        return NULL;
    }
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

int kn_config_cli(int argc, char **argv, const char *progname, const char *summary,
                  const kn_cfg_key_t *table, kn_config_t **out)
{
    char err[1024] = "";
    const char *file = NULL;
    kn_config_t *cfg = NULL;

    *out = NULL;
    /* --help and --version win wherever they appear, as in most tools. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            kn_cfg_usage(stdout, progname);
            if (summary) {
                fprintf(stdout, "\n%s\n", summary);
            }
            fprintf(stdout,
                    "\nOptions:\n"
                    "  --config FILE          read settings from a Java-properties file\n"
                    "  --override key=value   set one key (repeatable; wins over the file)\n"
                    "  --help                 print this help and exit\n"
                    "  --version              print the version and exit\n\n");
            kn_config_help(stdout, table);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            fprintf(stdout, "%s (Kanal) %s\n", progname, PACKAGE_VERSION);
            return 1;
        }
    }
    /* First pass: find the file, check option syntax. */
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if ((v = kn_cfg_optarg(argc, argv, &i, "--config", &missing)) != NULL) {
            if (file != NULL) {
                kn_cfg_errf(err, sizeof(err), "--config given more than once");
                goto fail;
            }
            file = v;
        } else if ((v = kn_cfg_optarg(argc, argv, &i, "--override", &missing)) != NULL) {
            if (strchr(v, '=') == NULL) {
                kn_cfg_errf(err, sizeof(err), "--override expects key=value, got '%s'", v);
                goto fail;
            }
        } else if (missing) {
            kn_cfg_errf(err, sizeof(err), "%s needs a value", argv[i]);
            goto fail;
        } else if (argv[i][0] != '-' && file == NULL) {
            file = argv[i];   /* Kafka's habit: the properties file as an argument */
        } else {
            kn_cfg_errf(err, sizeof(err), "unknown argument '%s'", argv[i]);
            goto fail;
        }
    }
    cfg = kn_config_new(table);
    if (file != NULL && kn_config_load_file(cfg, file, err, sizeof(err)) != KN_OK) {
        goto fail;
    }
    /* Second pass: overrides in order, so a later one wins. */
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v = kn_cfg_optarg(argc, argv, &i, "--override", &missing);
        if (v == NULL) {
            if (strcmp(argv[i], "--config") == 0) {
                i++;   /* skip the file name */
            }
            continue;
        }
        const char *eq = strchr(v, '=');
        char *raw = kn_strndup(v, (size_t)(eq - v));
        char *key = kn_cfg_trim_dup(raw);   /* --override 'a.b = 1' works too */
        int src = kn_config_set(cfg, key, eq + 1, "--override", err, sizeof(err));
        free(key);
        free(raw);
        if (src != KN_OK) {
            goto fail;
        }
    }
    if (kn_config_finish(cfg, err, sizeof(err)) != KN_OK) {
        goto fail;
    }
    *out = cfg;
    return KN_OK;

fail:
    fprintf(stderr, "%s: %s\n", progname, err);
    kn_cfg_usage(stderr, progname);
    fprintf(stderr, "Try '%s --help' for the list of keys.\n", progname);
    kn_config_free(cfg);
    return KN_ERROR;
}
