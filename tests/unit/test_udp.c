/*
 * os/linux/udp.c's dual-stack socket (udp_open6, mesh mode) on loopback: an
 * IPv4 sender arrives as ::ffff:127.0.0.1 and gets its reply through
 * udp_tx_add_addr; ::1 works when the host has IPv6 on lo; datagrams to one
 * IPv6 destination coalesce into one GSO message and a second destination
 * starts another; the send stage (udpstage.c) copies header and body back to
 * back, coalesces them the same way and delivers each datagram whole.
 * v1's IPv4 path is the other tests' (test_txq, netns).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "os/linux/udp.h"
#include "os/linux/udpstage.h"

static uint16_t port_of(int fd)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin6_port);
}

static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 2000), 1);
}

/* One datagram into b from the v6 socket; returns its length. */
static size_t recv_one(int fd, struct udp_rx_batch *b)
{
	wait_readable(fd);
	assert_int_equal(udp_recv_batch(fd, b), 1);
	return b->msgs[0].msg_len;
}

static struct udp_rx_batch rxb;
static uint8_t slots[UDP_BATCH * UDP_RX_SLOT_LEN];

static void test_v4_peer_on_v6_socket(void **state)
{
	int s6 = udp_open6(0, false), s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct udp_tx_batch tb;
	char got[INET6_ADDRSTRLEN];
	char buf[8];

	(void)state;
	assert_true(s6 >= 0);
	assert_true(s4 >= 0);
	udp_rx_batch_init(&rxb, slots);
	to.sin_port = htons(port_of(s6));
	assert_int_equal(sendto(s4, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	assert_int_equal(recv_one(s6, &rxb), 4);
	assert_memory_equal(udp_rx_slot(&rxb, 0), "ping", 4);
	assert_int_equal(rxb.from[0].sa.sa_family, AF_INET6);
	assert_true(IN6_IS_ADDR_V4MAPPED(&rxb.from[0].v6.sin6_addr));
	assert_non_null(inet_ntop(AF_INET6, &rxb.from[0].v6.sin6_addr, got, sizeof(got)));
	assert_string_equal(got, "::ffff:127.0.0.1");

	/* The reply goes back to the address as received. */
	udp_tx_batch_init(&tb, false);
	udp_tx_add_addr(&tb, (const uint8_t *)"pong", 4, &rxb.from[0], sizeof(rxb.from[0].v6), 1);
	udp_send_batch(s6, &tb);
	assert_int_equal(tb.msgs[0].msg_len, 4);
	wait_readable(s4);
	assert_int_equal(recv(s4, buf, sizeof(buf), MSG_DONTWAIT), 4);
	assert_memory_equal(buf, "pong", 4);
	close(s4);
	close(s6);
}

static void test_v6_loopback(void **state)
{
	int s6 = udp_open6(0, false), c = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	(void)state;
	assert_true(s6 >= 0);
	assert_true(c >= 0);
	to.sin6_port = htons(port_of(s6));
	if (sendto(c, "six", 3, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		/* A host (or namespace) with IPv6 off on lo. */
		int e = errno;

		close(c);
		close(s6);
		if (e == EADDRNOTAVAIL || e == ENETUNREACH || e == EAFNOSUPPORT)
			skip();
		fail_msg("sendto ::1: %s", strerror(e));
	}
	udp_rx_batch_init(&rxb, slots);
	assert_int_equal(recv_one(s6, &rxb), 3);
	assert_true(IN6_IS_ADDR_LOOPBACK(&rxb.from[0].v6.sin6_addr));
	close(c);
	close(s6);
}

static void test_v6_coalescing(void **state)
{
	static uint8_t data[3 * 100 + 40];
	union udp_addr a = { .v6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) } };
	union udp_addr b = a;
	struct udp_tx_batch tb;

	(void)state;
	a.v6.sin6_addr.s6_addr[0] = 0xfc;
	b.v6.sin6_addr.s6_addr[0] = 0xfd;
	udp_tx_batch_init(&tb, true);
	for (int i = 0; i < 3; i++)
		udp_tx_add_addr(&tb, data + 100 * i, 100, &a, sizeof(a.v6), 1);
	assert_int_equal(tb.n, 1);
	assert_int_equal(tb.nsegs[0], 3);
	assert_int_equal(tb.iov[0].iov_len, 300);
	/* The next datagram in memory, to another destination: a message of its own. */
	udp_tx_add_addr(&tb, data + 300, 40, &b, sizeof(b.v6), 1);
	assert_int_equal(tb.n, 2);
	assert_int_equal(tb.to_len[1], sizeof(b.v6));
	assert_memory_equal(&tb.to[1], &b, sizeof(b.v6));
}

/*
 * Three header+body frames to one destination: one GSO message of three
 * segments in the stage; sent over IPv4 loopback to a plain socket they
 * arrive as three datagrams, each the header followed by its body.
 */
static void test_stage(void **state)
{
	static struct udp_stage st;
	struct udp_stage_result r = {0};
	int tx = udp_open6(0, false), rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in rsa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t rlen = sizeof(rsa);
	union udp_addr to;
	uint8_t hdr[4] = {'h', 'd', 'r', 0}, body[100], got[200];

	(void)state;
	assert_true(tx >= 0);
	assert_true(rx >= 0);
	assert_int_equal(bind(rx, (struct sockaddr *)&rsa, sizeof(rsa)), 0);
	assert_int_equal(getsockname(rx, (struct sockaddr *)&rsa, &rlen), 0);
	memset(&to, 0, sizeof(to));
	to.v6.sin6_family = AF_INET6;
	to.v6.sin6_port = rsa.sin_port;
	to.v6.sin6_addr.s6_addr[10] = 0xff;
	to.v6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&to.v6.sin6_addr.s6_addr[12], &rsa.sin_addr, 4);
	udp_stage_init(&st, true);
	for (int i = 0; i < 3; i++) {
		hdr[3] = (uint8_t)i;
		memset(body, 'a' + i, sizeof(body));
		assert_true(udp_stage_room(&st, sizeof(hdr) + sizeof(body)));
		udp_stage_put(&st, &to, sizeof(to.v6), hdr, sizeof(hdr), body, sizeof(body));
	}
	assert_false(udp_stage_room(&st, UDP_STAGE_BYTES));
	if (st.b.gso) {
		assert_int_equal(st.b.n, 1);
		assert_int_equal(st.b.nsegs[0], 3);
	}
	udp_stage_send(tx, &st, &r);
	assert_int_equal(r.packets, 3);
	assert_int_equal(r.bytes, 3 * (sizeof(hdr) + sizeof(body)));
	assert_int_equal(r.dropped, 0);
	assert_int_equal(st.b.n, 0);
	assert_int_equal(st.used, 0);
	for (int i = 0; i < 3; i++) {
		wait_readable(rx);
		assert_int_equal(recv(rx, got, sizeof(got), 0), sizeof(hdr) + sizeof(body));
		assert_memory_equal(got, "hdr", 3);
		assert_int_equal(got[3], i);
		assert_int_equal(got[4], 'a' + i);
		assert_int_equal(got[sizeof(hdr) + sizeof(body) - 1], 'a' + i);
	}
	close(rx);
	close(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_peer_on_v6_socket),
		cmocka_unit_test(test_v6_loopback),
		cmocka_unit_test(test_v6_coalescing),
		cmocka_unit_test(test_stage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
