package matthan

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultRTSPPort is the port cameras serve RTSP on unless told otherwise.
const DefaultRTSPPort = 554

// Brand is a camera brand whose RTSP paths we know.
type Brand struct {
	ID   string `json:"id"`   // what Preset.Brand takes, e.g. "hikvision"
	Name string `json:"name"` // display name, e.g. "Hikvision"
	// MainPath and SubPath are the paths for channel 1, shown as examples.
	MainPath string `json:"main_path"`
	SubPath  string `json:"sub_path"`
}

// Brand IDs.
const (
	BrandHikvision = "hikvision"
	BrandDahua     = "dahua"
	BrandKBVision  = "kbvision"
	BrandImou      = "imou"
)

// Brands lists the brands presets know, in display order.
func Brands() []Brand {
	brands := []Brand{
		{ID: BrandHikvision, Name: "Hikvision"},
		{ID: BrandDahua, Name: "Dahua"},
		{ID: BrandKBVision, Name: "KBVision"},
		{ID: BrandImou, Name: "Imou"},
	}
	for i := range brands {
		brands[i].MainPath, brands[i].SubPath = brandPaths(brands[i].ID, 1)
	}
	return brands
}

// brandPaths returns the main and sub paths (with query) of a brand's channel,
// or empty strings for an unknown brand.
func brandPaths(brand string, ch int) (main, sub string) {
	switch brand {
	case BrandHikvision:
		// Channel 1 → 101/102, channel 12 → 1201/1202.
		return fmt.Sprintf("/Streaming/Channels/%d01", ch), fmt.Sprintf("/Streaming/Channels/%d02", ch)
	case BrandDahua, BrandKBVision, BrandImou:
		return fmt.Sprintf("/cam/realmonitor?channel=%d&subtype=0", ch),
			fmt.Sprintf("/cam/realmonitor?channel=%d&subtype=1", ch)
	}
	return "", ""
}

// Preset fills a camera's stream URLs from its brand, host and channel.
// Credentials are not part of the URLs: they go in the camera's Username and
// Password fields.
type Preset struct {
	Brand   string `json:"brand"`   // a Brand ID, case-insensitive
	Host    string `json:"host"`    // name or IP; "host:port" is accepted when Port is 0
	Port    int    `json:"port"`    // 0 means DefaultRTSPPort
	Channel int    `json:"channel"` // 0 means 1
}

// MaxPresetChannel bounds a channel number; large NVRs have 64 or 128.
const MaxPresetChannel = 256

// URLs returns the main and sub stream URLs of the preset, or an *Error with
// code EINVALID naming the bad fields ("preset.brand", "preset.host", ...).
func (p Preset) URLs() (main, sub string, err error) {
	var fe fieldErrors
	brand := strings.ToLower(strings.TrimSpace(p.Brand))
	mainPath, subPath := brandPaths(brand, 1)
	if brand == "" {
		fe.add("preset.brand", "Brand is required", "Hãng camera là bắt buộc")
	} else if mainPath == "" {
		fe.add("preset.brand", "Unknown brand: choose Hikvision, Dahua, KBVision or Imou",
			"Hãng không được hỗ trợ: hãy chọn Hikvision, Dahua, KBVision hoặc Imou")
	}

	host, port := strings.TrimSpace(p.Host), p.Port
	if h, ps, err := net.SplitHostPort(host); err == nil && port == 0 {
		// Only a numeric port splits off; anything else is reported as a bad host.
		if n, err := strconv.Atoi(ps); err == nil {
			host, port = h, n
		}
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	switch {
	case host == "":
		fe.add("preset.host", "Host (camera IP address or name) is required",
			"Địa chỉ IP hoặc tên máy của camera là bắt buộc")
	case !validHost(host):
		fe.add("preset.host", "Host must be an IP address or a host name, without rtsp:// or a path",
			"Địa chỉ phải là IP hoặc tên máy, không kèm rtsp:// hay đường dẫn")
	}
	if port == 0 {
		port = DefaultRTSPPort
	}
	if port < 1 || port > 65535 {
		fe.add("preset.port", "Port must be between 1 and 65535", "Cổng phải từ 1 đến 65535")
	}
	ch := p.Channel
	if ch == 0 {
		ch = 1
	}
	if ch < 1 || ch > MaxPresetChannel {
		fe.add("preset.channel", fmt.Sprintf("Channel must be between 1 and %d", MaxPresetChannel),
			fmt.Sprintf("Kênh phải từ 1 đến %d", MaxPresetChannel))
	}
	if len(fe) > 0 {
		return "", "", &Error{
			Code:      EINVALID,
			Message:   "The brand preset has invalid fields",
			MessageVI: "Thông tin mẫu theo hãng không hợp lệ",
			Fields:    fe,
		}
	}

	mainPath, subPath = brandPaths(brand, ch)
	base := (&url.URL{Scheme: "rtsp", Host: net.JoinHostPort(host, strconv.Itoa(port))}).String()
	return base + mainPath, base + subPath, nil
}
