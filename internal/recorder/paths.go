package recorder

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"matthan"
)

// Segment files live at CAMERA/YYYY-MM-DD/STREAM-YYYYMMDDTHHMMSSZ.mp4 below
// the recordings directory, named by the UTC wall time of the first sample;
// a second file starting in the same second gets a "-2", "-3", … suffix.
const fileTimeLayout = "20060102T150405Z"

// quarantineDir holds files start-up recovery could not read. Its name
// starts with "_", which no camera ID can (IDs are lower-case slugs), so it
// never collides with a camera's directory.
const quarantineDir = "_quarantine"

// aliveFile is where a running recorder notes the time every few seconds, so
// the next start knows when the node stopped.
const aliveFile = "_alive"

var segmentPathRe = regexp.MustCompile(`^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)/(\d{4}-\d{2}-\d{2})/(main|sub)-(\d{8}T\d{6}Z)(?:-\d+)?\.mp4$`)

// segmentPath returns the relative path of a segment starting at start;
// n > 1 adds a suffix for the n-th file of the same second.
func segmentPath(cameraID string, role matthan.StreamRole, start time.Time, n int) string {
	start = start.UTC()
	name := string(role) + "-" + start.Format(fileTimeLayout)
	if n > 1 {
		name += fmt.Sprintf("-%d", n)
	}
	return path.Join(cameraID, start.Format(time.DateOnly), name+".mp4")
}

// parseSegmentPath reads camera, stream and start second back from a path.
func parseSegmentPath(rel string) (cameraID string, role matthan.StreamRole, start time.Time, ok bool) {
	m := segmentPathRe.FindStringSubmatch(rel)
	if m == nil {
		return "", "", time.Time{}, false
	}
	t, err := time.Parse(fileTimeLayout, m[4])
	if err != nil || !strings.HasPrefix(m[4], strings.ReplaceAll(m[2], "-", "")) {
		return "", "", time.Time{}, false
	}
	return m[1], matthan.StreamRole(m[3]), t, true
}
