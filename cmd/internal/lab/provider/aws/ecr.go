package aws

import (
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
)

// ecrRepo is ECR's Repository shape
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Repository.html).
type ecrRepo struct {
	RepositoryArn              string `json:"repositoryArn"`
	RegistryID                 string `json:"registryId"`
	RepositoryName             string `json:"repositoryName"`
	RepositoryURI              string `json:"repositoryUri"`
	ImageTagMutability         string `json:"imageTagMutability"`
	ImageScanningConfiguration struct {
		ScanOnPush bool `json:"scanOnPush"`
	} `json:"imageScanningConfiguration"`
	EncryptionConfiguration struct {
		EncryptionType string `json:"encryptionType"`
		KmsKey         string `json:"kmsKey"`
	} `json:"encryptionConfiguration"`
}

func describeRepo(c *provider.Ctx, cloud *cloudrpc.Client, name string) (*ecrRepo, error) {
	var out struct {
		Repositories []ecrRepo `json:"repositories"`
	}
	err := cloud.Call(c, region(c), "ecr", "DescribeRepositories", map[string]any{"repositoryNames": []string{name}}, &out)
	if cloudrpc.IsCode(err, "RepositoryNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(out.Repositories) != 1 {
		return nil, fmt.Errorf("DescribeRepositories %s: %d repositories", name, len(out.Repositories))
	}
	return &out.Repositories[0], nil
}

func repoOutputs(c *provider.Ctx, r *ecrRepo, in provider.Props) provider.Props {
	enc := map[string]any{"encryptionType": r.EncryptionConfiguration.EncryptionType}
	if r.EncryptionConfiguration.KmsKey != "" {
		enc["kmsKey"] = r.EncryptionConfiguration.KmsKey
	}
	out := provider.FromGo(map[string]any{
		"arn": r.RepositoryArn, "registryId": r.RegistryID, "repositoryUrl": r.RepositoryURI, "name": r.RepositoryName,
		"imageTagMutability":         r.ImageTagMutability,
		"imageScanningConfiguration": map[string]any{"scanOnPush": r.ImageScanningConfiguration.ScanOnPush},
		"encryptionConfigurations":   []any{enc},
	})
	out["tagsAll"] = tagsAll(c, in)
	return out
}

func scanning(in provider.Props) map[string]any {
	return map[string]any{"scanOnPush": provider.Bool(provider.Obj(in, "imageScanningConfiguration"), "scanOnPush", false)}
}

func ecrRepositoryType() *provider.Type {
	return &provider.Type{
		Token: "aws:ecr/repository:Repository",
		// tfaws internal/service/ecr/repository.go: name and
		// encryption_configuration (encryption_type, kms_key) ForceNew.
		ForceNew: []string{"name", "encryptionConfigurations"},
		AutoName: lowerAutoName(),
		Defaults: provider.FromGo(map[string]any{"imageTagMutability": "MUTABLE"}),
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return "", nil, err
			}
			name := provider.Str(in, "name")
			req := map[string]any{
				"repositoryName":             name,
				"imageTagMutability":         provider.Str(in, "imageTagMutability"),
				"imageScanningConfiguration": scanning(in),
				"tags":                       tagList(c, in),
			}
			if enc := firstObj(in, "encryptionConfigurations"); enc != nil {
				e := map[string]any{"encryptionType": provider.Str(enc, "encryptionType")}
				if k := provider.Str(enc, "kmsKey"); k != "" {
					e["kmsKey"] = k
				}
				req["encryptionConfiguration"] = e
			}
			var out struct {
				Repository ecrRepo `json:"repository"`
			}
			if err := cloud.Call(c, region(c), "ecr", "CreateRepository", req, &out); err != nil {
				return "", nil, fmt.Errorf("creating ECR Repository (%s): %w", name, err)
			}
			return name, repoOutputs(c, &out.Repository, in), nil
		},
		Update: func(c *provider.Ctx, id string, _, oldInputs, news, outs provider.Props) (provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, err
			}
			if changed(oldInputs, news, "imageTagMutability") {
				req := map[string]any{"repositoryName": id, "imageTagMutability": provider.Str(news, "imageTagMutability")}
				if err := cloud.Call(c, region(c), "ecr", "PutImageTagMutability", req, nil); err != nil {
					return nil, fmt.Errorf("updating ECR Repository (%s) tag mutability: %w", id, err)
				}
			}
			if changed(oldInputs, news, "imageScanningConfiguration") {
				req := map[string]any{"repositoryName": id, "imageScanningConfiguration": scanning(news)}
				if err := cloud.Call(c, region(c), "ecr", "PutImageScanningConfiguration", req, nil); err != nil {
					return nil, fmt.Errorf("updating ECR Repository (%s) scanning: %w", id, err)
				}
			}
			r, err := describeRepo(c, cloud, id)
			if err != nil {
				return nil, err
			}
			if r == nil {
				return nil, fmt.Errorf("ECR Repository (%s) vanished during update", id)
			}
			return merge(outs, repoOutputs(c, r, news)), nil
		},
		Read: func(c *provider.Ctx, id string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			r, err := describeRepo(c, cloud, id)
			if err != nil || r == nil {
				return nil, nil, err
			}
			return merge(olds, repoOutputs(c, r, oldInputs)), oldInputs, nil
		},
		Delete: func(c *provider.Ctx, id string, olds provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			req := map[string]any{"repositoryName": id, "force": provider.Bool(olds, "forceDelete", false)}
			err = cloud.Call(c, region(c), "ecr", "DeleteRepository", req, nil)
			if cloudrpc.IsCode(err, "RepositoryNotFoundException") {
				return nil
			}
			return err
		},
	}
}

