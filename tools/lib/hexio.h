/*
 * Hex text -> bytes for the tools.  hex_parse is lenient about layout and
 * strict about content (wire-decode reads datagrams pasted from tcpdump -X,
 * Wireshark "copy as hex stream" or a vector file): whitespace and ':' may
 * separate bytes, one leading "0x" is skipped, anything else is an error
 * that says where it is.  hex_parse_strict takes only the test-vector
 * files' form (conformance).  (Key material goes through sodium_hex2bin
 * instead, which is constant-time; datagrams are public.)
 */
#ifndef SUBNETRA_HEXIO_H
#define SUBNETRA_HEXIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hex_err {
	HEX_OK = 0,
	HEX_BAD_CHAR, /* not a hex digit, separator or the leading 0x */
	HEX_ODD,      /* a digit without its pair (odd count, or split by a separator) */
	HEX_TOO_LONG, /* more bytes than the output holds */
};

struct hex_result {
	enum hex_err err;
	size_t len;    /* bytes written to out */
	size_t offset; /* on error: offset of the offending character in the text */
	char ch;       /* on HEX_BAD_CHAR: the character */
};

/* Decode text (len bytes, need not be NUL-terminated) into out. */
bool hex_parse(uint8_t *out, size_t cap, const char *text, size_t len,
	       struct hex_result *res);
/*
 * The same for text that is lowercase hex digits only, an even number of
 * them: HEX_ODD for an odd count (before anything else), HEX_BAD_CHAR for
 * anything else (separators and "0x" too).  On HEX_TOO_LONG the text was
 * valid and holds len / 2 bytes.
 */
bool hex_parse_strict(uint8_t *out, size_t cap, const char *text, size_t len,
		      struct hex_result *res);

/* "invalid character 'z' at offset 3" and the like; always NUL-terminated. */
void hex_error_format(const struct hex_result *res, char *buf, size_t cap);

#endif
