package rtsp

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/pion/rtp"

	"matthan/internal/media"
)

// selectFormats wraps formats as a session's selection, as Pull and the server do.
func selectFormats(t testing.TB, formats ...format.Format) []selected {
	t.Helper()
	var sel []selected
	for _, f := range formats {
		tr, err := trackFromFormat(f)
		if err != nil {
			t.Fatal(err)
		}
		sel = append(sel, selected{format: f, track: tr})
	}
	return sel
}

func aacFormat() *format.MPEG4Audio {
	return &format.MPEG4Audio{
		PayloadTyp:       97,
		Config:           &mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 48000, ChannelConfig: 2, ChannelCount: 2},
		SizeLength:       13,
		IndexLength:      3,
		IndexDeltaLength: 3,
	}
}

// videoPackets packetizes access units at 25 fps (3600 ticks of 90 kHz).
func videoPackets(t testing.TB, h265 bool, aus [][][]byte, firstTS uint32) [][]*rtp.Packet {
	t.Helper()
	var encode func([][]byte) ([]*rtp.Packet, error)
	if h265 {
		enc, err := (&format.H265{PayloadTyp: 96}).CreateEncoder()
		if err != nil {
			t.Fatal(err)
		}
		encode = enc.Encode
	} else {
		enc, err := (&format.H264{PayloadTyp: 96, PacketizationMode: 1}).CreateEncoder()
		if err != nil {
			t.Fatal(err)
		}
		encode = enc.Encode
	}
	var out [][]*rtp.Packet
	for i, au := range aus {
		pkts, err := encode(au)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			p.Timestamp = firstTS + uint32(i*3600)
		}
		out = append(out, pkts)
	}
	return out
}

func TestDepacketizerH264ResolutionChange(t *testing.T) {
	big := readAnnexB(t, "h264_320x240.h264", false)
	small := readAnnexB(t, "h264_160x120.h264", false)
	if len(big) != 10 || len(small) != 10 {
		t.Fatalf("access units: %d and %d, want 10 each", len(big), len(small))
	}
	// A camera that starts mid-GOP (a P-frame first), then a 320×240 GOP,
	// then switches to 160×120.
	aus := append([][][]byte{big[1]}, big...)
	aus = append(aus, small...)

	for _, tc := range []struct {
		name   string
		marker bool // cameras that never set the marker bit end a frame with the next timestamp
	}{
		{"marker", true},
		{"no marker", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector()
			dp, err := newDepacketizer(selectFormats(t, &format.H264{PayloadTyp: 96, PacketizationMode: 1}), c, testLog(t))
			if err != nil {
				t.Fatal(err)
			}
			initial := dp.Desc()
			base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			for i, pkts := range videoPackets(t, false, aus, 1000) {
				for _, p := range pkts {
					if !tc.marker {
						p.Marker = false
					}
					dp.handle(0, p, int64(p.Timestamp-1000), time.Time{}, false, base.Add(time.Duration(i)*40*time.Millisecond))
				}
			}
			units := c.snapshot()
			want := len(aus)
			if !tc.marker {
				want-- // the last frame waits for a next timestamp that never comes
			}
			if len(units) != want {
				t.Fatalf("got %d units, want %d", len(units), want)
			}
			if dp.DecodeErrors() != 0 {
				t.Errorf("decode errors: %d", dp.DecodeErrors())
			}
			// Unit 0: before any parameter set, passed on but not a keyframe.
			if units[0].Desc != initial || units[0].Key {
				t.Errorf("first unit: desc changed=%v key=%v, want the initial desc and no key", units[0].Desc != initial, units[0].Key)
			}
			var descs []*media.Desc
			for i, u := range units {
				if u.PTS != time.Duration(i)*40*time.Millisecond {
					t.Errorf("unit %d: PTS %v, want %v", i, u.PTS, time.Duration(i)*40*time.Millisecond)
				}
				if want := base.Add(time.Duration(i) * 40 * time.Millisecond); !u.Wall.Equal(want) || u.WallFromSender {
					t.Errorf("unit %d: wall %v (from sender %v), want %v from receive time", i, u.Wall, u.WallFromSender, want)
				}
				if len(descs) == 0 || descs[len(descs)-1] != u.Desc {
					descs = append(descs, u.Desc)
				}
				wantKey := i == 1 || i == 6 || i == 11 || i == 16 // IDR every 5 frames
				if u.Key != wantKey {
					t.Errorf("unit %d: key %v, want %v", i, u.Key, wantKey)
				}
			}
			if len(descs) != 3 {
				t.Fatalf("got %d descriptions, want 3 (initial, 320×240, 160×120)", len(descs))
			}
			for i, size := range [][2]int{{0, 0}, {320, 240}, {160, 120}} {
				tr := descs[i].Tracks[0]
				if tr.Width != size[0] || tr.Height != size[1] {
					t.Errorf("desc %d: %dx%d, want %dx%d", i, tr.Width, tr.Height, size[0], size[1])
				}
			}
			if units[1].Desc != descs[1] || units[11].Desc != descs[2] {
				t.Error("the new description is not used from the keyframe that brought it")
			}
			if !bytes.Equal(descs[2].Tracks[0].SPS, small[0][0]) {
				t.Error("new SPS not taken from the stream")
			}
		})
	}
}

