-- The settings the rollup tables were last fully built with; no row before the first build.
SELECT time_zone, week_start, definitions FROM rollup.build_settings;
