/*
 * The data path (see data.h).  Receive order for a datagram: classify
 * (length and type first) -> by type: handshake messages to hs.c; DATA:
 * receiver index selects the session -> session_open (replay window,
 * AEAD, inner source = the peer's address, destination = ours) -> only
 * then learn the endpoint -> deliver.  Buffers are the batch slots and
 * n->pkt, sealed and opened in place; nothing is allocated.
 */
#include "daemon/mesh/data.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/mesh/pathctl.h"
#include "daemon/mesh/allow.h"
#include "daemon/mesh/bases.h"
#include "daemon/mesh/basetcp.h"
#include "daemon/mesh/hs.h"
#include "daemon/mesh/path.h"
#include "daemon/mesh/peers.h"
#include "os/linux/udpstage.h"

enum {
	IPV6_HDR_LEN = 40,
	IPV6_OFF_DST = 24,
};

/*
 * Datagrams sent while the TUN is drained are staged here and leave in one
 * sendmmsg, consecutive ones of one size to one destination as one
 * UDP_SEGMENT (GSO) message: the segments of one TCP super-packet cost one
 * send.  One thread, one stage (as tun_read_buf below).
 */
static struct {
	struct udp_stage s;
	bool on, init;
} tx;

_Static_assert(MSG_MAX_LEN * UDP_BATCH <= UDP_STAGE_BYTES, "a batch of frames fits");

static void tx_flush(struct mesh_node *n)
{
	struct udp_stage_result r = {0};

	udp_stage_send(n->udp_fd, &tx.s, &r);
	n->c.udp_tx_packets += r.packets;
	n->c.udp_tx_bytes += r.bytes;
	n->c.drop_udp_send += r.dropped;
}

void mesh_udp_sendv(struct mesh_node *n, const union udp_addr *to, socklen_t to_len,
		    const uint8_t *hdr, size_t hlen, const uint8_t *buf, size_t len)
{
	struct iovec iov[2] = {{(void *)(uintptr_t)hdr, hlen}, {(void *)(uintptr_t)buf, len}};
	struct msghdr mh = {.msg_name = (void *)(uintptr_t)to,
			    .msg_namelen = to_len,
			    .msg_iov = hlen > 0 ? iov : iov + 1,
			    .msg_iovlen = hlen > 0 ? 2 : 1};
	int base;

	/* To a base whose UDP failed: framed on its TCP connection instead. */
	if (!n->force_udp && (base = mesh_base_tcp_of(n, to)) >= 0) {
		(void)mesh_base_tcp_send(n, (size_t)base, hdr, hlen, buf, len);
		return;
	}
	if (tx.on) {
		if (!udp_stage_room(&tx.s, hlen + len))
			tx_flush(n);
		udp_stage_put(&tx.s, to, to_len, hdr, hlen, buf, len);
		return;
	}
	if (sendmsg(n->udp_fd, &mh, MSG_DONTWAIT) < 0) {
		n->c.drop_udp_send++;
		return;
	}
	n->c.udp_tx_packets++;
	n->c.udp_tx_bytes += hlen + len;
}

void mesh_udp_send(struct mesh_node *n, const union udp_addr *to, socklen_t to_len,
		   const uint8_t *buf, size_t len)
{
	mesh_udp_sendv(n, to, to_len, NULL, 0, buf, len);
}

void mesh_peer_xmit(struct mesh_node *n, struct mesh_peer *p, const uint8_t *buf, size_t len)
{
	if (mesh_peer_relayed(n, p)) {
		mesh_relay_send(n, p, buf, len);
		return;
	}
	mesh_udp_send(n, &p->ep, p->ep_len, buf, len);
	/* The direct path's heartbeats went unanswered: the relay too (path.h). */
	if (p->path.dual && mesh_peer_has_relay(n, p))
		mesh_relay_send(n, p, buf, len);
}

