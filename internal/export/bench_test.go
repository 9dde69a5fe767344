package export

import (
	"context"
	"fmt"
	"golang.org/x/sys/unix"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"matthan"
	"matthan/internal/export/exporttest"
	"matthan/internal/fmp4/fmp4test"
	"matthan/internal/media"
)

// BenchmarkExport exports several cameras of 1080p footage and, beside it,
// copies the same segment files with a plain io.Copy and fsync: the ratio
// of the two says whether export is limited by the disk or by the CPU.
func BenchmarkExport(b *testing.B) {
	const cameras, seconds = 6, 30
	n := exporttest.New(b)
	clip := fmp4test.MakeClip(b, fmp4test.ClipSpec{Codec: media.H264, Seconds: seconds, Width: 1920, Height: 1080}, wall0)
	var segs []*matthan.Segment
	var ids []string
	for i := range cameras {
		id := fmt.Sprintf("cam-%03d", i+1)
		n.AddCamera(b, matthan.Camera{ID: id, Name: id, Owner: matthan.Owner{Kind: matthan.OwnerWard, Name: "UBND"}})
		segs = append(segs, n.Record(b, id, clip, 4*time.Second)...)
		ids = append(ids, id)
	}
	var total int64
	for _, s := range segs {
		total += s.Bytes
	}
	req := Request{CameraIDs: ids, From: wall0, To: wall0.Add(seconds * time.Second), User: "bench", Reason: "benchmark"}
	// The set-up's writes reach the disk now, not during the first round.
	unix.Sync()

	// Warm: the sources are in the page cache, so this measures our own
	// cost (hashing, zip, signing) against a copy. Cold: each round first
	// evicts the sources from the cache, so both read from the disk, as an
	// export of last week's footage does: what "limited by the disk" means.
	for _, cold := range []bool{false, true} {
		suffix := ""
		if cold {
			suffix = "-cold"
		}
		b.Run("export"+suffix, func(b *testing.B) {
			d := deps(b, n, nil)
			b.SetBytes(total)
			for b.Loop() {
				if cold {
					b.StopTimer()
					evict(b, n.RecordDir, segs)
					b.StartTimer()
				}
				res, err := Export(context.Background(), d, req)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Warnings) > 0 {
					b.Fatal(res.Warnings)
				}
				os.RemoveAll(d.ExportDir)
			}
		})
		b.Run("plain-copy"+suffix, func(b *testing.B) {
			dst := filepath.Join(b.TempDir(), "copy")
			b.SetBytes(total)
			for b.Loop() {
				if cold {
					b.StopTimer()
					evict(b, n.RecordDir, segs)
					b.StartTimer()
				}
				if err := plainCopy(n.RecordDir, segs, dst); err != nil {
					b.Fatal(err)
				}
				os.Remove(dst)
			}
		})
	}
}

// evict drops the segment files from the page cache (they are clean:
// written and fsynced), so the next read comes from the disk.
func evict(b *testing.B, dir string, segs []*matthan.Segment) {
	for _, s := range segs {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(s.Path)))
		if err != nil {
			b.Fatal(err)
		}
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}

// plainCopy is `cat SEGMENTS > dst && sync`.
func plainCopy(dir string, segs []*matthan.Segment, dst string) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	for _, s := range segs {
		in, err := os.Open(filepath.Join(dir, filepath.FromSlash(s.Path)))
		if err != nil {
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if err != nil {
			return err
		}
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return out.Close()
}
