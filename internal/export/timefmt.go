package export

import (
	"time"

	"matthan"
)

// LocalZoneName is the zone shown beside UTC everywhere in a package.
const LocalZoneName = "Asia/Ho_Chi_Minh"

// Instant is one moment written twice: exactly, in UTC, and as people in
// Vietnam read it.
type Instant struct {
	UTC   time.Time `json:"utc"`
	Local string    `json:"local"` // dd/MM/yyyy HH:mm:ss, Asia/Ho_Chi_Minh
}

// At returns the Instant of t.
func At(t time.Time) Instant {
	return Instant{UTC: t.UTC(), Local: matthan.FormatLocal(t)}
}
