/* Strict IPv4 / CIDR / endpoint parsing and formatting (see cidr.h). */
#include "core/cidr.h"

#include <stdio.h>
#include <string.h>

const char *addr_err_name(enum addr_err e)
{
	switch (e) {
	case ADDR_OK:
		return "Ok";
	case ADDR_MISSING_SLASH:
		return "MissingSlash";
	case ADDR_MISSING_COLON:
		return "MissingColon";
	case ADDR_INVALID_OCTET:
		return "InvalidOctet";
	case ADDR_INVALID_PREFIX:
		return "InvalidPrefix";
	case ADDR_INVALID_PORT:
		return "InvalidPort";
	}
	return "Unknown";
}

/*
 * Parse an unsigned decimal of 1..maxdigits digits with no sign, no spaces
 * and no leading zero (so "010" cannot be read as octal by another tool).
 */
static bool parse_dec(const char *s, size_t len, unsigned maxdigits, unsigned long max,
		      unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > maxdigits)
		return false;
	if (len > 1 && s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

enum addr_err ipv4_parse(uint32_t *out, const char *s, size_t len)
{
	uint32_t addr = 0;
	size_t start = 0;
	int octets = 0;

	for (size_t i = 0; i <= len; i++) {
		unsigned long v;

		if (i < len && s[i] != '.')
			continue;
		if (octets == 4 || !parse_dec(s + start, i - start, 3, 255, &v))
			return ADDR_INVALID_OCTET;
		addr = (addr << 8) | (uint32_t)v;
		octets++;
		start = i + 1;
	}
	if (octets != 4)
		return ADDR_INVALID_OCTET;
	*out = addr;
	return ADDR_OK;
}

enum addr_err cidr_parse(struct cidr *out, const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	unsigned long prefix;
	enum addr_err e;
	uint32_t addr;

	if (slash == NULL)
		return ADDR_MISSING_SLASH;
	e = ipv4_parse(&addr, s, (size_t)(slash - s));
	if (e != ADDR_OK)
		return e;
	if (!parse_dec(slash + 1, len - (size_t)(slash - s) - 1, 2, 32, &prefix))
		return ADDR_INVALID_PREFIX;
	out->addr = addr;
	out->prefix = (uint8_t)prefix;
	return ADDR_OK;
}

/*
 * The shape of cidr_parse with ':' and a port: a shared helper would need
 * the separator, both error codes and the number's bounds, more to read
 * than the lines it would save.
 */
enum addr_err endpoint_parse(struct endpoint4 *out, const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	unsigned long port;
	enum addr_err e;
	uint32_t addr;

	if (colon == NULL)
		return ADDR_MISSING_COLON;
	e = ipv4_parse(&addr, s, (size_t)(colon - s));
	if (e != ADDR_OK)
		return e;
	if (!parse_dec(colon + 1, len - (size_t)(colon - s) - 1, 5, 65535, &port) || port == 0)
		return ADDR_INVALID_PORT;
	out->addr = addr;
	out->port = (uint16_t)port;
	return ADDR_OK;
}

uint32_t cidr_mask(uint8_t prefix)
{
	/* A shift by 32 is undefined, so /0 is its own case. */
	return prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
}

uint32_t cidr_network(const struct cidr *c)
{
	return c->addr & cidr_mask(c->prefix);
}

bool cidr_contains(const struct cidr *c, uint32_t addr)
{
	uint32_t m = cidr_mask(c->prefix);

	return (addr & m) == (c->addr & m);
}

bool cidr_overlap(const struct cidr *a, const struct cidr *b)
{
	uint32_t m = cidr_mask(a->prefix < b->prefix ? a->prefix : b->prefix);

	return (a->addr & m) == (b->addr & m);
}

bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return a->addr == b->addr && a->prefix == b->prefix;
}

size_t ipv4_format(uint32_t addr, char out[IPV4_STR_MAX])
{
	int n = snprintf(out, IPV4_STR_MAX, "%u.%u.%u.%u", (unsigned)(addr >> 24),
			 (unsigned)(addr >> 16) & 0xff, (unsigned)(addr >> 8) & 0xff,
			 (unsigned)addr & 0xff);
	return (size_t)n;
}

size_t cidr_format(const struct cidr *c, char out[CIDR_STR_MAX])
{
	size_t n = ipv4_format(c->addr, out);

	return n + (size_t)snprintf(out + n, CIDR_STR_MAX - n, "/%u", (unsigned)c->prefix);
}

size_t endpoint_format(const struct endpoint4 *e, char out[ENDPOINT_STR_MAX])
{
	size_t n = ipv4_format(e->addr, out);

	return n + (size_t)snprintf(out + n, ENDPOINT_STR_MAX - n, ":%u", (unsigned)e->port);
}