func ecrReplicationType() *provider.Type {
	put := func(c *provider.Ctx, in provider.Props) error {
		cloud, err := c.Cloud()
		if err != nil {
			return err
		}
		cfg := map[string]any{"rules": []any{}}
		if rc := provider.Obj(in, "replicationConfiguration"); rc != nil {
			cfg = rc.Mappable()
		}
		return cloud.Call(c, region(c), "ecr", "PutReplicationConfiguration", map[string]any{"replicationConfiguration": cfg}, nil)
	}
	return &provider.Type{
		Token: "aws:ecr/replicationConfiguration:ReplicationConfiguration",
		// tfaws internal/service/ecr/replication_configuration.go: nothing
		// ForceNew: the registry has exactly one configuration, put again
		// on every change (replication/images.go).
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			if err := put(c, in); err != nil {
				return "", nil, fmt.Errorf("creating ECR Replication Configuration: %w", err)
			}
			return Account(), provider.Props{"registryId": resource.NewProperty(Account())}, nil
		},
		Update: func(c *provider.Ctx, _ string, _, _, news, outs provider.Props) (provider.Props, error) {
			if err := put(c, news); err != nil {
				return nil, fmt.Errorf("updating ECR Replication Configuration: %w", err)
			}
			return outs, nil
		},
		Read: func(c *provider.Ctx, _ string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			var out struct {
				ReplicationConfiguration map[string]any `json:"replicationConfiguration"`
			}
			if err := cloud.Call(c, region(c), "ecr", "DescribeRegistry", map[string]any{}, &out); err != nil {
				return nil, nil, err
			}
			rules, _ := out.ReplicationConfiguration["rules"].([]any)
			if len(rules) == 0 {
				return nil, nil, nil
			}
			outs, ins := provider.Copy(olds), provider.Copy(oldInputs)
			live := resource.NewPropertyValue(out.ReplicationConfiguration)
			outs["replicationConfiguration"] = live
			ins["replicationConfiguration"] = live
			return outs, ins, nil
		},
		Delete: func(c *provider.Ctx, _ string, _ provider.Props) error {
			return put(c, provider.Props{})
		},
	}
}

// templateRequest is Create/UpdateRepositoryCreationTemplate's request from
// the resource's inputs
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html).
func templateRequest(in provider.Props) map[string]any {
	req := map[string]any{"prefix": provider.Str(in, "prefix"), "appliedFor": provider.Strs(in, "appliedFors")}
	optional(req, in, map[string]string{
		"description": "description", "imageTagMutability": "imageTagMutability", "repositoryPolicy": "repositoryPolicy",
		"lifecyclePolicy": "lifecyclePolicy", "customRoleArn": "customRoleArn",
	})
	if enc := firstObj(in, "encryptionConfigurations"); enc != nil {
		e := map[string]any{"encryptionType": provider.Str(enc, "encryptionType")}
		if k := provider.Str(enc, "kmsKey"); k != "" {
			e["kmsKey"] = k
		}
		req["encryptionConfiguration"] = e
	}
	if tags := provider.Obj(in, "resourceTags"); tags != nil {
		var list []map[string]string
		for k, v := range tags.Mappable() {
			list = append(list, map[string]string{"Key": k, "Value": fmt.Sprint(v)})
		}
		req["resourceTags"] = list
	}
	return req
}

