/*
 * subnetra-wire-decode: an offline, read-only datagram inspector.  Prints the
 * v1 header fields of a datagram (hex on the command line or stdin, or every
 * UDP payload in a pcap/pcapng capture) and, given the receiving node's
 * config, whether that node would accept it and, if not, the exact drop
 * counter and why (tools/lib/inspect.c, which runs the daemon's own checks).
 *
 * Never printed: key material, and decrypted bytes beyond the inner IPv4
 * header summary (addresses, protocol, length).  Every input is untrusted;
 * a malformed datagram or capture is explained, not crashed on.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/config.h"
#include "core/version.h"
#include "os/linux/config_file.h"
#include "tools/lib/hexio.h"
#include "tools/lib/inspect.h"
#include "tools/lib/pcap.h"

enum {
	MAX_UDP_PAYLOAD = 65535, /* anything longer is not one datagram */
	EXIT_OK = 0,
	EXIT_DROPPED = 1,
	EXIT_USAGE = 2,
};

static const char synopsis[] =
    "usage: subnetra-wire-decode [--config FILE [--from-id ID] [--policy FILE]]\n"
    "                            [HEX... | --pcap FILE [--port N]]\n"
    "       subnetra-wire-decode --version | --help\n";

static const char usage_rest[] =
    "Prints the v1 header of a datagram and, with --config, whether the node\n"
    "running that config would accept it, or which drop counter it would move\n"
    "and why.  Nothing is sent; key material is never printed.\n"
    "\n"
    "  HEX...          one datagram (the UDP payload) in hex; the arguments are\n"
    "                  joined; spaces, ':' and a leading 0x are allowed\n"
    "  (no HEX)        read hex from stdin, one datagram per line ('#' comments)\n"
    "  --pcap FILE     decode every IPv4/UDP payload in a pcap or pcapng capture\n"
    "                  ('-' = stdin)\n"
    "  --port N        with --pcap: only datagrams from or to UDP port N\n"
    "  --config FILE   the config of the node that RECEIVES the datagram\n"
    "  --from-id ID    with an obfuscating config: try only peer ID's key (the\n"
    "                  daemon tries every peer)\n"
    "  --policy FILE   also replay a policy snapshot (`subnetra save`), as the\n"
    "                  daemon does at start-up\n"
    "  --version, -V   print the version and exit\n"
    "  --help, -h      print this help and exit\n"
    "\n"
    "Each datagram is judged on its own, with a fresh receive session: replays\n"
    "and stale epochs depend on the live daemon's history and are not detected.\n"
    "\n"
    "With --config, a datagram the node itself sent (sealed with one of its own\n"
    "transmit keys, as in a capture taken on that node) is shown as outgoing,\n"
    "for the peer it is sealed for, and is not a drop.\n"
    "\n"
    "exit status: 0 every datagram accepted or outgoing (without --config: every\n"
    "header well-formed), 1 some datagram dropped or not decodable (bad hex, damaged\n"
    "capture, no datagram at all), 2 usage error, or a --config, --policy or\n"
    "--pcap file that cannot be opened or used\n";

struct options {
	const char *config;
	const char *policy;
	const char *pcap;
	uint32_t from_id;
	long port;     /* -1: any */
	int hex_first; /* argv index of the first HEX argument, 0 = none */
	int argc;
	char **argv;
};

struct tally {
	unsigned long datagrams;
	unsigned long accepted;
	unsigned long dropped;
	unsigned long outgoing; /* sealed by the --config node itself */
	unsigned long undecodable; /* malformed frames, truncated captures, bad hex */
	unsigned long skipped; /* frames that are not IPv4/UDP, or filtered by --port */
};

