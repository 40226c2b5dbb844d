/*
 * The device's HTTP client: core/mgmt/httpreq.c (the request bytes, every
 * refusal, a signed request that the server-side check verifies) and
 * agent/httpc.c over loopback against a server in this test: the
 * request arrives byte for byte, a response written in pieces completes,
 * one cut short fails as -EPROTO, an oversized one as -EMSGSIZE, a
 * refused connection as -ECONNREFUSED, a silent server at the deadline as
 * -ETIMEDOUT.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mgmt/devreq.h"
#include "core/mgmt/httpreq.h"
#include "agent/httpc.h"

static void test_req_format(void **state)
{
	static const char want[] = "GET /license.json HTTP/1.1\r\nHost: 10.0.0.1:8080\r\n"
				   "User-Agent: subnetra\r\nConnection: close\r\n\r\n";
	static const char want_post[] = "POST /device/v1/leave HTTP/1.1\r\nHost: [fc94::4d]:80\r\n"
					"User-Agent: subnetra\r\nConnection: close\r\n"
					"Content-Length: 0\r\n\r\n";
	static char out[HTTP_REQ_MAX + 1];
	static uint8_t big[HTTP_REQ_BODY_MAX + 1];
	size_t n;

	(void)state;
	n = http_req_format(out, sizeof(out), "GET", "10.0.0.1:8080", "/license.json", NULL,
			    NULL, 0);
	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
	n = http_req_format(out, sizeof(out), "POST", "[fc94::4d]:80", "/device/v1/leave", NULL,
			    NULL, 0);
	assert_string_equal(out, want_post);
	/* exactly enough room (with the NUL), and one byte less */
	assert_int_equal(http_req_format(out, strlen(want) + 1, "GET", "10.0.0.1:8080",
					 "/license.json", NULL, NULL, 0),
			 strlen(want));
	assert_int_equal(http_req_format(out, strlen(want), "GET", "10.0.0.1:8080",
					 "/license.json", NULL, NULL, 0),
			 0);
	/* refusals */
	assert_int_equal(http_req_format(out, sizeof(out), "get", "h", "/", NULL, NULL, 0), 0);
	assert_int_equal(http_req_format(out, sizeof(out), "", "h", "/", NULL, NULL, 0), 0);
	assert_int_equal(http_req_format(out, sizeof(out), "GETGETGETGETGETGE", "h", "/", NULL,
					 NULL, 0),
			 0);
	assert_int_equal(http_req_format(out, sizeof(out), "GET", "h", "x", NULL, NULL, 0), 0);
	assert_int_equal(http_req_format(out, sizeof(out), "GET", "h", "/a b", NULL, NULL, 0), 0);
	assert_int_equal(http_req_format(out, sizeof(out), "GET", "h\r\nX: y", "/", NULL, NULL, 0),
			 0);
	assert_int_equal(http_req_format(out, sizeof(out), "GET", "", "/", NULL, NULL, 0), 0);
	assert_int_equal(http_req_format(out, sizeof(out), "POST", "h", "/", NULL, big,
					 sizeof(big)),
			 0);
	assert_int_not_equal(http_req_format(out, sizeof(out), "POST", "h", "/", NULL, big,
					     sizeof(big) - 1),
			     0);
}

/* A signed POST: the headers parse back and verify over the same method, target and body. */
static void test_req_signed(void **state)
{
	static const char body[] = "{\"code\":\"x\"}";
	static char out[HTTP_REQ_MAX + 1];
	uint8_t pk[MGMT_PK_LEN], sk[MGMT_SK_LEN], nonce[MGMT_NONCE_LEN] = { 1, 2, 3 };
	struct mgmt_devreq_auth a, back;
	struct mgmt_devreq_text t;
	struct mgmt_devreq_headers h;
	static uint8_t msg[MGMT_DEVREQ_MSG_MAX];
	const char *p;
	size_t n;

	(void)state;
	crypto_sign_keypair(pk, sk);
	assert_int_equal(mgmt_devreq_sign(sk, "POST", 4, "/device/v1/join", 15, 1795443923456,
					  nonce, (const uint8_t *)body, strlen(body), &a),
			 0);
	mgmt_devreq_format(&a, &t);
	assert_int_not_equal(http_req_format(out, sizeof(out), "POST", "[fc94::4d]:80",
					     "/device/v1/join", &t, (const uint8_t *)body,
					     strlen(body)),
			     0);
	assert_non_null(strstr(out, "Content-Type: application/json\r\nContent-Length: 12\r\n\r\n"
				    "{\"code\":\"x\"}"));
	memset(&h, 0, sizeof(h));
#define HDR(name, field)                                                                 \
	p = strstr(out, name ": ");                                                      \
	assert_non_null(p);                                                              \
	h.field = p + strlen(name ": ");                                                 \
	h.field##_len = (size_t)(strstr(h.field, "\r\n") - h.field);
	HDR(MGMT_HDR_KEY, key)
	HDR(MGMT_HDR_TIME, time)
	HDR(MGMT_HDR_NONCE, nonce)
	HDR(MGMT_HDR_SIG, sig)
#undef HDR
	assert_true(mgmt_devreq_parse(&h, &back));
	assert_memory_equal(&a, &back, sizeof(a));
	/* a random key is no mesh identity (verify says bad_key first): check the signature itself */
	n = mgmt_devreq_message("POST", 4, "/device/v1/join", 15, back.time_ms, back.nonce,
				(const uint8_t *)body, strlen(body), msg, sizeof(msg));
	assert_int_not_equal(n, 0);
	assert_int_equal(crypto_sign_verify_detached(back.sig, msg, n, back.pk), 0);
	n = mgmt_devreq_message("POST", 4, "/device/v1/joiN", 15, back.time_ms, back.nonce,
				(const uint8_t *)body, strlen(body), msg, sizeof(msg));
	assert_int_not_equal(crypto_sign_verify_detached(back.sig, msg, n, back.pk), 0);
}

