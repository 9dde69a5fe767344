package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestHelpNamesEveryCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		if !strings.Contains(out.String(), c.name+" ") || !strings.Contains(out.String(), c.help) {
			t.Errorf("help lacks %s: %s", c.name, out.String())
		}
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "matthan ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
}

func TestBadInvocationsSayWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"recordd"}, `unknown command "recordd"`},
		{[]string{"serve", "--http", "8080"}, "config http (MATTHAN_HTTP)"},
		{[]string{"serve", "--ingest.stall-timeout", "soon"}, "ingest.stall-timeout"},
		{[]string{"demo", "--cameras", "0", "--data", "/nonexistent/x"}, "--cameras must be from 1"},
		{[]string{"sim", "--cameras", "0"}, "--cameras must be from 1"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), tc.args, &out, &out)
		if err == nil || !strings.Contains(err.Error()+out.String(), tc.want) {
			t.Errorf("matthan %v: %v (%s), want an error mentioning %q", tc.args, err, out.String(), tc.want)
		}
	}
}
