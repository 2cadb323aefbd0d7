package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hardnode/terraform-provider-hardnode/expect"
)

// Options tune one verification.
type Options struct {
	// Timeout bounds the whole wait for the node: connecting, retrying while
	// it boots or reboots, and waiting for ExpectedVersion. Default 5m.
	Timeout  time.Duration
	Timeouts Timeouts
	// Backoff between attempts: starts at BackoffInitial (default 1s) and
	// doubles up to BackoffMax (default 15s).
	BackoffInitial time.Duration
	BackoffMax     time.Duration

	// NotApplicable declares check kinds that do not apply to this node, with
	// the reason; their checks report not_applicable.
	NotApplicable map[expect.Kind]string

	// ExpectedVersion, when set, is the os-release VERSION the node should
	// run after an update. Verification waits for the node to reboot into
	// it and reports a rollback when it comes back on the old one.
	ExpectedVersion string
	// Previous is what the last successful verification saw (its boot,
	// version, slot or snapshot).
	Previous *Baseline
	// ApplyStarted is when the run that may have updated the node began
	// (for Terraform: the provider process). A node whose uptime is shorter
	// rebooted during it. Zero: only reboots seen by this Verify count.
	ApplyStarted time.Time

	// Progress, when set, is told about waits and retries.
	Progress func(Progress)
}

// Baseline is the node as an earlier look saw it.
type Baseline struct {
	BootID   string
	Version  string
	Slot     string
	Snapshot *int
}

// Progress is one event of a verification, for logs.
type Progress struct {
	Attempt int
	Message string
	Err     error
	Elapsed time.Duration
}

// UpdateCheckID is the report row id of the ExpectedVersion outcome.
const UpdateCheckID = "expected_version"

// UpdateOutcome says whether the node reached ExpectedVersion.
type UpdateOutcome struct {
	Expected        string
	Running         string
	PreviousVersion string // the version before the update, when known
	PreviousSlot    string
	Rebooted        bool // the node booted during this apply
	RolledBack      bool // it rebooted during this apply and came back on the old version, slot or snapshot
	TimedOut        bool
	// StaleReboot: the node booted since the last verification, but before
	// this apply, and runs the old version; not taken as a rollback.
	StaleReboot bool
}

// Report is the outcome of a verification.
type Report struct {
	Results []expect.Result
	Facts   Facts
	// HostKey is the key the node presented, as a known_hosts line: the pin
	// to record after trust on first use.
	HostKey string
	Update  *UpdateOutcome
	// Warnings are things the caller should hear about that are no check
	// result (the document is for another OS family, say).
	Warnings    []string
	Connections int // SSH connections opened (one unless the node rebooted or dropped the connection)
}

// Failed returns the rows with status fail or error.
func (r *Report) Failed() []expect.Result {
	var out []expect.Result
	for _, row := range r.Results {
		if row.Status == expect.StatusFail || row.Status == expect.StatusError {
			out = append(out, row)
		}
	}
	return out
}

// Verify connects to the node, waits for ExpectedVersion if asked, and runs
// every check of doc (which may be nil for facts only). It returns an error
// only when it could not get a usable connection (changed host key, refused
// credentials, node not answering within the timeout); check outcomes,
// including a rollback, are rows of the report.
func Verify(ctx context.Context, t Target, doc *expect.Document, opts Options) (*Report, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.BackoffInitial <= 0 {
		opts.BackoffInitial = time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 15 * time.Second
	}
	v := &run{target: t, doc: doc, opts: opts, start: time.Now()}
	waitCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	return v.loop(ctx, waitCtx)
}

type run struct {
	target   Target
	doc      *expect.Document
	opts     Options
	start    time.Time
	runStart *Baseline // the node at the first contact of this run
	report   Report
	attempt  int
	delay    time.Duration
}

func (v *run) progress(msg string, err error) {
	if v.opts.Progress != nil {
		v.opts.Progress(Progress{Attempt: v.attempt, Message: msg, Err: err, Elapsed: time.Since(v.start)})
	}
}

// sleep waits for the next backoff step; false when the wait deadline passed.
func (v *run) sleep(waitCtx context.Context) bool {
	if v.delay == 0 {
		v.delay = v.opts.BackoffInitial
	}
	timer := time.NewTimer(v.delay)
	defer timer.Stop()
	v.delay = min(2*v.delay, v.opts.BackoffMax)
	select {
	case <-timer.C:
		return true
	case <-waitCtx.Done():
		return false
	}
}

// connect dials until the node answers or the wait deadline passes.
func (v *run) connect(waitCtx context.Context) (*nodeConn, error) {
	var last error
	for {
		v.attempt++
		c, err := dial(waitCtx, v.target, v.opts.Timeouts)
		if err == nil {
			v.report.Connections++
			v.delay = 0
			return c, nil
		}
		if IsPermanent(err) {
			return nil, err
		}
		last = err
		v.progress("node not answering yet; retrying", err)
		if waitCtx.Err() != nil || !v.sleep(waitCtx) {
			return nil, fmt.Errorf("node %s did not answer within %s: %w", v.target.Address(), v.opts.Timeout, last)
		}
	}
}

