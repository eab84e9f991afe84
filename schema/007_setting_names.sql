-- Schema version 7: the names of every setting a sweep's cells resolve to
-- (the keys of cells.config), so that the wide rows offer each setting as a
-- column, swept or not, without reading every cell's config per question
-- (orchestrator/store/wide_view.h). Filled when a sweep is registered or
-- extended.
CREATE TABLE setting_names (
  sweep_id  INTEGER NOT NULL REFERENCES sweeps(id),
  name      TEXT NOT NULL,
  PRIMARY KEY (sweep_id, name)
) WITHOUT ROWID;
INSERT OR IGNORE INTO setting_names (sweep_id, name)
  SELECT cells.sweep_id, key FROM cells, json_each(cells.config);
