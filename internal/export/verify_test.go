package export

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestVerifyIntact(t *testing.T) {
	pkg := buildSample(t)
	rep := verifyBytes(t, pkg)
	if !rep.OK || !rep.SignatureValid || len(rep.Problems) != 0 {
		t.Fatalf("intact package: %+v", rep.Problems)
	}
	pub := testKey(t).Public().(ed25519.PublicKey)
	if rep.NodeID != NodeID(pub) {
		t.Errorf("node %s, want %s", rep.NodeID, NodeID(pub))
	}
	// 6 clips, README, public key.
	if rep.FilesChecked != 8 {
		t.Errorf("checked %d files, want 8", rep.FilesChecked)
	}
	var gaps []string
	for _, n := range rep.Notes {
		if n.Code == NoteGap {
			gaps = append(gaps, n.Message)
		}
	}
	want := []string{"camera cam-002: no footage from 01/03/2026 08:00:06 to 01/03/2026 08:00:08 (offline)"}
	if !slices.Equal(gaps, want) {
		t.Errorf("gap notes %q, want %q", gaps, want)
	}

	// Entries in a fixed order, all stored.
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Method != zip.Store {
			t.Errorf("%s is compressed (method %d), want stored", f.Name, f.Method)
		}
	}
	wantNames := []string{"cam-001-1.mp4", "cam-001-2.mp4", "cam-001-3.mp4", "cam-002-1.mp4", "cam-002-2.mp4", "cam-002-3.mp4",
		ReadmeName, PublicKeyName, ManifestName, SignatureName}
	if !slices.Equal(names, wantNames) {
		t.Errorf("entries %q, want %q", names, wantNames)
	}

	var out strings.Builder
	if err := rep.WriteText(&out, "p.zip"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"OK — the package is intact", "HỢP LỆ", "Camera cam-001: Ngã tư Lê Lợi — 12 Lê Lợi, Phường 1 (10.776543, 106.700981)", "Case / Vụ việc:          12/2026"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}
}

