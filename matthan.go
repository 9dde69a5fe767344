// Package matthan holds Mắt Thần's domain types and the ports (Store, Bus,
// Sealer) that infrastructure packages implement. It imports no infrastructure.
package matthan

import (
	"context"
	"time"
)

// OwnerKind says who owns a camera: the ward itself or a contributor.
type OwnerKind string

const (
	OwnerWard      OwnerKind = "ward"
	OwnerHousehold OwnerKind = "household"
	OwnerShop      OwnerKind = "shop"
	OwnerSchool    OwnerKind = "school"
	OwnerAgency    OwnerKind = "agency"
)

// OwnerKinds lists every valid owner kind, in display order.
var OwnerKinds = []OwnerKind{OwnerWard, OwnerHousehold, OwnerShop, OwnerSchool, OwnerAgency}

// Owner is the person or body a camera belongs to.
type Owner struct {
	Kind    OwnerKind `json:"kind"`
	Name    string    `json:"name"`
	Contact string    `json:"contact"` // phone or e-mail
}

// SourceMode says how the node gets a camera's video.
type SourceMode string

const (
	// SourcePull: the node connects to the camera's RTSP URLs.
	SourcePull SourceMode = "pull"
	// SourcePush: the camera (or an agent behind NAT) publishes to the node
	// with RTSP ANNOUNCE/RECORD, using the camera's credentials.
	SourcePush SourceMode = "push"
)

// StreamRole names one of a camera's streams.
type StreamRole string

const (
	StreamMain StreamRole = "main" // full resolution, recorded
	StreamSub  StreamRole = "sub"  // low resolution, analytics and grid view
)

// StreamRoles lists the roles a camera may have.
var StreamRoles = []StreamRole{StreamMain, StreamSub}

