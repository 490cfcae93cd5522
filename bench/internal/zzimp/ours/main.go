package main

import (
	"os"

	"github.com/azinteractive/azinteractive"
	"github.com/azinteractive/azinteractive/cache"
)

var _ = azinteractive.NewDeviceCodeCredential
var _ = cache.New

func main() { os.Exit(0) }
