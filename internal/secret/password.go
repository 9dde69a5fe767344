package secret

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

const (
	// passwordIterations makes one check cost about 20-40 ms on a 2-core node:
	// slow for a guesser, unnoticeable at sign-in.
	passwordIterations = 150_000
	// maxIterations bounds the work a stored (or forged) hash can demand.
	maxIterations = 10_000_000
	saltSize      = 16
	hashSize      = 32
	hashScheme    = "pbkdf2-sha256"
)

var b64 = base64.RawStdEncoding

// HashPassword returns a salted PBKDF2-SHA256 hash of pw, encoded as
// "pbkdf2-sha256$ITER$SALT$HASH" with unpadded standard base64.
func HashPassword(pw string) (string, error) {
	return hashPassword(pw, passwordIterations)
}

func hashPassword(pw string, iterations int) (string, error) {
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	sum, err := pbkdf2.Key(sha256.New, pw, salt, iterations, hashSize)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return fmt.Sprintf("%s$%d$%s$%s", hashScheme, iterations, b64.EncodeToString(salt), b64.EncodeToString(sum)), nil
}

// CheckPassword reports whether pw matches hash. A malformed hash never matches.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != hashScheme {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > maxIterations {
		return false
	}
	salt, err := b64.DecodeString(parts[2])
	if err != nil || len(salt) == 0 {
		return false
	}
	want, err := b64.DecodeString(parts[3])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pw, salt, iter, len(want))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}
