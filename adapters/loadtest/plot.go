package loadtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// CheckPlotPath returns an error unless path ends in .svg or .png, the formats SavePlot
// writes.
func CheckPlotPath(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg", ".png":
		return nil
	}
	return fmt.Errorf("plot file %q must end in .svg or .png", path)
}

// SavePlot draws the p50, p95 and p99 latency of each step of r against its offered load
// in purchases per second, and writes the plot to path as SVG or PNG by its extension.
func SavePlot(path string, r Report) error {
	if err := CheckPlotPath(path); err != nil {
		return err
	}
	if len(r.Steps) == 0 {
		return errors.New("plot latency: the report has no step")
	}

	p := plot.New()
	p.Title.Text = fmt.Sprintf("txsync latency, %s endpoint", r.Endpoint)
	p.X.Label.Text = "offered load (purchases/s)"
	p.Y.Label.Text = "request latency (ms)"
	p.Y.Min = 0
	p.Add(plotter.NewGrid())

	p50, p95, p99 := make(plotter.XYs, 0), make(plotter.XYs, 0), make(plotter.XYs, 0)
	for _, s := range r.Steps {
		x := float64(s.OfferedPurchases)
		p50 = append(p50, plotter.XY{X: x, Y: s.Latency.P50})
		p95 = append(p95, plotter.XY{X: x, Y: s.Latency.P95})
		p99 = append(p99, plotter.XY{X: x, Y: s.Latency.P99})
	}
	if err := plotutil.AddLinePoints(p, "p50", p50, "p95", p95, "p99", p99); err != nil {
		return fmt.Errorf("plot latency: %w", err)
	}
	p.Legend.Top = true
	p.Legend.Left = true

	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	drawing, err := p.WriterTo(16*vg.Centimeter, 10*vg.Centimeter, format)
	if err != nil {
		return fmt.Errorf("plot latency: %w", err)
	}
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot latency: %w", err)
	}
	if _, err := drawing.WriteTo(file); err != nil {
		file.Close() // the write error is the one to report
		return fmt.Errorf("plot latency: write %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("plot latency: write %s: %w", path, err)
	}
	return nil
}
