/* The management protocol's text forms (see text.h). */
#include "core/mgmt/text.h"

#include <string.h>

#include <sodium.h>

#include "core/mgmt/proto.h"

enum { B64URL = sodium_base64_VARIANT_URLSAFE_NO_PADDING };

bool mgmt_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	/*
	 * libsodium refuses padding in this variant, a dangling 6-bit group and
	 * non-zero unused bits: canonical text only.  But 1.0.18 takes some
	 * bytes above 0x7f for letters (the fuzzer found "\xca\x8f" decoding),
	 * so the alphabet is checked here first.  A too-long text is refused
	 * before it is decoded.
	 */
	if (len > MGMT_B64_LEN(cap))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return sodium_base642bin(out, cap, s, len, NULL, n, NULL, B64URL) == 0;
}

bool mgmt_b64_decode_exact(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t got;

	return len == MGMT_B64_LEN(n) && mgmt_b64_decode(s, len, out, n, &got) && got == n;
}

/*
 * A table lookup per character, not libsodium's constant-time encoder:
 * what is encoded here is public (keys, nonces, signatures, signed
 * payloads), and a 1,000-device network's bundles are ~175 MB of it, where
 * the constant-time one took half the server's time.
 */
size_t mgmt_b64_encode(char *out, size_t cap, const uint8_t *bin, size_t n)
{
	static const char alphabet[64] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i = 0, o = 0;
	uint32_t v;

	if (cap < MGMT_B64_LEN(n) + 1) {
		if (cap > 0)
			out[0] = '\0';
		return 0;
	}
	for (; n - i >= 3; i += 3) {
		v = (uint32_t)bin[i] << 16 | (uint32_t)bin[i + 1] << 8 | bin[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i > 0) { /* 1 or 2 bytes left: 2 or 3 characters, unused bits zero */
		v = (uint32_t)bin[i] << 16 | (n - i == 2 ? (uint32_t)bin[i + 1] << 8 : 0);
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		if (n - i == 2)
			out[o++] = alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

bool mgmt_hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return sodium_hex2bin(out, n, s, len, NULL, NULL, NULL) == 0;
}

void mgmt_hex_encode(char *out, const uint8_t *bin, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, bin, n);
}

/* ---- UTC times ---------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, size_t n, unsigned *out)
{
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

static unsigned month_days(unsigned y, unsigned m)
{
	static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

bool mgmt_time_parse(const char *s, size_t len, int64_t *out)
{
	unsigned y, mo, d, h, mi, se;

	if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
	    mi > 59 || se > 59)
		return false;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

bool mgmt_time_format(int64_t t, char out[21])
{
	int64_t y, days;
	unsigned m, d, secs;

	if (t < 0 || t > 253402300799LL) {
		out[0] = '\0';
		return false;
	}
	days = t / 86400;
	secs = (unsigned)(t % 86400);
	civil_from_days(days, &y, &m, &d);
	/* Each field is in range, so the text is exactly 20 bytes. */
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	memcpy(out + 4, "-00-00T00:00:00Z", 17);
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[11] = (char)('0' + secs / 36000);
	out[12] = (char)('0' + secs / 3600 % 10);
	out[14] = (char)('0' + secs % 3600 / 600);
	out[15] = (char)('0' + secs % 3600 / 60 % 10);
	out[17] = (char)('0' + secs % 60 / 10);
	out[18] = (char)('0' + secs % 10);
	return true;
}

/* ---- UTF-8 -------------------------------------------------------------- */

bool mgmt_text_printable(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned c = p[i], n;
		uint32_t cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* shortest form, no surrogates, at most U+10FFFF; C1 controls refused */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return false;
		i += n + 1;
	}
	return true;
}
