/* Join codes (see joincode.h). */
#include "core/mgmt/joincode.h"

#include <string.h>

#include <sodium.h>

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* bin[0..n) as base32, chars characters (5 * chars >= 8 * n), most significant first. */
static void b32_encode(char *out, size_t chars, const uint8_t *bin, size_t n)
{
	size_t bit = 0;

	for (size_t c = 0; c < chars; c++) {
		unsigned v = 0;

		for (int k = 0; k < 5; k++, bit++) {
			unsigned b = bit < 8 * n ? (bin[bit / 8] >> (7 - bit % 8)) & 1 : 0;

			v = v << 1 | b;
		}
		out[c] = alphabet[v];
	}
}

/* The reverse: false on a character outside the alphabet or a spare bit set. */
static bool b32_decode(const char *s, size_t chars, uint8_t *bin, size_t n)
{
	size_t bit = 0;

	memset(bin, 0, n);
	for (size_t c = 0; c < chars; c++) {
		const char *p = s[c] != '\0' ? strchr(alphabet, s[c]) : NULL;
		unsigned v;

		if (p == NULL)
			return false;
		v = (unsigned)(p - alphabet);
		for (int k = 4; k >= 0; k--, bit++) {
			unsigned b = (v >> k) & 1;

			if (bit >= 8 * n) {
				if (b != 0)
					return false;
				continue;
			}
			bin[bit / 8] |= (uint8_t)(b << (7 - bit % 8));
		}
	}
	return true;
}

void mgmt_joincode_generate(struct mgmt_joincode *jc, const uint8_t fingerprint[MGMT_FPR_LEN])
{
	randombytes_buf(jc->prefix, sizeof(jc->prefix));
	randombytes_buf(jc->secret, sizeof(jc->secret));
	memcpy(jc->fingerprint, fingerprint, MGMT_FPR_LEN);
}

void mgmt_joincode_prefix_text(const struct mgmt_joincode *jc,
			       char out[MGMT_JOINCODE_PREFIX_CHARS + 1])
{
	b32_encode(out, MGMT_JOINCODE_PREFIX_CHARS, jc->prefix, sizeof(jc->prefix));
	out[MGMT_JOINCODE_PREFIX_CHARS] = '\0';
}

void mgmt_joincode_format(const struct mgmt_joincode *jc, char out[MGMT_JOINCODE_LEN + 1])
{
	char *p = out;

	memcpy(p, MGMT_JOINCODE_TAG, 4);
	p += 4;
	b32_encode(p, MGMT_JOINCODE_PREFIX_CHARS, jc->prefix, sizeof(jc->prefix));
	p += MGMT_JOINCODE_PREFIX_CHARS;
	*p++ = '_';
	b32_encode(p, MGMT_JOINCODE_SECRET_CHARS, jc->secret, sizeof(jc->secret));
	p += MGMT_JOINCODE_SECRET_CHARS;
	*p++ = '_';
	b32_encode(p, MGMT_JOINCODE_FPR_CHARS, jc->fingerprint, sizeof(jc->fingerprint));
	p += MGMT_JOINCODE_FPR_CHARS;
	*p = '\0';
}

bool mgmt_joincode_parse(const char *s, size_t len, struct mgmt_joincode *jc)
{
	const char *secret = s + 4 + MGMT_JOINCODE_PREFIX_CHARS + 1;
	const char *fpr = secret + MGMT_JOINCODE_SECRET_CHARS + 1;

	if (len != MGMT_JOINCODE_LEN || memcmp(s, MGMT_JOINCODE_TAG, 4) != 0 ||
	    secret[-1] != '_' || fpr[-1] != '_' ||
	    !b32_decode(s + 4, MGMT_JOINCODE_PREFIX_CHARS, jc->prefix, sizeof(jc->prefix)) ||
	    !b32_decode(secret, MGMT_JOINCODE_SECRET_CHARS, jc->secret, sizeof(jc->secret)) ||
	    !b32_decode(fpr, MGMT_JOINCODE_FPR_CHARS, jc->fingerprint,
			sizeof(jc->fingerprint))) {
		mgmt_joincode_wipe(jc);
		return false;
	}
	return true;
}

void mgmt_joincode_hash(const uint8_t pepper[MGMT_PEPPER_LEN], const struct mgmt_joincode *jc,
			uint8_t out[MGMT_SECRET_HASH_LEN])
{
	uint8_t in[MGMT_JOINCODE_PREFIX_LEN + MGMT_JOINCODE_SECRET_LEN];

	memcpy(in, jc->prefix, MGMT_JOINCODE_PREFIX_LEN);
	memcpy(in + MGMT_JOINCODE_PREFIX_LEN, jc->secret, MGMT_JOINCODE_SECRET_LEN);
	mgmt_secret_hash(pepper, MGMT_SECRET_JOIN_CODE, in, sizeof(in), out);
	sodium_memzero(in, sizeof(in));
}

bool mgmt_joincode_matches(const uint8_t pepper[MGMT_PEPPER_LEN],
			   const struct mgmt_joincode *jc,
			   const uint8_t stored[MGMT_SECRET_HASH_LEN])
{
	uint8_t h[MGMT_SECRET_HASH_LEN];
	bool ok;

	mgmt_joincode_hash(pepper, jc, h);
	ok = mgmt_secret_equal(h, stored);
	sodium_memzero(h, sizeof(h));
	return ok;
}

void mgmt_joincode_wipe(struct mgmt_joincode *jc)
{
	sodium_memzero(jc, sizeof(*jc));
}
