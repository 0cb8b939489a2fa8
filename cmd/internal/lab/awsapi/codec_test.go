package awsapi

import (
	"bytes"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
)

// The CLI's query strings: lists as Name.member.N, or with the model's
// element name (VpcSecurityGroupIds.VpcSecurityGroupId.N), nested
// structures by dots, "Name=" for an empty list.
func TestQueryDecoding(t *testing.T) {
	values, _ := url.ParseQuery("Action=PutMetricData&Version=2010-08-01&Namespace=TaskFlowDR" +
		"&MetricData.member.1.MetricName=PrimaryFenced&MetricData.member.1.Value=1&MetricData.member.1.StorageResolution=60" +
		"&MetricData.member.1.Dimensions.member.1.Name=FencedStack&MetricData.member.1.Dimensions.member.1.Value=primary" +
		"&MetricData.member.2.MetricName=B&MetricData.member.2.Value=2.5&MetricData.member.2.Timestamp=2026-11-27T10:00:00Z")
	var in cloud.PutMetricDataInput
	if err := decodeTree(parseQuery(values), reflect.ValueOf(&in).Elem(), queryStyle, ""); err != nil {
		t.Fatal(err)
	}
	if *in.Namespace != "TaskFlowDR" || len(in.MetricData) != 2 || *in.MetricData[0].StorageResolution != 60 ||
		*in.MetricData[0].Dimensions[0].Value != "primary" || *in.MetricData[1].Value != 2.5 ||
		!in.MetricData[1].Timestamp.Equal(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("decoded %+v", in)
	}

	values, _ = url.ParseQuery("DBInstanceIdentifier=db&VpcSecurityGroupIds.VpcSecurityGroupId.2=sg-b&VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-a" +
		"&VpcSecurityGroupIds.VpcSecurityGroupId.10=sg-j&DeletionProtection=true&BackupRetentionPeriod=7")
	var m cloud.ModifyDBInstanceInput
	if err := decodeTree(parseQuery(values), reflect.ValueOf(&m).Elem(), queryStyle, ""); err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.VpcSecurityGroupIds, ",") != "sg-a,sg-b,sg-j" || !*m.DeletionProtection || *m.BackupRetentionPeriod != 7 {
		t.Fatalf("decoded %+v", m)
	}
	values, _ = url.ParseQuery("AlarmNames=")
	var d cloud.DescribeAlarmsInput
	if err := decodeTree(parseQuery(values), reflect.ValueOf(&d).Elem(), queryStyle, ""); err != nil || d.AlarmNames == nil || len(d.AlarmNames) != 0 {
		t.Fatalf("empty list: %v %#v", err, d.AlarmNames)
	}
	// Unknown parameters and bad values are refused.
	for _, q := range []string{"DBInstanceIdentifier=db&Bogus=1", "DBInstanceIdentifier=db&BackupRetentionPeriod=seven",
		"DBInstanceIdentifier=db&VpcSecurityGroupIds.member.1=sg"} {
		values, _ = url.ParseQuery(q)
		var m cloud.ModifyDBInstanceInput
		if err := decodeTree(parseQuery(values), reflect.ValueOf(&m).Elem(), queryStyle, ""); err == nil {
			t.Errorf("%s accepted", q)
		}
	}
}

func TestXMLCodec(t *testing.T) {
	body := `<?xml version="1.0" encoding="UTF-8"?>
<UpdateHealthCheckRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HealthThreshold>3</HealthThreshold>
<ChildHealthChecks><ChildHealthCheck>a</ChildHealthCheck><ChildHealthCheck>b</ChildHealthCheck></ChildHealthChecks>
<Inverted>false</Inverted></UpdateHealthCheckRequest>`
	root, err := parseXML(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var in cloud.UpdateHealthCheckInput
	if err := decodeTree(root, reflect.ValueOf(&in).Elem(), xmlStyle, ""); err != nil {
		t.Fatal(err)
	}
	if *in.HealthThreshold != 3 || strings.Join(in.ChildHealthChecks, ",") != "a,b" || *in.Inverted || in.HealthCheckId != nil {
		t.Fatalf("decoded %+v", in)
	}

	// An empty list is an empty element, an absent one is nothing; a
	// timestamp is ISO 8601; text is escaped.
	var b bytes.Buffer
	encodeXML(&b, reflect.ValueOf(cloud.DescribeDBInstancesOutput{DBInstances: []cloud.DBInstance{}}))
	if b.String() != "<DBInstances></DBInstances>" {
		t.Fatalf("empty list: %s", b.String())
	}
	b.Reset()
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	name, v := "a<b", 1.0
	encodeXML(&b, reflect.ValueOf(cloud.Datapoint{Timestamp: cloud.At(at), Maximum: &v, Unit: &name}))
	if b.String() != "<Timestamp>2026-11-27T10:00:00.000Z</Timestamp><Maximum>1.0</Maximum><Unit>a&lt;b</Unit>" {
		t.Fatalf("encoded %s", b.String())
	}
}

func TestCBORCodec(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 500_000_000, time.UTC)
	out := cloud.MetricDataResult{Id: ptr("seq"), Timestamps: []cloud.Timestamp{{Time: at}}, Values: []float64{42}, StatusCode: ptr("Complete")}
	enc := cbor.Encode(encodeCBOR(reflect.ValueOf(out)))
	dec, err := cbor.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	var back cloud.MetricDataResult
	if err := decodeCBOR(dec, reflect.ValueOf(&back).Elem(), ""); err != nil {
		t.Fatal(err)
	}
	if *back.Id != "seq" || back.Values[0] != 42 || !back.Timestamps[0].Equal(at) {
		t.Fatalf("round trip %+v", back)
	}
	tag, ok := dec.(cbor.Map)["Timestamps"].(cbor.List)[0].(*cbor.Tag)
	if !ok || tag.ID != 1 {
		t.Fatalf("timestamp encoded as %T, want tag 1", dec.(cbor.Map)["Timestamps"].(cbor.List)[0])
	}
	if err := decodeCBOR(cbor.Map{"Bogus": cbor.String("x")}, reflect.ValueOf(&back).Elem(), ""); err == nil {
		t.Fatal("unknown member accepted")
	}
}

func ptr[T any](v T) *T { return &v }
