package compose

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/distribution/reference"
	"go.yaml.in/yaml/v3"

	"github.com/tootops/tootops/ops"
)

// ImageEdit is one service's image changed in a compose file.
type ImageEdit struct {
	Service string
	Old     string
	New     string
	Line    int // 1-based line of the image: value in the file
}

// RewriteImages sets the image of services in a compose file, changing nothing else: it
// parses the file only to find where each service's `image:` value is, then replaces those
// bytes in the original text, keeping the quote style ('single', "double" or plain).
// Comments, blank lines, key order, indentation, flow sequences and CRLF line endings stay
// as they were, byte for byte (research §6: yaml and goccy round-trips reformat files).
// images maps a service to its new image reference; a service already on that image is
// left alone and gets no ImageEdit. The edits come in file order.
//
// Anchors: an image a service gets from elsewhere (`<<: *mastodon` or `image: *img`) is
// one value shared by every service that uses it. It is changed only when every service
// sharing it is being changed to the same image; otherwise RewriteImages refuses, rather
// than move the other services silently, and the admin gives the service an image: line
// of its own. Images that use ${VARIABLES}, span lines, or carry tags or anchors in odd
// places are refused too: edit those by hand (or the .env file).
//
// The result is parsed again and compared with the original: the node trees must be the
// same but for the changed values, and each service's configuration the same but for the
// images asked for. Any other difference is an error, and data is then not to be written.
func RewriteImages(data []byte, images map[string]string) ([]byte, []ImageEdit, error) {
	for _, svc := range slices.Sorted(maps.Keys(images)) {
		if err := checkImageRef(images[svc]); err != nil {
			return nil, nil, &ops.Error{Msg: fmt.Sprintf("cannot set the image of %s to %q: %v", svc, images[svc], err)}
		}
	}
	doc, services, err := parseCompose(data)
	if err != nil {
		return nil, nil, err
	}

	// Which value node gives each service its image, and which services share a node.
	type source struct {
		node      *yaml.Node
		inherited bool
	}
	sources := map[string]source{}
	users := map[*yaml.Node][]string{}
	unreadable := map[string]error{} // services left alone may be odd
	for i := 0; i+1 < len(services.Content); i += 2 {
		name := services.Content[i].Value
		node, inherited, err := imageNode(services.Content[i+1], 0)
		if err != nil {
			unreadable[name] = err
			continue
		}
		if node == nil {
			continue
		}
		sources[name] = source{node, inherited}
		users[node] = append(users[node], name)
	}

	type change struct {
		node  *yaml.Node
		value string
	}
	var changes []change
	var edits []ImageEdit
	planned := map[*yaml.Node]string{}
	for _, svc := range slices.Sorted(maps.Keys(images)) {
		img := images[svc]
		if !hasKey(services, svc) {
			return nil, nil, &ops.Error{Msg: fmt.Sprintf("the compose file has no service %q", svc), Hint: "services: " + strings.Join(keys(services), ", ")}
		}
		if err := unreadable[svc]; err != nil {
			return nil, nil, &ops.Error{Msg: fmt.Sprintf("cannot read the image of service %s: %v", svc, err), Hint: "edit the compose file by hand"}
		}
		src, ok := sources[svc]
		if !ok {
			return nil, nil, &ops.Error{Msg: fmt.Sprintf("service %s has no image: in the compose file", svc), Hint: "a service built from a Dockerfile cannot be upgraded by changing its image"}
		}
		if src.node.Value == img {
			continue
		}
		if strings.Contains(src.node.Value, "$") {
			return nil, nil, &ops.Error{
				Msg:  fmt.Sprintf("the image of %s (line %d) is set from a variable: %s", svc, src.node.Line, src.node.Value),
				Hint: "change the variable where it is defined (.env) instead",
			}
		}
		shared := users[src.node]
		var others []string
		for _, u := range shared {
			if u != svc && images[u] != img {
				others = append(others, u)
			}
		}
		if len(others) > 0 {
			how := "through a YAML anchor"
			if src.node.Anchor != "" {
				how = "through the YAML anchor &" + src.node.Anchor
			}
			return nil, nil, &ops.Error{
				Msg:  fmt.Sprintf("the image of %s (line %d) is shared %s with %s, which would change too", svc, src.node.Line, how, strings.Join(others, ", ")),
				Hint: fmt.Sprintf("change %s to the same image as well, or give %s an image: line of its own", strings.Join(others, ", "), svc),
			}
		}
		if _, done := planned[src.node]; !done {
			planned[src.node] = img
			changes = append(changes, change{src.node, img})
		}
		edits = append(edits, ImageEdit{Service: svc, Old: src.node.Value, New: img, Line: src.node.Line})
	}
	if len(changes) == 0 {
		return data, nil, nil
	}

	// Splice from the end, so that earlier offsets stay right.
	type splice struct {
		start, end int
		text       string
	}
	lines := lineStarts(data)
	var splices []splice
	for _, c := range changes {
		start, end, err := scalarSpan(data, lines, c.node)
		if err != nil {
			svc := slices.Sorted(slices.Values(users[c.node]))
			return nil, nil, &ops.Error{Msg: fmt.Sprintf("cannot edit the image of %s on line %d: %v", strings.Join(svc, ", "), c.node.Line, err), Hint: "edit the compose file by hand"}
		}
		splices = append(splices, splice{start, end, quoteLike(c.node, c.value)})
	}
	slices.SortFunc(splices, func(a, b splice) int { return cmp.Compare(b.start, a.start) })
	out := slices.Clone(data)
	for i, s := range splices {
		if i > 0 && s.end > splices[i-1].start {
			return nil, nil, errors.New("compose: overlapping image edits")
		}
		out = slices.Concat(out[:s.start], []byte(s.text), out[s.end:])
	}

	if err := checkRewrite(doc, data, out, planned, images); err != nil {
		return nil, nil, &ops.Error{Msg: "editing the compose file would change more than the images", Hint: "edit the compose file by hand", Err: err}
	}
	slices.SortStableFunc(edits, func(a, b ImageEdit) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), strings.Compare(a.Service, b.Service))
	})
	return out, edits, nil
}

