/* Hex text decoding for the tools (see hexio.h). */
#include "tools/lib/hexio.h"

#include <stdio.h>

static int digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool separator(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':';
}

static bool fail(struct hex_result *res, enum hex_err err, size_t offset, char ch)
{
	res->err = err;
	res->offset = offset;
	res->ch = ch;
	return false;
}

bool hex_parse(uint8_t *out, size_t cap, const char *text, size_t len,
	       struct hex_result *res)
{
	size_t i = 0;

	*res = (struct hex_result){.err = HEX_OK};
	while (i < len && separator(text[i]))
		i++;
	if (len - i >= 2 && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X'))
		i += 2;
	while (i < len) {
		int hi, lo;

		if (separator(text[i])) {
			i++;
			continue;
		}
		hi = digit(text[i]);
		if (hi < 0)
			return fail(res, HEX_BAD_CHAR, i, text[i]);
		if (i + 1 == len || separator(text[i + 1]))
			return fail(res, HEX_ODD, i, text[i]);
		lo = digit(text[i + 1]);
		if (lo < 0)
			return fail(res, HEX_BAD_CHAR, i + 1, text[i + 1]);
		if (res->len == cap)
			return fail(res, HEX_TOO_LONG, i, text[i]);
		out[res->len++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return true;
}

bool hex_parse_strict(uint8_t *out, size_t cap, const char *text, size_t len,
		      struct hex_result *res)
{
	*res = (struct hex_result){.err = HEX_OK};
	if (len % 2 != 0)
		return fail(res, HEX_ODD, len - 1, text[len - 1]);
	for (size_t i = 0; i < len; i++)
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return fail(res, HEX_BAD_CHAR, i, text[i]);
	/* Nothing but digit pairs is left for the lenient decoder to see. */
	return hex_parse(out, cap, text, len, res);
}

void hex_error_format(const struct hex_result *res, char *buf, size_t cap)
{
	unsigned char c = (unsigned char)res->ch;

	switch (res->err) {
	case HEX_OK:
		snprintf(buf, cap, "ok");
		break;
	case HEX_BAD_CHAR:
		if (c >= 0x20 && c < 0x7f)
			snprintf(buf, cap, "invalid character '%c' at offset %zu", c,
				 res->offset);
		else
			snprintf(buf, cap, "invalid byte 0x%02x at offset %zu", c,
				 res->offset);
		break;
	case HEX_ODD:
		snprintf(
		    buf, cap,
		    "hex digit '%c' at offset %zu has no pair (odd number of digits)", c,
		    res->offset);
		break;
	case HEX_TOO_LONG:
		snprintf(buf, cap, "longer than %zu bytes (at offset %zu)", res->len,
			 res->offset);
		break;
	}
}
