/* save and reload: the replies that say they failed. */
#include "cli/cli.h"

bool save_failed(const char *reply, size_t len)
{
	return starts_with(reply, len, "save failed");
}

bool reload_failed(const char *reply, size_t len)
{
	return !starts_with(reply, len, "reloaded ");
}
