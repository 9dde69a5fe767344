package matthan

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Cases (vụ việc): an officer opens a case, attaches events, ranges of a
// camera's footage, notes and descriptions of people and vehicles, and
// exports evidence packages from it. Every action is kept in the case's
// log forever (chain of custody). Footage attached to a case is locked
// against retention while the case is open and for KeepDays after it
// closes.

// DefaultCaseKeepDays is how long a closed case's footage stays locked
// when the node's configuration says nothing else.
const DefaultCaseKeepDays = 365

// EventLockMargin is how much footage before and after an attached event
// is locked with it.
const EventLockMargin = 2 * time.Minute

// Bounds on a case's text.
const (
	caseNumberMax = 64
	caseTitleMax  = 300
	caseTextMax   = 4000
)

// CaseStatus is whether a case is open.
type CaseStatus string

const (
	CaseOpen   CaseStatus = "open"
	CaseClosed CaseStatus = "closed"
)

// Case is one case (vụ việc) of the ward.
type Case struct {
	ID          int64      `json:"id"`
	Number      string     `json:"number"` // the ward's case number, unique: "VV-2026-0042"
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Status      CaseStatus `json:"status"`
	OpenedBy    string     `json:"opened_by"`
	OpenedAt    time.Time  `json:"opened_at"` // UTC
	ClosedBy    string     `json:"closed_by,omitempty"`
	ClosedAt    time.Time  `json:"closed_at,omitzero"` // UTC; zero while open
	// KeepDays is how long its footage stays locked after it closes.
	KeepDays int `json:"keep_days"`
	// Items counts what is attached and not removed; set by the store.
	Items int `json:"item_count"`
}

// LocksUntil is when a closed case's footage locks end; zero while open.
func (c *Case) LocksUntil() time.Time {
	if c.Status != CaseClosed || c.ClosedAt.IsZero() {
		return time.Time{}
	}
	return c.ClosedAt.Add(time.Duration(c.KeepDays) * 24 * time.Hour)
}

// caseNumberRe allows what wards write on paper: letters, digits and
// "-", "/", "." between them.
var caseNumberRe = regexp.MustCompile(`^[\p{L}\p{N}]+(?:[-/.][\p{L}\p{N}]+)*$`)

// Validate checks a new case: EINVALID with one FieldError per bad field.
// It trims the text and fills a zero KeepDays with DefaultCaseKeepDays.
func (c *Case) Validate() error {
	var fe fieldErrors
	c.Number, c.Title, c.Description = strings.TrimSpace(c.Number), strings.TrimSpace(c.Title), strings.TrimSpace(c.Description)
	switch {
	case c.Number == "":
		fe.add("number", "The case number is required (like VV-2026-0042)", "Số vụ việc là bắt buộc (dạng VV-2026-0042)")
	case utf8.RuneCountInString(c.Number) > caseNumberMax || !caseNumberRe.MatchString(c.Number):
		fe.add("number", "Letters and digits separated by - / or . (like VV-2026-0042)",
			"Gồm chữ và số, ngăn cách bởi - / hoặc . (dạng VV-2026-0042)")
	}
	caseText(&fe, "title", c.Title, caseTitleMax, true)
	caseText(&fe, "description", c.Description, caseTextMax, false)
	if c.KeepDays == 0 {
		c.KeepDays = DefaultCaseKeepDays
	}
	if c.KeepDays < 1 || c.KeepDays > 3650 {
		fe.add("keep_days", "Must be between 1 and 3650 days", "Phải từ 1 đến 3650 ngày")
	}
	if strings.TrimSpace(c.OpenedBy) == "" {
		fe.add("opened_by", "required", "bắt buộc")
	}
	if len(fe) > 0 {
		return &Error{Code: EINVALID, Message: "The case has invalid fields",
			MessageVI: "Vụ việc có trường không hợp lệ", Fields: fe}
	}
	return nil
}