/* A loopback listener; its address into *to. */
static int listener(union udp_addr *to)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(to->v4);

	assert_true(fd >= 0);
	memset(to, 0, sizeof(*to));
	to->v4.sin_family = AF_INET;
	to->v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, &to->sa, sizeof(to->v4)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, &to->sa, &len), 0);
	return fd;
}

/* Drive c until it is no longer PENDING (poll on its events, bounded rounds). */
static enum mgmt_httpc_result drive(struct mgmt_httpc *c, int rounds)
{
	enum mgmt_httpc_result r = MGMT_HTTPC_PENDING;

	for (int i = 0; i < rounds && r == MGMT_HTTPC_PENDING; i++) {
		struct pollfd p = { .fd = c->fd,
				    .events = (short)(mgmt_httpc_events(c) & EPOLLOUT ? POLLOUT
										      : POLLIN) };

		if (poll(&p, 1, 5000) <= 0)
			break;
		r = mgmt_httpc_step(c);
	}
	return r;
}

/* Connect and send: then it waits for the answer. */
static void until_reading(struct mgmt_httpc *c)
{
	for (int i = 0; i < 10 && c->state != MGMT_HTTPC_READING; i++)
		assert_int_equal(drive(c, 1), MGMT_HTTPC_PENDING);
	assert_int_equal(c->state, MGMT_HTTPC_READING);
}

/* Read the whole request the client sends (it ends with the empty line: GET). */
static size_t read_request(int s, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		ssize_t k = recv(s, buf + n, cap - 1 - n, 0);

		assert_true(k > 0);
		n += (size_t)k;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	return n;
}

/* One exchange whose answer is `text`, then the server closes: c->err. */
static int one_answer(struct mgmt_httpc *c, int l, const union udp_addr *to, const char *req,
		      size_t n, const char *text)
{
	char got[4096];
	int s, err;

	assert_int_equal(mgmt_httpc_start(c, to, req, n, UINT64_MAX), 0);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	until_reading(c);
	assert_int_equal(read_request(s, got, sizeof(got)), n);
	assert_int_equal(send(s, text, strlen(text), 0), strlen(text));
	close(s);
	assert_int_equal(drive(c, 10), MGMT_HTTPC_ERR);
	err = c->err;
	mgmt_httpc_close(c);
	return err;
}

static void test_client(void **state)
{
	static const char *const pieces[] = { "HTTP/1.1 200 OK\r\nTransfer-En", "coding: chunked\r",
					      "\n\r\n5\r\nhel", "lo\r\n0\r\n\r\n" };
	static char req[HTTP_REQ_MAX + 1];
	struct mgmt_httpc c;
	union udp_addr to;
	char got[4096];
	size_t n;
	int l, s;

	(void)state;
	assert_int_equal(mgmt_httpc_init(&c, sizeof(req), 1024), 0);
	l = listener(&to);
	n = http_req_format(req, sizeof(req), "GET", "127.0.0.1", "/license.json", NULL, NULL, 0);
	assert_int_equal(mgmt_httpc_start(&c, &to, req, n, UINT64_MAX), 0);
	assert_int_equal(mgmt_httpc_start(&c, &to, req, n, UINT64_MAX), -EBUSY);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	until_reading(&c);
	assert_int_equal(mgmt_httpc_events(&c) & EPOLLIN, EPOLLIN);
	assert_int_equal(read_request(s, got, sizeof(got)), n);
	assert_memory_equal(got, req, n);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		assert_int_equal(send(s, pieces[i], strlen(pieces[i]), 0), strlen(pieces[i]));
		if (i + 1 < sizeof(pieces) / sizeof(pieces[0]))
			assert_int_equal(drive(&c, 1), MGMT_HTTPC_PENDING);
	}
	assert_int_equal(drive(&c, 10), MGMT_HTTPC_OK);
	assert_int_equal(c.r.status, 200);
	assert_int_equal(c.r.body_len, 5);
	assert_memory_equal(c.resp + c.r.body_off, "hello", 5);
	assert_int_equal(c.fd, -1);
	close(s);
	mgmt_httpc_close(&c);

	/* cut short: the server closes inside the body */
	assert_int_equal(one_answer(&c, l, &to, req, n,
				    "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"),
			 -EPROTO);
	/* over the body limit (1024) */
	assert_int_equal(one_answer(&c, l, &to, req, n,
				    "HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n"),
			 -EMSGSIZE);
	/* a silent server: the deadline */
	assert_int_equal(mgmt_httpc_start(&c, &to, req, n, 1000), 0);
	s = accept(l, NULL, NULL);
	assert_int_equal(mgmt_httpc_tick(&c, 999), MGMT_HTTPC_PENDING);
	assert_int_equal(mgmt_httpc_tick(&c, 1000), MGMT_HTTPC_ERR);
	assert_int_equal(c.err, -ETIMEDOUT);
	assert_int_equal(c.fd, -1);
	close(s);
	mgmt_httpc_close(&c);

	/* nobody listening */
	close(l);
	assert_int_equal(mgmt_httpc_start(&c, &to, req, n, UINT64_MAX), 0);
	assert_int_equal(drive(&c, 10), MGMT_HTTPC_ERR);
	assert_int_equal(c.err, -ECONNREFUSED);
	mgmt_httpc_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_format),
		cmocka_unit_test(test_req_signed),
		cmocka_unit_test(test_client),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mgmt_httpc", tests, NULL, NULL);
}
