/* The dashboard's files, embedded at build time (see ui.h). */
#include "mgmt/ui.h"

#include <string.h>

struct ui_asset {
	const char *name;
	const unsigned char *bytes;
	size_t len;
	const char *etag;
};

#include "ui_assets.h"

/*
 * Scripts and styles from this origin only (no inline script or style, no
 * eval), images also as data: URLs (the QR codes), requests to the API
 * only, and never in a frame.
 */
#define UI_CSP                                                                          \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

static const struct {
	const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
};

static const char *type_of(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

static void serve(struct http_req *r, const char *name)
{
	for (size_t i = 0; i < sizeof ui_assets / sizeof ui_assets[0]; i++) {
		const struct ui_asset *a = &ui_assets[i];
		/* Revalidated on every load (a 304 costs one round trip), so an
		 * upgraded server never runs a stale script against a new API. */
		const struct http_cache c = {.etag = a->etag,
					     .control = "no-cache",
					     .csp = UI_CSP};

		if (strcmp(a->name, name) == 0) {
			http_reply_static(r, type_of(name), a->bytes, a->len, &c);
			return;
		}
	}
	http_error(r, MHD_HTTP_NOT_FOUND, "not_found", "no such file");
}

void ui_get_index(struct http_req *r)
{
	serve(r, "index.html");
}

void ui_get_asset(struct http_req *r)
{
	serve(r, http_param(r, "file"));
}
