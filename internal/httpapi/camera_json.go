package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"matthan"
	"matthan/internal/secret"
)

// cameraInput is the body of POST and PUT /api/cameras. It has every
// camera field, plus the write-only password and an optional brand preset.
//
// Password: omitted or null keeps the stored password (on create: none);
// "" clears it; any other value replaces it. Enabled: omitted means true on
// create and unchanged on update. RecordSub: omitted means false on create
// and unchanged on update. RetainDays and QuotaBytes: omitted means 0 (the
// node's defaults) on create and unchanged on update. Source: omitted means
// "pull".
//
// The read-only fields of a camera response (has_password, streams,
// created_at, updated_at) are accepted and ignored, so a client may send
// back what it read.
type cameraInput struct {
	ID         string             `json:"id"`
	Name       string             `json:"name"`
	Area       string             `json:"area"`
	Address    string             `json:"address"`
	Latitude   float64            `json:"latitude"`
	Longitude  float64            `json:"longitude"`
	Owner      matthan.Owner      `json:"owner"`
	Source     matthan.SourceMode `json:"source"`
	MainURL    string             `json:"main_url"`
	SubURL     string             `json:"sub_url"`
	Username   string             `json:"username"`
	Password   *string            `json:"password"`
	Enabled    *bool              `json:"enabled"`
	RecordSub  *bool              `json:"record_sub"`
	RetainDays *int               `json:"retain_days"`
	QuotaBytes *int64             `json:"quota_bytes"`
	Tags       []string           `json:"tags"`
	Notes      string             `json:"notes"`
	Preset     *matthan.Preset    `json:"preset"`
	// Contributor, Sharing and Direction: omitted means unchanged (on
	// create: a ward camera, shared live, direction unknown).
	Contributor *string          `json:"contributor"`
	Sharing     *matthan.Sharing `json:"sharing"`
	Direction   *float64         `json:"direction"`
	// PrivacyMasks: omitted means unchanged.
	PrivacyMasks *[]matthan.PrivacyMask `json:"privacy_masks"`

	// Approval is set by POST /api/cameras/{id}/approval, not here.
	Approval     json.RawMessage `json:"approval"`
	ApprovalNote json.RawMessage `json:"approval_note"`
	HasPassword  json.RawMessage `json:"has_password"`
	Streams      json.RawMessage `json:"streams"`
	CreatedAt    json.RawMessage `json:"created_at"`
	UpdatedAt    json.RawMessage `json:"updated_at"`
}

// decodeJSON reads one JSON object from r's body into v, strictly: unknown
// fields, trailing data and bodies over maxBodyBytes are errors. Messages
// name the problem and the field but never quote input values.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeStrict(http.MaxBytesReader(w, r.Body, maxBodyBytes), v)
}

func decodeStrict(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() || dec.Decode(&struct{}{}) != io.EOF {
			return badBody("The request body must hold exactly one JSON object",
				"Nội dung yêu cầu phải là đúng một đối tượng JSON")
		}
		return nil
	}

	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooBig    *http.MaxBytesError
		domainErr *matthan.Error
	)
	switch {
	case errors.As(err, &domainErr): // a type's own UnmarshalJSON said what is wrong
		return domainErr
	case errors.Is(err, io.EOF):
		return badBody("The request body is empty; send a JSON object",
			"Nội dung yêu cầu đang trống; hãy gửi một đối tượng JSON")
	case errors.As(err, &tooBig):
		return badBody("The request body is larger than 1 MiB",
			"Nội dung yêu cầu lớn hơn 1 MiB")
	case errors.As(err, &syntaxErr):
		return badBody(fmt.Sprintf("Malformed JSON at byte %d", syntaxErr.Offset),
			fmt.Sprintf("JSON sai cú pháp tại byte %d", syntaxErr.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badBody("Malformed JSON: the body ends too early",
			"JSON sai cú pháp: nội dung bị cắt cụt")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return badBody("The request body must be a JSON object",
				"Nội dung yêu cầu phải là một đối tượng JSON")
		}
		return &matthan.Error{
			Code: matthan.EINVALID, Message: "The request has a field of the wrong type",
			MessageVI: "Yêu cầu có trường sai kiểu dữ liệu",
			Fields: []matthan.FieldError{{
				Field:     field,
				Message:   fmt.Sprintf("Must be a JSON %s", jsonKind(typeErr.Type.Kind().String())),
				MessageVI: fmt.Sprintf("Phải là kiểu JSON %s", jsonKind(typeErr.Type.Kind().String())),
			}},
		}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this; the name is quoted by it.
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		name = strings.Trim(name, `"`)
		if len(name) > 64 {
			name = name[:64] + "…"
		}
		return &matthan.Error{
			Code: matthan.EINVALID, Message: "The request has an unknown field",
			MessageVI: "Yêu cầu có trường không được hỗ trợ",
			Fields: []matthan.FieldError{{
				Field: name, Message: "Unknown field", MessageVI: "Trường không được hỗ trợ",
			}},
		}
	default:
		return badBody("The request body is not valid JSON", "Nội dung yêu cầu không phải JSON hợp lệ")
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "float64", "float32", "int", "int64", "int32", "uint", "uint64":
		return "number"
	case "slice", "array":
		return "array"
	default:
		return "object"
	}
}

