package main

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"kindling/store"
)

// cmdSalvage copies what can still be read of a damaged database file into
// a new, verified one, and says what it could not read.
func cmdSalvage(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "salvage")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitError(2)
	}
	src, dst := fs.Arg(0), fs.Arg(1)
	rep, err := store.Salvage(src, dst)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\n(stop the kindling that runs on %s first)", err, src)
	}
	if err != nil {
		for _, l := range rep.Summary() {
			fmt.Fprintln(e.stderr, l)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "salvaged %s into %s: %d records copied, the copy opens and checks\n", src, dst, rep.Records())
	buckets := make([]string, 0, len(rep.Copied))
	for b := range rep.Copied {
		buckets = append(buckets, b)
	}
	sort.Strings(buckets)
	for _, b := range buckets {
		fmt.Fprintf(e.stdout, "  %-12s %d\n", b, rep.Copied[b])
	}
	if lost := rep.Summary(); len(lost) > 0 {
		fmt.Fprintln(e.stdout, "\nNot copied:")
		for _, l := range lost {
			fmt.Fprintln(e.stdout, l)
		}
	} else {
		fmt.Fprintln(e.stdout, "\nEvery page could be read: nothing was lost.")
	}
	if len(rep.Repairs) > 0 {
		fmt.Fprintln(e.stdout, "\nRepaired in the copy:")
		for _, r := range rep.Repairs {
			fmt.Fprintln(e.stdout, "  "+r)
		}
	}
	fmt.Fprintf(e.stdout, "\nKeep %s as it is. To run on the copy, stop kindling and put %s at store.path.\n", src, dst)
	return nil
}
