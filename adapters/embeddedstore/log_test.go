package embeddedstore

import (
	"bytes"
	"log/slog"
	"testing"
)

// TestErrorsOnly_logsErrorsAsTheHandlerWould checks that errorsOnly drops records below
// error and writes errors with the attributes and groups added before, exactly as the
// handler it wraps would have.
func TestErrorsOnly_logsErrorsAsTheHandlerWould(t *testing.T) {
	t.Parallel()
	noTime := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	var got, want bytes.Buffer
	derive := func(l *slog.Logger) *slog.Logger {
		return l.With("conn", 1).WithGroup("cmd").With("name", "insert")
	}
	wrapped := derive(slog.New(errorsOnly{handler: slog.NewJSONHandler(&got, noTime)}))
	plain := derive(slog.New(slog.NewJSONHandler(&want, noTime)))

	wrapped.Warn("dropped", "n", 1)
	wrapped.Error("kept", "n", 2)
	plain.Error("kept", "n", 2)

	if got.String() != want.String() {
		t.Errorf("logged %q, want %q", &got, &want)
	}
}
