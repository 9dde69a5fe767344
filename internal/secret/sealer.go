package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"matthan"
)

// sealVersion1 marks AES-256-GCM with a 12-byte random nonce:
// version(1) || nonce(12) || ciphertext || tag(16).
const sealVersion1 byte = 1

// ErrSealed is returned (wrapped) by Open when sealed data cannot be opened:
// it was altered, truncated, or sealed with another node key.
var ErrSealed = errors.New("sealed secret cannot be opened: it was altered or sealed with another node key")

type gcmSealer struct {
	aead cipher.AEAD
}

// NewSealer returns a matthan.Sealer using AES-256-GCM with key, which must
// be KeySize bytes.
func NewSealer(key []byte) (matthan.Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealer: key has %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	return &gcmSealer{aead: aead}, nil
}

// Seal encrypts plaintext with a fresh random nonce.
func (s *gcmSealer) Seal(plaintext []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	// The version byte is authenticated too, so it cannot be swapped.
	return s.aead.Seal(out, out[1:], plaintext, out[:1]), nil
}

// Open decrypts what Seal produced.
func (s *gcmSealer) Open(sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, fmt.Errorf("open: empty input: %w", ErrSealed)
	}
	if sealed[0] != sealVersion1 {
		return nil, fmt.Errorf("open: unknown format version %d: %w", sealed[0], ErrSealed)
	}
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() {
		return nil, fmt.Errorf("open: %d bytes is too short: %w", len(sealed), ErrSealed)
	}
	plain, err := s.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], sealed[:1])
	if err != nil {
		return nil, fmt.Errorf("open: %w", ErrSealed)
	}
	return plain, nil
}
