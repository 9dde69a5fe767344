package matthan

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on camera fields. They keep rows, forms and RTSP paths sane.
const (
	CameraIDMinLen    = 2
	CameraIDMaxLen    = 40
	CameraNameMaxLen  = 120
	CameraAreaMaxLen  = 120
	CameraAddrMaxLen  = 300
	CameraTagsMax     = 20
	CameraTagMaxLen   = 40
	CameraNotesMaxLen = 2000
	CameraCredMaxLen  = 128 // username and password
	// CameraRetainDaysMax is ten years: longer is a mistake, not a policy.
	CameraRetainDaysMax = 3650
)

// slugRe is a camera ID: it becomes an RTSP path segment, so it stays plain.
var slugRe = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)

// phoneRe accepts Vietnamese numbers written as 0xxxxxxxxx (10–11 digits) or
// +84xxxxxxxxx, once spaces, dots and dashes are removed.
var phoneRe = regexp.MustCompile(`^(?:0\d{9,10}|\+84\d{9,10})$`)

// emailRe is a deliberately loose e-mail shape check; delivery is the real test.
var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`)

// fieldErrors collects problems with a camera, one per field.
type fieldErrors []FieldError

func (fe *fieldErrors) add(field, en, vi string) {
	for _, f := range *fe {
		if f.Field == field {
			return // first problem of a field is the one worth fixing first
		}
	}
	*fe = append(*fe, FieldError{Field: field, Message: en, MessageVI: vi})
}

// Validate checks a camera before it is stored. It returns nil or an *Error
// with code EINVALID and one FieldError per bad field (field names are the
// JSON names, nested with dots: "owner.contact"). Messages never echo URLs or
// credentials, so they are safe to log and return.
func (c *Camera) Validate() error {
	var fe fieldErrors

	switch n := len(c.ID); {
	case n == 0:
		fe.add("id", "ID is required", "Mã camera là bắt buộc")
	case n < CameraIDMinLen || n > CameraIDMaxLen:
		fe.add("id",
			fmt.Sprintf("ID must be %d–%d characters long", CameraIDMinLen, CameraIDMaxLen),
			fmt.Sprintf("Mã camera phải dài từ %d đến %d ký tự", CameraIDMinLen, CameraIDMaxLen))
	case !slugRe.MatchString(c.ID):
		fe.add("id",
			"ID may contain only lowercase letters, digits and '-', and must not start or end with '-'",
			"Mã camera chỉ gồm chữ thường không dấu, chữ số và dấu '-', không bắt đầu hay kết thúc bằng '-'")
	}

	checkText(&fe, "name", c.Name, true, CameraNameMaxLen,
		"Name is required", "Tên camera là bắt buộc")
	checkText(&fe, "area", c.Area, true, CameraAreaMaxLen,
		"Area is required", "Khu vực (khóm/ấp/tổ dân phố) là bắt buộc")
	checkText(&fe, "address", c.Address, false, CameraAddrMaxLen, "", "")

	checkLocation(&fe, c.Latitude, c.Longitude)
	checkOwner(&fe, c.Owner)

	switch c.Source {
	case SourcePull:
		if strings.TrimSpace(c.MainURL) == "" {
			fe.add("main_url", "Main stream URL is required for a pulled camera",
				"Địa chỉ luồng chính là bắt buộc với camera được kéo luồng (pull)")
		} else {
			checkStreamURL(&fe, "main_url", c.MainURL)
		}
		if c.SubURL != "" {
			checkStreamURL(&fe, "sub_url", c.SubURL)
		}
	case SourcePush:
		// The camera publishes to us; URLs, if kept from an earlier pull
		// configuration, must still be well-formed and credential-free.
		if c.MainURL != "" {
			checkStreamURL(&fe, "main_url", c.MainURL)
		}
		if c.SubURL != "" {
			checkStreamURL(&fe, "sub_url", c.SubURL)
		}
		// Without credentials anyone could publish video as this camera.
		if c.Username == "" {
			fe.add("username", "A pushing camera needs a user name to publish with",
				"Camera đẩy luồng (push) cần tên đăng nhập để phát lên")
		}
		if len(c.Password) < 8 {
			fe.add("password", "A pushing camera needs a password of at least 8 characters to publish with",
				"Camera đẩy luồng (push) cần mật khẩu dài ít nhất 8 ký tự để phát lên")
		}
	case "":
		fe.add("source", "Source is required: pull or push",
			"Nguồn là bắt buộc: pull (kéo) hoặc push (đẩy)")
	default:
		fe.add("source", "Source must be pull or push",
			"Nguồn phải là pull (kéo) hoặc push (đẩy)")
	}

	if len(c.Username) > CameraCredMaxLen {
		fe.add("username", fmt.Sprintf("Username must be at most %d characters", CameraCredMaxLen),
			fmt.Sprintf("Tên đăng nhập tối đa %d ký tự", CameraCredMaxLen))
	} else if hasControl(c.Username) {
		fe.add("username", "Username contains invalid characters", "Tên đăng nhập chứa ký tự không hợp lệ")
	}
	if len(c.Password) > CameraCredMaxLen {
		fe.add("password", fmt.Sprintf("Password must be at most %d characters", CameraCredMaxLen),
			fmt.Sprintf("Mật khẩu tối đa %d ký tự", CameraCredMaxLen))
	} else if hasControl(c.Password) {
		fe.add("password", "Password contains invalid characters", "Mật khẩu chứa ký tự không hợp lệ")
	}

	checkTags(&fe, c.Tags)

	switch c.Approval {
	case "", ApprovalPending, ApprovalApproved, ApprovalRejected:
	default:
		fe.add("approval", "Approval must be pending, approved or rejected", "Trạng thái duyệt phải là pending, approved hoặc rejected")
	}
	if c.Sharing.Mode != "" || len(c.Sharing.Windows) > 0 || c.Sharing.Paused {
		var se *Error
		if err := c.Sharing.Validate(); errors.As(err, &se) {
			for _, f := range se.Fields {
				fe.add(f.Field, f.Message, f.MessageVI)
			}
		}
	}
	var me *Error
	if err := ValidatePrivacyMasks(c.PrivacyMasks); errors.As(err, &me) {
		for _, f := range me.Fields {
			fe.add(f.Field, f.Message, f.MessageVI)
		}
	}
	if d := c.Direction; d != nil && (math.IsNaN(*d) || *d < 0 || *d >= 360) {
		fe.add("direction", "Direction must be in degrees from 0 (north) to below 360", "Hướng nhìn phải là số độ từ 0 (hướng bắc) đến dưới 360")
	}

	if c.RetainDays < 0 || c.RetainDays > CameraRetainDaysMax {
		fe.add("retain_days",
			fmt.Sprintf("Days to keep recordings must be from 0 (the node's default) to %d", CameraRetainDaysMax),
			fmt.Sprintf("Số ngày lưu bản ghi phải từ 0 (mặc định của máy chủ) đến %d", CameraRetainDaysMax))
	}
	if c.QuotaBytes < 0 {
		fe.add("quota_bytes", "The recording quota must not be negative (0 means no quota of its own)",
			"Hạn mức dung lượng ghi hình không được âm (0 là không đặt hạn mức riêng)")
	}

	if utf8.RuneCountInString(c.Notes) > CameraNotesMaxLen {
		fe.add("notes", fmt.Sprintf("Notes must be at most %d characters", CameraNotesMaxLen),
			fmt.Sprintf("Ghi chú tối đa %d ký tự", CameraNotesMaxLen))
	}

	if len(fe) == 0 {
		return nil
	}
	return &Error{
		Code:      EINVALID,
		Message:   "The camera has invalid fields",
		MessageVI: "Thông tin camera có trường không hợp lệ",
		Fields:    fe,
	}
}

func checkText(fe *fieldErrors, field, v string, required bool, max int, reqEN, reqVI string) {
	switch {
	case required && strings.TrimSpace(v) == "":
		fe.add(field, reqEN, reqVI)
	case utf8.RuneCountInString(v) > max:
		fe.add(field, fmt.Sprintf("Must be at most %d characters", max),
			fmt.Sprintf("Tối đa %d ký tự", max))
	case !utf8.ValidString(v) || hasControl(v):
		fe.add(field, "Contains invalid characters", "Chứa ký tự không hợp lệ")
	}
}

func checkLocation(fe *fieldErrors, lat, lon float64) {
	// NaN fails both comparisons, so it is reported as out of range.
	if !(lat >= -90 && lat <= 90) {
		fe.add("latitude", "Latitude must be between -90 and 90", "Vĩ độ phải nằm trong khoảng -90 đến 90")
	}
	if !(lon >= -180 && lon <= 180) {
		fe.add("longitude", "Longitude must be between -180 and 180", "Kinh độ phải nằm trong khoảng -180 đến 180")
	}
	if lat == 0 && lon == 0 {
		// 0,0 is in the Gulf of Guinea: it means nobody entered a location.
		fe.add("location", "Location is missing: enter the camera's latitude and longitude",
			"Thiếu vị trí: hãy nhập vĩ độ và kinh độ của camera")
	}
}

func checkOwner(fe *fieldErrors, o Owner) {
	if !slices.Contains(OwnerKinds, o.Kind) {
		fe.add("owner.kind", "Owner kind must be one of: ward, household, shop, school, agency",
			"Loại chủ sở hữu phải là: ward (phường), household (hộ gia đình), shop (cửa hàng), school (trường học), agency (cơ quan)")
	}
	contributor := o.Kind != OwnerWard
	checkText(fe, "owner.name", o.Name, contributor, CameraNameMaxLen,
		"Owner name is required for a contributed camera",
		"Tên chủ sở hữu là bắt buộc với camera do người dân/đơn vị đóng góp")
	switch {
	case strings.TrimSpace(o.Contact) == "":
		if contributor {
			fe.add("owner.contact", "Owner contact (phone or e-mail) is required for a contributed camera",
				"Liên hệ của chủ sở hữu (số điện thoại hoặc e-mail) là bắt buộc với camera đóng góp")
		}
	case !ValidContact(o.Contact):
		fe.add("owner.contact", "Contact must be a phone number (e.g. 0912345678 or +84912345678) or an e-mail address",
			"Liên hệ phải là số điện thoại (ví dụ 0912345678 hoặc +84912345678) hoặc địa chỉ e-mail")
	}
}

// ValidContact reports whether s looks like a Vietnamese phone number or an
// e-mail address.
func ValidContact(s string) bool {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		return len(s) <= 254 && emailRe.MatchString(s)
	}
	phone := strings.NewReplacer(" ", "", ".", "", "-", "").Replace(s)
	return phoneRe.MatchString(phone)
}

// checkStreamURL checks an RTSP URL without ever quoting it back, since a
// rejected URL may still hold a password.
func checkStreamURL(fe *fieldErrors, field, raw string) {
	if raw != strings.TrimSpace(raw) || hasControl(raw) || strings.ContainsAny(raw, " \t") {
		fe.add(field, "URL must not contain spaces or control characters",
			"Địa chỉ không được chứa khoảng trắng hoặc ký tự điều khiển")
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		fe.add(field, "URL is not valid", "Địa chỉ không hợp lệ")
		return
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		fe.add(field, "URL must start with rtsp:// or rtsps://",
			"Địa chỉ phải bắt đầu bằng rtsp:// hoặc rtsps://")
		return
	}
	if u.User != nil {
		fe.add(field, "URL must not contain a username or password: use the username and password fields",
			"Địa chỉ không được chứa tên đăng nhập hay mật khẩu: hãy nhập vào ô tên đăng nhập và mật khẩu")
		return
	}
	if u.Opaque != "" || u.Hostname() == "" {
		fe.add(field, "URL must name a host, e.g. rtsp://192.168.1.64:554/...",
			"Địa chỉ phải có tên máy hoặc IP, ví dụ rtsp://192.168.1.64:554/...")
		return
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			fe.add(field, "URL port must be between 1 and 65535", "Cổng trong địa chỉ phải từ 1 đến 65535")
			return
		}
	}
	if !validHost(u.Hostname()) {
		fe.add(field, "URL host is not a valid name or IP address",
			"Tên máy trong địa chỉ không phải tên miền hay địa chỉ IP hợp lệ")
	}
}

// hostRe is a DNS name made of letters, digits, '-', '_' and dots.
var hostRe = regexp.MustCompile(`^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$`)

func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	return len(h) <= 253 && hostRe.MatchString(h)
}

func checkTags(fe *fieldErrors, tags []string) {
	if len(tags) > CameraTagsMax {
		fe.add("tags", fmt.Sprintf("At most %d tags", CameraTagsMax),
			fmt.Sprintf("Tối đa %d thẻ", CameraTagsMax))
		return
	}
	for _, t := range tags {
		switch {
		case strings.TrimSpace(t) == "":
			fe.add("tags", "Tags must not be empty", "Thẻ không được để trống")
		case utf8.RuneCountInString(t) > CameraTagMaxLen:
			fe.add("tags", fmt.Sprintf("Each tag must be at most %d characters", CameraTagMaxLen),
				fmt.Sprintf("Mỗi thẻ tối đa %d ký tự", CameraTagMaxLen))
		case strings.Contains(t, ","):
			fe.add("tags", "Tags must not contain commas", "Thẻ không được chứa dấu phẩy")
		case !utf8.ValidString(t) || hasControl(t):
			fe.add("tags", "Tags contain invalid characters", "Thẻ chứa ký tự không hợp lệ")
		}
	}
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// NormalizeURLs trims the stream URLs and moves credentials pasted into them
// (rtsp://admin:secret@host/...) into Username and Password, so that URLs are
// stored and shown without user info. Credentials found in a URL replace the
// camera's (they are what the user just typed); the main URL's win over the
// sub URL's. Passwords may contain '@', ':', '/' or '#' unescaped: the user
// info ends at the last '@' before the host.
func (c *Camera) NormalizeURLs() {
	var user, pass string
	var found, foundPass bool
	for _, p := range []*string{&c.SubURL, &c.MainURL} { // main last, so it wins
		var u, pw string
		var ok, okPass bool
		*p, u, pw, ok, okPass = splitUserinfo(strings.TrimSpace(*p))
		if ok {
			user, pass, found, foundPass = u, pw, true, okPass
		}
	}
	if found {
		c.Username = user
		if foundPass {
			c.Password = pass
		}
	}
}

// splitUserinfo removes "user[:pass]@" from an rtsp(s) URL.
func splitUserinfo(raw string) (clean, user, pass string, ok, hasPass bool) {
	scheme, rest, cut := strings.Cut(raw, "://")
	if !cut || !strings.HasPrefix(strings.ToLower(scheme), "rtsp") {
		return raw, "", "", false, false
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw, "", "", false, false
	}
	// What follows the '@' must start with a host, not be part of a query.
	host := rest[at+1:]
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if host == "" {
		return raw, "", "", false, false
	}
	info := rest[:at]
	if strings.ContainsAny(strings.SplitN(info, ":", 2)[0], "/?#") {
		return raw, "", "", false, false // the '@' sits in a path or query of a credential-free URL
	}
	user, pass, hasPass = strings.Cut(info, ":")
	return scheme + "://" + rest[at+1:], unescape(user), unescape(pass), true, hasPass
}

func unescape(s string) string {
	if v, err := url.PathUnescape(s); err == nil {
		return v
	}
	return s
}
