# Drawn by headroom report from paper-heads-long-curves.dat; edit and run `gnuplot paper-heads-long-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-heads-long-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#2ca02c' title 'attention=standard, head_size=4, heads=16', \
     'paper-heads-long-curves.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#9467bd' title 'attention=fixed, head_size=32, heads=16'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-heads-long-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-heads-long-curves.png'
replot
unset output