#define usage_error(...) cliarg_usage_error("subnetra-wire-decode", synopsis, __VA_ARGS__)

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct options *o)
{
	o->port = -1;
	o->argc = argc;
	o->argv = argv;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint32_t v;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("%s\n%s", synopsis, usage_rest);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("subnetra-wire-decode v%s\n", SUBNETRA_VERSION);
			return EXIT_OK;
		} else if (strcmp(a, "--config") == 0 || strcmp(a, "--policy") == 0 ||
			   strcmp(a, "--pcap") == 0) {
			if (++i == argc)
				return usage_error("missing file after %s", a);
			if (a[2] == 'c')
				o->config = argv[i];
			else if (a[3] == 'o')
				o->policy = argv[i];
			else
				o->pcap = argv[i];
		} else if (strcmp(a, "--from-id") == 0) {
			if (++i == argc)
				return usage_error("missing id after %s", a);
			if (!cliarg_uint(argv[i], 1, 65535, &v))
				return usage_error(
				    "--from-id: expected 1..65535, got '%s'", argv[i]);
			o->from_id = v;
		} else if (strcmp(a, "--port") == 0) {
			if (++i == argc)
				return usage_error("missing port after %s", a);
			if (!cliarg_uint(argv[i], 1, 65535, &v))
				return usage_error("--port: expected 1..65535, got '%s'",
						   argv[i]);
			o->port = v;
		} else if (strcmp(a, "--") == 0) {
			if (i + 1 < argc)
				o->hex_first = i + 1;
			break;
		} else if (a[0] == '-' && a[1] == '-') {
			return usage_error("unknown option %s", a);
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("unknown option %s", a);
		} else {
			/* The first operand: this and everything after it is the
			 * datagram. */
			o->hex_first = i;
			for (int j = i + 1; j < argc; j++)
				if (argv[j][0] == '-' && argv[j][1] != '\0')
					return usage_error(
					    "options go before the hex datagram: %s",
					    argv[j]);
			break;
		}
	}
	if (o->pcap != NULL && o->hex_first != 0)
		return usage_error("give either HEX or --pcap, not both");
	if (o->port >= 0 && o->pcap == NULL)
		return usage_error("--port only applies to --pcap");
	if (o->config == NULL && (o->from_id != 0 || o->policy != NULL))
		return usage_error("--from-id and --policy need --config");
	return -1;
}

/* ---- printing ---- */

/* "2025-05-10T02:15:57.141467429Z" */
static void utc_ns(uint64_t sec, uint32_t nsec, unsigned digits, char *buf, size_t cap)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char base[32];

	if (sec > (uint64_t)INT64_MAX / 2 || gmtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, cap, "out of range");
		return;
	}
	if (digits == 9)
		snprintf(buf, cap, "%s.%09" PRIu32 "Z", base, nsec % 1000000000u);
	else
		snprintf(buf, cap, "%s.%06" PRIu32 "Z", base, nsec / 1000);
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 1:
		return "ICMP";
	case 2:
		return "IGMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 47:
		return "GRE";
	case 50:
		return "ESP";
	case 132:
		return "SCTP";
	default:
		return NULL;
	}
}

static void print_header(const char *label, const struct wire_header *h)
{
	char flags[64], when[64];

	inspect_flags_format(h->flags, flags, sizeof flags);
	utc_ns(h->epoch / 1000000000u, (uint32_t)(h->epoch % 1000000000u), 9, when,
	       sizeof when);
	printf("  header  : %s\n", label);
	printf("  version : %u\n", h->version);
	printf("  flags   : 0x%02x (%s)\n", h->flags, flags);
	printf("  key_id  : %u\n", h->key_id);
	printf("  epoch   : %" PRIu64 " (%s%s)\n", h->epoch, when,
	       h->epoch != 0 && h->epoch < WIRE_MIN_EPOCH
		   ? "; before 2024-01-01, which no "
		     "sender may use"
		   : "");
	printf("  seq     : %" PRIu64 "\n", h->seq);
}

static void print_lengths(size_t len)
{
	if (len < WIRE_HEADER_LEN)
		printf("  length  : %zu bytes (shorter than the %d-byte header)\n", len,
		       WIRE_HEADER_LEN);
	else if (len < WIRE_MIN_DATAGRAM)
		printf("  length  : %zu bytes = header %d + %zu (no room for the %d-byte "
		       "tag)\n",
		       len, WIRE_HEADER_LEN, len - WIRE_HEADER_LEN, WIRE_TAG_LEN);
	else
		printf("  length  : %zu bytes = header %d + ciphertext %zu + tag %d%s\n",
		       len, WIRE_HEADER_LEN, len - WIRE_MIN_DATAGRAM, WIRE_TAG_LEN,
		       len == WIRE_MIN_DATAGRAM ? " (keepalive size)" : "");
}