// checkImageRef accepts image references a compose file may hold without quoting or
// interpolation: ghcr.io/mastodon/mastodon:v4.5.1, localhost:5000/x@sha256:….
func checkImageRef(ref string) error {
	if ref == "" {
		return errors.New("empty image")
	}
	for _, r := range ref {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/:@", r)) {
			return fmt.Errorf("%q is not allowed in an image reference", r)
		}
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return err
	}
	return nil
}

// parseCompose parses a compose file and returns its document node and its services
// mapping.
func parseCompose(data []byte) (*yaml.Node, *yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, &ops.Error{Msg: "the compose file is not valid YAML", Err: err}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, &ops.Error{Msg: "the compose file holds several YAML documents", Hint: "Compose reads one document per file"}
	}
	// Decoding into Go values also checks what the node tree does not: duplicate keys,
	// merges of non-mappings.
	var v any
	if err := doc.Decode(&v); err != nil {
		return nil, nil, &ops.Error{Msg: "the compose file is not valid YAML", Err: err}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, &ops.Error{Msg: "the compose file is not a YAML mapping"}
	}
	services := value(doc.Content[0], "services")
	if services == nil || services.Kind != yaml.MappingNode {
		return nil, nil, &ops.Error{Msg: "the compose file has no services: mapping"}
	}
	return &doc, services, nil
}

// value returns the value of key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key && !isMergeKey(k) {
			return m.Content[i+1]
		}
	}
	return nil
}

func hasKey(m *yaml.Node, key string) bool { return value(m, key) != nil }

func keys(m *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, m.Content[i].Value)
	}
	return out
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge"
}

// imageNode finds the scalar node that gives a service mapping its image, as yaml.v3
// resolves merges: the mapping's own image key first, then the last `<<` key's value (a
// mapping, an alias of one, or a sequence of them, the first that has an image winning),
// recursively. inherited says the value was found through an alias or merge.
func imageNode(m *yaml.Node, depth int) (node *yaml.Node, inherited bool, err error) {
	if depth > 32 {
		return nil, false, errors.New("merges nested too deep")
	}
	if m.Kind == yaml.AliasNode {
		n, _, err := imageNode(m.Alias, depth+1)
		return n, true, err
	}
	if m.Kind != yaml.MappingNode {
		if m.Kind == yaml.ScalarNode && m.Tag == "!!null" {
			return nil, false, nil
		}
		return nil, false, errors.New("the service is not a mapping")
	}
	var merge *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if isMergeKey(k) {
			merge = v
			continue
		}
		if k.Kind != yaml.ScalarNode || k.Value != "image" {
			continue
		}
		inherited := false
		if v.Kind == yaml.AliasNode {
			v, inherited = v.Alias, true
		}
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			return nil, false, fmt.Errorf("image: is not a string (line %d)", v.Line)
		}
		return v, inherited, nil
	}
	if merge == nil {
		return nil, false, nil
	}
	from := []*yaml.Node{merge}
	if merge.Kind == yaml.SequenceNode {
		from = merge.Content
	}
	for _, f := range from {
		n, _, err := imageNode(f, depth+1)
		if err != nil || n != nil {
			return n, true, err
		}
	}
	return nil, false, nil
}

