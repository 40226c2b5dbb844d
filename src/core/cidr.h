/*
 * IPv4 addresses, CIDR prefixes and "A.B.C.D:port" endpoints: strict parsing
 * (no hostnames, no leading zeros, no spaces), formatting and set relations.
 * Addresses are held in host byte order.  Host bits of a CIDR are kept as
 * given; cidr_network() masks them when a caller needs the network.
 */
#ifndef SUBNETRA_CIDR_H
#define SUBNETRA_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	IPV4_STR_MAX = 16,     /* "255.255.255.255" + NUL */
	CIDR_STR_MAX = 19,     /* "255.255.255.255/32" + NUL */
	ENDPOINT_STR_MAX = 22, /* "255.255.255.255:65535" + NUL */
};

struct cidr {
	uint32_t addr;
	uint8_t prefix;
};

struct endpoint4 {
	uint32_t addr;
	uint16_t port;
};

/* Sub-errors, named as in the interface reference. */
enum addr_err {
	ADDR_OK = 0,
	ADDR_MISSING_SLASH,
	ADDR_MISSING_COLON,
	ADDR_INVALID_OCTET,
	ADDR_INVALID_PREFIX,
	ADDR_INVALID_PORT,
};

const char *addr_err_name(enum addr_err e);

/* s need not be NUL-terminated; len is its length. */
enum addr_err ipv4_parse(uint32_t *out, const char *s, size_t len);
enum addr_err cidr_parse(struct cidr *out, const char *s, size_t len);
enum addr_err endpoint_parse(struct endpoint4 *out, const char *s, size_t len);

uint32_t cidr_mask(uint8_t prefix);
uint32_t cidr_network(const struct cidr *c);
bool cidr_contains(const struct cidr *c, uint32_t addr);
/* Do a and b share the network bits under the shorter of the two masks? */
bool cidr_overlap(const struct cidr *a, const struct cidr *b);
bool cidr_equal(const struct cidr *a, const struct cidr *b);

/* Each returns the string length (always NUL-terminated, never truncated). */
size_t ipv4_format(uint32_t addr, char out[IPV4_STR_MAX]);
size_t cidr_format(const struct cidr *c, char out[CIDR_STR_MAX]);
size_t endpoint_format(const struct endpoint4 *e, char out[ENDPOINT_STR_MAX]);

#endif
