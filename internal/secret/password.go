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

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the costs of an argon2id password hash. They are written
// into each hash, so a hash made with other costs still verifies.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultArgon2 returns OWASP's recommended argon2id costs (19 MiB, 2
// passes, 1 lane): about 50 ms on one core of a small node.
func DefaultArgon2() Argon2Params { return Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1} }

// TestArgon2 returns costs so low that a hash takes microseconds. Only for
// tests: a node never hashes with them, and Users rehashes a password
// stored with them at the next sign-in.
func TestArgon2() Argon2Params { return Argon2Params{Memory: 64, Time: 1, Threads: 1} }

func (p Argon2Params) orDefault() Argon2Params {
	if p == (Argon2Params{}) {
		return DefaultArgon2()
	}
	return p
}

const (
	saltSize = 16
	hashSize = 32

	// Bounds on what a stored (or forged) hash can make a check cost.
	maxIterations = 10_000_000
	maxMemory     = 1 << 20 // KiB: 1 GiB
	maxTime       = 16
	maxThreads    = 16

	pbkdf2Scheme = "pbkdf2-sha256"
	argonPrefix  = "$argon2id$v=19$"
)

var b64 = base64.RawStdEncoding

// HashPassword returns an argon2id hash of pw with DefaultArgon2's costs,
// in the PHC string format: $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH.
func HashPassword(pw string) (string, error) {
	return HashPasswordWith(pw, DefaultArgon2())
}

// HashPasswordWith is HashPassword with the given costs (zero means the
// defaults).
func HashPasswordWith(pw string, p Argon2Params) (string, error) {
	p = p.orDefault()
	if p.Memory < 8*uint32(p.Threads) || p.Time < 1 || p.Threads < 1 {
		return "", fmt.Errorf("hash password: argon2id costs %+v are too low", p)
	}
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	sum := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, hashSize)
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", argonPrefix, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(sum)), nil
}

// CheckPassword reports whether pw matches hash, an argon2id PHC string or
// an older "pbkdf2-sha256$ITER$SALT$HASH". The comparison takes constant
// time; a malformed hash never matches.
func CheckPassword(hash, pw string) bool {
	if strings.HasPrefix(hash, argonPrefix) {
		return checkArgon2(hash, pw)
	}
	return checkPBKDF2(hash, pw)
}

// NeedsRehash reports whether hash should be replaced by a new hash with
// costs p (zero means the defaults): it is not argon2id, or has other costs.
func NeedsRehash(hash string, p Argon2Params) bool {
	got, _, _, ok := parseArgon2(hash)
	return !ok || got != p.orDefault()
}

func parseArgon2(hash string) (p Argon2Params, salt, sum []byte, ok bool) {
	rest, found := strings.CutPrefix(hash, argonPrefix)
	if !found {
		return p, nil, nil, false
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 3 {
		return p, nil, nil, false
	}
	var m, t, threads uint64
	for _, kv := range strings.Split(parts[0], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, false
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			threads = n
		default:
			return p, nil, nil, false
		}
	}
	if t < 1 || t > maxTime || threads < 1 || threads > maxThreads || m < 8*threads || m > maxMemory {
		return p, nil, nil, false
	}
	salt, err := b64.DecodeString(parts[1])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, false
	}
	sum, err = b64.DecodeString(parts[2])
	if err != nil || len(sum) < 16 || len(sum) > 64 {
		return p, nil, nil, false
	}
	return Argon2Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(threads)}, salt, sum, true
}

func checkArgon2(hash, pw string) bool {
	p, salt, want, ok := parseArgon2(hash)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// checkPBKDF2 verifies the hashes made before argon2id; Users replaces them
// at the next successful sign-in.
func checkPBKDF2(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != pbkdf2Scheme {
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
