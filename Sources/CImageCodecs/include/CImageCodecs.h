#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H
// The only C MedInfer writes: libpng, libjpeg(-turbo) and OpenJPEG wrapped so that every call
// returns a status code and a message. setjmp/longjmp (libpng, libjpeg) never leaves these functions.
// Each format has two calls: *_info reads the header (so Swift can check size limits and allocate),
// *_decode fills a caller-owned buffer. Both take the whole file in memory. mi_png_encode is the one
// encoder: it returns a malloc'd buffer that the caller releases with mi_png_free.
#include <stddef.h>
#include <stdint.h>

#define MI_OK 0
#define MI_ERR_FORMAT 1       // corrupt or not this format
#define MI_ERR_UNSUPPORTED 2  // valid but not supported (CMYK, 12-bit JPEG, ...)
#define MI_ERR_BUFFER 3       // caller's buffer too small
#define MI_ERR_MEMORY 4
#define MI_ERR_ARGUMENT 5     // invalid arguments to an encoder (size, channels, buffer length)
#define MI_ERR_ENCODE 6       // the library failed while encoding

typedef struct {
    int32_t width;
    int32_t height;
    /// Samples per pixel of the decoded output: 1 (gray) or 3 (RGB). Alpha is always dropped.
    int32_t channels;
    /// Bits per output sample: 8 or 16.
    int32_t bit_depth;
    /// As stored in the file: PNG bit depth 1/2/4/8/16; JPEG data precision (8 or 12).
    int32_t source_bit_depth;
    /// PNG: PNG_COLOR_TYPE_* (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA).
    /// JPEG: J_COLOR_SPACE of the file (1 gray, 2 RGB, 3 YCbCr, 4 CMYK, 5 YCCK).
    int32_t source_color_type;
    /// Number of components in the file (JPEG) or channels incl. alpha (PNG).
    int32_t source_channels;
    /// PNG: 1 for Adam7. JPEG: 1 for progressive.
    int32_t interlaced;
    /// JPEG: EXIF orientation 1..8 (1 when absent). Width/height above are *after* applying it.
    int32_t orientation;
} mi_image_info;

/// PNG header. Returns MI_OK or an error code with a message in err.
int mi_png_info(const uint8_t *data, size_t size, mi_image_info *info, char *err, size_t err_len);
/// PNG pixels: row-major, interleaved samples, 16-bit samples in host order (uint16_t).
/// No gamma correction; palette expanded to RGB; gray 1/2/4 bit scaled to 8 bit; alpha dropped.
int mi_png_decode(const uint8_t *data, size_t size, void *out, size_t out_len, mi_image_info *info,
                  char *err, size_t err_len);
/// PNG encoding into memory. `pixels`: `height` rows of `width` × `channels` samples, row-major, interleaved,
/// no padding; channels 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; bit_depth 8 (uint8) or 16 (uint16, host order);
/// pixels_len must be exactly width × height × channels × bit_depth / 8 bytes. Width and height 1...65535;
/// compression_level 0...9 (zlib). Not interlaced, no gamma or other ancillary chunks.
/// On MI_OK, *out is a malloc'd buffer of *out_len bytes that the caller releases with mi_png_free.
/// On any error *out is NULL, nothing needs freeing, and err holds the message.
int mi_png_encode(const void *pixels, size_t pixels_len, int32_t width, int32_t height, int32_t channels,
                  int32_t bit_depth, int32_t compression_level, uint8_t **out, size_t *out_len, char *err,
                  size_t err_len);
/// Releases a buffer returned by mi_png_encode (NULL is fine).
void mi_png_free(void *buffer);

/// JPEG header (baseline or progressive, 8-bit); EXIF orientation read from APP1.
int mi_jpeg_info(const uint8_t *data, size_t size, mi_image_info *info, char *err, size_t err_len);
/// JPEG pixels as uint8, gray or RGB, with the EXIF orientation applied when apply_orientation != 0.
/// color_transform: -1 default (YCbCr->RGB as libjpeg decides), 0 force no colour transform
/// (components returned as stored, e.g. for DICOM RGB JPEGs without a colour transform).
int mi_jpeg_decode(const uint8_t *data, size_t size, void *out, size_t out_len, int apply_orientation,
                   int color_transform, mi_image_info *info, char *err, size_t err_len);

/// JPEG 2000 (J2K codestream or JP2 file) header: width, height, components, precision, signedness.
typedef struct {
    int32_t width;
    int32_t height;
    int32_t components;
    int32_t precision;  // bits of the first component
    int32_t is_signed;  // first component signed
    int32_t color_space; // OPJ_COLOR_SPACE value
} mi_j2k_header;

int mi_j2k_info(const uint8_t *data, size_t size, mi_j2k_header *info, char *err, size_t err_len);
/// JPEG 2000 pixels: each component's samples as int32, interleaved (pixel-major), out_len in int32 units.
/// No colour conversion is applied (the DICOM photometric interpretation tells the caller what they are).
int mi_j2k_decode(const uint8_t *data, size_t size, int32_t *out, size_t out_len, mi_j2k_header *info,
                  char *err, size_t err_len);

#endif
