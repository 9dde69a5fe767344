package rtsp

import (
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"

	"matthan"
	"matthan/internal/media"
)

// publisher is a camera (or agent) pushing one stream to the server.
type publisher struct {
	key     streamKey
	session *gortsplib.ServerSession
	sel     []selected

	// Set at RECORD, under Server.mu.
	recv media.Receiver
	dp   *depacketizer
	done func(error)

	finishOnce sync.Once
}

// finish tells the registry the publisher left.
func (p *publisher) finish(err error) {
	p.finishOnce.Do(func() {
		if p.done != nil {
			p.done(err)
		}
	})
}

// announce admits a publisher: the path must name a push camera, the
// credentials must be that camera's, the stream must carry H.264/H.265, and
// nobody else may be publishing to the path.
func (s *Server) announce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	key, ok := parseStreamPath(ctx.Path)
	if !ok {
		return badPath(), nil
	}
	user, pass, ok := s.Registry.PushCredentials(key.camera)
	if !ok {
		return refuse(base.StatusNotFound, "Not Found: unknown camera or not a push camera"), nil
	}
	if !ctx.Conn.VerifyCredentials(ctx.Request, user, pass) {
		if len(ctx.Request.Header["Authorization"]) > 0 {
			s.Log.Warn("rtsp: publisher refused", "camera", key.camera, "stream", key.role, "remote", remoteAddr(ctx.Conn))
		}
		return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
	}
	sel, found := selectTracks(ctx.Description.Medias)
	if len(sel) == 0 {
		return refuse(base.StatusBadRequest, "Bad Request: no H.264 or H.265 video (found: "+codecList(found)+")"), nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if other := s.publishers[key]; other != nil && other.session != ctx.Session {
		s.Log.Warn("rtsp: second publisher refused", "camera", key.camera, "stream", key.role, "remote", remoteAddr(ctx.Conn))
		return refuse(409, "Conflict: another publisher is already sending this stream"), nil
	}
	p := &publisher{key: key, session: ctx.Session, sel: sel}
	s.publishers[key] = p
	s.published[ctx.Session] = p
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// record starts the push: StartPush gives the receiver, and every RTP packet
// of the chosen tracks goes through the depacketizer to it.
func (s *Server) record(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	s.mu.Lock()
	p := s.published[ctx.Session]
	s.mu.Unlock()
	if p == nil {
		return refuse(base.StatusBadRequest, "Bad Request: ANNOUNCE first"), nil
	}
	remote := remoteAddr(ctx.Conn)
	recv, done, err := s.Registry.StartPush(p.key.camera, p.key.role, remote)
	if err != nil {
		s.Log.Warn("rtsp: push refused", "camera", p.key.camera, "stream", p.key.role, "err", err)
		switch matthan.ErrorCode(err) {
		case matthan.ENOTFOUND:
			return refuse(base.StatusNotFound, "Not Found: unknown camera"), nil
		case matthan.EFORBIDDEN, matthan.EUNAUTHORIZED:
			return refuse(base.StatusForbidden, "Forbidden: this camera may not push now"), nil
		}
		return refuse(base.StatusServiceUnavailable, "Service Unavailable: cannot take this stream now"), nil
	}
	log := s.Log.With("camera", p.key.camera, "stream", p.key.role)
	dp, err := newDepacketizer(p.sel, recv, log)
	if err != nil {
		if done != nil {
			done(err)
		}
		return refuse(base.StatusBadRequest, "Bad Request: the video cannot be decoded"), nil
	}
	s.mu.Lock()
	p.recv, p.dp, p.done = recv, dp, done
	s.mu.Unlock()

	session := ctx.Session
	for i, sl := range p.sel {
		session.OnPacketRTP(sl.media, sl.format, func(pkt *rtp.Packet) {
			received := time.Now()
			pts, ok := session.PacketPTS(sl.media, pkt)
			if !ok {
				return
			}
			ntp, ntpOK := session.PacketNTP(sl.media, pkt)
			dp.handle(i, pkt, pts, ntp, ntpOK, received)
		})
	}
	if e, ok := recv.(media.Ender); ok {
		// Ingest is done with this publisher (camera switched off, settings
		// changed, replaced): hang up rather than take video nobody uses.
		go func() {
			select {
			case <-e.Ended():
				session.Close()
			case <-s.ctx.Done():
			}
		}()
	}
	log.Info("rtsp: publisher recording", "remote", remote, "codec", p.sel[0].track.Codec, "tracks", len(p.sel))
	return &base.Response{StatusCode: base.StatusOK}, nil
}