func badBody(en, vi string) error {
	return matthan.Errorf(matthan.EINVALID, en, vi)
}

// toCamera applies the input onto c: the stored camera on update, a new one
// on create. It fills URLs from the preset, moves credentials out of pasted
// URLs and validates. c is changed even when an error is returned.
func (in *cameraInput) toCamera(c *matthan.Camera, creating bool) error {
	stored := *c
	c.ID = in.ID
	c.Name = strings.TrimSpace(in.Name)
	c.Area = strings.TrimSpace(in.Area)
	c.Address = strings.TrimSpace(in.Address)
	c.Latitude, c.Longitude = in.Latitude, in.Longitude
	c.Owner = matthan.Owner{
		Kind:    in.Owner.Kind,
		Name:    strings.TrimSpace(in.Owner.Name),
		Contact: strings.TrimSpace(in.Owner.Contact),
	}
	c.Source = in.Source
	if c.Source == "" {
		c.Source = matthan.SourcePull
	}
	c.MainURL, c.SubURL = in.MainURL, in.SubURL
	c.Username = in.Username
	if in.Password != nil {
		c.Password = *in.Password
	}
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	} else if creating {
		c.Enabled = true
	}
	if in.RecordSub != nil {
		c.RecordSub = *in.RecordSub
	}
	if in.RetainDays != nil {
		c.RetainDays = *in.RetainDays
	}
	if in.QuotaBytes != nil {
		c.QuotaBytes = *in.QuotaBytes
	}
	c.Tags = in.Tags
	c.Notes = in.Notes
	if in.Contributor != nil {
		c.Contributor = strings.TrimSpace(*in.Contributor)
	}
	if in.Sharing != nil {
		c.Sharing = *in.Sharing
	}
	if in.PrivacyMasks != nil {
		c.PrivacyMasks = *in.PrivacyMasks
	}
	if in.Direction != nil {
		c.Direction = in.Direction
	}

	// A client that sends back what it read sends redacted URLs; keep the
	// stored URL rather than store the "***".
	if !creating {
		if c.MainURL == redactURL(stored.MainURL) {
			c.MainURL = stored.MainURL
		}
		if c.SubURL == redactURL(stored.SubURL) {
			c.SubURL = stored.SubURL
		}
	}

	var fields []matthan.FieldError
	if in.Preset != nil {
		if in.MainURL != "" || in.SubURL != "" {
			fields = append(fields, matthan.FieldError{
				Field:     "preset",
				Message:   "Give either a brand preset or stream URLs, not both",
				MessageVI: "Chỉ nhập mẫu theo hãng hoặc địa chỉ luồng, không nhập cả hai",
			})
		} else if main, sub, err := in.Preset.URLs(); err != nil {
			var e *matthan.Error
			if !errors.As(err, &e) {
				return err
			}
			fields = append(fields, e.Fields...)
		} else {
			c.MainURL, c.SubURL = main, sub
		}
	}

	presetFailed := len(fields) > 0
	c.NormalizeURLs()
	if err := c.Validate(); err != nil {
		var e *matthan.Error
		if !errors.As(err, &e) {
			return err
		}
		for _, f := range e.Fields {
			if presetFailed && (f.Field == "main_url" || f.Field == "sub_url") {
				continue // the preset was to fill them; its own error says why it did not
			}
			fields = append(fields, f)
		}
	}
	if len(fields) > 0 {
		return &matthan.Error{
			Code:      matthan.EINVALID,
			Message:   "The camera has invalid fields",
			MessageVI: "Thông tin camera có trường không hợp lệ",
			Fields:    fields,
		}
	}
	return nil
}

// redactURL hides any password left in a stream URL before it is shown.
func redactURL(u string) string {
	if u == "" {
		return ""
	}
	return secret.RedactURL(u)
}

