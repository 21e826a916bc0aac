package mastodonsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// params are request parameters merged the way Rails merges them: query
// string first, then a form-encoded or JSON body. JSON arrays become
// "key[]" entries and nested objects "key[sub]", so handlers read one shape
// whatever the client sent (go-mastodon sends forms, other clients JSON).
type params url.Values

func readParams(r *http.Request) (params, error) {
	p := params(cloneValues(r.URL.Query()))
	if r.Body == nil || r.Method == http.MethodGet {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return p, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, errors.New("Error while parsing params")
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("Error while parsing params")
		}
		flatten(p, "", obj)
	case "", "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errors.New("Error while parsing params")
		}
		for k, vs := range form {
			p[k] = append(p[k], vs...)
		}
	default:
		// multipart and others: not used by the bot; ignored like unknown params.
	}
	return p, nil
}

func flatten(p params, prefix string, obj map[string]any) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := k
		if prefix != "" {
			name = prefix + "[" + k + "]"
		}
		switch v := obj[k].(type) {
		case map[string]any:
			flatten(p, name, v)
		case []any:
			for _, e := range v {
				p[name+"[]"] = append(p[name+"[]"], scalar(e))
			}
		case nil:
			p[name] = append(p[name], "")
		default:
			p[name] = append(p[name], scalar(v))
		}
	}
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// get returns the first value of key, "" if absent.
func (p params) get(key string) string {
	if vs := p[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func (p params) has(key string) bool {
	_, ok := p[key]
	return ok
}

// list returns an array parameter sent as key[] (or, leniently, key).
func (p params) list(key string) []string {
	if vs, ok := p[key+"[]"]; ok {
		return vs
	}
	return p[key]
}

// boolean casts like ActiveModel::Type::Boolean: "", "0", "f", "false",
// "off" (any case) are false, anything else present is true.
func (p params) boolean(key string) bool {
	if !p.has(key) {
		return false
	}
	switch strings.ToLower(p.get(key)) {
	case "", "0", "f", "false", "off":
		return false
	}
	return true
}
