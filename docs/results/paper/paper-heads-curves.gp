# Drawn by headroom report from paper-heads-curves.dat; edit and run `gnuplot paper-heads-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-heads-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#2ca02c' title 'attention=standard, head_size=4, heads=16', \
     'paper-heads-curves.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#9467bd' title 'attention=fixed, head_size=32, heads=16'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-heads-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-heads-curves.png'
replot
unset output
