# Drawn by headroom report from paper-lm-width-curves.dat; edit and run `gnuplot paper-lm-width-curves.gp` to restyle.
set xlabel 'step'
set ylabel 'eval/perplexity'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
plot 'paper-lm-width-curves.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#17becf' title 'attention=standard, d_model=128, head_size=16', \
     'paper-lm-width-curves.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#8c564b' title 'attention=fixed, d_model=128, head_size=32'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-lm-width-curves.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-lm-width-curves.png'
replot
unset output
