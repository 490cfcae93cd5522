// Package wine lets the Windows build's tests run under Wine (see
// .ci/wine/run): test binaries built with the build tag "wine" import it
// for what Wine 8 lacks. Programs never import it.
package wine