int mesh_peer_send_via(struct mesh_node *n, struct mesh_peer *p, uint8_t *buf, size_t len,
		       const union udp_addr *to, socklen_t to_len, uint64_t now_ns)
{
	size_t out_len;
	int err;

	if (to == NULL && !mesh_peer_reachable(n, p))
		return -ENOKEY;
	if (len > 0 && buf[MESH_PKT_OFF] >> 4 == 6)
		p->last_data_ns = now_ns;
	err = session_seal(&p->session, now_ns, buf, len, MESH_PKT_BUF, &out_len);
	if (err == -EMSGSIZE || err == -ENOBUFS) {
		n->c.drop_tun_too_big++;
		return 0;
	}
	if (err < 0)
		return err;
	if (to != NULL)
		mesh_udp_send(n, to, to_len, buf, out_len);
	else
		mesh_peer_xmit(n, p, buf, out_len);
	p->tx_bytes += out_len;
	p->last_tx_ns = now_ns;
	/* Sent on the old keypair; a new one is negotiated meanwhile. */
	if (session_should_rekey_send(session_current(&p->session), &p->session.timers,
				      now_ns))
		mesh_hs_start(n, p, now_ns);
	return 0;
}

int mesh_peer_send(struct mesh_node *n, struct mesh_peer *p, uint8_t *buf, size_t len,
		   uint64_t now_ns)
{
	return mesh_peer_send_via(n, p, buf, len, NULL, 0, now_ns);
}

void mesh_peer_flush(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns)
{
	uint8_t *buf;
	size_t len;

	while (mesh_queue_peek(n, p, &buf, &len)) {
		if (mesh_peer_send(n, p, buf, len, now_ns) == -ENOKEY)
			return;
		mesh_queue_pop(n, p);
	}
}

void mesh_peer_drop_queue(struct mesh_node *n, struct mesh_peer *p)
{
	while (p->q_n > 0) {
		mesh_queue_pop(n, p);
		n->c.drop_queue_given_up++;
	}
}

/* One IPv6 packet from the TUN at n->pkt + MESH_PKT_OFF. */
static void tun_packet(struct mesh_node *n, size_t len, uint64_t now_ns)
{
	const uint8_t *ip = n->pkt + MESH_PKT_OFF;
	struct mesh_peer *p;

	if (len < IPV6_HDR_LEN || ip[0] >> 4 != 6) {
		n->c.drop_tun_not_ipv6++;
		return;
	}
	if (ip[IPV6_OFF_DST] != n->id.addr[0] || ip[IPV6_OFF_DST + 1] != n->id.addr[1]) {
		n->c.drop_tun_not_mesh++;
		return;
	}
	p = mesh_peer_find(n, ip + IPV6_OFF_DST);
	if (p == NULL || p->is_base) {
		/* A whitelisted address we have no key for: ask the bases. */
		if (p != NULL || !mesh_allowed(n, ip + IPV6_OFF_DST) ||
		    !mesh_bases_want(n, ip + IPV6_OFF_DST, len, now_ns))
			n->c.drop_tun_no_peer++;
		return;
	}
	if (!mesh_peer_reachable(n, p)) {
		if (n->bases == NULL) {
			n->c.drop_tun_no_endpoint++;
			return;
		}
		/* No path (yet, or any more): hold it and ask for the peer's relay id. */
		if (!mesh_queue_push(n, p, len))
			n->c.drop_tun_queue_full++;
		mesh_base_lookup(n, p->addr, now_ns);
		return;
	}
	/* In order: nothing overtakes packets already waiting. */
	if (p->q_n == 0 && mesh_peer_send(n, p, n->pkt, len, now_ns) == 0)
		return;
	if (!mesh_queue_push(n, p, len))
		n->c.drop_tun_queue_full++;
	mesh_hs_start(n, p, now_ns);
}

/*
 * The TUN's offload buffers.  The mesh node runs on one thread, so one of
 * each serves it: a TUN read (a TCPV6 super-packet of up to 64 KiB with
 * TUN_OPEN_TSO6), and the receive-side coalescing of TCP segments into
 * one TUN write (core/offload.h).
 */
static uint8_t tun_read_buf[VNET_HDR_LEN + OFFLOAD_MAX_PACKET];
/* Zero-initialised (.bss, not 64 KiB of .data in the static binary); the
 * IPv6 flag is set where it is first used (gro_v6). */
static struct tun_gro tun_gro;

static struct tun_gro *gro_v6(void)
{
	tun_gro.v6 = true;
	return &tun_gro;
}

