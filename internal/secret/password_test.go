package secret

import (
	"strings"
	"testing"
	"time"
)

func TestHashPassword(t *testing.T) {
	start := time.Now()
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hash took %v", time.Since(start))
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" || parts[1] != "150000" {
		t.Fatalf("hash %q is not pbkdf2-sha256$150000$SALT$HASH", h)
	}
	if salt, err := b64.DecodeString(parts[2]); err != nil || len(salt) != saltSize {
		t.Fatalf("salt %q: %d bytes, %v", parts[2], len(salt), err)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("hash contains the password")
	}
	if !CheckPassword(h, "correct horse") {
		t.Fatal("CheckPassword rejected the right password")
	}
}

// The tests below use few iterations: CheckPassword reads the count from
// the hash, and the real count is slow under the race detector.
const cheapIterations = 1000

func TestHashPasswordSaltIsRandom(t *testing.T) {
	a, _ := hashPassword("same", cheapIterations)
	b, _ := hashPassword("same", cheapIterations)
	if a == b {
		t.Fatal("two hashes of one password are equal: salt is not random")
	}
	if !CheckPassword(a, "same") || !CheckPassword(b, "same") {
		t.Fatal("CheckPassword rejected the right password")
	}
}

func TestCheckPasswordRejects(t *testing.T) {
	good, err := hashPassword("mật khẩu", cheapIterations)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(good, "mật khẩu") {
		t.Fatal("CheckPassword rejected the right password")
	}
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	flipped := "A" + parts[3][1:]
	if parts[3][0] == 'A' {
		flipped = "B" + parts[3][1:]
	}
	tests := []struct {
		name, hash, pw string
	}{
		{"wrong password", good, "mat khau"},
		{"empty password", good, ""},
		{"longer password", good, "mật khẩu "},
		{"empty hash", "", "mật khẩu"},
		{"other scheme", with(0, "bcrypt"), "mật khẩu"},
		{"too few parts", strings.Join(parts[:3], "$"), "mật khẩu"},
		{"too many parts", good + "$x", "mật khẩu"},
		{"zero iterations", with(1, "0"), "mật khẩu"},
		{"negative iterations", with(1, "-5"), "mật khẩu"},
		{"huge iterations", with(1, "999999999"), "mật khẩu"},
		{"other iterations", with(1, "999"), "mật khẩu"},
		{"bad salt", with(2, "!!"), "mật khẩu"},
		{"empty salt", with(2, ""), "mật khẩu"},
		{"short hash", with(3, "AAAA"), "mật khẩu"},
		{"flipped hash", with(3, flipped), "mật khẩu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.hash == good && tt.pw == "mật khẩu" {
				t.Fatal("bad test case")
			}
			if CheckPassword(tt.hash, tt.pw) {
				t.Fatalf("CheckPassword(%q, %q) = true", tt.hash, tt.pw)
			}
		})
	}
}
