package retention

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"matthan"
)

// TopicStorage is the bus topic of storage alarms. Data: *Alarm.
const TopicStorage = "storage"

// AlarmKind names a storage problem.
type AlarmKind string

const (
	// AlarmFloor: free space is under the floor and retention has nothing
	// left it may delete.
	AlarmFloor AlarmKind = "free_space_floor"
	// AlarmQuota: a camera's footage is over its quota and the rest is
	// locked or cannot be deleted.
	AlarmQuota AlarmKind = "quota"
	// AlarmReadOnly: the recordings file system refuses writes.
	AlarmReadOnly AlarmKind = "read_only"
	// AlarmDiskFull: the recordings file system has no space left.
	AlarmDiskFull AlarmKind = "disk_full"
	// AlarmDiskError: measuring, writing or deleting failed otherwise.
	AlarmDiskError AlarmKind = "disk_error"
)

// Alarm is a storage problem, published on TopicStorage when it is raised
// (Active) and again when it clears (not Active).
type Alarm struct {
	Kind      AlarmKind `json:"kind"`
	CameraID  string    `json:"camera_id,omitempty"`
	Active    bool      `json:"active"`
	Message   string    `json:"message"`
	MessageVI string    `json:"message_vi"`
	Since     time.Time `json:"since"` // when it was raised
}

type alarmKey struct {
	kind   AlarmKind
	camera string
}

func (s *sweep) raise(a *Alarm) {
	k := alarmKey{a.Kind, a.CameraID}
	if _, dup := s.alarms[k]; !dup {
		s.alarms[k] = a
	}
}

// Alarms returns the alarms raised and not yet cleared, by kind and camera.
func (r *Retention) Alarms() []Alarm {
	r.mu.Lock()
	defer r.mu.Unlock()
	return sortedAlarms(r.alarms)
}

func sortedAlarms(m map[alarmKey]*Alarm) []Alarm {
	out := []Alarm{}
	for _, k := range slices.SortedFunc(maps.Keys(m), func(a, b alarmKey) int {
		return strings.Compare(string(a.kind)+"\x00"+a.camera, string(b.kind)+"\x00"+b.camera)
	}) {
		out = append(out, *m[k])
	}
	return out
}

// settleAlarms publishes the alarms a sweep raised that were not up, and,
// when the sweep saw everything (complete), clears those it no longer
// found. It returns the alarms up after the sweep.
func (r *Retention) settleAlarms(ctx context.Context, now time.Time, found map[alarmKey]*Alarm, complete bool) []Alarm {
	r.mu.Lock()
	var publish []*Alarm
	for k, a := range found {
		if old, up := r.alarms[k]; up {
			// Still up: keep when it began, take the current numbers.
			a.Since = old.Since
			r.alarms[k] = a
			continue
		}
		a.Active, a.Since = true, now
		r.alarms[k] = a
		publish = append(publish, a)
	}
	if complete {
		for k, a := range r.alarms {
			if _, still := found[k]; still {
				continue
			}
			delete(r.alarms, k)
			cleared := *a
			cleared.Active = false
			cleared.Message, cleared.MessageVI = clearedMessages(a)
			publish = append(publish, &cleared)
		}
	}
	up := sortedAlarms(r.alarms)
	r.mu.Unlock()

	slices.SortFunc(publish, func(a, b *Alarm) int {
		return strings.Compare(string(a.Kind)+a.CameraID, string(b.Kind)+b.CameraID)
	})
	for _, a := range publish {
		copied := *a
		if a.Active {
			r.log.WarnContext(ctx, "storage alarm", "kind", string(a.Kind), "camera", a.CameraID, "message", a.Message)
		} else {
			r.log.InfoContext(ctx, "storage alarm cleared", "kind", string(a.Kind), "camera", a.CameraID)
		}
		if r.bus == nil {
			continue
		}
		// The bus drops events for slow subscribers rather than block;
		// Alarms() keeps the state for whoever missed one.
		if err := r.bus.Publish(ctx, matthan.Event{Topic: TopicStorage, CameraID: a.CameraID, At: now, Data: &copied}); err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "storage alarm not published", "kind", string(a.Kind), "err", err)
		}
	}
	return up
}

