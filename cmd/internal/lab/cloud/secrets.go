package cloud

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Secrets Manager, member names as in its API reference
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/).

// ReplicaRegionType is the API's ReplicaRegionType.
type ReplicaRegionType struct {
	Region   *string `json:"Region,omitempty"`
	KmsKeyId *string `json:"KmsKeyId,omitempty"`
}

// ReplicationStatusType is the API's ReplicationStatusType.
type ReplicationStatusType struct {
	Region           *string    `json:"Region,omitempty"`
	KmsKeyId         *string    `json:"KmsKeyId,omitempty"`
	Status           *string    `json:"Status,omitempty"`
	StatusMessage    *string    `json:"StatusMessage,omitempty"`
	LastAccessedDate *Timestamp `json:"LastAccessedDate,omitempty"`
}

// CreateSecretInput is the API's CreateSecretRequest.
type CreateSecretInput struct {
	Name                        *string             `json:"Name,omitempty" aws:"req"`
	ClientRequestToken          *string             `json:"ClientRequestToken,omitempty"`
	Description                 *string             `json:"Description,omitempty"`
	KmsKeyId                    *string             `json:"KmsKeyId,omitempty"`
	SecretBinary                []byte              `json:"SecretBinary,omitempty"`
	SecretString                *string             `json:"SecretString,omitempty"`
	Tags                        []Tag               `json:"Tags,omitempty"`
	AddReplicaRegions           []ReplicaRegionType `json:"AddReplicaRegions,omitempty"`
	ForceOverwriteReplicaSecret *bool               `json:"ForceOverwriteReplicaSecret,omitempty"`
}

// CreateSecretOutput is the API's CreateSecretResponse.
type CreateSecretOutput struct {
	ARN               *string                 `json:"ARN,omitempty"`
	Name              *string                 `json:"Name,omitempty"`
	VersionId         *string                 `json:"VersionId,omitempty"`
	ReplicationStatus []ReplicationStatusType `json:"ReplicationStatus,omitempty"`
}

// PutSecretValueOutput is the API's PutSecretValueResponse.
type PutSecretValueOutput struct {
	ARN           *string  `json:"ARN,omitempty"`
	Name          *string  `json:"Name,omitempty"`
	VersionId     *string  `json:"VersionId,omitempty"`
	VersionStages []string `json:"VersionStages,omitempty"`
}

// UpdateSecretOutput is the API's UpdateSecretResponse.
type UpdateSecretOutput struct {
	ARN       *string `json:"ARN,omitempty"`
	Name      *string `json:"Name,omitempty"`
	VersionId *string `json:"VersionId,omitempty"`
}

// DeleteSecretOutput is the API's DeleteSecretResponse.
type DeleteSecretOutput struct {
	ARN          *string    `json:"ARN,omitempty"`
	Name         *string    `json:"Name,omitempty"`
	DeletionDate *Timestamp `json:"DeletionDate,omitempty"`
}

// ReplicationOutput is ReplicateSecretToRegions' and
// RemoveRegionsFromReplication's response.
type ReplicationOutput struct {
	ARN               *string                 `json:"ARN,omitempty"`
	ReplicationStatus []ReplicationStatusType `json:"ReplicationStatus,omitempty"`
}

// StopReplicationOutput is StopReplicationToReplica's response.
type StopReplicationOutput struct {
	ARN *string `json:"ARN,omitempty"`
}

// SecretIDInput names a secret by name or ARN.
type SecretIDInput struct {
	SecretId *string `json:"SecretId,omitempty" aws:"req"`
}

// DescribeSecretOutput is the API's DescribeSecretResponse.
type DescribeSecretOutput struct {
	ARN                *string                 `json:"ARN,omitempty"`
	Name               *string                 `json:"Name,omitempty"`
	Description        *string                 `json:"Description,omitempty"`
	KmsKeyId           *string                 `json:"KmsKeyId,omitempty"`
	RotationEnabled    *bool                   `json:"RotationEnabled,omitempty"`
	LastChangedDate    *Timestamp              `json:"LastChangedDate,omitempty"`
	LastAccessedDate   *Timestamp              `json:"LastAccessedDate,omitempty"`
	DeletedDate        *Timestamp              `json:"DeletedDate,omitempty"`
	Tags               []Tag                   `json:"Tags,omitempty"`
	VersionIdsToStages map[string][]string     `json:"VersionIdsToStages,omitempty"`
	CreatedDate        *Timestamp              `json:"CreatedDate,omitempty"`
	PrimaryRegion      *string                 `json:"PrimaryRegion,omitempty"`
	ReplicationStatus  []ReplicationStatusType `json:"ReplicationStatus,omitempty"`
}

