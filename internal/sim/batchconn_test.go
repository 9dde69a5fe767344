package sim

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestBatchConn checks that batching keeps every byte in order, including
// writes larger than a batch, and that Close sends what is still gathered
// (an RTSP response written just before the connection is closed).
func TestBatchConn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	bl := batchListener{l}

	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := bl.Accept()
	if err != nil {
		t.Fatal(err)
	}

	var want []byte
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(client)
		got <- b
	}()
	for i, size := range []int{1, 1400, 12, batchMax + 5, 1400, 3} {
		p := bytes.Repeat([]byte{byte('a' + i)}, size)
		want = append(want, p...)
		if n, err := server.Write(p); err != nil || n != size {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	time.Sleep(2 * batchDelay) // some flushed by the timer…
	last := []byte("RTSP/1.0 401 Unauthorized\r\n\r\n")
	want = append(want, last...)
	if _, err := server.Write(last); err != nil {
		t.Fatal(err)
	}
	if err := server.Close(); err != nil { // …the rest by Close
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, want) {
			t.Fatalf("received %d bytes, want %d (or different order)", len(b), len(want))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reader did not see the connection close")
	}
	if _, err := server.Write([]byte("x")); err == nil {
		t.Error("write after close succeeded")
	}
}
