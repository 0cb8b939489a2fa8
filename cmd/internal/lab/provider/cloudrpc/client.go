// Package cloudrpc is the provider plugins' client of the lab cloud's JSON
// RPC (cmd/internal/lab/engine/README.md): POST $DRLAB_CLOUD/v1/<region>/<service>/<Operation>
// with the AWS operation's input shape as JSON, answered with its output
// shape (200) or {"Code","Message"} (400). The plugins act on the lab's
// state only through it, so a promotion made by the AWS CLI (through the
// lab's wire endpoint, same implementation) is what the next refresh reads.
package cloudrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// EnvCloud names the variable holding the lab cloud's base URL.
const EnvCloud = "DRLAB_CLOUD"

// Client calls the lab cloud.
type Client struct {
	// Base is the cloud's URL, e.g. http://127.0.0.1:8123.
	Base string
	HTTP *http.Client
}

// FromEnv returns a client for $DRLAB_CLOUD, or an error naming the
// variable: a plugin that manages a lab-backed resource must never
// pretend to succeed without the lab.
func FromEnv() (*Client, error) {
	base := strings.TrimRight(os.Getenv(EnvCloud), "/")
	if base == "" {
		return nil, fmt.Errorf("%s is not set: the lab plugins act on the lab cloud and have no other backend", EnvCloud)
	}
	return &Client{Base: base, HTTP: &http.Client{Timeout: 30 * time.Second}}, nil
}

// Error is an AWS-shaped refusal from the cloud.
type Error struct {
	Service, Operation string
	Code, Message      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Service, e.Operation, e.Code, e.Message)
}

// IsCode tells whether err is a cloud refusal with one of codes.
func IsCode(err error, codes ...string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// Call performs one operation. in is marshalled as the input shape; out
// (a pointer, or nil) receives the output shape.
func (c *Client) Call(ctx context.Context, region, service, operation string, in, out any) error {
	if in == nil {
		in = map[string]any{}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s %s: encode input: %w", service, operation, err)
	}
	url := fmt.Sprintf("%s/v1/%s/%s/%s", c.Base, region, service, operation)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", service, operation, err)
	}
	req.Header.Set("Content-Type", "application/json")
	// The plugins act for the pulumi that runs them (cloud.CallerPulumi,
	// under the header rpc.HeaderCaller names).
	req.Header.Set("X-Drlab-Caller", "pulumi")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s in %s: lab cloud unreachable: %w", service, operation, region, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", service, operation, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if out == nil || len(bytes.TrimSpace(raw)) == 0 {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode output: %w", service, operation, err)
		}
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		var e struct{ Code, Message string }
		if err := json.Unmarshal(raw, &e); err != nil || e.Code == "" {
			return fmt.Errorf("%s %s: HTTP %d: %s", service, operation, resp.StatusCode, strings.TrimSpace(string(raw)))
		}
		return &Error{Service: service, Operation: operation, Code: e.Code, Message: e.Message}
	default:
		return fmt.Errorf("%s %s: lab cloud answered HTTP %d: %s", service, operation, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
}
