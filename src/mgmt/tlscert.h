/*
 * The admin listener's self-signed certificate, made at `init` when the
 * operator brings none: an ECDSA P-256 key (what every browser and curl
 * accept), valid from an hour ago for TLSCERT_DAYS, for the names and
 * addresses given (subjectAltName), server authentication only.
 */
#ifndef SUBNETRA_MGMT_TLSCERT_H
#define SUBNETRA_MGMT_TLSCERT_H

#include <stddef.h>

enum {
	TLSCERT_DAYS = 825,	/* the longest validity browsers accept */
	TLSCERT_PEM_MAX = 8192, /* bytes of either PEM text */
	TLSCERT_NAMES_MAX = 16, /* subjectAltName entries */
	TLSCERT_FP_HEX = 65,	/* a SHA-256 fingerprint in hex, NUL included */
};

/*
 * A new key and certificate into key_pem and cert_pem (TLSCERT_PEM_MAX
 * bytes each, NUL-terminated; the caller wipes key_pem).  names: DNS
 * names and IP addresses (told apart by inet_pton), the first is also the
 * subject's common name.  fp: the certificate's SHA-256 fingerprint, hex.
 * 0 or -errno; err (errcap bytes) says why.
 */
int tlscert_make(const char *const *names, size_t n, char *key_pem, char *cert_pem,
		 char fp[TLSCERT_FP_HEX], char *err, size_t errcap);

#endif
