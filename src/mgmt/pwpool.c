/* Password hashing in worker threads (see pwpool.h). */
#include "mgmt/pwpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mgmt/mgmtd.h"

/* DONE: in the done ring; WOKEN: drained, its request woken to take it. */
enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE, SLOT_WOKEN };

struct pwjob {
	enum slot_state state;
	enum pwpool_kind kind;
	bool orphan; /* its request ended: drop the result */
	uint32_t gen;	/* bumped at each use: a stale wake key matches nothing */
	int result;
	size_t len;
	char password[PWPOOL_PASSWORD_MAX + 1];
	char hash[crypto_pwhash_STRBYTES];
};

struct pwpool {
	pthread_mutex_t mu;
	pthread_cond_t work;
	pthread_t threads[PWPOOL_THREADS];
	size_t n_threads;
	int efd;
	bool stop;
	/* FIFO of queued slots and of done slots: rings of indices */
	unsigned queue[PWPOOL_JOBS], q_head, q_n;
	unsigned done[PWPOOL_JOBS], d_head, d_n;
	unsigned busy; /* slots not free */
	struct pwpool_stats stats;
	struct pwjob jobs[PWPOOL_JOBS];
};

static void slot_free(struct pwpool *p, struct pwjob *j)
{
	uint32_t gen = j->gen;

	sodium_memzero(j, sizeof *j);
	j->gen = gen + 1;
	p->busy--;
}

static void *worker(void *arg)
{
	struct pwpool *p = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->q_n == 0)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		struct pwjob *j = &p->jobs[p->queue[p->q_head]];
		unsigned idx = p->queue[p->q_head];

		p->q_head = (p->q_head + 1) % PWPOOL_JOBS;
		p->q_n--;
		j->state = SLOT_RUNNING;
		pthread_mutex_unlock(&p->mu);
		/* The slot is this thread's alone while RUNNING. */
		if (j->kind == PWPOOL_VERIFY)
			j->result = crypto_pwhash_str_verify(j->hash, j->password, j->len) == 0
					? 0
					: -EACCES;
		else
			j->result = crypto_pwhash_str(j->hash, j->password, j->len,
						      crypto_pwhash_OPSLIMIT_INTERACTIVE,
						      crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
					? 0
					: -ENOMEM;
		sodium_memzero(j->password, sizeof j->password);
		pthread_mutex_lock(&p->mu);
		j->state = SLOT_DONE;
		p->done[(p->d_head + p->d_n++) % PWPOOL_JOBS] = idx;
		p->stats.done++;
		if (write(p->efd, &one, sizeof one) < 0) {
			/* The counter cannot overflow at PWPOOL_JOBS wakes: nothing to do. */
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int pwpool_start(struct pwpool **out, int *fd)
{
	struct pwpool *p = calloc(1, sizeof *p);
	int rc;

	*out = NULL;
	if (p == NULL)
		return -ENOMEM;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		free(p);
		return -errno;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	for (; p->n_threads < PWPOOL_THREADS; p->n_threads++) {
		rc = pthread_create(&p->threads[p->n_threads], NULL, worker, p);
		if (rc != 0) {
			pwpool_stop(p);
			return -rc;
		}
	}
	*out = p;
	*fd = p->efd;
	return 0;
}

void pwpool_stop(struct pwpool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	close(p->efd);
	sodium_memzero(p->jobs, sizeof p->jobs);
	free(p);
}

static void key_of(char key[HTTP_KEY_MAX], unsigned idx, uint32_t gen)
{
	snprintf(key, HTTP_KEY_MAX, "pwhash/%u/%u", idx, (unsigned)gen);
}

/* http_completed: the request ends holding a slot (not taken). */
static void release(struct http_req *r)
{
	struct pwpool *p = r->l->m->pw;
	struct pwjob *j = &p->jobs[r->cookie];

	pthread_mutex_lock(&p->mu);
	if (j->state == SLOT_WOKEN)
		slot_free(p, j); /* drained already: nobody else will */
	else
		j->orphan = true; /* queued, running or done: pwpool_drain drops it */
	pthread_mutex_unlock(&p->mu);
}

void pwpool_busy(struct http_req *r, const char *why)
{
	char retry[12];

	snprintf(retry, sizeof retry, "%d", PWPOOL_RETRY_AFTER_S);
	http_error_hdr(r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy", why, "Retry-After", retry);
}

bool pwpool_submit(struct http_req *r, enum pwpool_kind kind, const char *password,
		   size_t len, const char *hash, http_handler resume)
{
	struct pwpool *p = r->l->m->pw;
	char key[HTTP_KEY_MAX];
	struct pwjob *j = NULL;
	unsigned idx = 0;

	pthread_mutex_lock(&p->mu);
	for (idx = 0; idx < PWPOOL_JOBS && len <= PWPOOL_PASSWORD_MAX; idx++) {
		if (p->jobs[idx].state == SLOT_FREE) {
			j = &p->jobs[idx];
			break;
		}
	}
	if (j == NULL) {
		p->stats.refused++;
		pthread_mutex_unlock(&p->mu);
		pwpool_busy(r, "too many passwords are being checked; try again");
		return false;
	}
	key_of(key, idx, j->gen);
	/* Parked before it can finish, so its wake finds it. */
	if (!http_park(r, key, http_now_ms() + PWPOOL_WAIT_MS, resume)) {
		pthread_mutex_unlock(&p->mu);
		return false;
	}
	j->kind = kind;
	j->orphan = false;
	j->result = -EAGAIN;
	memcpy(j->password, password, len);
	j->password[len] = '\0';
	j->len = len;
	if (kind == PWPOOL_VERIFY)
		snprintf(j->hash, sizeof j->hash, "%s", hash);
	j->state = SLOT_QUEUED;
	p->queue[(p->q_head + p->q_n++) % PWPOOL_JOBS] = idx;
	p->busy++;
	r->cookie = idx;
	r->release = release;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return true;
}

int pwpool_take(struct http_req *r, char *hash_out)
{
	struct pwpool *p = r->l->m->pw;
	struct pwjob *j = &p->jobs[r->cookie];
	int rc;

	r->release = NULL;
	if (r->wake != HTTP_WOKEN) {
		release(r);
		return -EAGAIN;
	}
	pthread_mutex_lock(&p->mu);
	rc = j->result;
	if (hash_out != NULL)
		memcpy(hash_out, j->hash, sizeof j->hash);
	slot_free(p, j);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int pwpool_result(struct http_req *r, char *hash_out)
{
	struct pwpool *p = r->l->m->pw;
	enum pwpool_kind kind;
	int rc;

	pthread_mutex_lock(&p->mu);
	kind = p->jobs[r->cookie].kind;
	pthread_mutex_unlock(&p->mu);
	rc = pwpool_take(r, hash_out);
	if (rc == -EAGAIN)
		pwpool_busy(r, kind == PWPOOL_HASH
				   ? "the password could not be hashed in time; try again"
				   : "the password could not be checked in time; try again");
	else if (rc == -ENOMEM)
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out_of_memory",
			   "the password could not be hashed");
	return rc;
}

void pwpool_drain(struct pwpool *p, struct http_parking *parking)
{
	char key[HTTP_KEY_MAX];
	uint64_t n;

	if (read(p->efd, &n, sizeof n) < 0) {
		/* EAGAIN: a spurious wake; the rings below say what is done. */
	}
	pthread_mutex_lock(&p->mu);
	while (p->d_n > 0) {
		unsigned idx = p->done[p->d_head];
		struct pwjob *j = &p->jobs[idx];

		p->d_head = (p->d_head + 1) % PWPOOL_JOBS;
		p->d_n--;
		key_of(key, idx, j->gen);
		/* Its request gone (released, or forgotten unparked): nobody takes it. */
		if (j->orphan || http_wake(parking, key) == 0)
			slot_free(p, j);
		else
			j->state = SLOT_WOKEN;
	}
	pthread_mutex_unlock(&p->mu);
}

void pwpool_stats(struct pwpool *p, struct pwpool_stats *out)
{
	pthread_mutex_lock(&p->mu);
	*out = p->stats;
	out->busy = p->busy;
	pthread_mutex_unlock(&p->mu);
}
