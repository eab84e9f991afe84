# Drawn by headroom report from paper-few-heads-heads.dat; edit and run `gnuplot paper-few-heads-heads.gp` to restyle.
set xlabel 'heads'
set ylabel 'final eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('2' 2, '4' 4, '16' 16)
set mxtics 1
plot 'paper-few-heads-heads.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#e377c2' title 'attention=fixed, d_model=128', \
     'paper-few-heads-heads.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#bcbd22' title 'attention=fixed, d_model=64', \
     'paper-few-heads-heads.dat' index 2 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#7f7f7f' title 'attention=standard, d_model=128', \
     'paper-few-heads-heads.dat' index 3 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#1f77b4' title 'attention=standard, d_model=64'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-few-heads-heads.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-few-heads-heads.png'
replot
unset output
