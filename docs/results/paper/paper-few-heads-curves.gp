# Drawn by headroom report from paper-few-heads-curves.dat; edit and run `gnuplot paper-few-heads-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-few-heads-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#d62728' title 'attention=fixed, d_model=64, heads=16', \
     'paper-few-heads-curves.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#2ca02c' title 'attention=fixed, d_model=128, heads=16'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-few-heads-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-few-heads-curves.png'
replot
unset output
