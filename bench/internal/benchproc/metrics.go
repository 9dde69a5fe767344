//go:build linux

package benchproc

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Sample is one sample line of a Prometheus text exposition:
// `name{labels} value [timestamp]`, labels optional.
type Sample struct {
	Line   string // the whole line, for error messages
	Name   string
	Labels string // between the braces: `camera="cam-001",stream="main"`
	Value  string // as written; the timestamp is dropped
}

// EachSample calls fn for every sample of a Prometheus text exposition (the
// node's /metrics), skipping comments and blank lines. It stops at the first
// line it cannot read or the first error of fn.
func EachSample(b []byte, fn func(Sample) error) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := splitSample(line)
		if err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return sc.Err()
}

// splitSample splits one sample line into its parts.
func splitSample(line string) (Sample, error) {
	s := Sample{Line: line}
	var rest string
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return s, fmt.Errorf("metrics: cannot read line %q", line)
		}
		s.Name, s.Labels, rest = line[:i], line[i+1:j], line[j+1:]
		if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			return s, fmt.Errorf("metrics: cannot read line %q", line)
		}
	} else {
		var ok bool
		s.Name, rest, ok = strings.Cut(line, " ")
		if !ok {
			return s, fmt.Errorf("metrics: cannot read line %q", line)
		}
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return s, fmt.Errorf("metrics: no value in %q", line)
	}
	s.Value = f[0]
	return s, nil
}

// Label returns a label's value from `a="x",b="y"`. The node's camera IDs,
// stream roles and transports never hold quotes or commas, so no unescaping
// is needed.
func Label(labels, name string) string {
	for part := range strings.SplitSeq(labels, ",") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.TrimSpace(k) == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}
