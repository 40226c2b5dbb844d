/*
 * agent/client.c against a stand-in server in this test (loopback,
 * canned answers made with the documented formats and the fixture keys;
 * not subnetra-mgmtd): a device with a join code fetches license.json,
 * pins it by the code's fingerprint, joins with a signed POST whose
 * signature verifies, long-polls, accepts a bundle, saves it, applies it;
 * a 204 polls again with have=E.S; a stale bundle, another device's and one
 * signed by another key are refused and counted and not applied; a
 * restart without the code comes back to the cached bundle before any
 * request; an expired license is refused when the server's Date confirms
 * our clock, and taken when nothing does.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/devreq.h"
#include "core/mgmt/joincode.h"
#include "agent/client.h"
#include "tests/unit/mgmt_fixture.h"

static char dir[] = "/tmp/mgmt-client-cl-XXXXXX";
static int dirfd = -1, lfd = -1;
static struct mgmt_store store;
static char url[64], payload[MGMT_PAYLOAD_MAX], env[MGMT_ENVELOPE_MAX];
static char resp[MGMT_ENVELOPE_MAX + 256], got[8192];
static struct mgmt_bundle fixb;
static unsigned applied;
static uint64_t applied_serial;
static uint64_t now_ns = 1, wall_ms = 1796586503000; /* 2026-12-06T19:48:23Z */

static void on_apply(void *ctx, const struct mgmt_bundle *b)
{
	(void)ctx;
	applied++;
	applied_serial = b->serial;
}

static int setup(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (dirfd < 0 || lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(lfd, 4) < 0 || getsockname(lfd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ntohs(a.sin_port));
	return mgmt_store_init(&store, dirfd, dir, "node", getuid());
}

static int teardown(void **state)
{
	static const char *const kinds[] = { MGMT_STORE_TRUST, MGMT_STORE_LICENSE,
					     MGMT_STORE_BUNDLE };
	char name[128];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "node.%s", kinds[i]);
		unlinkat(dirfd, name, 0);
	}
	close(dirfd);
	close(lfd);
	rmdir(dir);
	return 0;
}

/* One exchange: the client's request into got (returned), then `answer`. */
static const char *exchange(struct mgmt_client *c, const char *answer, size_t alen)
{
	size_t n = 0;
	int s;

	mgmt_client_tick(c, now_ns, wall_ms);
	assert_true(c->http.fd >= 0);
	s = accept(lfd, NULL, NULL);
	assert_true(s >= 0);
	/* drive the client until its request is all here */
	for (int i = 0; i < 50; i++) {
		struct pollfd p = { .fd = c->http.fd, .events = POLLOUT };
		const char *end;

		if (c->http.state != MGMT_HTTPC_READING) {
			assert_int_equal(poll(&p, 1, 5000), 1);
			mgmt_client_event(c, now_ns, wall_ms);
		}
		if (c->http.state != MGMT_HTTPC_READING)
			continue;
		ssize_t k = recv(s, got + n, sizeof(got) - 1 - n, MSG_DONTWAIT);
		if (k > 0)
			n += (size_t)k;
		got[n] = '\0';
		end = strstr(got, "\r\n\r\n");
		if (end) {
			const char *cl = strstr(got, "Content-Length: ");
			size_t want = (size_t)(end + 4 - got) + (cl ? strtoul(cl + 16, NULL, 10) : 0);

			if (n >= want)
				break;
		}
		if (k <= 0) {
			struct pollfd q = { .fd = s, .events = POLLIN };

			assert_int_equal(poll(&q, 1, 5000), 1);
		}
	}
	assert_int_equal(send(s, answer, alen, MSG_NOSIGNAL), (ssize_t)alen);
	close(s);
	while (c->http.state == MGMT_HTTPC_READING) {
		struct pollfd p = { .fd = c->http.fd, .events = POLLIN };

		assert_int_equal(poll(&p, 1, 5000), 1);
		mgmt_client_event(c, now_ns, wall_ms);
	}
	return got;
}

/* A 200 answer carrying text. */
static size_t ok(const char *text, size_t len)
{
	int k = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
			 len);

	memcpy(resp + k, text, len);
	return (size_t)k + len;
}

/* The value of header name in the request head req, as a devreq header. */
static const char *hdr(const char *req, const char *name, size_t *len)
{
	const char *p = strstr(req, name);

	assert_non_null(p);
	p += strlen(name) + 2;
	*len = (size_t)(strstr(p, "\r\n") - p);
	return p;
}

