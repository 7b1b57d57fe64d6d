// PNG decoding through libpng: setjmp/longjmp stays inside these functions.
#include "CImageCodecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *err;
    size_t err_len;
} mi_png_source;

static void mi_png_error(png_structp png, png_const_charp msg) {
    mi_png_source *src = (mi_png_source *)png_get_error_ptr(png);
    if (src && src->err && src->err_len) {
        snprintf(src->err, src->err_len, "%s", msg ? msg : "libpng error");
    }
    png_longjmp(png, 1);
}

static void mi_png_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;  // warnings (e.g. bad CRC in ancillary chunks) are tolerated, as Pillow does
}

static void mi_png_read(png_structp png, png_bytep out, png_size_t length) {
    mi_png_source *src = (mi_png_source *)png_get_io_ptr(png);
    if (length > src->size - src->offset) {
        png_error(png, "unexpected end of data");
    }
    memcpy(out, src->data + src->offset, length);
    src->offset += length;
}

// Opens the stream, reads the header and installs the transforms; returns MI_OK or an error.
static int mi_png_begin(png_structp png, png_infop info, mi_image_info *out) {
    png_set_user_limits(png, 1u << 20, 1u << 20);
    png_set_chunk_malloc_max(png, 64u << 20);
    png_set_sig_bytes(png, 0);
    png_read_info(png, info);
    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    out->width = (int32_t)width;
    out->height = (int32_t)height;
    out->source_bit_depth = bit_depth;
    out->source_color_type = color_type;
    out->source_channels = png_get_channels(png, info);
    out->interlaced = interlace == PNG_INTERLACE_ADAM7;
    out->orientation = 1;
    // No png_set_gamma / png_set_alpha_mode: raw sample values, as medical PNGs need.
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if ((color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    if (bit_depth == 16) png_set_swap(png);  // host order (little endian)
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    out->channels = png_get_channels(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    if (out->channels != 1 && out->channels != 3) return MI_ERR_UNSUPPORTED;
    return MI_OK;
}

static int mi_png_run(const uint8_t *data, size_t size, void *buffer, size_t buffer_len, mi_image_info *info,
                      char *err, size_t err_len) {
    if (err && err_len) err[0] = 0;
    memset(info, 0, sizeof(*info));
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(err, err_len, "not a PNG signature");
        return MI_ERR_FORMAT;
    }
    mi_png_source src = {data, size, 0, err, err_len};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, mi_png_error, mi_png_warning);
    if (!png) {
        snprintf(err, err_len, "out of memory");
        return MI_ERR_MEMORY;
    }
    png_infop pinfo = png_create_info_struct(png);
    if (!pinfo) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(err, err_len, "out of memory");
        return MI_ERR_MEMORY;
    }
    // Everything that may longjmp happens below; locals modified after setjmp are volatile.
    volatile png_bytepp rows = NULL;
    volatile int status = MI_OK;
    if (setjmp(png_jmpbuf(png))) {
        if (rows) png_free(png, rows);
        png_destroy_read_struct(&png, &pinfo, NULL);
        return MI_ERR_FORMAT;
    }
    png_set_read_fn(png, &src, mi_png_read);
    status = mi_png_begin(png, pinfo, info);
    if (status == MI_OK && buffer) {
        size_t row_bytes = (size_t)info->width * (size_t)info->channels * (size_t)(info->bit_depth / 8);
        if (png_get_rowbytes(png, pinfo) != row_bytes || row_bytes * (size_t)info->height > buffer_len) {
            snprintf(err, err_len, "output buffer too small");
            status = MI_ERR_BUFFER;
        } else {
            rows = (png_bytepp)png_malloc(png, sizeof(png_bytep) * (size_t)info->height);
            for (int32_t y = 0; y < info->height; y++) rows[y] = (png_bytep)buffer + (size_t)y * row_bytes;
            png_read_image(png, rows);
            png_read_end(png, NULL);
            png_free(png, rows);
            rows = NULL;
        }
    } else if (status == MI_ERR_UNSUPPORTED) {
        snprintf(err, err_len, "%d channels after transforms", info->channels);
    }
    png_destroy_read_struct(&png, &pinfo, NULL);
    return status;
}

int mi_png_info(const uint8_t *data, size_t size, mi_image_info *info, char *err, size_t err_len) {
    return mi_png_run(data, size, NULL, 0, info, err, err_len);
}

int mi_png_decode(const uint8_t *data, size_t size, void *out, size_t out_len, mi_image_info *info, char *err,
                  size_t err_len) {
    if (!out) return MI_ERR_BUFFER;
    return mi_png_run(data, size, out, out_len, info, err, err_len);
}

