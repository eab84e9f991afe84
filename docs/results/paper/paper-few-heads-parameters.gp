# Drawn by headroom report from paper-few-heads-parameters.dat; edit and run `gnuplot paper-few-heads-parameters.gp` to restyle.
set xlabel 'non-embedding parameters'
set ylabel 'final eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics (100096, 332160, 396800, 792320)
set mxtics 1
set format x '%.3s%c'
plot 'paper-few-heads-parameters.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=fixed, d_model=128, heads=16', \
     'paper-few-heads-parameters.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=fixed, d_model=64, heads=16', \
     'paper-few-heads-parameters.dat' index 2 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=standard, d_model=128, heads=4', \
     'paper-few-heads-parameters.dat' index 3 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=standard, d_model=64, heads=2'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-few-heads-parameters.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-few-heads-parameters.png'
replot
unset output
