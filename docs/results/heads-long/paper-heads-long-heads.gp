# Drawn by headroom report from paper-heads-long-heads.dat; edit and run `gnuplot paper-heads-long-heads.gp` to restyle.
set xlabel 'heads'
set ylabel 'final eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('1' 1, '2' 2, '4' 4, '8' 8, '16' 16)
set mxtics 1
plot 'paper-heads-long-heads.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#1f77b4' title 'attention=fixed', \
     'paper-heads-long-heads.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#d62728' title 'attention=standard'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-heads-long-heads.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-heads-long-heads.png'
replot
unset output
