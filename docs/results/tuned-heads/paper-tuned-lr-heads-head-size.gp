# Drawn by headroom report from paper-tuned-lr-heads-head-size.dat; edit and run `gnuplot paper-tuned-lr-heads-head-size.gp` to restyle.
set xlabel 'head size'
set ylabel 'final test/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('4' 4, '32' 32)
set mxtics 1
plot 'paper-tuned-lr-heads-head-size.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#1f77b4' title 'attention=fixed, ffn_mult=4', \
     'paper-tuned-lr-heads-head-size.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#d62728' title 'attention=standard, ffn_mult=18'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-tuned-lr-heads-head-size.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-tuned-lr-heads-head-size.png'
replot
unset output
