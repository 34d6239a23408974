/*
 * common/config.h -- typed configuration from Java-properties files and the
 * command line.
 *
 * Each binary declares a table of the keys it knows (name, type, default,
 * range or choices, doc). kn_config_cli() implements the shared command
 * line: --config FILE, repeated --override key=value, --help (lists the
 * table), --version. Unknown keys and bad values are errors that name the
 * key and where it came from ("broker.properties:12: num.partitions: ...");
 * nothing is silently defaulted.
 *
 * The same table and kn_config_validate() check per-topic overrides that
 * arrive over the wire (CreateTopics configs), so both paths agree.
 */
#ifndef KN_CONFIG_H
#define KN_CONFIG_H

/* A .c file in common/ that starts with #include "config.h" reaches this
 * header, not autoconf's: quoted includes search the including file's own
 * folder first. Pull autoconf's in (from the build tree, by the -I path) so
 * _GNU_SOURCE and PACKAGE_VERSION are still defined before any system
 * header. Re-including it elsewhere is harmless: it only defines macros. */
#include <config.h>

#include <stdio.h>

#include "kn.h"

typedef enum {
    KN_CFG_STRING,   /* any text; 'choices' restricts it to "a|b|c" */
    KN_CFG_INT,      /* int32, within [min, max] */
    KN_CFG_LONG,     /* int64, within [min, max] */
    KN_CFG_BOOL,     /* true|false (case-insensitive) */
    KN_CFG_DOUBLE,   /* within [min, max] */
    KN_CFG_LIST      /* comma-separated strings, blanks trimmed */
} kn_cfg_type_t;

#define KN_CFG_REQUIRED 0x1   /* must be set (default is ignored) */
#define KN_CFG_SECRET   0x2   /* never printed (passwords) */

typedef struct {
    const char    *name;      /* Kafka's key name, e.g. "log.segment.bytes" */
    kn_cfg_type_t  type;
    const char    *def;       /* default as text; NULL = unset */
    int64_t        min, max;  /* INT/LONG/DOUBLE bounds; min > max, or both 0,
                                 = unbounded (INT is always within int32) */
    const char    *choices;   /* STRING: "none|requested|required", or NULL */
    /* Extra check; returns KN_OK, or KN_ERROR with a reason in err. */
    int          (*validate)(const char *value, char *err, size_t errlen);
    unsigned       flags;     /* KN_CFG_REQUIRED, KN_CFG_SECRET */
    const char    *doc;       /* one line for --help */
} kn_cfg_key_t;

/* Tables end with an entry whose name is NULL. */

typedef struct kn_config_s kn_config_t;

kn_config_t *kn_config_new(const kn_cfg_key_t *table);
void kn_config_free(kn_config_t *cfg);

/* Java-properties parsing: '#'/'!' comments, key=value, key:value and
 * "key value", backslash escapes (\t \n \\ \uXXXX as UTF-8), line
 * continuations with a trailing backslash. The callback sees each pair with
 * the line number where it started; a non-KN_OK return stops parsing. */
typedef int (*kn_props_cb)(void *ud, const char *key, const char *value, int line);
int kn_props_parse(const char *text, size_t len, kn_props_cb cb, void *ud);
/* The same, writing "LINE: reason" to err on a syntax error (a malformed
 * \uXXXX escape, \u0000 or a NUL byte). kn_props_parse() is this with
 * err == NULL. */
int kn_props_parse_ex(const char *text, size_t len, kn_props_cb cb, void *ud,
                      char *err, size_t errlen);
/* Read a whole file and parse it; on I/O or syntax error writes a message
 * ("path:LINE: reason") to err. Errors returned by the callback are the
 * callback's to describe. */
int kn_props_parse_file(const char *path, kn_props_cb cb, void *ud, char *err, size_t errlen);
/* Read a whole (small) file into a NUL-terminated heap buffer; NULL with a
 * message in err on failure. */
char *kn_props_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* Load a properties file into cfg; every key is checked against the table. */
int kn_config_load_file(kn_config_t *cfg, const char *path, char *err, size_t errlen);
/* Set one key; origin ("file:line", "--override") goes into messages. */
int kn_config_set(kn_config_t *cfg, const char *key, const char *value,
                  const char *origin, char *err, size_t errlen);
/* Check KN_CFG_REQUIRED keys are present. */
int kn_config_finish(kn_config_t *cfg, char *err, size_t errlen);
/* Check a value against a table without storing it (topic overrides). */
int kn_config_validate(const kn_cfg_key_t *table, const char *key, const char *value,
                       char *err, size_t errlen);
const kn_cfg_key_t *kn_config_find_key(const kn_cfg_key_t *table, const char *key);
/* The table key closest to a mistyped one (small edit distance), or NULL;
 * used for "unknown key 'num.partition' (did you mean 'num.partitions'?)". */
const char *kn_config_suggest(const kn_cfg_key_t *table, const char *key);
/* The table cfg was created with. */
const kn_cfg_key_t *kn_config_table(const kn_config_t *cfg);

/* Typed getters; the key must be in the table (asserted). Values are
 * converted when set, so getters never fail and never write: once loaded,
 * a config may be read from any thread without locking (kn_config_set()
 * after that is not thread-safe). kn_config_int() also serves LONG and
 * BOOL keys; kn_config_double() also INT and LONG; unset numbers read 0. */
const char *kn_config_str(const kn_config_t *cfg, const char *key);   /* NULL if unset */
int64_t     kn_config_int(const kn_config_t *cfg, const char *key);
bool        kn_config_bool(const kn_config_t *cfg, const char *key);
double      kn_config_double(const kn_config_t *cfg, const char *key);
/* LIST: returns the item count and a NULL-terminated array of strings,
 * freed with kn_config_list_free(). Items are trimmed; empty items ("a,,b",
 * a trailing comma) are dropped; an unset key gives 0 items. */
int  kn_config_list(const kn_config_t *cfg, const char *key, char ***items);
void kn_config_list_free(char **items);
/* true if the key was set by file or override (not just defaulted). */
bool kn_config_is_set(const kn_config_t *cfg, const char *key);

/* Print the table (name, type, default, range, doc) for --help. */
void kn_config_help(FILE *out, const kn_cfg_key_t *table);
/* Print every key's effective value ("  key = value (default)"), secrets
 * shown as [hidden]; for the startup log. */
void kn_config_dump(FILE *out, const kn_config_t *cfg);

/* The shared command line of every Kanal daemon: --config FILE (or the file
 * as the one positional argument, as Kafka's scripts take it), repeated
 * --override key=value applied after the file in order (later wins),
 * --help/-h, --version/-V ("<progname> (Kanal) <version>" on stdout).
 * Returns KN_OK with *out set
 * to a loaded config, 1 if --help/--version was printed (exit 0), or
 * KN_ERROR after printing the error and usage to stderr (exit non-zero). */
int kn_config_cli(int argc, char **argv, const char *progname, const char *summary,
                  const kn_cfg_key_t *table, kn_config_t **out);

#endif /* KN_CONFIG_H */