// lineStarts returns the byte offset of each line, as the YAML scanner counts lines: CR
// LF, CR, LF, NEL, LS and PS each end one. A UTF-8 byte order mark is not a character.
func lineStarts(data []byte) []int {
	starts := []int{0}
	if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		starts[0] = 3
	}
	for i := starts[0]; i < len(data); {
		switch {
		case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
			i += 2
		case data[i] == '\r' || data[i] == '\n':
			i++
		case bytes.HasPrefix(data[i:], []byte("\xC2\x85")):
			i += 2
		case bytes.HasPrefix(data[i:], []byte("\xE2\x80\xA8")), bytes.HasPrefix(data[i:], []byte("\xE2\x80\xA9")):
			i += 3
		default:
			i++
			continue
		}
		starts = append(starts, i)
	}
	return starts
}

// isBreak reports a line break at data[i:].
func isBreak(data []byte, i int) bool {
	return data[i] == '\r' || data[i] == '\n' || bytes.HasPrefix(data[i:], []byte("\xC2\x85")) ||
		bytes.HasPrefix(data[i:], []byte("\xE2\x80\xA8")) || bytes.HasPrefix(data[i:], []byte("\xE2\x80\xA9"))
}

// scalarSpan returns the bytes [start, end) of a one-line scalar's token in data, found
// at the line and column (in characters) the parser reports, past any anchor or tag. It
// checks that the token there reads as the node's value.
func scalarSpan(data []byte, lines []int, n *yaml.Node) (int, int, error) {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.ContainsAny(n.Value, "\r\n") {
		return 0, 0, errors.New("the image spans several lines")
	}
	if n.Line < 1 || n.Line > len(lines) || n.Column < 1 {
		return 0, 0, fmt.Errorf("position %d:%d is outside the file", n.Line, n.Column)
	}
	off := lines[n.Line-1]
	for range n.Column - 1 {
		if off >= len(data) || isBreak(data, off) {
			return 0, 0, fmt.Errorf("column %d is past the end of line %d", n.Column, n.Line)
		}
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	// An anchor (&img) or a tag (!!str) comes before the value.
	for off < len(data) && (data[off] == '&' || data[off] == '!') {
		for off < len(data) && data[off] != ' ' && data[off] != '\t' && !isBreak(data, off) {
			off++
		}
		for off < len(data) && (data[off] == ' ' || data[off] == '\t') {
			off++
		}
	}
	if off >= len(data) {
		return 0, 0, errors.New("the value is not where the parser says")
	}
	start, end := off, -1
	switch q := quoteChar(n); {
	case q != 0 && data[start] != q:
		return 0, 0, errors.New("the quoted value is not where the parser says")
	case q == '"':
		for i := start + 1; i < len(data) && !isBreak(data, i); i++ {
			if data[i] == '\\' {
				if i+1 < len(data) && isBreak(data, i+1) {
					break // an escaped line break: the value goes on
				}
				i++
				continue
			}
			if data[i] == '"' {
				end = i + 1
				break
			}
		}
	case q == '\'':
		for i := start + 1; i < len(data) && !isBreak(data, i); i++ {
			if data[i] == '\'' {
				if i+1 < len(data) && data[i+1] == '\'' {
					i++
					continue
				}
				end = i + 1
				break
			}
		}
	case bytes.HasPrefix(data[start:], []byte(n.Value)):
		end = start + len(n.Value)
	}
	if end < 0 {
		return 0, 0, errors.New("the value is not on one line where the parser says")
	}
	// The token alone must read as the same string.
	var got string
	if err := yaml.Unmarshal(data[start:end], &got); err != nil || got != n.Value {
		return 0, 0, errors.New("the text there does not read as the value")
	}
	return start, end, nil
}

// quoteChar is the byte a quoted scalar's token starts with; 0 for plain scalars.
func quoteChar(n *yaml.Node) byte {
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		return '"'
	case n.Style&yaml.SingleQuotedStyle != 0:
		return '\''
	}
	return 0
}