static void print_peer(const struct inspect_result *r)
{
	const struct peer_config *p = r->peer;
	char ep[ENDPOINT_STR_MAX], src[CIDR_STR_MAX];

	endpoint_format(&p->endpoint, ep);
	cidr_format(&p->allowed_src, src);
	printf("  peer    : id %" PRIu32
	       "%s%s%s, endpoint %s, allowed_src %s (%s %s)\n",
	       p->id, p->name[0] ? " \"" : "", p->name, p->name[0] ? "\"" : "", ep, src,
	       r->outgoing ? "the destination, found by" : "selected by",
	       r->unmasked ? "obfuscation trial" : r->outgoing ? "its transmit key" : "key_id");
}

static void print_inner(const struct inspect_inner *in)
{
	char s[IPV4_STR_MAX], d[IPV4_STR_MAX];
	const char *name = proto_name(in->proto);

	ipv4_format(in->src, s);
	ipv4_format(in->dst, d);
	printf("  inner   : IPv4 %s -> %s proto %u%s%s%s length %u", s, d, in->proto,
	       name ? " (" : "", name ? name : "", name ? ")" : "", in->total_len);
	if (in->total_len != in->pt_len)
		printf(" (carried %zu bytes)", in->pt_len);
	putchar('\n');
}

static void print_rule(const struct policy_rule *rule)
{
	char line[MAX_RULE_LINE + 1];
	size_t n = policy_rule_format(rule, line, sizeof line);

	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	printf("  rule    : %s\n", line);
}

/* Decide, print, count.  title is the "datagram" line's prefix. */
static void decode_one(struct inspect *ix, const struct options *o, const char *title,
		       const uint8_t *d, size_t len, struct tally *t)
{
	struct inspect_result r;

	inspect_datagram(ix, d, len, o->from_id, &r);
	/* A capture taken on the node also holds what the node itself sent. */
	if (ix != NULL && r.counter != NULL && !r.accepted)
		(void)inspect_outgoing(ix, d, len, &r);
	t->datagrams++;
	printf("%s:\n", title);
	print_lengths(len);
	if (r.outgoing && r.unmasked)
		print_header("de-masked with this node's link key (obfuscate is on)", &r.hdr);
	else if (r.outgoing)
		print_header("as sent", &r.hdr);
	else if (r.have_hdr && r.unmasked)
		print_header("de-masked with the sender's link key (obfuscate is on)",
			     &r.hdr);
	else if (r.have_raw && r.evaluated && r.obfuscated)
		print_header(
		    "as received (obfuscate is on, but no peer's link key de-masks it)",
		    &r.raw);
	else if (r.have_raw)
		print_header("as received", &r.raw);
	if (r.peer != NULL)
		print_peer(&r);
	if (r.have_inner)
		print_inner(&r.inner);
	if (r.have_rule)
		print_rule(&r.rule);
	if (r.outgoing) {
		printf("  verdict : outgoing (%s)\n", r.reason);
		t->outgoing++;
	} else if (r.counter == NULL) {
		printf("  verdict : not evaluated (%s)\n", r.reason);
		t->accepted++; /* well-formed; nothing more can be said */
	} else {
		printf("  verdict : %s (%s: %s)\n", r.accepted ? "accepted" : "dropped",
		       r.counter, r.reason);
		if (r.accepted)
			t->accepted++;
		else
			t->dropped++;
	}
	if (r.hint[0])
		printf("  hint    : %s\n", r.hint);
	sodium_memzero(&r, sizeof r);
}

/* ---- inputs ---- */

static void decode_hex(struct inspect *ix, const struct options *o, const char *title,
		       const char *text, size_t len, uint8_t *buf, struct tally *t)
{
	struct hex_result hr;
	char msg[128];

	if (!hex_parse(buf, MAX_UDP_PAYLOAD, text, len, &hr)) {
		hex_error_format(&hr, msg, sizeof msg);
		printf("%s: not a datagram: %s\n", title, msg);
		t->undecodable++;
		return;
	}
	decode_one(ix, o, title, buf, hr.len, t);
}

static int from_args(struct inspect *ix, const struct options *o, uint8_t *buf,
		     struct tally *t)
{
	size_t total = 0, off = 0;
	char *text;

