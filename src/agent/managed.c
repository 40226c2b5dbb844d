/* The managed file (managed.h): rendering and the atomic save. */
#include "agent/managed.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/mesh/identity.h"
#include "core/outbuf.h"
#include "os/linux/statefile.h"

static bool listed(const struct agent_servers *s, const uint8_t a[16])
{
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(s->addr[i], a, 16) == 0)
			return true;
	return false;
}

bool agent_servers_add(struct agent_servers *s, const uint8_t a[16])
{
	if (a[0] != 0xfc || a[1] != 0x94 || s->n >= AGENT_MANAGED_SERVERS_MAX || listed(s, a))
		return false;
	memcpy(s->addr[s->n++], a, 16);
	return true;
}

bool agent_servers_equal(const struct agent_servers *a, const struct agent_servers *b)
{
	return a->n == b->n && memcmp(a->addr, b->addr, a->n * sizeof(a->addr[0])) == 0;
}

static bool is_peer(const struct mgmt_bundle *b, size_t n, const uint8_t a[16])
{
	for (size_t i = 0; b != NULL && i < n; i++)
		if (memcmp(b->peers[i].address, a, 16) == 0)
			return true;
	return false;
}

size_t agent_managed_render(const struct mgmt_bundle *b, const struct agent_servers *s,
			    char *out, size_t cap, bool *cut)
{
	size_t n_peers = b != NULL ? b->n_peers : 0;
	char addr[IDENTITY_ADDR_TEXT];
	struct outbuf o;

	if (n_peers > AGENT_MANAGED_PEERS_MAX)
		n_peers = AGENT_MANAGED_PEERS_MAX;
	if (cut != NULL)
		*cut = b != NULL && b->n_peers > n_peers;
	outbuf_init(&o, out, cap);
	outbuf_puts(&o, "subnetra-managed 1\n");
	if (b != NULL)
		outbuf_printf(&o, "version %" PRIu64 ".%" PRIu64 "\n", b->epoch, b->serial);
	else
		outbuf_puts(&o, "version 0.0\n");
	for (size_t i = 0; i < s->n; i++) {
		if (is_peer(b, n_peers, s->addr[i]))
			continue; /* one line per address: the peer line whitelists it */
		identity_address_format(s->addr[i], addr);
		outbuf_printf(&o, "server %s\n", addr);
	}
	for (size_t i = 0; i < n_peers; i++) {
		const struct mgmt_peer *p = &b->peers[i];

		identity_address_format(p->address, addr);
		outbuf_printf(&o, "peer %s", addr);
		if (p->names.hostname[0] != '\0')
			outbuf_printf(&o, " %s", p->names.hostname);
		for (size_t k = 0; k < p->names.n_aliases; k++)
			outbuf_printf(&o, " %s", p->names.aliases[k]);
		outbuf_puts(&o, "\n");
	}
	return outbuf_finish(&o);
}

int agent_managed_save(int dirfd, const char *label, const char *text, size_t len, char *err,
		       size_t errcap)
{
	return statefile_save_mode(dirfd, AGENT_MANAGED_FILE, label, text, len, 0644, err,
				   errcap);
}
