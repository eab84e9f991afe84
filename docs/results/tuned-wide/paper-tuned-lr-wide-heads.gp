# Drawn by headroom report from paper-tuned-lr-wide-heads.dat; edit and run `gnuplot paper-tuned-lr-wide-heads.gp` to restyle.
set xlabel 'heads'
set ylabel 'final test/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('8' 8, '16' 16)
set mxtics 1
plot 'paper-tuned-lr-wide-heads.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#1f77b4' title 'attention=fixed, d_model=74', \
     'paper-tuned-lr-wide-heads.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#d62728' title 'attention=standard, d_model=128'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-tuned-lr-wide-heads.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-tuned-lr-wide-heads.png'
replot
unset output
