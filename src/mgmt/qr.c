/* QR codes as SVG (see qr.h). */
#include "mgmt/qr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <sodium.h>

#include "core/outbuf.h"

enum {
	QR_QUIET = 4,	 /* modules of white around the code (the standard's) */
	QR_HEAD_MAX = 256,
	QR_RUN_MAX = 32, /* "M%d %dh%dv1h-%dz" at most */
};

int qr_svg(const char *text, char **svg, size_t *len)
{
	QRcode *q;
	struct outbuf o;
	size_t cap, w;
	char *buf;
	int side;

	if (text == NULL || *text == '\0')
		return -EINVAL;
	q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return errno == ERANGE || errno == EINVAL ? -EINVAL : -ENOMEM;
	w = (size_t)q->width;
	side = q->width + 2 * QR_QUIET;
	/* At worst every other module starts a run. */
	cap = QR_HEAD_MAX + (w * w / 2 + w) * QR_RUN_MAX;
	buf = malloc(cap);
	if (buf == NULL) {
		sodium_memzero(q->data, w * w);
		QRcode_free(q);
		return -ENOMEM;
	}
	outbuf_init(&o, buf, cap);
	outbuf_printf(&o,
		      "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %d %d' "
		      "shape-rendering='crispEdges'><rect width='%d' height='%d' fill='#fff'/>"
		      "<path fill='#000' d='",
		      side, side, side, side);
	for (size_t y = 0; y < w; y++) {
		for (size_t x = 0; x < w;) {
			size_t run = 0;

			/* Bit 0 of a module: dark. */
			while (x + run < w && (q->data[y * w + x + run] & 1))
				run++;
			if (run == 0) {
				x++;
				continue;
			}
			outbuf_printf(&o, "M%zu %zuh%zuv1h-%zuz", x + QR_QUIET, y + QR_QUIET, run,
				      run);
			x += run;
		}
	}
	outbuf_puts(&o, "'/></svg>");
	sodium_memzero(q->data, w * w);
	QRcode_free(q);
	*len = outbuf_finish(&o);
	if (*len == 0) {
		qr_svg_free(buf, cap);
		return -ENOMEM;
	}
	*svg = buf;
	return 0;
}

void qr_svg_free(char *svg, size_t len)
{
	if (svg == NULL)
		return;
	sodium_memzero(svg, len);
	free(svg);
}
