package cloud

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSecretReplication(t *testing.T) {
	c := newTestCloud(t, Timings{})
	// No replication: no ReplicationStatus at all (the CLI prints None).
	call[CreateSecretOutput](t, c, west, "secretsmanager", "CreateSecret", &CreateSecretInput{Name: s("solo"), SecretString: s("{}")})
	d := call[DescribeSecretOutput](t, c, west, "secretsmanager", "DescribeSecret", &SecretIDInput{SecretId: s("solo")})
	if d.ReplicationStatus != nil {
		t.Fatalf("unreplicated secret has ReplicationStatus %v", d.ReplicationStatus)
	}

	out := call[CreateSecretOutput](t, c, west, "secretsmanager", "CreateSecret", &CreateSecretInput{Name: s("taskflow/db"), SecretString: s(`{"password":"a"}`),
		AddReplicaRegions: []ReplicaRegionType{{Region: s(central), KmsKeyId: s("arn:aws:kms:eu-central-1:000000000000:key/c")}}})
	if *out.ReplicationStatus[0].Status != "InProgress" {
		t.Fatalf("new replica %s", *out.ReplicationStatus[0].Status)
	}
	refused(t, c, west, "secretsmanager", "CreateSecret", &CreateSecretInput{Name: s("taskflow/db"), SecretString: s("{}")}, "ResourceExistsException")
	eventually(t, 3*time.Second, "InSync", func() bool {
		d := call[DescribeSecretOutput](t, c, west, "secretsmanager", "DescribeSecret", &SecretIDInput{SecretId: out.ARN})
		return *d.ReplicationStatus[0].Status == "InSync"
	})
	replica := call[DescribeSecretOutput](t, c, central, "secretsmanager", "DescribeSecret", &SecretIDInput{SecretId: s("taskflow/db")})
	if *replica.PrimaryRegion != west || replica.ReplicationStatus != nil || !strings.Contains(*replica.ARN, ":eu-central-1:") {
		t.Fatalf("replica: primary %s, replication %v, ARN %s", *replica.PrimaryRegion, replica.ReplicationStatus, *replica.ARN)
	}
	// Replicas are read-only; the primary's new value reaches them.
	refused(t, c, central, "secretsmanager", "PutSecretValue", &PutSecretValueInput{SecretId: s("taskflow/db"), SecretString: s("{}")}, "InvalidRequestException")
	call[PutSecretValueOutput](t, c, west, "secretsmanager", "PutSecretValue", &PutSecretValueInput{SecretId: s("taskflow/db"), SecretString: s(`{"password":"b"}`)})
	v := call[GetSecretValueOutput](t, c, central, "secretsmanager", "GetSecretValue", &GetSecretValueInput{SecretId: s("taskflow/db")})
	if *v.SecretString != `{"password":"b"}` {
		t.Fatalf("replica value %s", *v.SecretString)
	}
	// A primary with replicas is not deleted.
	refused(t, c, west, "secretsmanager", "DeleteSecret", &DeleteSecretInput{SecretId: s("taskflow/db")}, "InvalidParameterException")
	// StopReplicationToReplica promotes the replica, in its own region.
	refused(t, c, west, "secretsmanager", "StopReplicationToReplica", &SecretIDInput{SecretId: s("taskflow/db")}, "InvalidRequestException")
	call[StopReplicationOutput](t, c, central, "secretsmanager", "StopReplicationToReplica", &SecretIDInput{SecretId: s("taskflow/db")})
	call[PutSecretValueOutput](t, c, central, "secretsmanager", "PutSecretValue", &PutSecretValueInput{SecretId: s("taskflow/db"), SecretString: s("{}")})
	d = call[DescribeSecretOutput](t, c, west, "secretsmanager", "DescribeSecret", &SecretIDInput{SecretId: s("taskflow/db")})
	if d.ReplicationStatus != nil {
		t.Fatalf("the primary still lists %v", d.ReplicationStatus)
	}
	call[DeleteSecretOutput](t, c, west, "secretsmanager", "DeleteSecret", &DeleteSecretInput{SecretId: s("taskflow/db"), RecoveryWindowInDays: i(7)})
	refused(t, c, west, "secretsmanager", "GetSecretValue", &GetSecretValueInput{SecretId: s("taskflow/db")}, "InvalidRequestException")
	refused(t, c, west, "secretsmanager", "CreateSecret", &CreateSecretInput{Name: s("taskflow/db")}, "InvalidRequestException")
	refused(t, c, west, "secretsmanager", "DescribeSecret", &SecretIDInput{SecretId: s("nope")}, "ResourceNotFoundException")
}

