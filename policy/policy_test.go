package policy

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decoded renders a document and reads it back as AWS would receive it.
func decoded(t *testing.T, d Document) map[string]any {
	t.Helper()
	s, err := d.JSON()
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &out))
	return out
}

func statements(t *testing.T, d Document) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, s := range decoded(t, d)["Statement"].([]any) {
		out = append(out, s.(map[string]any))
	}
	return out
}

// bySid finds a statement by its Sid.
func bySid(t *testing.T, d Document, sid string) map[string]any {
	t.Helper()
	for _, s := range statements(t, d) {
		if s["Sid"] == sid {
			return s
		}
	}
	t.Fatalf("no statement %q", sid)
	return nil
}

// The policy language version: IAM refuses policy variables and treats
// documents differently under the 2008 default
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
func TestEveryDocumentNamesTheCurrentLanguageVersion(t *testing.T) {
	for name, d := range map[string]Document{
		"RegionalKey": RegionalKey("aws", "123456789012", "eu-west-1"),
		"IRSATrust":   IRSATrust("arn:aws:iam::123456789012:oidc-provider/x", "x", "ns", "sa"),
		"SecretRead":  SecretRead("arn:s", "arn:k", "eu-west-1"),
		"Combine":     Combine(SecretRead("arn:s", "arn:k", "eu-west-1")),
	} {
		assert.Equal(t, "2012-10-17", decoded(t, d)["Version"], name)
	}
}

// TestRegionalKey: the key policy keeps the account in control (the default
// key policy's root statement:
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html),
// lets CloudWatch publish alarms to topics encrypted with it
// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services),
// and lets CloudWatch Logs use it only for this account's log groups in
// this region (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html:
// principal logs.<region>.amazonaws.com, condition on
// kms:EncryptionContext:aws:logs:arn).
func TestRegionalKey(t *testing.T) {
	d := RegionalKey("aws-cn", "210987654321", "cn-north-1")

	root := bySid(t, d, "AccountAdministersTheKeyThroughIAM")
	assert.Equal(t, map[string]any{"AWS": "arn:aws-cn:iam::210987654321:root"}, root["Principal"], "the partition and account of the stack")
	assert.Equal(t, "kms:*", root["Action"])

	cw := bySid(t, d, "CloudWatchAlarmsPublishToEncryptedTopics")
	assert.Equal(t, map[string]any{"Service": "cloudwatch.amazonaws.com"}, cw["Principal"])
	assert.ElementsMatch(t, []any{"kms:Decrypt", "kms:GenerateDataKey*"}, cw["Action"])

	logs := bySid(t, d, "CloudWatchLogsEncryptsThisAccountsLogGroups")
	assert.Equal(t, map[string]any{"Service": "logs.cn-north-1.amazonaws.com"}, logs["Principal"], "the regional Logs principal")
	assert.Equal(t, map[string]any{"ArnLike": map[string]any{
		"kms:EncryptionContext:aws:logs:arn": "arn:aws-cn:logs:cn-north-1:210987654321:log-group:*",
	}}, logs["Condition"], "only this account's log groups in this region")
	assert.Len(t, statements(t, d), 3, "no statement beyond the three")
}

// TestIRSATrust: exactly one service account may assume the role, through
// the cluster's OIDC provider; the condition keys are the issuer without
// its scheme (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html).
func TestIRSATrust(t *testing.T) {
	const arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
	want := map[string]any{"StringEquals": map[string]any{
		"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:taskflow-dr:dr-agent",
		"oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
	}}
	// The provider's url may come with or without the scheme; the keys
	// never carry it.
	for _, url := range []string{"oidc.eks.eu-west-1.amazonaws.com/id/ABC", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"} {
		st := statements(t, IRSATrust(arn, url, "taskflow-dr", "dr-agent"))
		require.Len(t, st, 1)
		assert.Equal(t, "Allow", st[0]["Effect"])
		assert.Equal(t, map[string]any{"Federated": arn}, st[0]["Principal"])
		assert.Equal(t, "sts:AssumeRoleWithWebIdentity", st[0]["Action"])
		assert.Equal(t, want, st[0]["Condition"], url)
	}
}

