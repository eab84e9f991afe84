// Parameter importance as bars: each parameter's share of the metric's
// variance explained by its main effect (docs/api.md says how the server
// computes it), with the metric's mean at each of its values.
import {element, formatNumber} from './dom.js';

// `answer` is /api/sweeps/NAME/importance's.
export function drawImportance(container, answer) {
  if (answer.runs < 2) {
    const why = 'Importance needs two finished runs or more with ' + answer.metric + '.';
    container.replaceChildren(element('p', {className: 'caption'}, why));
    return;
  }
  const rows = answer.parameters.map(item => {
    const share = item.importance;
    const bar = element('meter', {min: 0, max: 1, value: share ?? 0});
    const levels = item.levels.map(level => level.value + ': ' + formatNumber(level.mean) + ' (' + level.runs + ')').join(', ');
    return element('tr', {},
                   element("th", {scope: "row"}, item.name),
                   element('td', {}, bar),
                   element('td', {className: 'number'}, share === null ? '' : (100 * share).toFixed(1) + '%'),
                   element('td', {className: 'levels', title: levels}, (item.binned ? 'binned: ' : '') + levels));
  });
  const caption = 'Share of the variance of ' + answer.metric + ' explained by each parameter alone, over ' +
                  answer.runs + ' finished runs; then the mean at each value (runs).';
  container.replaceChildren(element('table', {className: 'importance'}, element('caption', {}, caption),
                                    element('tbody', {}, ...rows)));
}
