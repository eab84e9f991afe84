# Drawn by headroom report from paper-tuned-lr-wide-curves.dat; edit and run `gnuplot paper-tuned-lr-wide-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'test/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-tuned-lr-wide-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#ff7f0e' title 'attention=fixed, d_model=74, head_size=32, heads=16'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-tuned-lr-wide-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-tuned-lr-wide-curves.png'
replot
unset output