/* The request's signature verifies under pk over its method, target and body. */
static bool signed_by(const char *req, const uint8_t pk[MGMT_PK_LEN])
{
	static uint8_t msg[MGMT_DEVREQ_MSG_MAX];
	struct mgmt_devreq_headers h;
	struct mgmt_devreq_auth a;
	const char *sp1 = strchr(req, ' '), *sp2 = strchr(sp1 + 1, ' ');
	const char *body = strstr(req, "\r\n\r\n") + 4;
	size_t n;

	h.key = hdr(req, MGMT_HDR_KEY, &h.key_len);
	h.time = hdr(req, MGMT_HDR_TIME, &h.time_len);
	h.nonce = hdr(req, MGMT_HDR_NONCE, &h.nonce_len);
	h.sig = hdr(req, MGMT_HDR_SIG, &h.sig_len);
	if (!mgmt_devreq_parse(&h, &a) || memcmp(a.pk, pk, MGMT_PK_LEN) != 0)
		return false;
	n = mgmt_devreq_message(req, (size_t)(sp1 - req), sp1 + 1, (size_t)(sp2 - sp1 - 1),
				a.time_ms, a.nonce, (const uint8_t *)body, strlen(body), msg,
				sizeof(msg));
	return n && crypto_sign_verify_detached(a.sig, msg, n, a.pk) == 0;
}

static size_t sealed_bundle(uint64_t serial, const struct fix_signer *s, uint16_t dev_tail)
{
	size_t n;

	fix_bundle(&fixb, 1, serial, 2);
	fixb.device[15] = (uint8_t)dev_tail;
	n = mgmt_bundle_encode(&fixb, payload, sizeof(payload));
	assert_int_not_equal(n, 0);
	n = fix_seal(MGMT_DOMAIN_CONFIG, payload, n, s, env, sizeof(env));
	assert_int_not_equal(n, 0);
	return ok(env, n);
}

static void test_join_poll_restart(void **state)
{
	static struct mgmt_client c;
	struct fix_signer k1, k2;
	struct mgmt_license lic;
	struct mgmt_joincode jc;
	char code[MGMT_JOINCODE_LEN + 1];
	uint8_t pk[MGMT_PK_LEN], sk[MGMT_SK_LEN], dev[16];
	const char *req;
	size_t n;

	(void)state;
	fix_signer(&k1, 1);
	fix_signer(&k2, 2);
	crypto_sign_keypair(pk, sk);
	mgmt_key_fingerprint(k1.pk, jc.fingerprint);
	memset(jc.prefix, 3, sizeof(jc.prefix));
	memset(jc.secret, 4, sizeof(jc.secret));
	mgmt_joincode_format(&jc, code);
	fix_bundle(&fixb, 1, 1, 0);
	memcpy(dev, fixb.device, 16);

	assert_int_equal(mgmt_client_init(&c, &store, url, code, "robot-1", sk, dev, on_apply,
					  NULL),
			 0);
	assert_int_equal(applied, 0);
	/* license.json, unsigned GET at the URL's path */
	fix_license(&lic, 7, &k1, NULL);
	n = mgmt_license_encode(&lic, payload, sizeof(payload));
	n = fix_seal(MGMT_DOMAIN_LICENSE, payload, n, &k1, env, sizeof(env));
	req = exchange(&c, resp, ok(env, n));
	assert_true(strncmp(req, "GET /license.json HTTP/1.1\r\n", 28) == 0);
	assert_null(strstr(req, MGMT_HDR_SIG));
	assert_true(c.trust.pinned);
	assert_int_equal(c.stage, MGMT_STAGE_JOIN);
	/* join refused for our clock (ours 2026, the server's 10 min later): signed again with its time */
	req = exchange(&c, "HTTP/1.1 401 Unauthorized\r\nSubnetra-Time: 1796587103000\r\n"
			   "Content-Length: 0\r\n\r\n", 78);
	assert_int_equal(c.clock_offset_ms, 600000);
	assert_int_equal(c.next_ns, now_ns);
	assert_int_equal(c.refused[MGMT_REF_HTTP], 0);
	/* join: signed POST with the code, at the server's time */
	req = exchange(&c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 41);
	assert_non_null(strstr(req, MGMT_HDR_TIME ": 1796587103000\r\n"));
	assert_true(strncmp(req, "POST /device/v1/join HTTP/1.1\r\n", 31) == 0);
	assert_non_null(strstr(req, code));
	assert_non_null(strstr(req, "\"hostname\":\"robot-1\""));
	assert_true(signed_by(req, pk));
	assert_int_equal(c.stage, MGMT_STAGE_POLL);
	/* first poll: no have; a bundle, applied */
	req = exchange(&c, resp, sealed_bundle(5, &k1, fixb.device[15]));
	assert_true(strncmp(req, "GET /device/v1/config?wait=50 HTTP/1.1\r\n", 40) == 0);
	assert_int_equal(applied, 1);
	assert_int_equal(applied_serial, 5);
	/* 204: poll again with have */
	req = exchange(&c, "HTTP/1.1 204 No Content\r\n\r\n", 27);
	assert_true(strncmp(req, "GET /device/v1/config?have=1.5&wait=50 ", 39) == 0);
	assert_true(signed_by(req, pk));
	assert_false(signed_by(req, k1.pk));
	/* refusals, counted, not applied */
	exchange(&c, resp, sealed_bundle(4, &k1, fixb.device[15]));
	assert_int_equal(c.refused[MGMT_REF_STALE], 1);
	now_ns = c.next_ns;
	exchange(&c, resp, sealed_bundle(9, &k1, (uint16_t)(fixb.device[15] ^ 1)));
	assert_int_equal(c.refused[MGMT_REF_FOREIGN_DEVICE], 1);
	now_ns = c.next_ns;
	exchange(&c, resp, sealed_bundle(9, &k2, fixb.device[15]));
	assert_int_equal(c.refused[MGMT_REF_BAD_SIGNATURE], 1);
	assert_int_equal(applied, 1);
	/* backoff grew: 1 s, 2 s, 4 s (+-50 %) */
	assert_true(c.backoff_ns == 4 * MGMT_BACKOFF_MIN_NS);
	assert_true(c.next_ns >= now_ns + 2 * MGMT_BACKOFF_MIN_NS);
	mgmt_client_tick(&c, now_ns, wall_ms);
	assert_int_equal(c.http.fd, -1); /* not due yet */
	mgmt_client_free(&c);

	/* restart without the code: the trust file and the cached bundle */
	applied = 0;
	assert_int_equal(mgmt_client_init(&c, &store, url, NULL, NULL, sk, dev, on_apply, NULL),
			 0);
	assert_int_equal(applied, 1);
	assert_int_equal(applied_serial, 5);
	assert_true(c.st.have);
	mgmt_client_free(&c);
	sodium_memzero(sk, sizeof(sk));
}

