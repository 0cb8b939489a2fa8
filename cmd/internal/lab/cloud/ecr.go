package cloud

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// ECR, member names as in its API reference
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/).

// ImageScanningConfiguration is the API's shape of that name.
type ImageScanningConfiguration struct {
	ScanOnPush *bool `json:"scanOnPush,omitempty"`
}

// EncryptionConfiguration is the API's shape of that name.
type EncryptionConfiguration struct {
	EncryptionType *string `json:"encryptionType,omitempty" aws:"req"`
	KmsKey         *string `json:"kmsKey,omitempty"`
}

// Repository is the API's Repository.
type Repository struct {
	RepositoryArn              *string                     `json:"repositoryArn,omitempty"`
	RegistryId                 *string                     `json:"registryId,omitempty"`
	RepositoryName             *string                     `json:"repositoryName,omitempty"`
	RepositoryUri              *string                     `json:"repositoryUri,omitempty"`
	CreatedAt                  *Timestamp                  `json:"createdAt,omitempty"`
	ImageTagMutability         *string                     `json:"imageTagMutability,omitempty"`
	ImageScanningConfiguration *ImageScanningConfiguration `json:"imageScanningConfiguration,omitempty"`
	EncryptionConfiguration    *EncryptionConfiguration    `json:"encryptionConfiguration,omitempty"`
}

// CreateRepositoryInput is the API's CreateRepositoryRequest.
type CreateRepositoryInput struct {
	RegistryId                 *string                     `json:"registryId,omitempty"`
	RepositoryName             *string                     `json:"repositoryName,omitempty" aws:"req"`
	Tags                       []Tag                       `json:"tags,omitempty"`
	ImageTagMutability         *string                     `json:"imageTagMutability,omitempty"`
	ImageScanningConfiguration *ImageScanningConfiguration `json:"imageScanningConfiguration,omitempty"`
	EncryptionConfiguration    *EncryptionConfiguration    `json:"encryptionConfiguration,omitempty"`
}

// RepositoryOutput wraps a Repository.
type RepositoryOutput struct {
	Repository *Repository `json:"repository,omitempty"`
}

// DescribeRepositoriesInput is the API's DescribeRepositoriesRequest.
type DescribeRepositoriesInput struct {
	RegistryId      *string  `json:"registryId,omitempty"`
	RepositoryNames []string `json:"repositoryNames,omitempty"`
	NextToken       *string  `json:"nextToken,omitempty"`
	MaxResults      *int     `json:"maxResults,omitempty"`
}

// DescribeRepositoriesOutput is the API's DescribeRepositoriesResponse.
type DescribeRepositoriesOutput struct {
	Repositories []Repository `json:"repositories"`
	NextToken    *string      `json:"nextToken,omitempty"`
}

// DeleteRepositoryInput is the API's DeleteRepositoryRequest.
type DeleteRepositoryInput struct {
	RegistryId     *string `json:"registryId,omitempty"`
	RepositoryName *string `json:"repositoryName,omitempty" aws:"req"`
	Force          *bool   `json:"force,omitempty"`
}

// ImageIdentifier is the API's ImageIdentifier.
type ImageIdentifier struct {
	ImageDigest *string `json:"imageDigest,omitempty"`
	ImageTag    *string `json:"imageTag,omitempty"`
}

// DescribeImagesFilter is the API's DescribeImagesFilter.
type DescribeImagesFilter struct {
	TagStatus *string `json:"tagStatus,omitempty"`
}

// DescribeImagesInput is the API's DescribeImagesRequest.
type DescribeImagesInput struct {
	RegistryId     *string               `json:"registryId,omitempty"`
	RepositoryName *string               `json:"repositoryName,omitempty" aws:"req"`
	ImageIds       []ImageIdentifier     `json:"imageIds,omitempty"`
	NextToken      *string               `json:"nextToken,omitempty"`
	MaxResults     *int                  `json:"maxResults,omitempty"`
	Filter         *DescribeImagesFilter `json:"filter,omitempty"`
}

