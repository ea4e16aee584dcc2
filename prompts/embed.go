package prompts

import (
	"embed"
	"io/fs"
	"sync"
)

//go:embed sequences/*.yaml
var embedded embed.FS

// Embedded returns kindling's built-in sequences and messages as a file
// system, for `kindling` to copy to disk for editing.
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, "sequences")
	if err != nil {
		panic(err) // "sequences" is a valid path: cannot happen
	}
	return sub
}

var defaultSet = sync.OnceValues(func() (*Set, error) {
	return load(Embedded(), Options{}, nil)
})

// Default returns the built-in set embedded from prompts/sequences. It panics
// only if those files are invalid, which a test rules out.
func Default() *Set {
	set, err := defaultSet()
	if err != nil {
		panic("prompts: the built-in sequences are invalid: " + err.Error())
	}
	return set
}
