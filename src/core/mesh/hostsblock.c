/* The managed block of the hosts file (see hostsblock.h). */
#include "core/mesh/hostsblock.h"

#include <string.h>

#include "core/bytes/lines.h"
#include "core/mesh/identity.h"
#include "core/mesh/name.h"

static bool line_is(const char *text, const struct text_line *l, const char *marker)
{
	size_t n = strlen(marker);

	return l->stop - l->start == n && memcmp(text + l->start, marker, n) == 0;
}

bool hosts_find(const char *text, size_t len, struct hosts_span *span, const char **why)
{
	unsigned begins = 0, ends = 0;
	struct text_line l;

	*span = (struct hosts_span){ 0 };
	if (memchr(text, '\0', len) != NULL) {
		*why = "the file holds a NUL byte";
		return false;
	}
	for (size_t at = 0; text_line_next(text, len, at, &l); at = l.next) {
		if (line_is(text, &l, HOSTS_BEGIN)) {
			if (begins++ == 0)
				span->begin = l.start;
		} else if (line_is(text, &l, HOSTS_END)) {
			if (ends++ == 0)
				span->end = l.next;
			if (begins == 0) {
				*why = "an END marker line comes before any BEGIN marker line";
				return false;
			}
		}
	}
	if (begins > 1 || ends > 1) {
		*why = "the subnetra marker lines appear more than once";
		return false;
	}
	if (begins != ends) {
		*why = begins ? "a BEGIN marker line has no END marker line"
			      : "an END marker line has no BEGIN marker line";
		return false;
	}
	span->found = begins == 1;
	return true;
}

/* Skips spaces and tabs from *at; true if any. */
static bool skip_blank(const char *text, size_t stop, size_t *at)
{
	size_t from = *at;

	while (*at < stop && (text[*at] == ' ' || text[*at] == '\t'))
		(*at)++;
	return *at > from;
}

static size_t word_end(const char *text, size_t stop, size_t at)
{
	while (at < stop && text[at] != ' ' && text[at] != '\t')
		at++;
	return at;
}

/* "ADDRESS NAME", blanks around and between. */
static bool parse_entry(const char *text, const struct text_line *l, struct hosts_entry *e)
{
	size_t a = l->start, a_end, n, n_end;

	skip_blank(text, l->stop, &a);
	a_end = word_end(text, l->stop, a);
	n = a_end;
	if (!skip_blank(text, l->stop, &n))
		return false;
	n_end = word_end(text, l->stop, n);
	for (size_t i = n_end; i < l->stop; i++)
		if (text[i] != ' ' && text[i] != '\t')
			return false;
	if (!identity_address_parse(text + a, a_end - a, e->addr) ||
	    !identity_address_in_overlay(e->addr) || !mesh_name_valid(text + n, n_end - n))
		return false;
	memcpy(e->name, text + n, n_end - n);
	e->name[n_end - n] = '\0';
	return true;
}

bool hosts_read(const char *text, size_t len, struct hosts_entry *out, size_t cap, size_t *n,
		const char **why, size_t *line)
{
	struct hosts_span span;
	struct text_line l;
	size_t lineno = 0;

	*n = 0;
	*line = 0;
	if (!hosts_find(text, len, &span, why))
		return false;
	if (!span.found)
		return true;
	for (size_t at = 0; text_line_next(text, len, at, &l); at = l.next) {
		lineno++;
		if (l.start <= span.begin || l.next >= span.end)
			continue; /* outside, or a marker line */
		if (*n == cap) {
			*why = "the block holds too many entries";
			*line = lineno;
			return false;
		}
		if (!parse_entry(text, &l, &out[*n])) {
			*why = "not \"ADDRESS NAME\" with an fc94::/16 address and a valid name";
			*line = lineno;
			return false;
		}
		(*n)++;
	}
	return true;
}

/* An output cursor that stops, and stays stopped, at cap. */
struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

size_t hosts_rewrite(const char *text, size_t len, const struct hosts_entry *entries, size_t n,
		     char *out, size_t cap, const char **why)
{
	struct out o = { .buf = out, .cap = cap };
	struct hosts_span span;
	size_t head, tail;

	if (len > HOSTS_FILE_MAX) {
		*why = "the file is larger than 1 MiB";
		return 0;
	}
	if (n > HOSTS_BLOCK_MAX) {
		*why = "too many entries";
		return 0;
	}
	if (!hosts_find(text, len, &span, why))
		return 0;
	head = span.found ? span.begin : len;
	tail = span.found ? span.end : len;
	put(&o, text, head);
	if (n > 0) {
		if (head > 0 && text[head - 1] != '\n')
			put_str(&o, "\n");
		put_str(&o, HOSTS_BEGIN "\n");
		for (size_t i = 0; i < n; i++) {
			char a[IDENTITY_ADDR_TEXT];

			if (!mesh_name_valid(entries[i].name, strlen(entries[i].name))) {
				*why = "an entry's name is not a valid host name";
				return 0;
			}
			identity_address_format(entries[i].addr, a);
			put_str(&o, a);
			put_str(&o, " ");
			put_str(&o, entries[i].name);
			put_str(&o, "\n");
		}
		put_str(&o, HOSTS_END "\n");
	}
	put(&o, text + tail, len - tail);
	if (o.full) {
		*why = "the new file does not fit the buffer";
		return 0;
	}
	return o.len;
}

/* Is name among the n entries of e? */
static bool has_name(const struct hosts_entry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].name, name) == 0)
			return true;
	return false;
}

size_t hosts_merge(const struct hosts_entry *manual, size_t n_manual,
		   const struct hosts_entry *peers, size_t n_peers, struct hosts_entry *out,
		   bool *from_peer, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < n_manual + n_peers && n < cap; i++) {
		bool peer = i >= n_manual;
		const struct hosts_entry *e = peer ? &peers[i - n_manual] : &manual[i];

		if (has_name(out, n, e->name))
			continue;
		out[n] = *e;
		if (from_peer != NULL)
			from_peer[n] = peer;
		n++;
	}
	return n;
}
