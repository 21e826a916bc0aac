// Command flood sends many DMs through mastodon-sim's control API, for bench/rss.sh.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

func main() {
	sim := flag.String("sim", "http://127.0.0.1:3000", "mastodon-sim URL")
	from := flag.String("from", "mallory", "sender username")
	text := flag.String("text", "ping", "the DM's text")
	n := flag.Int("n", 10000, "how many DMs")
	workers := flag.Int("c", 8, "concurrent senders")
	flag.Parse()
	u := *sim + "/_sim/dm?from=" + url.QueryEscape(*from)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*n) {
				resp, err := http.Post(u, "text/plain", strings.NewReader(*text))
				if err != nil || resp.StatusCode >= 300 {
					failed.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		fmt.Fprintf(os.Stderr, "flood: %d of %d DMs failed\n", f, *n)
		os.Exit(1)
	}
}
