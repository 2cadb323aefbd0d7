package testnode

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Manifest is build/standin/current/manifest.json, written by
// tests/standin/build.sh (its contract: tests/standin/README.md). Paths in it
// are relative to the manifest's directory.
type Manifest struct {
	Kernel string `json:"kernel"`
	Initrd string `json:"initrd"`
	Append string `json:"append"`
	// MemoryMiB is the guest memory the stand-in needs; 0: not stated.
	MemoryMiB int                       `json:"memory_mib"`
	Families  map[string]ManifestFamily `json:"families"`
}

// ManifestFamily is the stand-in of one OS family.
type ManifestFamily struct {
	BaseVersion    string            `json:"base_version"`
	Disks          []ManifestDisk    `json:"disks"`
	Versions       map[string]string `json:"versions"`
	BrokenVersions []string          `json:"broken_versions"`
	SELinux        bool              `json:"selinux"`
	FwCfgKey       string            `json:"fw_cfg_key"`
}

// ManifestDisk is one disk of a stand-in family.
type ManifestDisk struct {
	File     string `json:"file"`
	ReadOnly bool   `json:"readonly"`
	Serial   string `json:"serial"`
}

// Standin is what booting one family of the stand-in takes, with absolute
// paths, ready to copy into a Config.
type Standin struct {
	Kernel         string
	Initrd         string
	KernelArgs     string
	Disks          []Disk
	FwCfgKey       string
	Family         Family
	BaseVersion    string
	Versions       []string // sorted
	BrokenVersions []string
	SELinux        bool
	MemoryMiB      int // recommended guest memory; 0: not stated
}

// LoadStandin reads the stand-in manifest at path and returns the boot
// inputs of family.
func LoadStandin(path string, family Family) (Standin, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Standin{}, fmt.Errorf("read stand-in manifest (build it with make standin): %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Standin{}, fmt.Errorf("decode stand-in manifest %s: %w", path, err)
	}
	fam, ok := m.Families[string(family)]
	if !ok {
		names := make([]string, 0, len(m.Families))
		for n := range m.Families {
			names = append(names, n)
		}
		sort.Strings(names)
		return Standin{}, fmt.Errorf("stand-in manifest %s has no family %q (it has %v)", path, family, names)
	}
	if m.Kernel == "" || m.Initrd == "" {
		return Standin{}, fmt.Errorf("stand-in manifest %s names no kernel or initrd", path)
	}

	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return Standin{}, err
	}
	// The manifest sits behind the "current" symlink: resolve it so that a
	// rebuild that moves the link does not change a running node's disks.
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}

	s := Standin{
		Kernel:         abs(m.Kernel),
		Initrd:         abs(m.Initrd),
		KernelArgs:     m.Append,
		FwCfgKey:       fam.FwCfgKey,
		Family:         family,
		BaseVersion:    fam.BaseVersion,
		BrokenVersions: fam.BrokenVersions,
		SELinux:        fam.SELinux,
		MemoryMiB:      m.MemoryMiB,
	}
	if s.FwCfgKey == "" {
		s.FwCfgKey = ConfigKey(family)
	}
	for _, d := range fam.Disks {
		s.Disks = append(s.Disks, Disk{Path: abs(d.File), ReadOnly: d.ReadOnly, Serial: d.Serial})
	}
	for v := range fam.Versions {
		s.Versions = append(s.Versions, v)
	}
	sort.Strings(s.Versions)
	return s, nil
}

// Apply copies the stand-in's boot inputs into cfg, and its recommended
// memory when cfg states none.
func (s Standin) Apply(cfg Config) Config {
	if cfg.MemoryMiB == 0 {
		cfg.MemoryMiB = s.MemoryMiB
	}
	cfg.Kernel = s.Kernel
	cfg.Initrd = s.Initrd
	cfg.KernelArgs = s.KernelArgs
	cfg.Disks = s.Disks
	cfg.FwCfgKey = s.FwCfgKey
	cfg.Family = s.Family
	return cfg
}

// NotApplicable lists the check kinds this stand-in cannot satisfy, with
// the reason.
func (s Standin) NotApplicable() map[string]string {
	na := map[string]string{}
	if !s.SELinux {
		na["selinux"] = "the stand-in image of " + string(s.Family) + " is built without SELinux"
	}
	return na
}
