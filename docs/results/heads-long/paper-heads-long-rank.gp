# Drawn by headroom report from paper-heads-long-rank.dat; edit and run `gnuplot paper-heads-long-rank.gp` to restyle.
set xlabel 'head size'
set ylabel 'rank of the attention logits'
set key below noenhanced
set grid
set mxtics
set autoscale fix
set offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08
set logscale x
set xtics ('4' 4, '8' 8, '16' 16, '32' 32, '64' 64)
set mxtics 1
plot 'paper-heads-long-rank.dat' index 0 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#1f77b4' title 'attention=fixed', \
     'paper-heads-long-rank.dat' index 1 using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7 linecolor rgb '#d62728' title 'attention=standard', \
     'paper-heads-long-rank.dat' index 2 using 1:2 with lines dashtype 2 linewidth 1.5 linecolor rgb '#555555' title 'cap min(head_size, seq_len)'

set terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'
set output 'paper-heads-long-rank.svg'
replot
set terminal pngcairo size 950,550 noenhanced font 'sans,11'
set output 'paper-heads-long-rank.png'
replot
unset output
