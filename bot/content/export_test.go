package content

// URLSpans returns the byte ranges of the URLs Length counts as urlLen, so tests can
// check that Split never cuts inside one.
func URLSpans(s string) [][2]int {
	var out [][2]int
	for _, e := range scanEntities(s) {
		if e.url {
			out = append(out, [2]int{e.start, e.end})
		}
	}
	return out
}
