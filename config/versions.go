package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// eksStandardSupportEnds is the Amazon EKS Kubernetes release calendar:
// the day each version leaves standard support (14 months after its EKS
// release; extended support, billed at a higher rate, follows for 12
// months). https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
// ("Amazon EKS Kubernetes release calendar"). Add a row when EKS releases a
// version; a version not listed is refused rather than guessed.
var eksStandardSupportEnds = map[string]time.Time{
	"1.32": date(2026, time.March, 23),
	"1.33": date(2026, time.July, 29),
	"1.34": date(2026, time.December, 2),
	"1.35": date(2027, time.March, 27),
}

// EKSStandardSupportEnds is when version leaves EKS standard support.
func EKSStandardSupportEnds(version string) (time.Time, bool) {
	t, ok := eksStandardSupportEnds[version]
	return t, ok
}

// postgresStandardSupportEnds is the RDS for PostgreSQL release calendar
// for major versions: the day each leaves RDS standard support.
// https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html
var postgresStandardSupportEnds = map[string]time.Time{
	"14": date(2027, time.February, 28),
	"15": date(2028, time.February, 29),
	"16": date(2029, time.February, 28),
	"17": date(2030, time.February, 28),
}

// postgresRetiredMinors are minor versions RDS no longer creates (since
// 2026-05-01; end of standard support 2026-05-31): a pinned one makes the
// first `pulumi up` fail. From the RDS for PostgreSQL release calendar's
// minor-version table (same URL as above).
var postgresRetiredMinors = []string{
	"14.14", "14.15", "14.16", "14.17",
	"15.9", "15.10", "15.11", "15.12",
	"16.5", "16.6", "16.7", "16.8",
	"17.1", "17.2", "17.3", "17.4",
}

// checkKubernetesVersion: the version must be in EKS standard support on
// today's date.
func checkKubernetesVersion(version string, today time.Time) error {
	if !k8sVersion.MatchString(version) {
		return fieldErr("cluster.version", "must be an EKS Kubernetes version such as %s, got %q", DefaultKubernetesVersion, version)
	}
	end, ok := eksStandardSupportEnds[version]
	if !ok {
		return fieldErr("cluster.version", "%s is not in this program's copy of the EKS release calendar (%s); use one of those, or add the version to config/versions.go from https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
			version, strings.Join(supportedOn(eksStandardSupportEnds, today), ", "))
	}
	if !today.Before(end) {
		return fieldErr("cluster.version", "Kubernetes %s left EKS standard support on %s (extended support costs more and ends a year later); use one of %s and upgrade one stack at a time, standby first (README, \"Upgrading Kubernetes\")",
			version, end.Format(time.DateOnly), strings.Join(supportedOn(eksStandardSupportEnds, today), ", "))
	}
	return nil
}

// checkPostgresVersion: a major in RDS standard support; a pinned minor
// only with automatic minor upgrades off, and never one RDS no longer
// creates.
func checkPostgresVersion(db Database, today time.Time) error {
	if !pgVersion.MatchString(db.EngineVersion) {
		return fieldErr("database.engineVersion", "must be a PostgreSQL major version such as %q, got %q", DefaultPostgresMajor, db.EngineVersion)
	}
	end, ok := postgresStandardSupportEnds[db.Major()]
	if !ok || !today.Before(end) {
		return fieldErr("database.engineVersion", "PostgreSQL %s is not in RDS standard support on %s; use one of %s",
			db.Major(), today.Format(time.DateOnly), strings.Join(supportedOn(postgresStandardSupportEnds, today), ", "))
	}
	if db.EngineVersion == db.Major() {
		return nil
	}
	if db.AutoMinorVersionUpgrade {
		return fieldErr("database.engineVersion", "%q pins a minor version, but database.autoMinorVersionUpgrade is true: RDS upgrades the minor on its own and the next `pulumi up` would plan a downgrade. Use the major %q, or set database.autoMinorVersionUpgrade false",
			db.EngineVersion, db.Major())
	}
	if slices.Contains(postgresRetiredMinors, db.EngineVersion) {
		return fieldErr("database.engineVersion", "RDS no longer creates PostgreSQL %s (see the RDS for PostgreSQL release calendar); use the major %q or a current minor",
			db.EngineVersion, db.Major())
	}
	return nil
}

// supportedOn lists the calendar's versions still supported on day, oldest
// first.
func supportedOn(calendar map[string]time.Time, day time.Time) []string {
	var out []string
	for v, end := range calendar {
		if day.Before(end) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return calendar[a].Compare(calendar[b]) })
	return out
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// describeSupport is the README's sentence on the shipped Kubernetes
// version.
func describeSupport(version string) string {
	end, ok := eksStandardSupportEnds[version]
	if !ok {
		return fmt.Sprintf("Kubernetes %s (not in the calendar)", version)
	}
	return fmt.Sprintf("Kubernetes %s, in EKS standard support until %s", version, end.Format(time.DateOnly))
}