// ImageDetail is the API's ImageDetail.
type ImageDetail struct {
	RegistryId             *string    `json:"registryId,omitempty"`
	RepositoryName         *string    `json:"repositoryName,omitempty"`
	ImageDigest            *string    `json:"imageDigest,omitempty"`
	ImageTags              []string   `json:"imageTags,omitempty"`
	ImageSizeInBytes       *int64     `json:"imageSizeInBytes,omitempty"`
	ImagePushedAt          *Timestamp `json:"imagePushedAt,omitempty"`
	ImageManifestMediaType *string    `json:"imageManifestMediaType,omitempty"`
	ArtifactMediaType      *string    `json:"artifactMediaType,omitempty"`
}

// DescribeImagesOutput is the API's DescribeImagesResponse.
type DescribeImagesOutput struct {
	ImageDetails []ImageDetail `json:"imageDetails"`
	NextToken    *string       `json:"nextToken,omitempty"`
}

// ReplicationDestination is the API's ReplicationDestination.
type ReplicationDestination struct {
	Region     *string `json:"region,omitempty" aws:"req"`
	RegistryId *string `json:"registryId,omitempty" aws:"req"`
}

// RepositoryFilter is the API's RepositoryFilter.
type RepositoryFilter struct {
	Filter     *string `json:"filter,omitempty" aws:"req"`
	FilterType *string `json:"filterType,omitempty" aws:"req"`
}

// ReplicationRule is the API's ReplicationRule.
type ReplicationRule struct {
	Destinations      []ReplicationDestination `json:"destinations,omitempty" aws:"req"`
	RepositoryFilters []RepositoryFilter       `json:"repositoryFilters,omitempty"`
}

// ReplicationConfiguration is the API's ReplicationConfiguration.
type ReplicationConfiguration struct {
	Rules []ReplicationRule `json:"rules" aws:"req"`
}

// PutReplicationConfigurationInput is the API's request of that name.
type PutReplicationConfigurationInput struct {
	ReplicationConfiguration *ReplicationConfiguration `json:"replicationConfiguration,omitempty" aws:"req"`
}

// ReplicationConfigurationOutput is PutReplicationConfiguration's response.
type ReplicationConfigurationOutput struct {
	ReplicationConfiguration *ReplicationConfiguration `json:"replicationConfiguration,omitempty"`
}

// DescribeRegistryOutput is the API's DescribeRegistryResponse.
type DescribeRegistryOutput struct {
	RegistryId               *string                   `json:"registryId,omitempty"`
	ReplicationConfiguration *ReplicationConfiguration `json:"replicationConfiguration,omitempty"`
}

// RepositoryCreationTemplate is the API's RepositoryCreationTemplate.
type RepositoryCreationTemplate struct {
	Prefix                  *string                  `json:"prefix,omitempty"`
	Description             *string                  `json:"description,omitempty"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
	ResourceTags            []Tag                    `json:"resourceTags,omitempty"`
	ImageTagMutability      *string                  `json:"imageTagMutability,omitempty"`
	RepositoryPolicy        *string                  `json:"repositoryPolicy,omitempty"`
	LifecyclePolicy         *string                  `json:"lifecyclePolicy,omitempty"`
	AppliedFor              []string                 `json:"appliedFor,omitempty"`
	CustomRoleArn           *string                  `json:"customRoleArn,omitempty"`
	CreatedAt               *Timestamp               `json:"createdAt,omitempty"`
	UpdatedAt               *Timestamp               `json:"updatedAt,omitempty"`
}

// CreateRepositoryCreationTemplateInput is the API's request of that name
// (UpdateRepositoryCreationTemplate takes the same members).
type CreateRepositoryCreationTemplateInput struct {
	Prefix                  *string                  `json:"prefix,omitempty" aws:"req"`
	Description             *string                  `json:"description,omitempty"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
	ResourceTags            []Tag                    `json:"resourceTags,omitempty"`
	ImageTagMutability      *string                  `json:"imageTagMutability,omitempty"`
	RepositoryPolicy        *string                  `json:"repositoryPolicy,omitempty"`
	LifecyclePolicy         *string                  `json:"lifecyclePolicy,omitempty"`
	AppliedFor              []string                 `json:"appliedFor,omitempty"`
	CustomRoleArn           *string                  `json:"customRoleArn,omitempty"`
}

// TemplateOutput is the response of the template operations.
type TemplateOutput struct {
	RegistryId                 *string                     `json:"registryId,omitempty"`
	RepositoryCreationTemplate *RepositoryCreationTemplate `json:"repositoryCreationTemplate,omitempty"`
}

