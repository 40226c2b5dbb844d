/* The managed set (see managed.h). */
#include "core/mesh/managed.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/bytes/lines.h"
#include "core/mesh/identity.h"
#include "core/mesh/whitelist.h"

void managed_init(struct managed *m)
{
	m->epoch = m->serial = 0;
	m->n_servers = m->n_peers = m->n_names = m->n_addrs = 0;
}

/* The index of addr in m->addrs, or where it would go (*found false). */
static size_t search(const struct managed *m, const uint8_t addr[16], bool *found)
{
	return whitelist_search(m->addrs, m->n_addrs, sizeof(m->addrs[0]), addr, found);
}

bool managed_contains(const struct managed *m, const uint8_t addr[16])
{
	bool found;

	search(m, addr, &found);
	return found;
}

const struct managed_peer *managed_peer_find(const struct managed *m, const uint8_t addr[16])
{
	bool found;
	size_t i = search(m, addr, &found);

	return found && m->addrs[i].peer >= 0 ? &m->peer[m->addrs[i].peer] : NULL;
}

void managed_version_format(const struct managed *m, char out[MANAGED_VERSION_TEXT])
{
	snprintf(out, MANAGED_VERSION_TEXT, "%" PRIu64 ".%" PRIu64, m->epoch, m->serial);
}

/* Append s (n bytes) and one separator byte; false when out is full. */
static bool put(char *out, size_t cap, size_t *len, const char *s, size_t n, char sep)
{
	if (n + 1 >= cap - *len)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	out[(*len)++] = sep;
	return true;
}

static bool put_addr(char *out, size_t cap, size_t *len, const char *word,
		     const uint8_t addr[16], char sep)
{
	char a[IDENTITY_ADDR_TEXT];

	identity_address_format(addr, a);
	return put(out, cap, len, word, strlen(word), ' ') && put(out, cap, len, a, strlen(a), sep);
}

size_t managed_format(const struct managed *m, char *out, size_t cap)
{
	char v[MANAGED_VERSION_TEXT];
	size_t len = 0;

	if (cap == 0)
		return 0;
	managed_version_format(m, v);
	if (!put(out, cap, &len, "subnetra-managed 1", 18, '\n') ||
	    !put(out, cap, &len, "version", 7, ' ') || !put(out, cap, &len, v, strlen(v), '\n'))
		return 0;
	for (size_t i = 0; i < m->n_servers; i++)
		if (!put_addr(out, cap, &len, "server", m->server[i], '\n'))
			return 0;
	for (size_t i = 0; i < m->n_peers; i++) {
		const struct managed_peer *p = &m->peer[i];

		if (!put_addr(out, cap, &len, "peer", p->addr, p->n_names > 0 ? ' ' : '\n'))
			return 0;
		for (size_t k = 0; k < p->n_names; k++) {
			const char *name = m->name[p->first_name + k];

			if (!put(out, cap, &len, name, strlen(name), k + 1 < p->n_names ? ' ' : '\n'))
				return 0;
		}
	}
	out[len] = '\0';
	return len;
}

static bool refuse(struct managed *m, struct managed_error *err, unsigned line,
		   const char *msg)
{
	managed_init(m);
	err->line = line;
	err->msg = msg;
	return false;
}

/* A u64 in decimal: 1..20 digits, no sign, no leading zero unless it is 0. */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* "E.S" (the text after "version "). */
static bool parse_version(struct managed *m, const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);

	return dot != NULL && parse_u64(s, (size_t)(dot - s), &m->epoch) &&
	       parse_u64(dot + 1, n - (size_t)(dot - s) - 1, &m->serial);
}

/* One line's words, split at single spaces. */
enum { WORDS_MAX = 2 + MANAGED_NAMES_MAX };

struct words {
	size_t n;
	struct {
		const char *s;
		size_t len;
	} w[WORDS_MAX];
};

/* Split s[0..n) at single spaces: false for an empty word (a blank line, two spaces, ...). */
static bool split(const char *s, size_t n, struct words *ws, const char **why)
{
	size_t start = 0;

	ws->n = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		if (i == start) {
			*why = n == 0 ? "a blank line" : "not single spaces between words";
			return false;
		}
		if (ws->n == WORDS_MAX) {
			*why = "more names than the managed set holds (1024)";
			return false;
		}
		ws->w[ws->n].s = s + start;
		ws->w[ws->n].len = i - start;
		ws->n++;
		start = i + 1;
	}
	return true;
}

