// Package testnode boots throwaway QEMU nodes for tests: a real Flatcar or
// MicroOS qcow2 image, or the stand-in node built under tests/standin/, with a
// rendered Ignition config passed through fw_cfg. QEMU runs detached with a
// pidfile and a QMP socket in a state directory, so a node outlives the
// process that started it; Start waits until SSH answers with the pinned host
// key, Stop powers the node off through QMP. It is a tool for test boots, not
// for running production machines, and it never imports Terraform.
package testnode

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Family is the operating system family of a node.
type Family string

// The families a test node can be.
const (
	Flatcar Family = "flatcar"
	MicroOS Family = "microos"
)

// Accelerator is the QEMU accelerator.
type Accelerator string

// The accelerators. TCG is the default: KVM hangs on the machines that run
// hardnode's tests (see ../shared/STANDIN.md), so it is opt-in only.
const (
	TCG Accelerator = "tcg"
	KVM Accelerator = "kvm"
)

// The fw_cfg keys under which a node's initrd looks for its Ignition config.
const (
	FlatcarConfigKey = "opt/org.flatcar-linux/config"
	CoreOSConfigKey  = "opt/com.coreos/config"
)

// Defaults for the fields of Config left zero.
const (
	DefaultMemoryMiB   = 512
	DefaultCPUs        = 1
	DefaultBootTimeout = 5 * time.Minute
	DefaultQEMU        = "qemu-system-x86_64"
	DefaultQEMUImg     = "qemu-img"
	// DefaultHost is where the guest's SSH port is forwarded: loopback only.
	DefaultHost = "127.0.0.1"
)

// Names of the files a node keeps in its state directory.
const (
	PIDFileName   = "qemu.pid"
	QMPSocketName = "qmp.sock"
	SerialLogName = "serial.log"
	IgnitionName  = "ignition.json"
)

// maxUnixPath is the longest path a unix socket address may have on Linux
// (sun_path is 108 bytes including the terminating NUL).
const maxUnixPath = 107

// Disk is a block device attached to the node as virtio-blk.
type Disk struct {
	Path     string // raw or qcow2 file
	ReadOnly bool   // attached with readonly=on; otherwise a qcow2 overlay takes the writes
	Serial   string // virtio serial, visible in /dev/disk/by-id; optional
}

// Config describes one test node. Either Image, or Kernel and Initrd (with
// Disks), must be set.
type Config struct {
	StateDir string // overlays, pidfile, QMP socket, serial log and config copy live here

	Image string // qcow2 of a real Flatcar or MicroOS; booted by the firmware

	Kernel     string // direct kernel boot
	Initrd     string
	KernelArgs string
	Disks      []Disk

	Ignition []byte // rendered config, passed through fw_cfg; optional
	Family   Family
	FwCfgKey string // empty: from Family

	MemoryMiB   int
	CPUs        int
	Accelerator Accelerator
	BootTimeout time.Duration

	// HostKey is the public host key, in authorized_keys format, that the
	// config gives the node. When set, the node counts as up only when SSH
	// presents exactly this key; when empty, the first key seen is recorded.
	HostKey string

	QEMU    string // qemu-system-x86_64 binary; empty: DefaultQEMU on PATH
	QEMUImg string // qemu-img binary; empty: DefaultQEMUImg on PATH
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.MemoryMiB == 0 {
		c.MemoryMiB = DefaultMemoryMiB
	}
	if c.CPUs == 0 {
		c.CPUs = DefaultCPUs
	}
	if c.Accelerator == "" {
		c.Accelerator = TCG
	}
	if c.BootTimeout == 0 {
		c.BootTimeout = DefaultBootTimeout
	}
	if c.FwCfgKey == "" {
		c.FwCfgKey = ConfigKey(c.Family)
	}
	if c.QEMU == "" {
		c.QEMU = DefaultQEMU
	}
	if c.QEMUImg == "" {
		c.QEMUImg = DefaultQEMUImg
	}
	return c
}

// ConfigKey returns the fw_cfg key that a family's initrd reads Ignition from.
func ConfigKey(f Family) string {
	if f == Flatcar {
		return FlatcarConfigKey
	}
	return CoreOSConfigKey
}

// Validate reports the first problem that keeps c from booting.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.StateDir == "" {
		errs = append(errs, errors.New("state_dir is required"))
	} else if !filepath.IsAbs(c.StateDir) {
		errs = append(errs, fmt.Errorf("state_dir %q must be an absolute path", c.StateDir))
	} else if n := len(filepath.Join(c.StateDir, QMPSocketName)); n > maxUnixPath {
		errs = append(errs, fmt.Errorf(
			"state_dir %q is too long: the QMP socket path would be %d bytes, the limit is %d",
			c.StateDir, n, maxUnixPath))
	}
	switch {
	case c.Image != "" && (c.Kernel != "" || c.Initrd != ""):
		errs = append(errs, errors.New("set either image or kernel+initrd, not both"))
	case c.Image == "" && (c.Kernel == "" || c.Initrd == ""):
		errs = append(errs, errors.New("set image, or both kernel and initrd"))
	}
	if c.Image != "" && c.KernelArgs != "" {
		errs = append(errs, errors.New("kernel_args needs kernel+initrd; an image boots its own kernel"))
	}
	for i, d := range c.Disks {
		if d.Path == "" {
			errs = append(errs, fmt.Errorf("disk %d has no path", i))
		}
		if strings.ContainsAny(d.Serial, ", ") {
			errs = append(errs, fmt.Errorf("disk %d: serial %q must not contain commas or spaces", i, d.Serial))
		}
	}
	switch c.Family {
	case Flatcar, MicroOS:
	default:
		errs = append(errs, fmt.Errorf("os_family %q is not one of flatcar, microos", c.Family))
	}
	switch c.Accelerator {
	case TCG, KVM:
	default:
		errs = append(errs, fmt.Errorf("accelerator %q is not one of tcg, kvm", c.Accelerator))
	}
	if c.MemoryMiB < 64 {
		errs = append(errs, fmt.Errorf("memory %d MiB is below the 64 MiB minimum", c.MemoryMiB))
	}
	if c.CPUs < 1 {
		errs = append(errs, fmt.Errorf("cpus %d must be at least 1", c.CPUs))
	}
	if c.BootTimeout < 0 {
		errs = append(errs, fmt.Errorf("boot timeout %s must not be negative", c.BootTimeout))
	}
	return errors.Join(errs...)
}

// Paths are the files of a node in its state directory.
type Paths struct {
	StateDir  string
	PIDFile   string
	QMPSocket string
	SerialLog string
	Ignition  string
}

// PathsIn returns the paths of a node whose state lives in stateDir.
func PathsIn(stateDir string) Paths {
	return Paths{
		StateDir:  stateDir,
		PIDFile:   filepath.Join(stateDir, PIDFileName),
		QMPSocket: filepath.Join(stateDir, QMPSocketName),
		SerialLog: filepath.Join(stateDir, SerialLogName),
		Ignition:  filepath.Join(stateDir, IgnitionName),
	}
}

// overlayPath is the qcow2 overlay that takes the writes of disk i (or of
// the image, i = -1).
func overlayPath(stateDir string, i int) string {
	if i < 0 {
		return filepath.Join(stateDir, "image-overlay.qcow2")
	}
	return filepath.Join(stateDir, fmt.Sprintf("disk%d-overlay.qcow2", i))
}