// PutSecretValueInput is the API's PutSecretValueRequest.
type PutSecretValueInput struct {
	SecretId           *string  `json:"SecretId,omitempty" aws:"req"`
	ClientRequestToken *string  `json:"ClientRequestToken,omitempty"`
	SecretBinary       []byte   `json:"SecretBinary,omitempty"`
	SecretString       *string  `json:"SecretString,omitempty"`
	VersionStages      []string `json:"VersionStages,omitempty"`
}

// UpdateSecretInput is the API's UpdateSecretRequest.
type UpdateSecretInput struct {
	SecretId           *string `json:"SecretId,omitempty" aws:"req"`
	ClientRequestToken *string `json:"ClientRequestToken,omitempty"`
	Description        *string `json:"Description,omitempty"`
	KmsKeyId           *string `json:"KmsKeyId,omitempty"`
	SecretBinary       []byte  `json:"SecretBinary,omitempty"`
	SecretString       *string `json:"SecretString,omitempty"`
}

// GetSecretValueInput is the API's GetSecretValueRequest.
type GetSecretValueInput struct {
	SecretId     *string `json:"SecretId,omitempty" aws:"req"`
	VersionId    *string `json:"VersionId,omitempty"`
	VersionStage *string `json:"VersionStage,omitempty"`
}

// GetSecretValueOutput is the API's GetSecretValueResponse.
type GetSecretValueOutput struct {
	ARN           *string    `json:"ARN,omitempty"`
	Name          *string    `json:"Name,omitempty"`
	VersionId     *string    `json:"VersionId,omitempty"`
	SecretBinary  []byte     `json:"SecretBinary,omitempty"`
	SecretString  *string    `json:"SecretString,omitempty"`
	VersionStages []string   `json:"VersionStages,omitempty"`
	CreatedDate   *Timestamp `json:"CreatedDate,omitempty"`
}

// DeleteSecretInput is the API's DeleteSecretRequest.
type DeleteSecretInput struct {
	SecretId                   *string `json:"SecretId,omitempty" aws:"req"`
	RecoveryWindowInDays       *int    `json:"RecoveryWindowInDays,omitempty"`
	ForceDeleteWithoutRecovery *bool   `json:"ForceDeleteWithoutRecovery,omitempty"`
}

// ReplicateSecretToRegionsInput is the API's ReplicateSecretToRegionsRequest.
type ReplicateSecretToRegionsInput struct {
	SecretId                    *string             `json:"SecretId,omitempty" aws:"req"`
	AddReplicaRegions           []ReplicaRegionType `json:"AddReplicaRegions,omitempty" aws:"req"`
	ForceOverwriteReplicaSecret *bool               `json:"ForceOverwriteReplicaSecret,omitempty"`
}

// RemoveRegionsFromReplicationInput is the API's RemoveRegionsFromReplicationRequest.
type RemoveRegionsFromReplicationInput struct {
	SecretId             *string  `json:"SecretId,omitempty" aws:"req"`
	RemoveReplicaRegions []string `json:"RemoveReplicaRegions,omitempty" aws:"req"`
}

// SecretTagInput is the API's TagResourceRequest.
type SecretTagInput struct {
	SecretId *string `json:"SecretId,omitempty" aws:"req"`
	Tags     []Tag   `json:"Tags,omitempty" aws:"req"`
}

// SecretUntagInput is the API's UntagResourceRequest.
type SecretUntagInput struct {
	SecretId *string  `json:"SecretId,omitempty" aws:"req"`
	TagKeys  []string `json:"TagKeys,omitempty" aws:"req"`
}

