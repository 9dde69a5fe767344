package rtsp

import (
	"bufio"
	"context"
	"net"
)

// readBufferSize is how much of a camera's TCP stream one read syscall takes.
// gortsplib reads through a 4 KiB buffer, which costs several syscalls per
// 1080p frame; reading ahead in bigger chunks cuts that to about one.
const readBufferSize = 32 << 10

// bufferedConn is a connection whose reads go through a larger buffer.
// Deadlines, writes and Close pass straight to the connection.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// dialBuffered dials like net.Dialer and wraps TCP connections in a read buffer.
func dialBuffered(ctx context.Context, network, address string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, readBufferSize)}, nil
}
