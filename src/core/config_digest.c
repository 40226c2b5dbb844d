/*
 * config_digest: which config a policy snapshot was saved under, as a hash
 * of every non-secret field.
 */
#include "core/config.h"

#include <string.h>

#include <sodium.h>

/*
 * Fixed-width little-endian fields, counts before lists, lengths before
 * strings: two configs hash alike only if every field is equal.  A new
 * config field belongs here (unless it is secret), or a change of it would
 * keep a snapshot saved under the old value.
 */
static void digest_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	crypto_generichash_update(h, b, sizeof(b));
}

static void digest_cidr(crypto_generichash_state *h, const struct cidr *c)
{
	digest_u64(h, c->addr);
	digest_u64(h, c->prefix);
}

static void digest_str(crypto_generichash_state *h, const char *s)
{
	digest_u64(h, strlen(s));
	crypto_generichash_update(h, (const unsigned char *)s, strlen(s));
}

static void digest_routes(crypto_generichash_state *h, const struct cidr *r, size_t n)
{
	digest_u64(h, n);
	for (size_t i = 0; i < n; i++)
		digest_cidr(h, &r[i]);
}

/* The non-secret mesh fields: the psk only as "one is set". */
static void digest_mesh(crypto_generichash_state *h, const struct config *cfg)
{
	const struct mesh_config *m = &cfg->mesh;

	digest_str(h, "mode");
	digest_u64(h, cfg->mode);
	digest_str(h, m->identity_file);
	digest_u64(h, m->udp_port);
	digest_u64(h, m->tcp_port);
	digest_u64(h, m->probe_port);
	digest_u64(h, m->mtu);
	digest_u64(h, m->n_bases);
	for (size_t i = 0; i < m->n_bases && i < MESH_MAX_BASES; i++) {
		digest_str(h, m->bases[i].host);
		digest_u64(h, m->bases[i].udp_port);
		digest_u64(h, m->bases[i].tcp_port);
		digest_u64(h, m->bases[i].probe_port);
		crypto_generichash_update(h, m->bases[i].public_key, MESH_KEY_LEN);
	}
	digest_u64(h, m->whitelist_enabled);
	digest_u64(h, m->n_whitelist);
	for (size_t i = 0; i < m->n_whitelist && i < MESH_MAX_WHITELIST; i++)
		crypto_generichash_update(h, m->whitelist[i], MESH_ADDR_LEN);
	digest_str(h, m->hostname);
	digest_str(h, m->hosts_file);
	digest_str(h, m->state_dir);
	digest_u64(h, m->lan_discovery);
	digest_u64(h, m->rekey_interval);
	digest_u64(h, m->has_psk);
}

void config_digest(const struct config *cfg, uint8_t out[CONFIG_DIGEST_LEN])
{
	static const char domain[] = "subnetra-config-digest-v1";
	crypto_generichash_state h;

	_Static_assert(CONFIG_DIGEST_LEN == crypto_generichash_BYTES, "BLAKE2b-256");
	crypto_generichash_init(&h, NULL, 0, CONFIG_DIGEST_LEN);
	digest_str(&h, domain);
	digest_u64(&h, cfg->negotiation_version);
	digest_u64(&h, cfg->local_tun_mtu);
	digest_u64(&h, cfg->n_listen_ports);
	for (size_t i = 0; i < cfg->n_listen_ports; i++)
		digest_u64(&h, cfg->listen_ports[i]);
	digest_cidr(&h, &cfg->virtual_subnet);
	digest_u64(&h, cfg->has_local_tun_ip);
	if (cfg->has_local_tun_ip)
		digest_cidr(&h, &cfg->local_tun_ip);
	digest_u64(&h, cfg->local_id);
	digest_u64(&h, cfg->role);
	digest_routes(&h, cfg->local_routes, cfg->n_local_routes);
	digest_routes(&h, cfg->remote_routes, cfg->n_remote_routes);
	digest_u64(&h, cfg->keepalive_secs);
	digest_u64(&h, cfg->obfuscate);
	digest_str(&h, cfg->user);
	digest_u64(&h, cfg->workers);
	digest_u64(&h, cfg->n_peers);
	for (size_t i = 0; i < cfg->n_peers; i++) {
		const struct peer_config *p = &cfg->peers[i];

		/* p->psk is secret: it never enters the digest. */
		digest_u64(&h, p->id);
		digest_u64(&h, p->endpoint.addr);
		digest_u64(&h, p->endpoint.port);
		digest_cidr(&h, &p->allowed_src);
		digest_str(&h, p->name);
	}
	/*
	 * Only when not the default, so that a snapshot saved before the field
	 * existed still matches an unchanged config.  It comes after the
	 * count-prefixed peer list, where nothing else can stand.
	 */
	if (!cfg->configure_interface)
		digest_str(&h, "configure_interface=false");
	/* Likewise: a v1 config hashes as it did before modes existed. */
	if (cfg->mode != CONFIG_MODE_V1)
		digest_mesh(&h, cfg);
	crypto_generichash_final(&h, out, CONFIG_DIGEST_LEN);
	sodium_memzero(&h, sizeof(h));
}
