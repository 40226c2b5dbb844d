/*
 * Prometheus rendering (src/core/metrics.c): the exact exposition of a hub with
 * two peers, every counter of COUNTERS_LIST once and in order as
 * subnetra_<name>_total, the age/online rules of status --json (boundaries,
 * never seen, clock stepped back), label escaping, the fixed shape without
 * peers, the exposition syntax line by line, the METRICS_REPLY_MAX bound
 * with MAX_PEERS worst-case peers, and bounded output at every too-small cap.
 *
 * `test_metrics --print` / `--print-down` write a rendering to stdout instead
 * of testing, and `--print-json` the status --json of the same view:
 * tests/netns/t_deploy.sh feeds the first two to `promtool check metrics` and
 * the JSON to deploy/subnetra-textfile-exporter.sh, whose output must equal
 * `--print` byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bounds.h"
#include "core/metrics.h"

#define NS  1000000000ull
#define NOW (1700000000ull * NS)

static const char *const counter_names[] = {
#define NAME(n) #n,
    COUNTERS_LIST(NAME)
#undef NAME
};

_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) == N_COUNTERS,
	       "one expected name per counter");

/* Counter i (in list order) holds 100 + i, so every value is distinct. */
static struct counters numbered_counters(void)
{
	struct counters c;
	uint64_t i = 100;

#define SET(n) c.n = i++;
	COUNTERS_LIST(SET)
#undef SET
	return c;
}

static struct cidr cidr_of(const char *s)
{
	struct cidr c;

	if (cidr_parse(&c, s, strlen(s)) != ADDR_OK)
		abort();
	return c;
}

static const uint16_t fixture_ports[] = {18020, 18023};

struct fixture {
	struct counters counters;
	struct status_peer peers[4];
	struct status_view view;
};

/* The Observability example: a hub with two spokes, one never heard from. */
static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->counters = numbered_counters();
	f->peers[0] = (struct status_peer){.id = 2,
					   .name = "bj-office-gw",
					   .allowed_src = cidr_of("10.0.0.2/32"),
					   .last_seen_wall_ns = 0};
	f->peers[1] = (struct status_peer){.id = 3,
					   .name = "",
					   .allowed_src = cidr_of("10.0.0.3/32"),
					   .last_seen_wall_ns = NOW - 5 * NS - 1};
	f->view = (struct status_view){.version = "0.1.0",
				       .mode = "raw_direct",
				       .local_id = 1,
				       .listen_port = 18020,
				       .listen_ports = fixture_ports,
				       .n_listen_ports = 2,
				       .tun = "snr0",
				       .n_peers = 2,
				       .peers = f->peers,
				       .counters = &f->counters,
				       .now_wall_ns = NOW};
}

/* clang-format off */
static const char head_up[] =
	"# HELP subnetra_up 1 if subnetra status answered on the control socket, 0 if the daemon is down.\n"
	"# TYPE subnetra_up gauge\n";
static const char head_fixture[] =
	"subnetra_up 1\n"
	"# HELP subnetra_build_info Identity of the running daemon in the labels; the value is always 1.\n"
	"# TYPE subnetra_build_info gauge\n"
	"subnetra_build_info{version=\"0.1.0\",mode=\"raw_direct\",tun=\"snr0\",local_id=\"1\",listen_port=\"18020\",listen_ports=\"18020,18023\"} 1\n"
	"# HELP subnetra_peer_online 1 if the peer sent an authenticated datagram within the freshness window (90 s).\n"
	"# TYPE subnetra_peer_online gauge\n"
	"subnetra_peer_online{id=\"2\",allowed_src=\"10.0.0.2/32\"} 0\n"
	"subnetra_peer_online{id=\"3\",allowed_src=\"10.0.0.3/32\"} 1\n"
	"# HELP subnetra_peer_last_seen_age_seconds Seconds since the peer's last authenticated datagram; absent if never seen.\n"
	"# TYPE subnetra_peer_last_seen_age_seconds gauge\n"
	"subnetra_peer_last_seen_age_seconds{id=\"3\",allowed_src=\"10.0.0.3/32\"} 5\n";
/* clang-format on */

