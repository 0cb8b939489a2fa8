package fakecloudwatch

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func client(t *testing.T, s *Server, region string) *cloudwatch.Client {
	t.Helper()
	return cloudwatch.New(cloudwatch.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLAB", "secret", ""),
	})
}

func datum(name string, v float64, at time.Time, res int32) types.MetricDatum {
	return types.MetricDatum{
		MetricName:        aws.String(name),
		Dimensions:        []types.Dimension{{Name: aws.String("Cluster"), Value: aws.String("c1")}},
		Value:             aws.Float64(v),
		Unit:              types.StandardUnitSeconds,
		StorageResolution: aws.Int32(res),
		Timestamp:         aws.Time(at),
	}
}

func TestPutThenGetThroughTheSDK(t *testing.T) {
	s := Start()
	t.Cleanup(s.Close)
	ctx := context.Background()
	west, central := client(t, s, "eu-west-1"), client(t, s, "eu-central-1")
	base := time.Now().UTC().Truncate(time.Minute).Add(-2 * time.Minute)
	var data []types.MetricDatum
	for i := range 5 {
		data = append(data, datum("ReplicationDelay", float64(i)+0.25, base.Add(time.Duration(i)*time.Second), 1))
	}
	_, err := central.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("TaskFlowDR"), MetricData: data})
	require.NoError(t, err)
	assert.Equal(t, 1, s.Calls("eu-central-1", "PutMetricData"))
	assert.Len(t, s.Points("eu-central-1", "TaskFlowDR", "ReplicationDelay", map[string]string{"Cluster": "c1"}), 5)
	assert.Empty(t, s.Points("eu-west-1", "TaskFlowDR", "ReplicationDelay", map[string]string{"Cluster": "c1"}), "regions are apart")

	query := func(c *cloudwatch.Client, period int32, stat string) *cloudwatch.GetMetricDataOutput {
		out, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(base.Add(-time.Minute)), EndTime: aws.Time(base.Add(time.Minute)),
			MetricDataQueries: []types.MetricDataQuery{{
				Id: aws.String("d"),
				MetricStat: &types.MetricStat{
					Metric: &types.Metric{Namespace: aws.String("TaskFlowDR"), MetricName: aws.String("ReplicationDelay"),
						Dimensions: []types.Dimension{{Name: aws.String("Cluster"), Value: aws.String("c1")}}},
					Period: aws.Int32(period), Stat: aws.String(stat),
				},
			}},
		})
		require.NoError(t, err)
		require.Len(t, out.MetricDataResults, 1)
		return out
	}
	perSecond := query(central, 1, "Maximum").MetricDataResults[0]
	require.Len(t, perSecond.Values, 5)
	assert.Equal(t, 4.25, perSecond.Values[0], "newest first by default")
	assert.Equal(t, base.Add(4*time.Second), perSecond.Timestamps[0].UTC())
	perMinute := query(central, 60, "Maximum").MetricDataResults[0]
	assert.Equal(t, []float64{4.25}, perMinute.Values)
	assert.Equal(t, []float64{5}, query(central, 60, "SampleCount").MetricDataResults[0].Values)
	assert.Empty(t, query(west, 60, "Maximum").MetricDataResults[0].Values)
}

func apiCode(t *testing.T, err error) string {
	t.Helper()
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "want an API error, got %v", err)
	return apiErr.ErrorCode()
}

func TestRejectsWhatCloudWatchRejects(t *testing.T) {
	s := Start()
	t.Cleanup(s.Close)
	ctx := context.Background()
	c := client(t, s, "eu-central-1")
	now := time.Now()
	put := func(ns string, d types.MetricDatum) error {
		_, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: []types.MetricDatum{d}})
		return err
	}
	for name, err := range map[string]error{
		"AWS/ namespace":          put("AWS/RDS", datum("m", 1, now, 1)),
		"storage resolution 5":    put("TaskFlowDR", datum("m", 1, now, 5)),
		"three weeks old":         put("TaskFlowDR", datum("m", 1, now.Add(-21*24*time.Hour), 1)),
		"three hours ahead":       put("TaskFlowDR", datum("m", 1, now.Add(3*time.Hour), 1)),
		"value beyond 2^360":      put("TaskFlowDR", datum("m", math.Pow(2, 361), now, 1)),
		"unit not in enumeration": put("TaskFlowDR", types.MetricDatum{MetricName: aws.String("m"), Value: aws.Float64(1), Unit: "Hours"}),
	} {
		require.Error(t, err, name)
		assert.Equal(t, "InvalidParameterValue", apiCode(t, err), name)
	}
	_, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("Bad"), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("TaskFlowDR"), MetricName: aws.String("m")},
			Period: aws.Int32(60), Stat: aws.String("Maximum")}}},
	})
	assert.Equal(t, "InvalidParameterValue", apiCode(t, err), "query ids start with a lowercase letter")
	_, err = c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now),
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("q"), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("TaskFlowDR"), MetricName: aws.String("m")},
			Period: aws.Int32(7), Stat: aws.String("Maximum")}}},
	})
	assert.Equal(t, "InvalidParameterValue", apiCode(t, err), "period 7")
	assert.Zero(t, s.Calls("eu-central-1", "PutMetricData"))

	req, err := http.NewRequest(http.MethodPost, s.URL()+pathPrefix+"PutMetricData", strings.NewReader(""))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/cbor")
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "unsigned requests are refused")
}

func TestInjectedFailuresAreRetriedByTheSDK(t *testing.T) {
	s := Start()
	t.Cleanup(s.Close)
	c := client(t, s, "eu-central-1")
	s.FailNext(1)
	_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("TaskFlowDR"),
		MetricData: []types.MetricDatum{datum("m", 1, time.Now(), 60)}})
	require.NoError(t, err, "the SDK's standard retryer retries a 500")
	s.FailNext(10)
	_, err = c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("TaskFlowDR"),
		MetricData: []types.MetricDatum{datum("m", 1, time.Now(), 60)}})
	require.Error(t, err)
	assert.Equal(t, "InternalServiceError", apiCode(t, err))
}