// TestIdentityPoliciesNameNoPrincipal: an inline role policy with a
// Principal element is refused (MalformedPolicyDocument): "You cannot use
// the Principal element in an identity-based policy"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
func TestIdentityPoliciesNameNoPrincipal(t *testing.T) {
	d := SecretRead("arn:aws:secretsmanager:eu-central-1:123456789012:secret:taskflow/db-AbC123",
		"arn:aws:kms:eu-central-1:123456789012:key/k", "eu-central-1").With(PutMetrics("TaskFlowDR"))
	for _, s := range statements(t, d) {
		assert.NotContains(t, s, "Principal")
		assert.NotContains(t, s, "Sid", "an empty Sid is omitted, not sent as \"\"")
	}
}

// TestSecretRead: one secret, and the key only through Secrets Manager in
// the secret's region (kms:ViaService,
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
func TestSecretRead(t *testing.T) {
	const secret = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:taskflow/db-AbC123"
	const key = "arn:aws:kms:eu-central-1:123456789012:key/k"
	st := statements(t, SecretRead(secret, key, "eu-central-1"))
	require.Len(t, st, 2)
	assert.ElementsMatch(t, []any{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}, st[0]["Action"])
	assert.Equal(t, secret, st[0]["Resource"], "this secret only, not a wildcard")
	assert.Equal(t, "kms:Decrypt", st[1]["Action"])
	assert.Equal(t, key, st[1]["Resource"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager.eu-central-1.amazonaws.com"}}, st[1]["Condition"])
}

// TestPutMetricsIsScopedByNamespace: PutMetricData has no resource-level
// permissions, so Resource is "*" and the cloudwatch:namespace condition
// key is the scope
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
func TestPutMetricsIsScopedByNamespace(t *testing.T) {
	st := statements(t, Document{Version: "2012-10-17", Statement: []Statement{PutMetrics("TaskFlowDR")}})
	require.Len(t, st, 1)
	assert.Equal(t, "cloudwatch:PutMetricData", st[0]["Action"])
	assert.Equal(t, "*", st[0]["Resource"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "TaskFlowDR"}}, st[0]["Condition"])
}

// TestWithAndCombineDoNotAlias: documents built from a shared base stay
// independent (an appended statement must never leak into another role's
// policy through a shared backing array).
func TestWithAndCombineDoNotAlias(t *testing.T) {
	base := Document{Version: "2012-10-17", Statement: make([]Statement, 1, 8)}
	base.Statement[0] = Statement{Effect: "Allow", Action: "s3:GetObject", Resource: "*"}
	a := base.With(PutMetrics("A"))
	b := base.With(PutMetrics("B"))
	require.Len(t, a.Statement, 2)
	require.Len(t, b.Statement, 2)
	assert.Equal(t, "A", a.Statement[1].Condition["StringEquals"].(map[string]any)["cloudwatch:namespace"])
	assert.Equal(t, "B", b.Statement[1].Condition["StringEquals"].(map[string]any)["cloudwatch:namespace"])
	assert.Len(t, base.Statement, 1)

	c := Combine(a, b)
	assert.Len(t, c.Statement, 4)
	c.Statement[0].Action = "changed"
	assert.Equal(t, "s3:GetObject", a.Statement[0].Action)
}

// TestImageLifecycle: a rule with tagStatus "any" must have the highest
// rulePriority, and priorities are unique
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html#lifecycle_policy_parameters).
func TestImageLifecycle(t *testing.T) {
	s, err := ImageLifecycle()
	require.NoError(t, err)
	var doc struct {
		Rules []struct {
			RulePriority int `json:"rulePriority"`
			Selection    struct {
				TagStatus   string `json:"tagStatus"`
				CountType   string `json:"countType"`
				CountNumber int    `json:"countNumber"`
			} `json:"selection"`
			Action struct{ Type string } `json:"action"`
		} `json:"rules"`
	}
	require.NoError(t, json.Unmarshal([]byte(s), &doc))
	require.NotEmpty(t, doc.Rules)
	seen, highest := map[int]bool{}, 0
	for _, r := range doc.Rules {
		assert.False(t, seen[r.RulePriority], "priority %d twice", r.RulePriority)
		seen[r.RulePriority] = true
		highest = max(highest, r.RulePriority)
		assert.Equal(t, "expire", r.Action.Type)
		assert.Positive(t, r.Selection.CountNumber)
	}
	for _, r := range doc.Rules {
		if r.Selection.TagStatus == "any" {
			assert.Equal(t, highest, r.RulePriority, "the tagStatus any rule is evaluated last")
			assert.Equal(t, "imageCountMoreThan", r.Selection.CountType)
		}
	}
}