func TestDepacketizerH265(t *testing.T) {
	aus := readAnnexB(t, "h265_320x240.h265", true)
	c := newCollector()
	dp, err := newDepacketizer(selectFormats(t, &format.H265{PayloadTyp: 96}), c, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	ntp := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, pkts := range videoPackets(t, true, aus, 0xfffff000) { // wraps around
		for _, p := range pkts {
			pts := int64(p.Timestamp - 0xfffff000)
			dp.handle(0, p, pts, ntp.Add(durationFromClock(pts, 90000)), true, time.Now())
		}
	}
	units := c.snapshot()
	if len(units) != len(aus) {
		t.Fatalf("got %d units, want %d", len(units), len(aus))
	}
	tr := units[0].Desc.Tracks[0]
	if tr.Codec != media.H265 || tr.Width != 320 || tr.Height != 240 || tr.VPS == nil || tr.PPS == nil {
		t.Fatalf("track %+v, want H265 320x240 with parameter sets", tr)
	}
	keys := 0
	for i, u := range units {
		if u.Key {
			keys++
		}
		if !u.WallFromSender || !u.Wall.Equal(ntp.Add(time.Duration(i)*40*time.Millisecond)) {
			t.Errorf("unit %d: wall %v from sender %v", i, u.Wall, u.WallFromSender)
		}
	}
	if !units[0].Key || keys != 2 {
		t.Errorf("keys: first %v, total %d; want a key every 3 frames", units[0].Key, keys)
	}
}

func TestDepacketizerAudio(t *testing.T) {
	aac, g711 := aacFormat(), &format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1}
	c := newCollector()
	dp, err := newDepacketizer(selectFormats(t, &format.H264{PayloadTyp: 96, PacketizationMode: 1}, aac, g711), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	desc := dp.Desc()
	if tr := desc.Tracks[1]; tr.Codec != media.AAC || tr.SampleRate != 48000 || tr.Channels != 2 || len(tr.AACConfig) == 0 {
		t.Errorf("AAC track %+v", tr)
	}
	if tr := desc.Tracks[2]; tr.Codec != media.G711 || !tr.MULaw || tr.SampleRate != 8000 || tr.Channels != 1 {
		t.Errorf("G711 track %+v", tr)
	}

	aacEnc, _ := aac.CreateEncoder()
	frames := [][]byte{bytes.Repeat([]byte{1}, 200), bytes.Repeat([]byte{2}, 180)}
	pkts, err := aacEnc.Encode(frames)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		p.Timestamp += 48000 // one second in
		dp.handle(1, p, 48000, time.Time{}, false, time.Now())
	}
	g711Enc, _ := g711.CreateEncoder()
	samples := bytes.Repeat([]byte{0x7f}, 160)
	pkts, err = g711Enc.Encode(samples)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		dp.handle(2, p, 4000, time.Time{}, false, time.Now())
	}

	units := c.snapshot()
	if len(units) != 2 {
		t.Fatalf("got %d units, want 2", len(units))
	}
	if u := units[0]; u.Track != 1 || u.PTS != time.Second || len(u.Data) != 2 || !bytes.Equal(u.Data[1], frames[1]) || u.Key {
		t.Errorf("AAC unit: track %d PTS %v %d frames key %v", u.Track, u.PTS, len(u.Data), u.Key)
	}
	if u := units[1]; u.Track != 2 || u.PTS != 500*time.Millisecond || !bytes.Equal(u.Data[0], samples) {
		t.Errorf("G711 unit: track %d PTS %v", u.Track, u.PTS)
	}
}

func TestDepacketizerGarbage(t *testing.T) {
	c := newCollector()
	dp, err := newDepacketizer(selectFormats(t, &format.H264{PayloadTyp: 96, PacketizationMode: 1}, aacFormat()), c, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		payload := make([]byte, rng.IntN(1500))
		for j := range payload {
			payload[j] = byte(rng.Uint32())
		}
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: uint32(i * 3000), Marker: rng.IntN(2) == 0}, Payload: payload}
		dp.handle(i%2, p, int64(i*3000), time.Time{}, false, time.Now())
	}
	if dp.DecodeErrors() == 0 {
		t.Error("random bytes raised no decode error")
	}
	checkUnits(t, c.snapshot())
}

