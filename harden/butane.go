package harden

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Butane variants and versions hardnode writes. Both translate to Ignition
// spec 3.3.0, the oldest that all supported targets accept (Flatcar 3185+,
// Ignition 2.11+); package butane raises the spec when asked.
const (
	flatcarVariant = "flatcar"
	flatcarVersion = "1.0.0"
	microOSVariant = "fcos" // MicroOS reads Ignition configs; Butane has no MicroOS variant
	microOSVersion = "1.4.0"
)

type bConfig struct {
	Variant string    `yaml:"variant"`
	Version string    `yaml:"version"`
	Passwd  bPasswd   `yaml:"passwd"`
	Storage bStorage  `yaml:"storage"`
	Systemd *bSystemd `yaml:"systemd,omitempty"`
}

type bPasswd struct {
	Users []bUser `yaml:"users"`
}

type bUser struct {
	Name              string   `yaml:"name"`
	UID               *uint32  `yaml:"uid,omitempty"`
	System            bool     `yaml:"system,omitempty"`
	Shell             string   `yaml:"shell,omitempty"`
	SSHAuthorizedKeys []string `yaml:"ssh_authorized_keys,omitempty"`
}

type bStorage struct {
	Filesystems []bFilesystem `yaml:"filesystems,omitempty"`
	Files       []bFile       `yaml:"files"`
}

type bFilesystem struct {
	Device         string   `yaml:"device"`
	Format         string   `yaml:"format"`
	Path           string   `yaml:"path"`
	WipeFilesystem bool     `yaml:"wipe_filesystem"`
	MountOptions   []string `yaml:"mount_options"`
}

type bFile struct {
	Path      string      `yaml:"path"`
	Mode      octalMode   `yaml:"mode"`
	Overwrite *bool       `yaml:"overwrite,omitempty"`
	User      bName       `yaml:"user"`
	Group     bName       `yaml:"group"`
	Contents  *bContents  `yaml:"contents,omitempty"`
	Append    []bContents `yaml:"append,omitempty"`
}

type bName struct {
	Name string `yaml:"name"`
}

type bContents struct {
	Inline      *string `yaml:"inline,omitempty"`
	Source      string  `yaml:"source,omitempty"`
	Compression string  `yaml:"compression,omitempty"`
}

// inline is file content written into the config as text.
func inline(s string) bContents { return bContents{Inline: &s} }

// gzipDataURL carries large generated content precompressed, which Butane
// passes through instead of escaping it (most of the rendering time of a
// node went into the seccomp profile).
func gzipDataURL(s string) (bContents, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return bContents{}, fmt.Errorf("compress: %w", err)
	}
	if _, err := zw.Write([]byte(s)); err != nil {
		return bContents{}, fmt.Errorf("compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return bContents{}, fmt.Errorf("compress: %w", err)
	}
	return bContents{Source: "data:;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), Compression: "gzip"}, nil
}

var seccompContents = sync.OnceValues(func() (bContents, error) { return gzipDataURL(SeccompProfile) })

type bSystemd struct {
	Units []bUnit `yaml:"units"`
}

type bUnit struct {
	Name     string `yaml:"name"`
	Enabled  *bool  `yaml:"enabled,omitempty"`
	Mask     *bool  `yaml:"mask,omitempty"`
	Contents string `yaml:"contents,omitempty"`
}

// octalMode marshals as a YAML octal literal (0644), as Butane's docs write
// modes, so a reader never mistakes it for decimal.
type octalMode int

func (m octalMode) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprintf("0%o", int(m))}, nil
}

// butane renders the plan as Butane YAML. The same plan always gives the
// same bytes: every list is built in a fixed order.
func (p *plan) butane() ([]byte, error) {
	n := p.node
	cfg := bConfig{Variant: flatcarVariant, Version: flatcarVersion}
	if n.OS == MicroOS {
		cfg.Variant, cfg.Version = microOSVariant, microOSVersion
	}

	keys := make([]string, len(n.Admin.SSHAuthorizedKeys))
	for i, k := range n.Admin.SSHAuthorizedKeys {
		keys[i] = strings.TrimSpace(k)
	}
	cfg.Passwd.Users = append(cfg.Passwd.Users, bUser{Name: p.admin, SSHAuthorizedKeys: keys})
	for _, a := range p.subids {
		uid := a.UID
		// System accounts: useradd gives them no subordinate range of its
		// own, which would collide with the ranges appended below.
		cfg.Passwd.Users = append(cfg.Passwd.Users, bUser{Name: a.User, UID: &uid, System: true,
			Shell: "/usr/sbin/nologin"})
	}

	if n.mountHome() {
		cfg.Storage.Filesystems = append(cfg.Storage.Filesystems, bFilesystem{
			Device: "/dev/disk/by-label/ROOT", Format: "btrfs", Path: "/home",
			MountOptions: []string{"subvol=/@/home"},
		})
	}

	yes := true
	for _, f := range p.files {
		bf := bFile{Path: f.path, Mode: octalMode(f.mode), User: bName{"root"}, Group: bName{"root"}}
		switch {
		case f.append:
			bf.Append = []bContents{inline(f.contents)}
		case f.path == SeccompProfilePath && f.contents == SeccompProfile:
			c, err := seccompContents()
			if err != nil {
				return nil, err
			}
			bf.Overwrite, bf.Contents = &yes, &c
		default:
			c := inline(f.contents)
			bf.Overwrite, bf.Contents = &yes, &c
		}
		cfg.Storage.Files = append(cfg.Storage.Files, bf)
	}

	if len(p.units) > 0 {
		cfg.Systemd = &bSystemd{}
		for _, u := range p.units {
			bu := bUnit{Name: u.name, Contents: u.contents}
			if u.state == "masked" {
				bu.Mask = &yes
			} else {
				bu.Enabled = &yes
			}
			cfg.Systemd.Units = append(cfg.Systemd.Units, bu)
		}
	}

	var buf bytes.Buffer
	buf.WriteString("# Rendered by hardnode for a " + string(n.OS) + " node (level " + string(n.level()) + ").\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return nil, fmt.Errorf("encode butane: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode butane: %w", err)
	}
	return buf.Bytes(), nil
}
