# Drawn by headroom report from paper-tuned-lr-wide-width.dat; edit and run `gnuplot paper-tuned-lr-wide-width.gp` to restyle.
set xlabel 'd_model'
set ylabel 'final test/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('74' 74, '128' 128)
set mxtics 1
plot 'paper-tuned-lr-wide-width.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#2ca02c' title 'attention=fixed', \
     'paper-tuned-lr-wide-width.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#9467bd' title 'attention=standard'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-tuned-lr-wide-width.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-tuned-lr-wide-width.png'
replot
unset output
