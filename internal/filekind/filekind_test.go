package filekind_test

import (
	"fmt"
	"io/fs"

	"github.com/jigmq/jigmq/internal/filekind"
)

func ExampleOf() {
	fmt.Println(filekind.Of(0o644))
	fmt.Println(filekind.Of(fs.ModeDir | 0o755))
	fmt.Println(filekind.Of(fs.ModeNamedPipe | 0o600))
	fmt.Println(filekind.Of(fs.ModeDevice | fs.ModeCharDevice | 0o666))
	// Output:
	// a regular file
	// a folder
	// a named pipe
	// a device
}
