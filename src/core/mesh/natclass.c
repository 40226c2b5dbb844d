/* NAT mapping classification (see natclass.h). */
#include "core/mesh/natclass.h"

#include <stdbool.h>

static bool same_family(const struct ep18 *a, const struct ep18 *b)
{
	uint8_t v4[4];

	return ep18_is_ipv4(a, v4) == ep18_is_ipv4(b, v4);
}

static bool is_local(const struct ep18 *ep, const struct ep18 *local, size_t n_local)
{
	for (size_t i = 0; i < n_local; i++)
		if (ep18_equal(ep, &local[i]))
			return true;
	return false;
}

enum nat_class nat_classify(const struct nat_obs *obs, size_t n, const struct ep18 *local,
			    size_t n_local)
{
	bool agree = false, all_local = true, any = false;

	for (size_t i = 0; i < n; i++) {
		if (obs[i].seen.port == 0)
			continue;
		any = true;
		all_local = all_local && is_local(&obs[i].seen, local, n_local);
		for (size_t k = i + 1; k < n; k++) {
			if (obs[k].seen.port == 0 || ep18_equal(&obs[i].dst, &obs[k].dst) ||
			    !same_family(&obs[i].dst, &obs[k].dst) ||
			    !same_family(&obs[i].seen, &obs[k].seen))
				continue;
			if (!ep18_equal(&obs[i].seen, &obs[k].seen))
				return NAT_PER_DESTINATION;
			agree = true;
		}
	}
	if (any && all_local)
		return NAT_NONE;
	return agree ? NAT_ENDPOINT_INDEPENDENT : NAT_UNKNOWN;
}

const char *nat_class_name(enum nat_class c)
{
	static const char *const names[NAT_CLASS_END] = {
	    [NAT_UNKNOWN] = "unknown",
	    [NAT_NONE] = "none",
	    [NAT_ENDPOINT_INDEPENDENT] = "endpoint-independent",
	    [NAT_PER_DESTINATION] = "per-destination",
	};

	return (unsigned)c < NAT_CLASS_END ? names[c] : "unknown";
}
