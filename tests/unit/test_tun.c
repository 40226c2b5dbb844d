/*
 * tun_name_valid: the kernel's interface-name rule (dev_valid_name), narrowed
 * to bytes a shell takes literally, since the name lands in a plan that users
 * pipe to `sudo sh`.  Table-driven; every refusal says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "os/linux/tun.h"

static void test_names(void **state)
{
	static const struct {
		const char *name;
		bool ok;
		const char *why; /* a substring of the reason, for refusals */
	} cases[] = {
	    {"snr0", true, NULL},
	    {"a", true, NULL},
	    {"snr-hub_1.v2", true, NULL},
	    {"snr%d", true, NULL}, /* the kernel's own template */
	    {"wg+x@y", true, NULL},
	    {"abcdefghijklmno", true, NULL}, /* 15 bytes: IFNAMSIZ - 1 */
	    {"abcdefghijklmnop", false, "1 to 15 bytes"},
	    {"", false, "1 to 15 bytes"},
	    {".", false, "'.' and '..'"},
	    {"..", false, "'.' and '..'"},
	    {"...", true, NULL}, /* the kernel accepts it; so do we */
	    {"a/b", false, "'/' at byte 2"},
	    {"snr:0", false, "':' at byte 4"},
	    {"snr 0", false, "byte 0x20 at byte 4"},
	    {"snr\t0", false, "byte 0x09 at byte 4"},
	    {"x\ny", false, "byte 0x0a at byte 2"},
	    {"a;reboot", false, "';' at byte 2"},
	    {"$(id)", false, "'$' at byte 1"},
	    {"a`b`", false, "'`' at byte 2"},
	    {"a'b", false, "''' at byte 2"},
	    {"a|b", false, "'|' at byte 2"},
	    {"a&b", false, "'&' at byte 2"},
	    {"a>b", false, "'>' at byte 2"},
	    {"a*", false, "'*' at byte 2"},
	    {"\xc3\xa9t\xc3\xa9", false, "byte 0xc3 at byte 1"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[96] = "";
		bool ok = tun_name_valid(cases[i].name, why, sizeof(why));

		if (ok != cases[i].ok)
			fail_msg("'%s': expected %s, got %s (%s)", cases[i].name,
				 cases[i].ok ? "valid" : "invalid", ok ? "valid" : "invalid", why);
		if (!ok && strstr(why, cases[i].why) == NULL)
			fail_msg("'%s': reason '%s' lacks '%s'", cases[i].name, why, cases[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
