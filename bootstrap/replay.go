package bootstrap

import (
	"context"
	"errors"
	"io"
)

func replay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not implemented yet")
}
