/*
 * The transmit queue of several workers (src/daemon/datapath/txq.c): two worker threads
 * queue and flush datagrams for the same peer at once, from their own UDP
 * sockets on loopback, to one receiver.  Every datagram the receiver gets
 * carries a higher sequence number than the one before it (each peer's
 * blocks leave in the order they were reserved), so a 64-entry replay
 * window would drop none; the numbers are unique and none is skipped.
 * Also: one worker seals as it queues, and a session that runs out of
 * sequence numbers drops (and counts) instead of reusing a nonce.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon/host/daemon.h"
#include "daemon/datapath/datapath.h"

enum {
	PER_THREAD = 20000, /* datagrams each worker sends */
	PT_LEN = 100,
	RX_RCVBUF = 32 << 20,
};

static struct config cfg;
static pthread_barrier_t start_line;

/* A UDP socket on 127.0.0.1 (port 0: any); its port in *port. */
static int loopback_socket(uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = RX_RCVBUF;

	assert_true(fd >= 0);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int fcntl_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

/* A context with `workers` workers, one peer at the receiver's address. */
static struct daemon *context(unsigned workers, uint16_t rx_port)
{
	struct daemon *d;
	uint16_t port;

	memset(&cfg, 0, sizeof(cfg));
	cfg.local_id = 1;
	cfg.workers = workers;
	cfg.obfuscate = false; /* the receiver reads seq from the header */
	cfg.n_peers = 1;
	cfg.peers[0].id = 2;
	cfg.peers[0].endpoint = (struct endpoint4){.addr = 0x7f000001u, .port = rx_port};
	cfg.peers[0].psk[0] = 7;
	d = daemon_alloc(&cfg);
	assert_non_null(d);
	d->epoch = UINT64_C(1767225600000000000);
	peer_table_init(&d->peers, &cfg, d->epoch);
	d->peers.shared = workers > 1;
	d->n_udp = 1;
	for (unsigned k = 0; k < workers; k++) {
		/* Non-blocking like the daemon's: a full buffer drops, counted. */
		d->workers[k]->udp_fd[0] = loopback_socket(&port);
		assert_int_equal(fcntl_nonblock(d->workers[k]->udp_fd[0]), 0);
	}
	return d;
}

static uint64_t header_seq(const uint8_t *h)
{
	uint64_t v = 0;

	for (int i = 19; i >= 12; i--)
		v = v << 8 | h[i];
	return v;
}

static void *sender(void *arg)
{
	struct worker *w = arg;
	unsigned seed = w->id + 1;
	size_t pos = 0;

	aead_ctx_use(w->aead);
	pthread_barrier_wait(&start_line);
	for (int i = 0; i < PER_THREAD; i++) {
		uint8_t *slot;

		/* Queued datagrams point into the stage: flush before reuse. */
		if (pos + PKT_BUF_LEN > sizeof(w->tun_stage)) {
			txq_flush(w);
			pos = 0;
		}
		slot = w->tun_stage + pos;
		memset(slot + WIRE_HEADER_LEN, 0x45, PT_LEN);
		txq_push(w, &w->d->peers.peers[0], TXQ_LOCAL, slot, PT_LEN);
		pos += PKT_BUF_LEN;
		/* Flushes of uneven size, at uneven times. */
		if (rand_r(&seed) % 7 == 0) {
			txq_flush(w);
			pos = 0;
		}
	}
	txq_flush(w);
	return NULL;
}

struct rx_result {
	int fd;
	atomic_bool done;
	size_t got, out_of_order, beyond_window;
	uint64_t highest;
};

static void *receiver(void *arg)
{
	struct rx_result *r = arg;
	uint8_t buf[2048];

	for (;;) {
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 200) == 0 && atomic_load(&r->done))
			break;
		while ((n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			uint64_t seq = header_seq(buf);

			assert_int_equal((size_t)n, WIRE_HEADER_LEN + PT_LEN + WIRE_TAG_LEN);
			if (seq <= r->highest)
				r->out_of_order++;
			if (r->highest >= seq + 64)
				r->beyond_window++;
			if (seq > r->highest)
				r->highest = seq;
			r->got++;
		}
	}
	return NULL;
}