void mesh_tun_readable(struct mesh_node *n, uint64_t now_ns)
{
	uint8_t *at = n->pkt + MESH_PKT_OFF;

	if (!tx.init) {
		udp_stage_init(&tx.s, true);
		tx.init = true;
	}
	tx.on = true;
	for (int i = 0; i < MESH_TUN_BUDGET; i++) {
		ssize_t r = tun_read(n->tun_fd, tun_read_buf, sizeof tun_read_buf);
		struct offload_iter it;
		size_t len;

		if (r <= 0)
			break;
		if ((size_t)r <= VNET_HDR_LEN || !offload_begin(&it, tun_read_buf, (size_t)r)) {
			n->c.drop_tun_not_ipv6++;
			continue;
		}
		/* Each segment (or the one packet), checksums complete, at n->pkt. */
		while ((len = offload_next(&it, at, MSG_DATA_MAX_PLAINTEXT)) > 0) {
			n->c.tun_rx_packets++;
			n->c.tun_rx_bytes += len;
			tun_packet(n, len, now_ns);
		}
		if (!it.done) { /* larger than a DATA message carries */
			n->c.tun_rx_packets++;
			n->c.tun_rx_bytes += it.len;
			n->c.drop_tun_too_big++;
		}
	}
	tx.on = false;
	tx_flush(n);
}

/* Write the pending coalesced packet, if any. */
static void gro_flush(struct mesh_node *n)
{
	const uint8_t *p;
	size_t len = gro_finish(&tun_gro, &p);

	if (len == 0)
		return;
	if (tun_write(n->tun_fd, p, len) < 0) {
		n->c.drop_tun_write += tun_gro.nsegs;
	} else {
		n->c.tun_tx_packets += tun_gro.nsegs;
		n->c.tun_tx_bytes += tun_gro.bytes;
	}
	gro_reset(&tun_gro);
}

static void deliver(struct mesh_node *n, uint8_t *buf, const uint8_t *pt, size_t pt_len)
{
	/* The DATA header in front of the plaintext becomes the vnet header. */
	uint8_t *w = buf + (pt - buf) - VNET_HDR_LEN;

	/* Segments of one TCP flow merge into one write (gro_flush). */
	if (gro_add(gro_v6(), pt, pt_len))
		return;
	gro_flush(n);
	if (gro_add(&tun_gro, pt, pt_len))
		return;
	memset(w, 0, VNET_HDR_LEN);
	if (tun_write(n->tun_fd, w, pt_len + VNET_HDR_LEN) < 0) {
		n->c.drop_tun_write++;
		return;
	}
	n->c.tun_tx_packets++;
	n->c.tun_tx_bytes += pt_len;
}

static void on_data(struct mesh_node *n, uint8_t *buf, size_t len, const union udp_addr *from,
		    socklen_t from_len, uint64_t now_ns)
{
	struct session *s = session_index_lookup(&n->index, msg_receiver(buf, MSG_CLASS_DATA));
	enum session_verdict v;
	struct mesh_peer *p;
	const uint8_t *pt;
	size_t pt_len;

	if (s == NULL) {
		n->c.drop_mesh_unknown_receiver++;
		return;
	}
	p = mesh_peer_of_session(s);
	v = session_open(s, &n->index, now_ns, buf, len, &pt, &pt_len);
	if (session_verdict_is_drop(v)) {
		n->c.data[v]++;
		return;
	}
	/* Authentic and fresh: only now may it move the endpoint. */
	mesh_peer_learn(n, p, from, from_len, false, now_ns);
	p->rx_bytes += len;
	p->last_rx_ns = now_ns;
	switch (v) {
	case SESSION_PACKET:
		if (p->is_base) {
			n->c.drop_base_packet++; /* a base carries no overlay traffic */
			break;
		}
		p->last_data_ns = now_ns;
		deliver(n, buf, pt, pt_len);
		break;
	case SESSION_CONTROL:
		switch (plain_classify(pt, pt_len)) {
		case PLAIN_PEER_CTL:
			if (p->is_base)
				n->c.peer_control_ignored++;
			else
				mesh_path_on_ctl(n, p, pt, pt_len, from, from_len, now_ns);
			break;
		case PLAIN_BASE_CTL:
			if (p->is_base && n->rx_relay == NULL)
				mesh_base_on_ctl(n, p, pt, pt_len, now_ns);
			else
				n->c.base_control_ignored++;
			break;
		default:
			n->c.drop_mesh_data_unknown_plaintext++;
			break;
		}
		break;
	default: /* a keepalive */
		break;
	}
	/* A responder's keypair may just have been confirmed. */
	if (p->q_n > 0)
		mesh_peer_flush(n, p, now_ns);
	if (session_should_rekey_recv(session_current(s), &s->timers, now_ns))
		mesh_hs_start(n, p, now_ns);
}

