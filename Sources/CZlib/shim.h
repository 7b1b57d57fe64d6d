#include <zlib.h>
// inflateInit2 is a macro Swift cannot import.
static inline int czlib_inflate_init_raw(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
