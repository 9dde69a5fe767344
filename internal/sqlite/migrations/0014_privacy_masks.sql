-- Privacy masks of a camera (JSON: name and polygon in 0..1 of the
-- picture), painted over exports and snapshots, drawn over live view.

ALTER TABLE cameras ADD COLUMN privacy_masks TEXT NOT NULL DEFAULT '[]';