static void on_datagram(struct mesh_node *n, uint8_t *buf, size_t len,
			const union udp_addr *from, socklen_t from_len, uint64_t now_ns);

/*
 * A RELAYED from one of our bases: its inner message (classified already:
 * never another relay frame) goes through the normal receive path, with
 * n->rx_relay saying where it came from, so that an authenticated inner
 * message records "reached through this base, under this relay id"
 * instead of the base's address as the peer's endpoint.
 */
static void on_relayed(struct mesh_node *n, uint8_t *buf, size_t len,
		       const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	int base = mesh_base_of_endpoint(n, from, from_len);
	struct mesh_rx_relay rx;
	struct msg_relay_view v;

	if (base < 0 || !msg_relay_view(buf, len, MSG_CLASS_RELAYED, &v)) {
		n->c.drop_relayed_not_from_base++;
		return;
	}
	rx.base = (size_t)base;
	memcpy(rx.src, v.src, sizeof(rx.src));
	n->c.relayed_rx_packets++;
	n->rx_relay = &rx;
	/* The inner message is inside buf, which is writable. */
	on_datagram(n, buf + (v.inner - buf), v.inner_len, from, from_len, now_ns);
	n->rx_relay = NULL;
}

static void on_datagram(struct mesh_node *n, uint8_t *buf, size_t len,
			const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	enum msg_class cls = msg_classify(buf, len);

	if (n->rx_relay == NULL && !n->rx_tcp) {
		n->c.udp_rx_packets++;
		n->c.udp_rx_bytes += len;
	}
	if (msg_class_is_drop(cls)) {
		n->c.msg[cls]++;
		return;
	}
	switch (cls) {
	case MSG_CLASS_HS_INIT:
		mesh_hs_on_init(n, buf, len, from, from_len, now_ns);
		break;
	case MSG_CLASS_HS_RESP:
		mesh_hs_on_resp(n, buf, len, from, from_len, now_ns);
		break;
	case MSG_CLASS_COOKIE_REPLY:
		mesh_hs_on_cookie(n, buf, len, now_ns);
		break;
	case MSG_CLASS_DATA:
		on_data(n, buf, len, from, from_len, now_ns);
		break;
	case MSG_CLASS_RELAYED:
		on_relayed(n, buf, len, from, from_len, now_ns);
		break;
	case MSG_CLASS_PUNCH:
		/* Its only job was to open the sender's NAT toward us. */
		n->c.punches_received++;
		break;
	default: /* RELAY: for a base */
		n->c.relay_ignored++;
		break;
	}
}

void mesh_frame_in(struct mesh_node *n, uint8_t *buf, size_t len,
		   const union udp_addr *from, socklen_t from_len, uint64_t now_ns)
{
	on_datagram(n, buf, len, from, from_len, now_ns);
	gro_flush(n);
}

void mesh_udp_readable(struct mesh_node *n, uint64_t now_ns)
{
	for (int b = 0; b < MESH_UDP_BUDGET; b++) {
		int got = udp_recv_batch(n->udp_fd, &n->rx);

		if (got <= 0)
			return;
		for (int i = 0; i < got; i++) {
			struct mmsghdr *m = &n->rx.msgs[i];
			size_t len = m->msg_len, seg = udp_rx_segment_size(&n->rx, (size_t)i);
			uint8_t *buf = udp_rx_slot(&n->rx, (size_t)i);

			if (m->msg_hdr.msg_flags & MSG_TRUNC) {
				n->c.drop_udp_truncated++;
				continue;
			}
			if (seg == 0)
				seg = len;
			/* A GRO slot holds datagrams of seg bytes, the last shorter. */
			for (size_t off = 0; off < len; off += seg)
				on_datagram(n, buf + off, len - off < seg ? len - off : seg,
					    &n->rx.from[i], m->msg_hdr.msg_namelen, now_ns);
		}
		/* Nothing waits past the batch that filled it. */
		gro_flush(n);
		if (got < UDP_BATCH)
			return;
	}
}
