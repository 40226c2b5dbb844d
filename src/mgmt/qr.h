/*
 * QR codes as SVG (libqrencode), for the secrets the dashboard shows once:
 * a join command, a TOTP enrolment URI.  The text is a secret, so every
 * buffer that held it (libqrencode's modules, the SVG) is wiped.
 */
#ifndef SUBNETRA_MGMT_QR_H
#define SUBNETRA_MGMT_QR_H

#include <stddef.h>

/*
 * An SVG of text (error correction M, a 4-module quiet zone, one path of
 * row runs, single-quoted attributes): 0 with *svg (free with qr_svg_free)
 * and *len set, or -ENOMEM / -EINVAL.
 */
int qr_svg(const char *text, char **svg, size_t *len);
/* Wipe and free. */
void qr_svg_free(char *svg, size_t len);

#endif
