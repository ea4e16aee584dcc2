package report

// Segments splits the series' points, sorted by day, into the runs a line
// may join (see Series.Asked): the lines ProgressChart draws, for anyone
// drawing the same chart another way (the web workspace, as SVG).
func (s Series) Segments() [][]Point { return segments(s) }
