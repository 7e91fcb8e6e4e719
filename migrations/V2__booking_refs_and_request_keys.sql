-- A client-chosen key per booking request (hidden in the confirm form, or the
-- API's Idempotency-Key header): a double tap or a retry on a flaky mobile
-- connection returns the first booking instead of creating a second one.
ALTER TABLE bookings ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX bookings_request_key ON bookings(request_key) WHERE request_key IS NOT NULL;

-- The last booking_ref sequence number handed out per business day, so the
-- next ref is one indexed read, however many bookings a day already has.
CREATE TABLE booking_ref_counters (
    day       TEXT PRIMARY KEY CHECK (day GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    last_seq  INTEGER NOT NULL CHECK (last_seq >= 1)
) WITHOUT ROWID;
