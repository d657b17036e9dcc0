package loadtest

import (
	"net/http"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// newTargeter returns a vegeta targeter that posts the generator's purchases to the
// endpoint of partnerURL with accessToken. vegeta counts the time the targeter takes in
// each request's latency: a few microseconds per purchase.
func newTargeter(
	gen *Generator,
	partnerURL string,
	endpoint Endpoint,
	batchSize int,
	accessToken string,
) vegeta.Targeter {
	endpointURL := strings.TrimRight(partnerURL, "/") + endpoint.path()
	// vegeta copies the header into each request, so the targets can share it.
	header := http.Header{
		"Content-Type":  {"application/json"},
		"Authorization": {"Bearer " + accessToken},
	}
	return func(t *vegeta.Target) error {
		if t == nil {
			return vegeta.ErrNilTarget
		}
		var body []byte
		var err error
		if endpoint == EndpointBatch {
			body, err = gen.NextBatch(batchSize)
		} else {
			body, err = gen.Next()
		}
		if err != nil {
			return err
		}
		*t = vegeta.Target{Method: http.MethodPost, URL: endpointURL, Body: body, Header: header}
		return nil
	}
}