// ECR replication copies pushes made after it is configured, into a
// repository the creation template shapes when it has to create one.
func TestImageReplication(t *testing.T) {
	c := newTestCloud(t, Timings{ImageReplication: 30 * time.Second})
	ctx := context.Background()
	call[RepositoryOutput](t, c, west, "ecr", "CreateRepository", &CreateRepositoryInput{RepositoryName: s("taskflow"), ImageTagMutability: s("IMMUTABLE"),
		EncryptionConfiguration: &EncryptionConfiguration{EncryptionType: s("KMS"), KmsKey: s("arn:aws:kms:eu-west-1:000000000000:key/w")}})
	refused(t, c, west, "ecr", "CreateRepository", &CreateRepositoryInput{RepositoryName: s("taskflow")}, "RepositoryAlreadyExistsException")
	if err := c.PushImage(ctx, west, "taskflow", "sha256:"+strings.Repeat("1", 64), "v1"); err != nil {
		t.Fatal(err)
	}
	call[TemplateOutput](t, c, central, "ecr", "CreateRepositoryCreationTemplate", &CreateRepositoryCreationTemplateInput{Prefix: s("ROOT"),
		AppliedFor: []string{"REPLICATION"}, ImageTagMutability: s("IMMUTABLE"),
		EncryptionConfiguration: &EncryptionConfiguration{EncryptionType: s("KMS"), KmsKey: s("arn:aws:kms:eu-central-1:000000000000:key/c")}})
	refused(t, c, west, "ecr", "PutReplicationConfiguration", &PutReplicationConfigurationInput{ReplicationConfiguration: &ReplicationConfiguration{Rules: []ReplicationRule{{
		Destinations: []ReplicationDestination{{Region: s(west), RegistryId: s(DefaultAccount)}}}}}}, "InvalidParameterException")
	call[ReplicationConfigurationOutput](t, c, west, "ecr", "PutReplicationConfiguration", &PutReplicationConfigurationInput{ReplicationConfiguration: &ReplicationConfiguration{Rules: []ReplicationRule{{
		Destinations: []ReplicationDestination{{Region: s(central), RegistryId: s(DefaultAccount)}}, RepositoryFilters: []RepositoryFilter{{Filter: s("task"), FilterType: s("PREFIX_MATCH")}}}}}})
	if err := c.PushImage(ctx, west, "taskflow", "sha256:"+strings.Repeat("2", 64), "v2"); err != nil {
		t.Fatal(err)
	}
	// An immutable tag does not move.
	if err := c.PushImage(ctx, west, "taskflow", "sha256:"+strings.Repeat("3", 64), "v2"); err == nil {
		t.Fatal("an immutable tag moved")
	}
	eventually(t, 3*time.Second, "v2 replicated", func() bool {
		_, err := try[DescribeImagesOutput](c, central, "ecr", "DescribeImages", &DescribeImagesInput{RepositoryName: s("taskflow"), ImageIds: []ImageIdentifier{{ImageTag: s("v2")}}})
		return err == nil
	})
	e := refused(t, c, central, "ecr", "DescribeImages", &DescribeImagesInput{RepositoryName: s("taskflow"), ImageIds: []ImageIdentifier{{ImageTag: s("v1")}}}, "ImageNotFoundException")
	if e.Message != "The image with imageId {imageDigest:'null', imageTag:'v1'} does not exist within the repository with name 'taskflow' in the registry with id '000000000000'" {
		t.Fatalf("message %q", e.Message)
	}
	repo := call[DescribeRepositoriesOutput](t, c, central, "ecr", "DescribeRepositories", &DescribeRepositoriesInput{RepositoryNames: []string{"taskflow"}}).Repositories[0]
	if *repo.ImageTagMutability != "IMMUTABLE" || *repo.EncryptionConfiguration.EncryptionType != "KMS" {
		t.Fatalf("replicated repository %s %s: the template was not applied", *repo.ImageTagMutability, *repo.EncryptionConfiguration.EncryptionType)
	}
	refused(t, c, central, "ecr", "DescribeImages", &DescribeImagesInput{RepositoryName: s("other")}, "RepositoryNotFoundException")
}
