package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"matthan"
	"matthan/internal/secret"
)

// demoContributor is the demo's household owner: the simulated household
// cameras are theirs, shared live.
const demoContributor = "chu-camera"

// DemoContributorPasswordFile holds the demo contributor's password (0600).
func DemoContributorPasswordFile(data string) string {
	return filepath.Join(data, "demo-contributor-password")
}

// seedCommunity makes the demo's community side visible on the first run:
// a contributor who owns the household cameras (the first with a privacy
// mask), and a few donations and costs so the ledger and the public
// transparency page are not empty. A demo that ran before keeps what it has.
func seedCommunity(ctx context.Context, n *Node, cams []matthan.Camera) error {
	if _, err := n.Store.UserByName(ctx, demoContributor); matthan.ErrorCode(err) == matthan.ENOTFOUND {
		b := make([]byte, 9)
		rand.Read(b)
		pw := base64.RawURLEncoding.EncodeToString(b)
		hash, err := secret.HashPassword(pw)
		if err != nil {
			return err
		}
		if err := n.Store.CreateUser(ctx, &matthan.User{Name: demoContributor, Role: matthan.RoleContributor, PasswordHash: hash}); err != nil {
			return fmt.Errorf("demo contributor: %w", err)
		}
		if err := os.WriteFile(DemoContributorPasswordFile(n.Config.Data), []byte(pw+"\n"), 0o600); err != nil {
			return err
		}
		masked := false
		for _, c := range cams {
			if c.Owner.Kind != matthan.OwnerHousehold {
				continue
			}
			stored, err := n.Store.Camera(ctx, c.ID)
			if err != nil {
				return err
			}
			stored.Contributor = demoContributor
			if !masked { // the first household hides a neighbour's window
				stored.PrivacyMasks = []matthan.PrivacyMask{{Name: "Cửa sổ nhà bên", Polygon: []matthan.Point{
					{X: 0.72, Y: 0.04}, {X: 0.96, Y: 0.04}, {X: 0.96, Y: 0.3}, {X: 0.72, Y: 0.3}}}}
				masked = true
			}
			if err := n.Store.UpdateCamera(ctx, stored); err != nil {
				return err
			}
		}
	} else if err != nil {
		return err
	}

	totals, err := n.Store.LedgerTotals(ctx, matthan.LedgerFilter{})
	if err != nil || totals.Donations > 0 {
		return err
	}
	ids := make([]string, len(cams))
	for i, c := range cams {
		ids[i] = c.ID
	}
	half := ids[:(len(ids)+1)/2]
	day := func(daysAgo int) string {
		return time.Now().In(matthan.Vietnam).AddDate(0, 0, -daysAgo).Format("2006-01-02")
	}
	donations := []*matthan.Donation{
		{Donor: matthan.Donor{Kind: matthan.DonorCompany, Name: "Công ty TNHH Thương mại Minh Phát", Address: "45 Trần Hưng Đạo", Contact: "0292 3811 222"},
			Kind: matthan.DonationMoney, AmountVND: 120_000_000, Date: day(90), Purpose: "Mua và lắp camera giám sát đường phố",
			Cameras: half, ReceiptNo: "PT-DEMO-0001"},
		{Donor: matthan.Donor{Kind: matthan.DonorHousehold, Name: "Hộ bà Lê Thị Hoa", Anonymous: true},
			Kind: matthan.DonationMoney, AmountVND: 15_000_000, Date: day(60), Purpose: "Góp quỹ camera an ninh khóm", ReceiptNo: "PT-DEMO-0002"},
		{Donor: matthan.Donor{Kind: matthan.DonorSchool, Name: "Trường THCS An Bình"},
			Kind: matthan.DonationEquipment, AmountVND: 11_000_000, Equipment: "2 camera IP và cột đỡ", Date: day(30),
			Purpose: "Camera cổng trường", Cameras: ids[len(ids)-1:], ReceiptNo: "PT-DEMO-0003"},
	}
	for _, d := range donations {
		d.CreatedBy = "admin"
		if err := n.Store.CreateDonation(ctx, d); err != nil {
			return fmt.Errorf("demo donation %s: %w", d.ReceiptNo, err)
		}
	}
	for i, id := range half {
		for _, c := range []*matthan.CameraCost{
			{CameraID: id, Kind: matthan.CostPurchase, AmountVND: 5_500_000, Date: day(85), InvoiceNo: fmt.Sprintf("HD-DEMO-%02d", i+1)},
			{CameraID: id, Kind: matthan.CostInstallation, AmountVND: 1_200_000, Date: day(80)},
		} {
			c.CreatedBy = "admin"
			if err := n.Store.CreateCameraCost(ctx, c); err != nil {
				return fmt.Errorf("demo cost of %s: %w", id, err)
			}
		}
	}
	return nil
}

// demoContributorPassword is what the banner shows for the contributor.
func demoContributorPassword(data string) string {
	b, err := os.ReadFile(DemoContributorPasswordFile(data))
	if err != nil {
		return "(as on the first run)"
	}
	return strings.TrimSpace(string(b))
}
