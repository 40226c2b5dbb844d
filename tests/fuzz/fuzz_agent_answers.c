/*
 * The agent's reading of the management server's answers beyond the
 * signed envelopes (agent/client.c): the error text of a refused request
 * (`{"error":{"code","message"}}`, shown in agent.status and by `subnetra
 * join`) and the host name in a join's answer; on arbitrary bytes as a
 * whole HTTP response (core/mgmt/httpresp.c) and the bytes as a body.
 *
 * Invariants:
 *  - the error text is printable ASCII within its buffer, "HTTP status N"
 *    or "CODE: MESSAGE (HTTP N)" with the response's own status;
 *  - the join's host name is empty or a mesh name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/client.h"
#include "common.h"
#include "core/mesh/name.h"
#include "core/mgmt/httpresp.h"

enum { BODY_MAX = 1 << 16 };

static void check_host(const char *host)
{
	FUZZ_CHECK(host[0] == '\0' || mesh_name_valid(host, strlen(host)),
		   "a join answer's host name that is not a mesh name: %s", host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct mgmt_httpc h = {.fd = -1};
	char text[160], host[MGMT_NAME_MAX + 1], status[32];
	size_t n;

	if (buf == NULL)
		return 0;
	mgmt_client_join_hostname((const char *)data, size, host);
	check_host(host);
	memcpy(buf, data, size);
	h.resp = buf;
	h.resp_len = size;
	if (http_resp_parse(buf, size, true, BODY_MAX, &h.r) == HTTP_RESP_DONE) {
		mgmt_client_error_text(&h, text, sizeof(text));
		n = strlen(text);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(text[i] >= 0x20 && text[i] < 0x7f, "byte %zu of the error text", i);
		snprintf(status, sizeof(status), "HTTP status %d", h.r.status);
		if (strcmp(text, status) != 0) {
			snprintf(status, sizeof(status), " (HTTP %d)", h.r.status);
			FUZZ_CHECK(n > strlen(status) && strcmp(text + n - strlen(status), status) == 0 &&
					   strstr(text, ": ") != NULL,
				   "an error text of another shape: %s", text);
		}
		mgmt_client_join_hostname((const char *)buf + h.r.body_off, h.r.body_len, host);
		check_host(host);
	}
	free(buf);
	return 0;
}
