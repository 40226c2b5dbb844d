/* A device's trust state as text (trustfile.h). */
#include "core/mgmt/trustfile.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/mgmt/jsonio.h"
#include "core/mgmt/text.h"

size_t mgmt_trustfile_encode(const struct mgmt_trust *t, char *out, size_t cap)
{
	char fpr[2 * MGMT_FPR_LEN + 1], inst[2 * MGMT_INSTANCE_LEN + 1];
	char dig[2 * MGMT_DIGEST_LEN + 1], key[2 * MGMT_PK_LEN + 1];
	size_t off;
	int k;

	mgmt_hex_encode(fpr, t->fingerprint, MGMT_FPR_LEN);
	mgmt_hex_encode(inst, t->instance, MGMT_INSTANCE_LEN);
	mgmt_hex_encode(dig, t->license.digest, MGMT_DIGEST_LEN);
	k = snprintf(out, cap,
		     "subnetra-mgmt-trust 1\nfingerprint %s\npinned %d\ninstance %s\n"
		     "license %" PRIu64 " %s\n",
		     fpr, t->pinned ? 1 : 0, inst, t->license.serial, dig);
	if (k < 0 || (size_t)k >= cap || t->keys.n > MGMT_KEYS_MAX)
		return 0;
	off = (size_t)k;
	for (size_t i = 0; i < t->keys.n; i++) {
		mgmt_hex_encode(key, t->keys.keys[i].pk, MGMT_PK_LEN);
		k = snprintf(out + off, cap - off, "key %s\n", key);
		if (k < 0 || (size_t)k >= cap - off)
			return 0;
		off += (size_t)k;
	}
	return off;
}

/* The line at *s starting with "<tag> ": its rest up to '\n' (*s moves past it). */
static bool field(const char **s, const char *end, const char *tag, const char **v,
		  size_t *vlen)
{
	size_t tl = strlen(tag);
	const char *nl;

	if ((size_t)(end - *s) < tl + 1 || memcmp(*s, tag, tl) != 0 || (*s)[tl] != ' ')
		return false;
	*v = *s + tl + 1;
	nl = memchr(*v, '\n', (size_t)(end - *v));
	if (!nl)
		return false;
	*vlen = (size_t)(nl - *v);
	*s = nl + 1;
	return true;
}

/* 1..16 decimal digits, no leading zero (0 itself allowed), at most 2^53 - 1. */
static bool decimal(const char *s, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 16 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*out = x;
	return x <= MGMT_JSON_INT_MAX;
}

bool mgmt_trustfile_decode(const char *s, size_t len, struct mgmt_trust *t)
{
	static const char magic[] = "subnetra-mgmt-trust 1\n";
	const char *end = s + len, *v;
	size_t n;
	uint8_t pk[MGMT_PK_LEN];

	memset(t, 0, sizeof(*t));
	mgmt_keyset_init(&t->keys);
	if (len < sizeof(magic) - 1 || memcmp(s, magic, sizeof(magic) - 1) != 0)
		goto refuse;
	s += sizeof(magic) - 1;
	if (!field(&s, end, "fingerprint", &v, &n) ||
	    !mgmt_hex_decode(v, n, t->fingerprint, MGMT_FPR_LEN))
		goto refuse;
	if (!field(&s, end, "pinned", &v, &n) || n != 1 || (v[0] != '0' && v[0] != '1'))
		goto refuse;
	t->pinned = v[0] == '1';
	if (!field(&s, end, "instance", &v, &n) ||
	    !mgmt_hex_decode(v, n, t->instance, MGMT_INSTANCE_LEN))
		goto refuse;
	if (!field(&s, end, "license", &v, &n) || n < 2 + 2 * MGMT_DIGEST_LEN ||
	    v[n - 2 * MGMT_DIGEST_LEN - 1] != ' ' ||
	    !decimal(v, n - 2 * MGMT_DIGEST_LEN - 1, &t->license.serial) ||
	    !mgmt_hex_decode(v + n - 2 * MGMT_DIGEST_LEN, 2 * MGMT_DIGEST_LEN, t->license.digest,
			     MGMT_DIGEST_LEN))
		goto refuse;
	while (s < end) {
		if (!field(&s, end, "key", &v, &n) || !mgmt_hex_decode(v, n, pk, MGMT_PK_LEN) ||
		    mgmt_keyset_add(&t->keys, pk) != 0)
			goto refuse;
	}
	/* pinned means keys to verify under; not pinned means none yet */
	if (t->pinned != (t->keys.n > 0))
		goto refuse;
	return true;
refuse:
	memset(t, 0, sizeof(*t));
	return false;
}