// TestVerifyTamper changes a package in every way a person could and
// checks Verify names exactly what is wrong.
func TestVerifyTamper(t *testing.T) {
	pkg := buildSample(t)
	nodeKey := testKey(t).Public().(ed25519.PublicKey)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	dataOffset := func(name string) int64 {
		zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if f.Name == name {
				off, err := f.DataOffset()
				if err != nil {
					t.Fatal(err)
				}
				return off
			}
		}
		t.Fatalf("no %s", name)
		return 0
	}
	flip := func(name string, at int64) []byte {
		b := slices.Clone(pkg)
		b[dataOffset(name)+at] ^= 0x40
		return b
	}
	drop := func(name string) []byte {
		return rezip(t, pkg, func(n string, b []byte) ([]byte, bool) { return b, n != name })
	}
	replace := func(name string, fn func([]byte) []byte) []byte {
		return rezip(t, pkg, func(n string, b []byte) ([]byte, bool) {
			if n == name {
				return fn(b), true
			}
			return b, true
		})
	}
	// resigned: an address changed and the manifest signed again with
	// another key, which it now names: only the expected key catches it.
	resigned := func() []byte {
		pub := otherKey.Public().(ed25519.PublicKey)
		pemKey, _ := publicKeyPEM(pub)
		var signed []byte
		b := replace(ManifestName, func(b []byte) []byte {
			var m Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			m.Cameras[0].Address = "99 Đường Khác"
			m.Node.PublicKey, m.Node.ID = base64.StdEncoding.EncodeToString(pub), NodeID(pub)
			for i, f := range m.Files {
				if f.Name == PublicKeyName {
					sum := sha256.Sum256([]byte(pemKey))
					m.Files[i].Size, m.Files[i].SHA256 = int64(len(pemKey)), hex.EncodeToString(sum[:])
				}
			}
			signed, _ = json.MarshalIndent(&m, "", "  ")
			return signed
		})
		return rezip(t, b, func(n string, b []byte) ([]byte, bool) {
			switch n {
			case SignatureName:
				return ed25519.Sign(otherKey, signed), true
			case PublicKeyName:
				return []byte(pemKey), true
			}
			return b, true
		})
	}

	const modified = "manifest.json was modified after signing (or manifest.sig is not its signature)"
	tests := []struct {
		name     string
		pkg      []byte
		expected ed25519.PublicKey
		want     []Problem // Code and Message, in order
	}{
		{"byte flipped in a clip", flip("cam-001-1.mp4", 1000), nil,
			[]Problem{{Code: ProblemFileChanged, Message: "clip cam-001-1.mp4: SHA-256 does not match the manifest (file was changed)"}}},
		{"byte flipped in the last clip's last byte", flip("cam-002-3.mp4", int64(len(entry(t, pkg, "cam-002-3.mp4"))-1)), nil,
			[]Problem{{Code: ProblemFileChanged, Message: "clip cam-002-3.mp4: SHA-256 does not match the manifest (file was changed)"}}},
		{"README edited", flip(ReadmeName, 3), nil,
			[]Problem{{Code: ProblemFileChanged, Message: "file README.txt: SHA-256 does not match the manifest (file was changed)"}}},
		{"clip grown", replace("cam-001-2.mp4", func(b []byte) []byte { return append(b, 0) }), nil,
			[]Problem{{Code: ProblemFileChanged, Message: "clip cam-001-2.mp4: size differs from the manifest (file was changed)"}}},
		{"clip dropped", drop("cam-002-2.mp4"), nil,
			[]Problem{{Code: ProblemFileMissing, Message: "file cam-002-2.mp4 listed in the manifest is missing"}}},
		{"file added", rezip(t, pkg, nil, [2]string{"extra.mp4", "not evidence"}), nil,
			[]Problem{{Code: ProblemFileUnexpected, Message: "unexpected file extra.mp4 (not listed in the manifest)"}}},
		{"clip added twice", rezip(t, pkg, nil, [2]string{"cam-001-1.mp4", "another"}), nil,
			[]Problem{{Code: ProblemFileDuplicate, Message: "file cam-001-1.mp4 appears more than once in the package"}}},
		{"camera address edited", replace(ManifestName, func(b []byte) []byte {
			return bytes.Replace(b, []byte("12 Lê Lợi"), []byte("14 Lê Lợi"), 1)
		}), nil, []Problem{{Code: ProblemSignatureInvalid, Message: modified}}},
		{"clip digest edited to match a swapped clip", replace(ManifestName, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"reason": "Trộm xe máy`), []byte(`"reason": "Trộm xe hơi`), 1)
		}), nil, []Problem{{Code: ProblemSignatureInvalid, Message: modified}}},
		{"signature replaced", replace(SignatureName, func(b []byte) []byte { return bytes.Repeat([]byte{1}, 64) }), nil,
			[]Problem{{Code: ProblemSignatureInvalid, Message: modified}}},
		{"signature cut", replace(SignatureName, func(b []byte) []byte { return b[:10] }), nil,
			[]Problem{{Code: ProblemSignatureInvalid, Message: "manifest.sig is not an Ed25519 signature (10 bytes, want 64)"}}},
		{"signature dropped", drop(SignatureName), nil,
			[]Problem{{Code: ProblemSignatureMissing, Message: "manifest.sig is missing: the package is not signed"}}},
		{"manifest dropped", drop(ManifestName), nil,
			[]Problem{{Code: ProblemManifestMissing, Message: "manifest.json is missing: this is not an evidence package, or it was taken out"}}},
		{"manifest replaced by another format", replace(ManifestName, func([]byte) []byte { return []byte(`{"format":"x"}`) }), nil,
			[]Problem{{Code: ProblemManifestInvalid, Message: `manifest.json is not a valid manifest: format "x" is not "matthan-evidence/1": made by another program or a newer version`}}},
		{"manifest replaced, node key expected", replace(ManifestName, func([]byte) []byte { return []byte(`{}`) }), nodeKey,
			[]Problem{
				{Code: ProblemManifestInvalid, Message: `manifest.json is not a valid manifest: format "" is not "matthan-evidence/1": made by another program or a newer version`},
				{Code: ProblemSignatureInvalid, Message: modified}}},
		{"re-signed by another key", resigned(), nil, nil},
		{"re-signed by another key, node key expected", resigned(), nodeKey,
			[]Problem{{Code: ProblemKeyMismatch, Message: "the package is signed by node " + NodeID(otherKey.Public().(ed25519.PublicKey)) + ", not by the expected node " + NodeID(nodeKey)}}},
		{"intact, node key expected", pkg, nodeKey, nil},
		{"truncated to half", pkg[:len(pkg)/2], nil, []Problem{{Code: ProblemNotZip}}},
		{"last bytes cut", pkg[:len(pkg)-10], nil, []Problem{{Code: ProblemNotZip}}},
		{"empty", nil, nil, []Problem{{Code: ProblemNotZip}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := VerifyKey(bytes.NewReader(tt.pkg), int64(len(tt.pkg)), tt.expected)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK != (len(tt.want) == 0) {
				t.Errorf("OK = %v with problems %+v", rep.OK, rep.Problems)
			}
			if len(rep.Problems) != len(tt.want) {
				t.Fatalf("problems %+v, want %+v", rep.Problems, tt.want)
			}
			for i, p := range rep.Problems {
				w := tt.want[i]
				if p.Code != w.Code || (w.Message != "" && p.Message != w.Message) {
					t.Errorf("problem %d = %s %q, want %s %q", i, p.Code, p.Message, w.Code, w.Message)
				}
				if p.MessageVI == "" || p.MessageVI == p.Message {
					t.Errorf("problem %d has no Vietnamese message: %+v", i, p)
				}
			}
			if !rep.OK {
				var out strings.Builder
				rep.WriteText(&out, "p.zip")
				if !strings.Contains(out.String(), "FAILED") || !strings.Contains(out.String(), "KHÔNG HỢP LỆ") {
					t.Errorf("report does not say FAILED:\n%s", out.String())
				}
			}
		})
	}
}

// TestVerifyChain checks the hash chain the manifest states: a break the
// exporter declared is a note, one it did not is a problem.
func TestVerifyChain(t *testing.T) {
	pkg := buildSample(t)
	key := testKey(t)
	resign := func(edit func(m *Manifest)) []byte {
		var signed []byte
		b := rezip(t, pkg, func(n string, b []byte) ([]byte, bool) {
			if n != ManifestName {
				return b, true
			}
			m, err := ParseManifest(b)
			if err != nil {
				t.Fatal(err)
			}
			edit(m)
			signed, _ = json.MarshalIndent(m, "", "  ")
			return signed, true
		})
		return rezip(t, b, func(n string, b []byte) ([]byte, bool) {
			if n == SignatureName {
				return ed25519.Sign(key, signed), true
			}
			return b, true
		})
	}
	other := strings.Repeat("ab", 32)

	rep := verifyBytes(t, resign(func(m *Manifest) {
		m.Cameras[0].Segments[2].PrevSHA256 = other
		m.Cameras[0].Segments[2].ChainBreak = true
	}))
	if !rep.OK {
		t.Fatalf("declared break fails: %+v", rep.Problems)
	}
	if !slices.ContainsFunc(rep.Notes, func(p Problem) bool { return p.Code == NoteChainRestart }) {
		t.Errorf("no chain restart note: %+v", rep.Notes)
	}

	rep = verifyBytes(t, resign(func(m *Manifest) { m.Cameras[0].Segments[1].PrevSHA256 = other }))
	if rep.OK || len(rep.Problems) != 1 || rep.Problems[0].Code != ProblemChainBroken {
		t.Fatalf("undeclared break: %+v", rep.Problems)
	}
	want := "camera cam-001: hash chain broken: segment cam-001/2026-03-01/main-20260301T010004Z.mp4 does not follow cam-001/2026-03-01/main-20260301T010000Z.mp4 (its prev_sha256 is not that segment's SHA-256)"
	if rep.Problems[0].Message != want {
		t.Errorf("message %q, want %q", rep.Problems[0].Message, want)
	}
}

// TestOpenSSLVerifies checks the README's promise: openssl alone verifies
// the signature with the packaged public key.
func TestOpenSSLVerifies(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is needed: the README tells people to use it")
	}
	pkg := buildSample(t)
	dir := t.TempDir()
	for _, name := range []string{ManifestName, SignatureName, PublicKeyName} {
		if err := os.WriteFile(filepath.Join(dir, name), entry(t, pkg, name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", PublicKeyName, "-rawin", "-in", ManifestName, "-sigfile", SignatureName)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("openssl: %v: %s", err, out)
	}
	// And it refuses an edited manifest.
	m := entry(t, pkg, ManifestName)
	os.WriteFile(filepath.Join(dir, ManifestName), bytes.Replace(m, []byte("Lê Lợi"), []byte("Le Loi"), 1), 0o600)
	cmd = exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", PublicKeyName, "-rawin", "-in", ManifestName, "-sigfile", SignatureName)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("openssl accepted an edited manifest: %s", out)
	}
}

func FuzzVerify(f *testing.F) {
	pkg := smallPackage(f)
	f.Add(pkg)
	f.Add(pkg[:len(pkg)-22])
	f.Add(rezip(f, pkg, func(n string, b []byte) ([]byte, bool) { return b, n != "cam-001-1.mp4" }))
	f.Add(rezip(f, pkg, nil, [2]string{"extra", "x"}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := Verify(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK && (rep.Manifest == nil || !rep.SignatureValid) {
			t.Fatalf("OK without a signed manifest: %+v", rep)
		}
		for _, p := range append(rep.Problems, rep.Notes...) {
			if p.Message == "" || p.MessageVI == "" {
				t.Fatalf("problem without a message: %+v", p)
			}
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	pkg := smallPackage(f)
	f.Add(entry(f, pkg, ManifestName))
	f.Add([]byte(`{"format":"matthan-evidence/1"}`))
	f.Add([]byte(`{"format":"matthan-evidence/1","node":{"id":"x","public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},"files":[{"name":"../a","size":1,"sha256":"00"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		// What parses must survive a round trip.
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseManifest(again); err != nil {
			t.Fatalf("round trip: %v\n%s", err, again)
		}
	})
}

func BenchmarkVerifySmall(b *testing.B) {
	pkg := smallPackage(b)
	for b.Loop() {
		Verify(bytes.NewReader(pkg), int64(len(pkg)))
	}
}
