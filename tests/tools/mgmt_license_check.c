/*
 * mgmt_license_check: a device's acceptance of a license.json, by the code
 * a device runs (src/core/mgmt/license.c), for t_mgmtd_http.
 *
 *   mgmt_license_check PUBKEYHEX FILE [FILE...]
 *
 * A fresh trust state pins nothing but the fingerprint of PUBKEYHEX (what a
 * join code carries); each FILE is offered in turn, as a device would get
 * them one after the other, with a good clock.  One line per file:
 *
 *   <verdict> serial=<n> name=<name> bases=<n> websetup=<addr> keys=<n>
 *
 * Exit 0 when every file was accepted as newer or same, 1 otherwise, 2 on
 * a usage or I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/mesh/identity.h"
#include "core/mgmt/license.h"
#include "core/mgmt/text.h"

static uint8_t work[MGMT_WORK_MAX];
static char text[MGMT_ENVELOPE_MAX + 1];

int main(int argc, char **argv)
{
	uint8_t pk[MGMT_PK_LEN], fpr[MGMT_FPR_LEN];
	struct mgmt_trust t;
	struct mgmt_license l;
	int bad = 0;

	if (argc < 3 || !mgmt_hex_decode(argv[1], strlen(argv[1]), pk, sizeof pk)) {
		fprintf(stderr, "usage: mgmt_license_check PUBKEYHEX FILE...\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	mgmt_key_fingerprint(pk, fpr);
	mgmt_trust_init(&t, fpr);
	for (int i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		char addr[IDENTITY_ADDR_TEXT] = "-";
		enum mgmt_license_verdict v;
		enum mgmt_env_verdict ev = MGMT_ENV_OK;
		size_t n;

		if (f == NULL) {
			perror(argv[i]);
			return 2;
		}
		n = fread(text, 1, sizeof text, f);
		fclose(f);
		v = mgmt_license_accept(&t, text, n, (int64_t)time(NULL), true, work,
					sizeof work, &l, &ev);
		if (v == MGMT_LICENSE_NEWER || v == MGMT_LICENSE_SAME)
			identity_address_format(l.websetup_host, addr);
		else
			bad = 1;
		printf("%s%s%s serial=%llu name=%s bases=%zu websetup=%s keys=%zu\n",
		       mgmt_license_verdict_name(v),
		       v == MGMT_LICENSE_ENVELOPE ? ":" : "",
		       v == MGMT_LICENSE_ENVELOPE ? mgmt_env_verdict_name(ev) : "",
		       (unsigned long long)l.serial, l.name, l.n_base, addr, l.n_keys);
	}
	return bad;
}
