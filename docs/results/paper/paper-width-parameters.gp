# Drawn by headroom report from paper-width-parameters.dat; edit and run `gnuplot paper-width-parameters.gp` to restyle.
set xlabel 'non-embedding parameters'
set ylabel 'final eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics (25472, 84160, 100096, 199552, 396800, 528640)
set mxtics 1
set format x '%.3s%c'
plot 'paper-width-parameters.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=fixed, d_model=128', \
     'paper-width-parameters.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=fixed, d_model=32', \
     'paper-width-parameters.dat' index 2 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=fixed, d_model=64', \
     'paper-width-parameters.dat' index 3 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=standard, d_model=128', \
     'paper-width-parameters.dat' index 4 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=standard, d_model=32', \
     'paper-width-parameters.dat' index 5 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 title 'attention=standard, d_model=64'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-width-parameters.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-width-parameters.png'
replot
unset output
