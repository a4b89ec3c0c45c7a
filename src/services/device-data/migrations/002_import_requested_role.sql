-- The role of the user who uploaded the file: background imports call health tracking with it.
ALTER TABLE device_data.imports ADD COLUMN requested_role text;