// Camera is a physical device at a place.
//
// Username and Password are the camera's credentials: for a pulled camera the
// node logs in with them; for a pushed camera the publisher must present them.
// Password is plaintext only in memory: stores encrypt it at rest, and it is
// never serialised (json:"-"), logged, or returned by the API.
type Camera struct {
	ID        string     `json:"id"` // slug used in RTSP paths, e.g. "cam-001"
	Name      string     `json:"name"`
	Area      string     `json:"area"` // khóm / ấp / tổ dân phố
	Address   string     `json:"address"`
	Latitude  float64    `json:"latitude"`
	Longitude float64    `json:"longitude"`
	Owner     Owner      `json:"owner"`
	Source    SourceMode `json:"source"`
	MainURL   string     `json:"main_url"` // without user info
	SubURL    string     `json:"sub_url"`  // optional; without user info
	Username  string     `json:"username"`
	Password  string     `json:"-"`
	Enabled   bool       `json:"enabled"`
	// RecordSub records the sub-stream as well; the main stream is always
	// recorded while the camera is enabled. Ignored without a sub-stream.
	RecordSub bool `json:"record_sub"`
	// RetainDays keeps this camera's footage so many days; 0 means the
	// node's default. QuotaBytes caps what its footage may take on disk;
	// 0 means no cap of its own. Evidence locks override both.
	RetainDays int      `json:"retain_days"`
	QuotaBytes int64    `json:"quota_bytes"`
	Tags       []string `json:"tags"`
	Notes      string   `json:"notes"`
	// Contributor is the portal account (role contributor) of an owner
	// who shares this camera; "" for the ward's own cameras.
	Contributor string `json:"contributor,omitempty"`
	// Approval is where a contributed camera's registration stands ("" is
	// read as approved: the ward's cameras need none); ApprovalNote tells
	// the owner why.
	Approval     Approval `json:"approval,omitempty"`
	ApprovalNote string   `json:"approval_note,omitempty"`
	// Sharing is the owner's choice; the zero value shares live all day.
	Sharing Sharing `json:"sharing"`
	// Direction is where the camera looks, in degrees clockwise from
	// north; nil when nobody said.
	Direction *float64 `json:"direction,omitempty"`
	// PrivacyMasks are painted over its exports and snapshots and drawn
	// over its live view (privacy.go).
	PrivacyMasks []PrivacyMask `json:"privacy_masks,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
}

// StreamURL returns the configured URL of a role ("" if the camera has none).
func (c *Camera) StreamURL(role StreamRole) string {
	if role == StreamSub {
		return c.SubURL
	}
	return c.MainURL
}

// Roles returns the stream roles this camera has.
func (c *Camera) Roles() []StreamRole {
	if c.Source == SourcePull && c.SubURL == "" {
		return []StreamRole{StreamMain}
	}
	return StreamRoles
}

// CameraFilter selects cameras in Store.Cameras. Zero fields match all.
type CameraFilter struct {
	Area        string
	OwnerKind   OwnerKind
	Enabled     *bool
	Contributor string   // the cameras one contributor shares
	Approval    Approval // e.g. the registrations waiting for the police
}

// StreamState is where a stream's health state machine stands.
type StreamState string

const (
	StateConnecting  StreamState = "connecting"
	StateStreaming   StreamState = "streaming"
	StateStalled     StreamState = "stalled"           // no media for a while although the connection is open
	StateOffline     StreamState = "offline"           // unreachable, refused, dropped, or not pushing
	StateAuthFailed  StreamState = "auth_failed"       // the camera refused our credentials
	StateUnsupported StreamState = "unsupported_codec" // no video track we can carry
	StateBadURL      StreamState = "bad_url"           // the URL cannot work as written
	StateDisabled    StreamState = "disabled"          // the camera is switched off in the registry
)

// Health is a stream's state with a reason a person can read.
type Health struct {
	State    StreamState `json:"state"`
	Reason   string      `json:"reason"`    // English
	ReasonVI string      `json:"reason_vi"` // Vietnamese
	Since    time.Time   `json:"since"`
}

// HealthEvent records one change of a stream's health.
type HealthEvent struct {
	ID       int64       `json:"id"`
	CameraID string      `json:"camera_id"`
	Stream   StreamRole  `json:"stream"`
	From     StreamState `json:"from"`
	To       StreamState `json:"to"`
	Reason   string      `json:"reason"`
	ReasonVI string      `json:"reason_vi"`
	At       time.Time   `json:"at"` // UTC
}

// HealthEventFilter selects health events; zero fields match all.
type HealthEventFilter struct {
	CameraID string
	Since    time.Time
	Limit    int // 0 means a default limit chosen by the store
}

// Role is what a user may do.
type Role string

const (
	RoleAdmin   Role = "admin"   // manages cameras and users
	RoleOfficer Role = "officer" // cán bộ trực: watches, plays back, exports
	RoleViewer  Role = "viewer"  // watches live only
)

// User is a known person who signs in. PasswordHash is never serialised.
type User struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// AuditEntry is one access to video or to personal data: who, what, when, why.
// Law 91/2025/QH15 makes this a first-class record.
type AuditEntry struct {
	ID       int64      `json:"id"`
	At       time.Time  `json:"at"` // UTC
	User     string     `json:"user"`
	Action   string     `json:"action"` // e.g. "live.rtsp", "camera.create"
	CameraID string     `json:"camera_id,omitempty"`
	Stream   StreamRole `json:"stream,omitempty"`
	Remote   string     `json:"remote,omitempty"` // client address
	Detail   string     `json:"detail,omitempty"`
}

// AuditFilter selects audit entries; zero fields match all.
type AuditFilter struct {
	User     string
	CameraID string
	Since    time.Time
	Limit    int
}

// Store keeps the registry and the node's records. SQLite and PostgreSQL
// adapters implement it and pass the same conformance suite (internal/storetest).
// Methods return *Error with code ENOTFOUND, ECONFLICT or EINVALID where it applies.
type Store interface {
	CreateCamera(ctx context.Context, c *Camera) error // sets CreatedAt/UpdatedAt
	Camera(ctx context.Context, id string) (*Camera, error)
	Cameras(ctx context.Context, f CameraFilter) ([]*Camera, error) // ordered by ID
	UpdateCamera(ctx context.Context, c *Camera) error              // sets UpdatedAt
	DeleteCamera(ctx context.Context, id string) error

	AddHealthEvent(ctx context.Context, e *HealthEvent) error // sets ID
	HealthEvents(ctx context.Context, f HealthEventFilter) ([]*HealthEvent, error)

	CreateUser(ctx context.Context, u *User) error
	UserByName(ctx context.Context, name string) (*User, error)
	Users(ctx context.Context) ([]*User, error)

	AddAudit(ctx context.Context, e *AuditEntry) error
	Audit(ctx context.Context, f AuditFilter) ([]*AuditEntry, error) // newest first

	Close() error
}

// Sealer encrypts secrets (camera passwords) at rest.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// Event is something the system noticed, published on the Bus.
type Event struct {
	Topic    string     `json:"topic"` // e.g. TopicHealth
	CameraID string     `json:"camera_id,omitempty"`
	Stream   StreamRole `json:"stream,omitempty"`
	At       time.Time  `json:"at"`
	Data     any        `json:"data,omitempty"`
}

// Topics on the bus.
const (
	TopicHealth = "health" // Data: *HealthEvent
)

// Bus carries events between parts of a node (and, later, between nodes).
type Bus interface {
	Publish(ctx context.Context, e Event) error
	// Subscribe delivers events of a topic until cancel is called. A slow
	// subscriber loses events rather than slowing the publisher.
	Subscribe(topic string, buffer int) (events <-chan Event, cancel func())
}
