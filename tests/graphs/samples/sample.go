package sample

import "strings"

// Words splits s into lower-case words.
func Words(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		w = strings.ToLower(w)
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}
