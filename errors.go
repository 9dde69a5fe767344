package matthan

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in internal/httpapi.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	// ETOOMANY refuses a request for a while, such as a sign-in after too
	// many failures (HTTP 429 with Retry-After).
	ETOOMANY = "too_many_requests"
)

// Error is an error a user can be shown, in English and Vietnamese.
type Error struct {
	Code      string       `json:"code"`
	Message   string       `json:"message"`
	MessageVI string       `json:"message_vi"`
	Fields    []FieldError `json:"fields,omitempty"`
}

// FieldError says what is wrong with one input field.
type FieldError struct {
	Field     string `json:"field"`
	Message   string `json:"message"`
	MessageVI string `json:"message_vi"`
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	s := e.Message
	for _, f := range e.Fields {
		s += fmt.Sprintf("; %s: %s", f.Field, f.Message)
	}
	return s
}

// Errorf builds an *Error with the same message in both languages' slots
// filled separately.
func Errorf(code, en, vi string) *Error {
	return &Error{Code: code, Message: en, MessageVI: vi}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
