package sim

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
)

// BenchmarkServe measures what the simulator costs when 100 cameras' main
// and sub streams are all being read. The readers are raw RTSP-over-TCP
// clients that discard what they receive, so nearly all the CPU time
// measured is the simulator's. Run with:
//
//	go test -run '^$' -bench Serve -benchtime 1x ./internal/sim
func BenchmarkServe(b *testing.B) {
	const cameras = 100
	const window = 5 * time.Second
	s, err := New(testLibrary(b), Config{Addr: "127.0.0.1:0", Cameras: cameras, H265Every: 4}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	var readers []*rawReader
	for _, c := range s.Cameras() {
		for _, u := range []string{c.MainURL, c.SubURL} {
			r, err := rawPlay(s.Addr(), u)
			if err != nil {
				b.Fatal(err)
			}
			defer r.conn.Close()
			readers = append(readers, r)
		}
	}
	time.Sleep(time.Second) // let every stream reach its steady state

	b.ResetTimer()
	for range b.N {
		var bytesBefore int64
		for _, r := range readers {
			bytesBefore += r.bytes()
		}
		cpuBefore := cpuTime()
		time.Sleep(window)
		cpu := cpuTime() - cpuBefore
		var bytesAfter int64
		for _, r := range readers {
			bytesAfter += r.bytes()
		}
		b.ReportMetric(100*cpu.Seconds()/window.Seconds(), "%cpu")
		b.ReportMetric(100*cpu.Seconds()/window.Seconds()/cameras, "%cpu/camera")
		b.ReportMetric(float64(bytesAfter-bytesBefore)*8/window.Seconds()/1e6, "Mbit/s")
	}
}

// rawReader is a minimal RTSP client: it plays one stream over TCP and
// counts the bytes it receives.
type rawReader struct {
	conn net.Conn
	n    chan int64
}

func (r *rawReader) bytes() int64 {
	v := <-r.n
	r.n <- v
	return v
}

func rawPlay(host, url string) (*rawReader, error) {
	conn, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	cseq := 0
	do := func(method, u string, hdr base.Header) (*base.Response, error) {
		cseq++
		if hdr == nil {
			hdr = base.Header{}
		}
		hdr["CSeq"] = base.HeaderValue{fmt.Sprint(cseq)}
		pu, err := base.ParseURL(u)
		if err != nil {
			return nil, err
		}
		req := base.Request{Method: base.Method(method), URL: pu, Header: hdr}
		buf, err := req.Marshal()
		if err != nil {
			return nil, err
		}
		if _, err := conn.Write(buf); err != nil {
			return nil, err
		}
		var res base.Response
		if err := res.Unmarshal(br); err != nil {
			return nil, err
		}
		if res.StatusCode != base.StatusOK {
			return nil, fmt.Errorf("%s %s: %d", method, u, res.StatusCode)
		}
		return &res, nil
	}
	if _, err := do("DESCRIBE", url, nil); err != nil {
		conn.Close()
		return nil, err
	}
	res, err := do("SETUP", url+"/trackID=0", base.Header{"Transport": base.HeaderValue{"RTP/AVP/TCP;unicast;interleaved=0-1"}})
	if err != nil {
		conn.Close()
		return nil, err
	}
	sessionID, _, _ := strings.Cut(res.Header["Session"][0], ";")
	if _, err := do("PLAY", url, base.Header{"Session": base.HeaderValue{sessionID}}); err != nil {
		conn.Close()
		return nil, err
	}
	r := &rawReader{conn: conn, n: make(chan int64, 1)}
	r.n <- 0
	go func() {
		buf := make([]byte, 64<<10)
		for {
			k, err := br.Read(buf)
			v := <-r.n
			r.n <- v + int64(k)
			if err != nil {
				return // closed at the end of the benchmark
			}
		}
	}()
	return r, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
