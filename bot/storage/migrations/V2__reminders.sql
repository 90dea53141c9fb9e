-- Reminder bookkeeping (filled in by the reminders work).
CREATE TABLE IF NOT EXISTS schema_notes (note TEXT);