// caseText checks a free text of several lines.
func caseText(fe *fieldErrors, field, v string, max int, required bool) {
	switch {
	case v == "":
		if required {
			fe.add(field, "required", "bắt buộc")
		}
	case utf8.RuneCountInString(v) > max:
		fe.add(field, fmt.Sprintf("Must be at most %d characters", max), fmt.Sprintf("Tối đa %d ký tự", max))
	case !utf8.ValidString(v) || strings.ContainsFunc(v, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\r' && c != '\t' }):
		fe.add(field, "Contains invalid characters", "Chứa ký tự không hợp lệ")
	}
}

// CaseItemKind is what a case item is.
type CaseItemKind string

const (
	CaseItemEvent   CaseItemKind = "event"   // an analytics event (its footage is locked too)
	CaseItemFootage CaseItemKind = "footage" // a range of a camera's recordings
	CaseItemNote    CaseItemKind = "note"
	CaseItemPerson  CaseItemKind = "person"  // a person described: clothes, build…
	CaseItemVehicle CaseItemKind = "vehicle" // a vehicle described: plate, colour…
	CaseItemExport  CaseItemKind = "export"  // an evidence package made from the case
)

// CaseItem is one thing attached to a case. Items are never deleted: a
// removed one keeps who removed it, when and why.
type CaseItem struct {
	ID      int64        `json:"id"`
	CaseID  int64        `json:"case_id"`
	Kind    CaseItemKind `json:"kind"`
	EventID string       `json:"event_id,omitempty"`
	// CameraID, From and To are the footage of a footage or event item
	// (for an event: its span ± EventLockMargin).
	CameraID string    `json:"camera_id,omitempty"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
	// Text is a note, or the description of a person or vehicle.
	Text     string `json:"text,omitempty"`
	ExportID string `json:"export_id,omitempty"`
	// LockID is the evidence lock that keeps the item's footage (the
	// latest one: reopening a case locks again); 0 for items without.
	LockID       int64     `json:"lock_id,omitempty"`
	AddedBy      string    `json:"added_by"`
	AddedAt      time.Time `json:"added_at"`
	RemovedBy    string    `json:"removed_by,omitempty"`
	RemovedAt    time.Time `json:"removed_at,omitzero"`
	RemoveReason string    `json:"remove_reason,omitempty"`
}

// Footage reports whether the item locks a camera's footage.
func (it *CaseItem) Footage() bool {
	return it.Kind == CaseItemFootage || it.Kind == CaseItemEvent
}

// Removed reports whether the item was removed from its case.
func (it *CaseItem) Removed() bool { return !it.RemovedAt.IsZero() }

// Validate checks a new item: EINVALID with one FieldError per bad field.
func (it *CaseItem) Validate() error {
	var fe fieldErrors
	it.Text, it.EventID, it.ExportID = strings.TrimSpace(it.Text), strings.TrimSpace(it.EventID), strings.TrimSpace(it.ExportID)
	footage := func() {
		if !slugRe.MatchString(it.CameraID) {
			fe.add("camera_id", "Choose a camera", "Hãy chọn camera")
		}
		if it.From.IsZero() {
			fe.add("from", "required", "bắt buộc")
		}
		if it.To.IsZero() {
			fe.add("to", "required", "bắt buộc")
		} else if !it.From.IsZero() && !it.To.After(it.From) {
			fe.add("to", "Must be after from", "Phải sau thời điểm bắt đầu (from)")
		}
	}
	switch it.Kind {
	case CaseItemFootage:
		footage()
	case CaseItemEvent:
		if it.EventID == "" {
			fe.add("event_id", "Choose an event", "Hãy chọn sự kiện")
		}
		footage()
	case CaseItemNote, CaseItemPerson, CaseItemVehicle:
		caseText(&fe, "text", it.Text, caseTextMax, true)
	case CaseItemExport:
		if it.ExportID == "" {
			fe.add("export_id", "required", "bắt buộc")
		}
	default:
		fe.add("kind", "Must be event, footage, note, person, vehicle or export",
			"Phải là event, footage, note, person, vehicle hoặc export")
	}
	if it.Kind != CaseItemNote && it.Kind != CaseItemPerson && it.Kind != CaseItemVehicle && it.Text != "" {
		caseText(&fe, "text", it.Text, caseTextMax, false)
	}
	if strings.TrimSpace(it.AddedBy) == "" {
		fe.add("added_by", "required", "bắt buộc")
	}
	if len(fe) > 0 {
		return &Error{Code: EINVALID, Message: "The case item has invalid fields",
			MessageVI: "Mục của vụ việc có trường không hợp lệ", Fields: fe}
	}
	it.From, it.To = it.From.UTC(), it.To.UTC()
	return nil
}

// CaseAction is what was done to a case, in its log.
type CaseAction string

const (
	CaseActionOpen       CaseAction = "open"
	CaseActionAddItem    CaseAction = "add_item"
	CaseActionRemoveItem CaseAction = "remove_item"
	CaseActionExport     CaseAction = "export"
	CaseActionClose      CaseAction = "close"
	CaseActionReopen     CaseAction = "reopen"
)

// CaseLog is one entry of a case's chain of custody, kept forever.
type CaseLog struct {
	ID     int64      `json:"id"`
	CaseID int64      `json:"case_id"`
	At     time.Time  `json:"at"` // UTC
	User   string     `json:"user"`
	Action CaseAction `json:"action"`
	ItemID int64      `json:"item_id,omitempty"`
	Detail string     `json:"detail"`
}

// CaseFilter selects cases; zero fields match all.
type CaseFilter struct {
	Status CaseStatus
}

// CaseStore keeps cases, their items and their logs. Each change writes
// its log entry in the same transaction; footage items lock their footage
// (EvidenceLock labelled with the case number) in it too.
type CaseStore interface {
	// CreateCase validates and stores an open case, setting ID (and
	// OpenedAt when zero); ECONFLICT when the number is taken.
	CreateCase(ctx context.Context, c *Case) error
	Case(ctx context.Context, id int64) (*Case, error) // ENOTFOUND
	Cases(ctx context.Context, f CaseFilter) ([]*Case, error)
	// AddCaseItem validates and stores an item of an open case (ECONFLICT
	// when closed); a footage or event item locks its footage until the
	// case closes.
	AddCaseItem(ctx context.Context, it *CaseItem) error
	CaseItems(ctx context.Context, caseID int64) ([]*CaseItem, error) // removed ones too, in order added
	// RemoveCaseItem marks an item removed (ECONFLICT when it was) and
	// releases its lock; why is required.
	RemoveCaseItem(ctx context.Context, caseID, itemID int64, by, why string, at time.Time) (*CaseItem, error)
	// CloseCase closes an open case (ECONFLICT when closed): its locks end
	// at ClosedAt + KeepDays.
	CloseCase(ctx context.Context, id int64, by, why string, at time.Time) (*Case, error)
	// ReopenCase opens a closed case again and locks its footage again,
	// with no end.
	ReopenCase(ctx context.Context, id int64, by, why string, at time.Time) (*Case, error)
	// AddCaseLog records an action done outside the store (an export).
	AddCaseLog(ctx context.Context, e *CaseLog) error
	CaseLogs(ctx context.Context, caseID int64) ([]*CaseLog, error) // in order
}

// ErrCaseNotFound is the error for an unknown case.
func ErrCaseNotFound(id int64) error {
	return Errorf(ENOTFOUND, fmt.Sprintf("case %d not found", id), fmt.Sprintf("Không tìm thấy vụ việc %d", id))
}

// ErrCaseClosed is the error for a change to a closed case.
func ErrCaseClosed(number string) error {
	return Errorf(ECONFLICT, fmt.Sprintf("case %s is closed: reopen it first", number),
		fmt.Sprintf("Vụ việc %s đã đóng: hãy mở lại trước", number))
}
