/* The managed file (managed.h): the set from a bundle, and the atomic save. */
#include "agent/managed.h"

#include <string.h>

#include "core/mesh/identity.h"
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
	if (!identity_address_in_overlay(a) || s->n >= AGENT_MANAGED_SERVERS_MAX || listed(s, a))
		return false;
	memcpy(s->addr[s->n++], a, 16);
	return true;
}

bool agent_servers_equal(const struct agent_servers *a, const struct agent_servers *b)
{
	return a->n == b->n && memcmp(a->addr, b->addr, a->n * sizeof(a->addr[0])) == 0;
}

/* A name for the peer p of m, while the file has room: false when it had none. */
static bool add_name(struct managed *m, struct managed_peer *p, const char *name)
{
	if (m->n_names >= MANAGED_NAMES_MAX)
		return false;
	memcpy(m->name[m->n_names++], name, strlen(name) + 1);
	p->n_names++;
	return true;
}

bool agent_managed_build(const struct mgmt_bundle *b, const struct agent_servers *s,
			 struct managed *m)
{
	bool whole = true;

	managed_init(m);
	for (size_t i = 0; i < s->n; i++)
		memcpy(m->server[m->n_servers++], s->addr[i], 16);
	if (b == NULL)
		return true;
	m->epoch = b->epoch;
	m->serial = b->serial;
	whole = b->n_peers <= MANAGED_PEERS_MAX;
	for (size_t i = 0; i < b->n_peers && i < MANAGED_PEERS_MAX; i++) {
		const struct mgmt_names *nm = &b->peers[i].names;
		struct managed_peer *p = &m->peer[m->n_peers++];

		memcpy(p->addr, b->peers[i].address, 16);
		p->first_name = (uint16_t)m->n_names;
		p->n_names = 0;
		/* a nameless peer with aliases: its first alias stands first */
		if (nm->hostname[0] != '\0')
			whole &= add_name(m, p, nm->hostname);
		for (size_t k = 0; k < nm->n_aliases; k++)
			whole &= add_name(m, p, nm->aliases[k]);
	}
	return whole;
}

int agent_managed_save(int dirfd, const char *label, const char *text, size_t len, char *err,
		       size_t errcap)
{
	return statefile_save_mode(dirfd, AGENT_MANAGED_FILE, label, text, len, 0644, err,
				   errcap);
}
