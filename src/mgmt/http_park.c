/*
 * Parked requests (long-polls): a fixed table sized at start, holding the
 * requests whose handler called http_park.  MHD_suspend_connection takes
 * such a connection out of MHD's processing (no timeout runs for it);
 * MHD_resume_connection puts it back, and MHD then calls http_handle once
 * more, which runs the request's resume function.  Every resume takes the
 * request out of the table first, so a request is in it at most once and
 * never after its connection is gone (http_completed forgets it).
 *
 * Wakes and deadlines scan the table's keys and deadlines (at[], one flat
 * array beside the request pointers): 10,000 slots scan in microseconds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mgmt/http.h"

int64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int http_parking_init(struct http_parking *p, size_t max)
{
	memset(p, 0, sizeof *p);
	p->slots = calloc(max, sizeof *p->slots);
	p->at = calloc(max, sizeof *p->at);
	if (p->slots == NULL || p->at == NULL) {
		http_parking_free(p);
		return -ENOMEM;
	}
	p->max = max;
	return 0;
}

void http_parking_free(struct http_parking *p)
{
	free(p->slots);
	free(p->at);
	p->slots = NULL;
	p->at = NULL;
	p->n = p->max = 0;
}

/* Out of the table: the last slot moves into its place. */
static void unlink_slot(struct http_parking *p, struct http_req *r)
{
	size_t i = (size_t)r->slot;

	p->slots[i] = p->slots[--p->n];
	p->at[i] = p->at[p->n];
	p->slots[i]->slot = (long)i;
	p->slots[p->n] = NULL;
	r->slot = -1;
}

bool http_park(struct http_req *r, const char *key, int64_t deadline_ms,
	       http_handler resume)
{
	struct http_parking *p = r->l->parking;

	if (p->n == p->max || strlen(key) >= sizeof p->at[0].key) {
		p->refused++;
		http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
			   "too many requests are waiting; try again");
		return false;
	}
	r->deadline_ms = deadline_ms;
	r->resume = resume;
	r->slot = (long)p->n;
	p->at[p->n].deadline_ms = deadline_ms;
	memcpy(p->at[p->n].key, key, strlen(key) + 1);
	p->slots[p->n++] = r;
	p->parked++;
	MHD_suspend_connection(r->conn);
	return true;
}

static void resume(struct http_parking *p, struct http_req *r, enum http_wake_reason why)
{
	unlink_slot(p, r);
	r->wake = why;
	MHD_resume_connection(r->conn);
	p->resumed = true;
}

size_t http_wake_if(struct http_parking *p, http_wake_match match, const void *arg)
{
	size_t woken = 0;

	/* Backwards: a resume moves the last slot into the current one. */
	for (size_t i = p->n; i-- > 0;) {
		if (match(p->at[i].key, arg)) {
			resume(p, p->slots[i], HTTP_WOKEN);
			woken++;
		}
	}
	p->woken += woken;
	return woken;
}

static bool key_is(const char *key, const void *arg)
{
	return strcmp(key, arg) == 0;
}

static bool key_starts(const char *key, const void *arg)
{
	return strncmp(key, arg, strlen(arg)) == 0;
}

size_t http_wake(struct http_parking *p, const char *key)
{
	return http_wake_if(p, key_is, key);
}

size_t http_wake_prefix(struct http_parking *p, const char *prefix)
{
	return http_wake_if(p, key_starts, prefix);
}

bool http_parked(const struct http_parking *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->at[i].key, key) == 0)
			return true;
	return false;
}

size_t http_park_expire(struct http_parking *p, int64_t now_ms)
{
	size_t n = 0;

	for (size_t i = p->n; i-- > 0;) {
		if (p->at[i].deadline_ms <= now_ms) {
			resume(p, p->slots[i], HTTP_DEADLINE);
			n++;
		}
	}
	p->expired += n;
	return n;
}

int http_park_timeout(const struct http_parking *p, int64_t now_ms)
{
	int64_t best = -1;

	for (size_t i = 0; i < p->n; i++) {
		int64_t d = p->at[i].deadline_ms - now_ms;

		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	return best > INT32_MAX ? INT32_MAX : (int)best;
}

void http_park_forget(struct http_parking *p, struct http_req *r)
{
	unlink_slot(p, r);
	r->resume = NULL;
}

void http_park_shutdown(struct http_parking *p)
{
	while (p->n > 0)
		resume(p, p->slots[p->n - 1], HTTP_SHUTDOWN);
}
