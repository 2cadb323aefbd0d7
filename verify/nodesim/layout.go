package nodesim

import (
	"fmt"
	"os"
	"path/filepath"
)

// State is the booted OS of a simulated node.
type State struct {
	Family   Family
	Version  string
	Slot     string // Flatcar: USR-A or USR-B
	Snapshot int    // MicroOS: booted snapshot number
}

const sshdDropIn = "PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"

// SSHDDropIn is the content of the simulated hardening drop-in
// /etc/ssh/sshd_config.d/10-hardnode.conf.
const SSHDDropIn = sshdDropIn

func (n *Node) layout(family Family, version string) error {
	files := map[string]string{
		"/etc/passwd": "root:x:0:0:root:/root:/bin/bash\ncore:x:500:500:Core:/home/core:/bin/bash\n" +
			"app:x:1001:1001::/home/app:/bin/sh\n",
		"/etc/group":                                "root:x:0:\ncore:x:500:\napp:x:1001:\n",
		"/etc/subuid":                               "app:100000:65536\n",
		"/etc/subgid":                               "app:100000:65536\n",
		"/proc/sys/kernel/yama/ptrace_scope":        "1\n",
		"/proc/sys/kernel/kptr_restrict":            "2\n",
		"/proc/sys/kernel/printk":                   "4\t4\t1\t7\n",
		"/proc/sys/kernel/random/boot_id":           newBootID() + "\n",
		"/proc/uptime":                              "86400.00 170000.00\n",
		"/etc/ssh/sshd_config.d/10-hardnode.conf":   sshdDropIn,
		"/etc/containers/policy.json":               "{\"default\":[{\"type\":\"reject\"}]}\n",
		"/home/app/.config/containers/storage.conf": "[storage]\n",
	}
	switch family {
	case Flatcar:
		files["/usr/share/baselayout/passwd"] = "sshd:x:204:204:sshd:/var/empty:/sbin/nologin\n"
		files["/usr/share/baselayout/group"] = "sudo:x:150:\nsshd:x:204:\n"
		files["/sys/fs/selinux/enforce"] = "0\n"
		files["/usr/lib/selinux/config"] = "SELINUX=permissive\n"
		files["/proc/self/mountinfo"] = "1 0 253:9 / / rw,relatime shared:1 - ext4 /dev/vda9 rw\n" +
			"22 1 254:0 / /usr ro,relatime shared:2 - ext4 /dev/mapper/usr ro,seclabel\n"
		files["/proc/mounts"] = "/dev/vda9 / ext4 rw,relatime 0 0\n/dev/mapper/usr /usr ext4 ro,relatime 0 0\n"
		n.units["docker.socket"] = Unit{Enabled: "masked", Active: "inactive"}
		n.units["update-engine.service"] = Unit{Enabled: "enabled", Active: "active"}
	case MicroOS:
		files["/sys/fs/selinux/enforce"] = "1\n"
		files["/etc/selinux/config"] = "SELINUX=enforcing\n"
		files["/proc/self/mountinfo"] = "1 0 0:30 /@/.snapshots/1/snapshot / ro,relatime shared:1 - btrfs /dev/vda3 ro\n"
		n.units["transactional-update.timer"] = Unit{Enabled: "enabled", Active: "active"}
	default:
		return fmt.Errorf("unknown family %q", family)
	}
	n.units["sshd.service"] = Unit{Enabled: "enabled", Active: "active"}
	for p, content := range files {
		if err := n.WriteFile(p, content); err != nil {
			return err
		}
	}
	if err := n.Symlink("../usr/lib/os-release", "/etc/os-release"); err != nil {
		return err
	}
	if family == Flatcar {
		for _, l := range [][2]string{
			{"../../vda3", "/dev/disk/by-partlabel/USR-A"},
			{"../../vda4", "/dev/disk/by-partlabel/USR-B"},
			{"../usr/lib/selinux/config", "/etc/selinux/config"},
		} {
			if err := n.Symlink(l[0], l[1]); err != nil {
				return err
			}
		}
	}
	n.SetMeta("/etc/ssh/sshd_config.d/10-hardnode.conf", Meta{Mode: 0o600})
	n.SetMeta("/home/app", Meta{UID: 1001, GID: 1001, Mode: 0o700, NoStat: true})
	n.SetMeta("/home/core", Meta{UID: 500, GID: 500, Mode: 0o700})
	n.state = State{Family: family}
	return n.SetState(State{Family: family, Version: version, Slot: "USR-A", Snapshot: 1})
}

// State returns what the node currently boots.
func (n *Node) State() State {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state
}

// SetState rewrites os-release and the mount tables for a booted version:
// on Flatcar, which USR partition backs /usr (through the dm-verity device);
// on MicroOS, which snapshot "/" is mounted from.
func (n *Node) SetState(s State) error {
	s.Family = n.State().Family
	osRelease := fmt.Sprintf("NAME=\"Flatcar Container Linux by Kinvolk\"\nID=flatcar\nID_LIKE=coreos\n"+
		"VERSION=%s\nVERSION_ID=%s\n", s.Version, s.Version)
	switch s.Family {
	case Flatcar:
		slaves := filepath.Join(n.Root, "sys/dev/block/254:0/slaves")
		if err := os.RemoveAll(slaves); err != nil {
			return err
		}
		dev := map[string]string{"USR-A": "vda3", "USR-B": "vda4"}[s.Slot]
		if dev == "" {
			return fmt.Errorf("slot %q is not USR-A or USR-B", s.Slot)
		}
		if err := os.MkdirAll(filepath.Join(slaves, dev), 0o755); err != nil {
			return err
		}
	case MicroOS:
		osRelease = fmt.Sprintf("NAME=\"openSUSE MicroOS\"\nID=\"opensuse-microos\"\n"+
			"ID_LIKE=\"suse opensuse opensuse-tumbleweed microos\"\nVERSION=\"%s\"\nVERSION_ID=\"%s\"\n",
			s.Version, s.Version)
		mounts := fmt.Sprintf("/dev/vda3 / btrfs ro,relatime,seclabel,ssd,space_cache=v2,"+
			"subvolid=%d,subvol=/@/.snapshots/%d/snapshot 0 0\n"+
			"/dev/vda3 /var btrfs rw,relatime,subvol=/@/var 0 0\n", 256+s.Snapshot, s.Snapshot)
		if err := n.WriteFile("/proc/mounts", mounts); err != nil {
			return err
		}
	}
	if err := n.WriteFile("/usr/lib/os-release", osRelease); err != nil {
		return err
	}
	n.mu.Lock()
	n.state = s
	n.mu.Unlock()
	return nil
}

// Updated returns the state after a successful update to version: the other
// USR slot on Flatcar, the next snapshot on MicroOS.
func (s State) Updated(version string) State {
	next := s
	next.Version = version
	next.Snapshot = s.Snapshot + 1
	if s.Slot == "USR-A" {
		next.Slot = "USR-B"
	} else {
		next.Slot = "USR-A"
	}
	return next
}
