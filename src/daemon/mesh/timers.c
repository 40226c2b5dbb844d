/* The mesh node's periodic tick (see timers.h). */
#include "daemon/mesh/timers.h"

#include "daemon/mesh/bases.h"
#include "daemon/mesh/data.h"
#include "daemon/mesh/hosts.h"
#include "daemon/mesh/hs.h"
#include "daemon/mesh/lan.h"
#include "daemon/mesh/netchange.h"
#include "daemon/mesh/path.h"

static void retransmit(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	uint64_t next;

	if (!p->hs_pending)
		return;
	switch (session_retransmit_due(p->hs_started_ns, p->hs_last_sent_ns, p->hs_sent, now_ns,
				       &next)) {
	case SESSION_RETX_SEND:
		mesh_hs_initiate(n, p, now_ns);
		break;
	case SESSION_RETX_GIVE_UP:
		mesh_hs_cancel(n, p);
		mesh_peer_drop_queue(n, p);
		n->c.handshakes_given_up++;
		break;
	case SESSION_RETX_WAIT:
		break;
	}
}

/*
 * Passive keepalive: the peer sent us something and we have been silent
 * for KEEPALIVE_TIMEOUT, so it learns that its packets arrive.
 */
static void keepalive(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	if (session_current(&p->session) == NULL || p->last_rx_ns <= p->last_tx_ns ||
	    now_ns - p->last_tx_ns < SESSION_KEEPALIVE_TIMEOUT_NS)
		return;
	(void)mesh_peer_send(n, p, n->pkt, 0, now_ns);
}

void mesh_tick(struct mesh_node *n, uint64_t now_ns)
{
	for (size_t i = 0; i < n->n_peers; i++) {
		struct mesh_peer *p = &n->peers[i];

		retransmit(n, p, now_ns);
		keepalive(n, p, now_ns);
		mesh_path_tick(n, p, now_ns);
		if (p->session.have_keys && session_zero_due(&p->session, now_ns))
			session_wipe_keys(&p->session, &n->index);
	}
	mesh_net_tick(n, now_ns);
	mesh_lan_tick(n, now_ns);
	mesh_bases_tick(n, now_ns);
	mesh_hosts_tick(n, now_ns);
}
