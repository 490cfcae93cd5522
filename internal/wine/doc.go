// Package wine lets the Windows build's tests run under Wine (see
// .ci/wine/run, which adds an import of it to every package's tests when it
// builds them with the tag "wine"): it makes up for what Wine 8 lacks, and
// lets tests meant only for Wine switch that back off. Programs never import
// it.
package wine