/* Insert addr as a server or peer; NULL, or why not. */
static const char *add_addr(struct managed *m, const uint8_t addr[16], int peer)
{
	bool found;
	size_t i = search(m, addr, &found);
	struct managed_addr *a;

	if (!identity_address_in_overlay(addr))
		return "not an fc94::/16 address";
	if (found) {
		a = &m->addrs[i];
		if (peer >= 0 && a->peer >= 0)
			return "the peer is listed twice";
		if (peer < 0 && a->server)
			return "the server is listed twice";
	} else {
		memmove(&m->addrs[i + 1], &m->addrs[i], (m->n_addrs - i) * sizeof(m->addrs[0]));
		m->n_addrs++;
		a = &m->addrs[i];
		memcpy(a->addr, addr, 16);
		a->peer = -1;
		a->server = false;
	}
	if (peer >= 0)
		a->peer = (int16_t)peer;
	else
		a->server = true;
	return NULL;
}

/* A server or peer line's words into m; NULL, or why not. */
static const char *take_record(struct managed *m, const struct words *ws, bool server)
{
	struct managed_peer *p;
	uint8_t addr[16];
	const char *why;

	if (ws->n < 2)
		return server ? "\"server\" without its address" : "\"peer\" without its address";
	if (server && ws->n > 2)
		return "more than an address after \"server\"";
	if (server && m->n_servers == MANAGED_SERVERS_MAX)
		return "more servers than the managed set holds (8)";
	if (!server && m->n_peers == MANAGED_PEERS_MAX)
		return "more peers than the managed set holds (1024)";
	if (!identity_address_parse(ws->w[1].s, ws->w[1].len, addr))
		return "not an IPv6 address";
	why = add_addr(m, addr, server ? -1 : (int)m->n_peers);
	if (why != NULL)
		return why;
	if (server) {
		memcpy(m->server[m->n_servers++], addr, 16);
		return NULL;
	}
	p = &m->peer[m->n_peers++];
	memcpy(p->addr, addr, 16);
	p->first_name = (uint16_t)m->n_names;
	p->n_names = 0;
	for (size_t k = 2; k < ws->n; k++) {
		const char *s = ws->w[k].s;
		size_t len = ws->w[k].len;

		if (len > MESH_NAME_MAX || !mesh_name_valid(s, len))
			return "a bad name (one lowercase RFC 1123 label: a-z, 0-9, '-', at most "
			       "63)";
		if (m->n_names == MANAGED_NAMES_MAX)
			return "more names than the managed set holds (1024)";
		memcpy(m->name[m->n_names], s, len);
		m->name[m->n_names][len] = '\0';
		m->n_names++;
		p->n_names++;
	}
	return NULL;
}

bool managed_parse(struct managed *m, const char *text, size_t len,
		   struct managed_error *err)
{
	static struct words ws; /* large; callers are single-threaded */
	unsigned line = 0;
	struct text_line l;

	managed_init(m);
	if (len > MANAGED_FILE_MAX)
		return refuse(m, err, 0, "larger than 1 MiB");
	for (size_t at = 0; text_line_next(text, len, at, &l); at = l.next) {
		const char *s = text + l.start, *why = NULL;
		size_t n = l.stop - l.start;

		line++;
		if (memchr(s, '\r', n) != NULL)
			return refuse(m, err, line, "a CR (line ends are LF only)");
		if (!split(s, n, &ws, &why))
			return refuse(m, err, line, why);
		if (line == 1) {
			if (n != 18 || memcmp(s, "subnetra-managed 1", 18) != 0)
				return refuse(m, err, line, "not \"subnetra-managed 1\"");
			continue;
		}
		if (line == 2) {
			if (ws.n != 2 || ws.w[0].len != 7 || memcmp(s, "version", 7) != 0)
				return refuse(m, err, line, "not \"version E.S\"");
			if (!parse_version(m, ws.w[1].s, ws.w[1].len))
				return refuse(m, err, line, "not a version (E.S, two decimal numbers)");
			continue;
		}
		if (ws.w[0].len == 6 && memcmp(s, "server", 6) == 0)
			why = take_record(m, &ws, true);
		else if (ws.w[0].len == 4 && memcmp(s, "peer", 4) == 0)
			why = take_record(m, &ws, false);
		else
			why = "an unknown keyword (expected server or peer)";
		if (why != NULL)
			return refuse(m, err, line, why);
	}
	if (line < 2)
		return refuse(m, err, line + 1, "the file ends before its \"version\" line");
	if (text[len - 1] != '\n')
		return refuse(m, err, line, "the last line has no newline (a cut file?)");
	return true;
}
