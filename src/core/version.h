/* The one place the release version lives; banners and --version read it. */
#ifndef SUBNETRA_VERSION_H
#define SUBNETRA_VERSION_H

#define SUBNETRA_VERSION "0.1.0"

#endif
