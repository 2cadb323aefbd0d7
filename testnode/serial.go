package testnode

import (
	"io"
	"os"
	"strings"
)

// serialTailBytes bounds how much of the end of a serial log SerialTail reads.
const serialTailBytes = 64 << 10

// SerialTail returns the last n lines of the serial log at path, with
// carriage returns and terminal escape sequences removed. A missing or
// empty log yields a note saying so.
func SerialTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no serial log: " + err.Error() + ")"
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > serialTailBytes {
		_, _ = f.Seek(-serialTailBytes, io.SeekEnd)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return "(serial log unreadable: " + err.Error() + ")"
	}

	text := strings.TrimRight(cleanConsole(string(data)), "\n ")
	if text == "" {
		return "(serial log is empty)"
	}
	lines := strings.Split(text, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cleanConsole drops carriage returns, ANSI escape sequences and other
// control characters except newlines and tabs.
func cleanConsole(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b:
			// ESC [ params final-byte; skip a lone ESC with its next byte.
			if i+1 < len(s) && s[i+1] == '[' {
				i += 2
				for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
					i++
				}
			} else {
				i++
			}
		case c == '\n' || c == '\t':
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
