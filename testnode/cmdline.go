package testnode

import (
	"fmt"
	"strconv"
	"strings"
)

// Drive is a file attached to the guest as virtio-blk, after overlays are
// made: writable disks point at their qcow2 overlay, read-only ones at the
// original file.
type Drive struct {
	File     string
	Format   string // "qcow2" or "raw"
	ReadOnly bool
	Serial   string
}

// Args builds the QEMU command line (without the binary) for cfg, with the
// node's files at p, drives attached in order and guest port 22 forwarded
// from 127.0.0.1:sshPort.
func Args(cfg Config, p Paths, drives []Drive, sshPort int) []string {
	cfg = cfg.withDefaults()

	accel := "tcg,tb-size=64"
	if cfg.Accelerator == KVM {
		accel = "kvm"
	}
	args := []string{
		"-name", "hardnode-testnode",
		"-nodefaults", "-no-user-config",
		"-display", "none",
		"-machine", "q35",
		"-accel", accel,
		"-cpu", "max",
		"-m", strconv.Itoa(cfg.MemoryMiB),
		"-smp", strconv.Itoa(cfg.CPUs),
		"-chardev", "file,id=serial0,path=" + optValue(p.SerialLog),
		"-serial", "chardev:serial0",
	}

	if cfg.Kernel != "" {
		args = append(args, "-kernel", cfg.Kernel, "-initrd", cfg.Initrd)
		if cfg.KernelArgs != "" {
			args = append(args, "-append", cfg.KernelArgs)
		}
	}
	if len(cfg.Ignition) > 0 {
		args = append(args, "-fw_cfg", "name="+optValue(cfg.FwCfgKey)+",file="+optValue(p.Ignition))
	}

	for i, d := range drives {
		id := fmt.Sprintf("disk%d", i)
		drive := "if=none,id=" + id + ",file=" + optValue(d.File) + ",format=" + d.Format
		if d.ReadOnly {
			drive += ",readonly=on"
		}
		dev := "virtio-blk-pci,drive=" + id
		if d.Serial != "" {
			dev += ",serial=" + d.Serial
		}
		if i == 0 && cfg.Image != "" {
			dev += ",bootindex=0"
		}
		args = append(args, "-drive", drive, "-device", dev)
	}

	args = append(args,
		"-netdev", fmt.Sprintf("user,id=net0,hostfwd=tcp:%s:%d-:22", DefaultHost, sshPort),
		"-device", "virtio-net-pci,netdev=net0,romfile=",
		"-object", "rng-random,id=rng0,filename=/dev/urandom",
		"-device", "virtio-rng-pci,rng=rng0",
		"-pidfile", p.PIDFile,
		"-qmp", "unix:"+optValue(p.QMPSocket)+",server=on,wait=off",
		"-daemonize",
	)
	return args
}

// optValue escapes a value for QEMU's "key=value,..." option syntax, where a
// literal comma is written twice.
func optValue(s string) string {
	return strings.ReplaceAll(s, ",", ",,")
}
