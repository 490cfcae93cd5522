//go:build !unix && !windows

package tokencache

import "os"

func fileID(os.FileInfo) string { return "-" }

func renameOver(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func readWhole(path string) ([]byte, error) { return os.ReadFile(path) }
