// Package rpc is the lab cloud's JSON RPC (cmd/internal/lab/engine/README.md): the way the
// lab's Pulumi provider plugins, separate processes, act on the cloud that
// lives in the drlab process.
//
// # Protocol
//
//	POST $DRLAB_CLOUD/v1/<region>/<service>/<Operation>
//	Content-Type: application/json
//
//	<the operation's input shape as JSON>
//
// <service> is the SigV4 signing name (rds, eks, route53, monitoring,
// secretsmanager, ecr, autoscaling, sts) or "kubernetes" for the lab's
// Kubernetes (objects, nodes, scale, annotate, the service proxy).
// Member names are the AWS API reference's, exactly: PascalCase for RDS,
// CloudWatch, Route 53, Secrets Manager, Auto Scaling; camelCase for EKS
// and ECR. The Go types are in package cloud (cloud.CreateDBInstanceInput,
// cloud.DescribeDBInstancesOutput, …); use them rather than maps.
//
// Conventions:
//   - Unknown members are refused (Code SerializationException), so a
//     misspelt member fails loudly instead of being ignored.
//   - Timestamps are epoch seconds with a fraction, as AWS's JSON
//     protocols send them (cloud.Timestamp).
//   - Success: 200 with the output shape. An AWS error: 400 with
//     {"Code": "InvalidDBInstanceState", "Message": "…", "HTTPStatus": 400}
//     where HTTPStatus is the status AWS itself would answer with (404 for
//     DBInstanceNotFound, 409 for ResourceInUseException, …).
//   - Global services (Route 53, the cluster lookup of kubernetes) ignore
//     the region in the path; call them with any lab region.
//   - A region whose APIs are down (the lab's outage) does not answer:
//     the connection is closed without a response, as an unreachable
//     endpoint fails. IsUnreachable tells that from an API error.
//   - Asynchronous operations return at once in their transitional state
//     (creating, modifying, CREATING, UPDATING, PENDING); poll the Describe
//     operation as the Terraform provider does.
//   - RDS instances and EKS clusters take real time to build (PostgreSQL
//     initdb, pg_basebackup) plus the modelled AWS time, scaled.
//
// Lab-only operations (not AWS): ecr/LabPutImage (a push), and every
// kubernetes/* operation (see cloud/kube.go).
package rpc

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

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
)

// EnvCloud is the variable the lab sets for its plugins: the RPC's base
// URL, e.g. http://127.0.0.1:40123.
const EnvCloud = "DRLAB_CLOUD"

// errorBody is the JSON of a 400.
type errorBody struct {
	Code       string `json:"Code"`
	Message    string `json:"Message"`
	HTTPStatus int    `json:"HTTPStatus,omitempty"`
}

// Handler serves the RPC for c.
func Handler(c *cloud.Cloud) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/{region}/{service}/{op}", func(w http.ResponseWriter, r *http.Request) {
		serve(c, w, r)
	})
	return mux
}

func serve(c *cloud.Cloud, w http.ResponseWriter, r *http.Request) {
	region, service, name := r.PathValue("region"), r.PathValue("service"), r.PathValue("op")
	op, ok := c.Lookup(service, name)
	if !ok {
		writeError(w, &cloud.Error{Code: "UnknownOperationException", Message: fmt.Sprintf("the lab cloud has no operation %s.%s", service, name), Status: http.StatusNotFound})
		return
	}
	in := op.NewInput()
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		writeError(w, &cloud.Error{Code: "SerializationException", Message: err.Error()})
		return
	}
	if err := cloud.DecodeJSON(body, in); err != nil {
		writeError(w, &cloud.Error{Code: "SerializationException", Message: fmt.Sprintf("%s.%s input: %v", service, name, err)})
		return
	}
	out, err := c.Call(cloud.WithCaller(r.Context(), r.Header.Get(HeaderCaller)), op, region, "rpc", in)
	var ae *cloud.Error
	switch {
	case errors.Is(err, cloud.ErrUnreachable):
		dropConnection(w)
	case errors.As(err, &ae):
		writeError(w, ae)
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, errorBody{Code: "InternalFailure", Message: err.Error(), HTTPStatus: http.StatusInternalServerError})
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

func writeError(w http.ResponseWriter, e *cloud.Error) {
	writeJSON(w, http.StatusBadRequest, errorBody{Code: e.Code, Message: e.Message, HTTPStatus: e.HTTPStatus()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"Code":"InternalFailure","Message":"cannot encode the output"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// APIError is an AWS error the cloud answered.
type APIError struct {
	Code       string
	Message    string
	HTTPStatus int
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// ErrUnreachable wraps transport failures: the region's endpoint is down,
// or the lab is gone.
var ErrUnreachable = errors.New("lab cloud unreachable")

// IsUnreachable reports whether err is a transport failure.
func IsUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }

// Client calls the RPC.
type Client struct {
	base string
	http *http.Client
	// Caller names this client's calls in the cloud's log (cloud.Caller*).
	Caller string
}

// HeaderCaller carries the caller's name (cloud.CallerOf); without it a
// call is the lab's own.
const HeaderCaller = "X-Drlab-Caller"

// New returns a client for the RPC at base (http://host:port).
func New(base string) *Client {
	return &Client{base: strings.TrimSuffix(base, "/"), http: &http.Client{Timeout: 5 * time.Minute}}
}

// FromEnv returns a client for $DRLAB_CLOUD.
func FromEnv() (*Client, error) {
	base := os.Getenv(EnvCloud)
	if base == "" {
		return nil, fmt.Errorf("%s is not set: the lab's plugins run inside the lab", EnvCloud)
	}
	return New(base), nil
}

// Call runs service.op in region with in, decoding the answer into out
// (a pointer to the output shape, or nil). An AWS error is *APIError.
func (c *Client) Call(ctx context.Context, region, service, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s.%s: encode input: %w", service, op, err)
	}
	url := fmt.Sprintf("%s/v1/%s/%s/%s", c.base, region, service, op)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s.%s: %w", service, op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Caller != "" {
		req.Header.Set(HeaderCaller, c.Caller)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// No answer at all: cancelled by the caller, or the endpoint is
		// unreachable (refused, reset, closed without a response).
		if ctx.Err() != nil {
			return fmt.Errorf("%s.%s in %s: %w", service, op, region, ctx.Err())
		}
		return fmt.Errorf("%s.%s in %s: %w: %v", service, op, region, ErrUnreachable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s.%s in %s: %w: %v", service, op, region, ErrUnreachable, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if err := json.Unmarshal(raw, &eb); err != nil || eb.Code == "" {
			return fmt.Errorf("%s.%s in %s: HTTP %s: %s", service, op, region, resp.Status, raw)
		}
		return &APIError{Code: eb.Code, Message: eb.Message, HTTPStatus: eb.HTTPStatus}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s.%s in %s: decode output: %w", service, op, region, err)
	}
	return nil
}