// DescribeTemplatesInput is DescribeRepositoryCreationTemplatesRequest.
type DescribeTemplatesInput struct {
	Prefixes   []string `json:"prefixes,omitempty"`
	NextToken  *string  `json:"nextToken,omitempty"`
	MaxResults *int     `json:"maxResults,omitempty"`
}

// DescribeTemplatesOutput is DescribeRepositoryCreationTemplatesResponse.
type DescribeTemplatesOutput struct {
	RegistryId                  *string                      `json:"registryId,omitempty"`
	RepositoryCreationTemplates []RepositoryCreationTemplate `json:"repositoryCreationTemplates"`
	NextToken                   *string                      `json:"nextToken,omitempty"`
}

// TemplatePrefixInput names a template.
type TemplatePrefixInput struct {
	Prefix *string `json:"prefix,omitempty" aws:"req"`
}

// PutImageTagMutabilityInput is the API's request of that name.
type PutImageTagMutabilityInput struct {
	RegistryId         *string `json:"registryId,omitempty"`
	RepositoryName     *string `json:"repositoryName,omitempty" aws:"req"`
	ImageTagMutability *string `json:"imageTagMutability,omitempty" aws:"req"`
}

// PutImageScanningConfigurationInput is the API's request of that name.
type PutImageScanningConfigurationInput struct {
	RegistryId                 *string                     `json:"registryId,omitempty"`
	RepositoryName             *string                     `json:"repositoryName,omitempty" aws:"req"`
	ImageScanningConfiguration *ImageScanningConfiguration `json:"imageScanningConfiguration,omitempty" aws:"req"`
}

// PutImageTagMutabilityOutput is the API's response of that name.
type PutImageTagMutabilityOutput struct {
	RegistryId         *string `json:"registryId,omitempty"`
	RepositoryName     *string `json:"repositoryName,omitempty"`
	ImageTagMutability *string `json:"imageTagMutability,omitempty"`
}

// PutImageScanningConfigurationOutput is the API's response of that name.
type PutImageScanningConfigurationOutput struct {
	RegistryId                 *string                     `json:"registryId,omitempty"`
	RepositoryName             *string                     `json:"repositoryName,omitempty"`
	ImageScanningConfiguration *ImageScanningConfiguration `json:"imageScanningConfiguration,omitempty"`
}

// ECRResourceInput names a repository by ARN (ListTagsForResource).
type ECRResourceInput struct {
	ResourceArn *string `json:"resourceArn,omitempty" aws:"req"`
}

// ECRTagInput is TagResourceRequest.
type ECRTagInput struct {
	ResourceArn *string `json:"resourceArn,omitempty" aws:"req"`
	Tags        []Tag   `json:"tags,omitempty" aws:"req"`
}

// ECRUntagInput is UntagResourceRequest.
type ECRUntagInput struct {
	ResourceArn *string  `json:"resourceArn,omitempty" aws:"req"`
	TagKeys     []string `json:"tagKeys,omitempty" aws:"req"`
}

// ECRTagsOutput is ListTagsForResourceResponse.
type ECRTagsOutput struct {
	Tags []Tag `json:"tags"`
}

// LabPutImageInput is the lab's stand-in for `docker push`: a manifest
// with a digest (and optional tag) lands in a repository, and replication
// copies it as ECR does. Not an AWS operation.
type LabPutImageInput struct {
	RepositoryName *string `json:"repositoryName,omitempty" aws:"req"`
	ImageDigest    *string `json:"imageDigest,omitempty" aws:"req"`
	ImageTag       *string `json:"imageTag,omitempty"`
}

type ecrState struct {
	repos       map[string]*repository
	replication *ReplicationConfiguration
	templates   map[string]*RepositoryCreationTemplate
}

func newECRState() *ecrState {
	return &ecrState{repos: map[string]*repository{}, templates: map[string]*RepositoryCreationTemplate{}}
}

type repository struct {
	shape  Repository
	tags   []Tag
	images []*image
}

type image struct {
	digest string
	tags   []string
	pushed time.Time
}

