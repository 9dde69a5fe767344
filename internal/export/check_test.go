package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"matthan"
)

func TestAsyncHash(t *testing.T) {
	data := make([]byte, 3*asyncHashBufSize+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, chunk := range []int{1, 1000, 32 << 10, asyncHashBufSize, asyncHashBufSize + 1, len(data)} {
		a := newAsyncHash()
		for b := data; len(b) > 0; {
			k := min(chunk, len(b))
			if n, err := a.Write(b[:k]); n != k || err != nil {
				t.Fatalf("chunk %d: Write = %d, %v", chunk, n, err)
			}
			b = b[k:]
		}
		want := sha256.Sum256(data)
		if got := a.sum(); got != hex.EncodeToString(want[:]) {
			t.Errorf("chunk %d: sum %s, want %x", chunk, got, want)
		}
	}
	empty := sha256.Sum256(nil)
	if got := newAsyncHash().sum(); got != hex.EncodeToString(empty[:]) {
		t.Errorf("empty: %s", got)
	}
}

func TestSegmentChecks(t *testing.T) {
	dir := t.TempDir()
	body := bytes.Repeat([]byte("segment"), 1000)
	sum := sha256.Sum256(body)
	if err := os.WriteFile(filepath.Join(dir, "a.mp4"), body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.mp4"), append(body, 'x'), 0o600); err != nil {
		t.Fatal(err)
	}
	hexSum := hex.EncodeToString(sum[:])
	segs := []*matthan.Segment{{Path: "a.mp4", SHA256: hexSum}, {Path: "b.mp4", SHA256: hexSum}, {Path: "c.mp4", SHA256: hexSum}}
	want := []string{FileOK, FileChanged, FileMissing}

	sc := newSegmentChecks(context.Background(), dir)
	var checks []*segmentCheck
	for _, s := range segs {
		checks = append(checks, sc.add(s))
	}
	if sc.add(segs[0]) != checks[0] {
		t.Error("a file added twice is checked twice")
	}
	for i, c := range checks {
		got, err := sc.wait(c)
		if err != nil || got != want[i] {
			t.Errorf("%s: %q, %v; want %q", segs[i].Path, got, err, want[i])
		}
	}
	sc.close()

	// A check cut short is an error, not a missing file.
	ctx, cancel := context.WithCancel(context.Background())
	sc = newSegmentChecks(ctx, dir)
	defer sc.close()
	cancel()
	if got, err := sc.wait(sc.add(segs[0])); !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %q, %v; want context.Canceled", got, err)
	}
}
