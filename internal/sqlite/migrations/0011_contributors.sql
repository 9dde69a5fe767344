-- Cameras that households, shops, schools and agencies share: the owner's
-- portal account, the police's approval of the registration, the owner's
-- sharing choice (JSON: mode, time windows, paused) and where the camera
-- looks. Existing cameras are the ward's own: approved, shared live.

ALTER TABLE cameras ADD COLUMN contributor   TEXT NOT NULL DEFAULT '';
ALTER TABLE cameras ADD COLUMN approval      TEXT NOT NULL DEFAULT 'approved';
ALTER TABLE cameras ADD COLUMN approval_note TEXT NOT NULL DEFAULT '';
ALTER TABLE cameras ADD COLUMN sharing       TEXT NOT NULL DEFAULT '{"mode":"live"}';
ALTER TABLE cameras ADD COLUMN direction     REAL;

CREATE INDEX cameras_contributor ON cameras (contributor) WHERE contributor != '';
