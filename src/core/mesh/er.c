/*
 * Endpoint records and EP18 (see er.h).
 *
 * One field checker (check_fields) serves the builder and the parser, so a
 * node can never sign a record its peers would refuse.  The parser checks
 * in a fixed order, cheapest first: the layout (n, name_len, the exact
 * length), the fields, the key filter and address (two SHA-256), and the
 * signature (about 55 µs) last.
 */
#include "core/mesh/er.h"

#include <string.h>

#include "core/bytes/byteorder.h"
#include "core/mesh/identity.h"
#include "core/mesh/name.h"

static const char *const names[ER_RESULT_END] = {
    [ER_OK] = "ok",
#define ER_NAME(up, low) [ER_##up] = #low,
    ER_REASONS(ER_NAME)
#undef ER_NAME
};

const char *er_result_name(enum er_result r)
{
	return (unsigned)r < ER_RESULT_END ? names[r] : "?";
}

/* ---- EP18 --------------------------------------------------------------- */

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void ep18_put(uint8_t out[EP18_LEN], const struct ep18 *ep)
{
	memcpy(out, ep->addr, EP18_ADDR_LEN);
	store_be16(out + EP18_ADDR_LEN, ep->port);
}

void ep18_get(struct ep18 *ep, const uint8_t in[EP18_LEN])
{
	memcpy(ep->addr, in, EP18_ADDR_LEN);
	ep->port = load_be16(in + EP18_ADDR_LEN);
}

void ep18_from_ipv4(struct ep18 *ep, const uint8_t v4[4], uint16_t port)
{
	memcpy(ep->addr, v4_mapped, sizeof(v4_mapped));
	memcpy(ep->addr + sizeof(v4_mapped), v4, 4);
	ep->port = port;
}

void ep18_from_ipv6(struct ep18 *ep, const uint8_t v6[16], uint16_t port)
{
	memcpy(ep->addr, v6, EP18_ADDR_LEN);
	ep->port = port;
}

bool ep18_is_ipv4(const struct ep18 *ep, uint8_t v4[4])
{
	if (memcmp(ep->addr, v4_mapped, sizeof(v4_mapped)) != 0)
		return false;
	if (v4 != NULL)
		memcpy(v4, ep->addr + sizeof(v4_mapped), 4);
	return true;
}

bool ep18_equal(const struct ep18 *a, const struct ep18 *b)
{
	return a->port == b->port && memcmp(a->addr, b->addr, EP18_ADDR_LEN) == 0;
}

/* The address classes both predicates care about. */
struct addr_class {
	bool unspecified, multicast, loopback, link_local, overlay, reserved;
};

static struct addr_class classify(const struct ep18 *ep)
{
	struct addr_class c = {0};
	const uint8_t *a = ep->addr;
	uint8_t v4[4];

	if (ep18_is_ipv4(ep, v4)) {
		c.unspecified = v4[0] == 0; /* 0.0.0.0/8: "this network" */
		c.loopback = v4[0] == 127;
		c.link_local = v4[0] == 169 && v4[1] == 254;
		c.multicast = v4[0] >= 224 && v4[0] < 240;
		c.reserved = v4[0] >= 240; /* 240/4 and 255.255.255.255 */
		return c;
	}
	/* ::/96 that is not IPv4-mapped: ::, ::1 and the deprecated compat form. */
	if (memcmp(a, v4_mapped, 10) == 0 && a[10] == 0 && a[11] == 0) {
		static const uint8_t zero[16];

		c.unspecified = memcmp(a, zero, 16) == 0;
		c.loopback = memcmp(a, zero, 15) == 0 && a[15] == 1;
		c.reserved = !c.unspecified && !c.loopback;
		return c;
	}
	c.link_local = a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
	c.multicast = a[0] == 0xff;
	c.overlay = identity_address_in_overlay(a);
	return c;
}

bool ep18_candidate(const struct ep18 *ep)
{
	struct addr_class c = classify(ep);

	return ep->port != 0 && !c.unspecified && !c.multicast && !c.loopback &&
	       !c.link_local && !c.overlay && !c.reserved;
}

bool ep18_observed(const struct ep18 *ep)
{
	struct addr_class c = classify(ep);

	/* IPv4 240/4 holds the broadcast address; ::/96 compat is never a source. */
	return ep->port != 0 && !c.unspecified && !c.multicast && !c.reserved;
}

enum er_result ep18_list_check(const struct ep18 *ep, unsigned n)
{
	/* n <= 16: the quadratic duplicate check is 120 comparisons at most. */
	for (unsigned i = 0; i < n; i++) {
		if (!ep18_candidate(&ep[i]))
			return ER_BAD_ENDPOINT;
		for (unsigned j = 0; j < i; j++)
			if (ep18_equal(&ep[i], &ep[j]))
				return ER_DUPLICATE_ENDPOINT;
	}
	return ER_OK;
}

/* ---- the record ----------------------------------------------------------- */

size_t er_len(const struct er *er)
{
	return ER_MIN_LEN + (size_t)er->n * EP18_LEN + er->name_len;
}

/* Offset of name_len, of the name and of the signature. */
static size_t off_name_len(unsigned n)
{
	return ER_OFF_ENDPOINTS + (size_t)n * EP18_LEN;
}

/* Every field but the key, address and signature, in the parser's order. */
static enum er_result check_fields(const struct er *er)
{
	enum er_result r;

