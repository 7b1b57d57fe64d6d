// JPEG decoding through libjpeg(-turbo): the error manager longjmps back here, never into Swift,
// and never calls exit() as libjpeg's default error_exit does.
#include "CImageCodecs.h"

#include <stdio.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *err;
    size_t err_len;
} mi_jpeg_error;

static void mi_jpeg_error_exit(j_common_ptr cinfo) {
    mi_jpeg_error *e = (mi_jpeg_error *)cinfo->err;
    char message[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, message);
    if (e->err && e->err_len) snprintf(e->err, e->err_len, "%s", message);
    longjmp(e->jump, 1);
}

static void mi_jpeg_output_message(j_common_ptr cinfo) {
    (void)cinfo;  // corrupt-data warnings are tolerated (as Pillow does); nothing goes to stderr
}

static uint16_t rd16(const uint8_t *p, int le) { return le ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p, int le) {
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
              : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

// EXIF orientation (TIFF tag 0x0112 in IFD0) from an APP1 payload; 1 when absent or malformed.
static int mi_exif_orientation(const uint8_t *p, size_t n) {
    if (n < 14 || memcmp(p, "Exif\0\0", 6) != 0) return 1;
    const uint8_t *t = p + 6;
    size_t tn = n - 6;
    int le;
    if (t[0] == 'I' && t[1] == 'I') le = 1;
    else if (t[0] == 'M' && t[1] == 'M') le = 0;
    else return 1;
    if (rd16(t + 2, le) != 42) return 1;
    uint32_t ifd = rd32(t + 4, le);
    if (ifd > tn || tn - ifd < 2) return 1;
    uint16_t count = rd16(t + ifd, le);
    for (uint32_t i = 0; i < count; i++) {
        size_t at = (size_t)ifd + 2 + (size_t)i * 12;
        if (at > tn || tn - at < 12) return 1;
        if (rd16(t + at, le) == 0x0112) {
            uint16_t type = rd16(t + at + 2, le);
            uint16_t v = type == 3 ? rd16(t + at + 8, le) : (uint16_t)rd32(t + at + 8, le);
            return (v >= 1 && v <= 8) ? v : 1;
        }
    }
    return 1;
}

// Copies src (w x h x c) into dst applying EXIF orientation o (dst is w x h, or h x w for 5..8).
static void mi_orient(const uint8_t *src, uint8_t *dst, int w, int h, int c, int o) {
    int dw = (o >= 5) ? h : w;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int dx, dy;
            switch (o) {
                case 2: dx = w - 1 - x; dy = y; break;
                case 3: dx = w - 1 - x; dy = h - 1 - y; break;
                case 4: dx = x; dy = h - 1 - y; break;
                case 5: dx = y; dy = x; break;
                case 6: dx = h - 1 - y; dy = x; break;
                case 7: dx = h - 1 - y; dy = w - 1 - x; break;
                case 8: dx = y; dy = w - 1 - x; break;
                default: dx = x; dy = y; break;
            }
            memcpy(dst + ((size_t)dy * dw + dx) * c, src + ((size_t)y * w + x) * c, (size_t)c);
        }
    }
}

static int mi_jpeg_run(const uint8_t *data, size_t size, uint8_t *out, size_t out_len, int apply_orientation,
                       int color_transform, mi_image_info *info, char *err, size_t err_len) {
    if (err && err_len) err[0] = 0;
    memset(info, 0, sizeof(*info));
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) {
        snprintf(err, err_len, "not a JPEG (no SOI marker)");
        return MI_ERR_FORMAT;
    }
    struct jpeg_decompress_struct cinfo;
    mi_jpeg_error jerr;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = mi_jpeg_error_exit;
    jerr.pub.output_message = mi_jpeg_output_message;
    jerr.err = err;
    jerr.err_len = err_len;
    uint8_t *volatile scratch = NULL;
    if (setjmp(jerr.jump)) {
        free(scratch);
        jpeg_destroy_decompress(&cinfo);
        return MI_ERR_FORMAT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    int orientation = 1;
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1) {
            orientation = mi_exif_orientation(m->data, m->data_length);
            break;
        }
    }
    info->source_bit_depth = cinfo.data_precision;
    info->source_color_type = cinfo.jpeg_color_space;
    info->source_channels = cinfo.num_components;
    info->interlaced = cinfo.progressive_mode ? 1 : 0;
    info->orientation = orientation;
    info->bit_depth = 8;
    if (cinfo.data_precision != 8) {
        snprintf(err, err_len, "%d-bit JPEG is not supported (8-bit only)", cinfo.data_precision);
        jpeg_destroy_decompress(&cinfo);
        return MI_ERR_UNSUPPORTED;
    }
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        snprintf(err, err_len, "CMYK JPEG is not supported");
        jpeg_destroy_decompress(&cinfo);
        return MI_ERR_UNSUPPORTED;
    }
    if (cinfo.num_components == 1) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (cinfo.num_components == 3) {
        if (color_transform == 0) cinfo.jpeg_color_space = JCS_RGB;  // components as stored
        cinfo.out_color_space = JCS_RGB;
    } else {
        snprintf(err, err_len, "JPEG with %d components is not supported", cinfo.num_components);
        jpeg_destroy_decompress(&cinfo);
        return MI_ERR_UNSUPPORTED;
    }
    if (!apply_orientation) orientation = 1;
    jpeg_calc_output_dimensions(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height, c = cinfo.output_components;
    info->channels = c;
    info->width = orientation >= 5 ? h : w;
    info->height = orientation >= 5 ? w : h;
    if (!out) {
        jpeg_destroy_decompress(&cinfo);
        return MI_OK;
    }
    size_t need = (size_t)w * (size_t)h * (size_t)c;
    if (need > out_len) {
        snprintf(err, err_len, "output buffer too small");
        jpeg_destroy_decompress(&cinfo);
        return MI_ERR_BUFFER;
    }
    uint8_t *target = out;
    if (orientation != 1) {
        scratch = (uint8_t *)malloc(need);
        if (!scratch) {
            snprintf(err, err_len, "out of memory");
            jpeg_destroy_decompress(&cinfo);
            return MI_ERR_MEMORY;
        }
        target = scratch;
    }
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)w * (size_t)c;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = target + (size_t)cinfo.output_scanline * stride;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) break;
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (orientation != 1) {
        mi_orient(scratch, out, w, h, c, orientation);
        free(scratch);
    }
    return MI_OK;
}

int mi_jpeg_info(const uint8_t *data, size_t size, mi_image_info *info, char *err, size_t err_len) {
    return mi_jpeg_run(data, size, NULL, 0, 1, -1, info, err, err_len);
}

int mi_jpeg_decode(const uint8_t *data, size_t size, void *out, size_t out_len, int apply_orientation,
                   int color_transform, mi_image_info *info, char *err, size_t err_len) {
    if (!out) return MI_ERR_BUFFER;
    return mi_jpeg_run(data, size, (uint8_t *)out, out_len, apply_orientation, color_transform, info, err, err_len);
}
