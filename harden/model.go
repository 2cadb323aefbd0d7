// Package harden turns a short, typed description of a Flatcar Container
// Linux or openSUSE MicroOS node into a hardened Butane config, its Ignition
// (through package butane) and the expectations document (package expect)
// that verification checks on the booted node. Both outputs come from one
// list of managed files and units, so they cannot drift apart. The package
// never imports Terraform.
package harden

// OSFamily names the operating system of a node.
type OSFamily string

// The supported OS families.
const (
	Flatcar OSFamily = "flatcar"
	MicroOS OSFamily = "microos"
)

// Level is how strict the hardening is.
type Level string

// Hardening levels. Restricted adds to baseline: a smaller default
// capability set, ptrace limited to admins, kexec and SysRq disabled.
const (
	Baseline   Level = "baseline"
	Restricted Level = "restricted"
)

// Node is the description of one node.
type Node struct {
	OS       OSFamily
	Level    Level  // empty: Baseline
	Hostname string // empty: leave the image's hostname
	Admin    AdminUser
	SSH      SSHConfig
	// ContainerUsers run rootless Podman; each gets a subordinate ID range.
	ContainerUsers []ContainerUser
	Podman         PodmanConfig
	SELinux        SELinuxConfig
	Update         UpdatePolicy
	// Sysctls are added to (or override) the level's hardening sysctls.
	Sysctls map[string]string
	MicroOS MicroOSOptions
}

// AdminUser is the login user of the node: SSH keys and passwordless sudo.
type AdminUser struct {
	Name              string // empty: "core" on Flatcar, "admin" on MicroOS
	SSHAuthorizedKeys []string
}

// SSHConfig is sshd's hardening input.
type SSHConfig struct {
	// HostKey is an OpenSSH ed25519 private key (PEM). When set, the node
	// uses it as its host key, so its public half can be pinned before the
	// first boot. Sensitive.
	HostKey string
}

// SubIDRange is a subordinate UID/GID range: Start, Start+1, ..., Start+Count-1.
type SubIDRange struct {
	Start uint32
	Count uint32
}

// End returns the first ID after the range, as uint64 so that it cannot wrap.
func (r SubIDRange) End() uint64 { return uint64(r.Start) + uint64(r.Count) }

// ContainerUser is a user that runs rootless containers.
type ContainerUser struct {
	Name string
	// UID is the user's ID; 0: the next free ID from DefaultContainerUID.
	UID uint32
	// SubIDs is an explicit subordinate range; nil: allocated from 100000.
	SubIDs *SubIDRange
	// SubIDCount is the size of an allocated range; 0: 65536.
	SubIDCount uint32
	// Linger keeps the user's services running without a login session.
	Linger bool
}

// PodmanConfig is the rootless Podman setup.
type PodmanConfig struct {
	// RootlessNetwork is "pasta" (default) or "slirp4netns".
	RootlessNetwork string
	// DefaultCapabilities replaces the level's default capability set.
	DefaultCapabilities []string
	// Trust lists the registries whose images may be pulled, with their
	// signing keys. Everything else is rejected.
	Trust []RegistryTrust
	// Quadlets are container units run by container users.
	Quadlets []Quadlet
}

// Signature types of a RegistryTrust.
const (
	TrustSigstore = "sigstore"
	TrustGPG      = "gpg"
)

// RegistryTrust allows images below Scope signed by the key.
type RegistryTrust struct {
	Scope string // "ghcr.io/acme" or "quay.io/org/image"
	Type  string // TrustSigstore or TrustGPG
	Key   string // PEM public key (sigstore) or ASCII-armored GPG key
	// Lookaside is the URL of the signature storage (registries.d
	// "lookaside") for the scope; empty: none. GPG signatures need it for
	// registries without the signature API extension (most besides Quay).
	Lookaside string
}

// Quadlet is one container unit of a container user.
type Quadlet struct {
	Name            string // unit name without ".container"
	User            string // a container user's name
	Image           string // fully qualified image reference
	Exec            string // optional command line
	PublishPorts    []string
	Environment     map[string]string
	AddCapabilities []string
	UserNS          string // "auto" (default), "keep-id" or "nomap"
	WritableRootfs  bool   // false: ReadOnly=true
	NoNewPrivileges *bool  // nil: true; false only at baseline
}

// SELinux modes.
const (
	SELinuxEnforcing  = "enforcing"
	SELinuxPermissive = "permissive"
	SELinuxDisabled   = "disabled"
)

// SELinuxConfig chooses the SELinux mode.
type SELinuxConfig struct {
	Mode          string // empty: enforcing
	AllowDisabled bool   // required to choose SELinuxDisabled
}

// Update strategies.
const (
	UpdateReboot   = "reboot"   // reboot after an update, inside the window if set
	UpdateExternal = "external" // a cluster reboot manager (e.g. kured) reboots
	UpdateOff      = "off"      // updates are staged, nothing reboots the node
)

// UpdatePolicy is how the node updates and reboots.
type UpdatePolicy struct {
	Strategy     string // empty: reboot
	WindowStart  string // "04:00" or "Thu 04:00"; with WindowLength
	WindowLength string // Go duration in whole minutes, such as "1h30m"
	Group        string // Flatcar update group (stable, beta, alpha, lts)
}

// MicroOSOptions are MicroOS specifics.
type MicroOSOptions struct {
	// MountHome declares the /home btrfs subvolume (device
	// /dev/disk/by-label/ROOT, subvol=/@/home) so that Ignition creates the
	// users' homes and SSH keys on it, not on the root subvolume it hides.
	// nil: true. Set false only where /home is a plain directory of the root
	// filesystem (test stand-ins): Ignition's disks stage would refuse it.
	MountHome *bool
}

// DefaultContainerUID is the first UID given to container users without one.
const DefaultContainerUID = 5000

// Default sizes of subordinate ID ranges.
const (
	SubIDMin          = 100000
	SubIDDefaultCount = 65536
)

func (n *Node) level() Level {
	if n.Level == "" {
		return Baseline
	}
	return n.Level
}

// AdminName returns the admin user's name, applying the OS default.
func (n *Node) AdminName() string {
	if n.Admin.Name != "" {
		return n.Admin.Name
	}
	if n.OS == MicroOS {
		return "admin"
	}
	return "core"
}

func (n *Node) selinuxMode() string {
	if n.SELinux.Mode == "" {
		return SELinuxEnforcing
	}
	return n.SELinux.Mode
}

func (n *Node) updateStrategy() string {
	if n.Update.Strategy == "" {
		return UpdateReboot
	}
	return n.Update.Strategy
}

func (n *Node) rootlessNetwork() string {
	if n.Podman.RootlessNetwork == "" {
		return "pasta"
	}
	return n.Podman.RootlessNetwork
}

func (n *Node) mountHome() bool {
	return n.OS == MicroOS && (n.MicroOS.MountHome == nil || *n.MicroOS.MountHome)
}
