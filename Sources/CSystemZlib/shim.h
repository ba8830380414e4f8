#ifndef SKILLCERT_CSYSTEMZLIB_SHIM_H
#define SKILLCERT_CSYSTEMZLIB_SHIM_H

#include <zlib.h>

/* inflateInit2 is a macro, which Swift cannot call. ZIP entries are raw deflate: no zlib header, 32 KiB window. */
static inline int skillcert_inflate_init_raw(z_streamp stream) {
    return inflateInit2(stream, -MAX_WBITS);
}

#endif