/* The counter families, as the exporter writes them. */
static void counters_text(char *out, size_t cap, uint64_t first)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < N_COUNTERS; i++) {
		int n = snprintf(
		    out + len, cap - len,
		    "# HELP subnetra_%s_total Counter %s of subnetra status --json "
		    "(see docs/operations.md).\n"
		    "# TYPE subnetra_%s_total counter\n"
		    "subnetra_%s_total %llu\n",
		    counter_names[i], counter_names[i], counter_names[i],
		    counter_names[i], (unsigned long long)(first + i));

		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
}

static void test_exact(void **state)
{
	static char buf[32768], want[32768], tail[24576];
	struct fixture f;
	size_t n;

	(void)state;
	fixture_init(&f);
	counters_text(tail, sizeof(tail), 100);
	snprintf(want, sizeof(want), "%s%s%s", head_up, head_fixture, tail);
	n = metrics_render(&f.view, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* Each counter: HELP, TYPE counter and one sample, once, in list order. */
static void test_every_counter_once_in_order(void **state)
{
	static char buf[32768];
	struct fixture f;
	const char *prev = NULL;

	(void)state;
	fixture_init(&f);
	assert_true(metrics_render(&f.view, buf, sizeof(buf)) > 0);
	for (size_t i = 0; i < N_COUNTERS; i++) {
		char type[128], sample[128];
		const char *at;

		snprintf(type, sizeof(type), "\n# TYPE subnetra_%s_total counter\n",
			 counter_names[i]);
		snprintf(sample, sizeof(sample), "\nsubnetra_%s_total %zu\n",
			 counter_names[i], 100 + i);
		at = strstr(buf, type);
		if (at == NULL)
			fail_msg("no TYPE line for %s", counter_names[i]);
		assert_null(strstr(at + 1, type));
		assert_non_null(strstr(buf, sample));
		assert_null(strstr(strstr(buf, sample) + 1, sample));
		if (prev != NULL)
			assert_true(at > prev);
		prev = at;
	}
}

static const char *find_line(const char *buf, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = buf; p != NULL && *p != '\0';) {
		if (strncmp(p, prefix, n) == 0)
			return p;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

/* Age and online follow status --json: whole seconds, 90 s window, clamped. */
static void test_age_and_online(void **state)
{
	static const struct {
		uint64_t last_seen;
		const char *online;
		const char *age; /* NULL: no age sample */
	} cases[] = {
	    {0, "0", NULL},			 /* never seen */
	    {NOW - 90 * NS, "1", "90"},		 /* at the window: online */
	    {NOW - 90 * NS - NS + 1, "1", "90"}, /* 90.999 s: still 90 */
	    {NOW - 91 * NS, "0", "91"},		 /* past it */
	    {NOW, "1", "0"},			 /* this instant */
	    {NOW + 30 * NS, "1", "0"},		 /* clock stepped back: clamped */
	    {1, "0", "1699999999"},		 /* long ago */
	};
	static char buf[32768];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture f;
		char want[128];
		const char *line;

		fixture_init(&f);
		f.view.n_peers = 1;
		f.peers[0].last_seen_wall_ns = cases[i].last_seen;
		assert_true(metrics_render(&f.view, buf, sizeof(buf)) > 0);
		snprintf(
		    want, sizeof(want),
		    "subnetra_peer_online{id=\"2\",allowed_src=\"10.0.0.2/32\"} %s\n",
		    cases[i].online);
		line = find_line(buf, "subnetra_peer_online{");
		assert_non_null(line);
		assert_memory_equal(line, want, strlen(want));
		line = find_line(buf, "subnetra_peer_last_seen_age_seconds{");
		if (cases[i].age == NULL) {
			assert_null(line);
			continue;
		}
		snprintf(want, sizeof(want),
			 "subnetra_peer_last_seen_age_seconds{id=\"2\",allowed_src=\"10."
			 "0.0.2/32\"} "
			 "%s\n",
			 cases[i].age);
		assert_non_null(line);
		assert_memory_equal(line, want, strlen(want));
	}
}

/* '"' and '\' escaped, every other byte outside printable ASCII is '?'. */
static void test_label_escaping(void **state)
{
	static char buf[32768];
	struct fixture f;

	(void)state;
	fixture_init(&f);
	f.view.tun = "a\"b\\c\nd\xc3\xa9\x7f";
	f.view.version = "0.1.0-\"rc\"";
	f.view.mode = NULL; /* NULL renders as "" */
	assert_true(metrics_render(&f.view, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(
	    buf, "\nsubnetra_build_info{version=\"0.1.0-\\\"rc\\\"\",mode=\"\","
		 "tun=\"a\\\"b\\\\c?d???\",local_id=\"1\",listen_port=\"18020\",listen_ports=\"18020,18023\"} 1\n"));
	for (const unsigned char *p = (const unsigned char *)buf; *p != '\0'; p++)
		assert_true(*p == '\n' || (*p >= 0x20 && *p <= 0x7e));
}

/* No peers (or none seen): the families are still declared, with no sample. */
static void test_no_peers_same_shape(void **state)
{
	static char buf[32768];
	struct fixture f;

	(void)state;
	fixture_init(&f);
	f.view.n_peers = 0;
	assert_true(metrics_render(&f.view, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "# TYPE subnetra_peer_online gauge\n"
				    "# HELP subnetra_peer_last_seen_age_seconds "));
	assert_non_null(strstr(buf, "# TYPE subnetra_peer_last_seen_age_seconds gauge\n"
				    "# HELP subnetra_tun_rx_packets_total "));
	assert_null(strstr(buf, "\nsubnetra_peer_"));
}

static bool is_name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/*
 * A small checker of the text format: every line is "# HELP name text",
 * "# TYPE name gauge|counter" (once per family, before its samples), or
 * "name[{l="v",...}] value" of a declared family.  promtool does the full
 * check in t_deploy.sh.
 */
static void assert_exposition_syntax(const char *buf)
{
	char families[256][96];
	size_t n_families = 0;
	const char *p = buf;

	assert_true(buf[0] != '\0');
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		const char *q = p;
		size_t nlen;

		assert_non_null(eol);
		if (strncmp(p, "# HELP ", 7) == 0 || strncmp(p, "# TYPE ", 7) == 0) {
			bool type = p[2] == 'T';

			q = p + 7;
			while (q < eol && is_name_char(*q, q == p + 7))
				q++;
			assert_true(q > p + 7 && *q == ' ');
			nlen = (size_t)(q - (p + 7));
			if (type) {
				assert_true(strncmp(q, " gauge\n", 7) == 0 ||
					    strncmp(q, " counter\n", 9) == 0);
				for (size_t i = 0; i < n_families; i++)
					assert_false(strlen(families[i]) == nlen &&
						     memcmp(families[i], p + 7, nlen) ==
							 0);
				assert_true(n_families < 256 && nlen < 96);
				memcpy(families[n_families], p + 7, nlen);
				families[n_families++][nlen] = '\0';
			}
		} else {
			bool declared = false;

			while (q < eol && is_name_char(*q, q == p))
				q++;
			nlen = (size_t)(q - p);
			assert_true(nlen > 0);
			for (size_t i = 0; i < n_families; i++)
				declared |= strlen(families[i]) == nlen &&
					    memcmp(families[i], p, nlen) == 0;
			if (!declared)
				fail_msg("sample before its TYPE: %.*s", (int)(eol - p),
					 p);
			if (*q == '{') {
				for (q++; *q != '}';) {
					const char *ls = q;

					while (is_name_char(*q, q == ls))
						q++;
					assert_true(q > ls && q[0] == '=' && q[1] == '"');
					for (q += 2; *q != '"'; q++) {
						assert_true(q < eol);
						if (*q == '\\') {
							q++;
							assert_true(*q == '\\' ||
								    *q == '"' ||
								    *q == 'n');
						}
					}
					q++;
					if (*q == ',')
						q++;
					else
						assert_int_equal(*q, '}');
				}
				q++;
			}
			assert_int_equal(*q, ' ');
			for (q++; q < eol; q++)
				assert_true(*q >= '0' && *q <= '9');
			assert_true(q[-1] != ' ');
		}
		p = eol + 1;
	}
}

static void test_exposition_syntax(void **state)
{
	static char buf[32768];
	struct fixture f;

	(void)state;
	fixture_init(&f);
	f.view.tun = "we\"ird\\";
	assert_true(metrics_render(&f.view, buf, sizeof(buf)) > 0);
	assert_exposition_syntax(buf);
	assert_true(metrics_render_down(buf, sizeof(buf)) > 0);
	assert_exposition_syntax(buf);
}

static void test_down(void **state)
{
	char buf[512], want[512];

	(void)state;
	snprintf(want, sizeof(want), "%ssubnetra_up 0\n", head_up);
	assert_int_equal(metrics_render_down(buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

/* MAX_PEERS peers with the longest ids, prefixes and values fit the bound. */
static void test_worst_case_fits_bound(void **state)
{
	static struct status_peer peers[MAX_PEERS];
	static char buf[METRICS_REPLY_MAX];
	struct fixture f;
	size_t n;

	(void)state;
	fixture_init(&f);
	memset(&f.counters, 0xff, sizeof(f.counters));
	for (size_t i = 0; i < MAX_PEERS; i++)
		peers[i] =
		    (struct status_peer){.id = 65535,
					 .name = "",
					 .allowed_src = cidr_of("255.255.255.255/32"),
					 .last_seen_wall_ns = 1};
	f.view.peers = peers;
	f.view.n_peers = MAX_PEERS;
	f.view.local_id = 65535;
	f.view.listen_port = 65535;
	f.view.listen_ports =
	    (const uint16_t[MAX_LISTEN_PORTS]){65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535};
	f.view.n_listen_ports = MAX_LISTEN_PORTS;
	f.view.tun = "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\""; /* 15 bytes, each escaped */
	f.view.version =
	    "\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\";
	f.view.now_wall_ns = UINT64_MAX;
	n = metrics_render(&f.view, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(n < sizeof(buf));
	assert_non_null(
	    strstr(buf, "subnetra_tun_rx_packets_total 18446744073709551615\n"));
}

/* Every cap below the need returns 0 with "" and writes nothing at or past cap. */
static void test_too_small_buffer(void **state)
{
	static char full[32768];
	struct fixture f;
	size_t need;

	(void)state;
	fixture_init(&f);
	need = metrics_render(&f.view, full, sizeof(full));
	assert_true(need > 0);
	assert_int_equal(metrics_render(&f.view, NULL, 0), 0);
	for (size_t cap = 1; cap <= need + 1; cap++) {
		char *buf = malloc(cap + 16);
		size_t n;

		assert_non_null(buf);
		memset(buf, 'Z', cap + 16);
		n = metrics_render(&f.view, buf, cap);
		if (cap <= need) {
			assert_int_equal(n, 0);
			assert_int_equal(buf[0], '\0');
		} else {
			assert_int_equal(n, need);
			assert_string_equal(buf, full);
		}
		for (size_t k = cap; k < cap + 16; k++)
			assert_int_equal(buf[k], 'Z');
		free(buf);
	}
	assert_int_equal(metrics_render_down(full, 10), 0);
	assert_int_equal(full[0], '\0');
}

enum print_what { PRINT_METRICS, PRINT_DOWN, PRINT_JSON };

/* The fixture, with a tun name whose label needs escaping and a '?'. */
static int print_sample(enum print_what what)
{
	static char buf[METRICS_REPLY_MAX];
	struct fixture f;
	size_t n = 0;

	fixture_init(&f);
	f.view.tun = "snr\"0\\\xc3";
	switch (what) {
	case PRINT_METRICS:
		n = metrics_render(&f.view, buf, sizeof(buf));
		break;
	case PRINT_DOWN:
		n = metrics_render_down(buf, sizeof(buf));
		break;
	case PRINT_JSON:
		n = status_render_json(&f.view, buf, sizeof(buf));
		break;
	}
	if (n == 0 || fwrite(buf, 1, n, stdout) != n || fflush(stdout) != 0)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact),
	    cmocka_unit_test(test_every_counter_once_in_order),
	    cmocka_unit_test(test_age_and_online),
	    cmocka_unit_test(test_label_escaping),
	    cmocka_unit_test(test_no_peers_same_shape),
	    cmocka_unit_test(test_exposition_syntax),
	    cmocka_unit_test(test_down),
	    cmocka_unit_test(test_worst_case_fits_bound),
	    cmocka_unit_test(test_too_small_buffer),
	};

	if (argc == 2 && strcmp(argv[1], "--print") == 0)
		return print_sample(PRINT_METRICS);
	if (argc == 2 && strcmp(argv[1], "--print-down") == 0)
		return print_sample(PRINT_DOWN);
	if (argc == 2 && strcmp(argv[1], "--print-json") == 0)
		return print_sample(PRINT_JSON);
	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
