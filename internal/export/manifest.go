package export

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"matthan"
)

// FormatV1 names the manifest format this package writes and reads.
const FormatV1 = "matthan-evidence/1"

// The fixed names in a package.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.sig"
	ReadmeName    = "README.txt"
	PublicKeyName = "node-public-key.pem"
)

// maxManifestSize bounds what Verify reads of an untrusted manifest: a
// week of one-minute segments of many cameras stays far below it.
const maxManifestSize = 64 << 20

// Manifest says what an evidence package holds and where it came from.
// Its exact bytes are signed.
type Manifest struct {
	Format     string             `json:"format"`
	ID         string             `json:"id"`
	Node       Node               `json:"node"`
	ExportedBy string             `json:"exported_by"`
	Reason     string             `json:"reason"`
	Case       string             `json:"case,omitempty"`
	CreatedAt  Instant            `json:"created_at"`
	TimeZone   string             `json:"time_zone"` // of every Instant's Local
	Range      Span               `json:"range"`     // what was asked
	Stream     matthan.StreamRole `json:"stream"`
	Cameras    []Camera           `json:"cameras"`
	// Files lists every file of the package but manifest.json and
	// manifest.sig, in package order.
	Files []File `json:"files"`
}

// Node is the node that made and signed a package.
type Node struct {
	ID        string `json:"id"`   // NodeID of the public key
	Name      string `json:"name"` // its configured name, for people
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"` // base64 of the raw 32-byte Ed25519 key
}

// Span is a time range [From, To].
type Span struct {
	From Instant `json:"from"`
	To   Instant `json:"to"`
}

// Camera is one exported camera: where it is, whose it is, and its footage.
type Camera struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Owner     matthan.Owner `json:"owner"`
	Area      string        `json:"area"`
	Address   string        `json:"address"`
	Latitude  float64       `json:"latitude"`
	Longitude float64       `json:"longitude"`
	// PrivacyMasks are the camera's masks painted over its clips when it
	// was exported: parts of the picture nobody may see (a neighbour's
	// window). None: its clips are the recorded samples.
	PrivacyMasks []matthan.PrivacyMask `json:"privacy_masks,omitempty"`
	Clips        []Clip                `json:"clips"`
	// Segments are the source segments of the clips, ordered by start,
	// with the hash chain the recorder wrote.
	Segments []Segment `json:"segments"`
	// Gaps are the parts of the range with no footage and why.
	Gaps []Gap `json:"gaps"`
}

// Clip is one MP4 file of a camera.
type Clip struct {
	File            string   `json:"file"`
	Start           Instant  `json:"start"` // real range of the footage
	End             Instant  `json:"end"`
	DurationSeconds float64  `json:"duration_seconds"`
	Codec           string   `json:"codec"` // of the file's video
	Width           int      `json:"width"`
	Height          int      `json:"height"`
	Audio           string   `json:"audio,omitempty"`
	Segments        []string `json:"segments"` // paths of its source segments
	// PrivacyMasked says the clip's video was re-encoded (to Codec) with
	// the camera's privacy masks painted black; its audio is the recorded
	// one. Its bytes are then not the recorded samples: the source
	// segments' digests and hash chain state what was recorded.
	PrivacyMasked bool   `json:"privacy_masked,omitempty"`
	SourceCodec   string `json:"source_codec,omitempty"` // the recorded video codec, when re-encoded
}

// Segment is a source segment as the node's index knows it.
type Segment struct {
	Path       string  `json:"path"`
	Start      Instant `json:"start"`
	End        Instant `json:"end"`
	Bytes      int64   `json:"bytes"`
	SHA256     string  `json:"sha256"`
	PrevSHA256 string  `json:"prev_sha256"`
	Recovered  bool    `json:"recovered,omitempty"` // indexed after a crash
	// ChainBreak says the previous segment of the camera is not the one
	// listed before this one (it was deleted by retention or lost), so the
	// chain restarts here. Stated by the exporter, not inferred.
	ChainBreak bool `json:"chain_break,omitempty"`
	// FileCheck is what the exporter found hashing the file: "ok" when it
	// matched SHA256, "changed" or "missing" otherwise.
	FileCheck string `json:"file_check"`
}

// Segment file checks.
const (
	FileOK      = "ok"
	FileChanged = "changed"
	FileMissing = "missing"
)

