/*
 * argon2id off the event loop.  A password check or hash costs 0.1-0.5 s
 * of CPU and 64 MiB (crypto_pwhash's INTERACTIVE limits); on the reactor
 * thread it would stall every other request, device long-polls included,
 * for that long per sign-in.  So a handler hands the work to this pool
 * and parks its request (http_park); PWPOOL_THREADS worker threads do the
 * hashing, and an eventfd in the reactor's epoll set brings each result
 * back, where the request is woken and its resume function takes the
 * result (pwpool_take).
 *
 * What holds:
 *  - Workers touch nothing but their job slot: no store, no MHD, no
 *    request.  Slots are a fixed table of PWPOOL_JOBS (queued, running or
 *    finished-not-yet-taken); when every slot is busy a new request is
 *    refused at once, 503 busy with Retry-After (pwpool_submit), never
 *    queued without bound.
 *  - A slot belongs to one request: taken by its resume function, or
 *    released when the request ends first (its connection gone: the job
 *    finishes and is dropped).  A password is wiped from its slot as soon
 *    as it was used, the hash when the slot is freed.
 *  - One mutex guards the table; the reactor holds it only to move slots.
 */
#ifndef SUBNETRA_MGMT_PWPOOL_H
#define SUBNETRA_MGMT_PWPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

#include "mgmt/http.h"

enum {
	PWPOOL_THREADS = 2,	/* hashes at once (64 MiB each) */
	PWPOOL_JOBS = 32,	/* in the pool at once: the queue's bound */
	PWPOOL_PASSWORD_MAX = 256, /* bytes (API_PASSWORD_MAX) */
	PWPOOL_WAIT_MS = 60 * 1000, /* a parked request's deadline: then 503 */
	PWPOOL_RETRY_AFTER_S = 1,   /* Retry-After of the 503 when full */
};

enum pwpool_kind {
	PWPOOL_VERIFY, /* password against hash */
	PWPOOL_HASH,   /* a new hash of password (crypto_pwhash_str, INTERACTIVE) */
};

struct pwpool;

/* The pool with its threads; *fd: the eventfd to watch (readable: pwpool_drain). */
int pwpool_start(struct pwpool **out, int *fd);
/* Stop the threads (each finishes its hash), free everything, wipe. */
void pwpool_stop(struct pwpool *p);

/*
 * Queue the job and park r until it is done; resume(r) then runs and calls
 * pwpool_take.  hash: for VERIFY the stored hash (copied).  false when the
 * pool is full or the park refused: a 503 is queued.
 */
bool pwpool_submit(struct http_req *r, enum pwpool_kind kind, const char *password,
		   size_t len, const char *hash, http_handler resume);
/*
 * In the resume function: the job's result, its slot freed.  0 (VERIFY:
 * the password matches; HASH: hash_out holds the new hash), -EACCES (no
 * match), -ENOMEM (hashing failed), -EAGAIN (the request woke for its
 * deadline or the server's stop: no result; 503 it).  hash_out (may be
 * NULL): the job's hash, crypto_pwhash_STRBYTES bytes.
 */
int pwpool_take(struct http_req *r, char *hash_out);
/*
 * pwpool_take, with the answer queued for a result that ends the request:
 * -EAGAIN (503 busy: not checked, or not hashed, in time) and -ENOMEM
 * (503 out_of_memory).  The one way every resume function starts.
 */
int pwpool_result(struct http_req *r, char *hash_out);
/* 503 busy with Retry-After: PWPOOL_RETRY_AFTER_S, why as its message. */
void pwpool_busy(struct http_req *r, const char *why);
/* On the eventfd: wake the requests whose jobs are done. */
void pwpool_drain(struct pwpool *p, struct http_parking *parking);

/* Counters for healthz. */
struct pwpool_stats {
	unsigned busy;			/* slots in use now */
	unsigned long long done, refused; /* since start */
};
void pwpool_stats(struct pwpool *p, struct pwpool_stats *out);

#endif
