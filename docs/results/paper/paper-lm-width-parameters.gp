# Drawn by headroom report from paper-lm-width-parameters.dat; edit and run `gnuplot paper-lm-width-parameters.gp` to restyle.
set xlabel 'non-embedding parameters'
set ylabel 'final eval/perplexity'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('25.5k' 25472, '84.2k' 84160, '200k' 199552, '397k' 396800, '529k' 528640)
set mxtics 1
plot 'paper-lm-width-parameters.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#1f77b4' title 'attention=fixed', \
     'paper-lm-width-parameters.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#d62728' title 'attention=standard'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-lm-width-parameters.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-lm-width-parameters.png'
replot
unset output