static void test_two_workers_one_peer_in_order(void **state)
{
	struct rx_result r = {0};
	pthread_t rt, st[2];
	struct counters sum;
	struct daemon *d;
	uint16_t port;

	(void)state;
	r.fd = loopback_socket(&port);
	d = context(2, port);
	assert_int_equal(pthread_create(&rt, NULL, receiver, &r), 0);
	assert_int_equal(pthread_barrier_init(&start_line, NULL, 2), 0);
	for (unsigned k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&st[k], NULL, sender, d->workers[k]), 0);
	for (unsigned k = 0; k < 2; k++)
		assert_int_equal(pthread_join(st[k], NULL), 0);
	atomic_store(&r.done, true);
	assert_int_equal(pthread_join(rt, NULL), 0);
	pthread_barrier_destroy(&start_line);
	print_message("received %zu of %d, %zu out of order\n", r.got, 2 * PER_THREAD,
		      r.out_of_order);

	sum = d->workers[0]->ctr;
	counters_add(&sum, &d->workers[1]->ctr);
	/* Every datagram was sent or counted as dropped; none reused a seq. */
	assert_int_equal(sum.udp_tx_packets + sum.drop_tun_send_err, 2 * PER_THREAD);
	assert_int_equal(d->peers.peers[0].tx_seq, 2 * PER_THREAD);
	assert_int_equal(d->peers.peers[0].tx_released, 2 * PER_THREAD);
	/* Whatever arrived, arrived in seq order: no replay window would drop it. */
	assert_int_equal(r.got, sum.udp_tx_packets);
	assert_int_equal(r.out_of_order, 0);
	assert_int_equal(r.beyond_window, 0);
	close(r.fd);
	daemon_free(d);
}

/* One worker: sealed at push time, one seq each, in order. */
static void test_one_worker_seals_at_push(void **state)
{
	struct daemon *d;
	struct worker *w;
	uint16_t port;
	int fd = loopback_socket(&port);
	uint8_t buf[2048];

	(void)state;
	d = context(1, port);
	w = d->workers[0];
	for (int i = 0; i < 3; i++) {
		memset(w->tun_stage + i * PKT_BUF_LEN + WIRE_HEADER_LEN, 0x45, PT_LEN);
		txq_push(w, &d->peers.peers[0], TXQ_LOCAL, w->tun_stage + i * PKT_BUF_LEN, PT_LEN);
		/* Sealed already: the header carries the seq. */
		assert_int_equal(header_seq(w->tun_stage + i * PKT_BUF_LEN), (uint64_t)i + 1);
	}
	txq_flush(w);
	assert_int_equal(w->ctr.udp_tx_packets, 3);
	for (uint64_t want = 1; want <= 3; want++) {
		assert_int_equal(recv(fd, buf, sizeof(buf), 0), WIRE_HEADER_LEN + PT_LEN + WIRE_TAG_LEN);
		assert_int_equal(header_seq(buf), want);
	}
	close(fd);
	daemon_free(d);
}

/* Out of sequence numbers: dropped and counted, never a reused nonce. */
static void test_exhausted_session_drops(void **state)
{
	for (unsigned workers = 1; workers <= 2; workers++) {
		struct daemon *d;
		struct worker *w;
		uint16_t port;
		int fd = loopback_socket(&port);

		(void)state;
		d = context(workers, port);
		w = d->workers[0];
		d->peers.peers[0].tx_seq = UINT64_MAX - 1;
		d->peers.peers[0].tx_released = UINT64_MAX - 1;
		for (int i = 0; i < 3; i++)
			txq_push(w, &d->peers.peers[0], TXQ_RELAY, w->tun_stage + i * PKT_BUF_LEN, 0);
		txq_push(w, &d->peers.peers[0], TXQ_KEEPALIVE, w->ka_slots[0], 0);
		txq_flush(w);
		assert_int_equal(w->ctr.relay_packets, 1);
		assert_int_equal(w->ctr.drop_udp_send_err, 2);
		assert_int_equal(w->ctr.drop_tun_send_err, 1); /* the keepalive */
		assert_int_equal(w->ctr.keepalive_tx, 0);
		assert_true(d->peers.peers[0].tx_seq == UINT64_MAX);
		close(fd);
		daemon_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_worker_seals_at_push),
		cmocka_unit_test(test_two_workers_one_peer_in_order),
		cmocka_unit_test(test_exhausted_session_drops),
	};

	if (sodium_init() < 0 || aead_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
