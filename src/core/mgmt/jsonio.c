/* Strict payload objects in, escaped JSON out (see jsonio.h). */
#include "core/mgmt/jsonio.h"

#include <string.h>

#include "core/mesh/identity.h"
#include "core/mgmt/proto.h"
#include "core/mgmt/text.h"

bool mgmt_json_exact(const struct json_value *v, const char *const *names, size_t n)
{
	if (v->type != JSON_OBJECT || v->u.object.n != n)
		return false;
	/* The parser refuses a repeated name, so n known names are all n. */
	for (size_t i = 0; i < v->u.object.n; i++) {
		const struct json_member *m = &v->u.object.members[i];
		bool known = false;

		for (size_t k = 0; k < n && !known; k++)
			known = m->name_len == strlen(names[k]) &&
				memcmp(m->name, names[k], m->name_len) == 0;
		if (!known)
			return false;
	}
	return true;
}

static const struct json_value *get(const struct json_value *obj, const char *name,
				    enum json_kind kind)
{
	const struct json_value *v = json_member_get(obj, name);

	return v != NULL && v->type == kind ? v : NULL;
}

bool mgmt_json_str(const struct json_value *obj, const char *name, size_t min, size_t max,
		   const char **s, size_t *len)
{
	const struct json_value *v = get(obj, name, JSON_STRING);

	if (v == NULL || v->u.string.len < min || v->u.string.len > max ||
	    memchr(v->u.string.bytes, '\0', v->u.string.len) != NULL)
		return false;
	*s = v->u.string.bytes;
	*len = v->u.string.len;
	return true;
}

bool mgmt_json_u64(const struct json_value *obj, const char *name, uint64_t max,
		   uint64_t *out)
{
	const struct json_value *v = get(obj, name, JSON_INT);

	return v != NULL && json_get_u64(v, out) && *out <= max;
}

bool mgmt_json_time(const struct json_value *obj, const char *name, int64_t *out)
{
	const char *s;
	size_t len;

	return mgmt_json_str(obj, name, 20, 20, &s, &len) && mgmt_time_parse(s, len, out);
}

bool mgmt_json_hex(const struct json_value *obj, const char *name, uint8_t *out, size_t n)
{
	const char *s;
	size_t len;

	return mgmt_json_str(obj, name, 2 * n, 2 * n, &s, &len) &&
	       mgmt_hex_decode(s, len, out, n);
}

bool mgmt_json_array(const struct json_value *obj, const char *name, size_t max,
		     const struct json_value **arr)
{
	const struct json_value *v = get(obj, name, JSON_ARRAY);

	if (v == NULL || v->u.array.n > max)
		return false;
	*arr = v;
	return true;
}

bool mgmt_json_addr_value(const struct json_value *v, uint8_t out[16])
{
	char canon[IDENTITY_ADDR_TEXT];

	if (v->type != JSON_STRING || v->u.string.len >= IDENTITY_ADDR_TEXT ||
	    !identity_address_parse(v->u.string.bytes, v->u.string.len, out) ||
	    !identity_address_in_overlay(out))
		return false;
	identity_address_format(out, canon);
	return strlen(canon) == v->u.string.len &&
	       memcmp(canon, v->u.string.bytes, v->u.string.len) == 0;
}

bool mgmt_json_addr(const struct json_value *obj, const char *name, uint8_t out[16])
{
	const struct json_value *v = json_member_get(obj, name);

	return v != NULL && mgmt_json_addr_value(v, out);
}

bool mgmt_json_type_v1(const struct json_value *obj, const char *type)
{
	const char *s;
	size_t len;
	uint64_t v;

	return mgmt_json_str(obj, "type", 1, 32, &s, &len) && len == strlen(type) &&
	       memcmp(s, type, len) == 0 && mgmt_json_u64(obj, "v", 1, &v) && v == 1;
}

void mgmt_json_put_str(struct outbuf *o, const char *s, size_t len)
{
	size_t run = 0; /* bytes to copy as they are, before s[i] */

	outbuf_put(o, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\') {
			run++;
			continue;
		}
		outbuf_put(o, s + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			outbuf_put(o, esc, 2);
		} else {
			outbuf_printf(o, "\\u%04x", (unsigned)c);
		}
	}
	outbuf_put(o, s + len - run, run);
	outbuf_put(o, "\"", 1);
}

void mgmt_json_put_key(struct outbuf *o, bool first, const char *name)
{
	if (!first)
		outbuf_put(o, ",", 1);
	mgmt_json_put_str(o, name, strlen(name));
	outbuf_put(o, ":", 1);
}

void mgmt_json_put_kstr(struct outbuf *o, const char *name, const char *s, size_t len)
{
	mgmt_json_put_key(o, false, name);
	mgmt_json_put_str(o, s, len);
}

void mgmt_json_put_ku64(struct outbuf *o, const char *name, uint64_t v)
{
	mgmt_json_put_key(o, false, name);
	outbuf_u64(o, v);
}

void mgmt_json_put_ktime(struct outbuf *o, const char *name, int64_t t)
{
	char text[MGMT_TIME_TEXT];

	if (!mgmt_time_format(t, text)) {
		o->overflow = true; /* a time out of range: no payload at all */
		return;
	}
	mgmt_json_put_kstr(o, name, text, 20);
}

void mgmt_json_put_khex(struct outbuf *o, const char *name, const uint8_t *bin, size_t n)
{
	char hex[2 * MGMT_DIGEST_LEN + 1];

	if (n > MGMT_DIGEST_LEN) {
		o->overflow = true;
		return;
	}
	mgmt_hex_encode(hex, bin, n);
	mgmt_json_put_kstr(o, name, hex, 2 * n);
}

void mgmt_json_put_addr(struct outbuf *o, const uint8_t addr[16])
{
	char text[IDENTITY_ADDR_TEXT];

	identity_address_format(addr, text);
	mgmt_json_put_str(o, text, strlen(text));
}

void mgmt_json_put_kaddr(struct outbuf *o, const char *name, const uint8_t addr[16])
{
	mgmt_json_put_key(o, false, name);
	mgmt_json_put_addr(o, addr);
}

void mgmt_json_put_type_v1(struct outbuf *o, const char *type)
{
	outbuf_put(o, "{", 1);
	mgmt_json_put_key(o, true, "type");
	mgmt_json_put_str(o, type, strlen(type));
	mgmt_json_put_ku64(o, "v", 1);
}
