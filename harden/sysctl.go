package harden

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The kernel reads integer sysctls with base 0 (proc_dointvec and friends:
// "0x10" is 16, "010" is 8) and prints them back in decimal, separated by
// tabs for vectors such as net.ipv4.tcp_rmem. hardnode renders and expects
// that canonical form, so a value the user wrote as "0x10000" is checked as
// "65536", and guards compare numbers, never spellings.

var kernelIntRE = regexp.MustCompile(`^-?(0[xX][0-9a-fA-F]+|[0-9]+)$`)

// parseKernelInt parses one integer as the kernel does; ok is false for
// anything else (a leading '+', underscores, an invalid octal such as 08).
func parseKernelInt(s string) (int64, bool) {
	if !kernelIntRE.MatchString(s) {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 0, 64)
	return v, err == nil
}

// canonicalSysctlValue returns the value as the kernel prints it back:
// integers in decimal, tab-separated when there are several; any other
// value trimmed.
func canonicalSysctlValue(v string) string {
	fields := strings.Fields(v)
	out := make([]string, len(fields))
	for i, f := range fields {
		n, ok := parseKernelInt(f)
		if !ok {
			return strings.TrimSpace(v)
		}
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, "\t")
}

// MinUserNamespaces is the smallest value hardnode accepts for the
// user.max_*_namespaces limits: every rootless container takes a user,
// mount, PID, network, IPC, UTS and cgroup namespace, and Podman's pause
// process and builds take more; a few hundred containers per node must fit.
const MinUserNamespaces = 1024

var userNSLimitRE = regexp.MustCompile(`^user\.max_[a-z]+_namespaces$`)

// sysctlBreaksRootless says why key = value would break rootless
// containers, or "".
func sysctlBreaksRootless(key, value string) string {
	switch {
	case userNSLimitRE.MatchString(key):
		n, ok := parseKernelInt(strings.TrimSpace(value))
		switch {
		case !ok:
			return fmt.Sprintf("%s takes one integer; %q is not one", key, value)
		case n < MinUserNamespaces:
			return fmt.Sprintf("%s = %d leaves too few namespaces for rootless Podman (each container "+
				"takes several); use at least %d, or leave the kernel default", key, n, MinUserNamespaces)
		}
	case key == "kernel.unprivileged_userns_clone":
		if n, ok := parseKernelInt(strings.TrimSpace(value)); !ok || n == 0 {
			return fmt.Sprintf("%s = %s stops unprivileged users from creating user namespaces, which "+
				"rootless Podman needs; remove it or set 1", key, value)
		}
	}
	return ""
}
