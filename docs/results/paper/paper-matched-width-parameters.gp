# Drawn by headroom report from paper-matched-width-parameters.dat; edit and run `gnuplot paper-matched-width-parameters.gp` to restyle.
set xlabel 'non-embedding parameters'
set ylabel 'final eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('224k' 223872, '395k' 395420, '619k' 618880)
set mxtics 1
plot 'paper-matched-width-parameters.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#1f77b4' title 'attention=fixed', \
     'paper-matched-width-parameters.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#d62728' title 'attention=standard'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-matched-width-parameters.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-matched-width-parameters.png'
replot
unset output
