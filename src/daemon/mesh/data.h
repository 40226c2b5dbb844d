/*
 * The data path: TUN -> peer (seal, or queue and initiate), and every
 * datagram on the mesh port: classify, then handshake messages to hs.c and
 * DATA through session_open to the TUN.  Also the one send function that
 * everything on the mesh port goes through.
 */
#ifndef SUBNETRA_DAEMON_MESH_DATA_H
#define SUBNETRA_DAEMON_MESH_DATA_H

#include "daemon/mesh/node.h"

/* Read up to MESH_TUN_BUDGET packets from the TUN and send or queue each. */
void mesh_tun_readable(struct mesh_node *n, uint64_t now_ns);
/* Read up to MESH_UDP_BUDGET batches from the mesh port and handle them. */
void mesh_udp_readable(struct mesh_node *n, uint64_t now_ns);
/* One frame from a base's TCP connection, handled as a datagram from `from`. */
void mesh_frame_in(struct mesh_node *n, uint8_t *buf, size_t len,
		   const union udp_addr *from, socklen_t from_len, uint64_t now_ns);

/* One datagram out of the mesh port; counted (sent, or drop_udp_send). */
void mesh_udp_send(struct mesh_node *n, const union udp_addr *to, socklen_t to_len,
		   const uint8_t *buf, size_t len);
/* The same with hdr[0..hlen) in front (a RELAY header), without a copy
 * unless the send is staged. */
void mesh_udp_sendv(struct mesh_node *n, const union udp_addr *to, socklen_t to_len,
		    const uint8_t *hdr, size_t hlen, const uint8_t *buf, size_t len);
/* A built message to p: in a RELAY through its base, or to its endpoint. */
void mesh_peer_xmit(struct mesh_node *n, struct mesh_peer *p, const uint8_t *buf, size_t len);
/*
 * Seal the plaintext at buf + MESH_PKT_OFF (len bytes; 0: a keepalive)
 * under p's current keypair and send it to p (mesh_peer_xmit).  -ENOKEY when
 * there is no usable keypair (the caller queues); 0 otherwise (a send that
 * fails is counted, not returned).
 */
int mesh_peer_send(struct mesh_node *n, struct mesh_peer *p, uint8_t *buf, size_t len,
		   uint64_t now_ns);
/* Send p's queued packets now that it has a current keypair. */
/* mesh_peer_send, but to `to` (a candidate, a PING's source) when not NULL. */
int mesh_peer_send_via(struct mesh_node *n, struct mesh_peer *p, uint8_t *buf, size_t len,
		       const union udp_addr *to, socklen_t to_len, uint64_t now_ns);
void mesh_peer_flush(struct mesh_node *n, struct mesh_peer *p, uint64_t now_ns);
/* Drop every queued packet (a handshake that gave up), counted. */
void mesh_peer_drop_queue(struct mesh_node *n, struct mesh_peer *p);

#endif
