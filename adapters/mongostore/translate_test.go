package mongostore

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/txsync/txsync/application"
)

func TestTranslate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"duplicate key", mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000, Message: "E11000"}}}, application.ErrDuplicate},
		{"no document", mongo.ErrNoDocuments, application.ErrNotFound},
		{"deadline", context.DeadlineExceeded, application.ErrStoreUnavailable},
		{"connection refused", topology.ConnectionError{ConnectionID: "127.0.0.1:1", Wrapped: syscall.ECONNREFUSED}, application.ErrStoreUnavailable},
		// FerretDB 1.24.2 reports a command stopped by its time limit this way.
		{"interrupted", mongo.CommandError{Code: 1, Message: "[db.go:134 fsql.(*DB).InTransaction] interrupted (9)"}, application.ErrStoreUnavailable},
		{"internal error while shutting down", mongo.CommandError{Code: 1, Message: "context canceled"}, application.ErrStoreUnavailable},
		{"other server error", mongo.CommandError{Code: 2, Message: "BadValue"}, nil},
	}
	for _, tt := range tests {
		got := translate(tt.err)
		if tt.want == nil {
			for _, sentinel := range []error{application.ErrDuplicate, application.ErrNotFound, application.ErrStoreUnavailable} {
				if errors.Is(got, sentinel) {
					t.Errorf("%s: translated to %v, want no sentinel", tt.name, got)
				}
			}
			continue
		}
		if !errors.Is(got, tt.want) {
			t.Errorf("%s: translated to %v, want %v", tt.name, got, tt.want)
		}
	}
}
