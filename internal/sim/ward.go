package sim

import (
	"fmt"
	"math"

	"matthan"
)

// The made-up ward the simulator films. Its centre is in Cần Thơ, where the
// landline area code is 0292.
const (
	WardName      = "Phường An Bình"
	wardCentreLat = 10.03
	wardCentreLon = 105.78
	wardSpreadDeg = 0.008 // about 900 m each way
)

var (
	wardAreas   = []string{"Khóm 1", "Khóm 2", "Khóm 3", "Khóm 4", "Khóm 5", "Khóm 6", "Tổ dân phố 3"}
	wardStreets = []string{
		"Trần Hưng Đạo", "Nguyễn Trãi", "Lê Lợi", "Hai Bà Trưng", "Mậu Thân", "Nguyễn Văn Cừ",
		"30 Tháng 4", "Cách Mạng Tháng 8", "Hùng Vương", "Lý Tự Trọng", "Phan Đình Phùng", "Trần Phú",
	}
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi", "Đỗ", "Ngô"}
	middleNames = []string{"Văn", "Thị", "Minh", "Thanh", "Ngọc", "Hoàng", "Quốc"}
	givenNames  = []string{"An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hùng", "Khoa", "Lan", "Long", "Mai", "Nam", "Phúc", "Quyên", "Sơn", "Tâm", "Thảo", "Trung", "Vy", "Yến"}
	shopNames   = []string{
		"Tạp hóa Minh Châu", "Tiệm vàng Kim Long", "Cà phê Sông Hậu", "Nhà thuốc An Khang", "Quán cơm Bà Tư",
		"Cửa hàng điện thoại Thành Đạt", "Tiệm sửa xe Hai Lúa", "Siêu thị mini Phước Thịnh", "Tiệm bánh mì Cô Ba",
	}
	schoolNames = []string{
		"Trường Tiểu học An Bình", "Trường THCS Lê Quý Đôn", "Trường Mầm non Hoa Sen", "Trường THPT An Bình",
	}
	agencyNames = []string{
		"Bưu điện An Bình", "Trạm Y tế Phường An Bình", "Ngân hàng Nông nghiệp chi nhánh An Bình",
		"Nhà văn hóa Khóm 3", "Trung tâm Văn hóa – Thể thao Phường An Bình",
	}
	// ownerPattern mixes owners roughly as in a real ward: most cameras are
	// the ward's own or households' and shops' shared ones.
	ownerPattern = []matthan.OwnerKind{
		matthan.OwnerWard, matthan.OwnerHousehold, matthan.OwnerShop, matthan.OwnerWard, matthan.OwnerHousehold,
		matthan.OwnerSchool, matthan.OwnerShop, matthan.OwnerHousehold, matthan.OwnerAgency, matthan.OwnerWard,
	}
)

// CameraID returns the simulator's ID of the i-th camera (0-based): "cam-001"...
func CameraID(i int) string { return fmt.Sprintf("cam-%03d", i+1) }

// Ward returns n cameras of the made-up ward, the same every time: IDs
// "cam-001"..., names, areas, addresses, coordinates, owners and tags. Stream
// URLs are left empty: Server.Cameras fills them in.
func Ward(n int) []matthan.Camera {
	cams := make([]matthan.Camera, n)
	count := map[matthan.OwnerKind]int{} // how many of each owner kind so far
	for i := range cams {
		kind := ownerPattern[i%len(ownerPattern)]
		k := count[kind]
		count[kind]++

		street := wardStreets[(i*5)%len(wardStreets)]
		number := 1 + (i*37)%180
		area := wardAreas[i%len(wardAreas)]
		c := matthan.Camera{
			ID:      CameraID(i),
			Area:    area,
			Address: fmt.Sprintf("%d đường %s, %s, %s", number, street, area, WardName),
			Source:  matthan.SourcePull,
			Enabled: true,
			Notes:   "Camera mô phỏng (matthan sim) / simulated camera",
		}
		lat, lon := wardOffset(i)
		c.Latitude = round6(wardCentreLat + lat)
		c.Longitude = round6(wardCentreLon + lon)

		switch kind {
		case matthan.OwnerWard:
			a, b := streetPair(k)
			c.Name = "Ngã tư " + a + " – " + b
			c.Address = fmt.Sprintf("Ngã tư %s – %s, %s, %s", a, b, area, WardName)
			c.Owner = matthan.Owner{Kind: kind, Name: "UBND " + WardName, Contact: "0292 3812 345"}
			c.Tags = []string{"public", "intersection"}
		case matthan.OwnerHousehold:
			person := personName(k)
			c.Name = fmt.Sprintf("Nhà %s – %d %s", person, number, street)
			c.Owner = matthan.Owner{Kind: kind, Name: person, Contact: phone(i)}
			c.Tags = []string{"household", "alley"}
		case matthan.OwnerShop:
			c.Name = numbered(shopNames, k)
			c.Owner = matthan.Owner{Kind: kind, Name: c.Name + " (" + personName(k+50) + ")", Contact: phone(i)}
			c.Tags = []string{"shop", "street-front"}
		case matthan.OwnerSchool:
			c.Name = "Cổng " + numbered(schoolNames, k)
			c.Owner = matthan.Owner{Kind: kind, Name: numbered(schoolNames, k), Contact: fmt.Sprintf("0292 38%02d %03d", 20+k%60, (i*53)%1000)}
			c.Tags = []string{"school", "school-gate"}
		case matthan.OwnerAgency:
			c.Name = numbered(agencyNames, k)
			c.Owner = matthan.Owner{Kind: kind, Name: numbered(agencyNames, k), Contact: fmt.Sprintf("0292 37%02d %03d", 10+k%80, (i*71)%1000)}
			c.Tags = []string{"agency"}
		}
		if i%4 == 3 {
			c.Tags = append(c.Tags, "night-watch")
		}
		cams[i] = c
	}
	return cams
}

// streetPair returns the k-th intersection of two different streets.
func streetPair(k int) (string, string) {
	n := len(wardStreets)
	pairs := n * (n - 1) / 2
	k %= pairs
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			if k == 0 {
				return wardStreets[a], wardStreets[b]
			}
			k--
		}
	}
	return wardStreets[0], wardStreets[1]
}

func personName(k int) string {
	family := familyNames[k%len(familyNames)]
	middle := middleNames[(k/len(familyNames)+k)%len(middleNames)]
	given := givenNames[(k*7+k/len(givenNames))%len(givenNames)]
	return family + " " + middle + " " + given
}

// numbered picks the k-th name, adding a number once the list is used up.
func numbered(names []string, k int) string {
	name := names[k%len(names)]
	if round := k / len(names); round > 0 {
		name = fmt.Sprintf("%s %d", name, round+1)
	}
	return name
}

// phone returns a mobile number in the usual Vietnamese 4-3-3 grouping.
func phone(i int) string {
	prefixes := []string{"0903", "0918", "0939", "0986", "0707", "0775"}
	h := splitmix64(uint64(i) + 1000)
	return fmt.Sprintf("%s %03d %03d", prefixes[i%len(prefixes)], h%1000, (h/1000)%1000)
}

// wardOffset spreads cameras over the ward, deterministically.
func wardOffset(i int) (lat, lon float64) {
	h := splitmix64(uint64(i) + 1)
	u := float64(h>>11) / (1 << 53)
	v := float64(splitmix64(h)>>11) / (1 << 53)
	return (2*u - 1) * wardSpreadDeg, (2*v - 1) * wardSpreadDeg
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
