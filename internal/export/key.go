package export

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"matthan/internal/secret"
)

// SigningKeyFile is the node's Ed25519 signing key (its 32-byte seed) in the
// data directory: mode 0600, created on first use, refused when other
// users can read it (the rules of secret.LoadOrCreateKey).
const SigningKeyFile = "node-signing.key"

// nodeIDBytes is how much of the public key's SHA-256 names a node.
const nodeIDBytes = 8

// LoadOrCreateSigningKey returns the node's signing key kept in dataDir,
// creating it on first use. The key never leaves this node: packages carry
// only its public half.
func LoadOrCreateSigningKey(dataDir string) (ed25519.PrivateKey, error) {
	seed, err := secret.LoadOrCreateKey(filepath.Join(dataDir, SigningKeyFile))
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key: %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// NodeID is a node's stable identity: the hex of the first bytes of the
// SHA-256 of its public key, short enough to read out over the phone.
func NodeID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:nodeIDBytes])
}
