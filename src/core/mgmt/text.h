/*
 * The text forms the management protocol uses, each with one canonical
 * spelling that the parsers insist on (so a value has one text, and a
 * decode -> encode -> decode round trip is exact):
 *   - base64url without padding (RFC 4648 §5), unused trailing bits zero;
 *   - lowercase hex;
 *   - UTC times as "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, no fraction, no
 *     offset), 1970..9999;
 *   - UTF-8 without overlong forms, surrogates or control characters.
 * Pure; libsodium's codecs underneath, but for the base64 encoder (a
 * plain table: it only ever encodes public bytes).
 */
#ifndef SUBNETRA_MGMT_TEXT_H
#define SUBNETRA_MGMT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Exactly n bytes from s[0..len): len must be MGMT_B64_LEN(n) and the text
 * canonical.  false (out unspecified) otherwise.
 */
bool mgmt_b64_decode_exact(const char *s, size_t len, uint8_t *out, size_t n);
/*
 * At most cap bytes from s[0..len) into out, *n set; false on non-canonical
 * text or when it holds more than cap bytes.
 */
bool mgmt_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *n);
/*
 * bin[0..n) as base64url text into out (cap >= MGMT_B64_LEN(n) + 1, NUL
 * added); its length.  Not constant-time: public bytes only.
 */
size_t mgmt_b64_encode(char *out, size_t cap, const uint8_t *bin, size_t n);

/* Exactly 2n lowercase hex digits into out[n]. */
bool mgmt_hex_decode(const char *s, size_t len, uint8_t *out, size_t n);
/* out gets 2n digits and a NUL. */
void mgmt_hex_encode(char *out, const uint8_t *bin, size_t n);

/*
 * "YYYY-MM-DDTHH:MM:SSZ" (exactly 20 bytes, a real date and time; no leap
 * second) as unix seconds.
 */
bool mgmt_time_parse(const char *s, size_t len, int64_t *out);
/* t (0 .. 253402300799, year 9999) into out[MGMT_TIME_TEXT]; false when out of range. */
bool mgmt_time_format(int64_t t, char out[21]);

/* s[0..len) is UTF-8 (shortest forms, no surrogates) with no byte below 0x20 nor 0x7f. */
bool mgmt_text_printable(const char *s, size_t len);

#endif
