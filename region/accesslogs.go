package region

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/policy"
)

// AccessLogPrefix is where the ALB writes its access logs in the bucket.
const AccessLogPrefix = "alb"

// elbAccountIDs are the Elastic Load Balancing accounts that deliver access
// logs in the regions that predate August 2022; newer regions use the
// logdelivery service principal instead
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy).
var elbAccountIDs = map[string]string{
	"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980", "us-west-2": "797873946194",
	"eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-west-3": "009996457667",
	"eu-central-1": "054676820928", "eu-north-1": "897822967062", "ca-central-1": "985666609251",
	"ap-northeast-1": "582318560864", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
}

type accessLogs struct {
	bucket *s3.BucketV2
	policy *s3.BucketPolicy
}

// accessLogBucket is the region's ALB access-log bucket: private, encrypted
// with S3-managed keys (the only encryption ALB log delivery supports: same
// page as above), with a lifecycle that expires logs after
// logs.retentionDays.
func (b *builder) accessLogBucket() (*accessLogs, error) {
	bucket, err := s3.NewBucketV2(b.ctx, b.child("alb-logs"), &s3.BucketV2Args{
		BucketPrefix: pulumi.String(b.args.ClusterName + "-alb-logs-"),
		Tags:         b.nameTag("alb-logs"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: access-log bucket: %w", b.name, err)
	}
	if _, err := s3.NewBucketPublicAccessBlock(b.ctx, b.child("alb-logs-private"), &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: access-log bucket public access block: %w", b.name, err)
	}
	if _, err := s3.NewBucketOwnershipControls(b.ctx, b.child("alb-logs-owner"), &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: access-log bucket ownership: %w", b.name, err)
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(b.ctx, b.child("alb-logs-sse"), &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: access-log bucket encryption: %w", b.name, err)
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(b.ctx, b.child("alb-logs-lifecycle"), &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire-access-logs"),
			Status:     pulumi.String("Enabled"),
			Filter:     s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(AccessLogPrefix + "/")},
			Expiration: s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(b.args.Logs.RetentionDays)},
			AbortIncompleteMultipartUpload: s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
				DaysAfterInitiation: pulumi.Int(7),
			},
		}},
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: access-log bucket lifecycle: %w", b.name, err)
	}
	doc := bucket.Arn.ApplyT(func(arn string) (string, error) {
		return AccessLogBucketPolicy(b.args.Partition, b.args.Region, b.args.Account, arn).JSON()
	}).(pulumi.StringOutput)
	pol, err := s3.NewBucketPolicy(b.ctx, b.child("alb-logs-policy"), &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: doc,
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: access-log bucket policy: %w", b.name, err)
	}
	return &accessLogs{bucket: bucket, policy: pol}, nil
}

// AccessLogBucketPolicy lets Elastic Load Balancing write this account's
// access logs under AccessLogPrefix, and refuses any request without TLS.
func AccessLogBucketPolicy(partition, region, account, bucketArn string) policy.Document {
	principal := map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
	if id, ok := elbAccountIDs[region]; ok {
		principal = map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partition, id)}
	}
	return policy.Combine(policy.Document{Version: "2012-10-17", Statement: []policy.Statement{
		{
			Sid: "ElbDeliversAccessLogs", Effect: "Allow", Principal: principal,
			Action:   "s3:PutObject",
			Resource: fmt.Sprintf("%s/%s/AWSLogs/%s/*", bucketArn, AccessLogPrefix, account),
		},
		{
			Sid: "TLSOnly", Effect: "Deny", Principal: map[string]any{"AWS": "*"},
			Action:    "s3:*",
			Resource:  []string{bucketArn, bucketArn + "/*"},
			Condition: map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		},
	}})
}
