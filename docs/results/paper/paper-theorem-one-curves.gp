# Drawn by headroom report from paper-theorem-one-curves.dat; edit and run `gnuplot paper-theorem-one-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'eval/loss'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-theorem-one-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#7f7f7f' title 'head_size=48'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-theorem-one-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-theorem-one-curves.png'
replot
unset output
