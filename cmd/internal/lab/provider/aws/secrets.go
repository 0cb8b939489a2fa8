package aws

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
)

const secretFile = tfaws + ":internal/service/secretsmanager/secret.go"

// secretDesc is DescribeSecret's output
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html).
type secretDesc struct {
	ARN, Name, Description, KmsKeyId string
	DeletedDate                      any
	PrimaryRegion                    string
	ReplicationStatus                []struct {
		Region, KmsKeyId, Status, StatusMessage string
		LastAccessedDate                        any
	}
}

type replica struct{ Region, KmsKeyID string }

func replicasOf(in provider.Props) []replica {
	v, ok := in["replicas"]
	if !ok || !v.IsArray() {
		return nil
	}
	var out []replica
	for _, e := range v.ArrayValue() {
		if e.IsObject() {
			out = append(out, replica{Region: provider.Str(e.ObjectValue(), "region"), KmsKeyID: provider.Str(e.ObjectValue(), "kmsKeyId")})
		}
	}
	return out
}

func replicaRegions(rs []replica) []map[string]string {
	var out []map[string]string
	for _, r := range rs {
		m := map[string]string{"Region": r.Region}
		if r.KmsKeyID != "" {
			m["KmsKeyId"] = r.KmsKeyID
		}
		out = append(out, m)
	}
	return out
}

