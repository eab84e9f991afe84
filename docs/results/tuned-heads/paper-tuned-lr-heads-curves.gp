# Drawn by headroom report from paper-tuned-lr-heads-curves.dat; edit and run `gnuplot paper-tuned-lr-heads-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'test/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-tuned-lr-heads-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#2ca02c' title 'attention=fixed, ffn_mult=4, head_size=32'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-tuned-lr-heads-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-tuned-lr-heads-curves.png'
replot
unset output