static void test_bad_init(void **state)
{
	static struct mgmt_client c;
	uint8_t sk[MGMT_SK_LEN] = { 0 }, dev[16] = { 0xfc, 0x94 };

	(void)state;
	assert_int_equal(mgmt_client_init(&c, &store, "https://1.2.3.4/", NULL, NULL, sk, dev,
					  NULL, NULL),
			 -EINVAL);
	assert_int_equal(mgmt_client_init(&c, &store, "http://mgmt.example.org/", NULL, NULL, sk,
					  dev, NULL, NULL),
			 -EINVAL);
	assert_int_equal(mgmt_client_init(&c, &store, url, "snj_x", NULL, sk, dev, NULL, NULL),
			 -EINVAL);
}

/* An expired license, our clock confirmed by the server's Date: refused, counted. */
static void test_expired(void **state)
{
	static struct mgmt_client c;
	struct fix_signer k1;
	struct mgmt_license lic;
	struct mgmt_joincode jc;
	struct mgmt_store other;
	char code[MGMT_JOINCODE_LEN + 1];
	uint8_t sk[MGMT_SK_LEN] = { 0 }, dev[16] = { 0xfc, 0x94, 1 };
	size_t n;
	int k;

	(void)state;
	fix_signer(&k1, 1);
	mgmt_key_fingerprint(k1.pk, jc.fingerprint);
	memset(jc.prefix, 3, sizeof(jc.prefix));
	memset(jc.secret, 4, sizeof(jc.secret));
	mgmt_joincode_format(&jc, code);
	assert_int_equal(mgmt_store_init(&other, dirfd, dir, "node-x", getuid()), 0);
	assert_int_equal(mgmt_client_init(&c, &other, url, code, NULL, sk, dev, NULL, NULL), 0);
	fix_license(&lic, 7, &k1, NULL); /* valid until 2027-11-23T10:00:00Z */
	n = mgmt_license_encode(&lic, payload, sizeof(payload));
	n = fix_seal(MGMT_DOMAIN_LICENSE, payload, n, &k1, env, sizeof(env));
	wall_ms = 1830000000000; /* 2027-12-28 */
	k = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 200 OK\r\nDate: Tue, 28 Dec 2027 12:00:00 GMT\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     n);
	memcpy(resp + k, env, n);
	exchange(&c, resp, (size_t)k + n);
	assert_int_equal(c.refused[MGMT_REF_EXPIRED], 1);
	assert_false(c.trust.pinned);
	assert_int_equal(c.stage, MGMT_STAGE_LICENSE);
	/* the same answer without a Date: the window is not checked, it is pinned */
	now_ns = c.next_ns;
	exchange(&c, resp, ok(env, n));
	assert_true(c.trust.pinned);
	assert_non_null(strstr(c.last_error, "validity not checked"));
	mgmt_client_free(&c);
	wall_ms = 1796586503000;
	unlinkat(dirfd, "node-x." MGMT_STORE_TRUST, 0);
	unlinkat(dirfd, "node-x." MGMT_STORE_LICENSE, 0);
}