func (c *Cloud) registerECR() {
	register(c, "ecr", "CreateRepository", false, c.ecrCreateRepository)
	register(c, "ecr", "DescribeRepositories", false, c.ecrDescribeRepositories)
	register(c, "ecr", "DeleteRepository", false, c.ecrDeleteRepository)
	register(c, "ecr", "DescribeImages", false, c.ecrDescribeImages)
	register(c, "ecr", "PutReplicationConfiguration", false, c.ecrPutReplication)
	register(c, "ecr", "DescribeRegistry", false, c.ecrDescribeRegistry)
	register(c, "ecr", "CreateRepositoryCreationTemplate", false, c.ecrCreateTemplate)
	register(c, "ecr", "UpdateRepositoryCreationTemplate", false, c.ecrUpdateTemplate)
	register(c, "ecr", "DescribeRepositoryCreationTemplates", false, c.ecrDescribeTemplates)
	register(c, "ecr", "DeleteRepositoryCreationTemplate", false, c.ecrDeleteTemplate)
	register(c, "ecr", "PutImageTagMutability", false, c.ecrPutTagMutability)
	register(c, "ecr", "PutImageScanningConfiguration", false, c.ecrPutScanning)
	register(c, "ecr", "ListTagsForResource", false, c.ecrListTags)
	register(c, "ecr", "TagResource", false, c.ecrTagResource)
	register(c, "ecr", "UntagResource", false, c.ecrUntagResource)
	register(c, "ecr", "LabPutImage", false, c.ecrLabPutImage)
}

// repoNameRule is repositoryName's pattern, 2 to 256 characters
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html).
var repoNameRule = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

func repoNotFound(name, account string) *Error {
	return errorf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, account)
}

func (c *Cloud) repoLocked(region, name string) (*repository, *Error) {
	r, ok := c.regions[region].ecr.repos[name]
	if !ok {
		return nil, repoNotFound(name, c.opts.Account)
	}
	return r, nil
}

func checkMutability(m string) *Error {
	switch m {
	case "MUTABLE", "IMMUTABLE":
		return nil
	}
	return errorf("InvalidParameterException", "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'")
}

func checkEncryption(e *EncryptionConfiguration) *Error {
	if e == nil {
		return nil
	}
	switch *e.EncryptionType {
	case "AES256":
		if e.KmsKey != nil {
			return errorf("InvalidParameterException", "kmsKey can be specified only with the KMS encryption type")
		}
	case "KMS", "KMS_DSSE":
	default:
		return errorf("InvalidParameterException", "Invalid encryptionType %s", *e.EncryptionType)
	}
	return nil
}

// newRepoLocked creates a repository with ECR's defaults: MUTABLE tags,
// AES256 encryption, no scan on push
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html).
func (c *Cloud) newRepoLocked(region, name string, mutability *string, scan *ImageScanningConfiguration, enc *EncryptionConfiguration, tags []Tag) *repository {
	if enc == nil {
		enc = &EncryptionConfiguration{EncryptionType: ptr("AES256")}
	} else if *enc.EncryptionType == "KMS" && enc.KmsKey == nil {
		enc = &EncryptionConfiguration{EncryptionType: ptr("KMS"), KmsKey: ptr(fmt.Sprintf("arn:aws:kms:%s:%s:alias/aws/ecr", region, c.opts.Account))}
	}
	if scan == nil {
		scan = &ImageScanningConfiguration{ScanOnPush: ptr(false)}
	}
	r := &repository{tags: slices.Clone(tags), shape: Repository{
		RepositoryArn:              ptr(fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, c.opts.Account, name)),
		RegistryId:                 ptr(c.opts.Account),
		RepositoryName:             ptr(name),
		RepositoryUri:              ptr(fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", c.opts.Account, region, name)),
		CreatedAt:                  At(time.Now()),
		ImageTagMutability:         orDefault(mutability, "MUTABLE"),
		ImageScanningConfiguration: scan,
		EncryptionConfiguration:    enc,
	}}
	c.regions[region].ecr.repos[name] = r
	return r
}

