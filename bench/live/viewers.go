//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// loadClient opens WHEP sessions against the node, as many browsers would:
// one peer connection per viewer, receive-only video, with the receiver
// reports and NACKs of pion's default interceptors. It runs inside the
// orchestrator; only the node's process is measured.
type loadClient struct {
	api   *webrtc.API
	base  string // http://host:port of the node
	token string // Bearer token with the live scope
	http  *http.Client
}

func newLoadClient(base, token string) (*loadClient, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, err
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	// Loopback only: the node is on this machine, and one candidate per
	// viewer keeps N viewers' ICE checks cheap.
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	return &loadClient{api: api, base: base, token: token, http: &http.Client{Timeout: 20 * time.Second}}, nil
}

// viewer is one WHEP session and what it has received.
type viewer struct {
	camera, stream string
	pc             *webrtc.PeerConnection
	location       string // the session's URL, for DELETE
	packets        atomic.Uint64
	bytes          atomic.Uint64 // RTP payload bytes
	failed         atomic.Bool   // ICE/DTLS failed or the peer closed while measured
	done           chan struct{} // the track reader ended
}

// counts are a viewer's counters at a moment.
type counts struct {
	Packets, Bytes uint64
}

func (v *viewer) counts() counts { return counts{v.packets.Load(), v.bytes.Load()} }

// open starts one viewer of camera's stream: offer, WHEP POST, answer.
func (c *loadClient) open(ctx context.Context, camera, stream string) (*viewer, error) {
	pc, err := c.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	v := &viewer{camera: camera, stream: stream, pc: pc, done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			pc.Close()
		}
	}()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return nil, err
	}
	var once sync.Once
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if t.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		once.Do(func() {
			defer close(v.done)
			buf := make([]byte, 1600)
			var h rtp.Header
			for {
				n, _, err := t.Read(buf)
				if err != nil {
					return
				}
				hl, err := h.Unmarshal(buf[:n])
				if err != nil {
					continue
				}
				v.packets.Add(1)
				v.bytes.Add(uint64(n - hl))
			}
		})
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed {
			v.failed.Store(true)
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	url := fmt.Sprintf("%s/api/cameras/%s/live/%s/whep", c.base, camera, stream)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("WHEP %s/%s: %s: %s", camera, stream, resp.Status, strings.TrimSpace(string(answer)))
	}
	v.location = c.base + resp.Header.Get("Location")
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		c.delete(v)
		return nil, fmt.Errorf("WHEP %s/%s answer: %w", camera, stream, err)
	}
	ok = true
	return v, nil
}

// delete ends the viewer's session on the node (DELETE), as the player does.
func (c *loadClient) delete(v *viewer) {
	if v.location == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, v.location, nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if resp, err := c.http.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// close ends a viewer: its session on the node, then its connection.
func (c *loadClient) close(v *viewer) {
	c.delete(v)
	v.pc.Close()
}

// openAll opens n viewers of stream, spread over cameras in turn, a few at
// a time. On error it closes what it opened.
func (c *loadClient) openAll(ctx context.Context, cameras []string, stream string, n int) ([]*viewer, error) {
	vs := make([]*viewer, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			vs[i], errs[i] = c.open(ctx, cameras[i%len(cameras)], stream)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.closeAll(vs)
		return nil, err
	}
	return vs, nil
}

func (c *loadClient) closeAll(vs []*viewer) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, v := range vs {
		if v == nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c.close(v)
		})
	}
	wg.Wait()
}
