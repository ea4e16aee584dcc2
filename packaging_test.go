package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPackaging: the Dockerfile names its images fully (Podman and Buildah
// refuse short names), says how to keep its HEALTHCHECK with Buildah, and
// every document the packaging files point to exists.
func TestPackaging(t *testing.T) {
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	froms := 0
	for _, line := range strings.Split(string(df), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || !strings.EqualFold(fields[0], "FROM") {
			continue
		}
		froms++
		image := fields[1]
		registry, _, found := strings.Cut(image, "/")
		if !found || !strings.ContainsAny(registry, ".:") {
			t.Errorf("Dockerfile: FROM %s is not a fully qualified image name (registry/repository:tag)", image)
		}
	}
	if froms < 2 {
		t.Errorf("Dockerfile has %d FROM lines, want the build and the runtime stage", froms)
	}
	if !strings.Contains(string(df), "--format docker") {
		t.Error("Dockerfile does not say that Buildah keeps HEALTHCHECK only with --format docker")
	}

	docRef := regexp.MustCompile(`docs/[a-z-]+\.md`)
	for _, f := range []string{"Dockerfile", "deploy/kindling.service", "README.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		refs := docRef.FindAllString(string(b), -1)
		if f != "README.md" && len(refs) == 0 {
			t.Errorf("%s points to no document", f)
		}
		for _, ref := range refs {
			if _, err := os.Stat(ref); err != nil {
				t.Errorf("%s points to %s: %v", f, ref, err)
			}
		}
	}
}
