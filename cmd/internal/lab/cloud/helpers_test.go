package cloud

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
)

const (
	west    = "eu-west-1"
	central = "eu-central-1"
)

// testScale makes AWS's minutes the tests' seconds: a five-minute
// promotion takes three seconds.
const testScale = 100

// newTestCloud starts a cloud with the two lab regions; fields of tm left
// zero take the defaults.
func newTestCloud(t *testing.T, tm Timings, edit ...func(*Options)) *Cloud {
	t.Helper()
	dir, err := pg.TempRoot("cloud-test-")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Regions: []string{west, central}, Scale: testScale, Timings: tm, Dir: dir, Logf: t.Logf}
	for _, e := range edit {
		e(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close cloud: %v", err)
		}
		os.RemoveAll(dir)
	})
	return c
}

func requirePostgres(t *testing.T) {
	t.Helper()
	if _, err := pg.BinDir(); err != nil {
		t.Skip(err)
	}
}

// call runs an operation that must succeed.
func call[Out any](t *testing.T, c *Cloud, region, service, op string, in any) *Out {
	t.Helper()
	out, err := try[Out](c, region, service, op, in)
	if err != nil {
		t.Fatalf("%s.%s in %s: %v", service, op, region, err)
	}
	return out
}

func try[Out any](c *Cloud, region, service, op string, in any) (*Out, error) {
	o, ok := c.Lookup(service, op)
	if !ok {
		return nil, errors.New("no operation " + service + "." + op)
	}
	out, err := c.Call(context.Background(), o, region, "test", in)
	if err != nil {
		return nil, err
	}
	return out.(*Out), nil
}

// refused runs an operation that must fail with code; it returns the error.
func refused(t *testing.T, c *Cloud, region, service, op string, in any, code string) *Error {
	t.Helper()
	o, _ := c.Lookup(service, op)
	_, err := c.Call(context.Background(), o, region, "test", in)
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("%s.%s: got %v, want %s", service, op, err, code)
	}
	return ae
}

// eventually polls cond every 20 ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func s(v string) *string { return &v }
func i(v int) *int       { return &v }
func b(v bool) *bool     { return &v }
