# Draws `make bench`'s chart from the data files scripts/bench-report.py writes.
#   gnuplot -e "dir='DATA_DIR'; out='OUT.png'" scripts/bench-plot.gp
# Three panels: policy load time against rule count, the loops under each confinement, and
# the loops of unconfined tasks with and without rustlsm. Bars and points are medians; the
# error bars span the minimum and maximum.

load dir.'/titles.gp'
set terminal pngcairo size 1100,1500 font ",10" noenhanced
set output out
set datafile missing "?"
set multiplot layout 3,1
set key below horizontal maxcols 3 width 2
set grid ytics

# Columns per case: median, min, max.
med(i) = column(2 + 3 * (i - 1))
lo(i) = column(3 + 3 * (i - 1))
hi(i) = column(4 + 3 * (i - 1))

set title "Policy load time against rules in the profile (log-log)"
set logscale xy
set ylabel "ms"
set format y "%g"
set xrange [7:14000]
set xtics ("10" 10, "100" 100, "1000" 1000, "10000" 10000)
plot for [i=1:load_n] dir.'/load.dat' using 1:(med(i)):(lo(i)):(hi(i)) \
  with yerrorlines lw 2 pt 7 title load_title[i]

unset logscale
set xrange [*:*]
set xtics auto
set ylabel "µs per iteration"
set yrange [0:*]
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9

set title "Confined tasks: open+stat+close at path depths 2, 8, 32, and a refused connect"
plot for [i=1:confined_n] dir.'/confined.dat' using (med(i)):(lo(i)):(hi(i)):xtic(1) \
  title confined_title[i]

set title "Unconfined tasks: the same kernel booted with and without rustlsm"
plot for [i=1:unconfined_n] dir.'/unconfined.dat' using (med(i)):(lo(i)):(hi(i)):xtic(1) \
  title unconfined_title[i]

unset multiplot
