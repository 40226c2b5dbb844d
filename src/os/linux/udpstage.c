/* The send stage (see udpstage.h). */
#include "os/linux/udpstage.h"

#include <string.h>

void udp_stage_init(struct udp_stage *s, bool gso)
{
	udp_tx_batch_init(&s->b, gso);
	s->used = 0;
}

bool udp_stage_room(const struct udp_stage *s, size_t len)
{
	return !udp_tx_full(&s->b) && s->used + len <= sizeof s->buf;
}

void udp_stage_put(struct udp_stage *s, const union udp_addr *to, socklen_t to_len,
		   const uint8_t *hdr, size_t hlen, const uint8_t *buf, size_t len)
{
	union udp_addr a;
	uint8_t *at = s->buf + s->used;

	memset(&a, 0, sizeof a);
	memcpy(&a, to, to_len < sizeof a ? to_len : sizeof a);
	if (hlen > 0)
		memcpy(at, hdr, hlen);
	memcpy(at + hlen, buf, len);
	udp_tx_add_addr(&s->b, at, hlen + len, &a, to_len, 0);
	s->used += hlen + len;
}

void udp_stage_send(int fd, struct udp_stage *s, struct udp_stage_result *r)
{
	if (s->b.n == 0)
		return;
	udp_send_batch(fd, &s->b);
	for (size_t i = 0; i < s->b.n; i++) {
		if (s->b.msgs[i].msg_len == 0) {
			r->dropped += s->b.nsegs[i];
			continue;
		}
		r->packets += s->b.nsegs[i];
		r->bytes += s->b.iov[i].iov_len;
	}
	s->b.n = 0;
	s->used = 0;
}
