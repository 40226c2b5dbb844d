/*
 * splitmix64: the small deterministic generator the randomized unit tests
 * draw from (a fixed seed gives the same run every time).
 */
#ifndef SUBNETRA_TESTS_SPLITMIX_H
#define SUBNETRA_TESTS_SPLITMIX_H

#include <stdint.h>

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

#endif