// ecrCreationTemplateType is a registry's repository creation template: the
// settings ECR gives a repository it creates by replication. The lab cloud
// holds it so that a replicated repository really gets them.
func ecrCreationTemplateType() *provider.Type {
	call := func(c *provider.Ctx, op string, in provider.Props) error {
		cloud, err := c.Cloud()
		if err != nil {
			return err
		}
		return cloud.Call(c, region(c), "ecr", op, templateRequest(in), nil)
	}
	outs := func() provider.Props {
		return provider.Props{"registryId": resource.NewProperty(Account())}
	}
	return &provider.Type{
		Token: "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
		// tfaws internal/service/ecr/repository_creation_template.go: prefix
		// ForceNew; everything else UpdateRepositoryCreationTemplate.
		ForceNew: []string{"prefix"},
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			prefix := provider.Str(in, "prefix")
			if err := call(c, "CreateRepositoryCreationTemplate", in); err != nil {
				return "", nil, fmt.Errorf("creating ECR Repository Creation Template (%s): %w", prefix, err)
			}
			return prefix, outs(), nil
		},
		Update: func(c *provider.Ctx, id string, _, _, news, _ provider.Props) (provider.Props, error) {
			if err := call(c, "UpdateRepositoryCreationTemplate", news); err != nil {
				return nil, fmt.Errorf("updating ECR Repository Creation Template (%s): %w", id, err)
			}
			return outs(), nil
		},
		Read: func(c *provider.Ctx, id string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			err = cloud.Call(c, region(c), "ecr", "DescribeRepositoryCreationTemplates", map[string]any{"prefixes": []string{id}}, nil)
			if cloudrpc.IsCode(err, "TemplateNotFoundException") {
				return nil, nil, nil
			}
			return olds, oldInputs, err
		},
		Delete: func(c *provider.Ctx, id string, _ provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			err = cloud.Call(c, region(c), "ecr", "DeleteRepositoryCreationTemplate", map[string]any{"prefix": id}, nil)
			if cloudrpc.IsCode(err, "TemplateNotFoundException") {
				return nil
			}
			return err
		},
	}
}

func launchConfigurationType() *provider.Type {
	return &provider.Type{
		Token: "aws:ec2/launchConfiguration:LaunchConfiguration",
		// tfaws internal/service/autoscaling/launch_configuration.go: every
		// argument is ForceNew (a launch configuration cannot be modified:
		// https://docs.aws.amazon.com/autoscaling/ec2/userguide/launch-configurations.html).
		AllForceNew: true,
		AutoName:    autoName(),
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return "", nil, err
			}
			name := provider.Str(in, "name")
			req := map[string]any{"LaunchConfigurationName": name}
			optional(req, in, map[string]string{
				"imageId": "ImageId", "instanceType": "InstanceType", "iamInstanceProfile": "IamInstanceProfile",
				"associatePublicIpAddress": "AssociatePublicIpAddress", "keyName": "KeyName", "spotPrice": "SpotPrice",
				"placementTenancy": "PlacementTenancy", "ebsOptimized": "EbsOptimized",
			})
			if sgs := provider.Strs(in, "securityGroups"); len(sgs) > 0 {
				req["SecurityGroups"] = sgs
			}
			if ud := provider.Str(in, "userData"); ud != "" {
				req["UserData"] = base64.StdEncoding.EncodeToString([]byte(ud))
			}
			if provider.Has(in, "enableMonitoring") {
				req["InstanceMonitoring"] = map[string]any{"Enabled": provider.Bool(in, "enableMonitoring", true)}
			}
			if rbd := provider.Obj(in, "rootBlockDevice"); rbd != nil {
				ebs := map[string]any{}
				optional(ebs, rbd, map[string]string{"volumeSize": "VolumeSize", "volumeType": "VolumeType", "encrypted": "Encrypted",
					"deleteOnTermination": "DeleteOnTermination", "iops": "Iops", "throughput": "Throughput"})
				req["BlockDeviceMappings"] = []any{map[string]any{"DeviceName": "/dev/xvda", "Ebs": ebs}}
			}
			if err := cloud.Call(c, region(c), "autoscaling", "CreateLaunchConfiguration", req, nil); err != nil {
				return "", nil, fmt.Errorf("creating Auto Scaling Launch Configuration (%s): %w", name, err)
			}
			var out struct {
				LaunchConfigurations []struct{ LaunchConfigurationARN string }
			}
			if err := cloud.Call(c, region(c), "autoscaling", "DescribeLaunchConfigurations", map[string]any{"LaunchConfigurationNames": []string{name}}, &out); err != nil {
				return "", nil, err
			}
			lcArn := ""
			if len(out.LaunchConfigurations) == 1 {
				lcArn = out.LaunchConfigurations[0].LaunchConfigurationARN
			}
			return name, provider.Props{"arn": resource.NewProperty(lcArn)}, nil
		},
		Read: func(c *provider.Ctx, id string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			var out struct{ LaunchConfigurations []map[string]any }
			if err := cloud.Call(c, region(c), "autoscaling", "DescribeLaunchConfigurations", map[string]any{"LaunchConfigurationNames": []string{id}}, &out); err != nil {
				return nil, nil, err
			}
			if len(out.LaunchConfigurations) == 0 {
				return nil, nil, nil
			}
			return olds, oldInputs, nil
		},
		Delete: func(c *provider.Ctx, id string, _ provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			err = cloud.Call(c, region(c), "autoscaling", "DeleteLaunchConfiguration", map[string]any{"LaunchConfigurationName": id}, nil)
			if cloudrpc.IsCode(err, "ValidationError") {
				return nil
			}
			return err
		},
	}
}
