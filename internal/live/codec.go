package live

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"matthan/internal/media"
)

// CodecString returns the RFC 6381 codecs parameter of a video track for
// MediaSource.isTypeSupported: avc1.PPCCLL for H.264, hvc1.… for H.265.
func CodecString(t *media.Track) (string, error) {
	switch t.Codec {
	case media.H264:
		return avc1String(t.SPS)
	case media.H265:
		return hvc1String(t.SPS)
	}
	return "", fmt.Errorf("live: no codec string for %s", t.Codec)
}

// avc1String reads profile, constraint flags and level: the three bytes
// after the SPS's NAL header.
func avc1String(sps []byte) (string, error) {
	if len(sps) < 4 || sps[0]&0x1f != 7 {
		return "", errors.New("live: not an H.264 SPS")
	}
	return fmt.Sprintf("avc1.%02x%02x%02x", sps[1], sps[2], sps[3]), nil
}

// hvc1String builds the ISO/IEC 14496-15 (annex E) codecs string from the
// general profile_tier_level of an H.265 SPS, e.g. "hvc1.1.6.L93.B0".
func hvc1String(sps []byte) (string, error) {
	// NAL header (2), then sps_video_parameter_set_id(4),
	// sps_max_sub_layers_minus1(3), temporal_id_nesting(1): 1 byte, then
	// the general profile_tier_level: 1 + 4 + 6 + 1 bytes.
	const need = 2 + 1 + 12
	rbsp := unescapeRBSP(sps, need)
	if len(rbsp) < need || (rbsp[0]>>1)&0x3f != 33 {
		return "", errors.New("live: not an H.265 SPS")
	}
	ptl := rbsp[3:need]
	space := ptl[0] >> 6
	tier := (ptl[0] >> 5) & 1
	profile := ptl[0] & 0x1f
	compat := uint32(ptl[1])<<24 | uint32(ptl[2])<<16 | uint32(ptl[3])<<8 | uint32(ptl[4])
	constraints := ptl[5:11]
	level := ptl[11]

	var b strings.Builder
	b.WriteString("hvc1.")
	if space > 0 {
		b.WriteByte('A' + space - 1)
	}
	fmt.Fprintf(&b, "%d.%X.", profile, bits.Reverse32(compat))
	if tier == 1 {
		b.WriteByte('H')
	} else {
		b.WriteByte('L')
	}
	fmt.Fprintf(&b, "%d", level)
	// Constraint bytes, trailing zero bytes left out.
	n := len(constraints)
	for n > 0 && constraints[n-1] == 0 {
		n--
	}
	for _, c := range constraints[:n] {
		fmt.Fprintf(&b, ".%X", c)
	}
	return b.String(), nil
}

// unescapeRBSP removes emulation prevention bytes (00 00 03 → 00 00) from
// the start of a NAL unit until it has n bytes.
func unescapeRBSP(nalu []byte, n int) []byte {
	out := make([]byte, 0, n)
	zeros := 0
	for _, c := range nalu {
		if len(out) == n {
			break
		}
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// h264NALUType and h265NALUType read the type from a NAL header.
func h264NALUType(n []byte) byte { return n[0] & 0x1f }
func h265NALUType(n []byte) byte { return (n[0] >> 1) & 0x3f }

// withParamSets returns the NAL units of a video keyframe with the track's
// parameter sets in front when the unit lacks them, so every keyframe a
// viewer gets decodes on its own. Other units are returned as they are,
// less access unit delimiters (useless over RTP).
func withParamSets(t *media.Track, u *media.Unit) [][]byte {
	var hasVPS, hasSPS, hasPPS, aud bool
	for _, n := range u.Data {
		if len(n) == 0 {
			continue
		}
		if t.Codec == media.H264 {
			switch h264NALUType(n) {
			case 7:
				hasSPS = true
			case 8:
				hasPPS = true
			case 9:
				aud = true
			}
		} else {
			switch h265NALUType(n) {
			case 32:
				hasVPS = true
			case 33:
				hasSPS = true
			case 34:
				hasPPS = true
			case 35:
				aud = true
			}
		}
	}
	missing := u.Key && (!hasSPS || !hasPPS || t.Codec == media.H265 && !hasVPS)
	if !missing && !aud {
		return u.Data
	}
	out := make([][]byte, 0, len(u.Data)+3)
	if missing {
		if t.Codec == media.H265 {
			out = append(out, t.VPS)
		}
		out = append(out, t.SPS, t.PPS)
	}
	for _, n := range u.Data {
		if len(n) == 0 {
			continue
		}
		if t.Codec == media.H264 && (h264NALUType(n) == 9 || missing && (h264NALUType(n) == 7 || h264NALUType(n) == 8)) {
			continue
		}
		if t.Codec == media.H265 && (h265NALUType(n) == 35 || missing && h265NALUType(n) >= 32 && h265NALUType(n) <= 34) {
			continue
		}
		out = append(out, n)
	}
	return out
}
