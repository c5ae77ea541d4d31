package rules

import (
	"strings"
	"unicode/utf8"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/netconfig"
)

// warningMax is the length of a Warning header the rules write, in bytes:
// kubectl and oc print each on a line of its own after "Warning: ".
const warningMax = 119

// fit shapes msg into Warning lines that name the field at path.
func (o *object) fit(path, msg string) []string {
	return fit(o.SpecPath.String(), path, msg)
}

// fit shapes msg into lines "path: part" of at most warningMax bytes: one
// with the full path when it fits, else the path from the VM spec (its end
// when too long) before each line of msg wrapped at spaces. Control
// characters and invalid UTF-8, which the API server drops a warning for,
// become U+FFFD.
func fit(specPrefix, path, msg string) []string {
	path, msg = netconfig.Printable(path), netconfig.Printable(msg)
	if len(path)+2+len(msg) <= warningMax {
		return []string{path + ": " + msg}
	}
	path = strings.TrimPrefix(path, specPrefix+".")
	const minWidth = 40 // of the message on each line
	if room := warningMax - minWidth - 2; len(path) > room {
		path = "..." + strings.ToValidUTF8(path[len(path)-room+3:], "") // cut on a rune boundary
	}
	var lines []string
	for _, part := range wrap(msg, warningMax-len(path)-2) {
		lines = append(lines, path+": "+part)
	}
	return lines
}

// wrap breaks s into lines of at most width bytes at spaces; a word longer
// than width is cut on a rune boundary.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for len(word) > width {
			if line != "" {
				lines, line = append(lines, line), ""
			}
			cut := width
			for !utf8.RuneStart(word[cut]) {
				cut--
			}
			lines, word = append(lines, word[:cut]), word[cut:]
		}
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