func describeSecret(c *provider.Ctx, cloud *cloudrpc.Client, id string) (*secretDesc, error) {
	var out secretDesc
	err := cloud.Call(c, region(c), "secretsmanager", "DescribeSecret", map[string]any{"SecretId": id}, &out)
	if cloudrpc.IsCode(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// secretFile resourceSecretRead: a secret scheduled for deletion is
	// gone as far as the configuration is concerned.
	if out.DeletedDate != nil {
		return nil, nil
	}
	return &out, nil
}

func secretOutputs(c *provider.Ctx, s *secretDesc, in provider.Props) provider.Props {
	var reps []any
	for _, r := range s.ReplicationStatus {
		reps = append(reps, map[string]any{
			"region": r.Region, "kmsKeyId": r.KmsKeyId, "status": r.Status,
			"statusMessage": r.StatusMessage, "lastAccessedDate": fmt.Sprint(orNil(r.LastAccessedDate)),
		})
	}
	if reps == nil {
		reps = []any{}
	}
	out := provider.FromGo(map[string]any{"arn": s.ARN, "name": s.Name, "replicas": reps})
	if s.KmsKeyId != "" {
		out["kmsKeyId"] = resource.NewProperty(s.KmsKeyId)
	}
	out["tagsAll"] = tagsAll(c, in)
	return out
}

func orNil(v any) any {
	if v == nil {
		return ""
	}
	return v
}

func secretType() *provider.Type {
	return &provider.Type{
		Token: "aws:secretsmanager/secret:Secret",
		// secretFile schema: name, name_prefix ForceNew; description,
		// kms_key_id, policy, replica update in place.
		ForceNew: []string{"name", "namePrefix"},
		AutoName: autoName(),
		Defaults: provider.FromGo(map[string]any{"recoveryWindowInDays": 30, "forceOverwriteReplicaSecret": false}),
		Validate: func(_ *provider.Ctx, in provider.Props) error {
			if n := provider.Int(in, "recoveryWindowInDays", 30); n != 0 && (n < 7 || n > 30) {
				return fmt.Errorf("recoveryWindowInDays %d: must be 0 or between 7 and 30 (%s)", n, secretFile)
			}
			return nil
		},
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return "", nil, err
			}
			name := provider.Str(in, "name")
			req := map[string]any{"Name": name, "Tags": tagList(c, in)}
			optional(req, in, map[string]string{"description": "Description", "kmsKeyId": "KmsKeyId", "forceOverwriteReplicaSecret": "ForceOverwriteReplicaSecret"})
			if reps := replicasOf(in); len(reps) > 0 {
				req["AddReplicaRegions"] = replicaRegions(reps)
			}
			var out struct{ ARN string }
			if err := cloud.Call(c, region(c), "secretsmanager", "CreateSecret", req, &out); err != nil {
				return "", nil, fmt.Errorf("creating Secrets Manager Secret (%s): %w", name, err)
			}
			if pol := provider.Str(in, "policy"); pol != "" {
				if err := cloud.Call(c, region(c), "secretsmanager", "PutResourcePolicy", map[string]any{"SecretId": out.ARN, "ResourcePolicy": pol}, nil); err != nil {
					return "", nil, fmt.Errorf("setting Secrets Manager Secret (%s) policy: %w", name, err)
				}
			}
			s, err := describeSecret(c, cloud, out.ARN)
			if err != nil {
				return "", nil, err
			}
			if s == nil {
				return "", nil, fmt.Errorf("Secrets Manager Secret (%s) vanished after creation", name)
			}
			return s.ARN, secretOutputs(c, s, in), nil
		},
		Update: func(c *provider.Ctx, id string, olds, oldInputs, news, outs provider.Props) (provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, err
			}
			if changed(oldInputs, news, "description") || changed(oldInputs, news, "kmsKeyId") {
				req := map[string]any{"SecretId": id}
				optional(req, news, map[string]string{"description": "Description", "kmsKeyId": "KmsKeyId"})
				if err := cloud.Call(c, region(c), "secretsmanager", "UpdateSecret", req, nil); err != nil {
					return nil, fmt.Errorf("updating Secrets Manager Secret (%s): %w", id, err)
				}
			}
			if changed(oldInputs, news, "replicas") {
				oldR, newR := map[string]replica{}, map[string]replica{}
				for _, r := range replicasOf(oldInputs) {
					oldR[r.Region] = r
				}
				for _, r := range replicasOf(news) {
					newR[r.Region] = r
				}
				var remove []string
				for reg, r := range oldR {
					if n, ok := newR[reg]; !ok || n.KmsKeyID != r.KmsKeyID {
						remove = append(remove, reg)
					}
				}
				var add []replica
				for reg, r := range newR {
					if o, ok := oldR[reg]; !ok || o.KmsKeyID != r.KmsKeyID {
						add = append(add, r)
					}
				}
				sort.Strings(remove)
				sort.Slice(add, func(i, j int) bool { return add[i].Region < add[j].Region })
				if len(remove) > 0 {
					if err := cloud.Call(c, region(c), "secretsmanager", "RemoveRegionsFromReplication", map[string]any{"SecretId": id, "RemoveReplicaRegions": remove}, nil); err != nil {
						return nil, fmt.Errorf("removing Secrets Manager Secret (%s) replicas: %w", id, err)
					}
				}
				if len(add) > 0 {
					req := map[string]any{"SecretId": id, "AddReplicaRegions": replicaRegions(add), "ForceOverwriteReplicaSecret": provider.Bool(news, "forceOverwriteReplicaSecret", false)}
					if err := cloud.Call(c, region(c), "secretsmanager", "ReplicateSecretToRegions", req, nil); err != nil {
						return nil, fmt.Errorf("replicating Secrets Manager Secret (%s): %w", id, err)
					}
				}
			}
			s, err := describeSecret(c, cloud, id)
			if err != nil {
				return nil, err
			}
			if s == nil {
				return nil, fmt.Errorf("Secrets Manager Secret (%s) vanished during update", id)
			}
			return merge(outs, secretOutputs(c, s, news)), nil
		},
		Read: func(c *provider.Ctx, id string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			s, err := describeSecret(c, cloud, id)
			if err != nil || s == nil {
				return nil, nil, err
			}
			return merge(olds, secretOutputs(c, s, oldInputs)), oldInputs, nil
		},
		// secretFile resourceSecretDelete: replicas are removed first,
		// then the secret is scheduled for deletion after its recovery
		// window (0: deleted at once).
		Delete: func(c *provider.Ctx, id string, olds provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			s, err := describeSecret(c, cloud, id)
			if err != nil {
				return err
			}
			if s == nil {
				return nil
			}
			var regions []string
			for _, r := range s.ReplicationStatus {
				regions = append(regions, r.Region)
			}
			if len(regions) > 0 {
				if err := cloud.Call(c, region(c), "secretsmanager", "RemoveRegionsFromReplication", map[string]any{"SecretId": id, "RemoveReplicaRegions": regions}, nil); err != nil {
					return fmt.Errorf("removing Secrets Manager Secret (%s) replicas: %w", id, err)
				}
			}
			req := map[string]any{"SecretId": id}
			if w := provider.Int(olds, "recoveryWindowInDays", 30); w == 0 {
				req["ForceDeleteWithoutRecovery"] = true
			} else {
				req["RecoveryWindowInDays"] = w
			}
			err = cloud.Call(c, region(c), "secretsmanager", "DeleteSecret", req, nil)
			if cloudrpc.IsCode(err, "ResourceNotFoundException") {
				return nil
			}
			return err
		},
	}
}

