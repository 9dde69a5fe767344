package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"matthan"
	"matthan/internal/fmp4"
	"matthan/internal/media"
)

// WebSocket close codes the player understands (4000-4999 are ours).
const (
	CloseStreamEnded websocket.StatusCode = 4001 // the camera stopped; reconnect later
	CloseError       websocket.StatusCode = 4002 // an error message was sent before; see it
	CloseTooSlow     websocket.StatusCode = 4003 // the viewer could not keep up
)

// fragmentEvery makes every video frame a fragment of its own: the fmp4
// writer closes a fragment when the next frame arrives, so a frame leaves
// one frame interval after it came, with its exact duration.
const fragmentEvery = time.Nanosecond

// mseWriteTimeout ends a viewer whose network stops taking data.
const mseWriteTimeout = 10 * time.Second

// MSEHeader is the first (text) message of an MSE session, and again
// whenever the stream's description changes (the player then starts a new
// MediaSource): what to pass to MediaSource.isTypeSupported and addSourceBuffer.
type MSEHeader struct {
	Session     string      `json:"session"`
	MIME        string      `json:"mime"` // video/mp4; codecs="avc1.64001f"
	Codec       media.Codec `json:"codec"`
	Width       int         `json:"width"`
	Height      int         `json:"height"`
	Audio       bool        `json:"audio"` // always false: MSE views are video only
	AudioNote   string      `json:"audio_note,omitempty"`
	AudioNoteVI string      `json:"audio_note_vi,omitempty"`
}

// mseError is the text message that carries an error, in the API's shape.
type mseError struct {
	Error *matthan.Error `json:"error"`
}

// ServeMSE streams a camera's video as fragmented MP4 over a WebSocket: a
// JSON MSEHeader (text), the init segment (binary), then one moof+mdat
// fragment per frame (binary), starting at a keyframe.
//
// A request that is not a WebSocket upgrade gets its error returned. Once
// upgraded, errors (camera not found, not streaming, stream ended) reach
// the player inside the socket as {"error":{…}} and a close code, and
// ServeMSE returns nil: nothing more can be written to w.
func (s *Server) ServeMSE(w http.ResponseWriter, r *http.Request, cameraID string, role matthan.StreamRole) error {
	hub, desc, herr := s.hubFor(cameraID, role)
	if !isWebSocket(r) {
		if herr != nil {
			return herr
		}
		return matthan.Errorf(matthan.EINVALID, "This address needs a WebSocket connection", "Địa chỉ này cần kết nối WebSocket")
	}
	c, err := websocket.Accept(w, r, nil) // checks Origin against Host
	if err != nil {
		return nil // Accept has answered
	}
	defer c.CloseNow()
	if herr != nil {
		sendError(r.Context(), c, herr)
		return nil
	}
	info := Info{ID: newSessionID(), Transport: MSE, CameraID: cameraID, Role: role,
		Video: desc.Tracks[desc.Video()].Codec, Remote: r.RemoteAddr, Started: time.Now()}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	ss := &session{info: info, cancel: cancel}
	if err := s.add(ss, 1); err != nil {
		sendError(r.Context(), c, err)
		return nil
	}
	defer s.wg.Done()
	defer s.remove(info.ID)

	log := s.log.With("camera", cameraID, "stream", string(role), "session", info.ID[:8], "transport", "mse")
	log.Info("live: session started", "remote", r.RemoteAddr)
	// The player sends nothing; reading handles pings and notices its close.
	ctx = c.CloseRead(ctx)
	code, reason := s.runMSE(ctx, c, hub, info.ID, log)
	log.Info("live: session ended", "reason", reason)
	if code != 0 {
		c.Close(code, reason)
	}
	return nil
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func sendError(ctx context.Context, c *websocket.Conn, err error) {
	var e *matthan.Error
	if !errors.As(err, &e) {
		e = matthan.Errorf(matthan.EINTERNAL, "Internal server error; the node's log has the details",
			"Lỗi nội bộ của máy chủ; chi tiết có trong nhật ký của nút")
	}
	b, _ := json.Marshal(mseError{e})
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, b)
	c.Close(CloseError, e.Code)
}

