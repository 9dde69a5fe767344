package secret

import (
	"bytes"
	"errors"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealerRoundTrip(t *testing.T) {
	s, err := NewSealer(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"", "x", "Mật-khẩu 123!@#", string(bytes.Repeat([]byte("a"), 4096))} {
		sealed, err := s.Seal([]byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		if sealed[0] != sealVersion1 {
			t.Errorf("version byte %d, want %d", sealed[0], sealVersion1)
		}
		if len(plain) > 3 && bytes.Contains(sealed, []byte(plain)) {
			t.Errorf("sealed output contains the plaintext")
		}
		got, err := s.Open(sealed)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != plain {
			t.Errorf("Open = %q, want %q", got, plain)
		}
	}
}

func TestSealerNonceIsRandom(t *testing.T) {
	s, _ := NewSealer(testKey(1))
	a, _ := s.Seal([]byte("same"))
	b, _ := s.Seal([]byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("sealing the same plaintext twice gave the same bytes")
	}
}

func TestSealerOpenRejects(t *testing.T) {
	s, _ := NewSealer(testKey(1))
	other, _ := NewSealer(testKey(2))
	sealed, err := s.Seal([]byte("camera-password"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name   string
		sealer interface{ Open([]byte) ([]byte, error) }
		input  []byte
	}{
		{"wrong key", other, sealed},
		{"flipped version", s, flip(0)},
		{"flipped nonce", s, flip(1)},
		{"flipped ciphertext", s, flip(14)},
		{"flipped tag", s, flip(len(sealed) - 1)},
		{"truncated", s, sealed[:len(sealed)-1]},
		{"only header", s, sealed[:13]},
		{"empty", s, nil},
		{"appended byte", s, append(bytes.Clone(sealed), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.input)
			if err == nil {
				t.Fatalf("Open accepted bad input, returned %q", got)
			}
			if !errors.Is(err, ErrSealed) {
				t.Fatalf("err = %v, want ErrSealed", err)
			}
		})
	}
}

func TestNewSealerKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer accepted a %d-byte key", n)
		}
	}
}
