/*
 * broker/server/frame.c -- judging a Kafka frame by its length prefix (see
 * frame.h).
 */
#include "config.h"
#include "broker/server/frame.h"

#include "buf.h"

kn_frame_verdict_t kn_frame_check(const uint8_t hdr[4], int32_t max_bytes, int32_t *size)
{
    /* A TLS record starts with content type 22 (handshake) and major
     * version 3: as a length that is ~370 MB, so it would also fail the
     * size check, but naming it lets the log say what really happened.
     * Only claimed when the size is refused anyway, so a broker configured
     * for huge requests never mistakes a real frame for TLS. */
    *size = (int32_t)kn_be32(hdr);
    if (hdr[0] == 0x16 && hdr[1] == 0x03 && hdr[2] <= 0x04 && *size > max_bytes) {
        return KN_FRAME_TLS;
    }
    if (*size < 0) {
        return KN_FRAME_NEGATIVE;
    }
    if (*size > max_bytes) {
        return KN_FRAME_TOO_BIG;
    }
    if (*size < KN_FRAME_MIN_REQUEST) {
        return KN_FRAME_TOO_SMALL;
    }
    return KN_FRAME_OK;
}

const char *kn_frame_verdict_str(kn_frame_verdict_t v)
{
    switch (v) {
    case KN_FRAME_OK:        return "ok";
    case KN_FRAME_NEGATIVE:  return "negative frame size";
    case KN_FRAME_TOO_BIG:   return "frame larger than socket.request.max.bytes";
    case KN_FRAME_TOO_SMALL: return "frame too small for a request header";
    case KN_FRAME_TLS:       return "TLS handshake on a plaintext listener";
    }
    return "?";
}
