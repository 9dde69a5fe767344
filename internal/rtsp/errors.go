package rtsp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"

	"matthan"
	"matthan/internal/secret"
)

// redacted replaces passwords wherever they would be shown.
const redacted = secret.Redacted

// scrubbedError is err with the secrets cut out of its text; it keeps err in
// its chain only when the text held none of them.
type scrubbedError struct{ msg string }

func (e *scrubbedError) Error() string { return e.msg }

// scrub returns err unchanged when its text contains no secret, else a
// plain error with each secret (raw and URL-escaped) replaced.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	out := scrubText(msg, secrets...)
	if out == msg {
		return err
	}
	return &scrubbedError{msg: out}
}

func scrubText(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		userinfo := strings.TrimPrefix(url.UserPassword("", sec).String(), ":")
		for _, form := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec), userinfo} {
			s = strings.ReplaceAll(s, form, redacted)
		}
	}
	return s
}

func streamError(state matthan.StreamState, en, vi string, err error) *matthan.StreamError {
	return &matthan.StreamError{State: state, Reason: en, ReasonVI: vi, Err: err}
}

// statusText is a server's status line, shortened: it is shown to people.
func statusText(code int, msg string) string {
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, msg)
	if len(msg) > 60 {
		msg = msg[:60]
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", code, msg))
}

// classify turns a session failure into the state the health machine moves
// to, with reasons a person can act on. withCredentials says whether we
// presented a user name. Neither reason nor error contains a secret.
func classify(err error, withCredentials bool, secrets ...string) *matthan.StreamError {
	var se *matthan.StreamError
	if errors.As(err, &se) {
		return se
	}
	cause := scrub(err, secrets...)

	var badStatus liberrors.ErrClientBadStatusCode
	var scheme liberrors.ErrClientUnsupportedScheme
	var authSetup liberrors.ErrClientAuthSetup
	var sdpInvalid liberrors.ErrClientSDPInvalid
	var dnsErr *net.DNSError
	var netErr net.Error

	switch {
	case errors.As(err, &badStatus):
		status := scrubText(statusText(int(badStatus.Code), badStatus.Message), secrets...)
		switch badStatus.Code {
		case 401:
			if !withCredentials {
				return streamError(matthan.StateAuthFailed,
					"the camera requires a user name and password",
					"camera yêu cầu tên đăng nhập và mật khẩu", cause)
			}
			return streamError(matthan.StateAuthFailed,
				"the camera refused the user name or password",
				"camera từ chối tên đăng nhập hoặc mật khẩu", cause)
		case 403:
			return streamError(matthan.StateAuthFailed,
				"the camera refused access ("+status+")",
				"camera từ chối quyền truy cập ("+status+")", cause)
		case 404:
			return streamError(matthan.StateBadURL,
				"the camera has no stream at this path ("+status+")",
				"camera không có luồng ở đường dẫn này ("+status+")", cause)
		}
		return streamError(matthan.StateOffline,
			"the camera answered "+status,
			"camera trả lời "+status, cause)

	case errors.As(err, &authSetup):
		return streamError(matthan.StateAuthFailed,
			"the camera asks for an authentication method we cannot use",
			"camera yêu cầu phương thức xác thực không được hỗ trợ", cause)

	case errors.As(err, &scheme):
		return streamError(matthan.StateBadURL,
			"the stream URL must start with rtsp:// or rtsps://",
			"địa chỉ luồng phải bắt đầu bằng rtsp:// hoặc rtsps://", cause)

	case errors.As(err, &sdpInvalid),
		errors.As(err, new(liberrors.ErrClientContentTypeMissing)),
		errors.As(err, new(liberrors.ErrClientContentTypeUnsupported)):
		return streamError(matthan.StateUnsupported,
			"the camera's stream description cannot be read",
			"không đọc được mô tả luồng của camera", cause)

	case errors.As(err, new(liberrors.ErrClientTCPTimeout)),
		errors.As(err, new(liberrors.ErrClientUDPTimeout)):
		return streamError(matthan.StateStalled,
			"the camera stopped sending media",
			"camera ngừng gửi dữ liệu hình ảnh", cause)

	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return streamError(matthan.StateBadURL,
			"the camera's host name cannot be resolved",
			"không phân giải được tên máy của camera", cause)

	case errors.Is(err, syscall.ECONNREFUSED):
		return streamError(matthan.StateOffline,
			"the camera refused the connection (nothing listens on that port)",
			"camera từ chối kết nối (không có dịch vụ ở cổng này)", cause)

	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return streamError(matthan.StateOffline,
			"the camera cannot be reached",
			"không kết nối được tới camera", cause)

	case errors.As(err, new(liberrors.ErrClientRequestTimedOut)),
		errors.As(err, &netErr) && netErr.Timeout():
		return streamError(matthan.StateOffline,
			"the camera did not answer in time",
			"camera không trả lời kịp thời", cause)

	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return streamError(matthan.StateOffline,
			"the camera closed the connection",
			"camera đã đóng kết nối", cause)
	}
	return streamError(matthan.StateOffline,
		"the connection to the camera failed",
		"kết nối tới camera thất bại", cause)
}