func clearedMessages(a *Alarm) (en, vi string) {
	switch a.Kind {
	case AlarmQuota:
		return fmt.Sprintf("Camera %s is back within its recording quota", a.CameraID),
			fmt.Sprintf("Camera %s đã trở lại trong hạn mức dung lượng ghi hình", a.CameraID)
	case AlarmFloor:
		return "Free space on the recordings disk is back over the floor",
			"Dung lượng trống của ổ đĩa lưu bản ghi đã trở lại trên mức tối thiểu"
	default:
		return "The recordings disk takes writes again",
			"Ổ đĩa lưu bản ghi đã ghi được trở lại"
	}
}

func alarmReadOnly(dir string) *Alarm {
	return &Alarm{Kind: AlarmReadOnly,
		Message:   fmt.Sprintf("The recordings disk (%s) is read-only: nothing can be recorded or deleted until it takes writes again", dir),
		MessageVI: fmt.Sprintf("Ổ đĩa lưu bản ghi (%s) đang ở chế độ chỉ đọc: không thể ghi hay xóa bản ghi cho đến khi ghi được trở lại", dir),
	}
}

func alarmDiskFull(dir string) *Alarm {
	return &Alarm{Kind: AlarmDiskFull,
		Message:   fmt.Sprintf("The recordings disk (%s) is full", dir),
		MessageVI: fmt.Sprintf("Ổ đĩa lưu bản ghi (%s) đã đầy", dir),
	}
}

func alarmDiskError(dir string, err error) *Alarm {
	detail := err.Error()
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		detail = pe.Unwrap().Error() // the cause, without a path repeated from dir
	}
	return &Alarm{Kind: AlarmDiskError,
		Message:   fmt.Sprintf("The recordings disk (%s) reports an error: %s", dir, detail),
		MessageVI: fmt.Sprintf("Ổ đĩa lưu bản ghi (%s) báo lỗi: %s", dir, detail),
	}
}

func alarmQuota(camera string, used, quota int64, locked bool) *Alarm {
	en, vi := "the rest cannot be deleted now", "phần còn lại hiện không xóa được"
	if locked {
		en, vi = "the rest is locked as evidence", "phần còn lại đang bị khóa làm chứng cứ"
	}
	ue, uv := formatBytes(used)
	qe, qv := formatBytes(quota)
	return &Alarm{Kind: AlarmQuota, CameraID: camera,
		Message:   fmt.Sprintf("Camera %s holds %s of footage, over its quota of %s: %s", camera, ue, qe, en),
		MessageVI: fmt.Sprintf("Camera %s đang giữ %s bản ghi, vượt hạn mức %s: %s", camera, uv, qv, vi),
	}
}

func alarmFloor(dir string, free, floor uint64, locked bool) *Alarm {
	en, vi := "retention has no more footage it can delete (other files may be filling the disk)",
		"không còn bản ghi nào có thể xóa (có thể tệp khác đang chiếm ổ đĩa)"
	if locked {
		en, vi = "the remaining footage is locked as evidence or cannot be deleted",
			"các bản ghi còn lại đang bị khóa làm chứng cứ hoặc không xóa được"
	}
	fe, fv := formatBytes(int64(min(free, 1<<62)))
	le, lv := formatBytes(int64(min(floor, 1<<62)))
	return &Alarm{Kind: AlarmFloor,
		Message:   fmt.Sprintf("Free space on the recordings disk (%s) is %s, under the floor of %s: %s", dir, fe, le, en),
		MessageVI: fmt.Sprintf("Dung lượng trống của ổ đĩa lưu bản ghi (%s) còn %s, dưới mức tối thiểu %s: %s", dir, fv, lv, vi),
	}
}
