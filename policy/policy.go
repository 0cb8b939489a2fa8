// Package policy holds the policy documents the program writes: who may
// use the regional keys, which service account may assume which role, what
// each role may do, and how long image repositories keep images. They are plain functions over strings so
// that the tests read them as AWS will.
package policy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Document is an IAM or KMS policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement.
type Statement struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal,omitempty"`
	Action    any            `json:"Action"`
	Resource  any            `json:"Resource,omitempty"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// JSON renders a document.
func (d Document) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode policy: %w", err)
	}
	return string(b), nil
}

func doc(statements ...Statement) Document {
	return Document{Version: "2012-10-17", Statement: statements}
}

// RegionalKey is the key policy of a region's customer-managed key: the
// account administers it through IAM (the default key policy's statement,
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html),
// CloudWatch may use it to publish alarms to the encrypted SNS topics
// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services:
// the AWS-managed SNS key does not allow it), and CloudWatch Logs may use it
// for this account's log groups in the region
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
func RegionalKey(partition, account, region string) Document {
	return doc(
		Statement{
			Sid: "AccountAdministersTheKeyThroughIAM", Effect: "Allow",
			Principal: map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partition, account)},
			Action:    "kms:*", Resource: "*",
		},
		Statement{
			Sid: "CloudWatchAlarmsPublishToEncryptedTopics", Effect: "Allow",
			Principal: map[string]any{"Service": "cloudwatch.amazonaws.com"},
			Action:    []string{"kms:Decrypt", "kms:GenerateDataKey*"}, Resource: "*",
		},
		Statement{
			Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups", Effect: "Allow",
			Principal: map[string]any{"Service": "logs." + region + ".amazonaws.com"},
			Action:    []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
			Resource:  "*",
			Condition: map[string]any{"ArnLike": map[string]any{
				"kms:EncryptionContext:aws:logs:arn": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", partition, region, account),
			}},
		},
	)
}

// IRSATrust lets exactly one service account assume a role through the
// cluster's OIDC provider
// (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html).
func IRSATrust(oidcProviderArn, oidcProviderURL, namespace, serviceAccount string) Document {
	issuer := strings.TrimPrefix(oidcProviderURL, "https://")
	return doc(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Federated": oidcProviderArn},
		Action:    "sts:AssumeRoleWithWebIdentity",
		Condition: map[string]any{"StringEquals": map[string]any{
			issuer + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
			issuer + ":aud": "sts.amazonaws.com",
		}},
	})
}

// SecretRead allows reading one secret, and decrypting with the region's key
// only through Secrets Manager in that region.
func SecretRead(secretArn, kmsKeyArn, region string) Document {
	return doc(
		Statement{
			Effect:   "Allow",
			Action:   []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
			Resource: secretArn,
		},
		Statement{
			Effect:    "Allow",
			Action:    "kms:Decrypt",
			Resource:  kmsKeyArn,
			Condition: map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager." + region + ".amazonaws.com"}},
		},
	)
}

// PutMetrics allows PutMetricData into one CloudWatch namespace only.
// PutMetricData has no resource-level permissions; the namespace condition
// key is how it is scoped
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
func PutMetrics(namespace string) Statement {
	return Statement{
		Effect:    "Allow",
		Action:    "cloudwatch:PutMetricData",
		Resource:  "*",
		Condition: map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": namespace}},
	}
}

// Combine joins statements into one document.
func Combine(docs ...Document) Document {
	var all []Statement
	for _, d := range docs {
		all = append(all, d.Statement...)
	}
	return doc(all...)
}

// With adds statements to a document.
func (d Document) With(statements ...Statement) Document {
	d.Statement = append(append([]Statement(nil), d.Statement...), statements...)
	return d
}
