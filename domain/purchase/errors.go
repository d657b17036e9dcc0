package purchase

import (
	"fmt"
	"strings"
)

// FieldError is one broken rule of one request field. Field is the wire name of the field,
// Reason a short phrase a partner developer reads after it, such as "must not be negative".
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every broken field rule of one request at once.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + " " + f.Reason
	}
	return fmt.Sprintf("invalid purchase: %s", strings.Join(parts, "; "))
}

// Add records that field broke a rule, with err's message as the reason.
func (e *ValidationError) Add(field string, err error) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: err.Error()})
}

// Err returns e when it lists at least one field and nil otherwise.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}
