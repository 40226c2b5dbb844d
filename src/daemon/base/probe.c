/*
 * The NAT probe port (see server.h; docs/mesh.md "Why a peer stays
 * relayed"): a node sends the PING of its base session to this second UDP
 * port as well, and the PONG from here carries the source seen here.  A
 * node whose NAT gives this port another source port than the base's UDP
 * port maps ports per destination.
 *
 * Receive order: msg_classify -> DATA only -> the session of its receiver
 * index -> session_open (replay window, AEAD) -> a base control PING only
 * -> the node is registered over UDP from this same address (so an answer
 * only ever goes to an address the node proved it is at; the port may
 * differ, that is the point) -> PONG, sealed in the session, from this
 * port.  Nothing here moves the node's transport or refreshes it: the
 * registry is read, never written.  Anything else is a counted drop.
 */
#include "daemon/base/server.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "core/mesh/pathctl.h"

static bool from_registered(struct base_server *b, const struct base_client *c,
			    const union udp_addr *from, uint64_t now_ns)
{
	const struct registry_node *rn = registry_find(&b->reg, c->addr, now_ns);

	return rn != NULL && rn->tr.kind == REGISTRY_UDP && from->sa.sa_family == AF_INET6 &&
	       memcmp(rn->tr.addr, &from->v6.sin6_addr, EP18_ADDR_LEN) == 0;
}

static void answer(struct base_server *b, struct base_client *c, const struct basectl *ping,
		   const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	static struct basectl m; /* as in on_probe */
	size_t len, out_len;

	memset(&m, 0, sizeof(m));
	m.type = BASECTL_PONG;
	memcpy(m.txid, ping->txid, sizeof(m.txid));
	ep18_from_ipv6(&m.observed, from->v6.sin6_addr.s6_addr, ntohs(from->v6.sin6_port));
	if (basectl_encode(&m, b->pkt + MSG_DATA_HEADER_LEN, MSG_DATA_MAX_PLAINTEXT, &len) !=
		BASECTL_OK ||
	    session_seal(&c->session, now_ns, b->pkt, len, sizeof(b->pkt), &out_len) < 0) {
		b->c.drop_seal++;
		return;
	}
	if (sendto(b->probe_fd, b->pkt, out_len, MSG_DONTWAIT, &from->sa, from_len) < 0) {
		b->c.drop_udp_send++;
		return;
	}
	b->c.probe_pongs_sent++;
}

static void on_probe(struct base_server *b, uint8_t *buf, size_t len,
		     const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	enum msg_class cls = msg_classify(buf, len);
	enum session_verdict v;
	struct base_client *c;
	static struct basectl m; /* large (the ALLOW list); single-threaded */
	const uint8_t *pt;
	size_t pt_len;

	if (cls != MSG_CLASS_DATA) {
		b->c.drop_probe_not_ping++;
		return;
	}
	c = base_data_open(b, buf, len, now_ns, &v, &pt, &pt_len);
	if (c == NULL)
		return;
	if (v != SESSION_CONTROL || plain_classify(pt, pt_len) != PLAIN_BASE_CTL ||
	    pt_len != BASECTL_PING_LEN ||
	    basectl_decode(&m, pt, pt_len, NULL) != BASECTL_OK || m.type != BASECTL_PING) {
		b->c.drop_probe_not_ping++;
		return;
	}
	if (!from_registered(b, c, from, now_ns)) {
		b->c.drop_probe_not_registered++;
		return;
	}
	answer(b, c, &m, from, from_len, now_ns);
}

void base_probe_readable(struct base_server *b, uint64_t now_ns)
{
	uint8_t buf[MSG_MAX_LEN];

	for (int k = 0; k < BASE_PROBE_BUDGET; k++) {
		union udp_addr from;
		socklen_t from_len = sizeof(from);
		ssize_t r = recvfrom(b->probe_fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
				     &from.sa, &from_len);

		if (r < 0)
			return;
		b->c.probe_rx_packets++;
		if ((size_t)r > sizeof(buf)) {
			b->c.drop_udp_truncated++;
			continue;
		}
		on_probe(b, buf, (size_t)r, &from, from_len, now_ns);
	}
}
