package ingest

import "sync"

// quality tells video from garbage. A camera that sends undecodable data
// still produces the odd "unit" (random bytes can look like a NAL unit), so
// a unit only proves the stream alive when, over the current and the previous
// second, more video units than decode errors arrived. Sporadic errors (a
// lost UDP packet breaking one frame) leave a healthy stream healthy.
type quality struct {
	mu        sync.Mutex
	sec       int64     // mono second of cur
	cur, prev [2]uint64 // [video units, decode errors]
}

const secondNanos = int64(1e9)

// roll moves the window to the second of mono. Callers hold mu.
func (q *quality) roll(mono int64) {
	sec := mono / secondNanos
	switch {
	case sec == q.sec:
		return
	case sec == q.sec+1:
		q.prev = q.cur
	default:
		q.prev = [2]uint64{}
	}
	q.cur, q.sec = [2]uint64{}, sec
}

// unit records a video unit and reports whether the stream looks like video.
func (q *quality) unit(mono int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(mono)
	q.cur[0]++
	return q.cur[0]+q.prev[0] > q.cur[1]+q.prev[1]
}

// errors records n decode errors.
func (q *quality) errors(mono int64, n uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(mono)
	q.cur[1] += n
}

// corrupt reports whether decode errors arrived in the last two seconds
// (as of the last unit or error recorded).
func (q *quality) corrupt() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.cur[1]+q.prev[1] > 0
}
