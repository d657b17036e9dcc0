package mongostore

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

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
		// FerretDB 1.24.2 reports a command stopped by its time limit this way.
		{"interrupted", mongo.CommandError{Code: 1, Message: "[db.go:134 fsql.(*DB).InTransaction] interrupted (9)"}, application.ErrStoreUnavailable},
		{"other internal error", mongo.CommandError{Code: 1, Message: "disk full"}, nil},
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
