package loadtest

import (
	"encoding/json"
	"net/http"
	"strconv"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// NoResponse is the status under which Outcomes counts purchases that got no HTTP
// response (a connection error or a timeout) or a batch response that could not be read.
const NoResponse = 0

// maxTransportErrors is how many distinct transport errors a step keeps.
const maxTransportErrors = 10

// Outcomes counts what happened to the purchases of one step.
type Outcomes struct {
	// Purchases counts the purchases sent, each item of a batch included.
	Purchases int `json:"purchases"`
	// Succeeded counts the purchases that got status 200, replays included.
	Succeeded int `json:"succeeded"`
	// Replayed counts the purchases that txsync had recorded before with the same content.
	Replayed int `json:"replayed"`
	// ErrorsByStatus counts the other purchases by HTTP status, NoResponse included.
	// Purchases equals Succeeded plus the sum of ErrorsByStatus.
	ErrorsByStatus map[int]int `json:"errors_by_status"`
	// TransportErrors lists up to 10 distinct errors of the requests counted under
	// NoResponse.
	TransportErrors []string `json:"transport_errors,omitempty"`
}

// batchResponse is the part of a batch response that Outcomes reads: one envelope per
// purchase, in the order of the request.
type batchResponse struct {
	Result struct {
		Transactions []struct {
			Status struct {
				Code string `json:"code"`
			} `json:"status"`
			Result struct {
				Replayed bool `json:"replayed"`
			} `json:"result"`
		} `json:"transactions"`
	} `json:"result"`
}

// add counts the purchases of one vegeta result, which carried batchSize purchases. With
// statusOnly, a status of 200 counts every purchase as succeeded and the body is not read.
func (o *Outcomes) add(r *vegeta.Result, endpoint Endpoint, batchSize int, statusOnly bool) {
	if o.ErrorsByStatus == nil {
		o.ErrorsByStatus = map[int]int{}
	}
	o.Purchases += batchSize
	if r.Code == NoResponse {
		o.noteTransportError(r.Error)
	}
	if r.Code != http.StatusOK {
		o.ErrorsByStatus[int(r.Code)] += batchSize
		return
	}
	if endpoint == EndpointBatch && statusOnly {
		o.Succeeded += batchSize
		return
	}
	if endpoint == EndpointSingle {
		o.Succeeded++
		if r.Headers.Get("Idempotent-Replayed") == "true" {
			o.Replayed++
		}
		return
	}

	var batch batchResponse
	err := json.Unmarshal(r.Body, &batch)
	if err != nil || len(batch.Result.Transactions) != batchSize {
		o.ErrorsByStatus[NoResponse] += batchSize
		o.noteTransportError("unreadable batch response")
		return
	}
	for _, item := range batch.Result.Transactions {
		status, err := strconv.Atoi(item.Status.Code)
		switch {
		case err != nil:
			o.ErrorsByStatus[NoResponse]++
		case status == http.StatusOK:
			o.Succeeded++
			if item.Result.Replayed {
				o.Replayed++
			}
		default:
			o.ErrorsByStatus[status]++
		}
	}
}

func (o *Outcomes) noteTransportError(message string) {
	if message == "" || len(o.TransportErrors) >= maxTransportErrors {
		return
	}
	for _, known := range o.TransportErrors {
		if known == message {
			return
		}
	}
	o.TransportErrors = append(o.TransportErrors, message)
}

// failed returns the number of purchases that did not get status 200.
func (o *Outcomes) failed() int {
	return o.Purchases - o.Succeeded
}
