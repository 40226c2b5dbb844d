/*
 * Reading and writing the JSON of management payloads: strict objects
 * (exactly the members a version defines, each of its type and within its
 * limits) on the way in, and escaped strings on the way out.  The parser is
 * core/json.c; the decoders (license.c, bundle.c) walk its tree with these,
 * and the encoders write into an outbuf (core/outbuf.h).
 *
 * Every getter returns false when the member is absent, of another type or
 * out of its bounds; a caller has already checked the member set with
 * mgmt_json_exact, so "absent" is a programmer error there.
 */
#ifndef SUBNETRA_MGMT_JSONIO_H
#define SUBNETRA_MGMT_JSONIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"
#include "core/outbuf.h"

/* v is an object whose members are exactly names[0..n) (in any order). */
bool mgmt_json_exact(const struct json_value *v, const char *const *names, size_t n);

/* A string of min..max bytes with no NUL; *s points into the tree. */
bool mgmt_json_str(const struct json_value *obj, const char *name, size_t min, size_t max,
		   const char **s, size_t *len);
/* An integer 0..max. */
bool mgmt_json_u64(const struct json_value *obj, const char *name, uint64_t max,
		   uint64_t *out);
/* The largest integer a payload holds: 2^53 - 1, exact in every JSON reader. */
#define MGMT_JSON_INT_MAX 9007199254740991ULL

/* A UTC time string (text.h) as unix seconds. */
bool mgmt_json_time(const struct json_value *obj, const char *name, int64_t *out);
/* Exactly 2n lowercase hex digits. */
bool mgmt_json_hex(const struct json_value *obj, const char *name, uint8_t *out, size_t n);
/* An array of at most max items: *arr the array value. */
bool mgmt_json_array(const struct json_value *obj, const char *name, size_t max,
		     const struct json_value **arr);

/* An overlay address (fc94::/16) in its RFC 5952 text, and nothing else. */
bool mgmt_json_addr_value(const struct json_value *v, uint8_t out[16]);
bool mgmt_json_addr(const struct json_value *obj, const char *name, uint8_t out[16]);
/* "type" is type and "v" is 1: the first two members of every payload. */
bool mgmt_json_type_v1(const struct json_value *obj, const char *type);

/* s[0..len) as a JSON string: '"', '\\' and bytes below 0x20 and 0x7f escaped, others as they are. */
void mgmt_json_put_str(struct outbuf *o, const char *s, size_t len);
/* ,"name": (no comma when first) */
void mgmt_json_put_key(struct outbuf *o, bool first, const char *name);
void mgmt_json_put_kstr(struct outbuf *o, const char *name, const char *s, size_t len);
void mgmt_json_put_ku64(struct outbuf *o, const char *name, uint64_t v);
/* A UTC time as text.h formats it. */
void mgmt_json_put_ktime(struct outbuf *o, const char *name, int64_t t);
void mgmt_json_put_addr(struct outbuf *o, const uint8_t addr[16]);
void mgmt_json_put_kaddr(struct outbuf *o, const char *name, const uint8_t addr[16]);
/* {"type":"<type>","v":1 -- the object stays open */
void mgmt_json_put_type_v1(struct outbuf *o, const char *type);
void mgmt_json_put_khex(struct outbuf *o, const char *name, const uint8_t *bin, size_t n);

#endif
