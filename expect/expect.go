// Package expect is the contract between rendering and verification: the
// expectations document that harden writes for a node and verify checks on
// the running node (../shared/EXPECTATIONS.md, version 1). Both sides import
// this package; neither imports the other.
package expect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is the document version this package reads and writes.
const Version = 1

// Kind names what a check looks at.
type Kind string

// The check kinds of document version 1.
const (
	KindFile    Kind = "file"
	KindUnit    Kind = "unit"
	KindSELinux Kind = "selinux"
	KindSysctl  Kind = "sysctl"
	KindSubID   Kind = "subid"
	KindCommand Kind = "command"
	KindOS      Kind = "os"
)

// Kinds lists every kind in document order, for validation and docs.
var Kinds = []Kind{KindFile, KindUnit, KindSELinux, KindSysctl, KindSubID, KindCommand, KindOS}

// UnitState values a unit check may expect.
const (
	UnitEnabled  = "enabled"
	UnitActive   = "active"
	UnitMasked   = "masked"
	UnitDisabled = "disabled"
)

// SELinux modes a selinux check may expect.
const (
	SELinuxEnforcing  = "enforcing"
	SELinuxPermissive = "permissive"
)

// Document is the expectations for one node.
type Document struct {
	Version  int     `json:"version"`
	OSFamily string  `json:"os_family"`
	Checks   []Check `json:"checks"`
}

// Check is one expectation. Which fields apply depends on Kind; unused fields
// stay at their zero value and are omitted from JSON.
type Check struct {
	ID       string `json:"id"`
	Kind     Kind   `json:"kind"`
	OSFamily string `json:"os_family,omitempty"`

	// file
	Path     string   `json:"path,omitempty"`
	Mode     string   `json:"mode,omitempty"` // octal string, also for selinux: "enforcing"/"permissive"
	Owner    string   `json:"owner,omitempty"`
	Group    string   `json:"group,omitempty"`
	SHA256   string   `json:"sha256,omitempty"`
	Contains []string `json:"contains,omitempty"`
	Absent   bool     `json:"absent,omitempty"`
	Type     string   `json:"type,omitempty"` // "regular", "directory", "symlink"

	// unit
	Name  string `json:"name,omitempty"`
	State string `json:"state,omitempty"`

	// sysctl
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`

	// subid (File is /etc/subuid or /etc/subgid)
	File  string  `json:"file,omitempty"`
	User  string  `json:"user,omitempty"`
	Start *uint32 `json:"start,omitempty"`
	Count *uint32 `json:"count,omitempty"`

	// command
	Argv          []string `json:"argv,omitempty"`
	AsUser        string   `json:"as_user,omitempty"`
	StdoutMatches string   `json:"stdout_matches,omitempty"`
	ExitCode      *int     `json:"exit_code,omitempty"`

	// os
	Version  string `json:"version,omitempty"`
	Slot     string `json:"slot,omitempty"`
	Snapshot *int   `json:"snapshot,omitempty"`
}

// Status is the outcome of one check on a node.
type Status string

// Result statuses.
const (
	StatusPass          Status = "pass"
	StatusFail          Status = "fail"
	StatusNotApplicable Status = "not_applicable"
	StatusError         Status = "error"
)

// Result is one row of a verification report.
type Result struct {
	ID       string `json:"id"`
	Kind     Kind   `json:"kind"`
	Status   Status `json:"status"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	Detail   string `json:"detail"`
}

// Parse reads an expectations document strictly: unknown fields, a newer
// version, an unknown kind, a duplicate id or a check missing its required
// fields are errors that name the check.
func Parse(data []byte) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse expectations: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("parse expectations: trailing data after the document")
	}
	if err := doc.Validate(); err != nil {
		return nil, err
	}
	return &doc, nil
}

// Marshal returns the document as indented JSON; the same document always
// gives the same bytes.
func (d *Document) Marshal() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal expectations: %w", err)
	}
	return out, nil
}

// Validate checks the document against version 1 of the contract.
func (d *Document) Validate() error {
	switch {
	case d.Version == 0:
		return fmt.Errorf("expectations: missing \"version\" (this reader knows version %d)", Version)
	case d.Version > Version:
		return fmt.Errorf("expectations: version %d is newer than this reader's version %d; upgrade hardnode",
			d.Version, Version)
	case d.Version < 0:
		return fmt.Errorf("expectations: invalid version %d", d.Version)
	}
	if err := validFamily(d.OSFamily); err != nil {
		return fmt.Errorf("expectations: os_family: %w", err)
	}
	seen := make(map[string]int, len(d.Checks))
	for i := range d.Checks {
		c := &d.Checks[i]
		if c.ID == "" {
			return fmt.Errorf("expectations: check %d (%s) has no \"id\"", i, c.Kind)
		}
		if j, dup := seen[c.ID]; dup {
			return fmt.Errorf("expectations: checks %d and %d share the id %q; ids must be unique", j, i, c.ID)
		}
		seen[c.ID] = i
		if err := c.validate(); err != nil {
			return fmt.Errorf("expectations: check %q: %w", c.ID, err)
		}
	}
	return nil
}

