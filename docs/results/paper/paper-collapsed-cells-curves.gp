# Drawn by headroom report from paper-collapsed-cells-curves.dat; edit and run `gnuplot paper-collapsed-cells-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-collapsed-cells-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#bcbd22' title 'attention=fixed, head_size=32, lr=0.002, steps=3000, warmup_steps=100'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-collapsed-cells-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-collapsed-cells-curves.png'
replot
unset output