// GetResourcePolicyOutput is the API's GetResourcePolicyResponse.
type GetResourcePolicyOutput struct {
	ARN            *string `json:"ARN,omitempty"`
	Name           *string `json:"Name,omitempty"`
	ResourcePolicy *string `json:"ResourcePolicy,omitempty"`
}

type secretsState struct {
	secrets map[string]*secret // by name
}

func newSecretsState() *secretsState { return &secretsState{secrets: map[string]*secret{}} }

type secret struct {
	region      string
	name, arn   string
	description *string
	kmsKey      *string
	tags        []Tag
	created     time.Time
	changed     time.Time
	deleted     time.Time
	versions    []secretVersion // newest last; the last is AWSCURRENT
	primary     string          // the primary's region; == region for a primary
	replicas    map[string]*replicaStatus
}

type secretVersion struct {
	id      string
	str     *string
	bin     []byte
	created time.Time
}

type replicaStatus struct {
	kmsKey  *string
	status  string // InProgress, InSync, Failed
	message string
}

func (c *Cloud) registerSecrets() {
	register(c, "secretsmanager", "CreateSecret", false, c.smCreateSecret)
	register(c, "secretsmanager", "DescribeSecret", false, c.smDescribeSecret)
	register(c, "secretsmanager", "PutSecretValue", false, c.smPutSecretValue)
	register(c, "secretsmanager", "UpdateSecret", false, c.smUpdateSecret)
	register(c, "secretsmanager", "GetSecretValue", false, c.smGetSecretValue)
	register(c, "secretsmanager", "DeleteSecret", false, c.smDeleteSecret)
	register(c, "secretsmanager", "StopReplicationToReplica", false, c.smStopReplication)
	register(c, "secretsmanager", "ReplicateSecretToRegions", false, c.smReplicateToRegions)
	register(c, "secretsmanager", "RemoveRegionsFromReplication", false, c.smRemoveRegions)
	register(c, "secretsmanager", "TagResource", false, c.smTagResource)
	register(c, "secretsmanager", "UntagResource", false, c.smUntagResource)
	register(c, "secretsmanager", "GetResourcePolicy", false, c.smGetResourcePolicy)
}

func secretNotFound() *Error {
	return errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

// findSecretLocked looks a secret up by name, full ARN or partial ARN
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html, SecretId).
func (c *Cloud) findSecretLocked(region, id string) (*secret, *Error) {
	ss := c.regions[region].secrets
	if s, ok := ss.secrets[id]; ok {
		return s, nil
	}
	for _, s := range ss.secrets {
		if s.arn == id || strings.HasPrefix(s.arn, id+"-") {
			return s, nil
		}
	}
	return nil, secretNotFound()
}

// replicaReadOnly refuses writes to a replica: replica secrets are
// read-only ("You can't edit a replica secret … edit the primary",
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html).
func replicaReadOnly(s *secret) *Error {
	if s.primary != s.region {
		return errorf("InvalidRequestException", "Operation not permitted on a replica secret. Call must be made in primary secret's region.")
	}
	return nil
}

