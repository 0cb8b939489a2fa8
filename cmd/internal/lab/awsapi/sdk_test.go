package awsapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/awsapi"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/cloudtest"
)

// The DR agent's client: aws-sdk-go-v2/service/cloudwatch v1.75.7 speaks
// Smithy RPC v2 CBOR (its api_client.go: rpcv2.NewCBOR). Its writes and
// reads must land in the same CloudWatch as the CLI's.
func TestCloudWatchSDKSpeaksCBOR(t *testing.T) {
	lab := cloudtest.Start(t, cloudtest.Config{Regions: []string{cloudtest.Standby}})
	client := cloudwatch.New(cloudwatch.Options{
		Region:       cloudtest.Standby,
		BaseEndpoint: aws.String(lab.AWS),
		Credentials:  aws.NewCredentialsCache(credentials{}),
	})
	ctx := context.Background()
	cluster := types.Dimension{Name: aws.String("Cluster"), Value: aws.String("taskflow-dr-primary")}
	now := time.Now()
	for k := range 3 {
		_, err := client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("TaskFlowDR"), MetricData: []types.MetricDatum{
			{MetricName: aws.String("AckedHeartbeatSequence"), Dimensions: []types.Dimension{cluster}, Value: aws.Float64(float64(40 + k)),
				Unit: types.StandardUnitNone, Timestamp: aws.Time(now.Add(time.Duration(k-3) * time.Second)), StorageResolution: aws.Int32(1)},
			{MetricName: aws.String("AckedHeartbeatTime"), Dimensions: []types.Dimension{cluster}, Value: aws.Float64(float64(now.Unix()) + 0.125),
				Unit: types.StandardUnitSeconds, Timestamp: aws.Time(now.Add(time.Duration(k-3) * time.Second)), StorageResolution: aws.Int32(1)},
		}})
		if err != nil {
			t.Fatalf("PutMetricData: %v", err)
		}
	}
	out, err := client.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(now.Add(time.Second)),
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("seq"), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("TaskFlowDR"), MetricName: aws.String("AckedHeartbeatSequence"), Dimensions: []types.Dimension{cluster}},
			Period: aws.Int32(1), Stat: aws.String("Maximum")}}},
	})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	r := out.MetricDataResults[0]
	if aws.ToString(r.Id) != "seq" || len(r.Values) != 3 || r.Values[0] != 42 || r.StatusCode != types.StatusCodeComplete {
		t.Fatalf("result %s: values %v, status %s", aws.ToString(r.Id), r.Values, r.StatusCode)
	}
	if d := r.Timestamps[0].Sub(now.Add(-time.Second).Truncate(time.Second)); d < -time.Second || d > time.Second {
		t.Fatalf("newest timestamp %v, want about %v", r.Timestamps[0], now.Add(-time.Second))
	}

	// Errors carry the query code, as the CLI would see it.
	_, err = client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Custom"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("x"), Value: aws.Float64(1)}}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("PutMetricData to AWS/: %v, want InvalidParameterValue", err)
	}
	_, err = client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("b")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterCombination" {
		t.Fatalf("DescribeAlarms: %v, want InvalidParameterCombination", err)
	}
}

type credentials struct{}

func (credentials) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: awsapi.AccessKeyID, SecretAccessKey: awsapi.SecretAccessKey, Source: "drlab"}, nil
}