func (c *Cloud) ecrCreateRepository(_ context.Context, region string, in *CreateRepositoryInput) (*RepositoryOutput, error) {
	name := *in.RepositoryName
	if len(name) < 2 || len(name) > 256 || !repoNameRule.MatchString(name) {
		return nil, errorf("InvalidParameterException", "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''")
	}
	if in.ImageTagMutability != nil {
		if err := checkMutability(*in.ImageTagMutability); err != nil {
			return nil, err
		}
	}
	if err := checkEncryption(in.EncryptionConfiguration); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.regions[region].ecr.repos[name]; ok {
		return nil, errorf("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", name, c.opts.Account)
	}
	r := c.newRepoLocked(region, name, in.ImageTagMutability, in.ImageScanningConfiguration, in.EncryptionConfiguration, in.Tags)
	out := r.shape
	return &RepositoryOutput{Repository: &out}, nil
}

func (c *Cloud) ecrDescribeRepositories(_ context.Context, region string, in *DescribeRepositoriesInput) (*DescribeRepositoriesOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &DescribeRepositoriesOutput{Repositories: []Repository{}}
	names := in.RepositoryNames
	if len(names) == 0 {
		for n := range c.regions[region].ecr.repos {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	for _, n := range names {
		r, err := c.repoLocked(region, n)
		if err != nil {
			return nil, err
		}
		out.Repositories = append(out.Repositories, r.shape)
	}
	return out, nil
}

func (c *Cloud) ecrDeleteRepository(_ context.Context, region string, in *DeleteRepositoryInput) (*RepositoryOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.repoLocked(region, *in.RepositoryName)
	if err != nil {
		return nil, err
	}
	// A repository with images needs force
	// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepository.html).
	if len(r.images) > 0 && !deref(in.Force) {
		return nil, errorf("RepositoryNotEmptyException", "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", *in.RepositoryName, c.opts.Account)
	}
	delete(c.regions[region].ecr.repos, *in.RepositoryName)
	out := r.shape
	return &RepositoryOutput{Repository: &out}, nil
}

func (c *Cloud) ecrDescribeImages(_ context.Context, region string, in *DescribeImagesInput) (*DescribeImagesOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.repoLocked(region, *in.RepositoryName)
	if err != nil {
		return nil, err
	}
	detail := func(im *image) ImageDetail {
		return ImageDetail{RegistryId: ptr(c.opts.Account), RepositoryName: in.RepositoryName, ImageDigest: ptr(im.digest),
			ImageTags: slices.Clone(im.tags), ImageSizeInBytes: ptr(int64(52428800)), ImagePushedAt: At(im.pushed),
			ImageManifestMediaType: ptr("application/vnd.oci.image.manifest.v1+json"), ArtifactMediaType: ptr("application/vnd.oci.image.config.v1+json")}
	}
	out := &DescribeImagesOutput{ImageDetails: []ImageDetail{}}
	if len(in.ImageIds) == 0 {
		for _, im := range r.images {
			out.ImageDetails = append(out.ImageDetails, detail(im))
		}
		return out, nil
	}
	for _, id := range in.ImageIds {
		i := slices.IndexFunc(r.images, func(im *image) bool {
			return (id.ImageDigest == nil || *id.ImageDigest == im.digest) && (id.ImageTag == nil || slices.Contains(im.tags, *id.ImageTag))
		})
		if i < 0 {
			// The message as the real CLI printed it (issue 9 item 11).
			return nil, errorf("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
				orNull(id.ImageDigest), orNull(id.ImageTag), *in.RepositoryName, c.opts.Account)
		}
		out.ImageDetails = append(out.ImageDetails, detail(r.images[i]))
	}
	return out, nil
}

func orNull(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// ecrLabPutImage pushes an image and replicates it.
func (c *Cloud) ecrLabPutImage(_ context.Context, region string, in *LabPutImageInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.repoLocked(region, *in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := c.putImageLocked(r, *in.ImageDigest, in.ImageTag); err != nil {
		return nil, err
	}
	c.replicateLocked(region, *in.RepositoryName, *in.ImageDigest, in.ImageTag)
	return &Empty{}, nil
}

// PushImage is `docker push` for the lab: the image lands in the region's
// repository and replicates.
func (c *Cloud) PushImage(ctx context.Context, region, repo, digest, tag string) error {
	op, _ := c.Lookup("ecr", "LabPutImage")
	in := &LabPutImageInput{RepositoryName: &repo, ImageDigest: &digest}
	if tag != "" {
		in.ImageTag = &tag
	}
	_, err := c.Call(ctx, op, region, "lab", in)
	return err
}

// putImageLocked adds or retags an image; an immutable repository refuses
// to move a tag (ImageTagAlreadyExistsException,
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html#API_PutImage_Errors).
func (c *Cloud) putImageLocked(r *repository, digest string, tag *string) *Error {
	if tag != nil {
		for _, im := range r.images {
			if im.digest != digest && slices.Contains(im.tags, *tag) {
				if *r.shape.ImageTagMutability == "IMMUTABLE" {
					return errorf("ImageTagAlreadyExistsException", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", *tag, *r.shape.RepositoryName)
				}
				im.tags = slices.DeleteFunc(im.tags, func(t string) bool { return t == *tag })
			}
		}
	}
	i := slices.IndexFunc(r.images, func(im *image) bool { return im.digest == digest })
	if i < 0 {
		r.images = append(r.images, &image{digest: digest, pushed: time.Now()})
		i = len(r.images) - 1
	}
	if tag != nil && !slices.Contains(r.images[i].tags, *tag) {
		r.images[i].tags = append(r.images[i].tags, *tag)
	}
	return nil
}

// replicateLocked copies a push to the destinations of the registry's
// replication rules that match the repository, after ImageReplication. A
// destination repository that does not exist is created from the
// destination registry's creation template for REPLICATION (the longest
// matching prefix, "ROOT" matching all), else with ECR's defaults
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html).
// Only pushes made while replication is configured are copied
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html).
func (c *Cloud) replicateLocked(region, repo, digest string, tag *string) {
	cfg := c.regions[region].ecr.replication
	if cfg == nil {
		return
	}
	for _, rule := range cfg.Rules {
		if !matchesFilters(repo, rule.RepositoryFilters) {
			continue
		}
		for _, d := range rule.Destinations {
			dest := *d.Region
			if _, ok := c.regions[dest]; !ok || dest == region {
				continue
			}
			c.afterLocked(c.timings.ImageReplication, func() {
				if c.down[dest] || c.down[region] {
					return
				}
				dr, ok := c.regions[dest].ecr.repos[repo]
				if !ok {
					t := c.templateForLocked(dest, repo)
					if t != nil {
						dr = c.newRepoLocked(dest, repo, t.ImageTagMutability, nil, t.EncryptionConfiguration, t.ResourceTags)
					} else {
						dr = c.newRepoLocked(dest, repo, nil, nil, nil, nil)
					}
					c.logf("ecr %s: replication created repository %s (template %v)", dest, repo, t != nil)
				}
				if err := c.putImageLocked(dr, digest, tag); err != nil {
					c.logf("ecr %s: replication of %s@%s: %v", dest, repo, digest, err)
				}
			})
		}
	}
}

func matchesFilters(repo string, filters []RepositoryFilter) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if strings.HasPrefix(repo, *f.Filter) {
			return true
		}
	}
	return false
}

func (c *Cloud) templateForLocked(region, repo string) *RepositoryCreationTemplate {
	var best *RepositoryCreationTemplate
	for prefix, t := range c.regions[region].ecr.templates {
		if !slices.Contains(t.AppliedFor, "REPLICATION") {
			continue
		}
		if prefix != "ROOT" && !strings.HasPrefix(repo, prefix) {
			continue
		}
		if best == nil || *best.Prefix == "ROOT" || len(prefix) > len(*best.Prefix) && prefix != "ROOT" {
			best = t
		}
	}
	return best
}

func (c *Cloud) ecrPutReplication(_ context.Context, region string, in *PutReplicationConfigurationInput) (*ReplicationConfigurationOutput, error) {
	cfg := in.ReplicationConfiguration
	// At most 10 rules and 25 destinations in all; PREFIX_MATCH filters
	// only; no destination equal to the source registry
	// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ReplicationConfiguration.html,
	// API_ReplicationRule.html, API_RepositoryFilter.html).
	if len(cfg.Rules) > 10 {
		return nil, errorf("ValidationException", "The replication configuration can contain at most 10 rules.")
	}
	dests := 0
	for _, r := range cfg.Rules {
		dests += len(r.Destinations)
		for _, d := range r.Destinations {
			if *d.Region == region && *d.RegistryId == c.opts.Account {
				return nil, errorf("InvalidParameterException", "Invalid replication destination: the source registry %s in %s cannot be a destination.", *d.RegistryId, region)
			}
		}
		for _, f := range r.RepositoryFilters {
			if *f.FilterType != "PREFIX_MATCH" {
				return nil, errorf("InvalidParameterException", "Invalid filterType %s: only PREFIX_MATCH is supported.", *f.FilterType)
			}
		}
	}
	if dests > 25 {
		return nil, errorf("ValidationException", "The replication configuration can contain at most 25 destinations.")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	copied := *cfg
	c.regions[region].ecr.replication = &copied
	return &ReplicationConfigurationOutput{ReplicationConfiguration: &copied}, nil
}

func (c *Cloud) ecrDescribeRegistry(_ context.Context, region string, _ *Empty) (*DescribeRegistryOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.regions[region].ecr.replication
	if cfg == nil {
		cfg = &ReplicationConfiguration{Rules: []ReplicationRule{}}
	}
	return &DescribeRegistryOutput{RegistryId: ptr(c.opts.Account), ReplicationConfiguration: cfg}, nil
}

// checkTemplate applies the template rules: appliedFor names what it
// applies to; prefix "ROOT" or a repository name prefix
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html).
func checkTemplate(in *CreateRepositoryCreationTemplateInput) *Error {
	if len(in.AppliedFor) == 0 {
		return errorf("InvalidParameterException", "appliedFor must contain at least one of REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH")
	}
	for _, a := range in.AppliedFor {
		if a != "REPLICATION" && a != "PULL_THROUGH_CACHE" && a != "CREATE_ON_PUSH" {
			return errorf("InvalidParameterException", "Invalid appliedFor value %s", a)
		}
	}
	if in.ImageTagMutability != nil {
		if err := checkMutability(*in.ImageTagMutability); err != nil {
			return err
		}
	}
	if p := *in.Prefix; p != "ROOT" && !repoNameRule.MatchString(strings.TrimSuffix(p, "/")) {
		return errorf("InvalidParameterException", "Invalid prefix %s", p)
	}
	return checkEncryption(in.EncryptionConfiguration)
}

func (c *Cloud) ecrCreateTemplate(_ context.Context, region string, in *CreateRepositoryCreationTemplateInput) (*TemplateOutput, error) {
	if err := checkTemplate(in); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.regions[region].ecr.templates
	if _, ok := ts[*in.Prefix]; ok {
		return nil, errorf("TemplateAlreadyExistsException", "The repository creation template with prefix '%s' already exists in the registry with id '%s'", *in.Prefix, c.opts.Account)
	}
	now := At(time.Now())
	t := &RepositoryCreationTemplate{Prefix: in.Prefix, Description: in.Description, EncryptionConfiguration: in.EncryptionConfiguration,
		ResourceTags: in.ResourceTags, ImageTagMutability: orDefault(in.ImageTagMutability, "MUTABLE"), RepositoryPolicy: in.RepositoryPolicy,
		LifecyclePolicy: in.LifecyclePolicy, AppliedFor: slices.Clone(in.AppliedFor), CustomRoleArn: in.CustomRoleArn, CreatedAt: now, UpdatedAt: now}
	if t.EncryptionConfiguration == nil {
		t.EncryptionConfiguration = &EncryptionConfiguration{EncryptionType: ptr("AES256")}
	}
	ts[*in.Prefix] = t
	out := *t
	return &TemplateOutput{RegistryId: ptr(c.opts.Account), RepositoryCreationTemplate: &out}, nil
}

func (c *Cloud) ecrUpdateTemplate(_ context.Context, region string, in *CreateRepositoryCreationTemplateInput) (*TemplateOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.regions[region].ecr.templates[*in.Prefix]
	if !ok {
		return nil, errorf("TemplateNotFoundException", "The repository creation template with prefix '%s' does not exist in the registry with id '%s'", *in.Prefix, c.opts.Account)
	}
	if in.AppliedFor == nil {
		in.AppliedFor = t.AppliedFor
	}
	if err := checkTemplate(in); err != nil {
		return nil, err
	}
	t.Description, t.ResourceTags, t.RepositoryPolicy, t.LifecyclePolicy, t.CustomRoleArn = in.Description, in.ResourceTags, in.RepositoryPolicy, in.LifecyclePolicy, in.CustomRoleArn
	if in.EncryptionConfiguration != nil {
		t.EncryptionConfiguration = in.EncryptionConfiguration
	}
	if in.ImageTagMutability != nil {
		t.ImageTagMutability = in.ImageTagMutability
	}
	t.AppliedFor = slices.Clone(in.AppliedFor)
	t.UpdatedAt = At(time.Now())
	out := *t
	return &TemplateOutput{RegistryId: ptr(c.opts.Account), RepositoryCreationTemplate: &out}, nil
}

func (c *Cloud) ecrDescribeTemplates(_ context.Context, region string, in *DescribeTemplatesInput) (*DescribeTemplatesOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.regions[region].ecr.templates
	out := &DescribeTemplatesOutput{RegistryId: ptr(c.opts.Account), RepositoryCreationTemplates: []RepositoryCreationTemplate{}}
	prefixes := in.Prefixes
	if len(prefixes) == 0 {
		for p := range ts {
			prefixes = append(prefixes, p)
		}
		sort.Strings(prefixes)
	}
	for _, p := range prefixes {
		t, ok := ts[p]
		if !ok {
			return nil, errorf("TemplateNotFoundException", "The repository creation template with prefix '%s' does not exist in the registry with id '%s'", p, c.opts.Account)
		}
		out.RepositoryCreationTemplates = append(out.RepositoryCreationTemplates, *t)
	}
	return out, nil
}

func (c *Cloud) ecrDeleteTemplate(_ context.Context, region string, in *TemplatePrefixInput) (*TemplateOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.regions[region].ecr.templates
	t, ok := ts[*in.Prefix]
	if !ok {
		return nil, errorf("TemplateNotFoundException", "The repository creation template with prefix '%s' does not exist in the registry with id '%s'", *in.Prefix, c.opts.Account)
	}
	delete(ts, *in.Prefix)
	return &TemplateOutput{RegistryId: ptr(c.opts.Account), RepositoryCreationTemplate: t}, nil
}

func (c *Cloud) ecrPutTagMutability(_ context.Context, region string, in *PutImageTagMutabilityInput) (*PutImageTagMutabilityOutput, error) {
	if err := checkMutability(*in.ImageTagMutability); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.repoLocked(region, *in.RepositoryName)
	if err != nil {
		return nil, err
	}
	r.shape.ImageTagMutability = in.ImageTagMutability
	return &PutImageTagMutabilityOutput{RegistryId: ptr(c.opts.Account), RepositoryName: in.RepositoryName, ImageTagMutability: in.ImageTagMutability}, nil
}

func (c *Cloud) ecrPutScanning(_ context.Context, region string, in *PutImageScanningConfigurationInput) (*PutImageScanningConfigurationOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.repoLocked(region, *in.RepositoryName)
	if err != nil {
		return nil, err
	}
	r.shape.ImageScanningConfiguration = in.ImageScanningConfiguration
	return &PutImageScanningConfigurationOutput{RegistryId: ptr(c.opts.Account), RepositoryName: in.RepositoryName, ImageScanningConfiguration: in.ImageScanningConfiguration}, nil
}

func (c *Cloud) repoByArnLocked(region, arn string) (*repository, *Error) {
	for _, r := range c.regions[region].ecr.repos {
		if *r.shape.RepositoryArn == arn {
			return r, nil
		}
	}
	return nil, errorf("RepositoryNotFoundException", "The repository with ARN '%s' does not exist", arn)
}

func (c *Cloud) ecrListTags(_ context.Context, region string, in *ECRResourceInput) (*ECRTagsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.repoByArnLocked(region, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return &ECRTagsOutput{Tags: nonNil(slices.Clone(r.tags))}, nil
}

func (c *Cloud) ecrTagResource(_ context.Context, region string, in *ECRTagInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.repoByArnLocked(region, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	r.tags = mergeTags(r.tags, in.Tags)
	return &Empty{}, nil
}

func (c *Cloud) ecrUntagResource(_ context.Context, region string, in *ECRUntagInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.repoByArnLocked(region, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	r.tags = slices.DeleteFunc(r.tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	return &Empty{}, nil
}