/*
 * A clock 3 h slow (within the 24 h): the license answer's Date corrects it,
 * so the license issued 2 h before the server's time is valid, and the join
 * is signed at the server's time; the server refuses the code (403): the
 * client stops, with the server's code and message.
 */
#define USED "{\"error\":{\"code\":\"join_code_used\",\"message\":\"the join code was refused\"}}"

static void test_date_corrects_clock(void **state)
{
	static struct mgmt_client c;
	struct fix_signer k1;
	struct mgmt_license lic;
	struct mgmt_joincode jc;
	struct mgmt_store other;
	char code[MGMT_JOINCODE_LEN + 1];
	uint8_t sk[MGMT_SK_LEN] = { 0 }, dev[16] = { 0xfc, 0x94, 1 };
	const char *req, *t;
	size_t n, tlen;
	int k;

	(void)state;
	fix_signer(&k1, 1);
	mgmt_key_fingerprint(k1.pk, jc.fingerprint);
	memset(jc.prefix, 3, sizeof(jc.prefix));
	memset(jc.secret, 4, sizeof(jc.secret));
	mgmt_joincode_format(&jc, code);
	assert_int_equal(mgmt_store_init(&other, dirfd, dir, "node-y", getuid()), 0);
	assert_int_equal(mgmt_client_init(&c, &other, url, code, NULL, sk, dev, NULL, NULL), 0);
	fix_license(&lic, 7, &k1, NULL); /* issued 2026-11-23T10:00:00Z */
	n = mgmt_license_encode(&lic, payload, sizeof(payload));
	n = fix_seal(MGMT_DOMAIN_LICENSE, payload, n, &k1, env, sizeof(env));
	wall_ms = (1795435200 - 3 * 3600) * UINT64_C(1000); /* 09:00, the server's 12:00 */
	k = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 200 OK\r\nDate: Mon, 23 Nov 2026 12:00:00 GMT\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     n);
	memcpy(resp + k, env, n);
	exchange(&c, resp, (size_t)k + n);
	assert_true(c.trust.pinned);
	assert_int_equal(c.refused[MGMT_REF_EXPIRED], 0);
	assert_int_equal(c.clock_offset_ms, 3 * 3600 * 1000);
	assert_non_null(strstr(c.last_error, "clock off by 10800 s"));
	assert_int_equal(c.stage, MGMT_STAGE_JOIN);
	/* the join is signed at the server's time; the code refused: final, the server's words */
	k = snprintf(resp, sizeof(resp), "HTTP/1.1 403 Forbidden\r\nContent-Length: %zu\r\n\r\n%s",
		     strlen(USED), USED);
	req = exchange(&c, resp, (size_t)k);
	t = hdr(req, MGMT_HDR_TIME, &tlen);
	assert_int_equal(strtoull(t, NULL, 10) / 1000, 1795435200);
	assert_false(c.joined);
	assert_true(c.join_refused);
	assert_string_equal(c.join_error, "join_code_used: the join code was refused (HTTP 403)");
	now_ns += 120 * UINT64_C(1000000000); /* past any backoff: nothing more is tried */
	mgmt_client_tick(&c, now_ns, wall_ms);
	assert_int_equal(c.http.fd, -1);
	mgmt_client_free(&c);
	wall_ms = 1796586503000;
	unlinkat(dirfd, "node-y." MGMT_STORE_TRUST, 0);
	unlinkat(dirfd, "node-y." MGMT_STORE_LICENSE, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_init),
		cmocka_unit_test(test_join_poll_restart),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_date_corrects_clock),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mgmt_client", tests, setup, teardown);
}