func (v *run) loop(ctx, waitCtx context.Context) (*Report, error) {
	for {
		c, err := v.connect(waitCtx)
		if err != nil {
			if !IsPermanent(err) && v.report.Results != nil {
				// Out of time while reconnecting after a lost connection:
				// report the last pass, whose unrun checks are errors.
				return &v.report, nil
			}
			return nil, err
		}
		v.pinFirstKey(c)
		done, err := v.pass(ctx, waitCtx, c)
		c.Close()
		if done || err != nil {
			return &v.report, err
		}
	}
}

// pinFirstKey records the key of the first connection and pins it for the
// connections that follow in this run (after a reboot, say), so that trust
// on first use never trusts twice.
func (v *run) pinFirstKey(c *nodeConn) {
	v.report.HostKey = KnownHostsLine(v.target.Address(), c.hostKey)
	// A fingerprint pin matched this key: pin the key itself, so that
	// reconnects ask for its type at once.
	if pin := v.target.HostKey.Pin; pin == nil || pin.FingerprintsOnly() {
		pin, err := ParseHostKeyPin(v.report.HostKey)
		if err == nil {
			v.target.HostKey.Pin = pin
		}
	}
}

// pass runs one attempt on a connection. done is false when the caller
// should reconnect and try again (connection lost, or still waiting for the
// node to reboot into ExpectedVersion).
func (v *run) pass(ctx, waitCtx context.Context, c *nodeConn) (done bool, err error) {
	facts, err := gatherFacts(ctx, c)
	if err != nil {
		if v.retry(waitCtx, "connection lost while reading facts", err) {
			return false, nil
		}
		return true, fmt.Errorf("verify %s: %w, and the node did not come back within %s",
			v.target.Address(), err, v.opts.Timeout)
	}
	v.report.Facts = facts

	if v.opts.ExpectedVersion != "" {
		outcome, wait := v.updateOutcome(facts)
		if wait {
			v.progress(fmt.Sprintf("node runs %s, waiting for it to reboot into %s",
				facts.OSVersion, v.opts.ExpectedVersion), nil)
			if v.sleep(waitCtx) {
				return false, nil
			}
			// Out of time: report the node as it is, on this connection if it
			// still stands.
			outcome.TimedOut = true
		}
		v.report.Update = outcome
	}

	rows, lost := v.checks(ctx, c, facts)
	v.report.Results = rows
	if v.report.Results == nil {
		v.report.Results = []expect.Result{}
	}
	if v.report.Update != nil {
		v.report.Results = append([]expect.Result{updateRow(v.report.Update, facts)}, rows...)
	}
	if lost != nil && v.retry(waitCtx, "connection lost during checks", lost) {
		return false, nil
	}
	return true, nil
}

// retry decides after a lost connection: reconnect (true) while the wait
// deadline allows, as when the node reboots mid-verification; false when the
// caller must finish with what it has.
func (v *run) retry(waitCtx context.Context, msg string, cause error) bool {
	if waitCtx.Err() != nil {
		return false
	}
	v.progress(msg+"; reconnecting", cause)
	return v.sleep(waitCtx)
}

// checks runs the document's checks. When the connection drops, the check
// that was running and every later one are errors (never passes), and lost
// is set.
func (v *run) checks(ctx context.Context, c *nodeConn, facts Facts) (rows []expect.Result, lost error) {
	if v.doc == nil {
		return nil, nil
	}
	family := facts.Family
	switch {
	case family == "" && v.doc.OSFamily != "":
		family = v.doc.OSFamily
		v.report.Warnings = append(v.report.Warnings, fmt.Sprintf("the node's OS family is not recognised "+
			"from os-release (ID %q); checks limited to an os_family are run as for the document's %q",
			facts.OSID, v.doc.OSFamily))
	case v.doc.OSFamily != "" && family != v.doc.OSFamily:
		v.report.Warnings = append(v.report.Warnings, fmt.Sprintf("the expectations are for os_family %q, "+
			"but the node is %q (os-release ID %q): checks limited to %q are skipped; use the "+
			"expectations rendered for this node", v.doc.OSFamily, family, facts.OSID, v.doc.OSFamily))
	}
	k := &checker{conn: c, facts: facts, family: family, notApplicable: v.opts.NotApplicable}
	for i := range v.doc.Checks {
		chk := &v.doc.Checks[i]
		if lost != nil {
			rows = append(rows, expect.Result{ID: chk.ID, Kind: chk.Kind, Status: expect.StatusError,
				Expected: chk.ExpectedString(), Detail: "not run: " + lost.Error()})
			continue
		}
		row, err := k.run(ctx, chk)
		if err != nil && (errors.Is(err, errConnectionLost) || c.lost()) {
			lost = errConnectionLost
		}
		rows = append(rows, row)
	}
	return rows, lost
}

// updateOutcome compares the node with ExpectedVersion. wait is true while
// the node has not rebooted during this apply.
//
// A rollback is concluded only from a reboot during this apply: the boot id
// changed since the first contact of this run, or it differs from the last
// verification's and the node's uptime is shorter than the time since
// ApplyStarted (an update that rebooted the node before verification began,
// as hardnode_test_node does). The node must then run the old version, slot
// or snapshot (of the last verification or of this run's first contact). A
// boot id that merely differs from the last verification is no evidence
// that an update was tried, so it keeps the verifier waiting, unless the
// node itself recorded during its current boot that it fell back from an
// update (an apply that failed on the rollback, applied again with
// allow_rollback).
func (v *run) updateOutcome(f Facts) (outcome *UpdateOutcome, wait bool) {
	want := v.opts.ExpectedVersion
	if v.runStart == nil {
		v.runStart = &Baseline{BootID: f.BootID, Version: f.OSVersion, Slot: f.BootedSlot, Snapshot: f.BootedSnapshot}
	}
	start, prior := v.runStart, v.opts.Previous
	old := start
	if prior != nil {
		old = prior
	}
	o := &UpdateOutcome{Expected: want, Running: f.OSVersion, PreviousSlot: old.Slot}
	if old.Version != want {
		o.PreviousVersion = old.Version
	}
	bootChanged := func(b *Baseline) bool { return b != nil && b.BootID != "" && f.BootID != "" && f.BootID != b.BootID }
	bootedInApply := f.Uptime != nil && !v.opts.ApplyStarted.IsZero() && *f.Uptime < time.Since(v.opts.ApplyStarted)
	o.Rebooted = bootChanged(start) || (bootChanged(prior) && bootedInApply)
	if f.OSVersion == want {
		return o, false
	}
	if !o.Rebooted {
		if bootChanged(prior) && f.RollbackRecord != "" && runsOld(f, prior) {
			o.Rebooted, o.RolledBack = true, true
			return o, false
		}
		o.StaleReboot = bootChanged(prior)
		return o, true
	}
	o.RolledBack = runsOld(f, start) || (prior != nil && runsOld(f, prior))
	return o, false
}

// runsOld reports whether the node runs b's version, slot or an older snapshot.
func runsOld(f Facts, b *Baseline) bool {
	return (b.Version != "" && f.OSVersion == b.Version) ||
		(b.Slot != "" && f.BootedSlot == b.Slot) ||
		(b.Snapshot != nil && f.BootedSnapshot != nil && *f.BootedSnapshot <= *b.Snapshot)
}

// updateRow renders the update outcome as the report's first row.
func updateRow(o *UpdateOutcome, f Facts) expect.Result {
	r := expect.Result{ID: UpdateCheckID, Kind: expect.KindOS, Expected: "version " + o.Expected}
	r.Actual = "version " + o.Running
	if f.BootedSlot != "" {
		r.Actual += " slot " + f.BootedSlot
	}
	if f.BootedSnapshot != nil {
		r.Actual += fmt.Sprintf(" snapshot %d", *f.BootedSnapshot)
	}
	switch {
	case o.Running == o.Expected:
		r.Status = expect.StatusPass
		if o.PreviousVersion != "" {
			r.Detail = "updated from " + o.PreviousVersion
		}
	case o.RolledBack:
		r.Status = expect.StatusFail
		r.Detail = fmt.Sprintf("rolled back: the update to %s did not stick; the node rebooted and came back on %s",
			o.Expected, o.Running)
		if o.PreviousSlot != "" && o.PreviousSlot == f.BootedSlot {
			r.Detail += " (the previous slot " + o.PreviousSlot + ")"
		}
	case o.TimedOut && o.StaleReboot:
		r.Status = expect.StatusFail
		r.Detail = fmt.Sprintf("timed out waiting for %s: the node runs %s; it rebooted since the last "+
			"verification but not during this apply, which does not show that an update was tried "+
			"(a rollback is concluded only from a reboot during the apply); start the update",
			o.Expected, o.Running)
	case o.TimedOut:
		r.Status = expect.StatusFail
		r.Detail = fmt.Sprintf("timed out waiting for %s: the node still runs %s and did not reboot",
			o.Expected, o.Running)
	default:
		r.Status = expect.StatusFail
		r.Detail = fmt.Sprintf("the node rebooted into %s, which is neither the expected %s nor the previous %q",
			o.Running, o.Expected, o.PreviousVersion)
	}
	return r
}
