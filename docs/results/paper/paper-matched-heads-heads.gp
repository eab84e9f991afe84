# Drawn by headroom report from paper-matched-heads-heads.dat; edit and run `gnuplot paper-matched-heads-heads.gp` to restyle.
set xlabel 'heads'
set ylabel 'final eval/accuracy'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('4' 4, '8' 8, '16' 16)
set mxtics 1
plot 'paper-matched-heads-heads.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#9467bd' title 'attention=fixed, d_model=64, ffn_mult=4', \
     'paper-matched-heads-heads.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#ff7f0e' title 'attention=standard, d_model=128, ffn_mult=4', \
     'paper-matched-heads-heads.dat' index 2 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#17becf' title 'attention=standard, d_model=64, ffn_mult=10', \
     'paper-matched-heads-heads.dat' index 3 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#8c564b' title 'attention=standard, d_model=64, ffn_mult=18', \
     'paper-matched-heads-heads.dat' index 4 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#e377c2' title 'attention=standard, d_model=64, ffn_mult=6'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-matched-heads-heads.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-matched-heads-heads.png'
replot
unset output
