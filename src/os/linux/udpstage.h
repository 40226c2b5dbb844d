/*
 * A send stage: datagrams copied back to back into one buffer and queued on
 * a udp_tx_batch, so that they leave in one sendmmsg and consecutive ones of
 * one size to one destination become one UDP_SEGMENT (GSO) message.  For
 * senders whose datagrams do not lie back to back where they were built (a
 * header put in front, or frames cut out of a GRO receive): the copy of
 * ~1.4 kB costs far less than a send per datagram.  The caller owns the
 * memory (no allocation) and calls udp_stage_send when it is done producing.
 */
#ifndef SUBNETRA_UDPSTAGE_H
#define SUBNETRA_UDPSTAGE_H

#include <stddef.h>
#include <stdint.h>

#include "os/linux/udp.h"

enum {
	/* Room for more than a batch of the largest mesh datagrams (~1.55 kB):
	 * GSO messages of many segments, not a flush every 32 datagrams. */
	UDP_STAGE_BYTES = UDP_BATCH * 4096,
};

struct udp_stage {
	struct udp_tx_batch b;
	size_t used;
	uint8_t buf[UDP_STAGE_BYTES];
};

/* What one udp_stage_send put on the wire and what the kernel refused. */
struct udp_stage_result {
	uint64_t packets, bytes, dropped;
};

void udp_stage_init(struct udp_stage *s, bool gso);
/* Whether hlen + len more bytes fit (else: udp_stage_send first). */
bool udp_stage_room(const struct udp_stage *s, size_t len);
/*
 * Queue hdr[0..hlen) ‖ buf[0..len) (hdr may be NULL) to `to` (to_len bytes;
 * compared as bytes, so zero beyond the address's fields is done here).
 * udp_stage_room must have said yes.
 */
void udp_stage_put(struct udp_stage *s, const union udp_addr *to, socklen_t to_len,
		   const uint8_t *hdr, size_t hlen, const uint8_t *buf, size_t len);
/* Send what is queued on fd and empty the stage; the counts add to *r. */
void udp_stage_send(int fd, struct udp_stage *s, struct udp_stage_result *r);

#endif
