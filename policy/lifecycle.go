package policy

import (
	"encoding/json"
	"fmt"
)

// untaggedImageDays is how long an untagged image (a failed or superseded
// push) is kept; keptReleaseImages is how many tagged images are kept, far
// more than a rollback ever needs.
const (
	untaggedImageDays = 14
	keptReleaseImages = 200
)

// ImageLifecycle is the ECR lifecycle policy of TaskFlow's image
// repositories: it expires untagged images and keeps the newest tagged
// ones. The repositories the region creates and those replication creates
// in the peer region (the creation template) carry the same one.
func ImageLifecycle() (string, error) {
	doc := map[string]any{"rules": []any{
		map[string]any{
			"rulePriority": 1,
			"description":  fmt.Sprintf("expire untagged images after %d days", untaggedImageDays),
			"selection": map[string]any{
				"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untaggedImageDays,
			},
			"action": map[string]any{"type": "expire"},
		},
		map[string]any{
			"rulePriority": 2,
			"description":  fmt.Sprintf("keep the newest %d tagged images", keptReleaseImages),
			"selection": map[string]any{
				"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keptReleaseImages,
			},
			"action": map[string]any{"type": "expire"},
		},
	}}
	out, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("image lifecycle policy: %w", err)
	}
	return string(out), nil
}
