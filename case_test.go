package matthan

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func fieldsOf(err error) []string {
	e, ok := err.(*Error)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
		if f.Message == "" || f.MessageVI == "" {
			panic("field error without both languages: " + f.Field)
		}
	}
	return out
}

func TestCaseValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Case
		want []string
	}{
		{"ok", Case{Number: " VV-2026-0042 ", Title: "Trộm xe máy", OpenedBy: "officer"}, nil},
		{"slashes and dots", Case{Number: "12/2026.CAP", Title: "x", OpenedBy: "officer"}, nil},
		{"empty", Case{}, []string{"number", "title", "opened_by"}},
		{"spaces in number", Case{Number: "VV 1", Title: "x", OpenedBy: "o"}, []string{"number"}},
		{"trailing dash", Case{Number: "VV-", Title: "x", OpenedBy: "o"}, []string{"number"}},
		{"long title", Case{Number: "VV-1", Title: strings.Repeat("ă", caseTitleMax+1), OpenedBy: "o"}, []string{"title"}},
		{"control character", Case{Number: "VV-1", Title: "x", Description: "a\x00b", OpenedBy: "o"}, []string{"description"}},
		{"keep days", Case{Number: "VV-1", Title: "x", KeepDays: 3651, OpenedBy: "o"}, []string{"keep_days"}},
	} {
		c := tc.c
		if got := fieldsOf(c.Validate()); !slices.Equal(got, tc.want) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.want)
		}
		if tc.want == nil && (c.KeepDays != DefaultCaseKeepDays || strings.TrimSpace(c.Number) != c.Number) {
			t.Errorf("%s: not normalised: %+v", tc.name, c)
		}
	}
}

func TestCaseLocksUntil(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	c := Case{Status: CaseOpen, KeepDays: 10}
	if !c.LocksUntil().IsZero() {
		t.Errorf("open case locks until %v", c.LocksUntil())
	}
	c.Status, c.ClosedAt = CaseClosed, at
	if got := c.LocksUntil(); !got.Equal(at.AddDate(0, 0, 10)) {
		t.Errorf("closed case locks until %v", got)
	}
}

func TestCaseItemValidate(t *testing.T) {
	from := time.Date(2026, 11, 27, 8, 0, 0, 0, Vietnam)
	for _, tc := range []struct {
		name string
		it   CaseItem
		want []string
	}{
		{"footage", CaseItem{Kind: CaseItemFootage, CameraID: "cam-1", From: from, To: from.Add(time.Minute), AddedBy: "o"}, nil},
		{"event", CaseItem{Kind: CaseItemEvent, EventID: "ev-1", CameraID: "cam-1", From: from, To: from.Add(time.Minute), AddedBy: "o"}, nil},
		{"vehicle", CaseItem{Kind: CaseItemVehicle, Text: "Wave đỏ, biển 65B1-123.45", AddedBy: "o"}, nil},
		{"export", CaseItem{Kind: CaseItemExport, ExportID: "exp-1", AddedBy: "o"}, nil},
		{"unknown kind", CaseItem{Kind: "photo", AddedBy: "o"}, []string{"kind"}},
		{"footage without anything", CaseItem{Kind: CaseItemFootage}, []string{"camera_id", "from", "to", "added_by"}},
		{"empty range", CaseItem{Kind: CaseItemFootage, CameraID: "cam-1", From: from, To: from, AddedBy: "o"}, []string{"to"}},
		{"event without id", CaseItem{Kind: CaseItemEvent, CameraID: "cam-1", From: from, To: from.Add(time.Second), AddedBy: "o"}, []string{"event_id"}},
		{"empty note", CaseItem{Kind: CaseItemNote, Text: "  ", AddedBy: "o"}, []string{"text"}},
		{"export without id", CaseItem{Kind: CaseItemExport, AddedBy: "o"}, []string{"export_id"}},
	} {
		it := tc.it
		if got := fieldsOf(it.Validate()); !slices.Equal(got, tc.want) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.want)
		}
		if tc.want == nil && it.Footage() && it.From.Location() != time.UTC {
			t.Errorf("%s: times not in UTC", tc.name)
		}
	}
}
