/* The mesh whitelist (see whitelist.h). */
#include "core/mesh/whitelist.h"

#include <errno.h>
#include <string.h>

#include "core/bytes/lines.h"
#include "core/mesh/identity.h"

void whitelist_init(struct whitelist *w)
{
	w->enabled = true;
	w->n = 0;
}

size_t whitelist_search(const void *base, size_t n, size_t stride, const uint8_t addr[16],
			bool *found)
{
	const uint8_t *b = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(b + mid * stride, addr, 16);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* The index of addr, or where it would go (*found false). */
static size_t search(const struct whitelist *w, const uint8_t addr[16], bool *found)
{
	return whitelist_search(w->addr, w->n, sizeof(w->addr[0]), addr, found);
}

bool whitelist_contains(const struct whitelist *w, const uint8_t addr[16])
{
	bool found;

	search(w, addr, &found);
	return found;
}

bool whitelist_allows(const struct whitelist *w, const uint8_t addr[16])
{
	return !w->enabled || whitelist_contains(w, addr);
}

int whitelist_add(struct whitelist *w, const uint8_t addr[16])
{
	bool found;
	size_t i;

	if (!identity_address_in_overlay(addr))
		return -EINVAL;
	i = search(w, addr, &found);
	if (found)
		return -EEXIST;
	if (w->n == WHITELIST_MAX)
		return -ENOSPC;
	memmove(w->addr[i + 1], w->addr[i], (w->n - i) * sizeof(w->addr[0]));
	memcpy(w->addr[i], addr, 16);
	w->n++;
	return 0;
}

int whitelist_remove(struct whitelist *w, const uint8_t addr[16])
{
	bool found;
	size_t i = search(w, addr, &found);

	if (!found)
		return -ENOENT;
	memmove(w->addr[i], w->addr[i + 1], (w->n - i - 1) * sizeof(w->addr[0]));
	w->n--;
	return 0;
}

size_t whitelist_format(const struct whitelist *w, char *out, size_t cap)
{
	size_t len = 0;
	const char *head = w->enabled ? "subnetra-whitelist 1\nenabled yes\n"
				      : "subnetra-whitelist 1\nenabled no\n";
	size_t hl = strlen(head);

	if (hl >= cap)
		return 0;
	memcpy(out, head, hl);
	len = hl;
	for (size_t i = 0; i < w->n; i++) {
		char a[IDENTITY_ADDR_TEXT];
		size_t al;

		identity_address_format(w->addr[i], a);
		al = strlen(a);
		if (al + 1 >= cap - len)
			return 0;
		memcpy(out + len, a, al);
		len += al;
		out[len++] = '\n';
	}
	out[len] = '\0';
	return len;
}

static bool refuse(struct whitelist *w, struct whitelist_error *err, unsigned line,
		   const char *msg)
{
	whitelist_init(w);
	err->line = line;
	err->msg = msg;
	return false;
}

bool whitelist_parse(struct whitelist *w, const char *text, size_t len,
		     struct whitelist_error *err)
{
	unsigned line = 0;
	struct text_line l;

	whitelist_init(w);
	for (size_t at = 0; text_line_next(text, len, at, &l); at = l.next) {
		const char *s = text + l.start;
		size_t n = l.stop - l.start;
		uint8_t addr[16];
		int rc;

		line++;
		if (line == 1) {
			if (n != 20 || memcmp(s, "subnetra-whitelist 1", 20) != 0)
				return refuse(w, err, line, "not \"subnetra-whitelist 1\"");
			continue;
		}
		if (line == 2) {
			if (n == 11 && memcmp(s, "enabled yes", 11) == 0)
				w->enabled = true;
			else if (n == 10 && memcmp(s, "enabled no", 10) == 0)
				w->enabled = false;
			else
				return refuse(w, err, line, "not \"enabled yes\" or \"enabled no\"");
			continue;
		}
		if (!identity_address_parse(s, n, addr))
			return refuse(w, err, line, "not an IPv6 address");
		rc = whitelist_add(w, addr);
		if (rc == -EINVAL)
			return refuse(w, err, line, "not an fc94::/16 address");
		if (rc == -EEXIST)
			return refuse(w, err, line, "the address is listed twice");
		if (rc == -ENOSPC)
			return refuse(w, err, line, "more addresses than the whitelist holds (4096)");
	}
	if (line < 2)
		return refuse(w, err, line + 1, "the file ends before its \"enabled\" line");
	if (len > 0 && text[len - 1] != '\n')
		return refuse(w, err, line, "the last line has no newline (a cut file?)");
	return true;
}
