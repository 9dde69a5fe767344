package secret

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"
)

// hashPBKDF2 makes a hash in the format used before argon2id.
func hashPBKDF2(t *testing.T, pw string, iterations int) string {
	t.Helper()
	salt := make([]byte, saltSize)
	rand.Read(salt)
	sum, err := pbkdf2.Key(sha256.New, pw, salt, iterations, hashSize)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s$%d$%s$%s", pbkdf2Scheme, iterations, b64.EncodeToString(salt), b64.EncodeToString(sum))
}

func TestHashPasswordIsArgon2idPHC(t *testing.T) {
	start := time.Now()
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hash took %v", time.Since(start))
	parts := strings.Split(h, "$")
	// "", "argon2id", "v=19", "m=19456,t=2,p=1", SALT, HASH
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" || parts[3] != "m=19456,t=2,p=1" {
		t.Fatalf("hash %q is not $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH", h)
	}
	if salt, err := b64.DecodeString(parts[4]); err != nil || len(salt) != saltSize {
		t.Fatalf("salt %q: %d bytes, %v", parts[4], len(salt), err)
	}
	if sum, err := b64.DecodeString(parts[5]); err != nil || len(sum) != hashSize {
		t.Fatalf("hash %q: %d bytes, %v", parts[5], len(sum), err)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("hash contains the password")
	}
	if !CheckPassword(h, "correct horse") || CheckPassword(h, "correct horse ") {
		t.Fatal("CheckPassword is wrong about the default hash")
	}
	if NeedsRehash(h, Argon2Params{}) || NeedsRehash(h, DefaultArgon2()) {
		t.Error("a default hash needs rehashing with the defaults")
	}
	if !NeedsRehash(h, TestArgon2()) {
		t.Error("a default hash does not need rehashing with other costs")
	}
}

func TestHashPasswordSaltIsRandom(t *testing.T) {
	a, _ := HashPasswordWith("same", TestArgon2())
	b, _ := HashPasswordWith("same", TestArgon2())
	if a == b {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
	if !CheckPassword(a, "same") || !CheckPassword(b, "same") {
		t.Fatal("CheckPassword rejected the right password")
	}
}

func TestHashPasswordRejectsTooLowCosts(t *testing.T) {
	for _, p := range []Argon2Params{{Memory: 7, Time: 1, Threads: 1}, {Memory: 64, Time: 0, Threads: 1}, {Memory: 64, Time: 1, Threads: 0}} {
		if _, err := HashPasswordWith("x", p); err == nil {
			t.Errorf("costs %+v accepted", p)
		}
	}
}

func TestOldPBKDF2HashesStillVerify(t *testing.T) {
	h := hashPBKDF2(t, "mật khẩu cũ", 1000)
	if !CheckPassword(h, "mật khẩu cũ") || CheckPassword(h, "mật khẩu") {
		t.Fatal("CheckPassword is wrong about a PBKDF2 hash")
	}
	if !NeedsRehash(h, TestArgon2()) || !NeedsRehash(h, Argon2Params{}) {
		t.Fatal("a PBKDF2 hash does not need rehashing")
	}
}

func TestCheckPasswordRejects(t *testing.T) {
	const pw = "mật khẩu"
	argon, err := HashPasswordWith(pw, TestArgon2())
	if err != nil {
		t.Fatal(err)
	}
	pbk := hashPBKDF2(t, pw, 1000)
	for name, good := range map[string]string{"argon2id": argon, "pbkdf2": pbk} {
		if !CheckPassword(good, pw) {
			t.Fatalf("%s: CheckPassword rejected the right password", name)
		}
	}
	ap := strings.Split(argon, "$")
	pp := strings.Split(pbk, "$")
	with := func(parts []string, i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	flip := func(s string) string {
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	tests := []struct {
		name, hash, pw string
	}{
		{"wrong password", argon, "mat khau"},
		{"empty password", argon, ""},
		{"longer password", argon, pw + " "},
		{"empty hash", "", pw},
		{"argon2i", with(ap, 1, "argon2i"), pw},
		{"other version", with(ap, 2, "v=16"), pw},
		{"too few parts", strings.Join(ap[:5], "$"), pw},
		{"too many parts", argon + "$x", pw},
		{"unknown cost", with(ap, 3, "m=64,t=1,p=1,x=2"), pw},
		{"zero time", with(ap, 3, "m=64,t=0,p=1"), pw},
		{"zero lanes", with(ap, 3, "m=64,t=1,p=0"), pw},
		{"memory below 8 per lane", with(ap, 3, "m=8,t=1,p=2"), pw},
		{"huge memory", with(ap, 3, "m=4294967295,t=1,p=1"), pw},
		{"huge time", with(ap, 3, "m=64,t=99999,p=1"), pw},
		{"negative cost", with(ap, 3, "m=-64,t=1,p=1"), pw},
		{"other costs", with(ap, 3, "m=64,t=2,p=1"), pw},
		{"bad salt", with(ap, 4, "!!"), pw},
		{"short salt", with(ap, 4, "AAAA"), pw},
		{"short hash", with(ap, 5, "AAAA"), pw},
		{"flipped hash", with(ap, 5, flip(ap[5])), pw},
		{"pbkdf2 wrong password", pbk, "mat khau"},
		{"pbkdf2 other scheme", with(pp, 0, "bcrypt"), pw},
		{"pbkdf2 zero iterations", with(pp, 1, "0"), pw},
		{"pbkdf2 huge iterations", with(pp, 1, "999999999"), pw},
		{"pbkdf2 other iterations", with(pp, 1, "999"), pw},
		{"pbkdf2 empty salt", with(pp, 2, ""), pw},
		{"pbkdf2 flipped hash", with(pp, 3, flip(pp[3])), pw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if CheckPassword(tt.hash, tt.pw) {
				t.Fatalf("CheckPassword(%q, %q) = true", tt.hash, tt.pw)
			}
		})
	}
}

func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "pw")
	f.Add("pbkdf2-sha256$1000$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "pw")
	f.Add("$argon2id$v=19$m=1048576,t=16,p=16$$", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		// A stored hash is untrusted text: it must never panic or demand
		// more than the bounded work. Only cheap costs are checked here.
		if p, _, _, ok := parseArgon2(hash); ok && (p.Memory > 1024 || p.Time > 2) {
			return
		}
		if parts := strings.Split(hash, "$"); parts[0] == pbkdf2Scheme && len(parts) > 1 && len(parts[1]) > 4 {
			return
		}
		CheckPassword(hash, pw)
		NeedsRehash(hash, TestArgon2())
	})
}
