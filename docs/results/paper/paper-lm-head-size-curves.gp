# Drawn by headroom report from paper-lm-head-size-curves.dat; edit and run `gnuplot paper-lm-head-size-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'eval/perplexity'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-lm-head-size-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#ff7f0e' title 'head_size=64'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-lm-head-size-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-lm-head-size-curves.png'
replot
unset output
