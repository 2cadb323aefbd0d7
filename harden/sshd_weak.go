package harden

import (
	"fmt"
	"strconv"
	"strings"
)

// sshd keywords whose value in a snippet is compared with the hardened
// drop-in. Aliases are sshd's own deprecated names.
var sshdAliases = map[string]string{
	"challengeresponseauthentication": "kbdinteractiveauthentication",
	"pubkeyacceptedkeytypes":          "pubkeyacceptedalgorithms",
}

// sshdAtMost are numeric keywords where a smaller value is stricter.
var sshdAtMost = map[string]bool{
	"maxauthtries": true, "logingracetime": true, "clientaliveinterval": true, "clientalivecountmax": true,
}

// sshdAlgorithmLists are keywords whose values must stay within the
// hardened list.
var sshdAlgorithmLists = map[string]bool{
	"kexalgorithms": true, "ciphers": true, "macs": true, "hostkeyalgorithms": true,
	"pubkeyacceptedalgorithms": true,
}

// hardenedSSHD returns the hardened drop-in as lower-case keyword -> value.
func hardenedSSHD(admin string) map[string]string {
	n := &Node{Admin: AdminUser{Name: admin}}
	out := map[string]string{}
	for _, line := range strings.Split(n.sshdDropIn(), "\n") {
		kw, val, ok := sshdLine(line)
		if ok {
			out[kw] = val
		}
	}
	return out
}

// sshdLine splits one sshd_config line into its lower-case keyword and
// value, in both forms sshd reads: "Keyword value" and "Keyword=value".
func sshdLine(line string) (string, string, bool) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return "", "", false
	}
	i := strings.IndexAny(line, " \t=")
	if i < 0 {
		return strings.ToLower(line), "", true
	}
	kw := strings.ToLower(line[:i])
	val := strings.TrimSpace(line[i:])
	val = strings.TrimSpace(strings.TrimPrefix(val, "="))
	val = strings.Trim(val, `"`)
	if a, ok := sshdAliases[kw]; ok {
		kw = a
	}
	return kw, val, true
}

// sshdWeakenings lists each line of an sshd config that loosens a hardened
// value, inside or outside Match blocks (a Match block overrides the
// hardened drop-in for the logins it matches, whatever file it is in).
func (c snippetChecker) sshdWeakenings(text string) []string {
	admin := c.adminOr("core")
	hardened := hardenedSSHD(admin)
	var out []string
	match := ""
	for _, line := range strings.Split(text, "\n") {
		kw, val, ok := sshdLine(line)
		if !ok {
			continue
		}
		if kw == "match" {
			match = "Match " + val
			continue
		}
		want, managed := hardened[kw]
		if !managed || !sshdWeaker(kw, val, want, admin) {
			continue
		}
		where := "sets"
		if match != "" {
			where = "in block \"" + match + "\" sets"
		}
		out = append(out, fmt.Sprintf("%s %s %s (hardened: %s)", where, kw, val, want))
	}
	return out
}

// sshdWeaker reports whether val for kw is looser than the hardened want.
func sshdWeaker(kw, val, want, admin string) bool {
	switch {
	case sshdAtMost[kw]:
		got, err1 := strconv.Atoi(val)
		limit, err2 := strconv.Atoi(want)
		return err1 != nil || err2 != nil || got > limit || got == 0
	case sshdAlgorithmLists[kw]:
		if strings.HasPrefix(val, "+") || strings.HasPrefix(val, "^") {
			return true
		}
		if strings.HasPrefix(val, "-") {
			return false
		}
		allowed := map[string]bool{}
		for _, a := range strings.Split(want, ",") {
			allowed[a] = true
		}
		for _, a := range strings.Split(val, ",") {
			if !allowed[strings.TrimSpace(a)] {
				return true
			}
		}
		return false
	case kw == "allowusers":
		for _, u := range strings.Fields(val) {
			if u != admin {
				return true
			}
		}
		return false
	case kw == "authorizedkeysfile", kw == "hostkey":
		return false // a different file is a choice, not a weakening
	}
	return !strings.EqualFold(val, want)
}
