/* The change feed's messages (see feedmsg.h). */
#include "mgmt/feedmsg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/outbuf.h"

/* ---- sending ------------------------------------------------------------------ */

void feed_format_ids(const struct model_change *ch, char out[FEED_IDS_MAX])
{
	struct outbuf o;
	uint64_t prev = 0;

	if (ch->all) {
		snprintf(out, FEED_IDS_MAX, "*");
		return;
	}
	outbuf_init(&o, out, FEED_IDS_MAX);
	for (size_t i = 0; i < ch->n_affected; i++) {
		outbuf_printf(&o, "%s%llu", i ? "," : "",
			      (unsigned long long)(ch->affected[i] - prev));
		prev = ch->affected[i];
	}
	if (outbuf_finish(&o) == 0 && ch->n_affected > 0)
		snprintf(out, FEED_IDS_MAX, "*");
}

/* ---- receiving ---------------------------------------------------------------- */

bool feed_parse_change(const char *p, struct model_change *ch, bool *all)
{
	long long e, s;
	int at = 0;
	size_t n = 1;
	uint64_t prev = 0;

	memset(ch, 0, sizeof *ch);
	*all = false;
	if (sscanf(p, "v%lld.%lld %n", &e, &s, &at) != 2 || at == 0 || p[at - 1] != ' ')
		return false;
	ch->epoch = e;
	ch->serial = s;
	p += at;
	if (strcmp(p, "*") == 0) {
		*all = true;
		return true;
	}
	if (*p == '\0')
		return true;
	for (const char *c = p; *c != '\0'; c++)
		n += *c == ',';
	ch->affected = malloc(n * sizeof *ch->affected);
	if (ch->affected == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		char *end;
		unsigned long long d;

		if (*p < '0' || *p > '9')
			goto bad;
		d = strtoull(p, &end, 10);
		if ((i > 0 && d == 0) || d > UINT64_MAX - prev ||
		    *end != (i + 1 < n ? ',' : '\0'))
			goto bad;
		prev += d;
		ch->affected[i] = prev;
		p = end + 1;
	}
	ch->n_affected = n;
	return true;
bad:
	model_change_free(ch);
	return false;
}
