package sim

import (
	"encoding/binary"
	"time"
)

// StampUUID marks the SEI message (user_data_unregistered) in which a
// simulated camera writes the wall-clock time it sent a frame. A viewer on
// the same machine reads it back to measure glass-to-glass latency.
var StampUUID = [16]byte{'M', 'A', 'T', 'T', 'H', 'A', 'N', '.', 'W', 'A', 'L', 'L', 'T', 'I', 'M', 'E'}

// appendStamp appends to dst an SEI NAL unit for codec holding t as Unix
// microseconds (big-endian) after StampUUID.
func appendStamp(dst []byte, codec Codec, t time.Time) []byte {
	var payload [24]byte
	copy(payload[:16], StampUUID[:])
	binary.BigEndian.PutUint64(payload[16:], uint64(t.UnixMicro()))
	var buf [32]byte
	rbsp := append(buf[:0], 5, byte(len(payload))) // payload type 5: user_data_unregistered
	rbsp = append(rbsp, payload[:]...)
	rbsp = append(rbsp, 0x80) // rbsp trailing bits
	if codec == CodecH265 {
		dst = append(dst, 39<<1, 1) // PREFIX_SEI_NUT, layer 0, temporal id 1
	} else {
		dst = append(dst, 6) // SEI
	}
	return appendEscaped(dst, rbsp)
}

// appendEscaped appends rbsp with emulation prevention bytes, so that no
// start code can appear inside the NAL unit.
func appendEscaped(dst, rbsp []byte) []byte {
	zeros := 0
	for _, b := range rbsp {
		if zeros >= 2 && b <= 3 {
			dst = append(dst, 3)
			zeros = 0
		}
		dst = append(dst, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return dst
}

// ReadStamp returns the time in a NAL unit written by appendStamp, and
// false for any other NAL unit (viewers call it on every NAL unit).
func ReadStamp(codec Codec, nalu []byte) (time.Time, bool) {
	var rbsp []byte
	switch {
	case codec == CodecH265 && len(nalu) > 2 && nalu[0]>>1&0x3f == 39:
		rbsp = nalu[2:]
	case codec == CodecH264 && len(nalu) > 1 && nalu[0]&0x1f == 6:
		rbsp = nalu[1:]
	default:
		return time.Time{}, false
	}
	if len(rbsp) > 64 {
		return time.Time{}, false // ours is ~30 bytes; do not unescape big ones
	}
	var buf [64]byte
	b := unescape(buf[:0], rbsp)
	if len(b) < 2+24 || b[0] != 5 || b[1] != 24 || [16]byte(b[2:18]) != StampUUID {
		return time.Time{}, false
	}
	return time.UnixMicro(int64(binary.BigEndian.Uint64(b[18:26]))), true
}

// unescape removes emulation prevention bytes.
func unescape(dst, b []byte) []byte {
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		dst = append(dst, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return dst
}