func secretVersionType() *provider.Type {
	return &provider.Type{
		Token: "aws:secretsmanager/secretVersion:SecretVersion",
		// tfaws internal/service/secretsmanager/secret_version.go:
		// secret_id, secret_string, secret_binary ForceNew.
		ForceNew: []string{"secretId", "secretString", "secretBinary"},
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return "", nil, err
			}
			secretID := provider.Str(in, "secretId")
			req := map[string]any{"SecretId": secretID}
			optional(req, in, map[string]string{"secretString": "SecretString", "secretBinary": "SecretBinary"})
			if st := provider.Strs(in, "versionStages"); len(st) > 0 {
				req["VersionStages"] = st
			}
			var out struct {
				ARN, VersionId string
				VersionStages  []string
			}
			if err := cloud.Call(c, region(c), "secretsmanager", "PutSecretValue", req, &out); err != nil {
				return "", nil, fmt.Errorf("putting Secrets Manager Secret (%s) value: %w", secretID, err)
			}
			stages := out.VersionStages
			if len(stages) == 0 {
				stages = []string{"AWSCURRENT"}
			}
			return out.ARN + "|" + out.VersionId, provider.FromGo(map[string]any{
				"arn": out.ARN, "versionId": out.VersionId, "versionStages": orEmpty(stages),
			}), nil
		},
		Read: func(c *provider.Ctx, id string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			arn, version, _ := strings.Cut(id, "|")
			var out struct {
				VersionId     string
				VersionStages []string
			}
			err = cloud.Call(c, region(c), "secretsmanager", "GetSecretValue", map[string]any{"SecretId": arn, "VersionId": version}, &out)
			if cloudrpc.IsCode(err, "ResourceNotFoundException", "InvalidRequestException") {
				return nil, nil, nil
			}
			if err != nil {
				return nil, nil, err
			}
			outs := provider.Copy(olds)
			outs["versionStages"] = resource.NewPropertyValue(orEmpty(out.VersionStages))
			return outs, oldInputs, nil
		},
		// secret_version.go resourceSecretVersionDelete removes the
		// version's stages except AWSCURRENT, which Secrets Manager only
		// moves: deleting the current version leaves it in place.
		Delete: func(c *provider.Ctx, id string, olds provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			arn, version, _ := strings.Cut(id, "|")
			for _, stage := range provider.Strs(olds, "versionStages") {
				if stage == "AWSCURRENT" {
					continue
				}
				req := map[string]any{"SecretId": arn, "VersionStage": stage, "RemoveFromVersionId": version}
				err := cloud.Call(c, region(c), "secretsmanager", "UpdateSecretVersionStage", req, nil)
				if err != nil && !cloudrpc.IsCode(err, "ResourceNotFoundException") {
					return err
				}
			}
			return nil
		},
	}
}
