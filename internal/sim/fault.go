package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"matthan"
)

// FaultKind names a failure a simulated camera can be told to show.
type FaultKind string

const (
	FaultNone FaultKind = "none" // healthy; clears any fault
	// FaultDrop closes every session and connection of the camera now; it is
	// an action, not a state: clients may reconnect at once.
	FaultDrop FaultKind = "drop"
	// FaultStall stops the media but keeps sessions and TCP connections open.
	FaultStall FaultKind = "stall"
	// FaultGarbage sends RTP packets with random payloads instead of video.
	FaultGarbage FaultKind = "garbage"
	// FaultPassword requires User and Password (Basic or Digest); sessions
	// open when it is set are closed so that clients must log in.
	FaultPassword FaultKind = "password"
	// FaultResolution switches the main stream to 1280x720 at its next
	// keyframe, in the same session, with new SPS/PPS in-band (H.264 mains only).
	FaultResolution FaultKind = "resolution"
	// FaultOffline drops the camera's clients and leaves new connections
	// unanswered (closed) until cleared.
	FaultOffline FaultKind = "offline"
)

// FaultKinds lists every fault kind.
var FaultKinds = []FaultKind{FaultNone, FaultDrop, FaultStall, FaultGarbage, FaultPassword, FaultResolution, FaultOffline}

// Fault is what a camera is told to do wrong. User and Password are for FaultPassword.
type Fault struct {
	Kind     FaultKind `json:"fault"`
	User     string    `json:"user,omitempty"`
	Password string    `json:"password,omitempty"`
}

// SetFault makes a camera misbehave (or, with FaultNone, behave again). A
// camera has one fault at a time: a new one replaces the old; FaultDrop
// leaves the current one in place.
func (s *Server) SetFault(cameraID string, f Fault) error {
	c := s.byID[cameraID]
	if c == nil {
		return matthan.Errorf(matthan.ENOTFOUND,
			fmt.Sprintf("no simulated camera %q", cameraID),
			fmt.Sprintf("không có camera mô phỏng %q", cameraID))
	}
	log := s.log.With("camera", cameraID, "fault", string(f.Kind))
	switch f.Kind {
	case FaultNone, "":
		c.fault.Store(nil)
	case FaultDrop:
		n := s.disconnect(c)
		log.Info("simulated fault: connections dropped", "closed", n)
		return nil
	case FaultStall, FaultGarbage:
		c.fault.Store(&f)
	case FaultResolution:
		if c.main.alt == nil {
			return matthan.Errorf(matthan.EINVALID,
				fmt.Sprintf("camera %s has an H.265 main stream; the resolution fault needs H.264", cameraID),
				fmt.Sprintf("camera %s có luồng chính H.265; lỗi đổi độ phân giải cần luồng H.264", cameraID))
		}
		c.fault.Store(&f)
	case FaultPassword:
		if f.User == "" || f.Password == "" {
			return matthan.Errorf(matthan.EINVALID,
				"the password fault needs a user and a password",
				"lỗi mật khẩu cần tên đăng nhập và mật khẩu")
		}
		c.fault.Store(&f)
		s.disconnect(c)
	case FaultOffline:
		c.fault.Store(&f)
		s.disconnect(c)
	default:
		return matthan.Errorf(matthan.EINVALID,
			fmt.Sprintf("unknown fault %q (known: %v)", f.Kind, FaultKinds),
			fmt.Sprintf("lỗi mô phỏng không hợp lệ %q (hợp lệ: %v)", f.Kind, FaultKinds))
	}
	log.Info("simulated fault set")
	return nil
}

// FaultOf returns a camera's current fault (FaultNone when healthy).
func (s *Server) FaultOf(cameraID string) (Fault, error) {
	c := s.byID[cameraID]
	if c == nil {
		return Fault{}, matthan.Errorf(matthan.ENOTFOUND,
			fmt.Sprintf("no simulated camera %q", cameraID),
			fmt.Sprintf("không có camera mô phỏng %q", cameraID))
	}
	if f := c.fault.Load(); f != nil {
		return *f, nil
	}
	return Fault{Kind: FaultNone}, nil
}

// cameraStatus is a camera as the control API shows it; no password.
type cameraStatus struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Area      string    `json:"area"`
	Clip      string    `json:"clip"`
	MainURL   string    `json:"main_url"`
	SubURL    string    `json:"sub_url"`
	MainCodec Codec     `json:"main_codec"`
	MainSize  string    `json:"main_size"`
	Fault     FaultKind `json:"fault"`
	User      string    `json:"user,omitempty"` // the password fault's user
	Readers   int       `json:"readers"`
}

func (s *Server) status(c *camera) cameraStatus {
	st := cameraStatus{
		ID:        c.info.ID,
		Name:      c.info.Name,
		Area:      c.info.Area,
		Clip:      c.clip.name,
		MainURL:   s.URL(c.info.ID, matthan.StreamMain),
		SubURL:    s.URL(c.info.ID, matthan.StreamSub),
		MainCodec: c.main.base.codec,
		MainSize:  fmt.Sprintf("%dx%d", c.main.base.width, c.main.base.height),
		Fault:     FaultNone,
		Readers:   int(c.main.readers.Load() + c.sub.readers.Load()),
	}
	if f := c.fault.Load(); f != nil {
		st.Fault, st.User = f.Kind, f.User
		if f.Kind == FaultResolution {
			st.MainSize = fmt.Sprintf("%dx%d", c.main.alt.width, c.main.alt.height)
		}
	}
	return st
}

// ControlHandler is the HTTP API that tests and demos use to inspect the
// cameras and switch faults from another process:
//
//	GET    /cameras               list cameras with URLs and faults
//	POST   /cameras/{id}/fault    body {"fault":"stall"} or {"fault":"password","user":"u","password":"p"}
//	DELETE /cameras/{id}/fault    clear the fault
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cameras", func(w http.ResponseWriter, r *http.Request) {
		out := make([]cameraStatus, len(s.cams))
		for i, c := range s.cams {
			out[i] = s.status(c)
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /cameras/{id}/fault", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&f); err != nil {
			writeError(w, matthan.Errorf(matthan.EINVALID,
				"body must be JSON like {\"fault\":\"stall\"}: "+err.Error(),
				"nội dung phải là JSON dạng {\"fault\":\"stall\"}: "+err.Error()))
			return
		}
		s.answerFault(w, r.PathValue("id"), f)
	})
	mux.HandleFunc("DELETE /cameras/{id}/fault", func(w http.ResponseWriter, r *http.Request) {
		s.answerFault(w, r.PathValue("id"), Fault{Kind: FaultNone})
	})
	return mux
}

func (s *Server) answerFault(w http.ResponseWriter, id string, f Fault) {
	if err := s.SetFault(id, f); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.status(s.byID[id]))
}

func writeError(w http.ResponseWriter, err error) {
	var e *matthan.Error
	if !errors.As(err, &e) {
		e = matthan.Errorf(matthan.EINTERNAL, err.Error(), err.Error())
	}
	code := http.StatusInternalServerError
	switch e.Code {
	case matthan.EINVALID:
		code = http.StatusBadRequest
	case matthan.ENOTFOUND:
		code = http.StatusNotFound
	}
	writeJSON(w, code, e)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