// markedForDeletion refuses use of a secret scheduled for deletion
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html#API_GetSecretValue_Errors).
func markedForDeletion(s *secret) *Error {
	if !s.deleted.IsZero() {
		return errorf("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
	}
	return nil
}

func (c *Cloud) smCreateSecret(_ context.Context, region string, in *CreateSecretInput) (*CreateSecretOutput, error) {
	if in.SecretString != nil && in.SecretBinary != nil {
		return nil, errorf("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ss := c.regions[region].secrets
	name := *in.Name
	if old, ok := ss.secrets[name]; ok {
		// A name scheduled for deletion is not free yet
		// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html#API_CreateSecret_Errors).
		if !old.deleted.IsZero() {
			return nil, errorf("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		return nil, errorf("ResourceExistsException", "The operation failed because the secret %s already exists.", name)
	}
	for _, r := range in.AddReplicaRegions {
		if err := c.checkReplicaRegionLocked(region, deref(r.Region)); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	// Secret ARNs end in the name, a hyphen and six random characters
	// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources).
	suffix := randomID(6)
	s := &secret{region: region, name: name, arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", region, c.opts.Account, name, suffix),
		description: in.Description, kmsKey: in.KmsKeyId, tags: slices.Clone(in.Tags), created: now, changed: now,
		primary: region, replicas: map[string]*replicaStatus{}}
	out := &CreateSecretOutput{ARN: ptr(s.arn), Name: ptr(name)}
	if in.SecretString != nil || in.SecretBinary != nil {
		v := secretVersion{id: orToken(in.ClientRequestToken), str: in.SecretString, bin: in.SecretBinary, created: now}
		s.versions = append(s.versions, v)
		out.VersionId = ptr(v.id)
	}
	ss.secrets[name] = s
	for _, r := range in.AddReplicaRegions {
		c.startReplicaLocked(s, *r.Region, r.KmsKeyId, deref(in.ForceOverwriteReplicaSecret))
	}
	out.ReplicationStatus = s.replicationStatus()
	return out, nil
}

func orToken(t *string) string {
	if t != nil && *t != "" {
		return *t
	}
	return newUUID()
}

func (c *Cloud) checkReplicaRegionLocked(primary, region string) *Error {
	if region == primary {
		return errorf("InvalidParameterException", "Invalid replica region %s: it is the primary secret's region.", region)
	}
	if _, ok := c.regions[region]; !ok {
		return errorf("InvalidParameterException", "Invalid replica region %s: the lab has no such region.", region)
	}
	return nil
}

// startReplicaLocked replicates s into region: InProgress, then InSync
// after SecretReplication. A secret of the same name there fails the
// replica unless ForceOverwriteReplicaSecret
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html).
func (c *Cloud) startReplicaLocked(s *secret, region string, kmsKey *string, force bool) {
	rs := &replicaStatus{kmsKey: kmsKey, status: "InProgress", message: "Replication in progress."}
	s.replicas[region] = rs
	if other, ok := c.regions[region].secrets.secrets[s.name]; ok && other.primary != s.region && !force {
		rs.status, rs.message = "Failed", "Replication failed: A secret with this name already exists in this region."
		return
	}
	c.afterLocked(c.timings.SecretReplication, func() {
		if s.replicas[region] != rs {
			return
		}
		if c.down[region] || c.down[s.region] {
			rs.message = "Replication paused: a region is unreachable."
			return
		}
		c.regions[region].secrets.secrets[s.name] = &secret{
			region: region, name: s.name, arn: strings.Replace(s.arn, ":"+s.region+":", ":"+region+":", 1),
			description: s.description, kmsKey: kmsKey, tags: slices.Clone(s.tags), created: time.Now(), changed: time.Now(),
			versions: slices.Clone(s.versions), primary: s.region,
		}
		rs.status, rs.message = "InSync", "Replication succeeded"
	})
}

func (s *secret) replicationStatus() []ReplicationStatusType {
	if len(s.replicas) == 0 {
		return nil
	}
	var regions []string
	for r := range s.replicas {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	var out []ReplicationStatusType
	for _, r := range regions {
		rs := s.replicas[r]
		kms := rs.kmsKey
		if kms == nil {
			kms = ptr("alias/aws/secretsmanager")
		}
		out = append(out, ReplicationStatusType{Region: ptr(r), KmsKeyId: kms, Status: ptr(rs.status), StatusMessage: ptr(rs.message)})
	}
	return out
}

func (c *Cloud) smDescribeSecret(_ context.Context, region string, in *SecretIDInput) (*DescribeSecretOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	out := &DescribeSecretOutput{ARN: ptr(s.arn), Name: ptr(s.name), Description: s.description, KmsKeyId: s.kmsKey,
		RotationEnabled: ptr(false), LastChangedDate: At(s.changed), CreatedDate: At(s.created),
		Tags: slices.Clone(s.tags), PrimaryRegion: ptr(s.primary), VersionIdsToStages: map[string][]string{}}
	if !s.deleted.IsZero() {
		out.DeletedDate = At(s.deleted)
	}
	for i, v := range s.versions {
		stage := "AWSPREVIOUS"
		if i == len(s.versions)-1 {
			stage = "AWSCURRENT"
		} else if i < len(s.versions)-2 {
			continue
		}
		out.VersionIdsToStages[v.id] = []string{stage}
	}
	// ReplicationStatus is present on a replicated primary only: a secret
	// with no replica has none (issue 9 item 11: the CLI prints None).
	out.ReplicationStatus = s.replicationStatus()
	return out, nil
}

func (c *Cloud) smPutSecretValue(_ context.Context, region string, in *PutSecretValueInput) (*PutSecretValueOutput, error) {
	if (in.SecretString == nil) == (in.SecretBinary == nil) {
		return nil, errorf("InvalidParameterException", "You must provide either SecretString or SecretBinary.")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := replicaReadOnly(s); err != nil {
		return nil, err
	}
	if err := markedForDeletion(s); err != nil {
		return nil, err
	}
	v := c.addVersionLocked(s, in.ClientRequestToken, in.SecretString, in.SecretBinary)
	return &PutSecretValueOutput{ARN: ptr(s.arn), Name: ptr(s.name), VersionId: ptr(v.id), VersionStages: []string{"AWSCURRENT"}}, nil
}

// addVersionLocked adds a version and carries it to the replicas.
func (c *Cloud) addVersionLocked(s *secret, token, str *string, bin []byte) secretVersion {
	now := time.Now()
	v := secretVersion{id: orToken(token), str: str, bin: bin, created: now}
	s.versions = append(s.versions, v)
	s.changed = now
	for region, rs := range s.replicas {
		if rs.status != "InSync" || c.down[region] {
			continue
		}
		if replica, ok := c.regions[region].secrets.secrets[s.name]; ok && replica.primary == s.region {
			replica.versions = append(replica.versions, v)
			replica.changed = now
		}
	}
	return v
}

func (c *Cloud) smUpdateSecret(_ context.Context, region string, in *UpdateSecretInput) (*UpdateSecretOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := replicaReadOnly(s); err != nil {
		return nil, err
	}
	if err := markedForDeletion(s); err != nil {
		return nil, err
	}
	if in.Description != nil {
		s.description = in.Description
	}
	if in.KmsKeyId != nil {
		s.kmsKey = in.KmsKeyId
	}
	out := &UpdateSecretOutput{ARN: ptr(s.arn), Name: ptr(s.name)}
	if in.SecretString != nil || in.SecretBinary != nil {
		v := c.addVersionLocked(s, in.ClientRequestToken, in.SecretString, in.SecretBinary)
		out.VersionId = ptr(v.id)
	}
	return out, nil
}

func (c *Cloud) smGetSecretValue(_ context.Context, region string, in *GetSecretValueInput) (*GetSecretValueOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := markedForDeletion(s); err != nil {
		return nil, err
	}
	if len(s.versions) == 0 {
		return nil, errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")
	}
	v := s.versions[len(s.versions)-1]
	if id := deref(in.VersionId); id != "" {
		i := slices.IndexFunc(s.versions, func(v secretVersion) bool { return v.id == id })
		if i < 0 {
			return nil, errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", id)
		}
		v = s.versions[i]
	}
	return &GetSecretValueOutput{ARN: ptr(s.arn), Name: ptr(s.name), VersionId: ptr(v.id), SecretString: v.str, SecretBinary: v.bin,
		VersionStages: []string{"AWSCURRENT"}, CreatedDate: At(v.created)}, nil
}

func (c *Cloud) smDeleteSecret(_ context.Context, region string, in *DeleteSecretInput) (*DeleteSecretOutput, error) {
	// RecoveryWindowInDays 7-30, default 30, and not with
	// ForceDeleteWithoutRecovery
	// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html).
	window := 30
	if in.RecoveryWindowInDays != nil {
		window = *in.RecoveryWindowInDays
		if window < 7 || window > 30 {
			return nil, errorf("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
		if deref(in.ForceDeleteWithoutRecovery) {
			return nil, errorf("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := replicaReadOnly(s); err != nil {
		return nil, err
	}
	// A primary with replicas is deleted only once they are gone ("To
	// delete a primary secret that has replicas, you must first delete
	// the replicas",
	// https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_delete-secret.html).
	if len(s.replicas) > 0 {
		var rs []string
		for r := range s.replicas {
			rs = append(rs, r)
		}
		sort.Strings(rs)
		return nil, errorf("InvalidParameterException", "You can't delete secret %s that still has replica regions [%s]", s.name, strings.Join(rs, ", "))
	}
	now := time.Now()
	if deref(in.ForceDeleteWithoutRecovery) {
		delete(c.regions[region].secrets.secrets, s.name)
		return &DeleteSecretOutput{ARN: ptr(s.arn), Name: ptr(s.name), DeletionDate: At(now)}, nil
	}
	s.deleted = now
	return &DeleteSecretOutput{ARN: ptr(s.arn), Name: ptr(s.name), DeletionDate: At(now.Add(time.Duration(window) * 24 * time.Hour))}, nil
}

// smStopReplication promotes a replica to a standalone secret; it is called
// in the replica's region
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_StopReplicationToReplica.html).
func (c *Cloud) smStopReplication(_ context.Context, region string, in *SecretIDInput) (*StopReplicationOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	if s.primary == s.region {
		return nil, errorf("InvalidRequestException", "The secret %s is not a replica secret.", s.name)
	}
	if r, ok := c.regions[s.primary]; ok && !c.down[s.primary] {
		if p, ok := r.secrets.secrets[s.name]; ok {
			delete(p.replicas, region)
		}
	}
	s.primary = region
	s.replicas = map[string]*replicaStatus{}
	return &StopReplicationOutput{ARN: ptr(s.arn)}, nil
}

func (c *Cloud) smReplicateToRegions(_ context.Context, region string, in *ReplicateSecretToRegionsInput) (*ReplicationOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := replicaReadOnly(s); err != nil {
		return nil, err
	}
	for _, r := range in.AddReplicaRegions {
		if err := c.checkReplicaRegionLocked(region, deref(r.Region)); err != nil {
			return nil, err
		}
		if _, ok := s.replicas[*r.Region]; ok {
			return nil, errorf("InvalidParameterException", "The secret is already replicated to %s.", *r.Region)
		}
	}
	for _, r := range in.AddReplicaRegions {
		c.startReplicaLocked(s, *r.Region, r.KmsKeyId, deref(in.ForceOverwriteReplicaSecret))
	}
	return &ReplicationOutput{ARN: ptr(s.arn), ReplicationStatus: s.replicationStatus()}, nil
}

func (c *Cloud) smRemoveRegions(_ context.Context, region string, in *RemoveRegionsFromReplicationInput) (*ReplicationOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := replicaReadOnly(s); err != nil {
		return nil, err
	}
	for _, r := range in.RemoveReplicaRegions {
		if _, ok := s.replicas[r]; !ok {
			return nil, errorf("InvalidParameterException", "The secret is not replicated to %s.", r)
		}
	}
	for _, r := range in.RemoveReplicaRegions {
		delete(s.replicas, r)
		// Removing a region deletes its replica.
		if rr, ok := c.regions[r]; ok {
			if replica, ok := rr.secrets.secrets[s.name]; ok && replica.primary == s.region {
				delete(rr.secrets.secrets, s.name)
			}
		}
	}
	return &ReplicationOutput{ARN: ptr(s.arn), ReplicationStatus: s.replicationStatus()}, nil
}

func (c *Cloud) smTagResource(_ context.Context, region string, in *SecretTagInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := replicaReadOnly(s); err != nil {
		return nil, err
	}
	s.tags = mergeTags(s.tags, in.Tags)
	return &Empty{}, nil
}

func (c *Cloud) smUntagResource(_ context.Context, region string, in *SecretUntagInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := replicaReadOnly(s); err != nil {
		return nil, err
	}
	s.tags = slices.DeleteFunc(s.tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	return &Empty{}, nil
}

func (c *Cloud) smGetResourcePolicy(_ context.Context, region string, in *SecretIDInput) (*GetResourcePolicyOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.findSecretLocked(region, *in.SecretId)
	if err != nil {
		return nil, err
	}
	return &GetResourcePolicyOutput{ARN: ptr(s.arn), Name: ptr(s.name)}, nil
}
