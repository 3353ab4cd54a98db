package jigapi_test

import "strings"

// docMethods reads the "## Methods" section: a "### <Name>" per method, a
// line "Served on `_all`: yes|no", and tables whose header's first cell is
// "argument" or "result", one row per field: | `path` | type | meaning |.
func docMethods(lines []string) map[string]*docMethod {
	methods := map[string]*docMethod{}
	var cur *docMethod
	var table map[string]string
	in := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "## "):
			in, cur = l == "## Methods", nil
		case !in:
		case strings.HasPrefix(l, "### "):
			cur = &docMethod{args: map[string]string{}, result: map[string]string{}}
			methods[strings.TrimSpace(l[4:])] = cur
		case cur == nil:
		case strings.HasPrefix(l, "Served on `_all`: "):
			cur.broadcast = strings.TrimRight(strings.TrimPrefix(l, "Served on `_all`: "), ".")
		case strings.HasPrefix(l, "| argument "):
			table = cur.args
		case strings.HasPrefix(l, "| result "):
			table = cur.result
		case strings.HasPrefix(l, "| `") && table != nil:
			cells := strings.Split(l, "|")
			if len(cells) > 3 {
				table[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
			}
		}
	}
	return methods
}

// docCodes lists the codes of the table whose header is "| code |".
func docCodes(lines []string) []string {
	var codes []string
	in := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "| code "):
			in = true
		case in && strings.HasPrefix(l, "| `"):
			codes = append(codes, strings.Trim(strings.TrimSpace(strings.Split(l, "|")[1]), "`"))
		case in && !strings.HasPrefix(l, "|"):
			return codes
		}
	}
	return codes
}
