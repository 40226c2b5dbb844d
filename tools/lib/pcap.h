/*
 * Capture files for the tools: classic libpcap (either byte order, micro- or
 * nanosecond timestamps) and pcapng (sections in either byte order, several
 * interfaces, enhanced/simple/obsolete packet blocks), read sequentially from
 * a stdio stream so a pipe (tcpdump -w -) works as well as a file, and a
 * dissector that finds the UDP payload of an IPv4 frame on the common link
 * types.
 *
 * Capture files are untrusted input: every length is checked against what
 * was actually read before anything is dereferenced, records and blocks are
 * capped, and a damaged file ends in a PCAP_ERROR whose message names the
 * record and byte offset -- never in a crash.
 */
#ifndef SUBNETRA_PCAP_H
#define SUBNETRA_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cidr.h"

enum {
	PCAP_MAX_BLOCK = 4 * 1024 * 1024, /* any one record or pcapng block */
	PCAP_MAX_IFACES = 64,		  /* interfaces per pcapng section */
	PCAP_ERR_MAX = 200,
};

/* Link-layer header types (www.tcpdump.org/linktypes.html). */
enum {
	LINKTYPE_NULL = 0,
	LINKTYPE_ETHERNET = 1,
	LINKTYPE_RAW = 101,
	LINKTYPE_LOOP = 108,
	LINKTYPE_LINUX_SLL = 113,
	LINKTYPE_IPV4 = 228,
	LINKTYPE_LINUX_SLL2 = 276,
};

enum pcap_format { PCAP_FMT_CLASSIC, PCAP_FMT_NG };

struct pcap_iface {
	uint16_t linktype;
	bool ts_binary; /* resolution 2^-ts_exp s, else 10^-ts_exp s */
	uint8_t ts_exp;
};

struct pcap_reader {
	FILE *f;
	enum pcap_format fmt;
	bool swap;	   /* file byte order differs from ours */
	bool nano;	   /* classic: nanosecond timestamps */
	uint32_t linktype; /* classic */
	struct pcap_iface ifaces[PCAP_MAX_IFACES];
	size_t n_ifaces;
	uint8_t *buf;
	size_t cap;
	uint64_t offset;  /* bytes consumed so far */
	uint64_t records; /* packet records returned so far */
	char err[PCAP_ERR_MAX];
};

struct pcap_record {
	uint64_t index; /* 1-based, counting packet records only (as Wireshark numbers
			   frames) */
	uint32_t linktype;
	bool has_ts; /* pcapng simple packet blocks have none */
	uint64_t ts_sec;
	uint32_t ts_nsec;
	const uint8_t *data; /* valid until the next pcap_next() */
	size_t caplen;	     /* bytes captured */
	size_t origlen;	     /* bytes on the wire */
};

enum pcap_status { PCAP_RECORD, PCAP_END, PCAP_ERROR };

/* Reads and checks the file header.  false: r->err says why (r is then closed). */
bool pcap_open(struct pcap_reader *r, FILE *f);
/* The next packet record; PCAP_ERROR leaves the reason in r->err. */
enum pcap_status pcap_next(struct pcap_reader *r, struct pcap_record *rec);
/* Frees the reader's buffer (the stream is the caller's). */
void pcap_close(struct pcap_reader *r);

/* What a frame holds, as far as the tools care. */
enum pcap_dissect {
	DISSECT_UDP,	   /* IPv4/UDP: payload found */
	DISSECT_TRUNCATED, /* IPv4/UDP, but the capture holds only part of the payload */
	DISSECT_SKIP, /* something else (ARP, IPv6, TCP, ICMP, a fragment): *why says what
		       */
	DISSECT_MALFORMED, /* headers contradict their own lengths: *why says how */
	DISSECT_UNSUPPORTED_LINK,
};

struct pcap_udp {
	struct endpoint4 src;
	struct endpoint4 dst;
	const uint8_t *payload; /* points into the record */
	size_t len;	 /* payload bytes present (== udp_len - 8 unless truncated) */
	size_t wire_len; /* payload length per the UDP header */
};

/* Finds the UDP payload of rec; *why is a static string for SKIP/MALFORMED. */
enum pcap_dissect pcap_dissect_udp(const struct pcap_record *rec, struct pcap_udp *out,
				   const char **why);

#endif