	for (int i = o->hex_first; i < o->argc; i++)
		total += strlen(o->argv[i]) + 1;
	text = malloc(total + 1);
	if (text == NULL) {
		fprintf(stderr, "subnetra-wire-decode: out of memory\n");
		return -1;
	}
	for (int i = o->hex_first; i < o->argc; i++) {
		size_t n = strlen(o->argv[i]);

		memcpy(text + off, o->argv[i], n);
		off += n;
		text[off++] = ' ';
	}
	decode_hex(ix, o, "datagram", text, off, buf, t);
	free(text);
	return 0;
}

static int from_stdin(struct inspect *ix, const struct options *o, uint8_t *buf,
		      struct tally *t)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	char title[48];

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		size_t i = 0;

		lineno++;
		while (i < (size_t)n && (line[i] == ' ' || line[i] == '\t' ||
					 line[i] == '\r' || line[i] == '\n'))
			i++;
		if (i == (size_t)n || line[i] == '#')
			continue;
		if (t->datagrams + t->undecodable > 0)
			putchar('\n');
		snprintf(title, sizeof title, "line %lu", lineno);
		decode_hex(ix, o, title, line, (size_t)n, buf, t);
	}
	free(line);
	if (ferror(stdin)) {
		fprintf(stderr, "subnetra-wire-decode: reading stdin: %s\n",
			strerror(errno));
		return -1;
	}
	if (t->datagrams + t->undecodable == 0) {
		printf("stdin: no datagram (expected hex, one datagram per line)\n");
		t->undecodable++;
	}
	return 0;
}

static void frame_title(const struct pcap_record *rec, const struct pcap_udp *u,
			char *buf, size_t cap)
{
	char when[64] = "", s[ENDPOINT_STR_MAX], d[ENDPOINT_STR_MAX];

	if (rec->has_ts)
		utc_ns(rec->ts_sec, rec->ts_nsec, 6, when, sizeof when);
	endpoint_format(&u->src, s);
	endpoint_format(&u->dst, d);
	snprintf(buf, cap, "frame %" PRIu64 " (%s%s%s -> %s)", rec->index, when,
		 rec->has_ts ? ", " : "", s, d);
}

static int from_pcap(struct inspect *ix, const struct options *o, struct tally *t)
{
	struct pcap_reader r;
	struct pcap_record rec;
	enum pcap_status st;
	FILE *f = strcmp(o->pcap, "-") == 0 ? stdin : fopen(o->pcap, "rb");
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "subnetra-wire-decode: %s: cannot open: %s\n", o->pcap,
			strerror(errno));
		return -2;
	}
	if (!pcap_open(&r, f)) {
		printf("%s: not a readable capture: %s\n", o->pcap, r.err);
		t->undecodable++;
		goto out_close;
	}
	while ((st = pcap_next(&r, &rec)) == PCAP_RECORD) {
		struct pcap_udp u;
		const char *why;
		char title[160];
		enum pcap_dissect k = pcap_dissect_udp(&rec, &u, &why);

		if (k == DISSECT_SKIP) {
			t->skipped++;
			continue;
		}
		if (k == DISSECT_MALFORMED || k == DISSECT_UNSUPPORTED_LINK) {
			if (t->datagrams + t->undecodable > 0)
				putchar('\n');
			printf("frame %" PRIu64 ": not decoded: %s (link type %" PRIu32
			       ")\n",
			       rec.index, why, rec.linktype);
			t->undecodable++;
			continue;
		}
		if (o->port >= 0 && u.src.port != o->port && u.dst.port != o->port) {
			t->skipped++;
			continue;
		}
		if (t->datagrams + t->undecodable > 0)
			putchar('\n');
		frame_title(&rec, &u, title, sizeof title);
		if (k == DISSECT_TRUNCATED) {
			printf("%s: not decoded: %s: %zu of %zu bytes\n", title, why,
			       u.len, u.wire_len);
			t->undecodable++;
			continue;
		}
		decode_one(ix, o, title, u.payload, u.len, t);
	}
	if (st == PCAP_ERROR) {
		printf("%s: capture damaged: %s\n", o->pcap, r.err);
		t->undecodable++;
	}
	if (t->datagrams + t->undecodable == 0) {
		printf("%s: no IPv4/UDP datagram%s in %" PRIu64 " frame%s\n", o->pcap,
		       o->port >= 0 ? " on that port" : "", r.records,
		       r.records == 1 ? "" : "s");
		t->undecodable++;
	}
	pcap_close(&r);
