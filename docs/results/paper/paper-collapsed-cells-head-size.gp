# Drawn by headroom report from paper-collapsed-cells-head-size.dat; edit and run `gnuplot paper-collapsed-cells-head-size.gp` to restyle.
set xlabel 'head size'
set ylabel 'final eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('4' 4, '32' 32)
set mxtics 1
plot 'paper-collapsed-cells-head-size.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#e377c2' title 'attention=fixed, lr=0.002, steps=3000, warmup_steps=100', \
     'paper-collapsed-cells-head-size.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#bcbd22' title 'attention=standard, lr=0.0005, steps=3000, warmup_steps=100', \
     'paper-collapsed-cells-head-size.dat' index 2 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#7f7f7f' title 'attention=standard, lr=0.0005, steps=3000, warmup_steps=1000', \
     'paper-collapsed-cells-head-size.dat' index 3 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#1f77b4' title 'attention=standard, lr=0.001, steps=3000, warmup_steps=100', \
     'paper-collapsed-cells-head-size.dat' index 4 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#d62728' title 'attention=standard, lr=0.001, steps=3000, warmup_steps=1000', \
     'paper-collapsed-cells-head-size.dat' index 5 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#2ca02c' title 'attention=standard, lr=0.001, steps=9000, warmup_steps=1000', \
     'paper-collapsed-cells-head-size.dat' index 6 using 1:2 with linespoints linewidth 1.5 pointtype 7 linecolor rgb '#9467bd' title 'attention=standard, lr=0.002, steps=3000, warmup_steps=100', \
     'paper-collapsed-cells-head-size.dat' index 7 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#ff7f0e' title 'attention=standard, lr=0.002, steps=3000, warmup_steps=1000', \
     'paper-collapsed-cells-head-size.dat' index 8 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#17becf' title 'attention=standard, lr=0.002, steps=9000, warmup_steps=1000', \
     'paper-collapsed-cells-head-size.dat' index 9 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#8c564b' title 'attention=standard, lr=0.004, steps=3000, warmup_steps=100', \
     'paper-collapsed-cells-head-size.dat' index 10 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#e377c2' title 'attention=standard, lr=0.004, steps=3000, warmup_steps=1000'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-collapsed-cells-head-size.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-collapsed-cells-head-size.png'
replot
unset output