	if (er->n > ER_MAX_ENDPOINTS)
		return ER_TOO_MANY_ENDPOINTS;
	if (er->name_len > ER_NAME_MAX)
		return ER_BAD_NAME_LEN;
	if (er->listen_port == 0)
		return ER_BAD_PORT;
	if (er->seq == 0)
		return ER_BAD_SEQ;
	if (er->nat_flags & ~ER_NAT_FLAGS_KNOWN)
		return ER_BAD_FLAGS;
	r = ep18_list_check(er->ep, er->n);
	if (r != ER_OK)
		return r;
	if (er->name_len > 0 && !mesh_name_valid(er->name, er->name_len))
		return ER_BAD_NAME;
	return ER_OK;
}

/* The signed part (everything before sig) into out; its length. */
static size_t put_body(const struct er *er, uint8_t *out)
{
	size_t off = off_name_len(er->n);

	memcpy(out + ER_OFF_PK, er->ed_pk, IDENTITY_PK_LEN);
	store_be64(out + ER_OFF_SEQ, er->seq);
	store_be16(out + ER_OFF_PORT, er->listen_port);
	out[ER_OFF_NAT_FLAGS] = er->nat_flags;
	out[ER_OFF_N] = er->n;
	for (unsigned i = 0; i < er->n; i++)
		ep18_put(out + ER_OFF_ENDPOINTS + i * EP18_LEN, &er->ep[i]);
	out[off] = er->name_len;
	memcpy(out + off + 1, er->name, er->name_len);
	return off + 1 + er->name_len;
}

enum er_result er_encode(const struct er *er, uint8_t *out, size_t cap, size_t *len)
{
	enum er_result r = check_fields(er);
	size_t body;

	if (r != ER_OK)
		return r;
	if (cap < er_len(er))
		return ER_NO_SPACE;
	body = put_body(er, out);
	memcpy(out + body, er->sig, IDENTITY_SIG_LEN);
	*len = body + IDENTITY_SIG_LEN;
	return ER_OK;
}

enum er_result er_sign(struct er *er, const struct identity *id, uint8_t *out, size_t cap,
		       size_t *len)
{
	/* Encode (checks and all) with the old key and signature, then sign. */
	enum er_result r = er_encode(er, out, cap, len);

	if (r != ER_OK)
		return r;
	memcpy(er->ed_pk, id->pk, IDENTITY_PK_LEN);
	memcpy(out + ER_OFF_PK, id->pk, IDENTITY_PK_LEN);
	er->name[er->name_len] = '\0';
	/* Cannot fail: the domain is fixed and ER_MAX_LEN fits (er.h asserts it). */
	if (identity_sign(id, ER_SIGN_DOMAIN, out, *len - IDENTITY_SIG_LEN, er->sig) != 0)
		return ER_NO_SPACE;
	memcpy(out + *len - IDENTITY_SIG_LEN, er->sig, IDENTITY_SIG_LEN);
	return ER_OK;
}

static enum er_result parse(struct er *er, const uint8_t *buf, size_t len,
			    const uint8_t expect_addr[IDENTITY_ADDR_LEN])
{
	size_t off;
	enum er_result r;

	if (len < ER_MIN_LEN)
		return ER_TOO_SHORT;
	er->n = buf[ER_OFF_N];
	if (er->n > ER_MAX_ENDPOINTS)
		return ER_TOO_MANY_ENDPOINTS;
	off = off_name_len(er->n);
	/* name_len lies inside buf: len >= ER_MIN_LEN covers n = 0 only. */
	if (off + 1 + IDENTITY_SIG_LEN > len)
		return ER_BAD_LENGTH;
	er->name_len = buf[off];
	if (er->name_len > ER_NAME_MAX)
		return ER_BAD_NAME_LEN;
	if (len != er_len(er))
		return ER_BAD_LENGTH;

	memcpy(er->ed_pk, buf + ER_OFF_PK, IDENTITY_PK_LEN);
	er->seq = load_be64(buf + ER_OFF_SEQ);
	er->listen_port = load_be16(buf + ER_OFF_PORT);
	er->nat_flags = buf[ER_OFF_NAT_FLAGS];
	for (unsigned i = 0; i < er->n; i++)
		ep18_get(&er->ep[i], buf + ER_OFF_ENDPOINTS + i * EP18_LEN);
	memcpy(er->name, buf + off + 1, er->name_len);
	er->name[er->name_len] = '\0';
	memcpy(er->sig, buf + len - IDENTITY_SIG_LEN, IDENTITY_SIG_LEN);
	r = check_fields(er);
	if (r != ER_OK)
		return r;
	if (!identity_pk_acceptable(er->ed_pk))
		return ER_BAD_KEY;
	if (expect_addr != NULL && !identity_address_check(er->ed_pk, expect_addr))
		return ER_WRONG_ADDRESS;
	if (!identity_verify(er->ed_pk, ER_SIGN_DOMAIN, buf, len - IDENTITY_SIG_LEN, er->sig))
		return ER_BAD_SIGNATURE;
	return ER_OK;
}

enum er_result er_parse(struct er *er, const uint8_t *buf, size_t len,
			const uint8_t expect_addr[IDENTITY_ADDR_LEN])
{
	enum er_result r = parse(er, buf, len, expect_addr);

	if (r != ER_OK)
		memset(er, 0, sizeof(*er));
	return r;
}
