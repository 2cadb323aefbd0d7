package verify

import (
	"fmt"

	"github.com/hardnode/terraform-provider-hardnode/expect"
)

// FixHint says how to fix a failed or errored check, for diagnostics.
func FixHint(c *expect.Check, r expect.Result) string {
	if r.Status == expect.StatusError {
		return "The check could not run: make the node reachable and the path or command " +
			"accessible to the login user (or grant it passwordless sudo), then apply again."
	}
	switch c.Kind {
	case expect.KindFile:
		if c.Absent {
			return fmt.Sprintf("Remove %s from the node's config (Ignition runs once: reprovision the "+
				"node, or delete the file and keep it out of updates).", c.Path)
		}
		return fmt.Sprintf("Write %s through the node's Butane config as expected; a node that already "+
			"booted needs reprovisioning, since Ignition runs only on first boot. If an update restored "+
			"the image's file, move the setting into a drop-in the update leaves alone.", c.Path)
	case expect.KindUnit:
		return fmt.Sprintf("Declare %s as %s in the Butane config (systemd.units), or run "+
			"`systemctl %s` on the node.", c.Name, c.State, unitVerb(c.State)+" "+c.Name)
	case expect.KindSELinux:
		return "Set SELINUX=" + c.Mode + " in a real /etc/selinux/config file (on Flatcar replace the " +
			"symlink into /usr) and reboot; if the kernel has no SELinux, declare the kind not_applicable."
	case expect.KindSysctl:
		return fmt.Sprintf("Add %s = %s to a file under /etc/sysctl.d/ and run `sysctl --system`.", c.Key, c.Value)
	case expect.KindSubID:
		return fmt.Sprintf("Give %s exactly one line %s:%d:%d in %s with no other line overlapping it, "+
			"then run `podman system migrate` as that user.", c.User, c.User, *c.Start, *c.Count, c.File)
	case expect.KindCommand:
		return "Run the command on the node to see why it differs; the expectation comes from the " +
			"hardening profile that rendered this node's config."
	case expect.KindOS:
		return "Update the node to the expected version (or correct the expectation)."
	}
	return "See the check's detail."
}

func unitVerb(state string) string {
	switch state {
	case expect.UnitMasked:
		return "mask"
	case expect.UnitDisabled:
		return "disable"
	case expect.UnitActive:
		return "start"
	}
	return "enable"
}
