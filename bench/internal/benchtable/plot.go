package main

import (
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// cacheColors tell the caches apart in the plots; the libraries are told
// apart by line style (azinteractive solid, azidentity dashed) and glyph.
var cacheColors = map[string]color.Color{
	"memory":        color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	"file":          color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	"secretservice": color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
}

// writePlots draws one log-log plot per scale op into dir and writes the
// Markdown that shows them.
func writePlots(w io.Writer, st *stats, dir, outPath string) error {
	if len(scaleSizes(st)) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(w, "### Curves\n\n")
	for _, o := range scaleOps {
		path := filepath.Join(dir, o.file)
		if err := plotOp(st, o, path); err != nil {
			return fmt.Errorf("plotting %s: %w", o.op, err)
		}
		rel, err := relPath(outPath, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "![%s](%s)\n\n", o.title, filepath.ToSlash(rel))
	}
	return nil
}

func plotOp(st *stats, o scaleOp, path string) error {
	p := plot.New()
	p.Title.Text = o.title
	p.X.Label.Text = "cached tokens"
	p.Y.Label.Text = o.yLabel
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	for _, c := range scaleCaches {
		for _, lib := range []string{ours, theirs} {
			var xys plotter.XYs
			for _, n := range scaleSizes(st) {
				if v, ok := scaleValue(st, o, c, n, lib); ok && v > 0 {
					xys = append(xys, plotter.XY{X: float64(n), Y: v})
				}
			}
			if len(xys) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return err
			}
			line.Color, points.Color = cacheColors[c], cacheColors[c]
			line.Width = vg.Points(1.5)
			points.Shape = draw.CircleGlyph{}
			if lib == theirs {
				line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
				points.Shape = draw.TriangleGlyph{}
			}
			p.Add(line, points)
			p.Legend.Add(lib+" "+c, line, points)
		}
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}

// relPath returns path relative to the directory of the Markdown file out.
func relPath(out, path string) (string, error) {
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	pathAbs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.Rel(filepath.Dir(outAbs), pathAbs)
}
