-- A client-chosen key per booking request (hidden in the confirm form, or the
-- API's Idempotency-Key header): a double tap or a retry on a flaky mobile
-- connection returns the first booking instead of creating a second one.
ALTER TABLE bookings ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX bookings_request_key ON bookings(request_key) WHERE request_key IS NOT NULL;
