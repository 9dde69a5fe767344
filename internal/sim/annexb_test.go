package sim

import (
	"bytes"
	"slices"
	"testing"
)

func TestSplitAnnexB(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want [][]byte
	}{
		{"empty", nil, nil},
		{"no start code", []byte{1, 2, 3}, nil},
		{"3-byte start codes", []byte{0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2}, [][]byte{{0x67, 1}, {0x68, 2}}},
		{"4-byte start codes", []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x65, 9}, [][]byte{{0x67, 1}, {0x65, 9}}},
		{"junk before first", []byte{7, 7, 0, 0, 1, 0x41, 5}, [][]byte{{0x41, 5}}},
		{"trailing zeros dropped", []byte{0, 0, 1, 0x41, 5, 0, 0}, [][]byte{{0x41, 5}}},
		{"empty units skipped", []byte{0, 0, 1, 0, 0, 1, 0x41}, [][]byte{{0x41}}},
		{"emulation prevention kept", []byte{0, 0, 1, 0x41, 0, 0, 3, 1}, [][]byte{{0x41, 0, 0, 3, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitAnnexB(tt.in)
			if !slices.EqualFunc(got, tt.want, bytes.Equal) {
				t.Fatalf("splitAnnexB(%x) = %x, want %x", tt.in, got, tt.want)
			}
		})
	}
}

func TestGroupAccessUnits(t *testing.T) {
	// H.264: SPS 0x67, PPS 0x68, SEI 0x06, AUD 0x09, IDR slice 0x65, non-IDR 0x41;
	// a slice byte with the top bit set is first_mb_in_slice == 0.
	sps, pps, sei, aud := []byte{0x67, 1}, []byte{0x68, 2}, []byte{0x06, 3}, []byte{0x09, 0xf0}
	idr0, idr1 := []byte{0x65, 0x88}, []byte{0x65, 0x40} // first and second slice
	p0, p1 := []byte{0x41, 0x9a}, []byte{0x41, 0x20}
	// H.265: VPS 0x40 01, SPS 0x42 01, PPS 0x44 01, IDR_W_RADL 0x26 01, TRAIL_R 0x02 01.
	vps, hsps, hpps := []byte{0x40, 1, 1}, []byte{0x42, 1, 1}, []byte{0x44, 1, 1}
	hidr, htrail, htrail2 := []byte{0x26, 1, 0xaf}, []byte{0x02, 1, 0xd0}, []byte{0x02, 1, 0x10}

	tests := []struct {
		name  string
		codec Codec
		in    [][]byte
		want  []accessUnit
	}{
		{"h264 one slice per picture", CodecH264,
			[][]byte{sps, pps, sei, idr0, p0, p0},
			[]accessUnit{{[][]byte{sps, pps, sei, idr0}, true}, {[][]byte{p0}, false}, {[][]byte{p0}, false}}},
		{"h264 multi-slice pictures", CodecH264,
			[][]byte{sps, pps, idr0, idr1, p0, p1, aud, p0},
			[]accessUnit{{[][]byte{sps, pps, idr0, idr1}, true}, {[][]byte{p0, p1}, false}, {[][]byte{aud, p0}, false}}},
		{"h264 parameter sets without picture dropped", CodecH264,
			[][]byte{p0, sps, pps},
			[]accessUnit{{[][]byte{p0}, false}}},
		{"h265", CodecH265,
			[][]byte{vps, hsps, hpps, hidr, htrail, htrail2, vps, hsps, hpps, hidr},
			[]accessUnit{{[][]byte{vps, hsps, hpps, hidr}, true}, {[][]byte{htrail, htrail2}, false}, {[][]byte{vps, hsps, hpps, hidr}, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := groupAccessUnits(tt.codec, tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d access units, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i].key != tt.want[i].key || !slices.EqualFunc(got[i].nalus, tt.want[i].nalus, bytes.Equal) {
					t.Errorf("unit %d = %x key %v, want %x key %v", i, got[i].nalus, got[i].key, tt.want[i].nalus, tt.want[i].key)
				}
			}
			vpsGot, spsGot, ppsGot := paramSets(tt.codec, got[0].nalus)
			if tt.codec == CodecH265 && (!bytes.Equal(vpsGot, vps) || !bytes.Equal(spsGot, hsps) || !bytes.Equal(ppsGot, hpps)) {
				t.Errorf("H.265 parameter sets = %x %x %x", vpsGot, spsGot, ppsGot)
			}
			if tt.codec == CodecH264 && got[0].key && (!bytes.Equal(spsGot, sps) || !bytes.Equal(ppsGot, pps)) {
				t.Errorf("H.264 parameter sets = %x %x", spsGot, ppsGot)
			}
		})
	}
}

// FuzzSplitAnnexB checks the splitter and grouper on arbitrary bytes: no
// panics, units never empty and never holding a start code, splitting is
// stable when re-joined, and grouping never invents units.
func FuzzSplitAnnexB(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88, 0x84})
	f.Add([]byte{0, 0, 1, 0x40, 1, 0xc, 0, 0, 1, 0x42, 1, 1, 0, 0, 1, 0x26, 1, 0xaf, 0, 0, 1, 0x02, 1, 0xd0})
	f.Add([]byte{0, 0, 1, 0x41, 0, 0, 3, 1, 0, 0, 0})
	f.Add([]byte{0, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		nalus := splitAnnexB(data)
		var joined []byte
		for _, n := range nalus {
			if len(n) == 0 {
				t.Fatal("empty NAL unit")
			}
			if bytes.Contains(n, startCode) {
				t.Fatalf("NAL unit %x holds a start code", n)
			}
			if n[len(n)-1] == 0 {
				t.Fatalf("NAL unit %x ends with a zero byte", n)
			}
			joined = append(joined, 0, 0, 0, 1)
			joined = append(joined, n...)
		}
		if again := splitAnnexB(joined); !slices.EqualFunc(again, nalus, bytes.Equal) {
			t.Fatalf("re-split differs: %x vs %x", again, nalus)
		}
		for _, codec := range []Codec{CodecH264, CodecH265} {
			count := 0
			for _, au := range groupAccessUnits(codec, nalus) {
				if len(au.nalus) == 0 {
					t.Fatal("empty access unit")
				}
				count += len(au.nalus)
				paramSets(codec, au.nalus)
			}
			if count > len(nalus) {
				t.Fatalf("%s: %d units grouped from %d", codec, count, len(nalus))
			}
		}
	})
}