// quoteLike writes v in the quote style of n. Image references (checkImageRef) need no
// escapes in any style.
func quoteLike(n *yaml.Node, v string) string {
	switch q := quoteChar(n); q {
	case '"', '\'':
		return string(q) + v + string(q)
	}
	return v
}

// checkRewrite parses the rewritten file and compares it with the original: the same
// node tree (kinds, styles, tags, anchors, aliases, comments, keys) with only the changed
// values different, and the same services but for the images asked for.
func checkRewrite(orig *yaml.Node, before, after []byte, changed map[*yaml.Node]string, images map[string]string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(after, &doc); err != nil {
		return fmt.Errorf("the result does not parse: %w", err)
	}
	if err := sameTree(orig, &doc, changed, "$"); err != nil {
		return err
	}
	var was, now struct {
		Services map[string]map[string]any `yaml:"services"`
	}
	if err := yaml.Unmarshal(before, &was); err != nil {
		return fmt.Errorf("the original services do not decode: %w", err)
	}
	if err := yaml.Unmarshal(after, &now); err != nil {
		return fmt.Errorf("the result's services do not decode: %w", err)
	}
	for svc, img := range images {
		if was.Services[svc] != nil {
			was.Services[svc]["image"] = img
		}
	}
	if !reflect.DeepEqual(was.Services, now.Services) {
		for _, svc := range slices.Sorted(maps.Keys(was.Services)) {
			if !reflect.DeepEqual(was.Services[svc], now.Services[svc]) {
				return fmt.Errorf("service %s would change beyond its image", svc)
			}
		}
		return errors.New("the services would change")
	}
	return nil
}

// sameTree compares two parses node by node.
func sameTree(a, b *yaml.Node, changed map[*yaml.Node]string, path string) error {
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Anchor != b.Anchor || a.Line != b.Line ||
		a.HeadComment != b.HeadComment || a.LineComment != b.LineComment || a.FootComment != b.FootComment ||
		len(a.Content) != len(b.Content) {
		return fmt.Errorf("%s (line %d) would change", path, a.Line)
	}
	want := a.Value
	if v, ok := changed[a]; ok {
		want = v
	}
	if b.Value != want {
		return fmt.Errorf("%s (line %d) would read %q, not %q", path, a.Line, b.Value, want)
	}
	for i := range a.Content {
		p := path
		if a.Kind == yaml.MappingNode && i%2 == 1 {
			p += "." + a.Content[i-1].Value
		} else if a.Kind == yaml.SequenceNode {
			p += fmt.Sprintf("[%d]", i)
		}
		if err := sameTree(a.Content[i], b.Content[i], changed, p); err != nil {
			return err
		}
	}
	return nil
}

// ComposeFiles returns the compose files a project was brought up from and its working
// directory, as its containers' labels say (com.docker.compose.project.config_files,
// comma-joined; relative names, as Compose v1 could write them, are taken from the working
// directory). When the containers disagree, the most recently created one tells: it was
// made by the last `up`. These are paths on the Docker host.
func ComposeFiles(snap *Snapshot) (files []string, workingDir string, err error) {
	var newest *Container
	for i := range snap.Services {
		for j := range snap.Services[i].Containers {
			c := &snap.Services[i].Containers[j]
			if c.Labels[LabelConfigFiles] == "" {
				continue
			}
			if newest == nil || c.Created.After(newest.Created) {
				newest = c
			}
		}
	}
	if newest == nil {
		return nil, snap.WorkingDir, &ops.Error{
			Msg:  fmt.Sprintf("the containers of project %s do not say which compose file made them", snap.Project),
			Hint: "bring the project up once with docker compose up -d, which labels its containers",
		}
	}
	return composeFilesOf(newest.Labels)
}

// composeFilesOf reads the compose files and working directory from one container's labels.
func composeFilesOf(labels map[string]string) ([]string, string, error) {
	dir := labels[LabelWorkingDir]
	var files []string
	for f := range strings.SplitSeq(labels[LabelConfigFiles], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !filepath.IsAbs(f) && dir != "" {
			f = filepath.Join(dir, f)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, dir, &ops.Error{Msg: "the containers do not say which compose file made them"}
	}
	return files, dir, nil
}
