// PNG decoding through libpng: setjmp/longjmp stays inside these functions.
#include "CImageCodecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
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