out_close:
	if (f != stdin)
		fclose(f);
	return rc;
}

/* ---- main ---- */

static int load_config(const struct options *o, struct config *cfg, struct inspect *ix)
{
	struct config_error err;
	char msg[768];

	if (config_load(cfg, o->config, &err) < 0) {
		config_error_format(&err, msg, sizeof msg);
		fprintf(stderr, "subnetra-wire-decode: %s\n", msg);
		return -1;
	}
	if (cfg->mode != CONFIG_MODE_V1) {
		fprintf(stderr, "subnetra-wire-decode: %s: a \"mode\": \"%s\" config has no v1 "
				"links to decode with\n",
			o->config, config_mode_name(cfg->mode));
		return -1;
	}
	if (inspect_init(ix, cfg) < 0) {
		fprintf(stderr,
			"subnetra-wire-decode: %s: the derived policy does not fit the "
			"table\n",
			o->config);
		return -1;
	}
	if (o->from_id != 0 && peer_find_by_id(&ix->peers, o->from_id) == NULL) {
		fprintf(stderr,
			"subnetra-wire-decode: --from-id %" PRIu32
			": no such peer in %s\n",
			o->from_id, o->config);
		return -1;
	}
	if (o->policy != NULL) {
		int n = inspect_load_policy(ix, o->policy, msg, sizeof msg);

		if (n < 0) {
			fprintf(stderr, "subnetra-wire-decode: policy snapshot: %s%s\n", msg,
				n == -EPERM || n == -ESTALE ? " (the daemon would ignore it too)"
							    : "");
			return -1;
		}
	}
	printf("config: %s (role=%s, local_id=%" PRIu32 ", peers=%zu, obfuscate=%s)\n",
	       o->config, role_name(cfg->role), cfg->local_id, cfg->n_peers,
	       cfg->obfuscate ? "on" : "off");
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct tally t = {0};
	struct config *cfg = NULL;
	struct inspect *ix = NULL;
	uint8_t *buf = NULL;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (sodium_init() < 0) {
		fprintf(stderr,
			"subnetra-wire-decode: libsodium initialisation failed\n");
		return EXIT_DROPPED;
	}
	buf = malloc(MAX_UDP_PAYLOAD);
	if (o.config != NULL) {
		cfg = calloc(1, sizeof(*cfg));
		ix = calloc(1, sizeof(*ix));
	}
	if (buf == NULL || (o.config != NULL && (cfg == NULL || ix == NULL))) {
		fprintf(stderr, "subnetra-wire-decode: out of memory\n");
		rc = EXIT_DROPPED;
		goto out;
	}
	if (o.config != NULL && load_config(&o, cfg, ix) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}

	if (o.pcap != NULL)
		rc = from_pcap(ix, &o, &t);
	else if (o.hex_first != 0)
		rc = from_args(ix, &o, buf, &t);
	else
		rc = from_stdin(ix, &o, buf, &t);
	if (rc == -2) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (t.datagrams + t.undecodable > 1 || t.skipped > 0)
		printf("\nsummary: %lu datagram%s: %lu %s, %lu dropped, %lu outgoing, %lu "
		       "not decodable; %lu other frame%s skipped\n",
		       t.datagrams, t.datagrams == 1 ? "" : "s", t.accepted,
		       ix ? "accepted" : "well-formed", t.dropped, t.outgoing, t.undecodable,
		       t.skipped, t.skipped == 1 ? "" : "s");
	rc = rc == 0 && t.dropped == 0 && t.undecodable == 0 ? EXIT_OK : EXIT_DROPPED;
out:
	if (ix != NULL) {
		inspect_wipe(ix);
		free(ix);
	}
	if (cfg != NULL) {
		config_wipe(cfg);
		free(cfg);
	}
	if (buf != NULL) {
		sodium_memzero(buf, MAX_UDP_PAYLOAD);
		free(buf);
	}
	return rc;
}
