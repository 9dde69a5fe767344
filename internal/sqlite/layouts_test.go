package sqlite

import (
	"path/filepath"
	"slices"
	"testing"

	"matthan"
)

func TestLayouts(t *testing.T) {
	ctx := t.Context()
	db := openAt(t, filepath.Join(t.TempDir(), "matthan.db"))
	defer db.Close()
	for _, name := range []string{"an", "binh"} {
		if err := db.CreateUser(ctx, &matthan.User{Name: name, Role: matthan.RoleOfficer, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	night := &matthan.Layout{User: "an", Name: " Ca đêm ", Size: 9, Cameras: []string{"cam-003", "cam-001"}, Rotation: 30}
	if err := db.CreateLayout(ctx, night); err != nil {
		t.Fatal(err)
	}
	if night.ID == 0 || night.Name != "Ca đêm" || night.CreatedAt.IsZero() {
		t.Fatalf("created %+v", night)
	}
	if err := db.CreateLayout(ctx, &matthan.Layout{User: "binh", Name: "Ca đêm", Size: 4}); err != nil {
		t.Fatalf("another user may use the same name: %v", err)
	}

	for _, tc := range []struct {
		name string
		l    matthan.Layout
		code string
	}{
		{"same name", matthan.Layout{User: "an", Name: "Ca đêm", Size: 4}, matthan.ECONFLICT},
		{"no name", matthan.Layout{User: "an", Name: "  ", Size: 4}, matthan.EINVALID},
		{"bad size", matthan.Layout{User: "an", Name: "x", Size: 6}, matthan.EINVALID},
		{"bad rotation", matthan.Layout{User: "an", Name: "x", Size: 4, Rotation: 5}, matthan.EINVALID},
		{"empty camera", matthan.Layout{User: "an", Name: "x", Size: 4, Cameras: []string{""}}, matthan.EINVALID},
		{"unknown user", matthan.Layout{User: "nobody", Name: "x", Size: 4}, matthan.ENOTFOUND},
	} {
		if err := db.CreateLayout(ctx, &tc.l); matthan.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}

	got, err := db.Layouts(ctx, "an")
	if err != nil || len(got) != 1 || !slices.Equal(got[0].Cameras, []string{"cam-003", "cam-001"}) || got[0].Rotation != 30 || got[0].Size != 9 {
		t.Fatalf("layouts of an: %+v %v", got, err)
	}

	// Binh cannot change or delete An's layout; it looks as if it did not exist.
	steal := &matthan.Layout{ID: night.ID, User: "binh", Name: "mine", Size: 1}
	if err := db.UpdateLayout(ctx, steal); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("update by another user: %v", err)
	}
	if err := db.DeleteLayout(ctx, "binh", night.ID); matthan.ErrorCode(err) != matthan.ENOTFOUND {
		t.Errorf("delete by another user: %v", err)
	}

	night.Size, night.Cameras, night.Rotation = 16, []string{"cam-002"}, 0
	if err := db.UpdateLayout(ctx, night); err != nil {
		t.Fatal(err)
	}
	if night.Size != 16 || night.User != "an" || !slices.Equal(night.Cameras, []string{"cam-002"}) || night.UpdatedAt.Before(night.CreatedAt) {
		t.Fatalf("updated %+v", night)
	}
	if err := db.DeleteLayout(ctx, "an", night.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Layouts(ctx, "an"); len(got) != 0 {
		t.Fatalf("after delete: %+v", got)
	}

	// Layouts go with their user.
	if err := db.DeleteUser(ctx, "binh"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM layouts`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("layouts left after deleting the user: %d %v", n, err)
	}
}
