package butane

import (
	"fmt"
	"strconv"
	"strings"
)

// ignitionStable says from which Ignition 2.x release on a spec is stable,
// after Ignition's release notes. Each release accepts every stable spec it
// knows, so the highest entry at or below a release is its maximum.
var ignitionStable = []struct {
	minor int // Ignition 2.<minor>
	spec  string
}{
	{0, "3.0.0"},
	{3, "3.1.0"},
	{7, "3.2.0"},
	{11, "3.3.0"},
	{15, "3.4.0"},
	{20, "3.5.0"},
	{26, "3.6.0"},
}

// flatcarIgnition maps Flatcar major releases to the oldest Ignition they
// ship, read from the sys-apps/ignition ebuild at each release tag and
// Flatcar's release notes. A release between two rows takes the earlier row;
// a release after the last row takes the last row (newer Ignition releases
// still accept older specs).
var flatcarIgnition = []struct {
	firstMajor int
	ignition   int // Ignition 2.<ignition>
	note       string
}{
	{3185, 13, "3185-3510 (incl. LTS-2023 3510): Ignition 2.13-2.14"},
	{3535, 15, "3535-3975: Ignition 2.15-2.18"},
	{4012, 19, "4012-4081 (LTS-2024 4081): Ignition 2.19"},
	{4152, 20, "4152-4593 and alphas to 4790: Ignition 2.20-2.24"},
}

// microOSIgnition is the Ignition minor version of openSUSE's current
// ignition package (2.26 since 2026-02).
const microOSIgnition = 26

// TargetSpec returns the highest Ignition spec that target accepts. Targets
// are "flatcar-MAJOR[.MINOR.PATCH]", "microos" and "ignition-2.MINOR[.PATCH]".
func TargetSpec(target string) (string, error) {
	switch {
	case target == "microos":
		return ignitionMaxSpec(microOSIgnition), nil
	case strings.HasPrefix(target, "flatcar-"):
		major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(target, "flatcar-"), ".", 2)[0])
		if err != nil {
			return "", fmt.Errorf("target %q: want flatcar-MAJOR.MINOR.PATCH such as flatcar-3510.2.0", target)
		}
		if major < flatcarIgnition[0].firstMajor {
			return "", fmt.Errorf("target %q: Flatcar releases before %d accept only Ignition spec 2.x, "+
				"which hardnode does not produce", target, flatcarIgnition[0].firstMajor)
		}
		minor := flatcarIgnition[0].ignition
		for _, row := range flatcarIgnition {
			if major >= row.firstMajor {
				minor = row.ignition
			}
		}
		return ignitionMaxSpec(minor), nil
	case strings.HasPrefix(target, "ignition-"):
		parts := strings.Split(strings.TrimPrefix(target, "ignition-"), ".")
		if len(parts) < 2 || len(parts) > 3 || parts[0] != "2" {
			return "", fmt.Errorf("target %q: want ignition-2.MINOR such as ignition-2.14", target)
		}
		minor, err := strconv.Atoi(parts[1])
		if err != nil || minor < 0 {
			return "", fmt.Errorf("target %q: want ignition-2.MINOR such as ignition-2.14", target)
		}
		return ignitionMaxSpec(minor), nil
	}
	return "", fmt.Errorf("unknown target %q: want flatcar-MAJOR.MINOR.PATCH, microos or ignition-2.MINOR", target)
}

func ignitionMaxSpec(minor int) string {
	spec := ignitionStable[0].spec
	for _, row := range ignitionStable {
		if minor >= row.minor {
			spec = row.spec
		}
	}
	return spec
}
