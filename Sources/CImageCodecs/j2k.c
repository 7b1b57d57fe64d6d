// JPEG 2000 decoding through OpenJPEG 2.5 from a memory buffer. OpenJPEG reports errors through
// callbacks (no longjmp); messages are collected into the caller's buffer.
#include "CImageCodecs.h"

#include <openjpeg-2.5/openjpeg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    OPJ_SIZE_T size;
    OPJ_SIZE_T offset;
} mi_j2k_source;

typedef struct {
    char *err;
    size_t err_len;
} mi_j2k_messages;

static OPJ_SIZE_T mi_j2k_read(void *buffer, OPJ_SIZE_T n, void *user) {
    mi_j2k_source *s = (mi_j2k_source *)user;
    if (s->offset >= s->size) return (OPJ_SIZE_T)-1;
    OPJ_SIZE_T left = s->size - s->offset;
    if (n > left) n = left;
    memcpy(buffer, s->data + s->offset, n);
    s->offset += n;
    return n;
}

static OPJ_OFF_T mi_j2k_skip(OPJ_OFF_T n, void *user) {
    mi_j2k_source *s = (mi_j2k_source *)user;
    if (n < 0) {
        if ((OPJ_SIZE_T)(-n) > s->offset) return -1;
        s->offset -= (OPJ_SIZE_T)(-n);
        return n;
    }
    OPJ_SIZE_T left = s->size - s->offset;
    if ((OPJ_SIZE_T)n > left) n = (OPJ_OFF_T)left;
    s->offset += (OPJ_SIZE_T)n;
    return n;
}

static OPJ_BOOL mi_j2k_seek(OPJ_OFF_T n, void *user) {
    mi_j2k_source *s = (mi_j2k_source *)user;
    if (n < 0 || (OPJ_SIZE_T)n > s->size) return OPJ_FALSE;
    s->offset = (OPJ_SIZE_T)n;
    return OPJ_TRUE;
}

static void mi_j2k_error(const char *msg, void *user) {
    mi_j2k_messages *m = (mi_j2k_messages *)user;
    if (m->err && m->err_len && m->err[0] == 0) {
        snprintf(m->err, m->err_len, "%s", msg);
        size_t n = strlen(m->err);
        if (n && m->err[n - 1] == '\n') m->err[n - 1] = 0;  // OpenJPEG messages end in a newline
    }
}

static void mi_j2k_quiet(const char *msg, void *user) {
    (void)msg;
    (void)user;
}

// Decodes the header (and the image when out != NULL).
static int mi_j2k_run(const uint8_t *data, size_t size, int32_t *out, size_t out_len, mi_j2k_header *info,
                      char *err, size_t err_len) {
    if (err && err_len) err[0] = 0;
    memset(info, 0, sizeof(*info));
    OPJ_CODEC_FORMAT format;
    static const uint8_t jp2_sig[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
    if (size >= 4 && data[0] == 0xFF && data[1] == 0x4F && data[2] == 0xFF && data[3] == 0x51) {
        format = OPJ_CODEC_J2K;
    } else if (size >= 12 && memcmp(data, jp2_sig, 12) == 0) {
        format = OPJ_CODEC_JP2;
    } else {
        snprintf(err, err_len, "not a JPEG 2000 codestream (no SOC/SIZ marker or JP2 signature)");
        return MI_ERR_FORMAT;
    }
    mi_j2k_source src = {data, (OPJ_SIZE_T)size, 0};
    mi_j2k_messages messages = {err, err_len};
    opj_codec_t *codec = opj_create_decompress(format);
    opj_stream_t *stream = opj_stream_default_create(OPJ_TRUE);
    opj_image_t *image = NULL;
    int status = MI_OK;
    if (!codec || !stream) {
        snprintf(err, err_len, "out of memory");
        status = MI_ERR_MEMORY;
        goto done;
    }
    opj_set_error_handler(codec, mi_j2k_error, &messages);
    opj_set_warning_handler(codec, mi_j2k_quiet, NULL);
    opj_set_info_handler(codec, mi_j2k_quiet, NULL);
    opj_stream_set_user_data(stream, &src, NULL);
    opj_stream_set_user_data_length(stream, (OPJ_UINT64)size);
    opj_stream_set_read_function(stream, mi_j2k_read);
    opj_stream_set_skip_function(stream, mi_j2k_skip);
    opj_stream_set_seek_function(stream, mi_j2k_seek);
    opj_dparameters_t params;
    opj_set_default_decoder_parameters(&params);
    // Tile-parallel decoding (OpenJPEG >= 2.2) on every core: a single large CR image is otherwise
    // decoded on one core while the other idles.
    if (out) opj_codec_set_threads(codec, opj_get_num_cpus());
    if (!opj_setup_decoder(codec, &params) || !opj_read_header(stream, codec, &image) || !image) {
        if (!err[0]) snprintf(err, err_len, "cannot read the JPEG 2000 header");
        status = MI_ERR_FORMAT;
        goto done;
    }
    if (image->numcomps < 1) {
        snprintf(err, err_len, "JPEG 2000 image without components");
        status = MI_ERR_FORMAT;
        goto done;
    }
    info->width = (int32_t)(image->x1 - image->x0);
    info->height = (int32_t)(image->y1 - image->y0);
    info->components = (int32_t)image->numcomps;
    info->precision = (int32_t)image->comps[0].prec;
    info->is_signed = (int32_t)image->comps[0].sgnd;
    info->color_space = (int32_t)image->color_space;
    if (!out) goto done;
    if (!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream)) {
        if (!err[0]) snprintf(err, err_len, "JPEG 2000 decoding failed");
        status = MI_ERR_FORMAT;
        goto done;
    }
    // Dimensions of the decoded components (reduced resolution is never requested, factor 0).
    OPJ_UINT32 w = image->comps[0].w, h = image->comps[0].h, nc = image->numcomps;
    for (OPJ_UINT32 c = 0; c < nc; c++) {
        if (image->comps[c].w != w || image->comps[c].h != h || !image->comps[c].data) {
            snprintf(err, err_len, "JPEG 2000 components of different sizes (subsampled) are not supported");
            status = MI_ERR_UNSUPPORTED;
            goto done;
        }
    }
    info->width = (int32_t)w;
    info->height = (int32_t)h;
    info->precision = (int32_t)image->comps[0].prec;
    info->is_signed = (int32_t)image->comps[0].sgnd;
    if ((size_t)w * h * nc > out_len) {
        snprintf(err, err_len, "output buffer too small");
        status = MI_ERR_BUFFER;
        goto done;
    }
    for (OPJ_UINT32 i = 0; i < w * h; i++) {
        for (OPJ_UINT32 c = 0; c < nc; c++) out[(size_t)i * nc + c] = image->comps[c].data[i];
    }
done:
    if (image) opj_image_destroy(image);
    if (stream) opj_stream_destroy(stream);
    if (codec) opj_destroy_codec(codec);
    return status;
}

int mi_j2k_info(const uint8_t *data, size_t size, mi_j2k_header *info, char *err, size_t err_len) {
    return mi_j2k_run(data, size, NULL, 0, info, err, err_len);
}

int mi_j2k_decode(const uint8_t *data, size_t size, int32_t *out, size_t out_len, mi_j2k_header *info, char *err,
                  size_t err_len) {
    if (!out) return MI_ERR_BUFFER;
    return mi_j2k_run(data, size, out, out_len, info, err, err_len);
}
