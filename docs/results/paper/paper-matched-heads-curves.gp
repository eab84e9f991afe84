# Drawn by headroom report from paper-matched-heads-curves.dat; edit and run `gnuplot paper-matched-heads-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-matched-heads-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#bcbd22' title 'attention=fixed, d_model=64, ffn_mult=4, head_size=32, heads=20'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-matched-heads-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-matched-heads-curves.png'
replot
unset output
