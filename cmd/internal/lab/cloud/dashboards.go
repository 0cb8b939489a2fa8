package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// CloudWatch dashboards: PutDashboard, GetDashboard, DeleteDashboards
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html).
// The body is validated the way CloudWatch does at the API: it must be a
// JSON object with a "widgets" array whose widgets have a known type and
// properties; errors are DashboardInvalidInputError
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).

// PutDashboardInput is PutDashboard's input.
type PutDashboardInput struct {
	DashboardName *string `json:"DashboardName,omitempty" aws:"req"`
	DashboardBody *string `json:"DashboardBody,omitempty" aws:"req"`
}

// PutDashboardOutput lists validation messages (none when accepted).
type PutDashboardOutput struct {
	DashboardValidationMessages []DashboardValidationMessage `json:"DashboardValidationMessages,omitempty"`
}

// DashboardValidationMessage is one problem with a body.
type DashboardValidationMessage struct {
	DataPath *string `json:"DataPath,omitempty"`
	Message  *string `json:"Message,omitempty"`
}

// GetDashboardInput is GetDashboard's input.
type GetDashboardInput struct {
	DashboardName *string `json:"DashboardName,omitempty" aws:"req"`
}

// GetDashboardOutput is a dashboard.
type GetDashboardOutput struct {
	DashboardArn  *string `json:"DashboardArn,omitempty"`
	DashboardBody *string `json:"DashboardBody,omitempty"`
	DashboardName *string `json:"DashboardName,omitempty"`
}

// DeleteDashboardsInput names dashboards to delete.
type DeleteDashboardsInput struct {
	DashboardNames []string `json:"DashboardNames,omitempty" aws:"req"`
}

// dashboardName: "can contain only alphanumerics, dash (-), and underscore
// (_)", up to 255 characters (API_PutDashboard.html).
var dashboardName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// widgetTypes are the widget types a body may use.
var widgetTypes = map[string]bool{"metric": true, "text": true, "log": true, "alarm": true, "explorer": true, "custom": true}

type dashboard struct {
	body     string
	modified time.Time
}

func (c *Cloud) registerDashboards() {
	register(c, "monitoring", "PutDashboard", false, c.cwPutDashboard)
	register(c, "monitoring", "GetDashboard", false, c.cwGetDashboard)
	register(c, "monitoring", "DeleteDashboards", false, c.cwDeleteDashboards)
}

func (c *Cloud) cwPutDashboard(_ context.Context, region string, in *PutDashboardInput) (*PutDashboardOutput, error) {
	if !dashboardName.MatchString(*in.DashboardName) {
		return nil, invalidParam("DashboardName", *in.DashboardName)
	}
	if msgs := validateDashboardBody(*in.DashboardBody); len(msgs) > 0 {
		return nil, errorf("DashboardInvalidInputError", "The input for the parameter DashboardBody is invalid: %s", msgs[0])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cw := c.regions[region].cloudwatch
	if cw.dashboards == nil {
		cw.dashboards = map[string]*dashboard{}
	}
	cw.dashboards[*in.DashboardName] = &dashboard{body: *in.DashboardBody, modified: time.Now()}
	return &PutDashboardOutput{}, nil
}

func (c *Cloud) cwGetDashboard(_ context.Context, region string, in *GetDashboardInput) (*GetDashboardOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.regions[region].cloudwatch.dashboards[*in.DashboardName]
	if !ok {
		return nil, notFound("ResourceNotFound", "Dashboard %s does not exist", *in.DashboardName)
	}
	// Dashboards are global resources named in an ARN without a region.
	arn := fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", c.opts.Account, *in.DashboardName)
	return &GetDashboardOutput{DashboardArn: &arn, DashboardBody: &d.body, DashboardName: in.DashboardName}, nil
}

func (c *Cloud) cwDeleteDashboards(_ context.Context, region string, in *DeleteDashboardsInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cw := c.regions[region].cloudwatch
	for _, n := range in.DashboardNames {
		if _, ok := cw.dashboards[n]; !ok {
			// "If any of the dashboards don't exist, an error is returned"
			// and none is deleted (API_DeleteDashboards.html).
			return nil, notFound("ResourceNotFound", "Dashboard %s does not exist", n)
		}
	}
	for _, n := range in.DashboardNames {
		delete(cw.dashboards, n)
	}
	return &Empty{}, nil
}

// validateDashboardBody checks the body's structure.
func validateDashboardBody(body string) []string {
	var doc struct {
		Widgets []map[string]any `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return []string{"the body is not JSON: " + err.Error()}
	}
	if doc.Widgets == nil {
		return []string{`Should have required property 'widgets'`}
	}
	var msgs []string
	for i, w := range doc.Widgets {
		t, _ := w["type"].(string)
		if !widgetTypes[t] {
			msgs = append(msgs, fmt.Sprintf("/widgets/%d/type: should be one of the widget types, got %q", i, t))
		}
		if _, ok := w["properties"].(map[string]any); !ok {
			msgs = append(msgs, fmt.Sprintf("/widgets/%d: should have required property 'properties'", i))
		}
	}
	return msgs
}