// cameraView is a camera as the API returns it: no password, redacted URLs,
// and the live state of each stream.
type cameraView struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Area        string             `json:"area"`
	Address     string             `json:"address"`
	Latitude    float64            `json:"latitude"`
	Longitude   float64            `json:"longitude"`
	Owner       matthan.Owner      `json:"owner"`
	Source      matthan.SourceMode `json:"source"`
	MainURL     string             `json:"main_url"`
	SubURL      string             `json:"sub_url"`
	Username    string             `json:"username"`
	HasPassword bool               `json:"has_password"`
	Enabled     bool               `json:"enabled"`
	RecordSub   bool               `json:"record_sub"`
	RetainDays  int                `json:"retain_days"`
	QuotaBytes  int64              `json:"quota_bytes"`
	Tags        []string           `json:"tags"`
	Notes       string             `json:"notes"`
	// Contributor is the owner's portal account ("" for the ward's own);
	// Approval and Sharing are always spelt out.
	Contributor  string           `json:"contributor"`
	Approval     matthan.Approval `json:"approval"`
	ApprovalNote string           `json:"approval_note"`
	Sharing      matthan.Sharing  `json:"sharing"`
	Direction    *float64         `json:"direction"`
	// PrivacyMasks are always spelt out ([] for none): live view draws
	// them over the picture.
	PrivacyMasks []matthan.PrivacyMask `json:"privacy_masks"`
	CreatedAt    time.Time             `json:"created_at"`
	UpdatedAt    time.Time             `json:"updated_at"`
	Streams      []streamView          `json:"streams"`
}

// streamView is one stream's state and figures, flat so clients read
// streams[i].state, .reason, .fps, .bitrate directly.
type streamView struct {
	Role             matthan.StreamRole  `json:"role"`
	State            matthan.StreamState `json:"state"`
	Reason           string              `json:"reason"`
	ReasonVI         string              `json:"reason_vi"`
	Since            *time.Time          `json:"since"`
	FPS              float64             `json:"fps"`
	Bitrate          float64             `json:"bitrate"`
	Codec            string              `json:"codec"`
	Width            int                 `json:"width"`
	Height           int                 `json:"height"`
	KeyframeInterval float64             `json:"keyframe_interval"`
	PacketsLost      uint64              `json:"packets_lost"`
	Reconnects       uint64              `json:"reconnects"`
	LastFrameAt      *time.Time          `json:"last_frame_at"`
	// ClockOffsetMS is the camera's clock minus the node's, in
	// milliseconds; absent while unknown (no recorder, or the camera
	// sends no time).
	ClockOffsetMS *int64 `json:"clock_offset_ms,omitempty"`
}

func (s *Server) view(c *matthan.Camera) cameraView {
	v := cameraView{
		ID: c.ID, Name: c.Name, Area: c.Area, Address: c.Address,
		Latitude: c.Latitude, Longitude: c.Longitude, Owner: c.Owner, Source: c.Source,
		MainURL: redactURL(c.MainURL), SubURL: redactURL(c.SubURL),
		Username: c.Username, HasPassword: c.Password != "",
		Enabled: c.Enabled, RecordSub: c.RecordSub, RetainDays: c.RetainDays, QuotaBytes: c.QuotaBytes,
		Tags: c.Tags, Notes: c.Notes,
		Contributor: c.Contributor, Approval: c.Approval, ApprovalNote: c.ApprovalNote, Sharing: c.Sharing, Direction: c.Direction,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if v.Approval == "" {
		v.Approval = matthan.ApprovalApproved
	}
	if v.Sharing.Mode == "" {
		v.Sharing.Mode = matthan.ShareLive
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if v.PrivacyMasks = c.PrivacyMasks; v.PrivacyMasks == nil {
		v.PrivacyMasks = []matthan.PrivacyMask{}
	}
	var statuses []matthan.StreamStatus
	if s.deps.Status != nil {
		statuses = s.deps.Status.Status(c.ID)
	}
	for _, role := range c.Roles() {
		sv := streamOf(c, role, statuses)
		if s.deps.Clocks != nil {
			if off, ok := s.deps.Clocks.ClockOffset(c.ID, role); ok {
				ms := off.Milliseconds()
				sv.ClockOffsetMS = &ms
			}
		}
		v.Streams = append(v.Streams, sv)
	}
	return v
}

func streamOf(c *matthan.Camera, role matthan.StreamRole, statuses []matthan.StreamStatus) streamView {
	for _, st := range statuses {
		if st.Role != role {
			continue
		}
		return streamView{
			Role: role, State: st.State, Reason: st.Reason, ReasonVI: st.ReasonVI,
			Since: timeOrNil(st.Since), FPS: st.Stats.FPS, Bitrate: st.Stats.Bitrate,
			Codec: st.Stats.Codec, Width: st.Stats.Width, Height: st.Stats.Height,
			KeyframeInterval: st.Stats.KeyframeInterval, PacketsLost: st.Stats.PacketsLost,
			Reconnects: st.Stats.Reconnects, LastFrameAt: timeOrNil(st.Stats.LastFrameAt),
		}
	}
	// Ingest has not reported this stream (yet).
	if !c.Enabled {
		return streamView{Role: role, State: matthan.StateDisabled,
			Reason:   "The camera is switched off in the registry",
			ReasonVI: "Camera đang bị tắt trong danh mục"}
	}
	return streamView{Role: role, State: matthan.StateConnecting,
		Reason:   "Waiting for the first connection",
		ReasonVI: "Đang chờ kết nối lần đầu"}
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