// Gap is a part of the asked range with no footage.
type Gap struct {
	Start  Instant           `json:"start"`
	End    Instant           `json:"end"`
	Reason matthan.GapReason `json:"reason"` // "unknown" when nothing was recorded about it
	Detail string            `json:"detail,omitempty"`
}

// GapUnknown marks a stretch with no segment and no gap record.
const GapUnknown matthan.GapReason = "unknown"

// File is one file of a package with its size and digest.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// PublicKey decodes the node's public key.
func (m *Manifest) PublicKey() ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(m.Node.PublicKey)
	if err != nil || len(k) != 32 {
		return nil, errors.New("node.public_key is not a base64 Ed25519 public key (32 bytes)")
	}
	return k, nil
}

// ParseManifest reads and checks a manifest's structure. It does not check
// the signature or the files: Verify does.
func ParseManifest(b []byte) (*Manifest, error) {
	if len(b) > maxManifestSize {
		return nil, fmt.Errorf("manifest is %d bytes, more than the %d a package may have", len(b), maxManifestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest is not valid JSON of this format: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("manifest has data after its JSON object")
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// validate checks what Verify relies on; it returns the first problem.
func (m *Manifest) validate() error {
	if m.Format != FormatV1 {
		return fmt.Errorf("format %q is not %q: made by another program or a newer version", m.Format, FormatV1)
	}
	if _, err := m.PublicKey(); err != nil {
		return err
	}
	if m.Node.ID == "" {
		return errors.New("node.id is empty")
	}
	names := map[string]bool{ManifestName: true, SignatureName: true}
	for i, f := range m.Files {
		if err := checkName(f.Name); err != nil {
			return fmt.Errorf("files[%d]: %w", i, err)
		}
		if names[f.Name] {
			return fmt.Errorf("files[%d]: %q is listed twice or is a reserved name", i, f.Name)
		}
		names[f.Name] = true
		if f.Size < 0 {
			return fmt.Errorf("files[%d] %s: negative size", i, f.Name)
		}
		if !isDigest(f.SHA256) {
			return fmt.Errorf("files[%d] %s: sha256 is not a lowercase hex SHA-256", i, f.Name)
		}
	}
	for i, c := range m.Cameras {
		if c.ID == "" {
			return fmt.Errorf("cameras[%d]: id is empty", i)
		}
		paths := map[string]bool{}
		for j, s := range c.Segments {
			if s.Path == "" || !isDigest(s.SHA256) || (s.PrevSHA256 != "" && !isDigest(s.PrevSHA256)) {
				return fmt.Errorf("camera %s: segments[%d] needs a path and lowercase hex SHA-256 digests", c.ID, j)
			}
			paths[s.Path] = true
		}
		if err := matthan.ValidatePrivacyMasks(c.PrivacyMasks); err != nil {
			return fmt.Errorf("camera %s: %w", c.ID, err)
		}
		for j, cl := range c.Clips {
			if !names[cl.File] {
				return fmt.Errorf("camera %s: clips[%d] %q is not listed in files", c.ID, j, cl.File)
			}
			// A camera's masks cover all its clips or it has none.
			if cl.PrivacyMasked != (len(c.PrivacyMasks) > 0) {
				return fmt.Errorf("camera %s: clip %s says privacy_masked %v, but the camera lists %d privacy masks", c.ID, cl.File, cl.PrivacyMasked, len(c.PrivacyMasks))
			}
			for _, p := range cl.Segments {
				if !paths[p] {
					return fmt.Errorf("camera %s: clip %s names segment %q that the camera's segments do not list", c.ID, cl.File, p)
				}
			}
		}
	}
	return nil
}

// checkName accepts a plain file name at the package's root.
func checkName(name string) error {
	if name == "" || !fs.ValidPath(name) || strings.ContainsAny(name, `/\:`) || name == "." {
		return fmt.Errorf("%q is not a plain file name", name)
	}
	return nil
}

func isDigest(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// chainBreaks returns the indexes of segments whose PrevSHA256 is not the
// SHA256 of the segment listed before them and that do not declare it.
func (c *Camera) chainBreaks() []int {
	var bad []int
	for i := 1; i < len(c.Segments); i++ {
		s := c.Segments[i]
		if s.PrevSHA256 != c.Segments[i-1].SHA256 && !s.ChainBreak {
			bad = append(bad, i)
		}
	}
	return bad
}

// duration returns the seconds of [from, to] rounded to milliseconds.
func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }
