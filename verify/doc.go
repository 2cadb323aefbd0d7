// Package verify proves over SSH that a running node is what its
// expectations document (package expect) says: it connects once per node with
// a pinned host key, reads files through one SFTP session, runs commands in
// sessions on the same connection, and returns one report row per check. It
// also gathers OS facts (version, booted A/B slot or btrfs snapshot, failed
// units, pending reboot) and, given an expected OS version, waits across the
// node's reboot and tells a finished update from a rollback. It never imports
// Terraform packages; the provider adapts it.
package verify
