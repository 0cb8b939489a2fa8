package rpc_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/cloudtest"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/rpc"
)

func TestRPCConventions(t *testing.T) {
	lab := cloudtest.Start(t, cloudtest.Config{})
	c := rpc.New(lab.RPC)
	ctx := context.Background()
	s := func(v string) *string { return &v }

	// Success: the output shape.
	var out cloud.CreateHostedZoneOutput
	if err := c.Call(ctx, cloudtest.Primary, "route53", "CreateHostedZone", &cloud.CreateHostedZoneInput{Name: s("example.com"), CallerReference: s("r")}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*out.HostedZone.Id, "/hostedzone/Z") || *out.HostedZone.Name != "example.com." || out.ChangeInfo.SubmittedAt.IsZero() {
		t.Fatalf("zone %+v", out.HostedZone)
	}

	// An AWS error: its code, message and AWS's own status.
	err := c.Call(ctx, cloudtest.Primary, "rds", "DescribeDBInstances", &cloud.DescribeDBInstancesInput{DBInstanceIdentifier: s("nope")}, nil)
	var ae *rpc.APIError
	if !errors.As(err, &ae) || ae.Code != "DBInstanceNotFound" || ae.Message != "DBInstance nope not found." || ae.HTTPStatus != 404 {
		t.Fatalf("error %#v", err)
	}
	if rpc.IsUnreachable(err) {
		t.Fatal("an API error counted as unreachable")
	}

	// A misspelt member is refused, not ignored.
	resp, err := http.Post(lab.RPC+"/v1/eu-west-1/rds/DescribeDBInstances", "application/json", bytes.NewReader([]byte(`{"DbInstanceIdentifier":"x"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	err = c.Call(ctx, cloudtest.Primary, "rds", "DescribeDBInstances", map[string]string{"DbInstanceIdentifier": "x"}, nil)
	if !errors.As(err, &ae) || ae.Code != "SerializationException" || resp.StatusCode != 400 {
		t.Fatalf("unknown member: %v (HTTP %d)", err, resp.StatusCode)
	}
	err = c.Call(ctx, cloudtest.Primary, "rds", "DescribeNothing", struct{}{}, nil)
	if !errors.As(err, &ae) || ae.Code != "UnknownOperationException" {
		t.Fatalf("unknown operation: %v", err)
	}
	// A missing required member, as the service words it.
	err = c.Call(ctx, cloudtest.Primary, "eks", "DescribeCluster", &cloud.ClusterNameInput{}, nil)
	if !errors.As(err, &ae) || ae.Code != "InvalidParameterException" {
		t.Fatalf("missing member: %v", err)
	}

	// A region that is down does not answer at all.
	lab.Cloud.SetRegionDown(cloudtest.Primary, true)
	err = c.Call(ctx, cloudtest.Primary, "rds", "DescribeDBInstances", &cloud.DescribeDBInstancesInput{}, nil)
	if !rpc.IsUnreachable(err) {
		t.Fatalf("region down: %v", err)
	}
	// Route 53 is global: any region reaches it while us-east-1 is up.
	if err := c.Call(ctx, cloudtest.Primary, "route53", "ListHostedZones", &cloud.ListHostedZonesInput{}, nil); err != nil {
		t.Fatalf("route53 through a region that is down: %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	time.Sleep(2 * time.Millisecond)
	if err := c.Call(cctx, cloudtest.Standby, "rds", "DescribeDBInstances", &cloud.DescribeDBInstancesInput{}, nil); rpc.IsUnreachable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled call: %v", err)
	}
}
