// Writes the next activation times robfig/cron v3 (the library the Kubernetes
// CronJob controller uses) gives for each case of cases.json: the table that
// decides whether jobkit's schedule engine (src/local/cron) is right.
//
//	go run . cases.json expected.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/robfig/cron/v3"
)

type testCase struct {
	Spec  string `json:"spec"`
	Zone  string `json:"zone"`
	Start string `json:"start"`
	Count int    `json:"count"`
}

type result struct {
	testCase
	Error string   `json:"error,omitempty"`
	Next  []string `json:"next,omitempty"`
}

func run(c testCase) (r result) {
	r.testCase = c
	defer func() {
		if p := recover(); p != nil {
			r.Error = fmt.Sprintf("panic: %v", p)
		}
	}()
	loc, err := time.LoadLocation(c.Zone)
	if err != nil {
		panic(err)
	}
	start, err := time.Parse(time.RFC3339Nano, c.Start)
	if err != nil {
		panic(err)
	}
	sched, err := cron.ParseStandard(c.Spec)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	// A schedule without TZ= is evaluated in the location of the time passed in:
	// the controller's time.Local, here the case's zone.
	t := start.In(loc)
	r.Next = []string{}
	for i := 0; i < c.Count; i++ {
		t = sched.Next(t)
		if t.IsZero() {
			r.Next = append(r.Next, "none")
			break
		}
		r.Next = append(r.Next, t.UTC().Format(time.RFC3339Nano))
	}
	return r
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go run . cases.json expected.json")
		os.Exit(2)
	}
	in, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var cases []testCase
	if err := json.Unmarshal(in, &cases); err != nil {
		panic(err)
	}
	out := make([]result, 0, len(cases))
	for _, c := range cases {
		out = append(out, run(c))
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(os.Args[2], append(data, '\n'), 0o644); err != nil {
		panic(err)
	}
}
