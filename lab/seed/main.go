// Command seed prints the SQL of lab.SeedSQL: a Mastodon-shaped schema filled on the
// server, for tests and benchmarks of PostgreSQL backups.
//
//	go run ./lab/seed -rows 100000 | psql -v ON_ERROR_STOP=1 -d bench
//	go run ./lab/seed -mb 1500 | psql -v ON_ERROR_STOP=1 -d bench   # about 1.5 GB of table data
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tootops/tootops/lab"
)

func main() {
	rows := flag.Int("rows", 1000, "statuses to make (accounts are rows/20, media attachments rows/4)")
	mb := flag.Int("mb", 0, "make about this many MB of table data (heap and TOAST, not indexes) instead of -rows")
	flag.Parse()
	if flag.NArg() > 0 || *rows < 1 || *mb < 0 {
		flag.Usage()
		os.Exit(2)
	}
	n := *rows
	if *mb > 0 {
		n = lab.SeedRowsForMB(*mb)
	}
	fmt.Print(lab.SeedSQL(n))
}