// AppliesTo reports whether the check runs on a node of the given family.
func (c *Check) AppliesTo(family string) bool {
	return c.OSFamily == "" || family == "" || c.OSFamily == family
}

var (
	octalMode = regexp.MustCompile(`^0?[0-7]{3,4}$`)
	sysctlKey = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_*:-]+)*$`)
)

// Families are the os_family values a document or check may name.
var Families = []string{"flatcar", "microos"}

func validFamily(f string) error {
	if f == "" {
		return nil
	}
	for _, known := range Families {
		if f == known {
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %v (a typo here would silently skip checks)", f, Families)
}

// kindFields lists the fields each kind reads, besides id, kind, os_family.
var kindFields = map[Kind][]string{
	KindFile:    {"path", "mode", "owner", "group", "sha256", "contains", "absent", "type"},
	KindUnit:    {"name", "state"},
	KindSELinux: {"mode"},
	KindSysctl:  {"key", "value"},
	KindSubID:   {"file", "user", "start", "count"},
	KindCommand: {"argv", "as_user", "stdout_matches", "exit_code"},
	KindOS:      {"version", "slot", "snapshot"},
}

// setFields names the fields of c that are set, as in JSON.
func (c *Check) setFields() []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("path", c.Path != "")
	add("mode", c.Mode != "")
	add("owner", c.Owner != "")
	add("group", c.Group != "")
	add("sha256", c.SHA256 != "")
	add("contains", c.Contains != nil)
	add("absent", c.Absent)
	add("type", c.Type != "")
	add("name", c.Name != "")
	add("state", c.State != "")
	add("key", c.Key != "")
	add("value", c.Value != "")
	add("file", c.File != "")
	add("user", c.User != "")
	add("start", c.Start != nil)
	add("count", c.Count != nil)
	add("argv", c.Argv != nil)
	add("as_user", c.AsUser != "")
	add("stdout_matches", c.StdoutMatches != "")
	add("exit_code", c.ExitCode != nil)
	add("version", c.Version != "")
	add("slot", c.Slot != "")
	add("snapshot", c.Snapshot != nil)
	return out
}

// foreignField returns a set field that kind c.Kind does not read.
func (c *Check) foreignField() string {
	allowed := kindFields[c.Kind]
	for _, f := range c.setFields() {
		ok := false
		for _, a := range allowed {
			ok = ok || a == f
		}
		if !ok {
			return f
		}
	}
	return ""
}

func (c *Check) validate() error {
	if err := validFamily(c.OSFamily); err != nil {
		return fmt.Errorf("os_family: %w", err)
	}
	if _, known := kindFields[c.Kind]; known {
		if f := c.foreignField(); f != "" {
			return fmt.Errorf("field %q does not belong to kind %q (it reads %v)", f, c.Kind, kindFields[c.Kind])
		}
	}
	need := func(field, value string) error {
		if value == "" {
			return fmt.Errorf("kind %q needs %q", c.Kind, field)
		}
		return nil
	}
	switch c.Kind {
	case KindFile:
		if err := need("path", c.Path); err != nil {
			return err
		}
		if !strings.HasPrefix(c.Path, "/") {
			return fmt.Errorf("path %q is not absolute", c.Path)
		}
		if c.SHA256 != "" && (len(c.SHA256) != 64 || strings.Trim(c.SHA256, "0123456789abcdefABCDEF") != "") {
			return fmt.Errorf("sha256 %q is not 64 hexadecimal digits", c.SHA256)
		}
		if c.Mode != "" && !octalMode.MatchString(c.Mode) {
			return fmt.Errorf("mode %q is not an octal string such as \"0644\"", c.Mode)
		}
		switch c.Type {
		case "", "regular", "directory", "symlink":
		default:
			return fmt.Errorf("type %q is not one of regular, directory, symlink", c.Type)
		}
	case KindUnit:
		if err := need("name", c.Name); err != nil {
			return err
		}
		switch c.State {
		case UnitEnabled, UnitActive, UnitMasked, UnitDisabled:
		default:
			return fmt.Errorf("state %q is not one of enabled, active, masked, disabled", c.State)
		}
	case KindSELinux:
		if c.Mode != SELinuxEnforcing && c.Mode != SELinuxPermissive {
			return fmt.Errorf("mode %q is not one of enforcing, permissive", c.Mode)
		}
	case KindSysctl:
		if err := need("key", c.Key); err != nil {
			return err
		}
		if !sysctlKey.MatchString(c.Key) {
			return fmt.Errorf("key %q is not a dotted sysctl key such as \"kernel.yama.ptrace_scope\" "+
				"(no slashes, empty parts or \"..\")", c.Key)
		}
		if err := need("value", c.Value); err != nil {
			return err
		}
	case KindSubID:
		if c.File != "/etc/subuid" && c.File != "/etc/subgid" {
			return fmt.Errorf("file %q is not /etc/subuid or /etc/subgid", c.File)
		}
		if err := need("user", c.User); err != nil {
			return err
		}
		if c.Start == nil || c.Count == nil {
			return fmt.Errorf("kind %q needs \"start\" and \"count\"", c.Kind)
		}
		if *c.Count == 0 || uint64(*c.Start)+uint64(*c.Count) > 1<<32 {
			return fmt.Errorf("range %d+%d is empty or exceeds the 32-bit ID space", *c.Start, *c.Count)
		}
	case KindCommand:
		if len(c.Argv) == 0 {
			return fmt.Errorf("kind %q needs a non-empty \"argv\"", c.Kind)
		}
		for i, a := range c.Argv {
			if a == "" {
				return fmt.Errorf("argv[%d] is empty", i)
			}
		}
		if strings.ContainsAny(c.AsUser, " \t\n") || strings.HasPrefix(c.AsUser, "-") {
			return fmt.Errorf("as_user %q is not a user name", c.AsUser)
		}
		if c.StdoutMatches != "" {
			if _, err := regexp.Compile("(?m)" + c.StdoutMatches); err != nil {
				return fmt.Errorf("stdout_matches: %w", err)
			}
		}
	case KindOS:
		if c.Version == "" && c.Slot == "" && c.Snapshot == nil {
			return fmt.Errorf("kind %q needs at least one of \"version\", \"slot\", \"snapshot\"; "+
				"without them it asserts nothing", c.Kind)
		}
		if c.Slot != "" && c.Slot != "USR-A" && c.Slot != "USR-B" {
			return fmt.Errorf("slot %q is not USR-A or USR-B", c.Slot)
		}
	case "":
		return fmt.Errorf("missing \"kind\"")
	default:
		return fmt.Errorf("unknown kind %q (known: %v); a newer hardnode may know it", c.Kind, Kinds)
	}
	return nil
}

// Uint32 returns a pointer to v, for Start and Count.
func Uint32(v uint32) *uint32 { return &v }

// Int returns a pointer to v, for ExitCode and Snapshot.
func Int(v int) *int { return &v }

// ExpectedString renders what a check expects, for report rows.
func (c *Check) ExpectedString() string {
	switch c.Kind {
	case KindFile:
		if c.Absent {
			return c.Path + " absent"
		}
		s := c.Path
		for _, kv := range [][2]string{{"type", c.Type}, {"mode", c.Mode}, {"owner", c.Owner},
			{"group", c.Group}, {"sha256", c.SHA256}} {
			if kv[1] != "" {
				s += " " + kv[0] + "=" + kv[1]
			}
		}
		if len(c.Contains) > 0 {
			s += " contains " + strconv.Quote(fmt.Sprint(c.Contains))
		}
		return s
	case KindUnit:
		return c.Name + " " + c.State
	case KindSELinux:
		return c.Mode
	case KindSysctl:
		return c.Key + "=" + c.Value
	case KindSubID:
		return fmt.Sprintf("%s:%d:%d in %s", c.User, *c.Start, *c.Count, c.File)
	case KindCommand:
		s := fmt.Sprintf("%q", c.Argv)
		if c.AsUser != "" {
			s += " as " + c.AsUser
		}
		code := 0
		if c.ExitCode != nil {
			code = *c.ExitCode
		}
		s += fmt.Sprintf(" exits %d", code)
		if c.StdoutMatches != "" {
			s += " stdout ~ /" + c.StdoutMatches + "/"
		}
		return s
	case KindOS:
		s := "version " + c.Version
		if c.Slot != "" {
			s += " slot " + c.Slot
		}
		if c.Snapshot != nil {
			s += fmt.Sprintf(" snapshot %d", *c.Snapshot)
		}
		return s
	}
	return string(c.Kind)
}
