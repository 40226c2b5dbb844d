/* SANITIZER_BUILD is defined when ASan/UBSan, TSan or the fuzzing build is on. */
#ifndef SUBNETRA_SANITIZER_H
#define SUBNETRA_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(SUBNETRA_FUZZING)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer) || \
    __has_feature(thread_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

#endif
