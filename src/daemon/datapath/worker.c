/* A worker's life cycle and the daemon-wide counter sum (see worker.h). */
#include "daemon/datapath/worker.h"

#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

struct worker *worker_alloc(struct daemon *d, unsigned id)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->d = d;
	w->id = id;
	w->epfd = w->tun_fd = -1;
	w->aead = aead_ctx_new();
	if (w->aead == NULL) {
		free(w);
		return NULL;
	}
	for (size_t i = 0; i < MAX_LISTEN_PORTS; i++)
		w->udp_fd[i] = -1;
	udp_rx_batch_init(&w->rx, w->rx_slots);
	for (size_t i = 0; i < MAX_LISTEN_PORTS; i++)
		udp_tx_batch_init(&w->txq.batch[i], true);
	for (size_t i = 0; i < N_COUNTERS; i++)
		atomic_init(&w->pub.v[i], 0);
	return w;
}

void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->tun_fd >= 0)
		close(w->tun_fd);
	for (size_t i = 0; i < MAX_LISTEN_PORTS; i++)
		if (w->udp_fd[i] >= 0)
			close(w->udp_fd[i]);
	aead_ctx_free(w->aead);
	/* Packet slots held plaintext. */
	sodium_memzero(w, sizeof(*w));
	free(w);
}

void worker_counters_sum(struct worker *const workers[], unsigned n, struct counters *sum)
{
	*sum = workers[0]->ctr;
	for (unsigned k = 1; k < n; k++)
		counters_accumulate(sum, &workers[k]->pub);
}