// ---------------------------------------------------------------------------------------------
// PNG encoding into a growable memory buffer. As with decoding, every libpng call and the setjmp
// that catches its errors live in mi_png_encode; Swift only sees a status code and a message.

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int out_of_memory;
    char *err;
    size_t err_len;
} mi_png_sink;

static void mi_png_encode_error(png_structp png, png_const_charp msg) {
    mi_png_sink *sink = (mi_png_sink *)png_get_error_ptr(png);
    if (sink && sink->err && sink->err_len && !sink->out_of_memory) {
        snprintf(sink->err, sink->err_len, "%s", msg ? msg : "libpng error");
    }
    png_longjmp(png, 1);
}

static void mi_png_write(png_structp png, png_bytep bytes, png_size_t length) {
    mi_png_sink *sink = (mi_png_sink *)png_get_io_ptr(png);
    if (length > sink->capacity - sink->size) {
        size_t needed = sink->size + length;
        if (needed < sink->size) {  // overflow
            sink->out_of_memory = 1;
            snprintf(sink->err, sink->err_len, "output too large");
            png_error(png, "output too large");
        }
        size_t capacity = sink->capacity ? sink->capacity : 4096;
        while (capacity < needed) {
            if (capacity > SIZE_MAX / 2) { capacity = needed; break; }
            capacity *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(sink->data, capacity);
        if (!grown) {
            sink->out_of_memory = 1;
            snprintf(sink->err, sink->err_len, "out of memory growing the output to %zu bytes", capacity);
            png_error(png, "out of memory");
        }
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, bytes, length);
    sink->size += length;
}

static void mi_png_flush(png_structp png) { (void)png; }

int mi_png_encode(const void *pixels, size_t pixels_len, int32_t width, int32_t height, int32_t channels,
                  int32_t bit_depth, int32_t compression_level, uint8_t **out, size_t *out_len, char *err,
                  size_t err_len) {
    if (err && err_len) err[0] = 0;
    if (!out || !out_len) {
        snprintf(err, err_len, "no output pointer");
        return MI_ERR_ARGUMENT;
    }
    *out = NULL;
    *out_len = 0;
    if (width < 1 || height < 1 || width > 65535 || height > 65535) {
        snprintf(err, err_len, "size %dx%d outside 1...65535", (int)width, (int)height);
        return MI_ERR_ARGUMENT;
    }
    if (channels < 1 || channels > 4) {
        snprintf(err, err_len, "%d channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)", (int)channels);
        return MI_ERR_ARGUMENT;
    }
    if (bit_depth != 8 && bit_depth != 16) {
        snprintf(err, err_len, "bit depth %d (8 or 16)", (int)bit_depth);
        return MI_ERR_ARGUMENT;
    }
    if (compression_level < 0 || compression_level > 9) {
        snprintf(err, err_len, "compression level %d (0...9)", (int)compression_level);
        return MI_ERR_ARGUMENT;
    }
    // 65535 * 4 * 2 fits easily; the product with height fits in 64-bit size_t.
    size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    if (!pixels || pixels_len != row_bytes * (size_t)height) {
        snprintf(err, err_len, "pixel buffer has %zu bytes, %dx%dx%d at %d bits needs %zu", pixels_len, (int)width,
                 (int)height, (int)channels, (int)bit_depth, row_bytes * (size_t)height);
        return MI_ERR_ARGUMENT;
    }
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                       PNG_COLOR_TYPE_RGB_ALPHA};

    // Allocated before setjmp and never reassigned after it, so none of these locals needs volatile:
    // the sink and the row pointers live on the heap.
    mi_png_sink *sink = (mi_png_sink *)calloc(1, sizeof(mi_png_sink));
    png_bytep *rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (!sink || !rows) {
        free(sink);
        free(rows);
        snprintf(err, err_len, "out of memory");
        return MI_ERR_MEMORY;
    }
    sink->err = err;
    sink->err_len = err_len;
    for (int32_t y = 0; y < height; y++) rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;

    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, mi_png_encode_error, mi_png_warning);
    if (!png) {
        free(sink);
        free(rows);
        snprintf(err, err_len, "out of memory");
        return MI_ERR_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        free(sink);
        free(rows);
        snprintf(err, err_len, "out of memory");
        return MI_ERR_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        int status = sink->out_of_memory ? MI_ERR_MEMORY : MI_ERR_ENCODE;
        png_destroy_write_struct(&png, &info);
        free(sink->data);
        free(sink);
        free(rows);
        return status;
    }
    png_set_write_fn(png, sink, mi_png_write, mi_png_flush);
    png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bit_depth == 16) png_set_swap(png);  // input samples are host-order uint16
#endif
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rows);

    *out = sink->data;
    *out_len = sink->size;
    free(sink);
    return MI_OK;
}

void mi_png_free(void *buffer) { free(buffer); }
