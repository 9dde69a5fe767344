package sim

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"matthan"
)

func TestWard(t *testing.T) {
	cams := Ward(120)
	if !reflect.DeepEqual(cams, Ward(120)) {
		t.Fatal("Ward is not deterministic")
	}
	if !reflect.DeepEqual(cams[:10], Ward(10)) {
		t.Fatal("the first cameras change with the ward's size")
	}

	ids := map[string]bool{}
	names := map[string]bool{}
	kinds := map[matthan.OwnerKind]int{}
	for i, c := range cams {
		if want := CameraID(i); c.ID != want {
			t.Errorf("camera %d: ID %q, want %q", i, c.ID, want)
		}
		if ids[c.ID] || names[c.Name] {
			t.Errorf("%s: duplicate ID or name %q", c.ID, c.Name)
		}
		ids[c.ID], names[c.Name] = true, true
		kinds[c.Owner.Kind]++
		if !slices.Contains(matthan.OwnerKinds, c.Owner.Kind) || c.Owner.Name == "" || c.Owner.Contact == "" {
			t.Errorf("%s: owner %+v", c.ID, c.Owner)
		}
		if !slices.Contains(wardAreas, c.Area) || !strings.Contains(c.Address, WardName) || !strings.Contains(c.Address, c.Area) {
			t.Errorf("%s: area %q, address %q", c.ID, c.Area, c.Address)
		}
		if math.Abs(c.Latitude-wardCentreLat) > wardSpreadDeg || math.Abs(c.Longitude-wardCentreLon) > wardSpreadDeg {
			t.Errorf("%s: %.6f,%.6f is outside the ward", c.ID, c.Latitude, c.Longitude)
		}
		if !utf8.ValidString(c.Name) || c.Name == "" || len(c.Tags) == 0 {
			t.Errorf("%s: name %q, tags %v", c.ID, c.Name, c.Tags)
		}
		if !c.Enabled || c.Source != matthan.SourcePull || c.MainURL != "" || c.Password != "" {
			t.Errorf("%s: %+v", c.ID, c)
		}
	}
	for _, k := range matthan.OwnerKinds {
		if kinds[k] == 0 {
			t.Errorf("no %s cameras in %v", k, kinds)
		}
	}
	if kinds[matthan.OwnerWard] < kinds[matthan.OwnerSchool] {
		t.Errorf("owner mix %v: the ward should own more cameras than schools", kinds)
	}
}