// runMSE sends the stream until something ends the session; it returns the
// close code (0: the connection is gone) and why.
func (s *Server) runMSE(ctx context.Context, c *websocket.Conn, hub *media.Hub, sid string, log *slog.Logger) (websocket.StatusCode, string) {
	sub := hub.Subscribe(s.deps.Queue)
	defer func() {
		s.skips.Add(sub.Skips())
		sub.Close()
	}()
	check := time.NewTicker(500 * time.Millisecond)
	defer check.Stop()

	var (
		buf  bytes.Buffer
		wr   *fmp4.Writer
		cur  *media.Desc // the description wr was made for
		seen *media.Desc // the last description whose codec was refused
	)
	write := func(typ websocket.MessageType, b []byte) error {
		wctx, cancel := context.WithTimeout(ctx, mseWriteTimeout)
		defer cancel()
		return c.Write(wctx, typ, b)
	}
	for {
		select {
		case <-ctx.Done():
			if s.ctx.Err() != nil {
				return websocket.StatusGoingAway, "the node is stopping"
			}
			return websocket.StatusNormalClosure, "closed"
		case <-check.C:
			if hub.Desc() == nil {
				return CloseStreamEnded, "stream ended"
			}
		case u, ok := <-sub.Units():
			if !ok {
				return CloseStreamEnded, "subscription closed"
			}
			if u.Desc != cur {
				// A new description starts a new file at its first keyframe.
				if !u.IsVideo() || !u.Key || u.Desc == seen {
					continue
				}
				hdr, init, err := mseStart(u.Desc, sid)
				if err != nil {
					seen = u.Desc
					log.Warn("live: cannot describe the stream for MSE", "err", err)
					continue
				}
				first := *u
				first.Desc = videoOnly(u.Desc)
				buf.Reset()
				w, err := fmp4.NewWriter(&buf, &first, u.Wall, fragmentEvery)
				if err != nil {
					seen = u.Desc
					log.Warn("live: cannot start fMP4 for MSE", "err", err)
					continue
				}
				buf.Reset() // NewWriter wrote its init and metadata box: we send our own init
				b, _ := json.Marshal(hdr)
				if err := write(websocket.MessageText, b); err != nil {
					return 0, "write: " + err.Error()
				}
				if err := write(websocket.MessageBinary, init); err != nil {
					return 0, "write: " + err.Error()
				}
				wr, cur = w, u.Desc
			}
			wrote, err := wr.WriteUnit(u)
			if err != nil {
				return websocket.StatusInternalError, "fmp4: " + err.Error()
			}
			if wrote && buf.Len() > 0 {
				n := buf.Len()
				if err := write(websocket.MessageBinary, buf.Bytes()); err != nil {
					if errors.Is(err, context.DeadlineExceeded) {
						return CloseTooSlow, "viewer too slow"
					}
					return 0, "write: " + err.Error()
				}
				buf.Reset()
				s.frames[1].Add(1)
				s.bytes[1].Add(uint64(n))
			}
		}
	}
}

// videoOnly returns a description whose non-video tracks the fmp4 writer
// ignores (MSE views have no sound: G.711 has no MSE support, and one
// SourceBuffer with audio stalls whenever the camera's audio has a gap).
// Track indexes stay the same, so units need no change.
func videoOnly(d *media.Desc) *media.Desc {
	out := &media.Desc{Tracks: make([]media.Track, len(d.Tracks))}
	copy(out.Tracks, d.Tracks)
	v := d.Video()
	for i := range out.Tracks {
		if i != v {
			out.Tracks[i] = media.Track{Codec: "none"}
		}
	}
	return out
}

// mseStart builds the header message and the init segment for d.
func mseStart(d *media.Desc, sid string) (MSEHeader, []byte, error) {
	t := &d.Tracks[d.Video()]
	cs, err := CodecString(t)
	if err != nil {
		return MSEHeader{}, nil, err
	}
	init, err := fmp4.Init(videoOnly(d))
	if err != nil {
		return MSEHeader{}, nil, err
	}
	h := MSEHeader{Session: sid, MIME: fmt.Sprintf("video/mp4; codecs=%q", cs), Codec: t.Codec,
		Width: t.Width, Height: t.Height}
	for i := range d.Tracks {
		if d.Tracks[i].Codec == media.AAC || d.Tracks[i].Codec == media.G711 {
			h.AudioNote = "This view has no sound; the WebRTC view carries G.711 sound"
			h.AudioNoteVI = "Khung xem này không có âm thanh; xem qua WebRTC sẽ có âm thanh G.711"
			if d.Tracks[i].Codec == media.AAC {
				h.AudioNote = "This view has no sound"
				h.AudioNoteVI = "Khung xem này không có âm thanh"
			}
			break
		}
	}
	return h, init, nil
}
