package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"matthan"
	"matthan/internal/rtsp"
)

// probeView is the answer of POST /api/cameras/test: what each stream of
// the camera said to one test connection. OK is true when every stream
// played; Error is the first failure, for a one-line message.
type probeView struct {
	OK      bool              `json:"ok"`
	Streams []probeStreamView `json:"streams"`
	Error   *probeError       `json:"error,omitempty"`
}

type probeStreamView struct {
	Role   matthan.StreamRole `json:"role"`
	OK     bool               `json:"ok"`
	Codec  string             `json:"codec,omitempty"`
	Width  int                `json:"width,omitempty"`
	Height int                `json:"height,omitempty"`
	FPS    float64            `json:"fps,omitempty"`
	Audio  string             `json:"audio"` // "" without audio
	Error  *probeError        `json:"error,omitempty"`
}

// probeError is why a stream failed, in both languages, with the state
// the camera's health would show.
type probeError struct {
	State     matthan.StreamState `json:"state"`
	Message   string              `json:"message"`
	MessageVI string              `json:"message_vi"`
}

// probeFields are the fields a test connection uses; errors in the others
// (a name not typed yet) do not stop it.
func probeField(f string) bool {
	switch f {
	case "main_url", "sub_url", "source", "username", "password":
		return true
	}
	return strings.HasPrefix(f, "preset")
}

// handleTestCamera answers POST /api/cameras/test. The body is a camera as
// for POST /api/cameras (password included), or {"id": "cam-001"} for a
// stored camera as it is; with an id and other fields, the fields are
// applied over the stored camera as an update would (a null password keeps
// the stored one). Each stream is connected to once, with a short timeout;
// nothing is stored. Audited as camera.test, without URLs or passwords.
func (s *Server) handleTestCamera(w http.ResponseWriter, r *http.Request, u *matthan.User) error {
	var in cameraInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.probeTarget(r, &in)
	if err != nil {
		return err
	}
	if c.Source == matthan.SourcePush {
		return &matthan.Error{Code: matthan.EINVALID,
			Message:   "A pushing camera connects to the node by itself; watch its state instead of testing it",
			MessageVI: "Camera đẩy luồng (push) tự kết nối tới máy chủ; hãy xem trạng thái của nó thay vì kiểm tra",
			Fields: []matthan.FieldError{{Field: "source", Message: "Only a pulled camera can be tested",
				MessageVI: "Chỉ kiểm tra được camera kéo luồng (pull)"}}}
	}

	roles := c.Roles()
	out := probeView{Streams: make([]probeStreamView, len(roles))}
	var wg sync.WaitGroup
	for i, role := range roles {
		url := c.MainURL
		if role == matthan.StreamSub {
			url = c.SubURL
		}
		wg.Go(func() {
			res, err := rtsp.Probe(r.Context(), rtsp.PullRequest{URL: url, Username: c.Username, Password: c.Password,
				Transport: rtsp.TransportTCP}, s.log.With("camera", c.ID, "stream", string(role)))
			out.Streams[i] = probeStream(role, res, err)
		})
	}
	wg.Wait()
	if err := r.Context().Err(); err != nil {
		return fmt.Errorf("test camera: %w", err)
	}
	out.OK = true
	var detail []string
	for _, st := range out.Streams {
		if st.OK {
			detail = append(detail, fmt.Sprintf("%s: ok %s %dx%d", st.Role, st.Codec, st.Width, st.Height))
			continue
		}
		detail = append(detail, fmt.Sprintf("%s: %s", st.Role, st.Error.State))
		if out.OK {
			out.OK, out.Error = false, st.Error
		}
	}
	e := &matthan.AuditEntry{At: s.now().UTC(), User: u.Name, Action: "camera.test", CameraID: c.ID,
		Remote: remoteHost(r), Detail: strings.Join(detail, "; ")}
	if err := s.deps.Store.AddAudit(r.Context(), e); err != nil {
		s.log.ErrorContext(r.Context(), "audit write failed", "camera", c.ID, "action", e.Action, "err", err)
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// probeTarget is the camera a test connection is for: the stored one, the
// body over the stored one, or the body alone.
func (s *Server) probeTarget(r *http.Request, in *cameraInput) (*matthan.Camera, error) {
	onlyID := in.MainURL == "" && in.SubURL == "" && in.Preset == nil
	c := &matthan.Camera{}
	creating := true
	if in.ID != "" {
		stored, err := s.deps.Store.Camera(r.Context(), in.ID)
		switch {
		case err == nil:
			if onlyID {
				return stored, nil
			}
			c, creating = stored, false
		case matthan.ErrorCode(err) != matthan.ENOTFOUND || onlyID:
			return nil, fmt.Errorf("get camera: %w", err)
		}
	}
	err := in.toCamera(c, creating)
	var e *matthan.Error
	if err != nil && !errors.As(err, &e) {
		return nil, err
	}
	if e != nil {
		var fields []matthan.FieldError
		for _, f := range e.Fields {
			if probeField(f.Field) {
				fields = append(fields, f)
			}
		}
		if len(fields) > 0 {
			e2 := *e
			e2.Fields = fields
			return nil, &e2
		}
	}
	return c, nil
}

func probeStream(role matthan.StreamRole, res rtsp.ProbeResult, err error) probeStreamView {
	if err == nil {
		return probeStreamView{Role: role, OK: true, Codec: string(res.Codec), Width: res.Width, Height: res.Height,
			FPS: res.FPS, Audio: string(res.Audio)}
	}
	var se *matthan.StreamError
	if !errors.As(err, &se) {
		// Probe returns only stream errors, or the request's own end.
		se = &matthan.StreamError{State: matthan.StateOffline, Reason: "the test was interrupted",
			ReasonVI: "việc kiểm tra bị ngắt"}
	}
	return probeStreamView{Role: role, Error: &probeError{State: se.State, Message: capitalize(se.Reason),
		MessageVI: capitalize(se.ReasonVI)}}
}

// capitalize starts a reason with a capital letter for a message on its own.
func capitalize(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}