// checkUnits asserts what every consumer relies on.
func checkUnits(t testing.TB, units []*media.Unit) {
	t.Helper()
	for i, u := range units {
		if u.Desc == nil || u.Track < 0 || u.Track >= len(u.Desc.Tracks) {
			t.Fatalf("unit %d: bad desc/track", i)
		}
		if len(u.Data) == 0 {
			t.Fatalf("unit %d: no data", i)
		}
		for _, b := range u.Data {
			if len(b) == 0 {
				t.Fatalf("unit %d: empty NAL unit or frame", i)
			}
		}
		tr := u.Desc.Tracks[u.Track]
		if u.Key && (!tr.IsVideo() || tr.SPS == nil || tr.PPS == nil || tr.Width <= 0 || tr.Height <= 0) {
			t.Fatalf("unit %d: key frame without usable parameters: %+v", i, tr)
		}
	}
}

// fuzzRecord frames one packet for FuzzDepacketizer: track, length, RTP bytes.
func fuzzRecord(track byte, pkt []byte) []byte {
	out := []byte{track, 0, 0}
	binary.BigEndian.PutUint16(out[1:], uint16(len(pkt)))
	return append(out, pkt...)
}

func fuzzSeed(t testing.TB, track byte, pkts [][]*rtp.Packet) []byte {
	var seed []byte
	for _, group := range pkts {
		for _, p := range group {
			b, err := p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			seed = append(seed, fuzzRecord(track, b)...)
		}
	}
	return seed
}

func withoutSEI(aus [][][]byte, h265 bool) [][][]byte {
	for i, au := range aus {
		var kept [][]byte
		for _, n := range au {
			if h265 && ((n[0]>>1)&0x3f == 39 || (n[0]>>1)&0x3f == 40) || !h265 && n[0]&0x1f == 6 {
				continue
			}
			kept = append(kept, n)
		}
		aus[i] = kept
	}
	return aus
}

// FuzzDepacketizer feeds arbitrary bytes as RTP packets of an H.264, an AAC,
// a G.711 and an H.265 track. Run with a bound on input minimization, which
// otherwise takes a minute per new input:
//
//	go test -run '^$' -fuzz FuzzDepacketizer -fuzztime 30s -fuzzminimizetime 100x ./internal/rtsp
func FuzzDepacketizer(f *testing.F) {
	// Small seeds keep the fuzzer's input minimization quick: low resolution,
	// no SEI (x264 writes its whole settings string there).
	h264AUs := withoutSEI(readAnnexB(f, "h264_160x120.h264", false)[:2], false)
	h265AUs := withoutSEI(readAnnexB(f, "h265_320x240.h265", true)[:1], true)
	f.Add(fuzzSeed(f, 0, videoPackets(f, false, h264AUs, 0)))
	f.Add(fuzzSeed(f, 3, videoPackets(f, true, h265AUs, 0)))
	aacEnc, _ := aacFormat().CreateEncoder()
	aacPkts, _ := aacEnc.Encode([][]byte{{1, 2, 3}, {4, 5}})
	f.Add(fuzzSeed(f, 1, [][]*rtp.Packet{aacPkts}))
	g711Enc, _ := (&format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1}).CreateEncoder()
	g711Pkts, _ := g711Enc.Encode(make([]byte, 160))
	f.Add(fuzzSeed(f, 2, [][]*rtp.Packet{g711Pkts}))
	f.Add(fuzzRecord(0, []byte{0x80, 0xe0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x7c, 0x85, 0xff})) // lone FU-A start
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		c := newCollector()
		dp, err := newDepacketizer(selectFormats(t,
			&format.H264{PayloadTyp: 96, PacketizationMode: 1},
			aacFormat(),
			&format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1},
			&format.H265{PayloadTyp: 98},
		), c, nil)
		if err != nil {
			t.Fatal(err)
		}
		var last [4]uint32
		var pts [4]int64
		for len(data) >= 3 {
			track := int(data[0]) % 4
			n := int(binary.BigEndian.Uint16(data[1:3]))
			data = data[3:]
			if n > len(data) {
				n = len(data)
			}
			raw := bytes.Clone(data[:n])
			data = data[n:]
			var p rtp.Packet
			if p.Unmarshal(raw) != nil {
				continue
			}
			pts[track] += int64(int32(p.Timestamp - last[track]))
			last[track] = p.Timestamp
			dp.handle(track, &p, pts[track], time.Unix(int64(p.SSRC), 0), p.SSRC%2 == 0, time.Now())
		}
		checkUnits(t, c.snapshot())
	})
}
