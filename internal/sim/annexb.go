package sim

import "bytes"

// Codec is the video codec of an elementary stream.
type Codec string

const (
	CodecH264 Codec = "H264"
	CodecH265 Codec = "H265"
)

var startCode = []byte{0, 0, 1}

// splitAnnexB returns the NAL units of an Annex-B byte stream. Both 3- and
// 4-byte start codes are accepted; bytes before the first start code, empty
// units and trailing zero bytes (which belong to the next 4-byte start code or
// are trailing_zero_8bits) are dropped. The units alias b.
func splitAnnexB(b []byte) [][]byte {
	var nalus [][]byte
	add := func(n []byte) {
		n = bytes.TrimRight(n, "\x00")
		if len(n) > 0 {
			nalus = append(nalus, n[:len(n):len(n)])
		}
	}
	start := -1
	for i := 0; ; {
		j := bytes.Index(b[i:], startCode)
		if j < 0 {
			break
		}
		j += i
		if start >= 0 {
			add(b[start:j])
		}
		start = j + len(startCode)
		i = start
	}
	if start >= 0 {
		add(b[start:])
	}
	return nalus
}

// accessUnit is one coded picture with the parameter sets and SEI before it.
type accessUnit struct {
	nalus [][]byte
	key   bool // a random access point: decoding may start here
}

// groupAccessUnits groups NAL units into access units using the codec's
// rules for the first NAL unit of an access unit (H.264 7.4.1.2.3,
// H.265 7.4.2.4.4): a parameter set, AUD or prefix SEI, or the first slice
// of a picture, once the current unit already holds a picture.
func groupAccessUnits(codec Codec, nalus [][]byte) []accessUnit {
	var aus []accessUnit
	var cur accessUnit
	hasPicture := false
	for _, n := range nalus {
		vcl, first, starts, key := classifyNALU(codec, n)
		if hasPicture && (starts || (vcl && first)) {
			aus = append(aus, cur)
			cur = accessUnit{}
			hasPicture = false
		}
		cur.nalus = append(cur.nalus, n)
		if vcl {
			hasPicture = true
			cur.key = cur.key || key
		}
	}
	if hasPicture {
		aus = append(aus, cur)
	}
	return aus
}

// classifyNALU says whether n is a slice (vcl), the first slice of its
// picture (first), a non-slice unit that opens a new access unit (starts), and
// a random access slice (key).
func classifyNALU(codec Codec, n []byte) (vcl, first, starts, key bool) {
	if len(n) == 0 {
		return false, false, false, false
	}
	if codec == CodecH265 {
		if len(n) < 2 {
			return false, false, false, false
		}
		typ := (n[0] >> 1) & 0x3f
		switch {
		case typ <= 31:
			// first_slice_segment_in_pic_flag is the first bit after the 2-byte header.
			return true, len(n) > 2 && n[2]&0x80 != 0, false, typ >= 16 && typ <= 23
		case typ == 32, typ == 33, typ == 34, typ == 35, typ == 39,
			typ >= 41 && typ <= 44, typ >= 48 && typ <= 55:
			return false, false, true, false
		}
		return false, false, false, false
	}
	typ := n[0] & 0x1f
	switch typ {
	case 1, 5:
		// first_mb_in_slice is ue(v); a leading 1 bit means 0: the first slice.
		return true, len(n) > 1 && n[1]&0x80 != 0, false, typ == 5
	case 6, 7, 8, 9, 14, 15, 16, 17, 18:
		return false, false, true, false
	}
	return false, false, false, false
}

// paramSets returns the parameter sets found in an access unit:
// VPS (H.265 only), SPS and PPS.
func paramSets(codec Codec, au [][]byte) (vps, sps, pps []byte) {
	for _, n := range au {
		if len(n) < 2 {
			continue
		}
		if codec == CodecH265 {
			switch (n[0] >> 1) & 0x3f {
			case 32:
				vps = n
			case 33:
				sps = n
			case 34:
				pps = n
			}
			continue
		}
		switch n[0] & 0x1f {
		case 7:
			sps = n
		case 8:
			pps = n
		}
	}
	return vps, sps, pps
}
